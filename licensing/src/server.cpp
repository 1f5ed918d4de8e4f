#include "openrms/licensing/server.hpp"

#include <atomic>
#include <charconv>
#include <deque>
#include <list>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "issue.hpp"
#include "openrms/crypto/ecies.hpp"
#include "openrms/error.hpp"
#include "openrms/licensing/key_custody.hpp"

namespace openrms::licensing {

using detail::lower;

namespace {

struct Generation {
  Certificate slc;
  detail::Signer signer;
  crypto::PrivateKey sealing;
};

// A verified publishing license with its unsealed content key (and ad-hoc policy).
struct KeyEntry {
  std::shared_ptr<const PublishingLicense> pl;
  crypto::SecureBytes content_key;
  std::optional<Policy> policy;
};

// Bounded LRU map from a hash to an entry.
template <class V>
class Lru {
 public:
  explicit Lru(std::size_t cap) : cap_(cap) {}
  std::shared_ptr<const V> get(const std::string& k) {
    std::lock_guard lock(mu_);
    auto it = map_.find(k);
    if (it == map_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }
  void put(const std::string& k, std::shared_ptr<const V> v) {
    if (cap_ == 0) return;
    std::lock_guard lock(mu_);
    auto it = map_.find(k);
    if (it != map_.end()) {
      it->second->second = std::move(v);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.emplace_front(k, std::move(v));
    map_[k] = order_.begin();
    while (map_.size() > cap_) {
      map_.erase(order_.back().first);
      order_.pop_back();  // the entry's SecureBytes wipe themselves
    }
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return map_.size();
  }
  void clear() {
    std::lock_guard lock(mu_);
    map_.clear();
    order_.clear();
  }

 private:
  using Item = std::pair<std::string, std::shared_ptr<const V>>;
  std::size_t cap_;
  mutable std::mutex mu_;
  std::list<Item> order_;
  std::unordered_map<std::string, typename std::list<Item>::iterator> map_;
};

Principal::Kind kind_of(const std::string& email) {
  return Principal::parse(email).kind;
}

}  // namespace

struct LicenseServer::Impl {
  Store& store;
  ServerOptions opts;
  const Clock& clock;
  const crypto::Backend& be;
  mutable std::shared_mutex mu;  // generations and the anchor snapshots
  std::deque<Generation> gens;   // a deque: references to a generation survive a rotation
  // The trust anchors as immutable snapshots: a reader never sees one change under it, and
  // every snapshot stays alive with the server, so a reference from anchors() stays valid.
  std::vector<std::unique_ptr<const TrustAnchors>> anchor_snapshots;
  std::atomic<const TrustAnchors*> anchors_now{nullptr};
  // Generations made by another server over the same store (another node) are read every
  // shared_state_ttl, and at once (at most every kMissInterval) when a license or certificate
  // names a key this server does not know yet.
  static constexpr std::chrono::seconds kMissInterval{1};
  std::mutex sync_mu;
  std::chrono::steady_clock::time_point gens_read{}, gens_miss_read{};
  // gens_read, readable without sync_mu: the periodic check on every issuance takes no lock.
  std::atomic<std::chrono::steady_clock::rep> gens_read_ticks{0};
  Lru<KeyEntry> keys;
  Lru<Certificate> racs;
  std::mutex settings_mu;
  // Tenant settings are re-read from the store at most every shared_state_ttl, so a change made
  // through another server over the same store (another service node) holds within that bound.
  std::optional<TenantSettings> settings_cache;
  std::chrono::steady_clock::time_point settings_read{};

  Impl(Store& s, ServerOptions o)
      : store(s),
        opts(std::move(o)),
        clock(opts.clock ? *opts.clock : system_clock()),
        be(opts.backend ? *opts.backend : crypto::default_backend()),
        keys(opts.key_cache_entries),
        racs(opts.key_cache_entries) {
    anchor_snapshots.push_back(std::make_unique<const TrustAnchors>());
    anchors_now = anchor_snapshots.back().get();
  }

  const TrustAnchors& anchors() const { return *anchors_now.load(std::memory_order_acquire); }

