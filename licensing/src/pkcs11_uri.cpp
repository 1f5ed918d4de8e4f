// RFC 7512 PKCS#11 URIs for key references (key_custody.hpp).
#include <cctype>
#include <cstdio>

#include "openrms/error.hpp"
#include "openrms/licensing/key_custody.hpp"

namespace openrms::licensing {
namespace {

// RFC 7512 §2.3: attribute values are percent-encoded outside the unreserved characters.
std::string pct_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

int hex_value(char c) {
  return c <= '9' ? c - '0' : (std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
}

std::string pct_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
      fail(Errc::invalid_argument, "a PKCS#11 URI has a broken %-escape");
    out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
    i += 2;
  }
  return out;
}

}  // namespace

std::string Pkcs11KeyRef::to_uri() const {
  return "pkcs11:token=" + pct_encode(token) + ";object=" + pct_encode(object);
}

Pkcs11KeyRef Pkcs11KeyRef::parse(std::string_view uri) {
  constexpr std::string_view scheme = "pkcs11:";
  if (uri.substr(0, scheme.size()) != scheme)
    fail(Errc::invalid_argument, "a server key reference is not a PKCS#11 URI");
  Pkcs11KeyRef r;
  std::string_view rest = uri.substr(scheme.size());
  rest = rest.substr(0, rest.find('?'));  // query attributes (pin-source, ...) are not used
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    const std::string_view attr = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    const auto eq = attr.find('=');
    if (eq == std::string_view::npos) continue;
    if (attr.substr(0, eq) == "token") r.token = pct_decode(attr.substr(eq + 1));
    if (attr.substr(0, eq) == "object") r.object = pct_decode(attr.substr(eq + 1));
  }
  if (r.object.empty()) fail(Errc::invalid_argument, "a PKCS#11 key reference names no object");
  return r;
}

}  // namespace openrms::licensing
