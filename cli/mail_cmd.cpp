#include "mail_cmd.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

#include "cli_common.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/io.hpp"
#include "openrms/protect/mail.hpp"
#include "openrms/protect/mail_rules.hpp"
#include "openrms/protect/mail_settings.hpp"
#include "openrms/text.hpp"
#include "user_session.hpp"

namespace openrms::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace protect;
using namespace protect::mail;

constexpr std::uint64_t kMaxMessage = 1ull << 30;

const char* action_text(AttachmentOutcome::Action a) {
  switch (a) {
    case AttachmentOutcome::Action::protect:
      return "protected";
    case AttachmentOutcome::Action::keep_own:
      return "keeps its own protection";
    case AttachmentOutcome::Action::unprotected:
      return "covered by the message only";
    case AttachmentOutcome::Action::deliver_unprotected:
      return "delivered unprotected (DecryptAttachmentForEncryptOnly)";
  }
  return "?";
}

std::string rights_text(const licensing::Decision& d) {
  return licensing::to_string(d.rights);
}

fs::path default_protected(const fs::path& in) {
  fs::path out = in;
  out.replace_filename(in.stem().string() + "-protected" + in.extension().string());
  return out;
}

// Deposits a protected message for its recipients' portal (the service keeps it; the wrapper's
// link leads there). A service without a portal is not an error. Neither is a failed deposit:
// the protected message is written and valid, so the command says so (a warning, and "portal"
// in --json) instead of failing after the fact.
std::string deposit(protect::RemoteLicenseSource& remote, const ProtectedMessage& res,
                    const MessageProtection& mp) {
  try {
    // The wrapper keeps no Bcc: every recipient goes along, so Bcc recipients can read it too.
    remote.deposit_for_portal(res.message, res.recipients, mp.branding);
    return "deposited";
  } catch (const Error& e) {
    if (e.code() == Errc::not_found && mp.branding.empty()) return "not offered by this service";
    std::fprintf(stderr,
                 "openrms: warning: the message is protected, but the portal did not take it "
                 "(%s): recipients outside the organisation cannot read it there\n",
                 e.what());
    return std::string("not deposited: ") + e.what();
  }
}

