#include "user_session.hpp"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli_common.hpp"
#include "openrms/error.hpp"
#include "openrms/protect/profile.hpp"
#include "password.hpp"

namespace openrms::cli {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace protect;

void add_user_options(CLI::App* c, UserArgs& a, bool required) {
  add_store_options(c, a);
  auto* o = c->add_option("--as", a.as,
                          "Act as this user (their e-mail); their RAC and key are read from "
                          "--dir as EMAIL.rac.xml and EMAIL.key.pem ('openrms user enroll')");
  if (required) o->required();
  c->add_option("--dir", a.dir, "Where the user's RAC and key are (default: current directory)");
  c->add_option("--license-cache", a.cache,
                "Use-license cache folder (default: --dir/EMAIL.licenses)");
  c->add_flag("--no-cache", a.no_cache, "Do not cache use licenses (always ask the server)");
  c->add_flag("--progress", a.progress, "Show progress (default: when stderr is a terminal)");
  c->add_flag("--json", a.json, "Print JSON (errors too: {\"error\": {\"code\", \"message\"}})");
  c->add_option("--passphrase-file", a.passphrase_file,
                "The passphrase of a key enrolled with one (first line; default: "
                "$OPENRMS_KEY_PASSPHRASE_FILE, else a prompt on the terminal)");
  add_remote_options(c, a);
}

namespace {

// The passphrase of a passphrase-protected key: --passphrase-file, $OPENRMS_KEY_PASSPHRASE_FILE,
// else a prompt on the terminal.
crypto::SecureString key_passphrase(std::string file, const std::string& who) {
  if (file.empty())
    if (const char* env = std::getenv("OPENRMS_KEY_PASSPHRASE_FILE"); env && *env) file = env;
  PasswordSource src;
  src.file = file;
  if (std::optional<crypto::SecureString> pass = read_password(src)) return std::move(*pass);
  if (!can_prompt())
    fail(Errc::wrong_password,
         "the private key of " + who + " is passphrase-protected: pass --passphrase-file");
  return prompt_password(("Passphrase for " + who + "'s key: ").c_str(), false);
}

}  // namespace

std::unique_ptr<Session> session(UserArgs& a, const std::string& label) {
  auto s = std::make_unique<Session>();
  s->remote = connect(a);
  if (s->remote) {
    s->source = s->remote.get();
  } else {
    s->opened = open_server(a);
    s->local = std::make_unique<LocalLicenseSource>(*s->opened.server);
    s->source = s->local.get();
  }
  if (a.as.empty()) return s;
  warn_if_exposed(protect::UserFiles::in(a.dir, a.as).key, "the private key of " + a.as);
  s->progress =
      std::make_unique<ProgressLine>(label, a.progress || ProgressLine::stderr_is_terminal());
  ProfileOptions o;
  o.source = s->source;
  o.user = a.as;
  o.dir = a.dir;
  o.cache_use_licenses = !a.no_cache;
  o.cache_dir = a.cache;
  o.ask_passphrase = [file = a.passphrase_file](const std::string& who) {
    return key_passphrase(file, who);
  };
  ProgressLine* pl = s->progress.get();
  o.client.progress = [pl](std::uint64_t d, std::uint64_t t) { (*pl)(d, t); };
  s->profile = std::make_unique<Profile>(std::move(o));
  s->client = &s->profile->client();
  return s;
}

MailConfig mail_config(Session& s) {
  MailConfig c;
  if (s.remote) {
    auto j = nlohmann::json::parse(s.remote->mail_client_settings(), nullptr, false);
    if (!j.is_object() || !j.contains("irm") || !j.contains("branding") || !j.contains("rules") ||
        !j["branding"].is_array())
      fail(Errc::bad_format, "the service's mail settings are malformed");
    c.irm = mail::irm_from_json(j["irm"].dump());
    for (const auto& b : j["branding"]) c.branding.push_back(mail::ome_from_json(b.dump()));
    c.rules = mail::rules_from_json(j["rules"].dump());
    return c;
  }
  mail::MailSettings settings(*s.opened.store);
  c.irm = settings.irm();
  c.branding = settings.branding();
  c.rules = settings.rules();
  return c;
}

void print(const json& j, bool as_json) {
  if (as_json)
    std::cout << j.dump(2) << "\n";
  else
    print_table(j, 20);
}

}  // namespace openrms::cli
