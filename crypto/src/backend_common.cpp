// Backend-independent parts of the crypto interface: key wrappers, PEM, the registry.
#include <atomic>

#include "base64.hpp"
#include "key_handle.hpp"
#include "openrms/error.hpp"

namespace openrms::crypto {

std::size_t digest_size(HashAlg h) noexcept {
  switch (h) {
    case HashAlg::md5:
      return 16;
    case HashAlg::sha1:
      return 20;
    case HashAlg::sha224:
      return 28;
    case HashAlg::sha256:
      return 32;
    case HashAlg::sha384:
      return 48;
    case HashAlg::sha512:
      return 64;
  }
  return 0;
}

std::string_view to_string(HashAlg h) noexcept {
  switch (h) {
    case HashAlg::md5:
      return "MD5";
    case HashAlg::sha1:
      return "SHA-1";
    case HashAlg::sha224:
      return "SHA-224";
    case HashAlg::sha256:
      return "SHA-256";
    case HashAlg::sha384:
      return "SHA-384";
    case HashAlg::sha512:
      return "SHA-512";
  }
  return "?";
}

std::optional<HashAlg> parse_hash_alg(std::string_view name) noexcept {
  std::string canonical;
  for (const char c : name)
    if (c != '-') canonical += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  for (const HashAlg h : {HashAlg::md5, HashAlg::sha1, HashAlg::sha224, HashAlg::sha256,
                          HashAlg::sha384, HashAlg::sha512}) {
    std::string known;
    for (const char c : to_string(h))
      if (c != '-') known += c;
    if (canonical == known) return h;
  }
  return std::nullopt;
}

std::string_view to_string(KeyType t) noexcept {
  switch (t) {
    case KeyType::rsa:
      return "RSA";
    case KeyType::ec_p256:
      return "EC P-256";
    case KeyType::ec_p384:
      return "EC P-384";
    case KeyType::ed25519:
      return "Ed25519";
  }
  return "?";
}

static const KeyHandle& need(const std::shared_ptr<const KeyHandle>& h) {
  if (!h) fail(Errc::invalid_argument, "empty key");
  return *h;
}

KeyType PublicKey::type() const {
  return need(h_).type;
}
std::size_t PublicKey::bits() const {
  return need(h_).bits;
}
Bytes PublicKey::spki_der() const {
  return need(h_).spki_der();
}
std::string PublicKey::spki_pem() const {
  return pem_encode("PUBLIC KEY", spki_der());
}
const KeyHandle& PublicKey::handle() const {
  return need(h_);
}

KeyType PrivateKey::type() const {
  return need(h_).type;
}
std::size_t PrivateKey::bits() const {
  return need(h_).bits;
}
SecureBytes PrivateKey::pkcs8_der() const {
  return need(h_).pkcs8_der();
}
SecureString PrivateKey::pkcs8_pem() const {
  std::string s = pem_encode("PRIVATE KEY", pkcs8_der());
  SecureString out(s.begin(), s.end());
  secure_wipe(s.data(), s.size());
  return out;
}
PublicKey PrivateKey::public_key() const {
  return PublicKey(need(h_).public_handle());
}
const KeyHandle& PrivateKey::handle() const {
  return need(h_);
}

std::string pem_encode(std::string_view label, ByteView der) {
  std::string b64 = detail::base64_encode<std::string>(der);
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  out += "-----END " + std::string(label) + "-----\n";
  secure_wipe(b64.data(), b64.size());
  return out;
}

SecureBytes pem_to_der(ByteView in, std::string_view label) {
  std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
  std::string begin = "-----BEGIN " + std::string(label) + "-----";
  std::string end = "-----END " + std::string(label) + "-----";
  auto b = text.find(begin);
  if (b == std::string_view::npos) return SecureBytes(in.begin(), in.end());
  auto e = text.find(end, b);
  if (e == std::string_view::npos) fail(Errc::bad_format, "PEM block has no END line");
  SecureBytes out;
  if (!detail::base64_decode(text.substr(b + begin.size(), e - b - begin.size()), out, true))
    fail(Errc::bad_format, "PEM block is not valid base64");
  return out;
}

void check_aes_key(ByteView key) {
  if (key.size() != 16 && key.size() != 24 && key.size() != 32)
    fail(Errc::invalid_argument, "AES key must be 16, 24 or 32 bytes");
}

void check_hkdf_len(HashAlg h, std::size_t len) {
  if (len > 255 * digest_size(h))
    fail(Errc::invalid_argument, "HKDF output longer than 255 * hash length");
}

void check_gcm_params(ByteView key, ByteView nonce, std::size_t tag_len) {
  check_aes_key(key);
  if (nonce.empty() || nonce.size() > 128)
    fail(Errc::invalid_argument, "GCM nonce must be 1..128 bytes");
  if (tag_len < 12 || tag_len > 16)
    fail(Errc::invalid_argument, "GCM tag length must be 12..16 bytes");
}

void check_gcm_message(ByteView nonce, ByteView in, MutableByteView out, std::size_t tag_len) {
  if (nonce.size() != 12) fail(Errc::invalid_argument, "the GCM nonce must be 12 bytes");
  if (tag_len != 16) fail(Errc::invalid_argument, "the GCM tag must be 16 bytes");
  if (out.size() != in.size()) fail(Errc::invalid_argument, "GCM output and input sizes differ");
  if (in.size() > (std::uint64_t{1} << 36) - 32)
    fail(Errc::invalid_argument, "a GCM message is limited to 64 GiB (SP 800-38D)");
  if (!in.empty() && in.data() != out.data() && in.data() < out.data() + out.size() &&
      out.data() < in.data() + in.size())
    fail(Errc::invalid_argument, "GCM input and output overlap");
}

void check_sig_params(KeyType t, const SigParams& p) {
  bool ok = false;
  switch (p.scheme) {
    case SigScheme::rsa_pkcs1v15:
    case SigScheme::rsa_pss:
      ok = t == KeyType::rsa;
      break;
    case SigScheme::ecdsa_der:
    case SigScheme::ecdsa_p1363:
      ok = t == KeyType::ec_p256 || t == KeyType::ec_p384;
      break;
    case SigScheme::ed25519:
      ok = t == KeyType::ed25519;
      break;
  }
  if (!ok) fail(Errc::invalid_argument, "signature scheme does not match the key type");
  if (p.hash == HashAlg::md5 && p.scheme != SigScheme::ed25519)
    fail(Errc::invalid_argument, "MD5 signatures are refused");
}

bool signature_shape_ok(KeyType type, std::size_t key_bits, const SigParams& p,
                        ByteView sig) noexcept {
  if (type == KeyType::rsa) return sig.size() == (key_bits + 7) / 8;
  if (p.scheme == SigScheme::ed25519) {
    if (sig.size() != 64) return false;
    // s = sig[32..64] little-endian must be < L = 2^252 + 27742317777372353535851937790883648493.
    static constexpr std::uint8_t kL[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                            0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
    for (int i = 31; i >= 0; --i) {
      if (sig[32 + i] < kL[i]) return true;
      if (sig[32 + i] > kL[i]) return false;
    }
    return false;  // s == L
  }
  return true;
}

std::size_t pkcs7_pad_length(ByteView data) noexcept {
  const std::size_t n = data.size();
  if (n == 0 || n % 16 != 0) return 0;
  const unsigned p = data[n - 1];
  unsigned bad = static_cast<unsigned>((p - 1u) >> 31) |
                 static_cast<unsigned>((16u - p) >> 31);  // p == 0 || p > 16
  for (unsigned i = 1; i <= 16; ++i) {
    unsigned in_pad = static_cast<unsigned>((p - i) >> 31) ^ 1u;  // i <= p
    bad |= in_pad & static_cast<unsigned>(data[n - i] != p);
  }
  return bad ? 0 : p;
}

Bytes Backend::cbc_pkcs7_encrypt(ByteView key, ByteView iv, ByteView plaintext) const {
  const std::size_t n = plaintext.size() / 16 * 16 + 16;
  SecureBytes buf(n);
  std::copy(plaintext.begin(), plaintext.end(), buf.begin());
  std::fill(buf.begin() + static_cast<std::ptrdiff_t>(plaintext.size()), buf.end(),
            static_cast<std::uint8_t>(n - plaintext.size()));
  Bytes out(n);
  aes(key)->cbc_encrypt(iv, buf, out);
  return out;
}

SecureBytes Backend::cbc_pkcs7_decrypt(ByteView key, ByteView iv, ByteView ciphertext) const {
  auto a = aes(key);
  if (ciphertext.empty() || ciphertext.size() % 16 != 0)
    fail(Errc::integrity, "content does not decrypt (wrong key or damaged data)");
  SecureBytes out(ciphertext.size());
  a->cbc_decrypt(iv, ciphertext, out);
  std::size_t pad = pkcs7_pad_length(out);
  if (pad == 0) fail(Errc::integrity, "content does not decrypt (wrong key or damaged data)");
  out.resize(out.size() - pad);
  return out;
}

void Backend::hash_spin(HashAlg h, MutableByteView state, std::uint32_t iterations) const {
  if (state.size() != digest_size(h))
    fail(Errc::invalid_argument, "spin state must be one digest long");
  auto ctx = hash(h);
  for (std::uint32_t i = 0; i < iterations; ++i) {
    const std::uint8_t le[4] = {std::uint8_t(i), std::uint8_t(i >> 8), std::uint8_t(i >> 16),
                                std::uint8_t(i >> 24)};
    ctx->update(le);
    ctx->update(state);
    ctx->finish(state);
  }
}

Bytes Backend::digest(HashAlg h, ByteView data) const {
  auto ctx = hash(h);
  ctx->update(data);
  return ctx->finish();
}

Bytes Backend::mac(HashAlg h, ByteView key, ByteView data) const {
  auto ctx = hmac(h, key);
  ctx->update(data);
  return ctx->finish();
}

Bytes Backend::random_bytes(std::size_t n) const {
  Bytes out(n);
  random(out);
  return out;
}

static std::atomic<BackendId> g_default{BackendId::openssl};

const Backend& backend(BackendId id) {
  return id == BackendId::openssl ? openssl_backend() : botan_backend();
}

const Backend& default_backend() noexcept {
  return g_default.load() == BackendId::botan && has_botan() ? botan_backend() : openssl_backend();
}

void set_default_backend(BackendId id) {
  if (id == BackendId::botan && !has_botan())
    fail(Errc::unsupported, "built without the Botan backend");
  g_default.store(id);
}

}  // namespace openrms::crypto
