// Helpers shared by the CLI's file commands.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "openrms/formats/io.hpp"

namespace openrms::cli {

/// Refuses to overwrite `out` without --force, and to write a file onto its own input
/// (Errc::invalid_argument).
void check_output(const std::string& in, const std::string& out, bool force);

/// Content to standard output: every write and the final flush are checked, so a full disk or a
/// closed pipe ends the command with Errc::io instead of exit 0 with a truncated stream.
class StdoutSink final : public formats::ByteSink {
 public:
  void write(crypto::ByteView data) override;
  void finish();
};

/// Flushes and closes standard output; Errc::io if anything written to it was lost. The command
/// calls it before exiting 0.
void close_stdout();

/// Prints a flat JSON object as "key   value" lines (keys padded to `width`); array members are
/// printed one element per line under their key.
void print_table(const nlohmann::ordered_json& j, std::size_t width);

}  // namespace openrms::cli
