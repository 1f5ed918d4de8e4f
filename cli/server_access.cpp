#include "server_access.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "openrms/error.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::cli {

namespace fs = std::filesystem;
using namespace licensing;

std::string default_store() {
  if (const char* s = std::getenv("OPENRMS_STORE"); s && *s) return s;
  fs::path base;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x)
    base = x;
  else if (const char* h = std::getenv("HOME"); h && *h)
    base = fs::path(h) / ".local/share";
  else
    base = ".";
  return (base / "openrms" / "store.db").string();
}

void add_store_options(CLI::App* c, StoreArgs& a) {
  c->add_option("--store", a.store,
                "The license server's SQLite store (default: $OPENRMS_STORE or "
                "~/.local/share/openrms/store.db)");
  c->add_option("--kek-file", a.kek,
                "The store's key-encryption key file (default: the store path + .kek)");
}

Opened open_server(StoreArgs& a, bool must_exist) {
  if (a.store.empty()) a.store = default_store();
  if (a.kek.empty()) a.kek = a.store + ".kek";
  if (must_exist && !fs::exists(a.store))
    fail(Errc::not_found, "no license server store at " + a.store +
                              " (create one with 'openrms server init' or pass --store)");
  Opened o;
  o.store = std::make_unique<SqliteStore>(a.store, load_kek_file(a.kek));
  o.server = std::make_unique<LicenseServer>(*o.store);
  if (must_exist && !o.server->activated())
    fail(Errc::invalid_argument,
         "the store at " + a.store + " is not initialised: run 'openrms server init'");
  return o;
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
