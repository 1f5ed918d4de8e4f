// `openrms pdf encrypt|decrypt|info` — PDF password encryption from the command line.
#pragma once

#include <CLI/CLI.hpp>

namespace openrms::cli {
void add_pdf_command(CLI::App& app);
}
