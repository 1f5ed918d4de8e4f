#include "server_access.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "openrms/error.hpp"
#include "openrms/formats/io.hpp"
#include "openrms/licensing/postgres_store.hpp"
#include "openrms/protect/profile.hpp"

namespace openrms::cli {

namespace fs = std::filesystem;
using namespace licensing;

std::string default_store() {
  return protect::default_store_path().string();
}

void add_store_options(CLI::App* c, StoreArgs& a) {
  c->add_option("--store", a.store,
                "The license server's store: an SQLite file (default: $OPENRMS_STORE or "
                "~/.local/share/openrms/store.db) or a PostgreSQL URI (postgresql://…)");
  c->add_option("--kek-file", a.kek,
                "The store's key-encryption key file (default for SQLite: the store path + .kek)");
  c->add_option("--pkcs11-module", a.pkcs11_module,
                "Server keys in a PKCS#11 token (an HSM): the module to load, e.g. "
                "/usr/lib/softhsm/libsofthsm2.so (default: $OPENRMS_PKCS11_MODULE)")
      ->group("Key custody");
  c->add_option("--pkcs11-token", a.pkcs11_token,
                "The token's label (default: $OPENRMS_PKCS11_TOKEN)")
      ->group("Key custody");
  c->add_option("--pkcs11-pin-file", a.pkcs11_pin_file,
                "File holding the token's user PIN, mode 0600 (default: "
                "$OPENRMS_PKCS11_PIN_FILE)")
      ->group("Key custody");
}

std::unique_ptr<KeyCustody> open_custody(const StoreArgs& a) {
  auto value = [](const std::string& given, const char* env_name) {
    if (!given.empty()) return given;
    const char* env = std::getenv(env_name);
    return std::string(env ? env : "");
  };
  const std::string module = value(a.pkcs11_module, "OPENRMS_PKCS11_MODULE");
  if (module.empty()) return nullptr;
  const std::string token = value(a.pkcs11_token, "OPENRMS_PKCS11_TOKEN");
  const std::string pin_file = value(a.pkcs11_pin_file, "OPENRMS_PKCS11_PIN_FILE");
  if (token.empty())
    fail(Errc::invalid_argument, "--pkcs11-module needs --pkcs11-token (the token's label)");
  if (pin_file.empty())
    fail(Errc::invalid_argument,
         "--pkcs11-module needs --pkcs11-pin-file (a file with the token's user PIN)");
  warn_if_exposed(pin_file, "the PKCS#11 PIN");
  crypto::Pkcs11Config c;
  c.module = module;
  c.token = token;
  std::string pin = read_text_file(pin_file);
  while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r')) pin.pop_back();
  c.pin.assign(pin.begin(), pin.end());
  std::fill(pin.begin(), pin.end(), '\0');
  return std::make_unique<Pkcs11Custody>(c);
}

void add_remote_options(CLI::App* c, StoreArgs& a) {
  c->add_option("--server", a.server,
                "A licensing service ('openrms serve') to use instead of the embedded store, "
                "e.g. https://rms.contoso.com (default: $OPENRMS_SERVER)");
  c->add_option("--token-file", a.token_file,
                "File holding the bearer token for --server (default: the token in "
                "$OPENRMS_TOKEN)");
  c->add_option("--ca-file", a.ca_file, "CA certificates to verify --server with (PEM)");
}

std::unique_ptr<protect::RemoteLicenseSource> connect(StoreArgs& a) {
  if (a.server.empty() && a.store.empty())
    if (const char* env = std::getenv("OPENRMS_SERVER"); env && *env) a.server = env;
  if (a.server.empty()) return nullptr;
  if (!a.store.empty()) fail(Errc::invalid_argument, "give either --server or --store, not both");
  protect::RemoteOptions o;
  o.url = a.server;
  o.http.ca_file = a.ca_file;
  if (!a.token_file.empty()) {
    warn_if_exposed(a.token_file, "the bearer token");
    o.token = read_text_file(a.token_file);
  } else if (const char* env = std::getenv("OPENRMS_TOKEN"); env && *env) {
    o.token = env;
  }
  while (!o.token.empty() && std::isspace(static_cast<unsigned char>(o.token.back())))
    o.token.pop_back();
  if (o.token.empty())
    fail(Errc::unauthenticated,
         "--server needs a bearer token: --token-file FILE or $OPENRMS_TOKEN");
  return std::make_unique<protect::RemoteLicenseSource>(std::move(o));
}

std::unique_ptr<Store> open_store(StoreArgs& a, bool create_kek, bool* created) {
  if (created) *created = false;
  if (a.store.empty()) a.store = default_store();
  if (is_postgres_uri(a.store)) {
    if (a.kek.empty())
      fail(Errc::invalid_argument,
           "a PostgreSQL store needs its key-encryption key file: pass --kek-file");
    if (create_kek && !fs::exists(a.kek)) {
      create_kek_file(a.kek);
      if (created) *created = true;
    }
    warn_if_exposed(a.kek, "the store's key-encryption key");
    return std::make_unique<PostgresStore>(a.store, load_kek_file(a.kek));
  }
  if (a.kek.empty()) a.kek = a.store + ".kek";
  if (create_kek) {
    create_private_dirs(fs::path(a.store).parent_path());
    if (!fs::exists(a.kek)) {
      if (fs::exists(a.store))
        fail(Errc::invalid_argument, "the store " + a.store + " exists but its key file " + a.kek +
                                         " does not: pass --kek-file");
      create_kek_file(a.kek);
      if (created) *created = true;
    }
  }
  warn_if_exposed(a.kek, "the store's key-encryption key");
  return std::make_unique<SqliteStore>(a.store, load_kek_file(a.kek));
}

Opened open_server(StoreArgs& a, bool must_exist, const Directory* directory) {
  if (a.store.empty()) a.store = default_store();
  if (must_exist && !is_postgres_uri(a.store) && !fs::exists(a.store))
    fail(Errc::not_found, "no license server store at " + a.store +
                              " (create one with 'openrms server init' or pass --store)");
  Opened o;
  o.store = open_store(a, false, nullptr);
  o.custody = open_custody(a);
  ServerOptions so;
  so.directory = directory;
  so.custody = o.custody.get();
  o.server = std::make_unique<LicenseServer>(*o.store, so);
  if (must_exist && !o.server->activated())
    fail(Errc::invalid_argument,
         "the store at " + a.store + " is not initialised: run 'openrms server init'");
  return o;
}

void warn_if_exposed(const fs::path& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return;
  std::fprintf(stderr,
               "openrms: warning: %s (%s) is accessible to other users (mode %03o): chmod 600 "
               "it\n",
               std::string(what).c_str(), path.c_str(), static_cast<unsigned>(st.st_mode & 0777));
}

void create_private_dirs(const fs::path& dir) {
  if (dir.empty() || fs::exists(dir)) return;
  create_private_dirs(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    fail(Errc::io, "cannot create the folder " + dir.string() + ": " + std::strerror(errno));
}

void write_text_file(const fs::path& path, std::string_view text) {
  formats::AtomicFileSink sink(path);
  sink.write(crypto::as_bytes(text));
  sink.commit();
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(Errc::io, "cannot read '" + path + "'");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (s.size() > (4u << 20)) fail(Errc::bad_format, path + " is too large for a license");
  return s;
}

}  // namespace openrms::cli
