#include "licensing_cmd.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "cli_common.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/io.hpp"
#include "openrms/licensing/server.hpp"
#include "openrms/protect/profile.hpp"
#include "password.hpp"
#include "server_access.hpp"

namespace openrms::cli {

namespace {
// The name of the document's root element (after the XML declaration, comments and blanks):
// what kind of license a file holds, whatever text its elements contain.
std::string root_element(std::string_view xml) {
  std::size_t at = 0;
  while (at < xml.size()) {
    at = xml.find('<', at);
    if (at == std::string_view::npos) return {};
    if (xml.compare(at, 2, "<?") == 0) {
      at = xml.find("?>", at);
    } else if (xml.compare(at, 4, "<!--") == 0) {
      at = xml.find("-->", at);
    } else {
      std::size_t end = xml.find_first_of(" \t\r\n/>", at + 1);
      return std::string(xml.substr(at + 1, end == std::string_view::npos ? 0 : end - at - 1));
    }
    if (at == std::string_view::npos) return {};
    ++at;
  }
  return {};
}
}  // namespace
namespace {

namespace fs = std::filesystem;
using namespace licensing;
using json = nlohmann::ordered_json;

json cert_json(const Certificate& c) {
  json j;
  j["type"] = to_string(c.type);
  j["subject"] = c.subject;
  j["serial"] = c.serial;
  j["suite"] = to_string(c.suite);
  j["key_id"] = c.key_id();
  j["issuer_key_id"] = c.issuer_key_id;
  j["issued_at"] = format_time(c.issued_at);
  j["valid_from"] = format_time(c.valid_from);
  j["valid_until"] = format_time(c.valid_until);
  if (c.type == CertificateType::slc) {
    j["generation"] = c.generation;
    j["sealing_key_id"] = key_id(c.sealing_key);
    j["license_url"] = c.license_url;
  }
  if (c.type == CertificateType::clc) j["rac_key_id"] = c.rac_key_id;
  return j;
}

json template_json(const Template& t) {
  json j;
  j["id"] = t.id;
  j["name"] = t.name;
  j["description"] = t.description;
  j["archived"] = t.archived;
  j["version"] = t.version;
  j["updated"] = format_time(t.updated);
  json grants = json::array();
  for (const auto& g : t.policy.grants)
    grants.push_back(g.who.to_string() + ": " + to_string(g.rights));
  j["grants"] = grants;
  j["content_expiry"] = to_string(t.policy.expiry);
  j["offline_access"] = to_string(t.policy.offline);
  if (!t.policy.owner.empty()) j["owner"] = t.policy.owner;
  return j;
}

void print(const json& j, bool as_json) {
  if (as_json)
    std::cout << j.dump(2) << "\n";
  else
    print_table(j, 16);
}

// ---- server ----
void add_server(CLI::App& app) {
  auto* server =
      app.add_subcommand("server", "Initialise and administer the embedded license server");
  server->require_subcommand(1);

  struct InitArgs : StoreArgs {
    std::string suite = "ecdsa-p256", name = "openrms", url = "openrms://localhost";
    licensing::CustodyKeys held;
  };
  // The labels of key pairs made in the PKCS#11 token beforehand, for a new generation.
  auto add_held_keys = [](CLI::App* cmd, licensing::CustodyKeys& k) {
    cmd->add_option("--signing-key", k.signing_label,
                    "Label of an ECDSA P-256 key pair in the PKCS#11 token that signs this "
                    "generation's certificates and licenses (made with e.g. pkcs11-tool "
                    "--keypairgen --key-type EC:prime256v1)")
        ->group("Key custody");
    cmd->add_option("--sealing-key", k.sealing_label,
                    "Label of another P-256 key pair in the token that unseals content keys "
                    "(ECDH)")
        ->group("Key custody");
  };
  auto held_keys = [](const StoreArgs& a, const licensing::CustodyKeys& k) {
    const bool named = !k.signing_label.empty() || !k.sealing_label.empty();
    if (named && (k.signing_label.empty() || k.sealing_label.empty()))
      fail(Errc::invalid_argument, "give both --signing-key and --sealing-key");
    if (named && a.pkcs11_module.empty() && !std::getenv("OPENRMS_PKCS11_MODULE"))
      fail(Errc::invalid_argument,
           "--signing-key/--sealing-key name keys in a PKCS#11 token: "
           "give --pkcs11-module, --pkcs11-token and --pkcs11-pin-file");
    return named;
  };
  auto init = std::make_shared<InitArgs>();
  auto* c = server->add_subcommand(
      "init", "Create the store, its key-encryption key and the server licensor certificate (SLC)");
  add_store_options(c, *init);
  c->add_option("--suite", init->suite, "Key suite: ecdsa-p256 (default) or rsa-3072")
      ->check(CLI::IsMember({"ecdsa-p256", "rsa-3072"}));
  c->add_option("--name", init->name, "Server name (the SLC's subject)");
  c->add_option("--url", init->url, "License acquisition URL written into licenses");
  c->add_flag("--json", init->json, "Print JSON");
  add_held_keys(c, init->held);
  c->callback([init, held_keys] {
    auto& a = *init;
    const bool in_token = held_keys(a, a.held);
    bool created_kek = false;
    auto store = open_store(a, true, &created_kek);
    auto custody = open_custody(a);
    ServerOptions o;
    o.name = a.name;
    o.license_url = a.url;
    o.suite = *parse_suite(a.suite);
    o.custody = custody.get();
    LicenseServer srv(*store, o);
    bool existed = srv.activated();
    const Certificate& slc = in_token ? srv.activate(a.held) : srv.activate();
    json j = cert_json(slc);
    j["store"] = a.store;
    j["kek_file"] = a.kek;
    if (!a.json) {
      std::cout << (existed ? "The server was already initialised.\n"
                            : "License server initialised.\n");
      if (created_kek)
        std::cout << "Key-encryption key written to " << a.kek
                  << " (mode 0600): back it up; without it the server keys cannot be read.\n";
    }
    print(j, a.json);
  });

  auto info = std::make_shared<StoreArgs>();
  c = server->add_subcommand(
      "info", "Show the server's certificates (every key generation) and tenant settings");
  add_store_options(c, *info);
  c->add_flag("--json", info->json, "Print JSON");
  c->callback([info] {
    auto o = open_server(*info);
    json j;
    j["store"] = info->store;
    json gens = json::array();
    for (const auto& slc : o.server->anchors().all()) gens.push_back(cert_json(slc));
    auto s = o.server->settings();
    j["max_use_license_days"] = s.max_use_license_days;
    j["rac_validity_days"] = s.rac_validity_days;
    j["clc_validity_days"] = s.clc_validity_days;
    if (info->json) {
      j["generations"] = gens;
      std::cout << j.dump(2) << "\n";
    } else {
      print_table(j, 22);
      for (const auto& g : gens) {
        std::cout << "\n";
        print_table(g, 16);
      }
    }
  });

  auto rotate = std::make_shared<InitArgs>();
  c = server->add_subcommand("rotate-keys",
                             "Start a new key generation (old keys stay to honour old content)");
  add_store_options(c, *rotate);
  add_held_keys(c, rotate->held);
  c->callback([rotate, held_keys] {
    const bool in_token = held_keys(*rotate, rotate->held);
    auto o = open_server(*rotate);
    auto slc = in_token ? o.server->rotate_keys(rotate->held) : o.server->rotate_keys();
    std::cout << "Key generation " << slc.generation << " is now current (signing key "
              << slc.key_id() << ").\n";
  });

  struct SettingsArgs : StoreArgs {
    std::optional<int> max_ul, rac, clc;
  };
  auto set = std::make_shared<SettingsArgs>();
  c = server->add_subcommand("settings", "Change tenant settings");
  add_store_options(c, *set);
  c->add_option("--max-use-license-days", set->max_ul,
                "Maximum use-license validity (offline access), default 30")
      ->check(CLI::Range(1, 36500));
  c->add_option("--rac-days", set->rac, "RAC validity, default 31")->check(CLI::Range(1, 36500));
  c->add_option("--clc-days", set->clc, "CLC validity, default 31")->check(CLI::Range(1, 36500));
  c->callback([set] {
    auto o = open_server(*set);
    auto s = o.server->settings();
    if (set->max_ul) s.max_use_license_days = *set->max_ul;
    if (set->rac) s.rac_validity_days = *set->rac;
    if (set->clc) s.clc_validity_days = *set->clc;
    o.server->set_settings(s);
    std::cout << "max use-license validity " << s.max_use_license_days << " days, RAC "
              << s.rac_validity_days << " days, CLC " << s.clc_validity_days << " days\n";
  });
}

// ---- user ----
void add_user(CLI::App& app) {
  auto* user =
      app.add_subcommand("user", "Enrol users: issue and renew Rights Account Certificates (RACs)");
  user->require_subcommand(1);
  struct EnrollArgs : StoreArgs {
    std::string email, dir = ".", rac, key, passphrase_file;
    bool rotate = false, force = false, passphrase = false;
  };
  // The user's key as PEM: encrypted (PKCS#8 PBES2) when a passphrase is asked for.
  auto key_pem = [](const crypto::PrivateKey& k, const EnrollArgs& a) {
    if (a.passphrase_file.empty() && !a.passphrase) return k.pkcs8_pem();
    PasswordSource src;
    src.file = a.passphrase_file;
    std::optional<crypto::SecureString> pass = read_password(src);
    if (!pass) pass = prompt_password("Passphrase for the new key: ", true);
    return crypto::default_backend().encrypt_private_key(k, std::string_view(*pass));
  };
  auto add_passphrase_options = [](CLI::App* c, EnrollArgs& a) {
    c->add_option("--passphrase-file", a.passphrase_file,
                  "Encrypt the private key with this passphrase (first line of the file; "
                  "PKCS#8 PBES2, AES-256, PBKDF2-SHA256 x 600,000)");
    c->add_flag("--passphrase", a.passphrase, "Encrypt the private key; prompt for the passphrase");
  };
  auto en = std::make_shared<EnrollArgs>();
  auto* c = user->add_subcommand(
      "enroll", "Issue a RAC and key pair; writes EMAIL.rac.xml and EMAIL.key.pem (mode 0600)");
  add_store_options(c, *en);
  c->add_option("email", en->email, "The user's e-mail address (authenticated by you)")->required();
  c->add_option("--dir", en->dir, "Where to write the files (default: current directory)");
  c->add_flag("--force", en->force, "Overwrite existing files");
  c->add_flag("--json", en->json, "Print JSON");
  add_passphrase_options(c, *en);
  add_remote_options(c, *en);
  c->callback([en, key_pem] {
    fs::path rac = protect::UserFiles::in(en->dir, en->email).rac;
    fs::path key = protect::UserFiles::in(en->dir, en->email).key;
    for (const auto& p : {rac, key})
      if (fs::exists(p) && !en->force)
        fail(Errc::invalid_argument, p.string() + " exists; use --force");
    RacGrant g;
    if (auto remote = connect(*en)) {
      // The key pair is made here; only its public half goes to the service.
      g.private_key = crypto::default_backend().generate_key(crypto::KeyType::ec_p256);
      g.rac_xml = remote->enroll(g.private_key.public_key().spki_pem());
      g.rac = parse_certificate(g.rac_xml, remote->anchors());
      if (g.rac.subject != Principal::parse(en->email).name)
        fail(Errc::invalid_argument, "the token is for " + g.rac.subject + ", not " + en->email);
    } else {
      g = open_server(*en).server->enroll({en->email});
    }
    auto pem = key_pem(g.private_key, *en);
    write_text_file(key, std::string_view(pem.data(), pem.size()));
    write_text_file(rac, g.rac_xml);
    json j;
    j["user"] = g.rac.subject;
    j["valid_until"] = format_time(g.rac.valid_until);
    j["rac"] = rac.string();
    j["key"] = key.string();
    j["key_encrypted"] = !en->passphrase_file.empty() || en->passphrase;
    if (!en->json) std::cout << "RAC issued; keep the private key on the user's device.\n";
    print(j, en->json);
  });

  auto rn = std::make_shared<EnrollArgs>();
  c = user->add_subcommand("renew", "Renew a RAC (same key pair unless --rotate-key)");
  add_store_options(c, *rn);
  c->add_option("email", rn->email, "The user's e-mail address")->required();
  c->add_option("--rac", rn->rac, "Current RAC (default: EMAIL.rac.xml in --dir)");
  c->add_option("--dir", rn->dir, "Where the RAC is and the renewed files go");
  c->add_flag("--rotate-key", rn->rotate,
              "Issue a fresh key pair (old content stays readable only with the old key)");
  add_passphrase_options(c, *rn);
  c->add_flag("--json", rn->json, "Print JSON");
  add_remote_options(c, *rn);
  c->callback([rn, key_pem] {
    fs::path rac =
        rn->rac.empty() ? protect::UserFiles::in(rn->dir, rn->email).rac : fs::path(rn->rac);
    RacGrant g;
    if (auto remote = connect(*rn)) {
      if (rn->rotate) {
        // A fresh key pair is a new enrolment with the service.
        g.private_key = crypto::default_backend().generate_key(crypto::KeyType::ec_p256);
        g.rac_xml = remote->enroll(g.private_key.public_key().spki_pem());
      } else {
        g.rac_xml = remote->renew(read_text_file(rac.string()));
      }
      g.rac = parse_certificate(g.rac_xml, remote->anchors());
    } else {
      g = open_server(*rn).server->renew({rn->email}, read_text_file(rac.string()), rn->rotate);
    }
    if (rn->rotate) {
      auto pem = key_pem(g.private_key, *rn);
      write_text_file(protect::UserFiles::in(rn->dir, rn->email).key,
                      std::string_view(pem.data(), pem.size()));
    }
    write_text_file(rac, g.rac_xml);
    json j;
    j["user"] = g.rac.subject;
    j["valid_until"] = format_time(g.rac.valid_until);
    j["rac"] = rac.string();
    j["new_key_pair"] = rn->rotate;
    print(j, rn->json);
  });
}

// ---- template ----

// Templates in the embedded store, or with --server through the service's admin routes (the
// token needs the admin role; listing without --all is open to every user).
class Templates {
 public:
  explicit Templates(StoreArgs& a) : remote_(connect(a)) {
    if (!remote_) opened_ = open_server(a);
  }
  Template create(const std::string& name, const std::string& description, const Policy& p,
                  const std::string& id) {
    return remote_ ? remote_->create_template(name, description, p, id)
                   : opened_.server->create_template(name, description, p, id);
  }
  Template get(const std::string& id) {
    return remote_ ? remote_->admin_template(id) : opened_.server->get_template(id);
  }
  Template update(const std::string& id, std::optional<std::string> name,
                  std::optional<std::string> description, std::optional<Policy> p) {
    return remote_ ? remote_->update_template(id, name, description, p)
                   : opened_.server->update_template(id, name, description, p);
  }
  void archive(const std::string& id, bool archived) {
    if (remote_)
      remote_->update_template(id, std::nullopt, std::nullopt, std::nullopt, archived);
    else
      opened_.server->archive_template(id, archived);
  }
  std::vector<Template> list(bool all) {
    if (!remote_) return opened_.server->templates(all);
    return all ? remote_->admin_templates() : remote_->templates();
  }
  bool remote() const { return remote_ != nullptr; }

