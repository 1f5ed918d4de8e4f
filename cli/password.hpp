// Password input for the CLI: --password, --password-file (a file's first line, "-" = stdin),
// or an interactive prompt on the terminal with echo off. Never echoes, never logs.
#pragma once

#include <optional>
#include <string>

#include "openrms/crypto/secure.hpp"

namespace openrms::cli {

struct PasswordSource {
  std::string value;  ///< --password (visible in the process list: prefer a file or the prompt)
  std::string file;   ///< --password-file
  bool given() const { return !value.empty() || !file.empty(); }
};

/// True if standard input is a terminal we can prompt on.
bool can_prompt();
/// Prompts on /dev/tty with echo disabled. `confirm` asks twice and requires a match.
crypto::SecureString prompt_password(const char* prompt, bool confirm);
/// The password from --password or --password-file, or nullopt if neither was given.
std::optional<crypto::SecureString> read_password(const PasswordSource& src);

}  // namespace openrms::cli
