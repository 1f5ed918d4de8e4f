#include "openrms/protect/profile.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "openrms/error.hpp"
#include "openrms/licensing/store.hpp"
#include "openrms/protect/remote_source.hpp"

namespace openrms::protect {

namespace fs = std::filesystem;

fs::path default_store_path() {
  if (const char* s = std::getenv("OPENRMS_STORE"); s && *s) return s;
  fs::path base;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x)
    base = x;
  else if (const char* h = std::getenv("HOME"); h && *h)
    base = fs::path(h) / ".local/share";
  else
    base = ".";
  return base / "openrms" / "store.db";
}

UserFiles UserFiles::in(const fs::path& dir, std::string_view email) {
  const std::string e(email);
  const licensing::Principal p = licensing::Principal::parse(e);
  bool plain = p.kind == licensing::Principal::Kind::user && !e.empty() && e[0] != '.' &&
               e.find_first_of("/\\") == std::string::npos && fs::path(e).filename() == fs::path(e);
  for (const char c : e) plain = plain && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
  if (!plain)
    fail(Errc::invalid_argument,
         "'" + e.substr(0, 80) + "' is not one user's e-mail address usable as a file name");
  return {dir / (e + ".rac.xml"), dir / (e + ".key.pem"), dir / (e + ".licenses")};
}

namespace {

bool passphrase_protected(std::string_view pem) {
  return pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos;
}

}  // namespace

crypto::PrivateKey load_user_key(std::string_view pem, std::optional<std::string_view> passphrase) {
  const auto& be = crypto::default_backend();
  if (!passphrase_protected(pem)) return be.load_private_key(crypto::as_bytes(pem));
  if (!passphrase)
    fail(Errc::wrong_password, "the private key is protected with a passphrase: give it");
  return be.load_encrypted_private_key(crypto::as_bytes(pem), *passphrase);
}

namespace {

// A credential file (RAC or key), at most 4 MiB, in wiping memory.
crypto::SecureString read_credential(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(Errc::io, "cannot read " + path.string());
  crypto::SecureString s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (s.size() > (4u << 20)) fail(Errc::bad_format, path.string() + " is too large");
  return s;
}

}  // namespace

struct Profile::Impl {
  std::unique_ptr<licensing::Store> store;
  std::unique_ptr<licensing::LicenseServer> server;
  std::unique_ptr<LicenseSource> own_source;
  LicenseSource* source = nullptr;  // own_source, or the caller's
  std::unique_ptr<UseLicenseCache> cache;
  std::unique_ptr<Client> client;
};

