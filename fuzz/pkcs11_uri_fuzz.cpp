// PKCS#11 key references (RFC 7512 URIs, read from the store) on arbitrary text: parse gives a
// reference or Error{invalid_argument}; a reference it gives formats to a URI that parses back
// to the same reference.
#include <cstdlib>

#include "openrms/error.hpp"
#include "openrms/licensing/key_custody.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view uri(reinterpret_cast<const char*>(data), size);
  openrms::licensing::Pkcs11KeyRef r;
  try {
    r = openrms::licensing::Pkcs11KeyRef::parse(uri);
  } catch (const openrms::Error& e) {
    if (e.code() != openrms::Errc::invalid_argument) std::abort();
    return 0;
  }
  if (openrms::licensing::Pkcs11KeyRef::parse(r.to_uri()) != r) std::abort();
  return 0;
}