  enum class Sync { periodic, on_miss, now };
  // Loads generations newer than the newest known one; returns whether any was loaded.
  bool sync_generations(Sync how) {
    const auto now = std::chrono::steady_clock::now();
    if (how == Sync::periodic &&
        now - std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(
                  gens_read_ticks.load(std::memory_order_relaxed))) <
            opts.shared_state_ttl)
      return false;
    {
      std::lock_guard lock(sync_mu);
      if (how == Sync::periodic && now - gens_read < opts.shared_state_ttl) return false;
      if (how == Sync::on_miss && now - gens_miss_read < kMissInterval) return false;
      gens_read = now;
      gens_read_ticks.store(now.time_since_epoch().count(), std::memory_order_relaxed);
      if (how == Sync::on_miss) gens_miss_read = now;
    }
    auto all = store.generations();
    std::unique_lock lock(mu);
    const std::uint32_t have = gens.empty() ? 0 : gens.back().slc.generation;
    bool loaded = false;
    for (const auto& g : all)
      if (g.generation > have) {
        load(g);
        loaded = true;
      }
    return loaded;
  }

  // Runs f; if it fails as a forgery would, and the store has generations this server has not
  // seen (a rotation on another node), loads them and runs f once more.
  template <class F>
  auto with_fresh_keys(F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const Error& e) {
      if (e.code() != Errc::integrity || !sync_generations(Sync::on_miss)) throw;
    }
    return f();
  }

  // A generation's private keys, from the store or from the custody that holds them.
  std::pair<crypto::PrivateKey, crypto::PrivateKey> private_keys(const ServerGeneration& g) const {
    if (!g.in_custody())
      return {be.load_private_key(g.signing_key_pkcs8), be.load_private_key(g.sealing_key_pkcs8)};
    if (!opts.custody)
      fail(Errc::unavailable, "the keys of server generation " + std::to_string(g.generation) +
                                  " are held in a PKCS#11 token (" + g.signing_key_ref +
                                  "): configure the token (--pkcs11-module, --pkcs11-token, "
                                  "--pkcs11-pin-file)");
    return {opts.custody->key(g.signing_key_ref), opts.custody->key(g.sealing_key_ref)};
  }

  void load(const ServerGeneration& g) {
    auto [signing, sealing] = private_keys(g);
    // The SLC is only self-signed: what makes it this server's is that its public keys are
    // those of the private keys the store keeps encrypted under the key-encryption key.
    {
      TrustAnchors probe;
      const Certificate& c = probe.add(g.slc_xml, be);
      if (key_id(signing.public_key()) != c.key_id() ||
          key_id(sealing.public_key()) != key_id(c.sealing_key))
        fail(Errc::integrity, "store: server generation " + std::to_string(g.generation) +
                                  ": its certificate does not match its private keys");
    }
    auto next = std::make_unique<TrustAnchors>(anchors());
    const Certificate slc = next->add(g.slc_xml, be);
    anchor_snapshots.push_back(std::move(next));
    anchors_now.store(anchor_snapshots.back().get(), std::memory_order_release);
    Generation gen{slc, {slc.suite, std::move(signing), slc.key_id()}, std::move(sealing)};
    gens.push_back(std::move(gen));
  }

  const Generation& current() const {
    if (gens.empty())
      fail(Errc::invalid_argument,
           "the license server is not activated (run activate / server init)");
    return gens.back();
  }

  const Certificate& new_generation(const CustodyKeys* held = nullptr) {
    crypto::PrivateKey sign_key, seal_key;
    Suite suite = opts.suite;
    ServerGeneration g;
    if (held) {
      if (!opts.custody)
        fail(Errc::invalid_argument, "keys in custody need a custody (a PKCS#11 token)");
      if (held->signing_label == held->sealing_label)
        fail(Errc::invalid_argument, "the signing and the sealing key must be two different keys");
      g.signing_key_ref = opts.custody->reference(held->signing_label);
      g.sealing_key_ref = opts.custody->reference(held->sealing_label);
      sign_key = opts.custody->key(g.signing_key_ref);
      seal_key = opts.custody->key(g.sealing_key_ref);
      if (sign_key.type() != crypto::KeyType::ec_p256 ||
          seal_key.type() != crypto::KeyType::ec_p256)
        fail(Errc::unsupported, "keys in a PKCS#11 token must be ECDSA P-256 key pairs");
      suite = Suite::ecdsa_p256;
    } else {
      sign_key = generate_key(suite, be);
      seal_key = generate_key(suite, be);
      g.signing_key_pkcs8 = sign_key.pkcs8_der();
      g.sealing_key_pkcs8 = seal_key.pkcs8_der();
    }
    sync_generations(Sync::now);  // number the new generation after every stored one
    std::unique_lock lock(mu);
    Certificate c;
    c.type = CertificateType::slc;
    c.serial = detail::random_hex(be);
    c.suite = suite;
    c.subject = opts.name;
    Time now = clock.now();
    c.issued_at = c.valid_from = now;
    c.valid_until = now + days(365 * 20);
    c.public_key = sign_key.public_key();
    c.sealing_key = seal_key.public_key();
    c.generation = gens.empty() ? 1 : gens.back().slc.generation + 1;
    c.license_url = opts.license_url;
    detail::Signer self{suite, sign_key, key_id(c.public_key)};
    g.generation = c.generation;
    g.slc_xml = detail::write_certificate(c, self, be);
    store.add_generation(g);
    load(g);
    return gens.back().slc;
  }

