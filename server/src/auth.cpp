#include "openrms/server/auth.hpp"

#include <cjose/cjose.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "openrms/crypto/backend.hpp"
#include "openrms/formats/io.hpp"
#include "openrms/protect/http_client.hpp"
#include "openrms/text.hpp"

namespace openrms::server {

namespace {

using json = nlohmann::json;

[[noreturn]] void refuse(const std::string& why) {
  fail(Errc::unauthenticated, why);
}

struct JwkFree {
  void operator()(cjose_jwk_t* k) const { cjose_jwk_release(k); }
};
struct JwsFree {
  void operator()(cjose_jws_t* j) const { cjose_jws_release(j); }
};
using JwkPtr = std::unique_ptr<cjose_jwk_t, JwkFree>;
using JwsPtr = std::unique_ptr<cjose_jws_t, JwsFree>;

enum class Alg { rs256, es256 };

struct Key {
  std::string kid;
  Alg alg;
  JwkPtr jwk;
};

// The keys of a JWKS document that can verify RS256 or ES256 tokens; others (encryption keys,
// other curves, small RSA keys) are left out.
std::vector<Key> parse_jwks(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array())
    fail(Errc::bad_format, "the JWKS is not a JSON object with a \"keys\" array");
  std::vector<Key> out;
  for (const auto& k : doc["keys"]) {
    if (!k.is_object()) continue;
    if (k.contains("use") && k["use"] != "sig") continue;
    const std::string kty = k.value("kty", "");
    const std::string dumped = k.dump();
    cjose_err err{};
    JwkPtr jwk(cjose_jwk_import(dumped.data(), dumped.size(), &err));
    if (!jwk) continue;
    const std::size_t bits = cjose_jwk_get_keysize(jwk.get(), &err);
    Key key{k.value("kid", ""), Alg::rs256, std::move(jwk)};
    if (kty == "RSA" && bits >= 2048)
      key.alg = Alg::rs256;
    else if (kty == "EC" && k.value("crv", "") == "P-256")
      key.alg = Alg::es256;
    else
      continue;
    if (k.contains("alg") && k["alg"] != (key.alg == Alg::rs256 ? "RS256" : "ES256")) continue;
    out.push_back(std::move(key));
  }
  if (out.empty()) fail(Errc::bad_format, "the JWKS has no RS256 or ES256 signing key");
  return out;
}

bool base64url_chars(std::string_view s) {
  for (unsigned char c : s)
    if (!(std::isalnum(c) || c == '-' || c == '_')) return false;
  return !s.empty();
}

std::int64_t seconds_of(licensing::Time t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

struct Authenticator::Impl {
  AuthOptions opt;
  const licensing::Clock& clock;
  mutable std::shared_mutex keys_mu;
  std::vector<Key> keys;
  std::chrono::steady_clock::time_point last_refresh{};
  std::unique_ptr<protect::HttpClient> http;

  struct Cached {
    Caller caller;
    std::int64_t exp;
  };
  std::mutex cache_mu;
  std::unordered_map<std::string, Cached> cache;  // SHA-256 of the token -> caller
  std::atomic<std::uint64_t> checks{0};

  explicit Impl(AuthOptions o)
      : opt(std::move(o)), clock(opt.clock ? *opt.clock : licensing::system_clock()) {}

  std::string fetch_json(const std::string& url) {
    auto r = http->request("GET", url, {"Accept: application/json"});
    if (r.status != 200)
      fail(Errc::unavailable, url + " answered HTTP " + std::to_string(r.status));
    return r.body;
  }

  void load_keys() {
    std::vector<Key> fresh;
    if (!opt.jwks_file.empty()) {
      // A key set is a few KB; 1 MiB bounds a wrong path (Errc::invalid_argument if larger).
      auto text = formats::read_file(opt.jwks_file, 1u << 20);
      fresh = parse_jwks(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
    } else if (!opt.jwks_uri.empty()) {
      fresh = parse_jwks(fetch_json(opt.jwks_uri));
    } else {
      std::string base = opt.issuer;
      while (!base.empty() && base.back() == '/') base.pop_back();
      json d = json::parse(fetch_json(base + "/.well-known/openid-configuration"), nullptr, false);
      if (!d.is_object() || !d.contains("jwks_uri") || !d["jwks_uri"].is_string())
        fail(Errc::bad_format, "the issuer's discovery document has no jwks_uri");
      if (d.contains("issuer") && d["issuer"] != opt.issuer)
        fail(Errc::bad_format, "the discovery document names another issuer");
      fresh = parse_jwks(fetch_json(d["jwks_uri"].get<std::string>()));
    }
    std::unique_lock lock(keys_mu);
    keys = std::move(fresh);
    last_refresh = std::chrono::steady_clock::now();
  }

  // A key set fetched by discovery may have rotated: refetch when a token names an unknown kid,
  // at most once a minute (so bad tokens cannot make us hammer the issuer).
  bool maybe_refresh() {
    if (!opt.discover && opt.jwks_uri.empty()) return false;
    {
      std::shared_lock lock(keys_mu);
      if (std::chrono::steady_clock::now() - last_refresh < std::chrono::minutes(1)) return false;
    }
    try {
      load_keys();
      return true;
    } catch (const Error&) {
      return false;
    }
  }

  bool verify_signature(cjose_jws_t* jws, Alg alg, const std::string& kid) {
    std::shared_lock lock(keys_mu);
    bool kid_known = false;
    for (const Key& k : keys) {
      if (!kid.empty() && k.kid != kid) continue;
      kid_known = true;
      if (k.alg != alg) continue;  // a token's alg must be the key's: no RS/ES/HS confusion
      cjose_err err{};
      checks.fetch_add(1, std::memory_order_relaxed);
      if (cjose_jws_verify(jws, k.jwk.get(), &err)) return true;
    }
    if (!kid_known && !kid.empty()) {
      lock.unlock();
      if (maybe_refresh()) return verify_signature(jws, alg, kid);
      refuse("the token was signed with a key the service does not know (kid " + kid.substr(0, 64) +
             ")");
    }
    return false;
  }

  Caller check_claims(const json& c) {
    if (!c.is_object()) refuse("the token's payload is not a JSON object");
    const std::int64_t now = seconds_of(clock.now());
    const std::int64_t skew = opt.clock_skew.count();
    if (c.value("iss", json()) != opt.issuer) refuse("the token was issued by another issuer");
    const json aud = c.value("aud", json());
    bool aud_ok = aud == opt.audience;
    if (aud.is_array())
      for (const auto& a : aud) aud_ok = aud_ok || a == opt.audience;
    if (!aud_ok) refuse("the token is meant for another audience");
    if (!c.contains("exp") || !c["exp"].is_number()) refuse("the token has no expiry");
    if (c["exp"].get<double>() + static_cast<double>(skew) <= static_cast<double>(now))
      refuse("the token has expired");
    for (const char* claim : {"nbf", "iat"}) {
      if (!c.contains(claim)) continue;
      if (!c[claim].is_number()) refuse(std::string("the token's ") + claim + " is not a number");
      if (c[claim].get<double>() > static_cast<double>(now + skew))
        refuse(std::string(claim) == "nbf" ? "the token is not valid yet"
                                           : "the token was issued in the future");
    }
    Caller who;
    const json id = c.value(opt.identity_claim, json());
    if (!id.is_string() || id.get<std::string>().empty())
      refuse("the token has no " + opt.identity_claim + " claim");
    who.email = ascii_lower(id.get<std::string>());
    if (who.email.find('@') == std::string::npos || who.email.size() > 254)
      refuse("the token's " + opt.identity_claim + " claim is not an e-mail address");
    if (auto g = c.find(opt.groups_claim); g != c.end() && g->is_array())
      for (const auto& x : *g)
        if (x.is_string() && who.groups.size() < 1000)
          who.groups.push_back(ascii_lower(x.get<std::string>()));
    if (auto r = c.find(opt.role_claim); r != c.end()) {
      if (r->is_string()) who.admin = *r == opt.admin_role;
      if (r->is_array())
        for (const auto& x : *r) who.admin = who.admin || x == opt.admin_role;
    }
    return who;
  }

  // The claims of a token whose form, algorithm and signature are right (claims unchecked).
  json signed_claims(std::string_view token) {
    if (token.size() > kMaxToken)
      refuse("the token is larger than " + std::to_string(kMaxToken) + " bytes");
    const auto d1 = token.find('.');
    const auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
    if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos ||
        !base64url_chars(token.substr(0, d1)) ||
        !base64url_chars(token.substr(d1 + 1, d2 - d1 - 1)))
      refuse("the token is not a signed JWT (three base64url parts)");
    if (!base64url_chars(token.substr(d2 + 1))) refuse("the token has no signature");

    cjose_err err{};
    JwsPtr jws(cjose_jws_import(token.data(), token.size(), &err));
    if (!jws) refuse("the token is not a well-formed JWS");
    cjose_header_t* header = cjose_jws_get_protected(jws.get());
    const char* alg_name = header ? cjose_header_get(header, CJOSE_HDR_ALG, &err) : nullptr;
    const std::string alg_text = alg_name ? alg_name : "";
    Alg alg;
    if (alg_text == "RS256")
      alg = Alg::rs256;
    else if (alg_text == "ES256")
      alg = Alg::es256;
    else
      refuse("the token's algorithm \"" + alg_text.substr(0, 16) +
             "\" is not accepted (RS256 or ES256)");
    const char* kid_c = cjose_header_get(header, CJOSE_HDR_KID, &err);
    if (!verify_signature(jws.get(), alg, kid_c ? kid_c : ""))
      refuse("the token's signature does not verify");

    uint8_t* payload = nullptr;
    std::size_t payload_len = 0;
    if (!cjose_jws_get_plaintext(jws.get(), &payload, &payload_len, &err))
      refuse("the token has no payload");
    return json::parse(std::string_view(reinterpret_cast<const char*>(payload), payload_len),
                       nullptr, false);
  }

  Caller verify(std::string_view token) {
    const auto& be = crypto::default_backend();
    auto digest = be.digest(crypto::HashAlg::sha256, crypto::as_bytes(token));
    std::string key(reinterpret_cast<const char*>(digest.data()), digest.size());
    const std::int64_t now = seconds_of(clock.now());
    {
      std::lock_guard lock(cache_mu);
      if (auto it = cache.find(key); it != cache.end()) {
        if (it->second.exp + opt.clock_skew.count() > now) return it->second.caller;
        cache.erase(it);
      }
    }
    json claims = signed_claims(token);
    Caller who = check_claims(claims);

    std::lock_guard lock(cache_mu);
    if (cache.size() >= opt.cache_entries) cache.clear();
    cache[key] = Cached{who, static_cast<std::int64_t>(claims["exp"].get<double>())};
    return who;
  }

  // OpenID Connect Core §3.1.3.7: the token rules, plus the nonce of this sign-in and, for an
  // e-mail identity, the provider's word that the address is verified (an unverified address
  // proves nothing about who reads its mail). Not cached: an ID token is used once.
  Caller verify_id_token(std::string_view token, std::string_view nonce) {
    json claims = signed_claims(token);
    Caller who = check_claims(claims);
    const json n = claims.value("nonce", json());
    if (nonce.empty() || !n.is_string() ||
        !crypto::ct_equal(crypto::as_bytes(n.get_ref<const std::string&>()),
                          crypto::as_bytes(nonce)))
      refuse("the ID token was not issued for this sign-in (nonce)");
    if (opt.identity_claim == "email" && claims.value("email_verified", json()) != true)
      refuse("the identity provider has not verified this e-mail address");
    return who;
  }
};

Authenticator::Authenticator(AuthOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  auto& o = impl_->opt;
  if (o.issuer.empty() || o.audience.empty())
    fail(Errc::invalid_argument, "token checks need an issuer and an audience");
  if (int(!o.jwks_file.empty()) + int(!o.jwks_uri.empty()) + int(o.discover) != 1)
    fail(Errc::invalid_argument,
         "give one of a JWKS file, a JWKS URL or the issuer's discovery document");
  if (o.discover || !o.jwks_uri.empty()) {
    protect::HttpOptions h;
    h.ca_file = o.ca_file;
    h.max_response = 1u << 20;
    impl_->http = std::make_unique<protect::HttpClient>(h);
  }
  impl_->load_keys();
}

Authenticator::~Authenticator() = default;

Caller Authenticator::verify(std::string_view token) {
  return impl_->verify(token);
}

Caller Authenticator::verify_id_token(std::string_view token, std::string_view nonce) {
  return impl_->verify_id_token(token, nonce);
}

Caller Authenticator::verify_header(std::string_view h) {
  if (h.empty()) refuse("this route needs an authenticated caller (a bearer token)");
  if (h.size() < 7 || ascii_lower(h.substr(0, 7)) != "bearer ")
    refuse("the Authorization header is not \"Bearer <token>\"");
  h.remove_prefix(7);
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  return verify(h);
}

std::size_t Authenticator::keys() const {
  std::shared_lock lock(impl_->keys_mu);
  return impl_->keys.size();
}

std::uint64_t Authenticator::signature_checks() const {
  return impl_->checks.load();
}

struct TokenDirectory::Impl {
  mutable std::shared_mutex mu;
  std::map<std::string, std::vector<std::string>, std::less<>> groups;
};

TokenDirectory::TokenDirectory(const licensing::Directory* fallback)
    : impl_(std::make_unique<Impl>()), fallback_(fallback) {}
TokenDirectory::~TokenDirectory() = default;

void TokenDirectory::remember(const Caller& caller) {
  {
    std::shared_lock lock(impl_->mu);
    auto it = impl_->groups.find(caller.email);
    if (it != impl_->groups.end() && it->second == caller.groups) return;
  }
  std::unique_lock lock(impl_->mu);
  impl_->groups[caller.email] = caller.groups;
}

std::vector<std::string> TokenDirectory::groups_of(std::string_view email) const {
  std::vector<std::string> out;
  {
    std::shared_lock lock(impl_->mu);
    if (auto it = impl_->groups.find(ascii_lower(email)); it != impl_->groups.end())
      out = it->second;
  }
  if (fallback_)
    for (auto& g : fallback_->groups_of(email)) out.push_back(std::move(g));
  return out;
}

}  // namespace openrms::server
