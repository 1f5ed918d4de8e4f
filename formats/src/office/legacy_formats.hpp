// Decryption of Office 97–2003 binary documents, one function per format: each finds its
// encrypted streams and byte ranges, unlocks the scheme with the password and returns the
// decrypted streams; write_with_streams() then copies the compound file with them replaced.
// Decrypt only (openrms does not write these broken schemes).
#pragma once

#include <map>
#include <set>
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
  std::map<std::string, Bytes> streams;  ///< by path: replacements, or new streams at the root
  std::set<std::string> dropped;         ///< paths left out of the output
};

class LegacyRc4;

/// Word (.doc), RC4 and RC4 CryptoAPI. bad_format for a broken file, unsupported for XOR
/// obfuscation.
LegacyDecrypted decrypt_word(const crypto::Backend& b, const cfb::Reader& r, crypto::ByteView pw16);

/// Excel (.xls, BIFF8), RC4 and RC4 CryptoAPI. bad_format for a broken file, unsupported for
/// XOR obfuscation and BIFF5.
LegacyDecrypted decrypt_excel(const crypto::Backend& b, const cfb::Reader& r,
                              crypto::ByteView pw16);

/// PowerPoint (.ppt), RC4 CryptoAPI (the only scheme [MS-PPT] §2.3.7 allows). bad_format for a
/// broken file.
LegacyDecrypted decrypt_powerpoint(const crypto::Backend& b, const cfb::Reader& r,
                                   crypto::ByteView pw16);

/// [MS-OFFCRYPTO] §2.3.5.4: when `r` has the RC4 CryptoAPI encrypted summary stream `name`, adds
/// the property-set streams it carries to `d` (replacing the empty placeholder
/// \x05DocumentSummaryInformation) and drops `name`. bad_format when it is malformed.
void decrypt_summary(const LegacyRc4& key, const cfb::Reader& r, std::string_view name,
                     LegacyDecrypted& d);

/// Writes `r`'s compound file with `d.streams` in place of the streams of the same paths.
void write_with_streams(const cfb::Reader& r, const LegacyDecrypted& d, ByteSink& sink);

}  // namespace openrms::formats::office::detail