  const Generation* by_sealing(const std::string& id) const {
    for (const auto& g : gens)
      if (key_id(g.slc.sealing_key) == id) return &g;
    return nullptr;
  }

  TenantSettings settings() {
    std::lock_guard lock(settings_mu);
    const auto now = std::chrono::steady_clock::now();
    if (settings_cache && now - settings_read < opts.shared_state_ttl) return *settings_cache;
    TenantSettings s;
    auto num = [&](const char* key, int& out) {
      auto v = store.setting(key);
      if (!v) return;
      int n = 0;
      auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
      if (ec != std::errc() || p != v->data() + v->size() || n < 1 || n > 36500)
        fail(Errc::bad_format, std::string("store: tenant setting ") + key + " is corrupt");
      out = n;
    };
    num("max_use_license_days", s.max_use_license_days);
    num("rac_validity_days", s.rac_validity_days);
    num("clc_validity_days", s.clc_validity_days);
    settings_cache = s;
    settings_read = now;
    return s;
  }

  std::string digest(std::string_view text) const {
    return crypto::to_hex(be.digest(crypto::HashAlg::sha256, crypto::as_bytes(text)));
  }

  std::shared_ptr<const KeyEntry> resolve(std::string_view pl_xml) {
    std::string h = digest(pl_xml);
    if (auto e = keys.get(h)) return e;
    auto entry = std::make_shared<KeyEntry>();
    with_fresh_keys([&] {
      std::shared_lock lock(mu);
      auto pl =
          std::make_shared<PublishingLicense>(parse_publishing_license(pl_xml, anchors(), be));
      const Generation* g = by_sealing(pl->server_key_id);
      if (!g) fail(Errc::integrity, "the publishing license is sealed to an unknown server key");
      const std::string binding = detail::license_binding(*pl, be);
      entry->content_key = crypto::open_sealed(
          be, g->sealing, pl->sealed_content_key,
          crypto::as_bytes(detail::aad_content_key(binding, pl->sealed_policy, be)));
      if (entry->content_key.size() != 32 && entry->content_key.size() != 16)
        fail(Errc::integrity, "the publishing license's content key has a bad size");
      if (!pl->uses_template()) {
        auto xml = crypto::open_sealed(be, g->sealing, pl->sealed_policy,
                                       crypto::as_bytes(detail::aad_policy(binding)));
        entry->policy = policy_from_xml(
            std::string_view(reinterpret_cast<const char*>(xml.data()), xml.size()));
      }
      entry->pl = std::move(pl);
    });
    keys.put(h, entry);
    return entry;
  }

  std::shared_ptr<const Certificate> resolve_rac(std::string_view rac_xml,
                                                 const std::string& email) {
    std::string h = digest(rac_xml);
    auto cert = racs.get(h);
    if (!cert) {
      auto c = with_fresh_keys(
          [&] { return std::make_shared<Certificate>(parse_certificate(rac_xml, anchors(), be)); });
      if (c->type != CertificateType::rac) fail(Errc::invalid_argument, "expected a RAC");
      cert = c;
      racs.put(h, cert);
    }
    if (cert->subject != email)
      fail(Errc::no_right, "the RAC belongs to another user than " + email);
    return cert;
  }

