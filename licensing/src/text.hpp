// Internal text helpers shared by the licensing sources (ASCII case folding, blank trimming).
#pragma once

#include <cctype>
#include <string>
#include <string_view>

#include "openrms/text.hpp"

namespace openrms::licensing::detail {

/// ASCII lower case (e-mail addresses, domains and names are compared this way).
inline std::string lower(std::string_view s) {
  return ascii_lower(s);
}

/// Without leading and trailing blanks.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace openrms::licensing::detail
