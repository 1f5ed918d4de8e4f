// OpenSSL 3 implementation of the crypto interface (EVP APIs throughout; the deprecated
// low-level API only for RC4, which OpenSSL 3 otherwise confines to the legacy provider).
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rc4.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <climits>
#include <cstring>
#include <mutex>

#include "key_handle.hpp"
#include "openrms/error.hpp"
#include "openssl_keys.hpp"

namespace openrms::crypto {
namespace {

[[noreturn]] void ossl_fail(Errc code, const char* what) {
  ERR_clear_error();  // never surface library detail (it can hint at which check failed)
  fail(code, what);
}

void ok_or(int rc, const char* what, Errc code = Errc::crypto) {
  if (rc <= 0) ossl_fail(code, what);
}

int to_int(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX))
    fail(Errc::invalid_argument, "buffer too large for one call");
  return static_cast<int>(n);
}

const EVP_MD* md_of(HashAlg h) {
  // Fetched once (explicit fetching avoids the per-call provider lookup of EVP_sha256()).
  static EVP_MD* const mds[] = {
      EVP_MD_fetch(nullptr, "MD5", nullptr),    EVP_MD_fetch(nullptr, "SHA1", nullptr),
      EVP_MD_fetch(nullptr, "SHA224", nullptr), EVP_MD_fetch(nullptr, "SHA256", nullptr),
      EVP_MD_fetch(nullptr, "SHA384", nullptr), EVP_MD_fetch(nullptr, "SHA512", nullptr)};
  const EVP_MD* md = mds[static_cast<int>(h)];
  if (md == nullptr) ossl_fail(Errc::unsupported, "hash algorithm not available in OpenSSL");
  return md;
}

const char* md_name(HashAlg h) {
  static const char* const names[] = {"MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512"};
  return names[static_cast<int>(h)];
}

struct MdCtxDel {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct CipherCtxDel {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct PkeyCtxDel {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct PkeyDel {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDel>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDel>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDel>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDel>;

class OsslHash final : public HashCtx {
 public:
  explicit OsslHash(HashAlg h) : md_(md_of(h)), ctx_(EVP_MD_CTX_new()), size_(digest_size(h)) {
    if (!ctx_) throw std::bad_alloc();
    ok_or(EVP_DigestInit_ex(ctx_.get(), md_, nullptr), "hash init failed");
  }
  void update(ByteView d) override {
    ok_or(EVP_DigestUpdate(ctx_.get(), d.data(), d.size()), "hash failed");
  }
  void finish(MutableByteView out) override {
    if (out.size() < size_) fail(Errc::invalid_argument, "digest buffer too small");
    ok_or(EVP_DigestFinal_ex(ctx_.get(), out.data(), nullptr), "hash failed");
    ok_or(EVP_DigestInit_ex(ctx_.get(), md_, nullptr), "hash init failed");
  }
  std::size_t size() const noexcept override { return size_; }

 private:
  const EVP_MD* md_;
  MdCtxPtr ctx_;
  std::size_t size_;
};

class OsslMac final : public MacCtx {
 public:
  OsslMac(HashAlg h, ByteView key) : size_(digest_size(h)) {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) ossl_fail(Errc::unsupported, "HMAC not available");
    ctx_ = EVP_MAC_CTX_new(mac);
    if (ctx_ == nullptr) throw std::bad_alloc();
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(md_name(h)), 0),
        OSSL_PARAM_construct_end()};
    static const unsigned char empty = 0;
    ok_or(EVP_MAC_init(ctx_, key.empty() ? &empty : key.data(), key.size(), params),
          "HMAC init failed");
  }
  ~OsslMac() override { EVP_MAC_CTX_free(ctx_); }
  void update(ByteView d) override {
    ok_or(EVP_MAC_update(ctx_, d.data(), d.size()), "HMAC failed");
  }
  void finish(MutableByteView out) override {
    if (out.size() < size_) fail(Errc::invalid_argument, "MAC buffer too small");
    std::size_t n = 0;
    ok_or(EVP_MAC_final(ctx_, out.data(), &n, out.size()), "HMAC failed");
    ok_or(EVP_MAC_init(ctx_, nullptr, 0, nullptr), "HMAC reset failed");
  }
  std::size_t size() const noexcept override { return size_; }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
  std::size_t size_;
};

const EVP_CIPHER* aes_cipher(const char* mode, std::size_t key_len) {
  // mode: "ECB", "CBC", "CTR", "GCM", "WRAP", "WRAP-PAD"; fetched once per (mode, size).
  struct Entry {
    const char* mode;
    std::size_t len;
    EVP_CIPHER* c;
  };
  static Entry table[] = {
      {"ECB", 16, nullptr},      {"ECB", 24, nullptr},      {"ECB", 32, nullptr},
      {"CBC", 16, nullptr},      {"CBC", 24, nullptr},      {"CBC", 32, nullptr},
      {"CTR", 16, nullptr},      {"CTR", 24, nullptr},      {"CTR", 32, nullptr},
      {"GCM", 16, nullptr},      {"GCM", 24, nullptr},      {"GCM", 32, nullptr},
      {"WRAP", 16, nullptr},     {"WRAP", 24, nullptr},     {"WRAP", 32, nullptr},
      {"WRAP-PAD", 16, nullptr}, {"WRAP-PAD", 24, nullptr}, {"WRAP-PAD", 32, nullptr}};
  static const bool fetched = [] {
    for (auto& e : table) {
      std::string name = "AES-" + std::to_string(e.len * 8) + "-" + e.mode;
      e.c = EVP_CIPHER_fetch(nullptr, name.c_str(), nullptr);
    }
    return true;
  }();
  (void)fetched;
  check_aes_key(ByteView(static_cast<const std::uint8_t*>(nullptr), key_len));
  for (auto& e : table)
    if (e.len == key_len && std::strcmp(e.mode, mode) == 0 && e.c) return e.c;
  ossl_fail(Errc::unsupported, "AES mode not available in OpenSSL");
}

class OsslAes final : public Aes {
 public:
  explicit OsslAes(ByteView key) : key_(to_secure(key)) { check_aes_key(key); }
  void ecb_encrypt(ByteView in, MutableByteView out) override {
    run(ecb_enc_, "ECB", true, {}, in, out);
  }
  void ecb_decrypt(ByteView in, MutableByteView out) override {
    run(ecb_dec_, "ECB", false, {}, in, out);
  }
  void cbc_encrypt(ByteView iv, ByteView in, MutableByteView out) override {
    run(cbc_enc_, "CBC", true, iv, in, out);
  }
  void cbc_decrypt(ByteView iv, ByteView in, MutableByteView out) override {
    run(cbc_dec_, "CBC", false, iv, in, out);
  }
  void ctr_xor(ByteView iv, ByteView in, MutableByteView out) override {
    if (iv.size() != 16) fail(Errc::invalid_argument, "CTR IV must be 16 bytes");
    if (out.size() < in.size()) fail(Errc::invalid_argument, "output buffer too small");
    prepare(ctr_, "CTR", true, iv);
    int n = 0;
    ok_or(EVP_EncryptUpdate(ctr_.get(), out.data(), &n, in.data(), to_int(in.size())),
          "AES-CTR failed");
  }