 private:
  std::unique_ptr<protect::RemoteLicenseSource> remote_;
  Opened opened_;
};

void add_template(CLI::App& app) {
  auto* tpl =
      app.add_subcommand("template", "Manage protection templates (named server-side policies)");
  tpl->require_subcommand(1);
  struct AddArgs : StoreArgs {
    std::string name, description, id, expiry = "never", offline = "always", owner;
    std::vector<std::string> grants;
  };
  auto add = std::make_shared<AddArgs>();
  auto* c = tpl->add_subcommand("add", "Create a template");
  add_store_options(c, *add);
  c->add_option("name", add->name, "Template name")->required();
  c->add_option("-g,--grant", add->grants,
                "PRINCIPAL:RIGHTS, repeatable. Principals: user@domain, group:g@domain, "
                "@domain, everyone. Rights: names (VIEW, EDIT, PRINT, Copy, 'Full Control'…) or "
                "levels (Viewer, Restricted Editor, Editor, Co-Owner), comma-separated")
      ->required();
  c->add_option("--description", add->description, "Description shown to users");
  c->add_option("--expiry", add->expiry,
                "Content expiry: never, N days (30d) or a date (2027-01-31)");
  c->add_option("--offline", add->offline, "Offline access: always, never or N days");
  c->add_option("--owner", add->owner, "Owner of content protected with it (default: the issuer)");
  c->add_option("--id", add->id, "Template id (default: a new UUID)");
  c->add_flag("--json", add->json, "Print JSON");
  add_remote_options(c, *add);
  c->callback([add] {
    Templates templates(*add);
    Policy p;
    for (const auto& g : add->grants) p.grants.push_back(parse_grant(g));
    p.expiry = parse_expiry(add->expiry);
    p.offline = parse_offline(add->offline);
    if (!add->owner.empty()) p.owner = Principal::parse(add->owner).name;
    for (const auto& w : lint(p, system_clock().now()))
      std::cerr << "openrms: warning: " << w << "\n";
    auto t = templates.create(add->name, add->description, p, add->id);
    print(template_json(t), add->json);
  });

  struct ListArgs : StoreArgs {
    bool all = false;
  };
  auto list = std::make_shared<ListArgs>();
  c = tpl->add_subcommand("list", "List templates");
  add_store_options(c, *list);
  c->add_flag("--all", list->all, "Include archived templates");
  c->add_flag("--json", list->json, "Print JSON");
  add_remote_options(c, *list);
  c->callback([list] {
    Templates templates(*list);
    json arr = json::array();
    for (const auto& t : templates.list(list->all)) {
      json j = template_json(t);
      if (templates.remote() && !list->all)  // users are shown names, not principals
        for (const char* k : {"grants", "content_expiry", "offline_access", "owner"}) j.erase(k);
      arr.push_back(j);
    }
    if (list->json) {
      std::cout << arr.dump(2) << "\n";
      return;
    }
    if (arr.empty()) std::cout << "No templates (add one with 'openrms template add').\n";
    for (const auto& t : arr) {
      print_table(t, 16);
      std::cout << "\n";
    }
  });

  struct UpdateArgs : StoreArgs {
    std::string id;
    std::optional<std::string> name, description, expiry, offline, owner;
    std::vector<std::string> grants;
  };
  auto up = std::make_shared<UpdateArgs>();
  c = tpl->add_subcommand(
      "update",
      "Change a template: users get the change when their current use license runs out "
      "(rights are resolved each time a use license is issued)");
  add_store_options(c, *up);
  c->add_option("id", up->id, "Template id")->required();
  c->add_option("--name", up->name, "New name");
  c->add_option("--description", up->description, "New description");
  c->add_option("-g,--grant", up->grants,
                "Replace the grants with these (PRINCIPAL:RIGHTS, repeatable; as 'template add')");
  c->add_option("--expiry", up->expiry, "Content expiry: never, N days (30d) or a date");
  c->add_option("--offline", up->offline, "Offline access: always, never or N days");
  c->add_option("--owner", up->owner, "Owner of content protected with it ('' for the issuer)");
  c->add_flag("--json", up->json, "Print JSON");
  add_remote_options(c, *up);
  c->callback([up] {
    Templates templates(*up);
    Template t = templates.get(up->id);
    Policy p = t.policy;
    const bool policy_changes = !up->grants.empty() || up->expiry || up->offline || up->owner;
    if (!up->grants.empty()) {
      p.grants.clear();
      for (const auto& g : up->grants) p.grants.push_back(parse_grant(g));
    }
    if (up->expiry) p.expiry = parse_expiry(*up->expiry);
    if (up->offline) p.offline = parse_offline(*up->offline);
    if (up->owner) p.owner = up->owner->empty() ? std::string() : Principal::parse(*up->owner).name;
    if (!policy_changes && !up->name && !up->description)
      fail(Errc::invalid_argument,
           "nothing to change: give --name, --description, --grant, --expiry, --offline or "
           "--owner");
    if (policy_changes)
      for (const auto& w : lint(p, system_clock().now()))
        std::cerr << "openrms: warning: " << w << "\n";
    Template u = templates.update(up->id, up->name, up->description,
                                  policy_changes ? std::optional<Policy>(p) : std::nullopt);
    print(template_json(u), up->json);
  });

  struct ArchiveArgs : StoreArgs {
    std::string id;
    bool restore = false;
  };
  auto ar = std::make_shared<ArchiveArgs>();
  c = tpl->add_subcommand(
      "archive",
      "Archive a template: still honoured for existing content, not offered for new content");
  add_store_options(c, *ar);
  c->add_option("id", ar->id, "Template id")->required();
  c->add_flag("--restore", ar->restore, "Un-archive instead");
  add_remote_options(c, *ar);
  c->callback([ar] {
    Templates(*ar).archive(ar->id, !ar->restore);
    std::cout << "Template " << ar->id << (ar->restore ? " restored.\n" : " archived.\n");
  });
}

// ---- license ----
void add_license(CLI::App& app) {
  auto* lic = app.add_subcommand("license", "Inspect certificates and licenses");
  lic->require_subcommand(1);
  struct ShowArgs : StoreArgs {
    std::string file;
  };
  auto show = std::make_shared<ShowArgs>();
  auto* c = lic->add_subcommand("show",
                                "Verify a RAC, CLC, SLC, publishing or use license against the "
                                "server's certificates and decode it");
  add_store_options(c, *show);
  c->add_option("file", show->file, "The XML file")->required()->check(CLI::ExistingFile);
  c->add_flag("--json", show->json, "Print JSON");
  c->callback([show] {
    auto o = open_server(*show);
    std::string xml = read_text_file(show->file);
    const auto& anchors = o.server->anchors();
    json j;
    const std::string root = root_element(xml);
    if (root == "PublishingLicense") {
      auto pl = parse_publishing_license(xml, anchors);
      j["kind"] = "publishing license";
      j["content_id"] = pl.content_id;
      j["issued_at"] = format_time(pl.issued_at);
      j["issuer"] = pl.issuer;
      j["owner"] = pl.owner;
      j["policy"] = pl.uses_template()
                        ? "template " + pl.template_name + " (" + pl.template_id + ")"
                        : std::string("ad-hoc (sealed to the server)");
      j["server_key_id"] = pl.server_key_id;
      j["license_url"] = pl.license_url;
      j["signed_by"] = pl.clc ? "CLC of " + pl.clc->subject + " (offline publishing)"
                              : "server " + pl.signer_key_id;
      j["owner_license"] =
          pl.owner_key_id.empty() ? std::string("none") : "for RAC key " + pl.owner_key_id;
      j["hash"] = pl.hash;
    } else if (root == "UseLicense") {
      auto ul = parse_use_license(xml, anchors);
      j["kind"] = "use license";
      j["content_id"] = ul.content_id;
      j["user"] = ul.user;
      j["role"] = to_string(ul.role);
      j["rights"] = to_string(ul.rights);
      j["issued_at"] = format_time(ul.issued_at);
      j["valid_until"] = ul.valid_until ? format_time(*ul.valid_until) : "no offline limit";
      j["content_expiry"] = ul.content_expiry ? format_time(*ul.content_expiry) : "never";
      j["caching"] = ul.cacheable ? "allowed" : "none (re-acquire on every open)";
      j["issuer"] = ul.issuer;
      j["owner"] = ul.owner;
      j["user_key_id"] = ul.user_key_id;
      for (const auto& [k, v] : ul.app_data) j["app_data." + k] = v;
      j["publishing_license"] = ul.publishing_license;
    } else if (root == "Certificate") {
      Certificate cert;
      if (xml.find("<Type>SLC</Type>") != std::string::npos) {
        TrustAnchors one;
        cert = one.add(xml);
        if (!anchors.by_signing_key(cert.key_id()))
          fail(Errc::integrity, "a valid SLC, but not one of this server's");
      } else {
        cert = parse_certificate(xml, anchors);
      }
      j = cert_json(cert);
    } else {
      fail(Errc::bad_format, show->file +
                                 " is not an openrms license or certificate (its root "
                                 "element is <" +
                                 root.substr(0, 40) + ">)");
    }
    j["signature"] = "verified";
    print(j, show->json);
  });
}

}  // namespace

void add_licensing_commands(CLI::App& app) {
  add_server(app);
  add_user(app);
  add_template(app);
  add_license(app);
}

}  // namespace openrms::cli
