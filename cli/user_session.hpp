// The user a command acts for (--as EMAIL --dir DIR: their RAC and key from 'openrms user
// enroll'), the embedded server behind it, and a protect::Client for them — shared by the
// protect and mail commands.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "openrms/protect/mail_rules.hpp"
#include "openrms/protect/mail_settings.hpp"
#include "openrms/protect/profile.hpp"
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
/// $OPENRMS_KEY_PASSPHRASE_FILE), and --server/--token-file/--ca-file.
void add_user_options(CLI::App* c, UserArgs& a, bool required = true);

struct Session {
  Opened opened;                                         ///< empty with --server
  std::unique_ptr<protect::RemoteLicenseSource> remote;  ///< with --server
  std::unique_ptr<protect::LocalLicenseSource> local;
  protect::LicenseSource* source = nullptr;  ///< remote or local
  std::unique_ptr<ProgressLine> progress;
  std::unique_ptr<protect::Profile> profile;  ///< the user's credentials over `source`, with --as
  protect::Client* client = nullptr;          ///< the profile's; null without --as
};

/// Opens the server and, with --as, the user's client. not_found without RAC/key files.
std::unique_ptr<Session> session(UserArgs& a, const std::string& label);

/// The tenant's mail settings a mail client applies: from the store, or from the service.
struct MailConfig {
  protect::mail::IrmConfiguration irm;
  std::vector<protect::mail::OmeConfiguration> branding;
  std::vector<protect::mail::Rule> rules;
};
MailConfig mail_config(Session& s);

/// Prints `j` as JSON or as an aligned table.
void print(const nlohmann::ordered_json& j, bool as_json);

}  // namespace openrms::cli