 private:
  void prepare(CipherCtxPtr& ctx, const char* mode, bool enc, ByteView iv) {
    if (!ctx) {
      ctx.reset(EVP_CIPHER_CTX_new());
      if (!ctx) throw std::bad_alloc();
      ok_or(EVP_CipherInit_ex(ctx.get(), aes_cipher(mode, key_.size()), nullptr, key_.data(),
                              nullptr, enc ? 1 : 0),
            "AES init failed");
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
    }
    if (!iv.empty())
      ok_or(EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, nullptr, iv.data(), -1),
            "AES IV failed");
  }
  void run(CipherCtxPtr& ctx, const char* mode, bool enc, ByteView iv, ByteView in,
           MutableByteView out) {
    if (in.size() % 16 != 0)
      fail(Errc::invalid_argument, "AES input must be a multiple of 16 bytes");
    if (out.size() < in.size()) fail(Errc::invalid_argument, "output buffer too small");
    if (std::strcmp(mode, "CBC") == 0 && iv.size() != 16)
      fail(Errc::invalid_argument, "CBC IV must be 16 bytes");
    prepare(ctx, mode, enc, iv);
    int n = 0;
    ok_or(EVP_CipherUpdate(ctx.get(), out.data(), &n, in.data(), to_int(in.size())), "AES failed");
  }
  SecureBytes key_;
  CipherCtxPtr ecb_enc_, ecb_dec_, cbc_enc_, cbc_dec_, ctr_;
};

class OsslGcm final : public AesGcm {
 public:
  explicit OsslGcm(ByteView key) : key_(to_secure(key)) { check_aes_key(key); }
  void seal(ByteView nonce, ByteView aad, ByteView in, MutableByteView out,
            MutableByteView tag) override {
    check_gcm_message(nonce, in, out, tag.size());
    EVP_CIPHER_CTX* c = start(enc_, true, nonce, aad);
    int n = 0;
    if (!in.empty())
      ok_or(EVP_EncryptUpdate(c, out.data(), &n, in.data(), to_int(in.size())), "GCM encrypt");
    ok_or(EVP_EncryptFinal_ex(c, out.data() + in.size(), &n), "GCM final");
    ok_or(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag.data()), "GCM tag");
  }
  bool open(ByteView nonce, ByteView aad, ByteView in, MutableByteView out, ByteView tag) override {
    check_gcm_message(nonce, in, out, tag.size());
    EVP_CIPHER_CTX* c = start(dec_, false, nonce, aad);
    int n = 0;
    if (!in.empty())
      ok_or(EVP_DecryptUpdate(c, out.data(), &n, in.data(), to_int(in.size())), "GCM decrypt");
    std::uint8_t t[16];
    std::memcpy(t, tag.data(), 16);
    ok_or(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, t), "GCM tag");
    if (EVP_DecryptFinal_ex(c, out.data() + in.size(), &n) > 0) return true;
    ERR_clear_error();
    if (!out.empty()) OPENSSL_cleanse(out.data(), out.size());
    return false;
  }

 private:
  // Encryption and decryption keep a context each: the key is set once, each message only
  // sets its nonce.
  EVP_CIPHER_CTX* start(CipherCtxPtr& ctx, bool enc, ByteView nonce, ByteView aad) {
    if (!ctx) {
      ctx.reset(EVP_CIPHER_CTX_new());
      if (!ctx) throw std::bad_alloc();
      ok_or(EVP_CipherInit_ex(ctx.get(), aes_cipher("GCM", key_.size()), nullptr, key_.data(),
                              nullptr, enc ? 1 : 0),
            "GCM init failed");
    }
    ok_or(EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, nullptr, nonce.data(), -1),
          "GCM nonce failed");
    int n = 0;
    if (!aad.empty())
      ok_or(EVP_CipherUpdate(ctx.get(), nullptr, &n, aad.data(), to_int(aad.size())), "GCM AAD");
    return ctx.get();
  }
  SecureBytes key_;
  CipherCtxPtr enc_, dec_;
};

