// `openrms office encrypt|decrypt|info` — Office password encryption from the command line.
#pragma once

#include <CLI/CLI.hpp>

namespace openrms::cli {
void add_office_command(CLI::App& app);
}
