// Linked instead of botan_backend.cpp when OPENRMS_WITH_BOTAN is OFF.
#include "openrms/crypto/backend.hpp"
#include "openrms/error.hpp"

namespace openrms::crypto {
const Backend& botan_backend() {
  fail(Errc::unsupported, "openrms was built without the Botan backend");
}
bool has_botan() noexcept {
  return false;
}
}  // namespace openrms::crypto