class OsslRc4 final : public Rc4 {
 public:
  explicit OsslRc4(ByteView key) {
    if (key.empty() || key.size() > 256)
      fail(Errc::invalid_argument, "RC4 key must be 1..256 bytes");
    RC4_set_key(&st_, static_cast<int>(key.size()), key.data());
  }
  ~OsslRc4() override { secure_wipe(&st_, sizeof st_); }
  void apply(ByteView in, MutableByteView out) override {
    if (out.size() < in.size()) fail(Errc::invalid_argument, "output buffer too small");
    RC4(&st_, in.size(), in.data(), out.data());
  }

 private:
  RC4_KEY st_;
};

// ------------------------------------------------------------------------------------------
// Keys

// SubjectPublicKeyInfo prefixes of uncompressed NIST P-256 / P-384 points (RFC 5480). OpenSSL
// 3.0 routes i2d_PUBKEY/d2i_PUBKEY through its encoder/decoder framework, which costs ~150 us
// per call; for these two shapes the DER is assembled and split by hand and the key is built
// with EVP_PKEY_fromdata (which still checks that the point is on the curve). Anything else
// takes the generic path.
constexpr std::uint8_t kP256Spki[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                      0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                      0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
constexpr std::uint8_t kP384Spki[] = {0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                      0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
                                      0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00};

struct FastEc {
  const char* group;
  KeyType type;
  ByteView prefix;
  std::size_t point;  // uncompressed point size
};
const FastEc kFastEc[] = {{"P-256", KeyType::ec_p256, ByteView(kP256Spki), 65},
                          {"P-384", KeyType::ec_p384, ByteView(kP384Spki), 97}};

// A public EC key from an uncompressed point; nullptr if OpenSSL rejects it (off the curve).
EVP_PKEY* ec_from_point(const char* group, ByteView point) {
  struct CtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0) return nullptr;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                        const_cast<std::uint8_t*>(point.data()), point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* pk = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0) return nullptr;
  return pk;
}

struct OsslKey final : KeyHandle {
  // What a key held elsewhere needs alive while it is used (a PKCS#11 token's session);
  // declared before pkey so that it goes after it.
  std::shared_ptr<const void> owner;
  PkeyPtr pkey;
  mutable std::once_flag spki_once, pub_once;
  mutable Bytes spki_cache;
  mutable std::shared_ptr<const KeyHandle> pub_cache;

  Bytes spki_der() const override {
    std::call_once(spki_once, [&] {
      for (const auto& f : kFastEc) {
        if (f.type != type) continue;
        std::uint8_t buf[133];
        std::size_t len = 0;
        if (EVP_PKEY_get_octet_string_param(pkey.get(), OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf,
                                            &len) > 0 &&
            len == f.point && buf[0] == 0x04) {
          spki_cache.assign(f.prefix.begin(), f.prefix.end());
          spki_cache.insert(spki_cache.end(), buf, buf + len);
          return;
        }
      }
      int n = i2d_PUBKEY(pkey.get(), nullptr);
      if (n <= 0) ossl_fail(Errc::crypto, "public key export failed");
      Bytes out(static_cast<std::size_t>(n));
      unsigned char* p = out.data();
      i2d_PUBKEY(pkey.get(), &p);
      spki_cache = std::move(out);
    });
    return spki_cache;
  }
  SecureBytes pkcs8_der() const override {
    if (!is_private) fail(Errc::invalid_argument, "not a private key");
    // OpenSSL would write a PKCS#8 structure without the secret (the token never gives it).
    if (owner) fail(Errc::invalid_argument, "this private key is held in a token: not exportable");
    PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(pkey.get());
    if (p8 == nullptr) ossl_fail(Errc::crypto, "private key export failed");
    int n = i2d_PKCS8_PRIV_KEY_INFO(p8, nullptr);
    SecureBytes out(n > 0 ? static_cast<std::size_t>(n) : 0);
    unsigned char* p = out.data();
    if (n > 0) i2d_PKCS8_PRIV_KEY_INFO(p8, &p);
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (n <= 0) ossl_fail(Errc::crypto, "private key export failed");
    return out;
  }
  std::shared_ptr<const KeyHandle> public_handle() const override;
};