void add_mail_protect(CLI::App* mail) {
  struct Args : UserArgs {
    std::string in, out, template_id, branding;
    bool eo = false, dnf = false, rules = false, force = false, no_portal = false;
  };
  auto a = std::make_shared<Args>();
  auto* c = mail->add_subcommand(
      "protect",
      "Protect an e-mail message (.eml): the original, byte for byte, goes into message.rpmsg "
      "inside a wrapper message whose body says how to read it");
  c->add_option("input", a->in, "The message (RFC 5322 .eml)")
      ->required()
      ->check(CLI::ExistingFile);
  c->add_option("-o,--output", a->out, "Protected message (default: NAME-protected.eml)");
  c->add_flag("--force", a->force, "Overwrite an existing output file (never the input)");
  auto* eo = c->add_flag("--encrypt-only", a->eo,
                         "Encrypt-Only: any recipient reads, replies, forwards and prints; nobody "
                         "removes protection");
  auto* dnf = c->add_flag("--do-not-forward", a->dnf,
                          "Do Not Forward: only the message's own recipients (To, Cc, Bcc) read "
                          "it; no forwarding, printing or copying");
  auto* t = c->add_option("-t,--template", a->template_id, "Protect with this template id");
  auto* r = c->add_flag("--rules", a->rules,
                        "Let the mail flow rules decide (openrms rules list); if none applies "
                        "encryption the message is copied unchanged");
  eo->excludes(dnf)->excludes(t)->excludes(r);
  dnf->excludes(t)->excludes(r);
  t->excludes(r);
  c->add_option("--branding", a->branding,
                "Branding template for the wrapper (openrms branding list; default: the "
                "default one)");
  c->add_flag("--no-portal", a->no_portal,
              "With --server: do not deposit the message for its recipients' portal (by default "
              "it is deposited, so recipients outside the organisation can read it in a browser)");
  add_user_options(c, *a);
  c->footer(
      "Attachments: unprotected Office documents inherit the message's protection (Do Not "
      "Forward: edit but not print/forward), PDFs too when EnablePdfEncryption is on, other files "
      "as PFile; already-protected attachments keep theirs (openrms mail settings).\n"
      "Examples:\n"
      "  openrms mail protect q3.eml --as alice@contoso.com --do-not-forward\n"
      "  openrms mail protect q3.eml --as alice@contoso.com --rules -o outbound.eml");
  c->callback([a] {
    if (!a->eo && !a->dnf && a->template_id.empty() && !a->rules)
      fail(Errc::invalid_argument,
           "say how to protect: --encrypt-only, --do-not-forward, --template ID or --rules");
    fs::path out = a->out.empty() ? default_protected(a->in) : fs::path(a->out);
    check_output(a->in, out.string(), a->force);
    auto s = session(*a, "protecting");
    const MailConfig settings = mail_config(*s);
    Bytes eml = formats::read_file(a->in, kMaxMessage);
    MessageProtection mp;
    json j;
    if (a->rules) {
      auto d = evaluate(settings.rules, formats::mail::parse(eml), settings.irm.accepted_domains);
      j["rules"] = d.describe();
      const bool already = is_protected_message(eml);  // parses the whole message: once
      if (d.action == RuleDecision::Action::remove_encryption && already) {
        MailClient mc(*s->client, settings.irm, settings.branding);
        formats::write_file(out, mc.remove_protection(eml));
        j["output"] = out.string();
        j["protection"] = "removed";
        print(j, a->json);
        return;
      }
      if (d.action != RuleDecision::Action::protect || already) {
        if (already) j["rules"] = d.describe() + "; already protected: kept";
        formats::write_file(out, eml);
        j["output"] = out.string();
        j["protection"] = "none (copied unchanged)";
        print(j, a->json);
        return;
      }
      mp = *d.protection;
    } else if (a->dnf) {
      mp = MessageProtection::do_not_forward(a->branding);
    } else if (!a->template_id.empty()) {
      mp = MessageProtection::with_template(a->template_id, a->branding);
    } else {
      mp = MessageProtection::encrypt_only(a->branding);
    }
    MailClient mc(*s->client, settings.irm, settings.branding);
    auto res = mc.protect(eml, mp);
    formats::write_file(out, res.message);
    j["output"] = out.string();
    j["protection"] = mp.describe();
    j["content_id"] = res.content_id;
    if (res.expires) j["expires"] = licensing::format_time(*res.expires);
    json atts = json::array();
    for (const auto& x : res.attachments) {
      std::string line =
          (x.filename.empty() ? "(unnamed)" : x.filename) + ": " + action_text(x.action);
      if (x.action == AttachmentOutcome::Action::protect)
        line += " as " + std::string(to_string(x.container)) +
                (x.rights.empty() ? "" : " (" + licensing::to_string(x.rights) + ")");
      atts.push_back(line);
    }
    if (!atts.empty()) j["attachments"] = atts;
    if (s->remote && !a->no_portal) j["portal"] = deposit(*s->remote, res, mp);
    print(j, a->json);
  });
}

