#include "data_spaces.hpp"

#include "../cfb/cfb_constants.hpp"

namespace openrms::formats::office::detail {

using cfb::detail::put32;

void u32(crypto::Bytes& b, std::uint32_t v) {
  std::uint8_t t[4];
  put32(t, v);
  b.insert(b.end(), t, t + 4);
}
// UNICODE-LP-P4 (§2.1.2): byte length, UTF-16LE characters, zero padding to 4 bytes.
void lp_p4(crypto::Bytes& b, std::u16string_view s) {
  u32(b, static_cast<std::uint32_t>(s.size() * 2));
  for (char16_t c : s) {
    b.push_back(static_cast<std::uint8_t>(c & 0xFF));
    b.push_back(static_cast<std::uint8_t>(c >> 8));
  }
  while (b.size() % 4) b.push_back(0);
}
void version_1_0(crypto::Bytes& b) {  // major 1, minor 0 (two uint16)
  b.insert(b.end(), {1, 0, 0, 0});
}

crypto::Bytes data_space_version() {
  crypto::Bytes b;
  lp_p4(b, u"Microsoft.Container.DataSpaces");
  for (int i = 0; i < 3; ++i) version_1_0(b);  // reader, updater, writer
  return b;
}

crypto::Bytes data_space_map(std::u16string_view data_space, std::u16string_view stream) {
  crypto::Bytes entry;
  u32(entry, 1);  // ReferenceComponentCount
  u32(entry, 0);  // ReferenceComponentType: stream
  lp_p4(entry, stream);
  lp_p4(entry, data_space);
  crypto::Bytes b;
  u32(b, 8);  // HeaderLength
  u32(b, 1);  // EntryCount
  u32(b, static_cast<std::uint32_t>(entry.size() + 4));
  b.insert(b.end(), entry.begin(), entry.end());
  return b;
}

crypto::Bytes data_space_definition(std::u16string_view transform) {
  crypto::Bytes b;
  u32(b, 8);  // HeaderLength
  u32(b, 1);  // TransformReferenceCount
  lp_p4(b, transform);
  return b;
}

crypto::Bytes strong_encryption_primary() {
  crypto::Bytes id;
  u32(id, 1);  // TransformType
  lp_p4(id, u"{FF9A3F03-56EF-4613-BDD5-5A41C1D07246}");
  crypto::Bytes b;
  u32(b, static_cast<std::uint32_t>(id.size() + 4));  // TransformLength: through TransformID
  b.insert(b.end(), id.begin(), id.end());
  lp_p4(b, u"Microsoft.Container.EncryptionTransform");
  for (int i = 0; i < 3; ++i) version_1_0(b);
  u32(b, 0);  // EncryptionName: empty UNICODE-LP-P4
  u32(b, 0);  // EncryptionBlockSize
  u32(b, 0);  // CipherMode
  u32(b, 4);  // Reserved
  return b;
}

}  // namespace openrms::formats::office::detail