  Policy template_policy(const std::string& id) {
    auto t = store.get_template(id);
    if (!t) fail(Errc::not_found, "template '" + id + "' does not exist on this server");
    return t->policy;
  }

  // Roles come from the server's own record of the content, never from the license presented.
  static Role role_of(const std::string& email, const ContentRecord& rec) {
    if (email == rec.issuer) return Role::issuer;
    if (email == rec.owner) return Role::owner;
    return Role::user;
  }

  // The record of the content a verified publishing license protects. The first license the
  // server sees for a content id is the only one it honours for that id (content ids are
  // derived from the issuer, so only the issuer's own licenses can claim one). Content
  // published offline is registered at its first acquisition, which must fall within its
  // CLC's validity by the server's clock: a backdated IssuedAt does not extend a lapsed CLC.
  ContentRecord record_of(const PublishingLicense& pl, Time now) {
    auto rec = store.get_content(pl.content_id);
    if (!rec) {
      if (pl.clc && !pl.clc->valid_at(now))
        fail(Errc::expired,
             "this content was published offline with a client licensor certificate that "
             "lapsed on " +
                 format_time(pl.clc->valid_until) +
                 " before the content reached the server: the issuer must protect it again");
      store.add_content(
          {pl.content_id, lower(pl.issuer), lower(pl.owner), pl.template_id, pl.hash, now, {}});
      rec = store.get_content(pl.content_id);
      if (!rec) fail(Errc::internal, "store: the content record was not kept");
    }
    if (rec->license_hash != pl.hash)
      fail(Errc::integrity, "another publishing license is registered for content id '" +
                                pl.content_id + "': this one is not honoured");
    return *rec;
  }