void add_mail_open(CLI::App* mail) {
  struct Args : UserArgs {
    std::string in, save, original, delivered;
    bool body = false, force = false;
  };
  auto a = std::make_shared<Args>();
  auto* c = mail->add_subcommand(
      "open", "Open a protected message as a recipient: the rights you have, and the message");
  c->add_option("input", a->in, "Protected message (.eml)")->required()->check(CLI::ExistingFile);
  c->add_flag("--body", a->body, "Print the text body");
  c->add_option("--save-attachments", a->save,
                "Save the attachments into this folder (protected ones stay protected)");
  c->add_option("--delivered", a->delivered,
                "Write the message as delivered to you (attachments in their protected form)");
  c->add_option("--original", a->original,
                "Write the original message, unprotected (needs EXPORT or OWNER)");
  c->add_flag("--force", a->force, "Overwrite existing output files");
  add_user_options(c, *a);
  c->callback([a] {
    auto s = session(*a, "opening");
    const MailConfig settings = mail_config(*s);
    MailClient mc(*s->client, settings.irm, settings.branding);
    auto o = mc.open(formats::read_file(a->in, kMaxMessage));
    const auto& m = o.message();
    json j;
    j["from"] = m.from.to_string();
    json to = json::array();
    for (const auto& x : m.to) to.push_back(x.to_string());
    j["to"] = to;
    j["subject"] = m.subject;
    j["issuer"] = o.info().issuer;
    j["content_id"] = o.info().content_id;
    j["rights"] = rights_text(o.decision());
    for (auto [r, name] : {std::pair{licensing::Right::reply, "reply"},
                           {licensing::Right::replyall, "reply_all"},
                           {licensing::Right::forward, "forward"},
                           {licensing::Right::print, "print"},
                           {licensing::Right::extract, "copy"}})
      j[name] = o.can(r) ? "yes" : "no";
    if (o.decision().content_expiry)
      j["expires"] = licensing::format_time(*o.decision().content_expiry);
    json atts = json::array();
    for (const auto& x : o.attachments())
      if (!x.is_inline)
        atts.push_back(x.filename + " (" + std::to_string(x.data.size()) + " bytes" +
                       (x.protection != Container::none
                            ? ", protected as " + std::string(to_string(x.protection))
                            : "") +
                       ")");
    j["attachments"] = atts;
    if (a->body) j["body"] = m.text.empty() ? m.html : m.text;
    if (!a->delivered.empty()) check_output(a->in, a->delivered, a->force);
    if (!a->original.empty()) check_output(a->in, a->original, a->force);
    if (!a->save.empty()) {
      // Every name first: same-named attachments get " (2)", " (3)" …; an existing file is
      // refused before anything is written (unless --force).
      std::vector<std::pair<fs::path, const DeliveredAttachment*>> plan;
      std::set<std::string> taken;
      for (const auto& x : o.attachments()) {
        if (x.is_inline) continue;
        std::string name = fs::path(x.filename).filename().string();
        if (name.empty() || name == "." || name == "..")
          name = "attachment-" + std::to_string(x.index + 1);
        const fs::path base(name);
        for (int n = 2; taken.count(ascii_lower(name)); ++n)
          name = base.stem().string() + " (" + std::to_string(n) + ")" + base.extension().string();
        taken.insert(ascii_lower(name));
        fs::path path = fs::path(a->save) / name;
        if (!a->force && fs::exists(path))
          fail(Errc::invalid_argument,
               path.string() + " exists: remove it, choose another folder, or pass --force");
        plan.emplace_back(path, &x);
      }
      fs::create_directories(a->save);
      for (const auto& [path, x] : plan) formats::write_file(path, x->data);
    }
    if (!a->delivered.empty()) formats::write_file(a->delivered, o.delivered());
    if (!a->original.empty()) formats::write_file(a->original, o.original());
    print(j, a->json);
  });
}

