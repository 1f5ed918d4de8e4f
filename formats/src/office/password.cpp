// Office password key derivation: UTF-16LE passwords, the spun hash of §2.3.4.11 (Agile) and
// §2.3.4.7 (Standard).
#include <cstring>

#include "office_internal.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/cfb/compound_file.hpp"

namespace openrms::formats::office {

crypto::SecureBytes password_utf16le(std::string_view utf8) {
  std::u16string u = cfb::utf8_to_utf16(utf8);
  crypto::SecureBytes out(u.size() * 2);
  for (std::size_t i = 0; i < u.size(); ++i) {
    out[2 * i] = static_cast<std::uint8_t>(u[i] & 0xFF);
    out[2 * i + 1] = static_cast<std::uint8_t>(u[i] >> 8);
  }
  // Wipe the temporary UTF-16 copy too.
  volatile char16_t* p = u.data();
  for (std::size_t i = 0; i < u.size(); ++i) p[i] = 0;
  return out;
}

namespace detail {

Bytes fix_size(ByteView v, std::size_t n) {
  Bytes out(n, 0x36);
  std::memcpy(out.data(), v.data(), std::min(n, v.size()));
  return out;
}

HashAlg hash_from_name(std::string_view n) {
  if (n == "SHA1" || n == "SHA-1") return HashAlg::sha1;
  if (n == "SHA256" || n == "SHA-256") return HashAlg::sha256;
  if (n == "SHA384" || n == "SHA-384") return HashAlg::sha384;
  if (n == "SHA512" || n == "SHA-512") return HashAlg::sha512;
  fail(Errc::unsupported, "hash algorithm '" + std::string(n).substr(0, 32) +
                              "' is not supported (SHA1, SHA256, SHA384, SHA512 are)");
}

std::string_view hash_name(HashAlg h) {
  switch (h) {
    case HashAlg::sha1:
      return "SHA1";
    case HashAlg::sha256:
      return "SHA256";
    case HashAlg::sha384:
      return "SHA384";
    case HashAlg::sha512:
      return "SHA512";
    default:
      fail(Errc::invalid_argument, "Office encryption uses SHA-1 or SHA-2 (256/384/512)");
  }
}

SecureBytes spin_hash(const Backend& b, HashAlg h, ByteView salt, ByteView pw16,
                      std::uint32_t spins) {
  auto ctx = b.hash(h);
  ctx->update(salt);
  ctx->update(pw16);
  SecureBytes state(ctx->size());
  ctx->finish(state);
  b.hash_spin(h, state, spins);
  return state;
}

SecureBytes agile_block_key(const Backend& b, HashAlg h, ByteView hn, ByteView block_key,
                            std::size_t key_bytes) {
  auto ctx = b.hash(h);
  ctx->update(hn);
  ctx->update(block_key);
  SecureBytes d(ctx->size());
  ctx->finish(d);
  SecureBytes out(key_bytes, 0x36);
  std::memcpy(out.data(), d.data(), std::min(key_bytes, d.size()));
  return out;
}

SecureBytes standard_key(const Backend& b, ByteView salt, ByteView pw16, unsigned key_bits) {
  SecureBytes h = spin_hash(b, HashAlg::sha1, salt, pw16, kStandardSpinCount);
  const std::uint8_t block0[4] = {0, 0, 0, 0};
  auto ctx = b.hash(HashAlg::sha1);
  ctx->update(h);
  ctx->update(block0);
  SecureBytes hfinal(20);
  ctx->finish(hfinal);
  SecureBytes buf(64);
  SecureBytes x(40);
  for (int k = 0; k < 2; ++k) {
    std::uint8_t fill = k == 0 ? 0x36 : 0x5C;
    for (std::size_t i = 0; i < 64; ++i)
      buf[i] = static_cast<std::uint8_t>(fill ^ (i < 20 ? hfinal[i] : 0));
    auto c = b.hash(HashAlg::sha1);
    c->update(buf);
    c->finish(MutableByteView(x.data() + 20 * k, 20));
  }
  x.resize(key_bits / 8);
  return x;
}

}  // namespace detail
}  // namespace openrms::formats::office
