#include "openrms/server/oidc_signin.hpp"

#include <nlohmann/json.hpp>

#include <mutex>
#include <optional>

#include "openrms/crypto/backend.hpp"
#include "openrms/error.hpp"
#include "openrms/protect/http_client.hpp"
#include "openrms/server/auth.hpp"
#include "openrms/text.hpp"

namespace openrms::server {

namespace {

using json = nlohmann::json;

bool https(std::string_view url) {
  return url.rfind("https://", 0) == 0 && url.size() > 8;
}

// The "error" code of a provider's refusal (RFC 6749 §5.2), cut to what can be shown safely.
std::string error_code(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  std::string code = j.is_object() ? j.value("error", std::string()) : std::string();
  if (code.size() > 40) code.resize(40);
  for (char& c : code)
    if (!((c >= 'a' && c <= 'z') || c == '_')) c = '?';
  return code.empty() ? "no reason given" : code;
}

struct Endpoints {
  std::string authorization, token;
};

}  // namespace

struct OidcSignIn::Impl {
  OidcOptions opt;
  protect::HttpClient http;
  std::mutex mu;
  std::optional<Endpoints> endpoints;
  std::unique_ptr<Authenticator> tokens;
  std::chrono::steady_clock::time_point last_try{};
  bool tried = false;

  static protect::HttpOptions http_options(const OidcOptions& o) {
    protect::HttpOptions h;
    h.ca_file = o.ca_file;
    h.max_response = 1u << 20;
    h.timeout = std::chrono::seconds(15);
    return h;
  }

  explicit Impl(OidcOptions o) : opt(std::move(o)), http(http_options(opt)) {}

  // Discovery (OIDC Discovery 1.0 §4) once; after a failure, again at most once a minute.
  std::pair<Endpoints, Authenticator*> provider() {
    std::lock_guard lock(mu);
    if (endpoints) return {*endpoints, tokens.get()};
    const auto now = std::chrono::steady_clock::now();
    if (tried && now - last_try < std::chrono::minutes(1))
      fail(Errc::unavailable, "the identity provider could not be reached a moment ago");
    tried = true;
    last_try = now;
    std::string base = opt.issuer;
    while (!base.empty() && base.back() == '/') base.pop_back();
    auto r = http.request("GET", base + "/.well-known/openid-configuration",
                          {"Accept: application/json"});
    if (r.status != 200)
      fail(Errc::unavailable,
           "the identity provider's discovery answered HTTP " + std::to_string(r.status));
    json d = json::parse(r.body, nullptr, false);
    auto field = [&](const char* name) {
      if (!d.is_object() || !d.contains(name) || !d[name].is_string() ||
          !https(d[name].get_ref<const std::string&>()))
        fail(Errc::unavailable,
             std::string("the identity provider's discovery has no https ") + name);
      return d[name].get<std::string>();
    };
    if (!d.is_object() || d.value("issuer", json()) != opt.issuer)
      fail(Errc::unavailable, "the identity provider's discovery names another issuer");
    if (auto m = d.find("code_challenge_methods_supported"); m != d.end()) {
      bool s256 = false;
      if (m->is_array())
        for (const auto& x : *m) s256 = s256 || x == "S256";
      if (!s256) fail(Errc::unavailable, "the identity provider does not offer PKCE with S256");
    }
    Endpoints e{field("authorization_endpoint"), field("token_endpoint")};
    AuthOptions ao;
    ao.issuer = opt.issuer;
    ao.audience = opt.client_id;
    ao.jwks_uri = field("jwks_uri");
    ao.ca_file = opt.ca_file;
    ao.identity_claim = "email";
    ao.clock_skew = opt.clock_skew;
    ao.clock = opt.clock;
    ao.cache_entries = 1;
    tokens = std::make_unique<Authenticator>(ao);
    endpoints = std::move(e);
    return {*endpoints, tokens.get()};
  }
};

OidcSignIn::OidcSignIn(OidcOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  const auto& o = impl_->opt;
  if (!https(o.issuer)) fail(Errc::invalid_argument, "the sign-in provider's issuer is not https");
  if (o.client_id.empty()) fail(Errc::invalid_argument, "the sign-in provider needs a client id");
  if (!https(o.redirect_uri)) fail(Errc::invalid_argument, "the sign-in redirect URI is not https");
}

OidcSignIn::~OidcSignIn() = default;

std::string OidcSignIn::authorization_url(std::string_view state, std::string_view nonce,
                                          std::string_view code_verifier) {
  const auto [ep, tokens] = impl_->provider();
  (void)tokens;
  const auto& o = impl_->opt;
  std::string url = ep.authorization;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "response_type=code&scope=openid%20email&client_id=" + percent_encode(o.client_id) +
         "&redirect_uri=" + percent_encode(o.redirect_uri) + "&state=" + percent_encode(state) +
         "&nonce=" + percent_encode(nonce) + "&code_challenge=" + s256_challenge(code_verifier) +
         "&code_challenge_method=S256";
  return url;
}

std::string OidcSignIn::redeem(std::string_view code, std::string_view code_verifier,
                               std::string_view nonce) {
  const auto [ep, tokens] = impl_->provider();
  const auto& o = impl_->opt;
  if (code.empty() || code.size() > 2048)
    fail(Errc::unauthenticated, "the identity provider sent no usable code");
  std::string body = "grant_type=authorization_code&code=" + percent_encode(code) +
                     "&redirect_uri=" + percent_encode(o.redirect_uri) +
                     "&code_verifier=" + percent_encode(code_verifier);
  std::vector<std::string> headers = {"Content-Type: application/x-www-form-urlencoded",
                                      "Accept: application/json"};
  struct WipeOnExit {  // the Authorization header among them, however the request ends
    std::vector<std::string>& v;
    ~WipeOnExit() {
      for (auto& h : v) crypto::secure_wipe(h.data(), h.size());
    }
  } wipe{headers};
  if (o.client_secret.empty()) {
    body += "&client_id=" + percent_encode(o.client_id);
  } else {
    // RFC 6749 §2.3.1: both parts form-encoded, then HTTP Basic.
    crypto::SecureString pair(percent_encode(o.client_id));
    pair += ':';
    std::string secret = percent_encode(std::string_view(o.client_secret));
    pair += secret;
    crypto::secure_wipe(secret.data(), secret.size());
    headers.push_back("Authorization: Basic " + crypto::to_base64(crypto::as_bytes(pair)));
  }
  const protect::HttpResponse r = impl_->http.request("POST", ep.token, headers, body);
  if (r.status != 200)
    fail(r.status >= 500 ? Errc::unavailable : Errc::unauthenticated,
         "the identity provider refused the sign-in (" + error_code(r.body) + ")");
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("id_token") || !j["id_token"].is_string())
    fail(Errc::unauthenticated, "the identity provider's answer has no ID token");
  return tokens->verify_id_token(j["id_token"].get_ref<const std::string&>(), nonce).email;
}

const std::string& OidcSignIn::display_name() const noexcept {
  return impl_->opt.display_name;
}

std::string OidcSignIn::s256_challenge(std::string_view code_verifier) {
  return crypto::to_base64url(
      crypto::default_backend().digest(crypto::HashAlg::sha256, crypto::as_bytes(code_verifier)));
}

}  // namespace openrms::server
