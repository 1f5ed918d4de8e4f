// Small ASCII text helpers shared by every layer: e-mail addresses, domains, names and file
// extensions are compared case-insensitively without a locale. Thread-safe, never throw (beyond
// std::bad_alloc).
#pragma once

#include <string>
#include <string_view>

namespace openrms {

/// ASCII lower case; other bytes (UTF-8 included) unchanged.
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// The lower-case domain of an e-mail address (after the last '@'); empty without one.
inline std::string email_domain(std::string_view email) {
  auto at = email.rfind('@');
  return at == std::string_view::npos ? std::string() : ascii_lower(email.substr(at + 1));
}

}  // namespace openrms
