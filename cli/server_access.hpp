// Access to the license server from the command line: the embedded one (--store/--kek-file,
// shared by every command that needs the server) or a licensing service (--server,
// --token-file), and small file helpers.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "openrms/licensing/key_custody.hpp"
#include "openrms/licensing/server.hpp"
#include "openrms/protect/remote_source.hpp"

namespace openrms::cli {

/// $OPENRMS_STORE, else $XDG_DATA_HOME/openrms/store.db, else ~/.local/share/openrms/store.db.
std::string default_store();

struct StoreArgs {
  std::string store, kek;
  bool json = false;
  std::string server, token_file, ca_file;  ///< a licensing service instead of the store
  /// Server keys in a PKCS#11 token: the module, the token's label, a file holding the PIN.
  std::string pkcs11_module, pkcs11_token, pkcs11_pin_file;
};

void add_store_options(CLI::App* c, StoreArgs& a);
/// --server URL (default $OPENRMS_SERVER), --token-file F (default: the token in
/// $OPENRMS_TOKEN), --ca-file F: use a licensing service instead of the embedded store.
void add_remote_options(CLI::App* c, StoreArgs& a);
/// The licensing service the options name, or null when the command runs on the embedded
/// store. Error{unauthenticated} without a token; otherwise fails as RemoteLicenseSource does.
std::unique_ptr<protect::RemoteLicenseSource> connect(StoreArgs& a);

/// The store --store names: an SQLite file, or PostgreSQL for a postgresql:// URI (which needs
/// --kek-file). `create_kek` (server init) makes a missing KEK file (`created` says whether it
/// did) and the store's folder.
std::unique_ptr<licensing::Store> open_store(StoreArgs& a, bool create_kek, bool* created);

/// The PKCS#11 token the options name (logged in), or null without --pkcs11-module.
/// invalid_argument when --pkcs11-token or --pkcs11-pin-file is missing; else as Pkcs11Custody.
std::unique_ptr<licensing::KeyCustody> open_custody(const StoreArgs& a);

struct Opened {
  std::unique_ptr<licensing::Store> store;
  std::unique_ptr<licensing::KeyCustody> custody;  ///< outlives the server (declared first)
  std::unique_ptr<licensing::LicenseServer> server;
};

/// Opens the store and its server (group membership from `directory`, which must outlive it).
/// not_found if there is no store (and must_exist), or invalid_argument if it was never
/// initialised.
Opened open_server(StoreArgs& a, bool must_exist = true,
                   const licensing::Directory* directory = nullptr);

/// Prints a warning on stderr when a secret file (a private key, the KEK) is readable or
/// writable by other users.
void warn_if_exposed(const std::filesystem::path& path, std::string_view what);
/// Creates `dir` and any missing parents; the folders it creates are 0700.
void create_private_dirs(const std::filesystem::path& dir);
/// Writes a file atomically (mode 0600).
void write_text_file(const std::filesystem::path& path, std::string_view text);
/// Reads a license/certificate/key file (at most 4 MiB).
std::string read_text_file(const std::string& path);

}  // namespace openrms::cli