void add_mail_inspect_revoke(CLI::App* mail) {
  struct Args : UserArgs {
    std::string in;
  };
  auto a = std::make_shared<Args>();
  auto* c = mail->add_subcommand(
      "inspect", "What a protected message's license says (issuer, template, content id)");
  c->add_option("input", a->in, "Protected message (.eml)")->required()->check(CLI::ExistingFile);
  add_user_options(c, *a, false);
  c->callback([a] {
    auto s = session(*a, "");
    Bytes eml = formats::read_file(a->in, kMaxMessage);
    // No user needed: a throwaway client is not possible without a RAC, so read the license
    // through the source directly when --as is absent.
    MessageInfo i;
    if (s->client) {
      i = MailClient(*s->client, {}).inspect(eml);
    } else {
      i = inspect_message(eml, *s->source);
    }
    json j;
    j["content_id"] = i.content_id;
    j["issuer"] = i.issuer;
    j["owner"] = i.owner;
    j["template"] = i.template_id.empty() ? "none (ad-hoc policy, sealed to the server)"
                                          : i.template_name + " (" + i.template_id + ")";
    j["subject"] = i.subject;
    j["issued_at"] = licensing::format_time(i.issued_at);
    j["size"] = i.size;
    j["protected_attachments"] = i.protected_attachments;
    print(j, a->json);
  });

  auto r = std::make_shared<Args>();
  auto* rc = mail->add_subcommand(
      "revoke", "Revoke a protected message and its protected attachments (sender only)");
  rc->add_option("input", r->in, "Protected message (.eml)")->required()->check(CLI::ExistingFile);
  add_user_options(rc, *r);
  rc->callback([r] {
    auto s = session(*r, "");
    MailClient(*s->client, {}).revoke(formats::read_file(r->in, kMaxMessage));
    json j;
    j["revoked"] = r->in;
    j["note"] = "recipients can no longer get a license for this message or its attachments";
    print(j, r->json);
  });
}

bool parse_bool(const std::string& v, const char* what) {
  if (v == "true" || v == "on" || v == "yes" || v == "1") return true;
  if (v == "false" || v == "off" || v == "no" || v == "0") return false;
  fail(Errc::invalid_argument, std::string(what) + " takes true or false");
}

void add_mail_settings(CLI::App* mail) {
  struct Args : StoreArgs {
    std::string pdf, eo_attach, service, portal, auto_update;
    std::vector<std::string> domains;
    std::optional<std::uint64_t> max_mb;
  };
  auto a = std::make_shared<Args>();
  auto* c = mail->add_subcommand(
      "settings", "Show or change the organisation's IRM configuration (Set-IRMConfiguration)");
  add_store_options(c, *a);
  c->add_option("--enable-pdf-encryption", a->pdf,
                "true/false: protect PDF attachments with the message's rights");
  c->add_option("--decrypt-attachment-for-encrypt-only", a->eo_attach,
                "true/false: Encrypt-Only attachments reach recipients unprotected");
  c->add_option("--service", a->service, "true/false: message encryption on or off");
  c->add_option("--automatic-service-update", a->auto_update,
                "true/false: AutomaticServiceUpdateEnabled (recorded for compatibility)");
  c->add_option("--accepted-domain", a->domains,
                "The organisation's domains (inside/outside rules, external expiry); replaces "
                "the list");
  c->add_option("--portal-url", a->portal, "Where the wrapper's \"Read the message\" link goes");
  c->add_option("--max-message-mb", a->max_mb,
                "Largest message protected or opened, in MiB (1-1024; default 64)");
  c->callback([a] {
    auto o = open_server(*a);
    MailSettings s(*o.store);
    IrmConfiguration cfg = s.irm();
    bool change = false;
    if (!a->pdf.empty())
      change = true, cfg.enable_pdf_encryption = parse_bool(a->pdf, "--enable-pdf-encryption");
    if (!a->eo_attach.empty())
      change = true, cfg.decrypt_attachment_for_encrypt_only =
                         parse_bool(a->eo_attach, "--decrypt-attachment-for-encrypt-only");
    if (!a->service.empty())
      change = true, cfg.service_enabled = parse_bool(a->service, "--service");
    if (!a->auto_update.empty())
      change = true, cfg.automatic_service_update_enabled =
                         parse_bool(a->auto_update, "--automatic-service-update");
    if (!a->domains.empty()) change = true, cfg.accepted_domains = a->domains;
    if (!a->portal.empty()) change = true, cfg.portal_url = a->portal;
    if (a->max_mb) change = true, cfg.max_message_mb = *a->max_mb;
    if (change) {
      s.set_irm(irm_from_json(to_json(cfg)));
      cfg = s.irm();
    }
    std::cout << to_json(cfg) << "\n";
  });
}

