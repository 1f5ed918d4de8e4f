// XOR obfuscation method 1 ([MS-OFFCRYPTO] §2.3.7.1–§2.3.7.3), Excel 97–2003's weakest "password
// to open": a 16-bit verifier and a 16-byte array derived from at most 15 single-byte password
// characters. Decrypt only.
#pragma once

#include <cstdint>
#include <optional>

#include "openrms/crypto/backend.hpp"
#include "openrms/crypto/secure.hpp"

namespace openrms::formats::office::detail {

class XorMethod1 {
 public:
  /// Checks the password (UTF-16LE) against the key and verifier FilePass stores; nullopt if it
  /// is wrong. Characters past the 15th are ignored, as Excel does; each UTF-16 unit counts as
  /// its low byte, or its high byte when the low one is zero (§2.3.7.4's rule).
  static std::optional<XorMethod1> unlock(crypto::ByteView password16, std::uint16_t key,
                                          std::uint16_t verifier);

  /// Decrypts `data` in place; `index` is the XorArray index of its first byte (Excel: the
  /// byte's stream offset plus its record's size).
  void decrypt(crypto::MutableByteView data, std::size_t index) const noexcept;

 private:
  explicit XorMethod1(crypto::SecureBytes a) : array_(std::move(a)) {}
  crypto::SecureBytes array_;  // 16 bytes
};

}  // namespace openrms::formats::office::detail
