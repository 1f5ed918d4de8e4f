// The user a command acts for (--as EMAIL --dir DIR: their RAC and key from 'openrms user
// enroll'), the embedded server behind it, and a protect::Client for them — shared by the
// protect and mail commands.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "openrms/protect/protect.hpp"
#include "progress.hpp"
#include "server_access.hpp"

namespace openrms::cli {

struct UserArgs : StoreArgs {
  std::string as, dir = ".", cache, passphrase_file;
  bool no_cache = false, progress = false;
};

/// --store/--kek-file, --as (required unless !required), --dir, --license-cache, --no-cache,
/// --progress, --passphrase-file (for a key enrolled with a passphrase; else the prompt, or
/// $OPENRMS_KEY_PASSPHRASE_FILE).
void add_user_options(CLI::App* c, UserArgs& a, bool required = true);

struct Session {
  Opened opened;
  std::unique_ptr<protect::LocalLicenseSource> source;
  std::unique_ptr<protect::DirectoryUseLicenseCache> cache;
  std::unique_ptr<ProgressLine> progress;
  std::unique_ptr<protect::Client> client;  ///< null without --as
};

/// Opens the server and, with --as, the user's client. not_found without RAC/key files.
std::unique_ptr<Session> session(UserArgs& a, const std::string& label);

/// Prints `j` as JSON or as an aligned table.
void print(const nlohmann::ordered_json& j, bool as_json);

}  // namespace openrms::cli