// ---- branding -------------------------------------------------------------------------------

void add_branding(CLI::App& app) {
  auto* b = app.add_subcommand(
      "branding", "Branding templates for protected mail (New/Set/Get/Remove-OMEConfiguration)");
  b->require_subcommand(1);
  struct Args : StoreArgs {
    std::string name;
    std::optional<std::string> intro, button, email, portal, disclaimer, privacy, color, logo;
    std::optional<int> expiry;
    std::optional<std::string> social, otp;
  };
  auto fields = [](CLI::App* c, Args& a) {
    c->add_option("name", a.name, "Template name (Identity)")->required();
    c->add_option("--introduction-text", a.intro, "Text above the button (IntroductionText)");
    c->add_option("--read-button-text", a.button, "The button's text (ReadButtonText)");
    c->add_option("--email-text", a.email, "Text below the button (EmailText)");
    c->add_option("--portal-text", a.portal, "Text on the portal (PortalText)");
    c->add_option("--disclaimer-text", a.disclaimer, "Footer (DisclaimerText)");
    c->add_option("--privacy-statement-url", a.privacy, "PrivacyStatementUrl");
    c->add_option("--background-color", a.color, "#RRGGBB (BackgroundColor)");
    c->add_option("--logo", a.logo, "PNG/JPEG/GIF file, at most 40 KB (Image)")
        ->check(CLI::ExistingFile);
    c->add_option(
        "--external-mail-expiry-days", a.expiry,
        "0 (never) to 730: messages to external recipients expire (ExternalMailExpiryInDays)");
    c->add_option("--social-id-signin", a.social, "true/false (SocialIdSignIn)");
    c->add_option("--otp-enabled", a.otp, "true/false (OTPEnabled)");
    add_store_options(c, a);
  };
  auto apply = [](const Args& a, OmeConfiguration& c) {
    c.identity = a.name;
    if (a.intro) c.introduction_text = *a.intro;
    if (a.button) c.read_button_text = *a.button;
    if (a.email) c.email_text = *a.email;
    if (a.portal) c.portal_text = *a.portal;
    if (a.disclaimer) c.disclaimer_text = *a.disclaimer;
    if (a.privacy) c.privacy_statement_url = *a.privacy;
    if (a.color) c.background_color = *a.color;
    if (a.logo) c.logo = formats::read_file(*a.logo, 1 << 20);
    if (a.expiry) c.external_mail_expiry_days = *a.expiry;
    if (a.social) c.social_id_signin = parse_bool(*a.social, "--social-id-signin");
    if (a.otp) c.otp_enabled = parse_bool(*a.otp, "--otp-enabled");
  };
  auto add = std::make_shared<Args>();
  auto* ca = b->add_subcommand("add", "Create a branding template");
  fields(ca, *add);
  ca->callback([add, apply] {
    auto o = open_server(*add);
    OmeConfiguration c;
    apply(*add, c);
    MailSettings(*o.store).add_branding(c);
    std::cout << to_json(c) << "\n";
  });
  auto set = std::make_shared<Args>();
  auto* cs = b->add_subcommand("set", "Change fields of a branding template");
  fields(cs, *set);
  cs->callback([set, apply] {
    auto o = open_server(*set);
    MailSettings s(*o.store);
    OmeConfiguration c = s.branding(set->name);
    apply(*set, c);
    s.set_branding(c);
    std::cout << to_json(c) << "\n";
  });
  auto list = std::make_shared<StoreArgs>();
  auto* cl = b->add_subcommand("list", "List the branding templates (the default first)");
  add_store_options(cl, *list);
  cl->add_flag("--json", list->json, "Print JSON (an array of templates)");
  cl->callback([list] {
    auto o = open_server(*list);
    if (list->json) {
      json arr = json::array();
      for (const auto& c : MailSettings(*o.store).branding())
        arr.push_back(json::parse(to_json(c)));
      std::cout << arr.dump(2) << "\n";
      return;
    }
    for (const auto& c : MailSettings(*o.store).branding()) {
      {
        std::cout << c.identity
                  << (c.external_mail_expiry_days
                          ? "  (external mail expires after " +
                                std::to_string(c.external_mail_expiry_days) + " days)"
                          : "")
                  << "\n";
      }
    }
  });
  auto rm = std::make_shared<Args>();
  auto* cr = b->add_subcommand("remove", "Remove a branding template (not the default)");
  cr->add_option("name", rm->name, "Template name")->required();
  add_store_options(cr, *rm);
  cr->callback([rm] {
    auto o = open_server(*rm);
    MailSettings(*o.store).remove_branding(rm->name);
    std::cout << "removed " << rm->name << "\n";
  });
}

