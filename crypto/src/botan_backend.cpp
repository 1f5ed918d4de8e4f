// Botan 2 implementation of the crypto interface.
#include <botan/aead.h>
#include <botan/alg_id.h>
#include <botan/ber_dec.h>
#include <botan/block_cipher.h>
#include <botan/cipher_mode.h>
#include <botan/data_src.h>
#include <botan/ecdh.h>
#include <botan/ecdsa.h>
#include <botan/ed25519.h>
#include <botan/hash.h>
#include <botan/kdf.h>
#include <botan/mac.h>
#include <botan/nist_keywrap.h>
#include <botan/pkcs8.h>
#include <botan/pubkey.h>
#include <botan/pwdhash.h>
#include <botan/rsa.h>
#include <botan/stream_cipher.h>
#include <botan/system_rng.h>
#include <botan/x509_key.h>

#include "key_handle.hpp"
#include "openrms/error.hpp"
#include "rsa_oaep.hpp"

namespace openrms::crypto {
namespace {

std::string bname(HashAlg h) {
  return std::string(to_string(h));
}

Botan::RandomNumberGenerator& rng() {
  static Botan::System_RNG r;  // thread-safe (getrandom)
  return r;
}

std::string aes_name(std::size_t key_len) {
  check_aes_key(ByteView(static_cast<const std::uint8_t*>(nullptr), key_len));
  return "AES-" + std::to_string(key_len * 8);
}

// An EncryptedPrivateKeyInfo SEQUENCE { AlgorithmIdentifier, OCTET STRING } that parses.
bool is_encrypted_pkcs8(const SecureBytes& der) {
  try {
    Botan::AlgorithmIdentifier alg;
    std::vector<std::uint8_t> data;
    Botan::BER_Decoder(der.data(), der.size())
        .start_cons(Botan::SEQUENCE)
        .decode(alg)
        .decode(data, Botan::OCTET_STRING)
        .end_cons();
    return !data.empty();
  } catch (const std::exception&) {
    return false;
  }
}

// Runs `f`, turning any Botan exception into an openrms::Error of the given code.
template <class F>
auto guarded(Errc code, const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const openrms::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception&) {
    fail(code, what);
  }
}

class BotanHash final : public HashCtx {
 public:
  explicit BotanHash(HashAlg h) : h_(Botan::HashFunction::create_or_throw(bname(h))) {}
  void update(ByteView d) override { h_->update(d.data(), d.size()); }
  void finish(MutableByteView out) override {
    if (out.size() < size()) fail(Errc::invalid_argument, "digest buffer too small");
    h_->final(out.data());
  }
  std::size_t size() const noexcept override { return h_->output_length(); }

 private:
  std::unique_ptr<Botan::HashFunction> h_;
};

class BotanMac final : public MacCtx {
 public:
  BotanMac(HashAlg h, ByteView key)
      : m_(Botan::MessageAuthenticationCode::create_or_throw("HMAC(" + bname(h) + ")")) {
    guarded(Errc::invalid_argument, "HMAC key rejected",
            [&] { m_->set_key(key.data(), key.size()); });
  }
  void update(ByteView d) override { m_->update(d.data(), d.size()); }
  void finish(MutableByteView out) override {
    if (out.size() < size()) fail(Errc::invalid_argument, "MAC buffer too small");
    m_->final(out.data());
  }
  std::size_t size() const noexcept override { return m_->output_length(); }

