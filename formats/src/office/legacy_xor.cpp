// XOR obfuscation method 1: CreatePasswordVerifier_Method1 (§2.3.7.1), CreateXorKey_Method1 and
// CreateXorArray_Method1 (§2.3.7.2), and the data transform (§2.3.7.3). Excel decrypts each
// byte as rotate-right-5 of the stored byte XOR the array (the order the specification's
// pseudo-code gives for encryption, as Apache POI and LibreOffice also found).
#include "legacy_xor.hpp"

#include <array>

namespace openrms::formats::office::detail {

namespace {

// §2.3.7.2: InitialCode, indexed by password length - 1, and XorMatrix, seven words per row.
constexpr std::array<std::uint16_t, 15> kInitialCode = {0xE1F0, 0x1D0F, 0xCC9C, 0x84C0, 0x110C,
                                                        0x0E10, 0xF1CE, 0x313E, 0x1872, 0xE139,
                                                        0xD40F, 0x84F9, 0x280C, 0xA96A, 0x4EC3};
constexpr std::uint16_t kXorMatrix[15][7] = {
    {0xAEFC, 0x4DD9, 0x9BB2, 0x2745, 0x4E8A, 0x9D14, 0x2A09},
    {0x7B61, 0xF6C2, 0xFDA5, 0xEB6B, 0xC6F7, 0x9DCF, 0x2BBF},
    {0x4563, 0x8AC6, 0x05AD, 0x0B5A, 0x16B4, 0x2D68, 0x5AD0},
    {0x0375, 0x06EA, 0x0DD4, 0x1BA8, 0x3750, 0x6EA0, 0xDD40},
    {0xD849, 0xA0B3, 0x5147, 0xA28E, 0x553D, 0xAA7A, 0x44D5},
    {0x6F45, 0xDE8A, 0xAD35, 0x4A4B, 0x9496, 0x390D, 0x721A},
    {0xEB23, 0xC667, 0x9CEF, 0x29FF, 0x53FE, 0xA7FC, 0x5FD9},
    {0x47D3, 0x8FA6, 0x0F6D, 0x1EDA, 0x3DB4, 0x7B68, 0xF6D0},
    {0xB861, 0x60E3, 0xC1C6, 0x93AD, 0x377B, 0x6EF6, 0xDDEC},
    {0x45A0, 0x8B40, 0x06A1, 0x0D42, 0x1A84, 0x3508, 0x6A10},
    {0xAA51, 0x4483, 0x8906, 0x022D, 0x045A, 0x08B4, 0x1168},
    {0x76B4, 0xED68, 0xCAF1, 0x85C3, 0x1BA7, 0x374E, 0x6E9C},
    {0x3730, 0x6E60, 0xDCC0, 0xA9A1, 0x4363, 0x86C6, 0x1DAD},
    {0x3331, 0x6662, 0xCCC4, 0x89A9, 0x0373, 0x06E6, 0x0DCC},
    {0x1021, 0x2042, 0x4084, 0x8108, 0x1231, 0x2462, 0x48C4}};
constexpr std::array<std::uint8_t, 15> kPad = {0xBB, 0xFF, 0xFF, 0xBA, 0xFF, 0xFF, 0xB9, 0x80,
                                               0x00, 0xBE, 0x0F, 0x00, 0xBF, 0x0F, 0x00};

std::uint8_t rotl(std::uint8_t v, int n) {
  return static_cast<std::uint8_t>((v << n) | (v >> (8 - n)));
}

std::uint16_t verifier_of(const crypto::SecureBytes& pw) {
  std::uint16_t v = 0;
  auto step = [&v](std::uint8_t byte) {
    v = static_cast<std::uint16_t>((((v >> 14) & 1) | ((v << 1) & 0x7FFF)) ^ byte);
  };
  for (std::size_t i = pw.size(); i-- > 0;) step(pw[i]);
  step(static_cast<std::uint8_t>(pw.size()));
  return v ^ 0xCE4B;
}

std::uint16_t key_of(const crypto::SecureBytes& pw) {
  std::uint16_t k = kInitialCode[pw.size() - 1];
  for (std::size_t i = 0, row = 15 - pw.size(); i < pw.size(); ++i, ++row)
    for (int bit = 0; bit < 7; ++bit)
      if (pw[i] & (1u << bit)) k ^= kXorMatrix[row][bit];
  return k;
}

}  // namespace

std::optional<XorMethod1> XorMethod1::unlock(crypto::ByteView pw16, std::uint16_t key,
                                             std::uint16_t verifier) {
  crypto::SecureBytes pw;
  for (std::size_t i = 0; i + 1 < pw16.size() && pw.size() < 15; i += 2)
    pw.push_back(pw16[i] != 0 ? pw16[i] : pw16[i + 1]);
  if (pw.empty()) return std::nullopt;
  const std::uint16_t k = key_of(pw), v = verifier_of(pw);
  const std::uint8_t mine[4] = {static_cast<std::uint8_t>(k), static_cast<std::uint8_t>(k >> 8),
                                static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8)};
  const std::uint8_t stored[4] = {
      static_cast<std::uint8_t>(key), static_cast<std::uint8_t>(key >> 8),
      static_cast<std::uint8_t>(verifier), static_cast<std::uint8_t>(verifier >> 8)};
  if (!crypto::ct_equal(crypto::ByteView(mine, 4), crypto::ByteView(stored, 4)))
    return std::nullopt;
  crypto::SecureBytes array(16);
  for (std::size_t i = 0; i < 16; ++i) {
    const std::uint8_t c = i < pw.size() ? pw[i] : kPad[i - pw.size()];
    array[i] = rotl(static_cast<std::uint8_t>(c ^ (i % 2 ? k >> 8 : k & 0xFF)), 2);
  }
  return XorMethod1(std::move(array));
}

void XorMethod1::decrypt(crypto::MutableByteView data, std::size_t index) const noexcept {
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<std::uint8_t>(rotl(data[i], 3) ^ array_[(index + i) % 16]);
}

}  // namespace openrms::formats::office::detail
