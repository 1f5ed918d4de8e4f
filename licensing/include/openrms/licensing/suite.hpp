// License key suites (DESIGN.md §4): which signature and key-sealing algorithms a certificate
// and the licenses under it use. The suite is named in every certificate.
//   ecdsa-p256 (default): ECDSA P-256 / SHA-256 (DER signatures); sealing = ECIES P-256 +
//                         HKDF-SHA256 + AES-256-GCM (openrms/crypto/ecies.hpp)
//   rsa-3072:             RSA-PSS SHA-256 (salt = 32); sealing = RSA-OAEP SHA-256
// Key ids: the first 16 bytes of SHA-256(SubjectPublicKeyInfo DER), lower-case hex.
// Thread-safe. Errors: Error{invalid_argument} for a key that does not fit the suite.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "openrms/crypto/backend.hpp"

namespace openrms::licensing {

enum class Suite { ecdsa_p256, rsa_3072 };

std::string_view to_string(Suite s) noexcept;  ///< "ecdsa-p256" / "rsa-3072"
std::optional<Suite> parse_suite(std::string_view) noexcept;
std::string_view signature_alg(Suite s) noexcept;  ///< "ecdsa-p256-sha256" / "rsa-pss-sha256"

crypto::PrivateKey generate_key(Suite s, const crypto::Backend& be);
/// The suite a key belongs to; throws Error{invalid_argument} for other key types or sizes.
Suite suite_of(const crypto::PublicKey& key);

crypto::Bytes sign(Suite s, const crypto::PrivateKey& key, crypto::ByteView message,
                   const crypto::Backend& be);
/// False for any bad signature or a key of another suite; never throws for those.
bool verify(Suite s, const crypto::PublicKey& key, crypto::ByteView message,
            crypto::ByteView signature, const crypto::Backend& be) noexcept;

std::string key_id(const crypto::PublicKey& key);

}  // namespace openrms::licensing