 private:
  std::unique_ptr<Botan::MessageAuthenticationCode> m_;
};

class BotanAes final : public Aes {
 public:
  explicit BotanAes(ByteView key)
      : key_(key.begin(), key.end()),
        bc_(Botan::BlockCipher::create_or_throw(aes_name(key.size()))) {
    bc_->set_key(key.data(), key.size());
  }
  void ecb_encrypt(ByteView in, MutableByteView out) override {
    check(in, out);
    bc_->encrypt_n(in.data(), out.data(), in.size() / 16);
  }
  void ecb_decrypt(ByteView in, MutableByteView out) override {
    check(in, out);
    bc_->decrypt_n(in.data(), out.data(), in.size() / 16);
  }
  void cbc_encrypt(ByteView iv, ByteView in, MutableByteView out) override {
    cbc(enc_, Botan::ENCRYPTION, iv, in, out);
  }
  void cbc_decrypt(ByteView iv, ByteView in, MutableByteView out) override {
    cbc(dec_, Botan::DECRYPTION, iv, in, out);
  }
  void ctr_xor(ByteView iv, ByteView in, MutableByteView out) override {
    if (iv.size() != 16) fail(Errc::invalid_argument, "CTR IV must be 16 bytes");
    if (out.size() < in.size()) fail(Errc::invalid_argument, "output buffer too small");
    if (!ctr_) {
      ctr_ = Botan::StreamCipher::create_or_throw("CTR-BE(" + aes_name(key_.size()) + ",16)");
      ctr_->set_key(key_.data(), key_.size());
    }
    ctr_->set_iv(iv.data(), iv.size());
    ctr_->cipher(in.data(), out.data(), in.size());
  }

 private:
  static void check(ByteView in, MutableByteView out) {
    if (in.size() % 16 != 0)
      fail(Errc::invalid_argument, "AES input must be a multiple of 16 bytes");
    if (out.size() < in.size()) fail(Errc::invalid_argument, "output buffer too small");
  }
  void cbc(std::unique_ptr<Botan::Cipher_Mode>& m, Botan::Cipher_Dir dir, ByteView iv, ByteView in,
           MutableByteView out) {
    check(in, out);
    if (iv.size() != 16) fail(Errc::invalid_argument, "CBC IV must be 16 bytes");
    if (!m) {
      m = Botan::Cipher_Mode::create_or_throw(aes_name(key_.size()) + "/CBC/NoPadding", dir);
      m->set_key(key_.data(), key_.size());
    }
    if (out.data() != in.data()) std::copy(in.begin(), in.end(), out.begin());
    m->start(iv.data(), iv.size());
    if (!in.empty()) m->process(out.data(), in.size());
  }
  Botan::secure_vector<std::uint8_t> key_;
  std::unique_ptr<Botan::BlockCipher> bc_;
  std::unique_ptr<Botan::Cipher_Mode> enc_, dec_;
  std::unique_ptr<Botan::StreamCipher> ctr_;
};

class BotanGcm final : public AesGcm {
 public:
  explicit BotanGcm(ByteView key) : key_(key.begin(), key.end()) { check_aes_key(key); }
  void seal(ByteView nonce, ByteView aad, ByteView in, MutableByteView out,
            MutableByteView tag) override {
    check_gcm_message(nonce, in, out, tag.size());
    Botan::AEAD_Mode& m = start(enc_, Botan::ENCRYPTION, nonce, aad);
    if (out.data() != in.data()) std::copy(in.begin(), in.end(), out.begin());
    const std::size_t bulk = in.size() - in.size() % m.update_granularity();
    if (bulk) m.process(out.data(), bulk);
    Botan::secure_vector<std::uint8_t> rest(out.begin() + static_cast<std::ptrdiff_t>(bulk),
                                            out.end());
    m.finish(rest);  // the tail's ciphertext, then the tag
    std::copy(rest.begin(), rest.end() - 16, out.begin() + static_cast<std::ptrdiff_t>(bulk));
    std::copy(rest.end() - 16, rest.end(), tag.begin());
  }
  bool open(ByteView nonce, ByteView aad, ByteView in, MutableByteView out, ByteView tag) override {
    check_gcm_message(nonce, in, out, tag.size());
    Botan::AEAD_Mode& m = start(dec_, Botan::DECRYPTION, nonce, aad);
    if (out.data() != in.data()) std::copy(in.begin(), in.end(), out.begin());
    const std::size_t bulk = in.size() - in.size() % m.update_granularity();
    if (bulk) m.process(out.data(), bulk);
    Botan::secure_vector<std::uint8_t> rest(out.begin() + static_cast<std::ptrdiff_t>(bulk),
                                            out.end());
    rest.insert(rest.end(), tag.begin(), tag.end());
    try {
      m.finish(rest);  // checks the tag (constant time)
    } catch (const Botan::Invalid_Authentication_Tag&) {
      std::fill(out.begin(), out.end(), std::uint8_t{0});
      return false;
    }
    std::copy(rest.begin(), rest.end(), out.begin() + static_cast<std::ptrdiff_t>(bulk));
    return true;
  }

