// EME-OAEP encoding and decoding (RFC 8017 §7.1.1 step 2, §7.1.2 step 3) on top of any backend's
// hash. Used by the Botan backend when an OAEP label is given (Botan 2 only takes labels as text
// in its algorithm string, which cannot carry arbitrary bytes). Decoding is branch-free over the
// secret data; failure is reported only through the return value.
#pragma once

#include <optional>

#include "openrms/crypto/backend.hpp"

namespace openrms::crypto {

/// Returns EM of k bytes, or throws invalid_argument if the message is too long.
Bytes oaep_encode(const Backend& be, HashAlg h, HashAlg mgf, ByteView label, ByteView msg,
                  std::size_t k);
/// Decodes EM (exactly k bytes). nullopt on any decoding error.
std::optional<SecureBytes> oaep_decode(const Backend& be, HashAlg h, HashAlg mgf, ByteView label,
                                       ByteView em);

}  // namespace openrms::crypto
