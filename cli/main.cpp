// The `openrms` command. Exit codes: 0 success, 1 operation failed, 2 usage error; failures
// print "openrms: <code>: <message>" on stderr (code = openrms::Errc name).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "demo.hpp"
#include "licensing_cmd.hpp"
#include "mail_cmd.hpp"
#include "office_cmd.hpp"
#include "openrms/crypto/secure.hpp"
#include "openrms/error.hpp"
#include "pdf_cmd.hpp"
#include "protect_cmd.hpp"

int main(int argc, char** argv) {
  openrms::crypto::disable_core_dumps();  // secrets must not reach a core file
  CLI::App app{
      "openrms — open content-protection engine (rights management, Office/PDF encryption)"};
  app.set_version_flag("--version", "openrms 0.1.0");
  app.require_subcommand(1);
  app.footer("Run 'openrms <command> --help' for a command's options.");
  openrms::cli::add_demo_command(app);
  openrms::cli::add_office_command(app);
  openrms::cli::add_pdf_command(app);
  openrms::cli::add_licensing_commands(app);
  openrms::cli::add_protect_commands(app);
  openrms::cli::add_mail_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const openrms::Error& e) {
    std::fprintf(stderr, "openrms: %s: %s\n", std::string(openrms::to_string(e.code())).c_str(),
                 e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "openrms: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
