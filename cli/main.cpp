// The `openrms` command. Exit codes: 0 success, 1 operation failed, 2 usage error (also for no
// arguments, after printing the help); failures print "openrms: <code>: <message>" on stderr
// (code = openrms::Errc name), usage errors "openrms: usage: <message>".
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>

#include "cli_common.hpp"
#include "demo.hpp"
#include "licensing_cmd.hpp"
#include "mail_cmd.hpp"
#include "office_cmd.hpp"
#include "openrms/crypto/secure.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/io.hpp"
#include "pdf_cmd.hpp"
#include "protect_cmd.hpp"
#include "serve_cmd.hpp"

namespace {

// SIGINT/SIGTERM/SIGHUP: remove the named temporary output files (O_TMPFILE outputs vanish by
// themselves), then die of the signal as if unhandled.
void on_signal(int sig) {
  openrms::formats::remove_pending_temp_files();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

int report_error(const std::string& code, const std::string& message, bool json) {
  if (code == "internal")
    std::fprintf(stderr, "openrms: %s\n", message.c_str());
  else
    std::fprintf(stderr, "openrms: %s: %s\n", code.c_str(), message.c_str());
  if (json) {
    nlohmann::ordered_json j;
    j["error"]["code"] = code;
    j["error"]["message"] = message;
    std::printf("%s\n", j.dump(2).c_str());
    std::fflush(stdout);
  }
  return 1;
}

int usage_error(const std::string& message, bool json) {
  report_error("usage", message, json);
  std::fprintf(stderr, "(run 'openrms --help' or 'openrms COMMAND --help')\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  openrms::crypto::disable_core_dumps();  // secrets must not reach a core file
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, on_signal);
  CLI::App app{
      "openrms — open content-protection engine (rights management, Office/PDF encryption)"};
  app.set_version_flag("--version", "openrms 0.1.0");
  app.require_subcommand(1);
  app.footer("Run 'openrms <command> --help' for a command's options.");
  openrms::cli::add_demo_command(app);
  openrms::cli::add_office_command(app);
  openrms::cli::add_pdf_command(app);
  openrms::cli::add_licensing_commands(app);
  openrms::cli::add_serve_command(app);
  openrms::cli::add_protect_commands(app);
  openrms::cli::add_mail_commands(app);
  // With --json, errors are JSON on standard output too: {"error": {"code": …, "message": …}}.
  bool json = false;
  for (int i = 1; i < argc; ++i) json = json || std::string_view(argv[i]) == "--json";
  if (argc < 2) {
    std::fputs(app.help().c_str(), stdout);
    return 2;
  }
  try {
    app.parse(argc, argv);
    openrms::cli::close_stdout();
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    // A subcommand given without its own subcommand (e.g. "openrms mail"): its help, exit 2.
    if (e.get_name() == "RequiredError")
      for (const CLI::App* sub : app.get_subcommands())
        if (sub->get_subcommands().empty() && sub->get_require_subcommand_min() > 0) {
          std::fputs(sub->help().c_str(), stderr);
          return 2;
        }
    return usage_error(e.what(), json);
  } catch (const openrms::Error& e) {
    return report_error(std::string(openrms::to_string(e.code())), e.what(), json);
  } catch (const std::exception& e) {
    return report_error("internal", std::string("internal error: ") + e.what(), json);
  }
  return 0;
}