  std::vector<std::string> groups(const std::string& email) const {
    return opts.directory ? opts.directory->groups_of(email) : std::vector<std::string>{};
  }
};

LicenseServer::LicenseServer(Store& store, ServerOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {
  for (const auto& g : store.generations()) impl_->load(g);
  impl_->gens_read = std::chrono::steady_clock::now();
  impl_->gens_read_ticks = impl_->gens_read.time_since_epoch().count();
}

LicenseServer::~LicenseServer() = default;

bool LicenseServer::activated() const {
  std::shared_lock lock(impl_->mu);
  return !impl_->gens.empty();
}

const Certificate& LicenseServer::activate() {
  impl_->sync_generations(Impl::Sync::now);
  {
    std::shared_lock lock(impl_->mu);
    if (!impl_->gens.empty()) return impl_->gens.back().slc;
  }
  return impl_->new_generation();
}

const Certificate& LicenseServer::rotate_keys() {
  impl_->current();
  return impl_->new_generation();
}

const Certificate& LicenseServer::activate(const CustodyKeys& keys) {
  impl_->sync_generations(Impl::Sync::now);
  {
    std::shared_lock lock(impl_->mu);
    if (!impl_->gens.empty()) return impl_->gens.back().slc;
  }
  return impl_->new_generation(&keys);
}

const Certificate& LicenseServer::rotate_keys(const CustodyKeys& keys) {
  impl_->current();
  return impl_->new_generation(&keys);
}

const TrustAnchors& LicenseServer::anchors() const {
  return impl_->anchors();
}

namespace {
std::string checked_user(const Identity& who) {
  Principal p = Principal::parse(who.email);
  if (p.kind != Principal::Kind::user)
    fail(Errc::invalid_argument, "an identity is one user's e-mail address");
  return p.name;
}
}  // namespace

RacGrant LicenseServer::enroll(const Identity& who, const crypto::PublicKey* user_key) {
  std::string email = checked_user(who);
  auto& I = *impl_;
  I.sync_generations(Impl::Sync::periodic);
  std::shared_lock lock(I.mu);
  const Generation& g = I.current();
  RacGrant out;
  crypto::PublicKey pub;
  if (user_key) {
    pub = *user_key;
  } else {
    out.private_key = generate_key(g.slc.suite, I.be);
    pub = out.private_key.public_key();
  }
  Certificate c;
  c.type = CertificateType::rac;
  c.serial = detail::random_hex(I.be);
  c.suite = suite_of(pub);
  c.subject = email;
  Time now = I.clock.now();
  c.issued_at = c.valid_from = now;
  c.valid_until = now + days(I.settings().rac_validity_days);
  c.public_key = pub;
  out.rac_xml = detail::write_certificate(c, g.signer, I.be);
  c.issuer_key_id = g.signer.key_id;
  c.xml = out.rac_xml;
  out.rac = c;
  I.store.add_rac({c.serial, email, c.key_id(), c.issued_at, c.valid_until});
  return out;
}

RacGrant LicenseServer::renew(const Identity& who, std::string_view rac_xml, bool rotate_key,
                              const crypto::PrivateKey* current_key) {
  std::string email = checked_user(who);
  Certificate old = impl_->with_fresh_keys(
      [&] { return parse_certificate(rac_xml, impl_->anchors(), impl_->be); });
  if (old.type != CertificateType::rac) fail(Errc::invalid_argument, "expected a RAC to renew");
  if (old.subject != email) fail(Errc::no_right, "the RAC belongs to another user than " + email);
  RacGrant out;
  if (rotate_key) {
    out = enroll(who, nullptr);
  } else {
    out = enroll(who, &old.public_key);
    if (current_key) out.private_key = *current_key;
  }
  return out;
}

std::string LicenseServer::issue_clc(const Identity& who, std::string_view rac_xml) {
  std::string email = checked_user(who);
  auto& I = *impl_;
  I.sync_generations(Impl::Sync::periodic);
  auto rac = I.resolve_rac(rac_xml, email);
  Time now = I.clock.now();
  if (!rac->valid_at(now)) fail(Errc::rac_expired, "the RAC has lapsed: renew it first");
  std::shared_lock lock(I.mu);
  const Generation& g = I.current();
  auto key = generate_key(g.slc.suite, I.be);
  Certificate c;
  c.type = CertificateType::clc;
  c.serial = detail::random_hex(I.be);
  c.suite = g.slc.suite;
  c.subject = email;
  c.issued_at = c.valid_from = now;
  c.valid_until = now + days(I.settings().clc_validity_days);
  c.public_key = key.public_key();
  c.rac_key_id = rac->key_id();
  auto der = key.pkcs8_der();
  c.sealed_private_key = crypto::seal_to(I.be, rac->public_key, der,
                                         crypto::as_bytes("openrms-clc-key-v1|" + c.serial));
  return detail::write_certificate(c, g.signer, I.be);
}

Published LicenseServer::publish(const Identity& who, const PublishRequest& request,
                                 std::string_view rac_xml) {
  std::string issuer = checked_user(who);
  auto& I = *impl_;
  I.sync_generations(Impl::Sync::periodic);
  std::string template_name;
  std::string owner;
  if (!request.template_id.empty()) {
    auto t = I.store.get_template(request.template_id);
    if (!t) fail(Errc::not_found, "template '" + request.template_id + "' does not exist");
    if (t->archived)
      fail(Errc::invalid_argument, "template '" + t->name +
                                       "' is archived: it still protects old content but is not "
                                       "offered for new content");
    template_name = t->name;
    owner = t->policy.owner;
  } else if (request.policy) {
    owner = request.policy->owner;
  }
  if (!request.owner.empty()) owner = request.owner;
  owner = owner.empty() ? issuer : Principal::parse(owner).name;
  if (kind_of(owner) != Principal::Kind::user)
    fail(Errc::invalid_argument, "the owner is one user's e-mail address");
  std::shared_ptr<const Certificate> rac;
  if (!rac_xml.empty()) rac = I.resolve_rac(rac_xml, issuer);
  Published out;
  {
    std::shared_lock lock(I.mu);
    const Generation& g = I.current();
    out = detail::build_publishing_license(issuer, owner, request, template_name, g.slc, rac.get(),
                                           g.signer, nullptr, I.clock.now(), I.be);
  }
  ContentRecord rec{out.content_id,   issuer,        owner, request.template_id,
                    out.license_hash, I.clock.now(), {}};
  if (!I.store.add_content(rec))
    fail(Errc::invalid_argument, "content id '" + out.content_id + "' is already registered");
  return out;
}

std::string LicenseServer::acquire(const Identity& who, std::string_view pl_xml,
                                   std::string_view rac_xml) {
  std::string email = checked_user(who);
  auto& I = *impl_;
  I.sync_generations(Impl::Sync::periodic);
  auto entry = I.resolve(pl_xml);
  const PublishingLicense& pl = *entry->pl;
  auto rac = I.resolve_rac(rac_xml, email);
  Time now = I.clock.now();
  auto track = [&](const std::string& outcome, Rights rights, std::string license_id = {}) {
    I.store.add_tracking({now, email, pl.content_id, to_string(rights), lower(pl.issuer),
                          lower(pl.owner), outcome, std::move(license_id), 0});
  };
  ContentRecord rec;
  try {
    rec = I.record_of(pl, now);
  } catch (const Error& e) {
    track(std::string("refused: ") + std::string(to_string(e.code())), {});
    throw;
  }
  Role role = Impl::role_of(email, rec);
  if (!rac->valid_at(now)) {
    track("refused: rac_expired", {});
    fail(Errc::rac_expired, now < rac->valid_from
                                ? "the RAC of " + email + " is not valid yet (valid from " +
                                      format_time(rac->valid_from) +
                                      "): check the clocks of the client and the server"
                                : "the RAC of " + email + " expired on " +
                                      format_time(rac->valid_until) + ": renew it");
  }
  if (rec.revoked_at && role != Role::issuer) {
    track("refused: revoked", {});
    fail(Errc::revoked, "the issuer revoked this content on " + format_time(*rec.revoked_at));
  }
  Policy policy;
  if (pl.uses_template()) {
    try {
      policy = I.template_policy(pl.template_id);
    } catch (const Error& e) {
      track("refused: not_found", {});
      throw;
    }
  } else {
    policy = *entry->policy;
  }
  Rights rights =
      role == Role::user ? policy.rights_for(email, I.groups(email)) : Rights{Right::owner};
  if (rights.empty()) {
    track("refused: no_right", {});
    fail(Errc::no_right, email + " is not authorised to open this content");
  }
  std::optional<Time> expiry = policy.expiry.resolve(pl.issued_at);
  if (role == Role::user && expiry && now >= *expiry) {
    track("refused: expired", rights);
    fail(Errc::expired, "the content expired at " + format_time(*expiry));
  }
  UseLicense ul;
  ul.cacheable = true;
  if (role == Role::user) {
    int cap = I.settings().max_use_license_days;
    Time until = now + days(cap);
    switch (policy.offline.kind) {
      case OfflineAccess::Kind::always:
        break;
      case OfflineAccess::Kind::days:
        until = std::min(until, now + days(policy.offline.days));
        break;
      case OfflineAccess::Kind::never:
        ul.cacheable = false;
        until = now + kNoCacheWindow;
        break;
    }
    if (expiry) until = std::min(until, *expiry);
    ul.valid_until = until;
  }
  ul.id = detail::random_hex(I.be);
  ul.content_id = pl.content_id;
  ul.publishing_license = pl.hash;
  ul.user = email;
  ul.user_key_id = rac->key_id();
  ul.role = role;
  ul.rights = rights;
  ul.issued_at = now;
  ul.content_expiry = expiry;
  ul.issuer = rec.issuer;
  ul.owner = rec.owner;
  ul.app_data = policy.app_data;
  ul.sealed_content_key = crypto::seal_to(I.be, rac->public_key, entry->content_key,
                                          crypto::as_bytes(detail::aad_use(pl.content_id, email)));
  {
    std::shared_lock lock(I.mu);
    detail::write_use_license(ul, I.current().signer, I.be);
  }
  track("granted", rights, ul.id);
  return ul.xml;
}

Policy LicenseServer::view_policy(const Identity& who, std::string_view pl_xml) {
  std::string email = checked_user(who);
  auto& I = *impl_;
  auto entry = I.resolve(pl_xml);
  Policy policy =
      entry->pl->uses_template() ? I.template_policy(entry->pl->template_id) : *entry->policy;
  Role role = Impl::role_of(email, I.record_of(*entry->pl, I.clock.now()));
  if (role == Role::user && !policy.rights_for(email, I.groups(email)).has(Right::viewrightsdata))
    fail(Errc::no_right, email + " may not view this content's rights (needs VIEWRIGHTSDATA)");
  return policy;
}

void LicenseServer::revoke(const Identity& who, std::string_view content_id) {
  std::string email = checked_user(who);
  auto& I = *impl_;
  auto rec = I.store.get_content(std::string(content_id));
  if (!rec) fail(Errc::not_found, "no content with id '" + std::string(content_id) + "'");
  if (rec->issuer != email)
    fail(Errc::no_right, "only the issuer (" + rec->issuer + ") may revoke");
  Time now = I.clock.now();
  I.store.set_revoked(rec->content_id, now);
  I.store.add_tracking(
      {now, email, rec->content_id, "", rec->issuer, rec->owner, "revoked", "", 0});
}

void LicenseServer::visit_track(const Identity& who, std::string_view content_id,
                                std::int64_t after_seq, std::size_t limit,
                                const TrackingVisitor& visit) {
  std::string email = checked_user(who);
  auto& I = *impl_;
  auto rec = I.store.get_content(std::string(content_id));
  if (!rec) fail(Errc::not_found, "no content with id '" + std::string(content_id) + "'");
  if (rec->issuer != email)
    fail(Errc::no_right, "only the issuer (" + rec->issuer + ") may track this content");
  I.store.visit_tracking(rec->content_id, after_seq, limit, visit);
}

std::vector<TrackingEntry> LicenseServer::track(const Identity& who, std::string_view content_id,
                                                std::int64_t after_seq, std::size_t limit) {
  std::vector<TrackingEntry> out;
  visit_track(who, content_id, after_seq, limit,
              [&out](const TrackingRow& r) { out.push_back(r.entry()); });
  return out;
}

Template LicenseServer::create_template(std::string name, std::string description, Policy policy,
                                        std::string id) {
  auto& I = *impl_;
  if (name.empty()) fail(Errc::invalid_argument, "a template needs a name");
  if (id.empty()) id = new_content_id(I.be);
  if (I.store.get_template(id)) fail(Errc::invalid_argument, "template id '" + id + "' exists");
  Template t;
  t.id = id;
  t.name = std::move(name);
  t.description = std::move(description);
  t.policy = std::move(policy);
  t.created = t.updated = I.clock.now();
  I.store.put_template(t);
  return t;
}

Template LicenseServer::update_template(const std::string& id, std::optional<std::string> name,
                                        std::optional<std::string> description,
                                        std::optional<Policy> policy) {
  Template t = get_template(id);
  if (name) {
    if (name->empty()) fail(Errc::invalid_argument, "a template needs a name");
    t.name = std::move(*name);
  }
  if (description) t.description = std::move(*description);
  if (policy) t.policy = std::move(*policy);
  t.version += 1;
  t.updated = impl_->clock.now();
  impl_->store.put_template(t);
  return t;
}

void LicenseServer::archive_template(const std::string& id, bool archived) {
  Template t = get_template(id);
  t.archived = archived;
  t.updated = impl_->clock.now();
  impl_->store.put_template(t);
}

std::vector<Template> LicenseServer::templates(bool include_archived) {
  return impl_->store.list_templates(include_archived);
}

Template LicenseServer::get_template(const std::string& id) {
  auto t = impl_->store.get_template(id);
  if (!t) fail(Errc::not_found, "template '" + id + "' does not exist");
  return *t;
}

TenantSettings LicenseServer::settings() {
  return impl_->settings();
}

void LicenseServer::set_settings(const TenantSettings& s) {
  auto bad = [](const char* what) {
    fail(Errc::invalid_argument, std::string(what) + " must be between 1 and 36500 days");
  };
  if (s.max_use_license_days < 1 || s.max_use_license_days > 36500) bad("max use-license validity");
  if (s.rac_validity_days < 1 || s.rac_validity_days > 36500) bad("RAC validity");
  if (s.clc_validity_days < 1 || s.clc_validity_days > 36500) bad("CLC validity");
  auto& I = *impl_;
  std::lock_guard lock(I.settings_mu);
  I.store.set_setting("max_use_license_days", std::to_string(s.max_use_license_days));
  I.store.set_setting("rac_validity_days", std::to_string(s.rac_validity_days));
  I.store.set_setting("clc_validity_days", std::to_string(s.clc_validity_days));
  I.settings_cache = s;
  I.settings_read = std::chrono::steady_clock::now();
}

std::size_t LicenseServer::cached_keys() const {
  return impl_->keys.size();
}
void LicenseServer::clear_key_cache() {
  impl_->keys.clear();
  impl_->racs.clear();
}

}  // namespace openrms::licensing
