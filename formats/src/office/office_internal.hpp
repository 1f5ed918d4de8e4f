// Internal pieces of the Office encryption code: EncryptionInfo models and the password KDFs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "openrms/crypto/backend.hpp"
#include "openrms/formats/cfb/compound_file.hpp"
#include "openrms/formats/office/office_crypto.hpp"

namespace openrms::formats::office::detail {

using crypto::Backend;
using crypto::HashAlg;
using crypto::SecureBytes;

inline constexpr std::uint8_t kBlockVerifierInput[8] = {0xfe, 0xa7, 0xd2, 0x76,
                                                        0x3b, 0x4b, 0x9e, 0x79};
inline constexpr std::uint8_t kBlockVerifierValue[8] = {0xd7, 0xaa, 0x0f, 0x6d,
                                                        0x30, 0x61, 0x34, 0x4e};
inline constexpr std::uint8_t kBlockKeyValue[8] = {0x14, 0x6e, 0x0b, 0xe7, 0xab, 0xac, 0xd0, 0xd6};
inline constexpr std::uint8_t kBlockHmacKey[8] = {0x5f, 0xb2, 0xad, 0x01, 0x0c, 0xb9, 0xe1, 0xf6};
inline constexpr std::uint8_t kBlockHmacValue[8] = {0xa0, 0x67, 0x7f, 0x02, 0xb2, 0x2c, 0x84, 0x33};
inline constexpr std::uint32_t kMaxSpinCount = 10'000'000;
inline constexpr std::uint32_t kStandardSpinCount = 50'000;
inline constexpr std::size_t kMaxPasswordUnits = 255;

/// Parameters shared by keyData and a password encryptedKey (§2.3.4.10).
struct AgileParams {
  std::string cipher = "AES", chaining = "ChainingModeCBC", hash_name = "SHA512";
  HashAlg hash = HashAlg::sha512;
  unsigned salt_size = 16, block_size = 16, key_bits = 256, hash_size = 64;
  Bytes salt;
};

struct AgilePasswordKey {
  AgileParams p;
  std::uint32_t spin_count = 100000;
  Bytes enc_verifier_input, enc_verifier_value, enc_key_value;
};

struct AgileInfo {
  AgileParams key_data;
  std::optional<std::pair<Bytes, Bytes>> integrity;  // encryptedHmacKey, encryptedHmacValue
  std::vector<AgilePasswordKey> passwords;
  unsigned certificate_encryptors = 0;
};

/// Parses the XML after the 8-byte version/reserved header. bad_format / unsupported.
AgileInfo parse_agile(ByteView xml);
/// Serialises in Office's style (XML declaration, CRLF, default + p: + c: namespaces).
std::string write_agile(const AgileInfo& info);

struct StandardInfo {
  std::uint16_t version_major = 4, version_minor = 2;
  std::uint32_t flags = 0x24, alg_id = 0x660E, alg_id_hash = 0x8004, key_bits = 128;
  std::uint32_t provider_type = 0x18;
  std::u16string csp_name = u"Microsoft Enhanced RSA and AES Cryptographic Provider";
  Bytes salt, enc_verifier, enc_verifier_hash;
  std::uint32_t verifier_hash_size = 20;
};

/// Parses a whole Standard EncryptionInfo stream (version included).
StandardInfo parse_standard(ByteView stream);
Bytes write_standard(const StandardInfo& info);

/// Truncates or pads with 0x36 to `n` bytes (§2.3.4.11–12 "fix").
Bytes fix_size(ByteView v, std::size_t n);
HashAlg hash_from_name(std::string_view name);  // unsupported for anything but SHA-1/2
std::string_view hash_name(HashAlg h);

/// H_n of §2.3.4.11: H0 = H(salt || pw), n spins of H(LE32(i) || H).
SecureBytes spin_hash(const Backend& b, HashAlg h, ByteView salt, ByteView pw16,
                      std::uint32_t spins);
/// key(blockKey) = fix(H(Hn || blockKey), key_bytes) with 0x36 padding.
SecureBytes agile_block_key(const Backend& b, HashAlg h, ByteView hn, ByteView block_key,
                            std::size_t key_bytes);
/// Standard encryption key (§2.3.4.7).
SecureBytes standard_key(const Backend& b, ByteView salt, ByteView pw16, unsigned key_bits);

/// True if the compound file's \006DataSpaces/DataSpaceMap maps content to the rights-management
/// data space (DRMEncryptedDataSpace, [MS-OFFCRYPTO] §2.2): an IRM-protected document.
bool uses_drm_data_space(const cfb::Reader& r);
/// The ECMA-376 scheme an EncryptionInfo version and flags name (§2.3.4.5, 2.3.4.10).
Scheme scheme_of(std::uint16_t major, std::uint16_t minor, std::uint32_t flags);
/// detect() on a compound file already open.
Detection detect_in(const cfb::Reader& r);

}  // namespace openrms::formats::office::detail