// ---- rules ----------------------------------------------------------------------------------

std::string read_json_arg(const std::string& arg) {
  if (arg == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
  if (!arg.empty() && (arg[0] == '{' || arg[0] == '[')) return arg;
  Bytes b = formats::read_file(arg, 16 << 20);
  return std::string(b.begin(), b.end());
}

void add_rules(CLI::App& app) {
  auto* r = app.add_subcommand(
      "rules", "Mail flow rules that decide which messages are encrypted (transport rules)");
  r->require_subcommand(1);
  r->footer(
      "A rule (JSON): {\"name\": \"External confidential\",\n"
      "  \"conditions\": {\"sent_to_scope\": \"NotInOrganization\", \"subject_or_body_contains\": "
      "[\"confidential\"]},\n"
      "  \"exceptions\": {\"from\": \"ceo@contoso.com\"},\n"
      "  \"actions\": {\"apply\": {\"kind\": \"DoNotForward\", \"branding\": \"Legal\"}, "
      "\"stop_processing\": true}}\n"
      "Conditions: from, from_domain, sent_to, recipient_domain, sent_to_scope, from_scope "
      "(InOrganization/NotInOrganization), subject_contains, subject_or_body_contains, "
      "has_attachment, size_over (\"10MB\").\n"
      "Actions: apply {kind: EncryptOnly|DoNotForward|Template, template, branding}, "
      "remove_encryption, stop_processing. Rules run in order; a later encryption action "
      "replaces an earlier one.");
  struct Args : StoreArgs {
    std::string rule, name, message;
    std::optional<std::size_t> priority;
  };
  auto add = std::make_shared<Args>();
  auto* ca = r->add_subcommand("add", "Add a rule (JSON text, a file, or - for stdin)");
  ca->add_option("rule", add->rule, "The rule as JSON, a .json file, or -")->required();
  ca->add_option("--priority", add->priority, "Position, 0 = first (default: last)");
  add_store_options(ca, *add);
  ca->callback([add] {
    auto o = open_server(*add);
    Rule rule = rule_from_json(read_json_arg(add->rule));
    MailSettings(*o.store).add_rule(rule, add->priority);
    std::cout << "added rule \"" << rule.name << "\"\n";
  });
  auto imp = std::make_shared<Args>();
  auto* ci = r->add_subcommand("import", "Replace every rule with a JSON array (file or -)");
  ci->add_option("rules", imp->rule, "JSON array, a .json file, or -")->required();
  add_store_options(ci, *imp);
  ci->callback([imp] {
    auto o = open_server(*imp);
    auto rules = rules_from_json(read_json_arg(imp->rule));
    MailSettings(*o.store).set_rules(rules);
    std::cout << "imported " << rules.size() << " rules\n";
  });
  auto list = std::make_shared<Args>();
  auto* cl = r->add_subcommand("list", "Show the rules in priority order (JSON)");
  add_store_options(cl, *list);
  cl->callback([list] {
    auto o = open_server(*list);
    std::cout << rules_to_json(MailSettings(*o.store).rules()) << "\n";
  });
  auto rm = std::make_shared<Args>();
  auto* cr = r->add_subcommand("remove", "Remove a rule by name");
  cr->add_option("name", rm->name, "Rule name")->required();
  add_store_options(cr, *rm);
  cr->callback([rm] {
    auto o = open_server(*rm);
    MailSettings(*o.store).remove_rule(rm->name);
    std::cout << "removed rule \"" << rm->name << "\"\n";
  });
  auto test = std::make_shared<Args>();
  auto* ct = r->add_subcommand("test", "Run the rules over a message and show the decision");
  ct->add_option("message", test->message, "Message (.eml)")->required()->check(CLI::ExistingFile);
  add_store_options(ct, *test);
  ct->add_flag("--json", test->json, "Print JSON");
  ct->callback([test] {
    auto o = open_server(*test);
    MailSettings s(*o.store);
    auto m = formats::mail::parse(formats::read_file(test->message, kMaxMessage));
    auto d = evaluate(s.rules(), m, s.irm().accepted_domains);
    json j;
    j["decision"] = d.describe();
    json matched = json::array();
    for (const auto& n : d.matched) matched.push_back(n);
    j["matched"] = matched;
    print(j, test->json);
  });
}

}  // namespace

