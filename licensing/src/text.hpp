// Internal text helpers shared by the licensing sources (ASCII case folding, blank trimming).
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace openrms::licensing::detail {

/// ASCII lower case (e-mail addresses, domains and names are compared this way).
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Without leading and trailing blanks.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace openrms::licensing::detail