 private:
  Botan::AEAD_Mode& start(std::unique_ptr<Botan::AEAD_Mode>& m, Botan::Cipher_Dir dir,
                          ByteView nonce, ByteView aad) {
    if (!m) {
      m = Botan::AEAD_Mode::create_or_throw(aes_name(key_.size()) + "/GCM(16)", dir);
      m->set_key(key_.data(), key_.size());
    }
    m->set_associated_data(aad.data(), aad.size());
    m->start(nonce.data(), nonce.size());
    return *m;
  }
  Botan::secure_vector<std::uint8_t> key_;
  std::unique_ptr<Botan::AEAD_Mode> enc_, dec_;
};

class BotanRc4 final : public Rc4 {
 public:
  explicit BotanRc4(ByteView key) : s_(Botan::StreamCipher::create_or_throw("RC4")) {
    if (key.empty() || key.size() > 256)
      fail(Errc::invalid_argument, "RC4 key must be 1..256 bytes");
    s_->set_key(key.data(), key.size());
  }
  void apply(ByteView in, MutableByteView out) override {
    if (out.size() < in.size()) fail(Errc::invalid_argument, "output buffer too small");
    s_->cipher(in.data(), out.data(), in.size());
  }

 private:
  std::unique_ptr<Botan::StreamCipher> s_;
};

// ------------------------------------------------------------------------------------------
// Keys

struct BotanKey final : KeyHandle {
  std::shared_ptr<Botan::Private_Key> priv;  // set for private keys
  std::shared_ptr<Botan::Public_Key> pub;    // always set (for private keys: the same object)
  Bytes spki_der() const override { return Botan::X509::BER_encode(*pub); }
  SecureBytes pkcs8_der() const override {
    if (!priv) fail(Errc::invalid_argument, "not a private key");
    auto v = Botan::PKCS8::BER_encode(*priv);
    return SecureBytes(v.begin(), v.end());
  }
  std::shared_ptr<const KeyHandle> public_handle() const override;
};

std::shared_ptr<BotanKey> describe(const Backend* be, std::shared_ptr<Botan::Public_Key> pub,
                                   std::shared_ptr<Botan::Private_Key> priv) {
  auto k = std::make_shared<BotanKey>();
  k->backend = be;
  k->is_private = priv != nullptr;
  k->pub = std::move(pub);
  k->priv = std::move(priv);
  const std::string algo = k->pub->algo_name();
  if (algo == "RSA") {
    k->type = KeyType::rsa;
  } else if (algo == "Ed25519") {
    k->type = KeyType::ed25519;
  } else if (algo == "ECDSA" || algo == "ECDH") {
    auto* ec = dynamic_cast<const Botan::EC_PublicKey*>(k->pub.get());
    if (ec == nullptr) fail(Errc::bad_format, "EC key without domain");
    if (ec->domain() == Botan::EC_Group("secp256r1"))
      k->type = KeyType::ec_p256;
    else if (ec->domain() == Botan::EC_Group("secp384r1"))
      k->type = KeyType::ec_p384;
    else
      fail(Errc::unsupported, "EC curve not supported (P-256, P-384 are)");
  } else {
    fail(Errc::unsupported,
         "key algorithm " + algo + " not supported (RSA, EC P-256/P-384, Ed25519 are)");
  }
  k->bits = k->pub->key_length();
  return k;
}

std::shared_ptr<const KeyHandle> load_spki(const Backend* be, ByteView der) {
  std::shared_ptr<Botan::Public_Key> pub =
      guarded(Errc::bad_format, "not a valid SubjectPublicKeyInfo", [&] {
        std::vector<std::uint8_t> v(der.begin(), der.end());
        return std::shared_ptr<Botan::Public_Key>(Botan::X509::load_key(v));
      });
  if (!pub) fail(Errc::bad_format, "not a valid SubjectPublicKeyInfo");
  return describe(be, std::move(pub), nullptr);
}

std::shared_ptr<const KeyHandle> BotanKey::public_handle() const {
  auto k = std::make_shared<BotanKey>();
  *k = *this;
  k->is_private = false;
  k->priv.reset();
  return k;
}

class BotanBackend final : public Backend {
 public:
  BackendId id() const noexcept override { return BackendId::botan; }
  std::string_view name() const noexcept override { return "botan"; }

