// `openrms mail protect|open|inspect|revoke|settings`, `openrms branding add|set|list|remove`,
// `openrms rules add|import|list|remove|test` — protected e-mail on the embedded server's store.
#pragma once

#include <CLI/CLI.hpp>

namespace openrms::cli {
void add_mail_commands(CLI::App& app);
}