std::shared_ptr<OsslKey> wrap_pkey(const Backend* be, EVP_PKEY* raw, bool is_private) {
  PkeyPtr pk(raw);
  auto k = std::make_shared<OsslKey>();
  k->backend = be;
  k->is_private = is_private;
  switch (EVP_PKEY_get_base_id(raw)) {
    case EVP_PKEY_RSA:
      k->type = KeyType::rsa;
      break;
    case EVP_PKEY_ED25519:
      k->type = KeyType::ed25519;
      break;
    case EVP_PKEY_EC: {
      char name[64] = {0};
      std::size_t len = 0;
      if (EVP_PKEY_get_group_name(raw, name, sizeof name, &len) <= 0)
        ossl_fail(Errc::bad_format, "EC key without a named curve");
      std::string n(name);
      if (n == "prime256v1" || n == "P-256" || n == "secp256r1")
        k->type = KeyType::ec_p256;
      else if (n == "secp384r1" || n == "P-384")
        k->type = KeyType::ec_p384;
      else
        fail(Errc::unsupported, "EC curve " + n + " is not supported (P-256, P-384 are)");
      break;
    }
    default:
      ossl_fail(Errc::unsupported,
                "key algorithm not supported (RSA, EC P-256/P-384, Ed25519 are)");
  }
  k->bits = static_cast<std::size_t>(EVP_PKEY_get_bits(raw));
  k->pkey = std::move(pk);
  return k;
}

std::shared_ptr<const KeyHandle> load_spki(const Backend* be, ByteView der) {
  for (const auto& f : kFastEc) {
    if (der.size() == f.prefix.size() + f.point &&
        std::memcmp(der.data(), f.prefix.data(), f.prefix.size()) == 0 &&
        der[f.prefix.size()] == 0x04) {
      EVP_PKEY* k = ec_from_point(f.group, der.subspan(f.prefix.size()));
      if (k == nullptr) ossl_fail(Errc::bad_format, "not a valid SubjectPublicKeyInfo");
      auto h = wrap_pkey(be, k, false);
      std::call_once(h->spki_once, [&] { h->spki_cache.assign(der.begin(), der.end()); });
      return h;
    }
  }
  const unsigned char* p = der.data();
  EVP_PKEY* k = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  if (k == nullptr) ossl_fail(Errc::bad_format, "not a valid SubjectPublicKeyInfo");
  if (p != der.data() + der.size()) {
    EVP_PKEY_free(k);
    ossl_fail(Errc::bad_format, "trailing data after SubjectPublicKeyInfo");
  }
  return wrap_pkey(be, k, false);
}

std::shared_ptr<const KeyHandle> OsslKey::public_handle() const {
  std::call_once(pub_once, [&] { pub_cache = load_spki(backend, spki_der()); });
  return pub_cache;
}

template <class Ctx, class Init, class Update, class Final>
void spin(Init init, Update update, Final final, MutableByteView state, std::uint32_t iterations) {
  Ctx ctx;
  std::uint8_t buf[4 + 64];
  const std::size_t n = state.size();
  std::memcpy(buf + 4, state.data(), n);
  for (std::uint32_t i = 0; i < iterations; ++i) {
    buf[0] = std::uint8_t(i);
    buf[1] = std::uint8_t(i >> 8);
    buf[2] = std::uint8_t(i >> 16);
    buf[3] = std::uint8_t(i >> 24);
    init(&ctx);
    update(&ctx, buf, 4 + n);
    final(buf + 4, &ctx);
  }
  std::memcpy(state.data(), buf + 4, n);
  secure_wipe(buf, sizeof buf);
  secure_wipe(&ctx, sizeof ctx);
}

class OpensslBackend final : public Backend {
 public:
  BackendId id() const noexcept override { return BackendId::openssl; }
  std::string_view name() const noexcept override { return "openssl"; }

