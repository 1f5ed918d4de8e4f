#include "password.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "openrms/error.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::cli {

bool can_prompt() {
  return ::isatty(STDIN_FILENO) != 0;
}

namespace {
crypto::SecureString read_line(std::FILE* f) {
  crypto::SecureString s;
  for (int c; (c = std::fgetc(f)) != EOF && c != '\n';) s.push_back(static_cast<char>(c));
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

crypto::SecureString prompt_once(const char* prompt) {
  std::FILE* tty = std::fopen("/dev/tty", "r+");
  if (tty == nullptr)
    fail(Errc::invalid_argument, "no terminal to prompt for a password on; use --password-file");
  std::fprintf(tty, "%s", prompt);
  std::fflush(tty);
  termios old{};
  bool restore = ::tcgetattr(fileno(tty), &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
  }
  crypto::SecureString s = read_line(tty);
  if (restore) ::tcsetattr(fileno(tty), TCSAFLUSH, &old);
  std::fprintf(tty, "\n");
  std::fclose(tty);
  return s;
}
}  // namespace

crypto::SecureString prompt_password(const char* prompt, bool confirm) {
  crypto::SecureString a = prompt_once(prompt);
  if (confirm) {
    crypto::SecureString b = prompt_once("Repeat the password: ");
    if (!crypto::ct_equal(crypto::as_bytes(a), crypto::as_bytes(b)))
      fail(Errc::invalid_argument, "the two passwords do not match");
  }
  return a;
}

std::optional<crypto::SecureString> read_password(const PasswordSource& src) {
  if (!src.value.empty() && !src.file.empty())
    fail(Errc::invalid_argument, "give either --password or --password-file, not both");
  if (!src.value.empty()) return crypto::SecureString(src.value.begin(), src.value.end());
  if (src.file.empty()) return std::nullopt;
  if (src.file == "-") return read_line(stdin);
  std::FILE* f = std::fopen(src.file.c_str(), "rb");
  if (f == nullptr) fail(Errc::io, "cannot open password file " + src.file);
  crypto::SecureString s = read_line(f);
  std::fclose(f);
  return s;
}

}  // namespace openrms::cli