  void random(MutableByteView out) const override { rng().randomize(out.data(), out.size()); }
  std::unique_ptr<HashCtx> hash(HashAlg h) const override { return std::make_unique<BotanHash>(h); }
  std::unique_ptr<MacCtx> hmac(HashAlg h, ByteView key) const override {
    return std::make_unique<BotanMac>(h, key);
  }
  void pbkdf2(HashAlg h, ByteView pw, ByteView salt, std::uint32_t iter,
              MutableByteView out) const override {
    if (iter == 0) fail(Errc::invalid_argument, "PBKDF2 iteration count out of range");
    guarded(Errc::crypto, "PBKDF2 failed", [&] {
      auto fam = Botan::PasswordHashFamily::create_or_throw("PBKDF2(" + bname(h) + ")");
      fam->from_iterations(iter)->derive_key(out.data(), out.size(),
                                             reinterpret_cast<const char*>(pw.data()), pw.size(),
                                             salt.data(), salt.size());
    });
  }
  void hkdf(HashAlg h, ByteView ikm, ByteView salt, ByteView info,
            MutableByteView out) const override {
    check_hkdf_len(h, out.size());
    if (out.empty()) return;
    guarded(Errc::crypto, "HKDF failed", [&] {
      auto kdf = Botan::KDF::create_or_throw("HKDF(" + bname(h) + ")");
      kdf->kdf(out.data(), out.size(), ikm.data(), ikm.size(), salt.data(), salt.size(),
               info.data(), info.size());
    });
  }

  std::unique_ptr<Aes> aes(ByteView key) const override {
    check_aes_key(key);
    return std::make_unique<BotanAes>(key);
  }
  std::unique_ptr<AesGcm> aes_gcm(ByteView key) const override {
    check_aes_key(key);
    return std::make_unique<BotanGcm>(key);
  }
  Bytes gcm_seal(ByteView key, ByteView nonce, ByteView aad, ByteView pt,
                 std::size_t tag_len) const override {
    check_gcm_params(key, nonce, tag_len);
    auto m = Botan::AEAD_Mode::create_or_throw(
        aes_name(key.size()) + "/GCM(" + std::to_string(tag_len) + ")", Botan::ENCRYPTION);
    m->set_key(key.data(), key.size());
    m->set_associated_data(aad.data(), aad.size());
    m->start(nonce.data(), nonce.size());
    Botan::secure_vector<std::uint8_t> buf(pt.begin(), pt.end());
    m->finish(buf);
    return Bytes(buf.begin(), buf.end());
  }
  SecureBytes gcm_open(ByteView key, ByteView nonce, ByteView aad, ByteView sealed,
                       std::size_t tag_len) const override {
    check_gcm_params(key, nonce, tag_len);
    if (sealed.size() < tag_len) fail(Errc::integrity, "authenticated decryption failed");
    return guarded(Errc::integrity, "authenticated decryption failed", [&] {
      auto m = Botan::AEAD_Mode::create_or_throw(
          aes_name(key.size()) + "/GCM(" + std::to_string(tag_len) + ")", Botan::DECRYPTION);
      m->set_key(key.data(), key.size());
      m->set_associated_data(aad.data(), aad.size());
      m->start(nonce.data(), nonce.size());
      Botan::secure_vector<std::uint8_t> buf(sealed.begin(), sealed.end());
      m->finish(buf);
      return SecureBytes(buf.begin(), buf.end());
    });
  }
  Bytes key_wrap(ByteView kek, ByteView data, bool padded) const override {
    if (padded ? data.empty() : (data.size() < 16 || data.size() % 8 != 0))
      fail(Errc::invalid_argument, "key-wrap input has an invalid length");
    auto bc = Botan::BlockCipher::create_or_throw(aes_name(kek.size()));
    bc->set_key(kek.data(), kek.size());
    return padded ? Botan::nist_key_wrap_padded(data.data(), data.size(), *bc)
                  : Botan::nist_key_wrap(data.data(), data.size(), *bc);
  }
  SecureBytes key_unwrap(ByteView kek, ByteView wrapped, bool padded) const override {
    auto bc = Botan::BlockCipher::create_or_throw(aes_name(kek.size()));
    bc->set_key(kek.data(), kek.size());
    if (wrapped.size() % 8 != 0 || wrapped.size() < (padded ? 16u : 24u))
      fail(Errc::integrity, "key unwrap failed");
    return guarded(Errc::integrity, "key unwrap failed", [&] {
      auto v = padded ? Botan::nist_key_unwrap_padded(wrapped.data(), wrapped.size(), *bc)
                      : Botan::nist_key_unwrap(wrapped.data(), wrapped.size(), *bc);
      return SecureBytes(v.begin(), v.end());
    });
  }
  std::unique_ptr<Rc4> rc4(ByteView key) const override { return std::make_unique<BotanRc4>(key); }

