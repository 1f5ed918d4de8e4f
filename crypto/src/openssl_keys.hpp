// Backend-private (not installed): OpenSSL keys that live elsewhere, such as in a PKCS#11 token
// through libp11, as keys of the OpenSSL backend.
#pragma once

#include <openssl/evp.h>

#include <memory>

#include "openrms/crypto/backend.hpp"

namespace openrms::crypto {

/// Takes ownership of `owned` (a private key whose operations OpenSSL routes elsewhere) and
/// keeps `keep_alive` until the last copy of the returned key is gone.
PrivateKey openssl_private_key(EVP_PKEY* owned, std::shared_ptr<const void> keep_alive);

}  // namespace openrms::crypto
