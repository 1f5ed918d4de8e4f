// Decryption of Office 97–2003 binary documents, one function per format: each finds its
// encrypted streams and byte ranges, unlocks the scheme with the password and returns the
// decrypted streams; write_with_streams() then copies the compound file with them replaced.
// Decrypt only (openrms does not write these broken schemes).
#pragma once

#include <map>
#include <string>

#include "openrms/crypto/backend.hpp"
#include "openrms/formats/cfb/compound_file.hpp"
#include "openrms/formats/io.hpp"
#include "openrms/formats/office/office_crypto.hpp"

namespace openrms::formats::office::detail {

/// A legacy stream is read whole; the compound-file reader has already bounded it by the file.
inline constexpr std::uint64_t kMaxLegacyStream = std::uint64_t{1} << 31;

struct LegacyDecrypted {
  bool unlocked = false;  ///< false: the password is wrong (nothing else is set)
  Scheme scheme = Scheme::none;
  unsigned key_bits = 0;
  std::map<std::string, Bytes> streams;  ///< by path: the decrypted replacements
};

/// Word (.doc), RC4 and RC4 CryptoAPI. bad_format for a broken file, unsupported for XOR
/// obfuscation.
LegacyDecrypted decrypt_word(const crypto::Backend& b, const cfb::Reader& r, crypto::ByteView pw16);

/// Excel (.xls, BIFF8), RC4 and RC4 CryptoAPI. bad_format for a broken file, unsupported for
/// XOR obfuscation and BIFF5.
LegacyDecrypted decrypt_excel(const crypto::Backend& b, const cfb::Reader& r,
                              crypto::ByteView pw16);

/// Writes `r`'s compound file with `d.streams` in place of the streams of the same paths.
void write_with_streams(const cfb::Reader& r, const LegacyDecrypted& d, ByteSink& sink);

}  // namespace openrms::formats::office::detail