  PrivateKey generate_key(KeyType type, std::size_t rsa_bits) const override {
    std::shared_ptr<Botan::Private_Key> k;
    switch (type) {
      case KeyType::rsa:
        if (rsa_bits < 2048 || rsa_bits > 4096)
          fail(Errc::invalid_argument, "RSA key size must be 2048..4096 bits");
        k = std::make_shared<Botan::RSA_PrivateKey>(rng(), rsa_bits);
        break;
      case KeyType::ec_p256:
        k = std::make_shared<Botan::ECDSA_PrivateKey>(rng(), Botan::EC_Group("secp256r1"));
        break;
      case KeyType::ec_p384:
        k = std::make_shared<Botan::ECDSA_PrivateKey>(rng(), Botan::EC_Group("secp384r1"));
        break;
      case KeyType::ed25519:
        k = std::make_shared<Botan::Ed25519_PrivateKey>(rng());
        break;
    }
    return PrivateKey(describe(this, k, k));
  }
  PrivateKey load_private_key(ByteView in) const override {
    SecureBytes der = pem_to_der(in, "PRIVATE KEY");
    std::shared_ptr<Botan::Private_Key> k =
        guarded(Errc::bad_format, "not a valid unencrypted PKCS#8 private key", [&] {
          Botan::DataSource_Memory src(der.data(), der.size());
          return std::shared_ptr<Botan::Private_Key>(Botan::PKCS8::load_key(src));
        });
    if (!k) fail(Errc::bad_format, "not a valid unencrypted PKCS#8 private key");
    return PrivateKey(describe(this, k, k));
  }
  PublicKey load_public_key(ByteView in) const override {
    SecureBytes der = pem_to_der(in, "PUBLIC KEY");
    return PublicKey(load_spki(this, der));
  }
  SecureString encrypt_private_key(const PrivateKey& key,
                                   std::string_view passphrase) const override {
    if (passphrase.empty()) fail(Errc::invalid_argument, "an empty passphrase protects nothing");
    SecureBytes der = key.pkcs8_der();
    return guarded(Errc::crypto, "private key encryption failed", [&] {
      Botan::DataSource_Memory src(der.data(), der.size());
      std::unique_ptr<Botan::Private_Key> k(Botan::PKCS8::load_key(src));
      std::string pem = Botan::PKCS8::PEM_encode_encrypted_pbkdf_iter(
          *k, rng(), std::string(passphrase), kKeyPassphraseIterations, "AES-256/CBC", "SHA-256");
      SecureString r(pem.begin(), pem.end());
      secure_wipe(pem.data(), pem.size());
      return r;
    });
  }
  PrivateKey load_encrypted_private_key(ByteView in, std::string_view passphrase) const override {
    SecureBytes der = pem_to_der(in, "ENCRYPTED PRIVATE KEY");
    std::shared_ptr<Botan::Private_Key> k;
    try {
      Botan::DataSource_Memory src(der.data(), der.size());
      k.reset(Botan::PKCS8::load_key(src, std::string(passphrase)).release());
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception&) {
      // Botan does not tell a wrong passphrase from a damaged key; both fail the padding or the
      // inner DER. A structurally valid envelope is taken as a wrong passphrase.
      fail(is_encrypted_pkcs8(der) ? Errc::wrong_password : Errc::bad_format,
           is_encrypted_pkcs8(der) ? "the passphrase does not open this private key"
                                   : "not a valid encrypted PKCS#8 private key");
    }
    return PrivateKey(describe(this, k, k));
  }

