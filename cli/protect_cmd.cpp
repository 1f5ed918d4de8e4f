#include "protect_cmd.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli_common.hpp"
#include "openrms/error.hpp"
#include "openrms/protect/profile.hpp"
#include "openrms/protect/protect.hpp"
#include "progress.hpp"
#include "server_access.hpp"
#include "user_session.hpp"

namespace openrms::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace protect;

json inspection_of(const Inspection& x) {
  return json::parse(protect::inspection_json(x));
}

struct ProtectArgs : UserArgs {
  std::string in, out, template_id, expiry, offline, owner;
  std::vector<std::string> grants, dnf;
  bool encrypt_only = false, reprotect = false, force = false;
  unsigned threads = 0;
};

Protection protection_of(const ProtectArgs& a) {
  int kinds = !a.template_id.empty() + !a.grants.empty() + !a.dnf.empty() + a.encrypt_only;
  if (kinds != 1)
    fail(Errc::invalid_argument,
         "say how to protect with exactly one of --template, --grant, --do-not-forward or "
         "--encrypt-only");
  Protection p;
  if (!a.template_id.empty()) p = Protection::with_template(a.template_id);
  if (!a.dnf.empty()) p = Protection::do_not_forward(a.dnf);
  if (a.encrypt_only) p = Protection::encrypt_only();
  if (!a.grants.empty()) {
    licensing::Policy pol;
    for (const auto& g : a.grants) pol.grants.push_back(licensing::parse_grant(g));
    if (!a.expiry.empty()) pol.expiry = licensing::parse_expiry(a.expiry);
    if (!a.offline.empty()) pol.offline = licensing::parse_offline(a.offline);
    for (const auto& w : licensing::lint(pol, licensing::system_clock().now()))
      std::cerr << "warning: " << w << "\n";
    p = Protection::with_policy(std::move(pol));
  } else if (!a.expiry.empty() || !a.offline.empty()) {
    fail(Errc::invalid_argument,
         "--expiry and --offline go with --grant (templates carry their own)");
  }
  p.owner = a.owner;
  return p;
}

void add_protect(CLI::App& app) {
  auto a = std::make_shared<ProtectArgs>();
  auto* c = app.add_subcommand(
      "protect",
      "Protect a file (or a folder tree) with rights: Office documents get Office IRM protection, "
      "PDFs the rights-managed PDF wrapper, anything else a PFile (a.txt -> a.ptxt)");
  c->add_option("input", a->in, "File or folder to protect")->required()->check(CLI::ExistingPath);
  c->add_option("-o,--output", a->out,
                "Output file (default: the PFile name next to the input; required for Office/PDF "
                "files and folders, which keep their names); missing folders are created");
  c->add_option("-t,--template", a->template_id, "Protect with this template id");
  c->add_option("-g,--grant", a->grants,
                "Grant rights: 'bob@contoso.com:VIEW,PRINT', '@contoso.com:Viewer', "
                "'group:sales@contoso.com:Editor', 'everyone:VIEW' (repeatable)");
  c->add_option("--expiry", a->expiry,
                "With --grant: content expiry, a date (2027-01-31) or N days");
  c->add_option("--offline", a->offline, "With --grant: offline access: always, never or N days");
  c->add_option("--do-not-forward", a->dnf,
                "Do Not Forward to these recipients (repeatable; you are added)");
  c->add_flag("--encrypt-only", a->encrypt_only,
              "Encrypt-Only: every authenticated recipient may open, nobody may remove protection");
  c->add_option("--owner", a->owner, "Owner of the content (default: you, the issuer)");
  c->add_flag("--reprotect", a->reprotect,
              "Change the protection of an already-protected file (needs Change Rights); "
              "default output NAME-reprotected.EXT");
  c->add_flag("--force", a->force, "Overwrite an existing output file (never the input)");
  c->add_option("--threads", a->threads, "Folders: files in parallel (default: every core)");
  add_user_options(c, *a);
  c->footer(
      "Examples:\n"
      "  openrms protect report.docx -o report-protected.docx --as alice@contoso.com "
      "--template 6f1c…\n"
      "  openrms protect notes.txt --as alice@contoso.com -g bob@contoso.com:Viewer --expiry 30\n"
      "  openrms protect ./share -o ./share-protected --as admin@contoso.com --encrypt-only");
  c->callback([a] {
    Protection p = protection_of(*a);
    auto s = session(*a, "protect");
    if (fs::is_directory(a->in)) {
      if (a->out.empty())
        fail(Errc::invalid_argument, "protecting a folder needs -o OUTPUT-FOLDER");
      BulkOptions bo;
      bo.threads = a->threads;
      bo.overwrite = a->force;
      bo.on_file = [](const fs::path& f, const std::string& err, std::size_t done,
                      std::size_t total) {
        std::cerr << "[" << done << "/" << total << "] " << f.string()
                  << (err.empty() ? "" : ": FAILED: " + err) << "\n";
      };
      BulkResult r = s->client->protect_tree(a->in, a->out, p, bo);
      json j;
      j["protected"] = r.protected_files;
      j["skipped"] = r.skipped;  // already protected
      j["failed"] = r.failures.size();
      j["bytes"] = r.bytes_in;
      print(j, a->json);
      if (!r.failures.empty())
        fail(Errc::io, std::to_string(r.failures.size()) + " file(s) failed");
      return;
    }
    // As folder mode does: a missing output folder is created.
    if (!a->out.empty() && fs::path(a->out).has_parent_path())
      fs::create_directories(fs::path(a->out).parent_path());
    ProtectResult r = s->client->protect(a->in, a->out, p, a->reprotect, a->force);
    json j;
    j["output"] = r.output.string();
    j["container"] = std::string(to_string(r.container));
    j["content_id"] = r.content_id;
    j["protection"] = p.describe();
    j["bytes_in"] = r.bytes_in;
    j["bytes_out"] = r.bytes_out;
    if (r.reprotected) j["reprotected"] = true;
    print(j, a->json);
  });
}

