#include "openrms/licensing/key_custody.hpp"

#include <cctype>
#include <cstdio>

#include "openrms/error.hpp"

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
    out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

}  // namespace

Pkcs11Custody::Pkcs11Custody(const crypto::Pkcs11Config& config) : token_(config) {}

std::string Pkcs11Custody::reference(std::string_view label) const {
  return "pkcs11:token=" + pct_encode(token_.label()) + ";object=" + pct_encode(label);
}

crypto::PrivateKey Pkcs11Custody::key(std::string_view ref) const {
  constexpr std::string_view scheme = "pkcs11:";
  if (ref.substr(0, scheme.size()) != scheme)
    fail(Errc::invalid_argument, "a server key reference is not a PKCS#11 URI");
  std::string token, object;
  std::string_view rest = ref.substr(scheme.size());
  rest = rest.substr(0, rest.find('?'));  // query attributes (pin-source, ...) are not used
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    std::string_view attr = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    const auto eq = attr.find('=');
    if (eq == std::string_view::npos) continue;
    if (attr.substr(0, eq) == "token") token = pct_decode(attr.substr(eq + 1));
    if (attr.substr(0, eq) == "object") object = pct_decode(attr.substr(eq + 1));
  }
  if (object.empty()) fail(Errc::invalid_argument, "a PKCS#11 key reference names no object");
  if (token != token_.label())
    fail(Errc::invalid_argument, "this server key is in PKCS#11 token '" + token +
                                     "', not in the configured token '" + token_.label() + "'");
  return token_.private_key(object);
}

}  // namespace openrms::licensing