  Bytes sign(const PrivateKey& key, const SigParams& p, ByteView msg) const override {
    auto k = own(key);
    check_sig_params(k->type, p);
    return guarded(Errc::crypto, "signing failed", [&] {
      Botan::PK_Signer signer(*k->priv, rng(), padding(p), format(p));
      return signer.sign_message(msg.data(), msg.size(), rng());
    });
  }
  bool verify(const PublicKey& key, const SigParams& p, ByteView msg, ByteView sig) const override {
    auto k = own_pub(key);
    check_sig_params(k->type, p);
    if (!signature_shape_ok(k->type, k->bits, p, sig)) return false;
    try {
      Botan::PK_Verifier verifier(*k->pub, padding(p), format(p));
      return verifier.verify_message(msg.data(), msg.size(), sig.data(), sig.size());
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception&) {
      return false;
    }
  }

  Bytes rsa_encrypt(const PublicKey& key, const RsaEncParams& p, ByteView pt) const override {
    auto k = own_pub(key);
    if (k->type != KeyType::rsa) fail(Errc::invalid_argument, "RSA encryption needs an RSA key");
    std::size_t kbytes = (k->bits + 7) / 8;
    if (p.pad == RsaPad::oaep && !p.label.empty()) {
      Bytes em = oaep_encode(*this, p.oaep_hash, p.mgf1_hash, p.label, pt, kbytes);
      return guarded(Errc::crypto, "RSA encryption failed", [&] {
        Botan::PK_Encryptor_EME enc(*k->pub, rng(), "Raw");
        Bytes c = enc.encrypt(em.data(), em.size(), rng());
        Bytes out(kbytes - std::min(kbytes, c.size()), 0);  // left-pad to the modulus length
        out.insert(out.end(), c.begin(), c.end());
        return out;
      });
    }
    std::size_t max =
        p.pad == RsaPad::oaep ? kbytes - 2 * digest_size(p.oaep_hash) - 2 : kbytes - 11;
    if (kbytes < 2 * digest_size(p.oaep_hash) + 2 || pt.size() > max)
      fail(Errc::invalid_argument, "message too long for RSA encryption");
    return guarded(Errc::invalid_argument, "RSA encryption failed", [&] {
      Botan::PK_Encryptor_EME enc(*k->pub, rng(), eme(p));
      return enc.encrypt(pt.data(), pt.size(), rng());
    });
  }
  SecureBytes rsa_decrypt(const PrivateKey& key, const RsaEncParams& p,
                          ByteView ct) const override {
    auto k = own(key);
    if (k->type != KeyType::rsa) fail(Errc::invalid_argument, "RSA decryption needs an RSA key");
    std::size_t kbytes = (k->bits + 7) / 8;
    if (ct.size() != kbytes) fail(Errc::integrity, "RSA decryption failed");
    if (p.pad == RsaPad::oaep && !p.label.empty()) {
      auto em = guarded(Errc::integrity, "RSA decryption failed", [&] {
        Botan::PK_Decryptor_EME dec(*k->priv, rng(), "Raw");
        auto m = dec.decrypt(ct.data(), ct.size());
        if (m.size() > kbytes) fail(Errc::integrity, "RSA decryption failed");
        SecureBytes out(kbytes - m.size(), 0);
        out.insert(out.end(), m.begin(), m.end());
        return out;
      });
      auto msg = oaep_decode(*this, p.oaep_hash, p.mgf1_hash, p.label, em);
      if (!msg) fail(Errc::integrity, "RSA decryption failed");
      return std::move(*msg);
    }
    return guarded(Errc::integrity, "RSA decryption failed", [&] {
      Botan::PK_Decryptor_EME dec(*k->priv, rng(), eme(p));
      auto m = dec.decrypt(ct.data(), ct.size());
      return SecureBytes(m.begin(), m.end());
    });
  }
  SecureBytes ecdh(const PrivateKey& own_key, const PublicKey& peer) const override {
    auto k = own(own_key);
    auto pk = own_pub(peer);
    if ((k->type != KeyType::ec_p256 && k->type != KeyType::ec_p384) || pk->type != k->type)
      fail(Errc::invalid_argument, "ECDH needs two keys on the same NIST curve");
    return guarded(Errc::bad_format, "ECDH peer key rejected", [&] {
      auto* ec_priv = dynamic_cast<const Botan::EC_PrivateKey*>(k->priv.get());
      auto* ec_pub = dynamic_cast<const Botan::EC_PublicKey*>(pk->pub.get());
      if (!ec_priv || !ec_pub) fail(Errc::internal, "EC key has an unexpected type");
      Botan::ECDH_PrivateKey dh(rng(), ec_priv->domain(), ec_priv->private_value());
      Botan::PK_Key_Agreement ka(dh, rng(), "Raw");
      auto point = ec_pub->public_point().encode(Botan::PointGFp::UNCOMPRESSED);
      auto z = ka.derive_key(0, point.data(), point.size()).bits_of();
      std::size_t n = k->type == KeyType::ec_p256 ? 32 : 48;
      SecureBytes out(n - std::min(n, z.size()), 0);
      out.insert(out.end(), z.begin(), z.end());
      return out;
    });
  }

