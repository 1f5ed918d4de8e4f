// Password input for the CLI: --password, --password-file (a file's first line, "-" = stdin),
// or an interactive prompt on the terminal with echo off. Never echoes, never logs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "openrms/crypto/secure.hpp"
#include "openrms/error.hpp"

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

/// Runs op(password) with the password from `src`; without one, runs op(nullopt) (the format's
/// default: Excel's VelvetSweatshop, a PDF's empty user password) and, if that is the wrong
/// password and a terminal is there, prompts with `prompt` and runs op once more.
template <typename Op>
auto with_password(const PasswordSource& src, const char* prompt, Op op) {
  auto pw = read_password(src);
  if (pw) return op(std::optional<std::string_view>(std::string_view(*pw)));
  try {
    return op(std::optional<std::string_view>());
  } catch (const Error& e) {
    if (e.code() != Errc::wrong_password) throw;
    if (!can_prompt())
      fail(Errc::wrong_password,
           std::string(e.what()) +
               "; there is no terminal to ask on: give --password-file FILE (or - to read it from "
               "standard input)");
    crypto::SecureString typed = prompt_password(prompt, false);
    return op(std::optional<std::string_view>(std::string_view(typed)));
  }
}

}  // namespace openrms::cli