  void random(MutableByteView out) const override {
    std::size_t off = 0;
    while (off < out.size()) {
      int n = static_cast<int>(std::min<std::size_t>(out.size() - off, 1 << 30));
      ok_or(RAND_bytes(out.data() + off, n), "random generator failed");
      off += static_cast<std::size_t>(n);
    }
  }
  std::unique_ptr<HashCtx> hash(HashAlg h) const override { return std::make_unique<OsslHash>(h); }
  // The low-level SHA API skips EVP's per-call dispatch: ~1.3x faster on this 100,000-round loop.
  void hash_spin(HashAlg h, MutableByteView state, std::uint32_t iterations) const override {
    if (state.size() != digest_size(h))
      fail(Errc::invalid_argument, "spin state must be one digest long");
    switch (h) {
      case HashAlg::sha512:
        spin<SHA512_CTX>(SHA512_Init, SHA512_Update, SHA512_Final, state, iterations);
        return;
      case HashAlg::sha384:
        spin<SHA512_CTX>(SHA384_Init, SHA384_Update, SHA384_Final, state, iterations);
        return;
      case HashAlg::sha256:
        spin<SHA256_CTX>(SHA256_Init, SHA256_Update, SHA256_Final, state, iterations);
        return;
      case HashAlg::sha1:
        spin<SHA_CTX>(SHA1_Init, SHA1_Update, SHA1_Final, state, iterations);
        return;
      default:
        Backend::hash_spin(h, state, iterations);
    }
  }
  std::unique_ptr<MacCtx> hmac(HashAlg h, ByteView key) const override {
    return std::make_unique<OsslMac>(h, key);
  }
  void pbkdf2(HashAlg h, ByteView pw, ByteView salt, std::uint32_t iter,
              MutableByteView out) const override {
    if (iter == 0 || iter > INT_MAX)
      fail(Errc::invalid_argument, "PBKDF2 iteration count out of range");
    ok_or(PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(pw.data()), to_int(pw.size()),
                            salt.data(), to_int(salt.size()), static_cast<int>(iter), md_of(h),
                            to_int(out.size()), out.data()),
          "PBKDF2 failed");
  }
  void hkdf(HashAlg h, ByteView ikm, ByteView salt, ByteView info,
            MutableByteView out) const override {
    check_hkdf_len(h, out.size());
    if (out.empty()) return;
    static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    if (kdf == nullptr) ossl_fail(Errc::unsupported, "HKDF not available");
    EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
    if (ctx == nullptr) throw std::bad_alloc();
    static const unsigned char empty = 0;
    OSSL_PARAM params[5];
    int i = 0;
    params[i++] =
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(md_name(h)), 0);
    params[i++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(ikm.empty() ? &empty : ikm.data()),
        ikm.size());
    if (!salt.empty())
      params[i++] = OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_SALT, const_cast<unsigned char*>(salt.data()), salt.size());
    if (!info.empty())
      params[i++] = OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_INFO, const_cast<unsigned char*>(info.data()), info.size());
    params[i] = OSSL_PARAM_construct_end();
    int rc = EVP_KDF_derive(ctx, out.data(), out.size(), params);
    EVP_KDF_CTX_free(ctx);
    ok_or(rc, "HKDF failed");
  }

  std::unique_ptr<Aes> aes(ByteView key) const override { return std::make_unique<OsslAes>(key); }
  std::unique_ptr<AesGcm> aes_gcm(ByteView key) const override {
    return std::make_unique<OsslGcm>(key);
  }

  Bytes gcm_seal(ByteView key, ByteView nonce, ByteView aad, ByteView pt,
                 std::size_t tag_len) const override {
    check_gcm_params(key, nonce, tag_len);
    CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx) throw std::bad_alloc();
    ok_or(EVP_EncryptInit_ex(ctx.get(), aes_cipher("GCM", key.size()), nullptr, nullptr, nullptr),
          "GCM init failed");
    ok_or(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, to_int(nonce.size()), nullptr),
          "GCM IV length");
    ok_or(EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()),
          "GCM init failed");
    int n = 0;
    if (!aad.empty())
      ok_or(EVP_EncryptUpdate(ctx.get(), nullptr, &n, aad.data(), to_int(aad.size())), "GCM AAD");
    Bytes out(pt.size() + tag_len);
    if (!pt.empty())
      ok_or(EVP_EncryptUpdate(ctx.get(), out.data(), &n, pt.data(), to_int(pt.size())),
            "GCM encrypt");
    ok_or(EVP_EncryptFinal_ex(ctx.get(), out.data() + pt.size(), &n), "GCM final");
    ok_or(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_len),
                              out.data() + pt.size()),
          "GCM tag");
    return out;
  }
  SecureBytes gcm_open(ByteView key, ByteView nonce, ByteView aad, ByteView sealed,
                       std::size_t tag_len) const override {
    check_gcm_params(key, nonce, tag_len);
    if (sealed.size() < tag_len) fail(Errc::integrity, "authenticated decryption failed");
    std::size_t ct_len = sealed.size() - tag_len;
    CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx) throw std::bad_alloc();
    ok_or(EVP_DecryptInit_ex(ctx.get(), aes_cipher("GCM", key.size()), nullptr, nullptr, nullptr),
          "GCM init failed");
    ok_or(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, to_int(nonce.size()), nullptr),
          "GCM IV length");
    ok_or(EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()),
          "GCM init failed");
    int n = 0;
    if (!aad.empty())
      ok_or(EVP_DecryptUpdate(ctx.get(), nullptr, &n, aad.data(), to_int(aad.size())), "GCM AAD");
    SecureBytes out(ct_len);
    if (ct_len)
      ok_or(EVP_DecryptUpdate(ctx.get(), out.data(), &n, sealed.data(), to_int(ct_len)),
            "GCM decrypt");
    Bytes tag(sealed.begin() + static_cast<std::ptrdiff_t>(ct_len), sealed.end());
    ok_or(
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_len), tag.data()),
        "GCM tag");
    if (EVP_DecryptFinal_ex(ctx.get(), out.data() + ct_len, &n) <= 0)
      ossl_fail(Errc::integrity, "authenticated decryption failed");
    return out;
  }

  Bytes key_wrap(ByteView kek, ByteView data, bool padded) const override {
    check_aes_key(kek);
    if (padded ? data.empty() : (data.size() < 16 || data.size() % 8 != 0))
      fail(Errc::invalid_argument, "key-wrap input has an invalid length");
    Bytes out(((data.size() + 7) / 8) * 8 + 8);
    std::size_t n = wrap_op(kek, data, out, padded, true);
    out.resize(n);
    return out;
  }
  SecureBytes key_unwrap(ByteView kek, ByteView wrapped, bool padded) const override {
    check_aes_key(kek);
    if (wrapped.size() % 8 != 0 || wrapped.size() < (padded ? 16u : 24u))
      fail(Errc::integrity, "key unwrap failed");
    SecureBytes out(wrapped.size());
    std::size_t n = wrap_op(kek, wrapped, out, padded, false);
    out.resize(n);
    return out;
  }
  std::unique_ptr<Rc4> rc4(ByteView key) const override { return std::make_unique<OsslRc4>(key); }

  // EC keys from a template key of the curve: the new key shares the template's group (a cheap
  // copy) instead of building the curve from its name each time, ~40 % of a P-256 key
  // generation (one per ECIES sealing).
  static EVP_PKEY* generate_ec(bool p256) {
    static EVP_PKEY* const tmpl256 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    static EVP_PKEY* const tmpl384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
    EVP_PKEY* tmpl = p256 ? tmpl256 : tmpl384;
    if (tmpl == nullptr) return nullptr;
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, tmpl, nullptr));
    EVP_PKEY* k = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_keygen(ctx.get(), &k) <= 0)
      return nullptr;
    return k;
  }

  PrivateKey generate_key(KeyType type, std::size_t rsa_bits) const override {
    EVP_PKEY* k = nullptr;
    switch (type) {
      case KeyType::rsa:
        if (rsa_bits < 2048 || rsa_bits > 4096)
          fail(Errc::invalid_argument, "RSA key size must be 2048..4096 bits");
        k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", rsa_bits);
        break;
      case KeyType::ec_p256:
      case KeyType::ec_p384:
        k = generate_ec(type == KeyType::ec_p256);
        break;
      case KeyType::ed25519:
        k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
        break;
    }
    if (k == nullptr) ossl_fail(Errc::crypto, "key generation failed");
    return PrivateKey(wrap_pkey(this, k, true));
  }
  PrivateKey load_private_key(ByteView in) const override {
    SecureBytes der = pem_to_der(in, "PRIVATE KEY");
    const unsigned char* p = der.data();
    PKCS8_PRIV_KEY_INFO* p8 = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size()));
    if (p8 == nullptr || p != der.data() + der.size()) {
      PKCS8_PRIV_KEY_INFO_free(p8);
      ossl_fail(Errc::bad_format, "not a valid unencrypted PKCS#8 private key");
    }
    EVP_PKEY* k = EVP_PKCS82PKEY(p8);
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (k == nullptr) ossl_fail(Errc::bad_format, "not a valid unencrypted PKCS#8 private key");
    return PrivateKey(wrap_pkey(this, k, true));
  }
  PublicKey load_public_key(ByteView in) const override {
    SecureBytes der = pem_to_der(in, "PUBLIC KEY");
    return PublicKey(load_spki(this, der));
  }
  SecureString encrypt_private_key(const PrivateKey& key,
                                   std::string_view passphrase) const override {
    if (passphrase.empty()) fail(Errc::invalid_argument, "an empty passphrase protects nothing");
    SecureBytes der = key.pkcs8_der();
    const unsigned char* p = der.data();
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, decltype(&PKCS8_PRIV_KEY_INFO_free)> p8(
        d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())),
        PKCS8_PRIV_KEY_INFO_free);
    if (!p8) ossl_fail(Errc::internal, "cannot re-read the private key");
    // nid -1 with a cipher: PBES2, PBKDF2 with HMAC-SHA256 (OpenSSL's PBES2 default PRF).
    std::unique_ptr<X509_SIG, decltype(&X509_SIG_free)> enc(
        PKCS8_encrypt(-1, EVP_aes_256_cbc(), passphrase.data(), static_cast<int>(passphrase.size()),
                      nullptr, 0, static_cast<int>(kKeyPassphraseIterations), p8.get()),
        X509_SIG_free);
    if (!enc) ossl_fail(Errc::crypto, "private key encryption failed");
    unsigned char* out = nullptr;
    int n = i2d_X509_SIG(enc.get(), &out);
    if (n <= 0) ossl_fail(Errc::crypto, "private key encryption failed");
    std::string pem =
        pem_encode("ENCRYPTED PRIVATE KEY", ByteView(out, static_cast<std::size_t>(n)));
    OPENSSL_free(out);
    SecureString r(pem.begin(), pem.end());
    secure_wipe(pem.data(), pem.size());
    return r;
  }
  PrivateKey load_encrypted_private_key(ByteView in, std::string_view passphrase) const override {
    SecureBytes der = pem_to_der(in, "ENCRYPTED PRIVATE KEY");
    const unsigned char* p = der.data();
    std::unique_ptr<X509_SIG, decltype(&X509_SIG_free)> enc(
        d2i_X509_SIG(nullptr, &p, static_cast<long>(der.size())), X509_SIG_free);
    if (!enc || p != der.data() + der.size())
      ossl_fail(Errc::bad_format, "not a valid encrypted PKCS#8 private key");
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, decltype(&PKCS8_PRIV_KEY_INFO_free)> p8(
        PKCS8_decrypt(enc.get(), passphrase.data(), static_cast<int>(passphrase.size())),
        PKCS8_PRIV_KEY_INFO_free);
    if (!p8) ossl_fail(Errc::wrong_password, "the passphrase does not open this private key");
    unsigned char* out = nullptr;
    int n = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &out);
    if (n <= 0) ossl_fail(Errc::bad_format, "not a valid encrypted PKCS#8 private key");
    SecureBytes plain(out, out + n);
    OPENSSL_clear_free(out, static_cast<std::size_t>(n));
    return load_private_key(plain);
  }

  Bytes sign(const PrivateKey& key, const SigParams& p, ByteView msg) const override {
    auto k = own(key);
    check_sig_params(k->type, p);
    MdCtxPtr mctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    ok_or(EVP_DigestSignInit(mctx.get(), &pctx,
                             p.scheme == SigScheme::ed25519 ? nullptr : md_of(p.hash), nullptr,
                             k->pkey.get()),
          "sign init failed");
    set_rsa_sig_padding(pctx, p);
    std::size_t len = 0;
    ok_or(EVP_DigestSign(mctx.get(), nullptr, &len, msg.data(), msg.size()), "sign failed");
    Bytes sig(len);
    ok_or(EVP_DigestSign(mctx.get(), sig.data(), &len, msg.data(), msg.size()), "sign failed");
    sig.resize(len);
    if (p.scheme == SigScheme::ecdsa_p1363) return der_to_p1363(sig, k->type);
    return sig;
  }
  bool verify(const PublicKey& key, const SigParams& p, ByteView msg, ByteView sig) const override {
    auto k = own_pub(key);
    check_sig_params(k->type, p);
    if (!signature_shape_ok(k->type, k->bits, p, sig)) return false;
    Bytes converted;
    if (p.scheme == SigScheme::ecdsa_p1363) {
      if (!p1363_to_der(sig, k->type, converted)) return false;
      sig = converted;
    }
    MdCtxPtr mctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    ok_or(EVP_DigestVerifyInit(mctx.get(), &pctx,
                               p.scheme == SigScheme::ed25519 ? nullptr : md_of(p.hash), nullptr,
                               k->pkey.get()),
          "verify init failed");
    set_rsa_sig_padding(pctx, p);
    int rc = EVP_DigestVerify(mctx.get(), sig.data(), sig.size(), msg.data(), msg.size());
    ERR_clear_error();
    return rc == 1;
  }

  Bytes rsa_encrypt(const PublicKey& key, const RsaEncParams& p, ByteView pt) const override {
    auto k = own_pub(key);
    if (k->type != KeyType::rsa) fail(Errc::invalid_argument, "RSA encryption needs an RSA key");
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, k->pkey.get(), nullptr));
    ok_or(EVP_PKEY_encrypt_init(ctx.get()), "RSA init failed");
    set_rsa_enc_padding(ctx.get(), p);
    std::size_t len = 0;
    ok_or(EVP_PKEY_encrypt(ctx.get(), nullptr, &len, pt.data(), pt.size()), "RSA encryption failed",
          Errc::invalid_argument);
    Bytes out(len);
    ok_or(EVP_PKEY_encrypt(ctx.get(), out.data(), &len, pt.data(), pt.size()),
          "RSA encryption failed (message too long?)", Errc::invalid_argument);
    out.resize(len);
    return out;
  }
  SecureBytes rsa_decrypt(const PrivateKey& key, const RsaEncParams& p,
                          ByteView ct) const override {
    auto k = own(key);
    if (k->type != KeyType::rsa) fail(Errc::invalid_argument, "RSA decryption needs an RSA key");
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, k->pkey.get(), nullptr));
    ok_or(EVP_PKEY_decrypt_init(ctx.get()), "RSA init failed");
    set_rsa_enc_padding(ctx.get(), p);
    std::size_t len = 0;
    if (EVP_PKEY_decrypt(ctx.get(), nullptr, &len, ct.data(), ct.size()) <= 0)
      ossl_fail(Errc::integrity, "RSA decryption failed");
    SecureBytes out(len);
    if (EVP_PKEY_decrypt(ctx.get(), out.data(), &len, ct.data(), ct.size()) <= 0)
      ossl_fail(Errc::integrity, "RSA decryption failed");
    out.resize(len);
    return out;
  }
  SecureBytes ecdh(const PrivateKey& own_key, const PublicKey& peer) const override {
    auto k = own(own_key);
    auto pk = own_pub(peer);
    if ((k->type != KeyType::ec_p256 && k->type != KeyType::ec_p384) || pk->type != k->type)
      fail(Errc::invalid_argument, "ECDH needs two keys on the same NIST curve");
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, k->pkey.get(), nullptr));
    ok_or(EVP_PKEY_derive_init(ctx.get()), "ECDH init failed");
    // The peer was checked to lie on the curve when it was imported (NIST prime curves have
    // cofactor 1, so that is the whole validation); skip OpenSSL's second, costly check.
    ok_or(EVP_PKEY_derive_set_peer_ex(ctx.get(), pk->pkey.get(), 0), "ECDH peer key rejected",
          Errc::bad_format);
    std::size_t len = 0;
    ok_or(EVP_PKEY_derive(ctx.get(), nullptr, &len), "ECDH failed");
    SecureBytes out(len);
    ok_or(EVP_PKEY_derive(ctx.get(), out.data(), &len), "ECDH failed");
    out.resize(len);
    return out;
  }

 private:
  static std::size_t wrap_op(ByteView kek, ByteView in, MutableByteView out, bool padded,
                             bool enc) {
    CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx) throw std::bad_alloc();
    EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    ok_or(EVP_CipherInit_ex(ctx.get(), aes_cipher(padded ? "WRAP-PAD" : "WRAP", kek.size()),
                            nullptr, kek.data(), nullptr, enc ? 1 : 0),
          "key wrap init failed");
    int n = 0, m = 0;
    if (EVP_CipherUpdate(ctx.get(), out.data(), &n, in.data(), to_int(in.size())) <= 0 ||
        EVP_CipherFinal_ex(ctx.get(), out.data() + n, &m) <= 0)
      ossl_fail(enc ? Errc::crypto : Errc::integrity,
                enc ? "key wrap failed" : "key unwrap failed");
    return static_cast<std::size_t>(n + m);
  }
  std::shared_ptr<const OsslKey> own(const PrivateKey& key) const {
    auto& h = key.handle();
    if (!h.is_private) fail(Errc::invalid_argument, "a private key is needed");
    if (h.backend == this)
      return std::shared_ptr<const OsslKey>(std::shared_ptr<const OsslKey>{},
                                            static_cast<const OsslKey*>(&h));
    auto der = h.pkcs8_der();
    auto pk = load_private_key(der);
    return std::static_pointer_cast<const OsslKey>(pk.handle_ptr());
  }
  std::shared_ptr<const OsslKey> own_pub(const PublicKey& key) const {
    auto& h = key.handle();
    if (h.backend == this && !h.is_private)
      return std::shared_ptr<const OsslKey>(std::shared_ptr<const OsslKey>{},
                                            static_cast<const OsslKey*>(&h));
    return std::static_pointer_cast<const OsslKey>(load_spki(this, h.spki_der()));
  }

  static void set_rsa_sig_padding(EVP_PKEY_CTX* pctx, const SigParams& p) {
    if (p.scheme == SigScheme::rsa_pkcs1v15) {
      ok_or(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), "RSA padding");
    } else if (p.scheme == SigScheme::rsa_pss) {
      ok_or(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), "RSA padding");
      ok_or(EVP_PKEY_CTX_set_rsa_pss_saltlen(
                pctx, p.pss_salt_len < 0 ? RSA_PSS_SALTLEN_DIGEST : p.pss_salt_len),
            "PSS salt");
      ok_or(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md_of(p.hash)), "PSS MGF1");
    }
  }
  static void set_rsa_enc_padding(EVP_PKEY_CTX* ctx, const RsaEncParams& p) {
    if (p.pad == RsaPad::pkcs1v15) {
      ok_or(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), "RSA padding");
      return;
    }
    ok_or(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), "RSA padding");
    ok_or(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md_of(p.oaep_hash)), "OAEP hash");
    ok_or(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md_of(p.mgf1_hash)), "OAEP MGF1");
    if (!p.label.empty()) {
      auto* l = static_cast<unsigned char*>(OPENSSL_malloc(p.label.size()));
      if (l == nullptr) throw std::bad_alloc();
      std::memcpy(l, p.label.data(), p.label.size());
      if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, l, static_cast<int>(p.label.size())) <= 0) {
        OPENSSL_free(l);
        ossl_fail(Errc::crypto, "OAEP label");
      }
    }
  }
  static std::size_t field_len(KeyType t) { return t == KeyType::ec_p256 ? 32 : 48; }
  static Bytes der_to_p1363(const Bytes& der, KeyType t) {
    const unsigned char* p = der.data();
    ECDSA_SIG* s = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    if (s == nullptr) ossl_fail(Errc::crypto, "ECDSA signature encoding failed");
    std::size_t n = field_len(t);
    Bytes out(2 * n);
    const BIGNUM *r = nullptr, *sv = nullptr;
    ECDSA_SIG_get0(s, &r, &sv);
    BN_bn2binpad(r, out.data(), static_cast<int>(n));
    BN_bn2binpad(sv, out.data() + n, static_cast<int>(n));
    ECDSA_SIG_free(s);
    return out;
  }
  static bool p1363_to_der(ByteView sig, KeyType t, Bytes& der) {
    std::size_t n = field_len(t);
    if (sig.size() != 2 * n) return false;
    ECDSA_SIG* s = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(sig.data(), static_cast<int>(n), nullptr);
    BIGNUM* sv = BN_bin2bn(sig.data() + n, static_cast<int>(n), nullptr);
    if (s == nullptr || r == nullptr || sv == nullptr || ECDSA_SIG_set0(s, r, sv) != 1) {
      BN_free(r);
      BN_free(sv);
      ECDSA_SIG_free(s);
      throw std::bad_alloc();
    }
    int len = i2d_ECDSA_SIG(s, nullptr);
    der.resize(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    i2d_ECDSA_SIG(s, &p);
    ECDSA_SIG_free(s);
    return true;
  }
};

}  // namespace

PrivateKey openssl_private_key(EVP_PKEY* owned, std::shared_ptr<const void> keep_alive) {
  const Backend* be = &openssl_backend();
  auto k = wrap_pkey(be, owned, true);
  k->owner = std::move(keep_alive);
  return PrivateKey(std::move(k));
}

const Backend& openssl_backend() {
  static const OpensslBackend instance;
  return instance;
}

}  // namespace openrms::crypto
