// `openrms serve` — the licensing service over HTTPS (server/service.hpp) on the store given by
// --store, with bearer tokens from a configured OIDC issuer.
#pragma once

#include <CLI/CLI.hpp>

namespace openrms::cli {
void add_serve_command(CLI::App& app);
}
