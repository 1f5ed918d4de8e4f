// Helpers shared by the CLI's file commands.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace openrms::cli {

/// Refuses to overwrite `out` without --force, and to write a file onto its own input
/// (Errc::invalid_argument).
void check_output(const std::string& in, const std::string& out, bool force);

/// Prints a flat JSON object as "key   value" lines (keys padded to `width`); array members are
/// printed one element per line under their key.
void print_table(const nlohmann::ordered_json& j, std::size_t width);

}  // namespace openrms::cli
