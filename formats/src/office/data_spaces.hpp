// The \006DataSpaces streams of an encrypted OOXML file ([MS-OFFCRYPTO] §2.1 and §2.3.4.1–2).
#pragma once

#include <cstdint>
#include <string_view>

#include "openrms/crypto/secure.hpp"

namespace openrms::formats::office::detail {

/// Appends a little-endian uint32.
void u32(crypto::Bytes& b, std::uint32_t v);
/// Appends a UNICODE-LP-P4 string (§2.1.2): byte length, UTF-16LE, zero padding to 4 bytes.
void lp_p4(crypto::Bytes& b, std::u16string_view s);
/// Appends a version 1.0 (two uint16: major 1, minor 0).
void version_1_0(crypto::Bytes& b);

/// \006DataSpaces/Version (§2.1.5): feature "Microsoft.Container.DataSpaces", versions 1.0.
crypto::Bytes data_space_version();
/// \006DataSpaces/DataSpaceMap (§2.1.6): the stream `stream` -> `data_space`.
crypto::Bytes data_space_map(std::u16string_view data_space,
                             std::u16string_view stream = u"EncryptedPackage");
/// \006DataSpaces/DataSpaceInfo/<name> (§2.1.7): one transform reference.
crypto::Bytes data_space_definition(std::u16string_view transform);
/// \006DataSpaces/TransformInfo/StrongEncryptionTransform/\006Primary (§2.1.8, §2.2.6) as Office
/// writes it for Agile and Standard files: empty EncryptionName, block size 0, mode 0.
crypto::Bytes strong_encryption_primary();

}  // namespace openrms::formats::office::detail