 private:
  static std::string eme(const RsaEncParams& p) {
    if (p.pad == RsaPad::pkcs1v15) return "EME-PKCS1-v1_5";
    return "OAEP(" + bname(p.oaep_hash) + ",MGF1(" + bname(p.mgf1_hash) + "))";
  }
  static std::string padding(const SigParams& p) {
    switch (p.scheme) {
      case SigScheme::rsa_pkcs1v15:
        return "EMSA3(" + bname(p.hash) + ")";
      case SigScheme::rsa_pss: {
        int salt = p.pss_salt_len < 0 ? static_cast<int>(digest_size(p.hash)) : p.pss_salt_len;
        return "PSSR(" + bname(p.hash) + ",MGF1," + std::to_string(salt) + ")";
      }
      case SigScheme::ecdsa_der:
      case SigScheme::ecdsa_p1363:
        return "EMSA1(" + bname(p.hash) + ")";
      case SigScheme::ed25519:
        return "Pure";
    }
    return "";
  }
  static Botan::Signature_Format format(const SigParams& p) {
    return p.scheme == SigScheme::ecdsa_der ? Botan::DER_SEQUENCE : Botan::IEEE_1363;
  }

  std::shared_ptr<const BotanKey> own(const PrivateKey& key) const {
    auto& h = key.handle();
    if (!h.is_private) fail(Errc::invalid_argument, "a private key is needed");
    if (h.backend == this) return std::static_pointer_cast<const BotanKey>(key.handle_ptr());
    return std::static_pointer_cast<const BotanKey>(load_private_key(h.pkcs8_der()).handle_ptr());
  }
  std::shared_ptr<const BotanKey> own_pub(const PublicKey& key) const {
    auto& h = key.handle();
    if (h.backend == this) return std::static_pointer_cast<const BotanKey>(key.handle_ptr());
    return std::static_pointer_cast<const BotanKey>(load_spki(this, h.spki_der()));
  }
};

}  // namespace

const Backend& botan_backend() {
  static const BotanBackend instance;
  return instance;
}

bool has_botan() noexcept {
  return true;
}

}  // namespace openrms::crypto
