// Backend-private key representation (not installed).
#pragma once

#include <memory>

#include "openrms/crypto/backend.hpp"

namespace openrms::crypto {

struct KeyHandle {
  virtual ~KeyHandle() = default;
  const Backend* backend = nullptr;
  KeyType type = KeyType::rsa;
  std::size_t bits = 0;
  bool is_private = false;
  virtual Bytes spki_der() const = 0;
  /// Private keys only.
  virtual SecureBytes pkcs8_der() const = 0;
  /// Private keys only: the matching public key.
  virtual std::shared_ptr<const KeyHandle> public_handle() const = 0;
};

/// PEM armour (RFC 7468) around DER.
std::string pem_encode(std::string_view label, ByteView der);
/// If `in` looks like PEM with the given label, returns its DER; otherwise returns `in` as is.
/// Errc::bad_format for PEM with broken base64.
SecureBytes pem_to_der(ByteView in, std::string_view label);

/// Checks the sizes common to both backends (throws invalid_argument).
void check_aes_key(ByteView key);
void check_hkdf_len(HashAlg h, std::size_t len);
void check_gcm_params(ByteView key, ByteView nonce, std::size_t tag_len);
/// AesGcm::seal/open arguments: 12-byte nonce, 16-byte tag, out.size() == in.size(), in and out
/// the same buffer or disjoint.
void check_gcm_message(ByteView nonce, ByteView in, MutableByteView out, std::size_t tag_len);
/// The signature scheme must fit the key type; MD5 signatures are refused.
void check_sig_params(KeyType t, const SigParams& p);
/// Structural signature checks both backends apply before verifying (see Backend::verify).
bool signature_shape_ok(KeyType type, std::size_t key_bits, const SigParams& p,
                        ByteView sig) noexcept;
/// Checks PKCS#7 padding at the end of `data` (16-byte blocks) without data-dependent branches.
/// Returns the pad length (1..16) or 0 if the padding is invalid.
std::size_t pkcs7_pad_length(ByteView data) noexcept;

}  // namespace openrms::crypto
