#pragma once

#include <CLI/CLI.hpp>

namespace openrms::cli {
/// Registers `openrms demo`.
void add_demo_command(CLI::App& app);
}  // namespace openrms::cli
