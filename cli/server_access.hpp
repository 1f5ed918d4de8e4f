// Access to the embedded license server from the command line: the --store/--kek-file options
// shared by every command that needs the server, and small file helpers.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "openrms/licensing/server.hpp"

namespace openrms::cli {

/// $OPENRMS_STORE, else $XDG_DATA_HOME/openrms/store.db, else ~/.local/share/openrms/store.db.
std::string default_store();

struct StoreArgs {
  std::string store, kek;
  bool json = false;
};

void add_store_options(CLI::App* c, StoreArgs& a);

struct Opened {
  std::unique_ptr<licensing::SqliteStore> store;
  std::unique_ptr<licensing::LicenseServer> server;
};

/// Opens the store and its server. not_found if there is no store (and must_exist), or
/// invalid_argument if it was never initialised.
Opened open_server(StoreArgs& a, bool must_exist = true);

/// Writes a file atomically (mode 0600).
void write_text_file(const std::filesystem::path& path, std::string_view text);
/// Reads a license/certificate/key file (at most 4 MiB).
std::string read_text_file(const std::string& path);

}  // namespace openrms::cli