// reply / forward: the user wrote the new message (.eml); openrms checks the right on the
// protected original and protects the new message the same way.
void add_mail_reply_forward(CLI::App* mail) {
  struct Args : UserArgs {
    std::string in, message, out;
    bool all = false, force = false;
  };
  for (bool forward : {false, true}) {
    auto a = std::make_shared<Args>();
    auto* c = mail->add_subcommand(
        forward ? "forward" : "reply",
        forward ? "Forward a protected message (needs FORWARD; Do Not Forward never grants it): "
                  "your message is protected the same way"
                : "Reply to a protected message (needs REPLY, or REPLYALL with --all): your reply "
                  "is protected the same way and, without FORWARD, may go only to the people "
                  "already in the conversation");
    c->add_option("input", a->in, "The protected message you received (.eml)")
        ->required()
        ->check(CLI::ExistingFile);
    c->add_option("--message", a->message,
                  forward ? "Your forward (.eml, with its own To/Cc)" : "Your reply (.eml)")
        ->required()
        ->check(CLI::ExistingFile);
    if (!forward) c->add_flag("--all", a->all, "Reply to all (needs REPLYALL)");
    c->add_option("-o,--output", a->out,
                  "The protected message to send (default: NAME-protected.eml of --message)");
    c->add_flag("--force", a->force, "Overwrite an existing output file (never an input)");
    add_user_options(c, *a);
    c->callback([a, forward] {
      fs::path out = a->out.empty() ? default_protected(a->message) : fs::path(a->out);
      check_output(a->message, out.string(), a->force);
      check_output(a->in, out.string(), true);
      auto s = session(*a, forward ? "forwarding" : "replying");
      const MailConfig settings = mail_config(*s);
      MailClient mc(*s->client, settings.irm, settings.branding);
      auto opened = mc.open(formats::read_file(a->in, kMaxMessage));
      Bytes mine = formats::read_file(a->message, kMaxMessage);
      auto res = forward ? mc.forward(opened, mine) : mc.reply(opened, mine, a->all);
      formats::write_file(out, res.message);
      json j;
      j["output"] = out.string();
      j["kind"] = forward ? "forward" : a->all ? "reply all" : "reply";
      j["protection"] = "as the original message";
      j["content_id"] = res.content_id;
      print(j, a->json);
    });
  }
}

void add_mail_commands(CLI::App& app) {
  auto* mail = app.add_subcommand(
      "mail",
      "Protected e-mail: protect, open, reply, forward, inspect and revoke messages; IRM settings");
  mail->require_subcommand(1);
  add_mail_protect(mail);
  add_mail_open(mail);
  add_mail_inspect_revoke(mail);
  add_mail_reply_forward(mail);
  add_mail_settings(mail);
  add_branding(app);
  add_rules(app);
}

}  // namespace openrms::cli
