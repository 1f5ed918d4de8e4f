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

/// True if `s` is well-formed UTF-8 (RFC 3629, Unicode Table 3-7): no overlong forms, no
/// surrogates, nothing above U+10FFFF, no truncated sequence. ASCII, NUL included, is valid.
inline bool valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto at = [&s](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  auto cont = [&](std::size_t k) { return k < n && (at(k) & 0xC0) == 0x80; };
  while (i < n) {
    const unsigned char b = at(i);
    if (b < 0x80) {
      ++i;
    } else if (b >= 0xC2 && b <= 0xDF) {
      if (!cont(i + 1)) return false;
      i += 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      if (!cont(i + 1) || !cont(i + 2)) return false;
      const unsigned char b1 = at(i + 1);
      if ((b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 > 0x9F))
        return false;  // overlong, surrogate
      i += 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return false;
      const unsigned char b1 = at(i + 1);
      if ((b == 0xF0 && b1 < 0x90) || (b == 0xF4 && b1 > 0x8F))
        return false;  // overlong, > U+10FFFF
      i += 4;
    } else {
      return false;  // a continuation byte first, C0/C1, or F5..FF
    }
  }
  return true;
}

/// The lower-case domain of an e-mail address (after the last '@'); empty without one.
inline std::string email_domain(std::string_view email) {
  auto at = email.rfind('@');
  return at == std::string_view::npos ? std::string() : ascii_lower(email.substr(at + 1));
}

/// RFC 3986 percent-encoding: every byte but the unreserved ALPHA DIGIT - . _ ~ as %XX. Safe in
/// a URL's query and path segments, and as an RFC 8187 ext-value (filename*=UTF-8'').
inline std::string percent_encode(std::string_view s) {
  static const char* const hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

/// Appends `s` escaped for HTML text and for double- or single-quoted attribute values:
/// & < > " ' become references, and a NUL becomes U+FFFD (never markup).
inline void html_escape_to(std::string& out, std::string_view s) {
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\0':
        out += "\xEF\xBF\xBD";
        break;
      default:
        out += ch;
    }
  }
}

inline std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  html_escape_to(out, s);
  return out;
}

}  // namespace openrms
