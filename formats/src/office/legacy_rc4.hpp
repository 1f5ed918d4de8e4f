// The RC4 schemes of Office 97–2003 binary documents ([MS-OFFCRYPTO] §2.3.6 "Office Binary
// Document RC4 Encryption", §2.3.5 "Office Binary Document RC4 CryptoAPI Encryption"): the
// encryption header (§2.3.6.1 / §2.3.5.1), the password check against its verifier
// (§2.3.6.4 / §2.3.5.6) and the per-block keys (§2.3.6.2 / §2.3.5.2). Decrypt only: these
// schemes are broken cryptography and openrms does not write them.
// Where the encrypted bytes are is each format's business (legacy_word.cpp, ...).
// Errors: Error{bad_format} for a malformed header, Error{unsupported} for an RC4 CryptoAPI
// header that names another cipher or hash.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "openrms/crypto/backend.hpp"
#include "openrms/crypto/secure.hpp"
#include "openrms/formats/office/office_crypto.hpp"

namespace openrms::formats::office::detail {

class LegacyRc4 {
 public:
  /// Reads the encryption header at the start of `header` (EncryptionVersionInfo first) and
  /// checks the password (UTF-16LE); nullopt if it is wrong. `header_size` is set to the bytes
  /// the header takes.
  static std::optional<LegacyRc4> unlock(const crypto::Backend& b, crypto::ByteView header,
                                         crypto::ByteView password16, std::size_t* header_size);

  Scheme scheme() const noexcept { return cryptoapi_ ? Scheme::rc4_cryptoapi : Scheme::rc4_binary; }
  unsigned key_bits() const noexcept { return key_bits_; }
  /// The RC4 key of block `block` (the cipher restarts with a new key every block).
  crypto::SecureBytes block_key(std::uint32_t block) const;
  /// The same into `key`, with a hash context of the scheme's hash (reused across blocks).
  void block_key(crypto::HashCtx& ctx, std::uint32_t block, crypto::SecureBytes& key) const;
  /// An RC4 keystream keyed for block `block` that runs on without re-keying (PowerPoint's
  /// persist objects and pictures, the encrypted summary stream).
  std::unique_ptr<crypto::Rc4> cipher(std::uint32_t block) const {
    return b_->rc4(block_key(block));
  }
  /// Decrypts `data` in place as a stream whose RC4 blocks of `block_size` bytes start at
  /// offset 0 of the stream (Word and PowerPoint: 512-byte blocks, Excel: 1024).
  void crypt(crypto::MutableByteView data, std::size_t block_size = 512) const;

 private:
  LegacyRc4(const crypto::Backend& b, bool cryptoapi, crypto::SecureBytes base, unsigned key_bits)
      : b_(&b), cryptoapi_(cryptoapi), base_(std::move(base)), key_bits_(key_bits) {}
  const crypto::Backend* b_;
  bool cryptoapi_;
  crypto::SecureBytes base_;  // H0 (CryptoAPI) or the truncated intermediate hash (binary RC4)
  unsigned key_bits_;
};

}  // namespace openrms::formats::office::detail
