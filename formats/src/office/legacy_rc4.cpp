#include "legacy_rc4.hpp"

#include "../cfb/cfb_constants.hpp"
#include "openrms/error.hpp"

namespace openrms::formats::office::detail {

using cfb::detail::le16;
using cfb::detail::le32;
using crypto::Bytes;
using crypto::ByteView;
using crypto::HashAlg;
using crypto::SecureBytes;

namespace {

[[noreturn]] void bad(const std::string& what) {
  fail(Errc::bad_format, "the RC4 encryption header is invalid: " + what);
}

// A digest straight into wiping memory (these are keys).
SecureBytes digest(const crypto::Backend& b, HashAlg h, ByteView data) {
  auto ctx = b.hash(h);
  ctx->update(data);
  SecureBytes out(ctx->size());
  ctx->finish(out);
  return out;
}

SecureBytes concat(ByteView a, ByteView b) {
  SecureBytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// The header fields both schemes end with: the salt, and the verifier and its hash, which the
// key of block 0 decrypts as one RC4 stream.
struct Verifier {
  ByteView salt, verifier, verifier_hash;
};

}  // namespace

SecureBytes LegacyRc4::block_key(std::uint32_t block) const {
  auto ctx = b_->hash(cryptoapi_ ? HashAlg::sha1 : HashAlg::md5);
  SecureBytes key;
  block_key(*ctx, block, key);
  return key;
}

void LegacyRc4::block_key(crypto::HashCtx& ctx, std::uint32_t block, SecureBytes& key) const {
  const std::uint8_t le[4] = {
      static_cast<std::uint8_t>(block), static_cast<std::uint8_t>(block >> 8),
      static_cast<std::uint8_t>(block >> 16), static_cast<std::uint8_t>(block >> 24)};
  ctx.update(base_);
  ctx.update(ByteView(le, 4));
  key.resize(ctx.size());
  ctx.finish(key);
  // §2.3.6.2 (binary RC4): all 16 bytes of MD5(truncated hash || block), 40 bits of entropy.
  if (!cryptoapi_) return;
  // §2.3.5.2: SHA-1(H0 || block) cut to the key size; a 40-bit key is used as 128 bits with
  // 11 zero bytes, as CryptoAPI does.
  if (key_bits_ == 40) {
    key.resize(5);
    key.resize(16, 0);
  } else {
    key.resize(key_bits_ / 8);
  }
}

void LegacyRc4::crypt(crypto::MutableByteView data, std::size_t block_size) const {
  auto ctx = b_->hash(cryptoapi_ ? HashAlg::sha1 : HashAlg::md5);
  SecureBytes key;
  for (std::size_t off = 0, block = 0; off < data.size(); off += block_size, ++block) {
    auto part = data.subspan(off, std::min(block_size, data.size() - off));
    block_key(*ctx, static_cast<std::uint32_t>(block), key);
    b_->rc4(key)->apply(part, part);
  }
}

std::optional<LegacyRc4> LegacyRc4::unlock(const crypto::Backend& b, ByteView h, ByteView pw16,
                                           std::size_t* header_size) {
  if (h.size() < 4) bad("too short");
  const std::uint16_t major = le16(h.data()), minor = le16(h.data() + 2);
  Verifier v;
  bool cryptoapi = false;
  unsigned key_bits = 128;
  std::size_t used = 0;
  if (major == 1 && minor == 1) {
    // §2.3.6.1: Salt (16), EncryptedVerifier (16), EncryptedVerifierHash (16).
    if (h.size() < 4 + 48) bad("truncated");
    v = {h.subspan(4, 16), h.subspan(20, 16), h.subspan(36, 16)};
    used = 52;
  } else if ((major == 2 || major == 3 || major == 4) && minor == 2) {
    // §2.3.5.1: Flags, HeaderSize, EncryptionHeader, EncryptionVerifier (§2.3.3).
    cryptoapi = true;
    if (h.size() < 12) bad("truncated");
    const std::uint32_t header_len = le32(h.data() + 8);
    if (header_len < 32 || header_len > h.size() - 12) bad("EncryptionHeader size is out of range");
    const std::uint8_t* eh = h.data() + 12;
    const std::uint32_t alg = le32(eh + 8), alg_hash = le32(eh + 12);
    key_bits = le32(eh + 16);
    if (alg != 0x6801 && alg != 0)
      fail(Errc::unsupported, "the RC4 CryptoAPI header names another cipher than RC4");
    if (alg_hash != 0x8004 && alg_hash != 0)
      fail(Errc::unsupported, "the RC4 CryptoAPI header names another hash than SHA-1");
    if (key_bits == 0) key_bits = 40;
    if (key_bits < 40 || key_bits > 128 || key_bits % 8 != 0) bad("KeySize is not 40..128 bits");
    const std::size_t vo = 12 + header_len;
    if (h.size() < vo + 4 + 16 + 16 + 4 + 20) bad("EncryptionVerifier is truncated");
    if (le32(h.data() + vo) != 16) bad("SaltSize is not 16");
    if (le32(h.data() + vo + 36) != 20) bad("VerifierHashSize is not 20");
    v = {h.subspan(vo + 4, 16), h.subspan(vo + 20, 16), h.subspan(vo + 40, 20)};
    used = vo + 60;
  } else {
    fail(Errc::unsupported, "encryption version " + std::to_string(major) + "." +
                                std::to_string(minor) + " is not an RC4 scheme");
  }
  if (header_size) *header_size = used;

  SecureBytes base;
  if (cryptoapi) {
    base = digest(b, HashAlg::sha1, concat(v.salt, pw16));  // H0 = SHA-1(salt || password)
  } else {
    // H0 = MD5(password); MD5 over 16 copies of (H0[0..5) || salt); keep its first 5 bytes.
    SecureBytes h0 = digest(b, HashAlg::md5, pw16);
    SecureBytes buf;
    for (int i = 0; i < 16; ++i) {
      buf.insert(buf.end(), h0.begin(), h0.begin() + 5);
      buf.insert(buf.end(), v.salt.begin(), v.salt.end());
    }
    base = digest(b, HashAlg::md5, buf);
    base.resize(5);
  }
  LegacyRc4 k(b, cryptoapi, std::move(base), key_bits);
  SecureBytes check = concat(v.verifier, v.verifier_hash);
  k.b_->rc4(k.block_key(0))->apply(check, check);
  SecureBytes expected =
      digest(b, cryptoapi ? HashAlg::sha1 : HashAlg::md5, ByteView(check).first(16));
  if (!crypto::ct_equal(expected, ByteView(check).subspan(16))) return std::nullopt;
  return k;
}

}  // namespace openrms::formats::office::detail