json decision_of(const Document& d) {
  return json::parse(protect::decision_json(d));
}

// "OFFSET:LENGTH", both decimal byte counts.
std::pair<std::uint64_t, std::uint64_t> parse_range(const std::string& s) {
  const auto colon = s.find(':');
  auto number = [&](std::string_view t) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || p != t.data() + t.size())
      fail(Errc::invalid_argument, "--range wants OFFSET:LENGTH in bytes, e.g. 1048576:65536");
    return v;
  };
  if (colon == std::string::npos)
    fail(Errc::invalid_argument, "--range wants OFFSET:LENGTH in bytes, e.g. 1048576:65536");
  return {number(std::string_view(s).substr(0, colon)),
          number(std::string_view(s).substr(colon + 1))};
}

void add_open(CLI::App& app) {
  struct OpenArgs : UserArgs {
    std::string in, right, range;
    bool print = false;
  };
  auto a = std::make_shared<OpenArgs>();
  auto* c = app.add_subcommand(
      "open",
      "Open a protected file as a user: show the rights you have; --print shows the content");
  c->add_option("input", a->in, "Protected file")->required()->check(CLI::ExistingFile);
  c->add_flag("--print", a->print, "Write the decrypted content to standard output (needs VIEW)");
  c->add_option("--can", a->right,
                "Exit 0 if you have this right (VIEW, PRINT, EXTRACT…), else fail with no_right");
  c->add_option("--range", a->range,
                "OFFSET:LENGTH: write only these bytes of the content to standard output "
                "(needs VIEW; a PFile reads and verifies only the segments they lie in)");
  add_user_options(c, *a);
  c->callback([a] {
    auto s = session(*a, "open");
    Document d = s->client->open(a->in);
    if (!a->right.empty()) {
      auto r = licensing::parse_right(a->right);
      if (!r) fail(Errc::invalid_argument, "unknown right '" + a->right + "'");
      if (!d.can(*r))
        fail(Errc::no_right, a->as + " does not have " + std::string(licensing::to_string(*r)));
    }
    if (!a->range.empty()) {
      const auto [offset, length] = parse_range(a->range);
      StdoutSink out;
      crypto::SecureBytes buf(1u << 20);
      for (std::uint64_t done = 0; done < length;) {
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), length - done));
        const std::size_t n = d.read_at(offset + done, crypto::MutableByteView(buf.data(), want));
        if (n == 0) break;  // the end of the content
        out.write(crypto::ByteView(buf.data(), n));
        done += n;
      }
      out.finish();
      return;
    }
    if (a->print) {
      StdoutSink out;
      d.read(out);
      out.finish();
      return;
    }
    json j = decision_of(d);
    j["content_id"] = d.info().content_id;
    j["issuer"] = d.info().issuer;
    print(j, a->json);
  });
}