Profile::Profile(ProfileOptions o) : impl_(std::make_unique<Impl>()) {
  if (o.source) {
    if (!o.store.empty() || !o.server_url.empty())
      fail(Errc::invalid_argument, "give a license source, or a store or server to open, not both");
    impl_->source = o.source;
  } else if (!o.server_url.empty()) {
    if (!o.store.empty()) fail(Errc::invalid_argument, "give either a store or a server, not both");
    if (o.token.empty()) fail(Errc::unauthenticated, "a licensing service needs a bearer token");
    RemoteOptions r;
    r.url = o.server_url;
    r.token = o.token;
    r.http.ca_file = o.ca_file;
    impl_->own_source = std::make_unique<RemoteLicenseSource>(std::move(r));
    impl_->source = impl_->own_source.get();
  } else {
    const fs::path store = o.store.empty() ? default_store_path() : o.store;
    if (!fs::exists(store))
      fail(Errc::not_found, "no license server store at " + store.string() +
                                " (create one with 'openrms server init')");
    const fs::path kek = o.kek_file.empty() ? fs::path(store.string() + ".kek") : o.kek_file;
    impl_->store =
        std::make_unique<licensing::SqliteStore>(store.string(), licensing::load_kek_file(kek));
    impl_->server = std::make_unique<licensing::LicenseServer>(*impl_->store);
    if (!impl_->server->activated())
      fail(Errc::invalid_argument,
           "the store at " + store.string() + " is not initialised: run 'openrms server init'");
    impl_->own_source = std::make_unique<LocalLicenseSource>(*impl_->server);
    impl_->source = impl_->own_source.get();
  }
  if (o.user.empty()) return;
  const UserFiles files = UserFiles::in(o.dir, o.user);
  if (!fs::exists(files.rac) || !fs::exists(files.key))
    fail(Errc::not_found, "no RAC/key for " + o.user + " in " + o.dir.string() +
                              " (enrol with 'openrms user enroll " + o.user + "')");
  const crypto::SecureString pem = read_credential(files.key);
  const crypto::SecureString rac = read_credential(files.rac);
  if (!o.key_passphrase && o.ask_passphrase && passphrase_protected(pem))
    o.key_passphrase = o.ask_passphrase(o.user);
  const std::optional<std::string_view> pass =
      o.key_passphrase ? std::optional<std::string_view>(*o.key_passphrase) : std::nullopt;
  User user{{o.user}, std::string(rac), load_user_key(pem, pass)};
  ClientOptions co = std::move(o.client);
  if (o.cache_use_licenses) {
    impl_->cache = std::make_unique<DirectoryUseLicenseCache>(o.cache_dir.empty() ? files.licenses
                                                                                  : o.cache_dir);
    co.cache = impl_->cache.get();
  }
  impl_->client = std::make_unique<Client>(*impl_->source, std::move(user), std::move(co));
}

Profile::~Profile() = default;

LicenseSource& Profile::source() noexcept {
  return *impl_->source;
}

Client& Profile::client() {
  if (!impl_->client) fail(Errc::invalid_argument, "this needs a user: open the profile with one");
  return *impl_->client;
}

bool Profile::has_user() const noexcept {
  return impl_->client != nullptr;
}

licensing::LicenseServer* Profile::server() noexcept {
  return impl_->server.get();
}

std::string inspection_json(const Inspection& x) {
  nlohmann::ordered_json j;
  j["container"] = std::string(to_string(x.container));
  j["content_id"] = x.content_id;
  j["issuer"] = x.issuer;
  j["owner"] = x.owner;
  if (!x.template_id.empty()) {
    j["template_id"] = x.template_id;
    j["template_name"] = x.template_name;
  } else {
    j["policy"] = "ad-hoc (sealed to the server)";
  }
  j["issued_at"] = licensing::format_time(x.issued_at);
  j["published"] = x.published_offline ? "offline (CLC)" : "by the server";
  j["license_url"] = x.license_url;
  if (!x.original_extension.empty()) j["original_extension"] = x.original_extension;
  if (x.size) j["size"] = *x.size;
  j["integrity"] = x.integrity;
  if (x.policy) {
    auto& grants = j["grants"] = nlohmann::ordered_json::array();
    for (const auto& g : x.policy->grants)
      grants.push_back(g.who.to_string() + ": " + licensing::to_string(g.rights));
    j["content_expiry"] = licensing::to_string(x.policy->expiry);
    j["offline_access"] = licensing::to_string(x.policy->offline);
  }
  return j.dump();
}

std::string decision_json(const Document& d) {
  const auto& x = d.decision();
  nlohmann::ordered_json j;
  j["user"] = x.user;
  j["role"] = std::string(licensing::to_string(x.role));
  j["rights"] = licensing::to_string(x.rights);
  j["content_expiry"] = x.content_expiry ? licensing::format_time(*x.content_expiry) : "never";
  j["license_valid_until"] = x.valid_until ? licensing::format_time(*x.valid_until) : "no limit";
  j["license_from"] = d.from_cache()                      ? "cache (offline)"
                      : x.role == licensing::Role::issuer ? "owner license (offline)"
                                                          : "license server";
  return j.dump();
}

}  // namespace openrms::protect
