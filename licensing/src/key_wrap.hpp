// Server private keys at rest, for every Store: AES-256-GCM under the store's 32-byte
// key-encryption key (a fresh 12-byte nonce per key; the associated data names the key's purpose
// and generation), and a check value (an HMAC of a constant under the KEK) that tells a wrong
// KEK (Error{wrong_password}) from a damaged key row (Error{integrity}).
// Thread safety: wrap/unwrap/check_value are const and may run concurrently; set the verdict
// (`kek_matches`) before sharing.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "openrms/crypto/backend.hpp"
#include "openrms/crypto/secure.hpp"
#include "openrms/licensing/store.hpp"

namespace openrms::licensing::detail {

class KeyWrap {
 public:
  explicit KeyWrap(crypto::SecureBytes kek);
  crypto::Bytes wrap(crypto::ByteView secret, const std::string& aad) const;
  crypto::SecureBytes unwrap(crypto::ByteView blob, const std::string& aad) const;
  /// A generation's two keys as stored (empty when they are in custody elsewhere).
  std::pair<crypto::Bytes, crypto::Bytes> wrap_generation(const ServerGeneration& g) const;
  /// Fills g's PKCS#8 fields from the stored blobs (unless its keys are in custody).
  void unwrap_generation(ServerGeneration& g, crypto::ByteView signing,
                         crypto::ByteView sealing) const;
  /// Hex HMAC-SHA-256 of "openrms-kek-check-v1" under the KEK.
  std::string check_value() const;
  /// nullopt: a store written before the check existed (a failed unwrap is then ambiguous).
  std::optional<bool> kek_matches;

  /// The associated data of a server key: "openrms-store-v1|sign|3".
  static std::string aad(const char* purpose, std::uint32_t generation) {
    return std::string("openrms-store-v1|") + purpose + "|" + std::to_string(generation);
  }

 private:
  crypto::SecureBytes kek_;
  const crypto::Backend& be_ = crypto::default_backend();
};

}  // namespace openrms::licensing::detail