void add_unprotect(CLI::App& app) {
  struct Args : UserArgs {
    std::string in, out;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  auto* c = app.add_subcommand(
      "unprotect", "Remove protection (writes the original file; needs EXPORT or Full Control)");
  c->add_option("input", a->in, "Protected file")->required()->check(CLI::ExistingFile);
  c->add_option("-o,--output", a->out,
                "Output (default: the original name, or NAME-unprotected.EXT next to the input)");
  c->add_flag("--force", a->force, "Overwrite an existing output file (never the input)");
  add_user_options(c, *a);
  c->callback([a] {
    auto s = session(*a, "unprotect");
    if (!a->out.empty() && fs::path(a->out).has_parent_path())
      fs::create_directories(fs::path(a->out).parent_path());
    fs::path out = s->client->unprotect(a->in, a->out, a->force);
    json j;
    j["unprotected"] = out.string();
    print(j, a->json);
  });
}

void add_inspect(CLI::App& app) {
  struct Args : UserArgs {
    std::string in;
    bool policy = false;
  };
  auto a = std::make_shared<Args>();
  auto* c = app.add_subcommand(
      "inspect",
      "Describe a protected file: issuer, owner, template, content id (no rights needed)");
  c->add_option("input", a->in, "Protected file")->required()->check(CLI::ExistingFile);
  c->add_flag("--policy", a->policy,
              "Also show the full policy (needs --as and the VIEWRIGHTSDATA right, or issuer)");
  add_user_options(c, *a, false);
  c->callback([a] {
    if (a->policy && a->as.empty()) fail(Errc::invalid_argument, "--policy needs --as EMAIL");
    auto s = session(*a, "inspect");
    Inspection x =
        s->client ? s->client->inspect(a->in, a->policy) : inspect_file(a->in, *s->source);
    print(inspection_of(x), a->json);
  });
}

std::string content_id_of(Session& s, const std::string& arg) {
  if (fs::is_regular_file(arg)) return inspect_file(arg, *s.source).content_id;
  return arg;
}

void add_revoke_track(CLI::App& app) {
  struct Args : UserArgs {
    std::string target;
  };
  auto a = std::make_shared<Args>();
  auto* c = app.add_subcommand(
      "revoke", "Revoke protected content (issuer only): nobody else gets a new use license");
  c->add_option("target", a->target, "Protected file or content id")->required();
  add_user_options(c, *a);
  c->callback([a] {
    auto s = session(*a, "revoke");
    std::string id = content_id_of(*s, a->target);
    s->client->revoke(id);
    json j;
    j["revoked"] = id;
    j["note"] = "use licenses already issued stay valid until their valid-until time";
    print(j, a->json);
  });

  struct TrackArgs : UserArgs {
    std::string target;
    std::int64_t after = 0;
    std::size_t limit = 0;
  };
  auto t = std::make_shared<TrackArgs>();
  c = app.add_subcommand("track", "Show who acquired licenses for protected content (issuer only)");
  c->add_option("target", t->target, "Protected file or content id")->required();
  c->add_option("--after", t->after,
                "Only entries after this sequence number (the 'seq' of the last one you have)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--limit", t->limit, "At most this many entries (default: all)");
  c->footer(
      "A long log in pages:\n"
      "  openrms track report.docx --as alice@contoso.com --limit 100\n"
      "  openrms track report.docx --as alice@contoso.com --limit 100 --after SEQ");
  add_user_options(c, *t);
  c->callback([t] {
    auto s = session(*t, "track");
    auto log = s->client->track(content_id_of(*s, t->target), t->after, t->limit);
    json arr = json::array();
    for (const auto& e : log) {
      json j;
      j["time"] = licensing::format_time(e.time);
      j["user"] = e.user;
      j["rights"] = e.rights;
      j["outcome"] = e.outcome;
      j["issuer"] = e.issuer;
      j["owner"] = e.owner;
      j["license_id"] = e.license_id;
      j["seq"] = e.seq;
      arr.push_back(j);
    }
    const bool more = t->limit > 0 && log.size() == t->limit;
    if (t->json) {
      std::cout << arr.dump(2) << "\n";
      return;
    }
    if (arr.empty())
      std::cout << (t->after ? "no entries after that\n" : "no license requests yet\n");
    if (!arr.empty())
      std::cout << "issuer " << arr[0]["issuer"].get<std::string>() << ", owner "
                << arr[0]["owner"].get<std::string>() << "\n";
    for (const auto& j : arr)
      std::cout << j["seq"].get<std::int64_t>() << "  " << j["time"].get<std::string>() << "  "
                << j["user"].get<std::string>() << "  " << j["outcome"].get<std::string>() << "  "
                << j["rights"].get<std::string>() << "\n";
    if (more) std::cout << "more: --after " << log.back().seq << "\n";
  });
}

}  // namespace

void add_protect_commands(CLI::App& app) {
  add_protect(app);
  add_open(app);
  add_unprotect(app);
  add_inspect(app);
  add_revoke_track(app);
}

}  // namespace openrms::cli
