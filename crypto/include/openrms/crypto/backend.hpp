// The crypto layer's one interface, implemented twice: OpenSSL 3 (default) and Botan 2.
//
// Everything above `crypto/` uses only this header (and the helpers built on it), so a backend
// can be swapped per call for differential testing. Both backends are validated against the
// Wycheproof vectors and against each other (tests/crypto).
//
// Errors: every function throws openrms::Error (see openrms/error.hpp). Invalid sizes or
// parameters -> Errc::invalid_argument; failed authentication (GCM tag, key-unwrap check, padding,
// OAEP/PKCS#1 decoding) -> Errc::integrity with a fixed message; malformed key encodings ->
// Errc::bad_format; algorithms the backend lacks -> Errc::unsupported. `verify` returns false
// for any invalid signature and never throws for a bad signature.
//
// Thread safety: Backend objects and keys (PrivateKey/PublicKey) are immutable and safe to share
// between threads. Context objects (HashCtx, MacCtx, Aes) are not: use one per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "openrms/crypto/secure.hpp"

namespace openrms::crypto {

enum class HashAlg { md5, sha1, sha224, sha256, sha384, sha512 };
std::size_t digest_size(HashAlg h) noexcept;
std::string_view to_string(HashAlg h) noexcept;
/// The hash named `name`, case-insensitive, with or without the dash ("SHA512", "sha-256");
/// nullopt for any other name.
std::optional<HashAlg> parse_hash_alg(std::string_view name) noexcept;

enum class BackendId { openssl, botan };

enum class KeyType { rsa, ec_p256, ec_p384, ed25519 };
std::string_view to_string(KeyType t) noexcept;

enum class SigScheme {
  rsa_pkcs1v15,  ///< RSASSA-PKCS1-v1_5 (RFC 8017 §8.2)
  rsa_pss,       ///< RSASSA-PSS, MGF1 with the same hash (RFC 8017 §8.1)
  ecdsa_der,     ///< ECDSA, signature as DER SEQUENCE{r,s} (strict DER on verify)
  ecdsa_p1363,   ///< ECDSA, signature as r||s, each the curve's byte length
  ed25519,       ///< PureEdDSA (RFC 8032); `hash` is ignored
};
struct SigParams {
  SigScheme scheme = SigScheme::ecdsa_der;
  HashAlg hash = HashAlg::sha256;
  int pss_salt_len = -1;  ///< PSS only: -1 = the hash length
};

enum class RsaPad { oaep, pkcs1v15 };
struct RsaEncParams {
  RsaPad pad = RsaPad::oaep;
  HashAlg oaep_hash = HashAlg::sha256;
  HashAlg mgf1_hash = HashAlg::sha256;
  Bytes label;  ///< OAEP label (usually empty)
};

class Backend;
struct KeyHandle;  // backend-private

/// An asymmetric public key. Cheap to copy (shared, immutable).
class PublicKey {
 public:
  PublicKey() = default;
  explicit PublicKey(std::shared_ptr<const KeyHandle> h) : h_(std::move(h)) {}
  bool empty() const noexcept { return !h_; }
  KeyType type() const;
  std::size_t bits() const;
  /// SubjectPublicKeyInfo, DER (RFC 5280 §4.1.2.7).
  Bytes spki_der() const;
  std::string spki_pem() const;
  const KeyHandle& handle() const;
  const std::shared_ptr<const KeyHandle>& handle_ptr() const noexcept { return h_; }

 private:
  std::shared_ptr<const KeyHandle> h_;
};

/// An asymmetric private key. Cheap to copy (shared, immutable); wiped when the last copy goes.
class PrivateKey {
 public:
  PrivateKey() = default;
  explicit PrivateKey(std::shared_ptr<const KeyHandle> h) : h_(std::move(h)) {}
  bool empty() const noexcept { return !h_; }
  KeyType type() const;
  std::size_t bits() const;
  /// Unencrypted PKCS#8 PrivateKeyInfo, DER (RFC 5208). Protect it: it is the key.
  SecureBytes pkcs8_der() const;
  SecureString pkcs8_pem() const;
  PublicKey public_key() const;
  const KeyHandle& handle() const;
  const std::shared_ptr<const KeyHandle>& handle_ptr() const noexcept { return h_; }

 private:
  std::shared_ptr<const KeyHandle> h_;
};

/// Incremental hash; reusable after finish() via reset().
class HashCtx {
 public:
  virtual ~HashCtx() = default;
  virtual void update(ByteView data) = 0;
  /// Writes digest_size() bytes into `out` (must be at least that long) and resets.
  virtual void finish(MutableByteView out) = 0;
  virtual std::size_t size() const noexcept = 0;
  Bytes finish() {
    Bytes out(size());
    finish(out);
    return out;
  }
};

/// Incremental HMAC; reusable after finish() (same key).
class MacCtx {
 public:
  virtual ~MacCtx() = default;
  virtual void update(ByteView data) = 0;
  virtual void finish(MutableByteView out) = 0;
  virtual std::size_t size() const noexcept = 0;
  Bytes finish() {
    Bytes out(size());
    finish(out);
    return out;
  }
};

/// A keyed AES instance (128/192/256 by key length). Block-aligned operations only (lengths a
/// multiple of 16, else invalid_argument); `in` and `out` may be the same buffer.
class Aes {
 public:
  virtual ~Aes() = default;
  virtual void ecb_encrypt(ByteView in, MutableByteView out) = 0;
  virtual void ecb_decrypt(ByteView in, MutableByteView out) = 0;
  /// CBC without padding. `iv` is 16 bytes.
  virtual void cbc_encrypt(ByteView iv, ByteView in, MutableByteView out) = 0;
  virtual void cbc_decrypt(ByteView iv, ByteView in, MutableByteView out) = 0;
  /// CTR with a 128-bit big-endian counter starting at `iv`; any length.
  virtual void ctr_xor(ByteView iv, ByteView in, MutableByteView out) = 0;
};

/// AES-GCM (NIST SP 800-38D) keyed once for many messages: the key schedule and the GHASH key
/// are computed once, each message costs only its nonce set-up. 12-byte nonces, 16-byte tags.
/// `out.size()` must equal `in.size()`; `in` and `out` may be the same buffer (exactly), else
/// they must not overlap (invalid_argument for wrong sizes).
class AesGcm {
 public:
  virtual ~AesGcm() = default;
  /// Encrypts `in` into `out` and writes the 16-byte tag into `tag`.
  virtual void seal(ByteView nonce, ByteView aad, ByteView in, MutableByteView out,
                    MutableByteView tag) = 0;
  /// Decrypts `in` into `out` and checks `tag`; false (and `out` zeroed) if it does not verify.
  /// The comparison is constant-time.
  [[nodiscard]] virtual bool open(ByteView nonce, ByteView aad, ByteView in, MutableByteView out,
                                  ByteView tag) = 0;
};

/// RC4 keystream (legacy Office/PDF formats only). Stateful: successive calls continue the stream.
class Rc4 {
 public:
  virtual ~Rc4() = default;
  virtual void apply(ByteView in, MutableByteView out) = 0;
};

/// PBKDF2-HMAC-SHA256 iterations for passphrase-encrypted private keys (OWASP's 2023 figure:
/// ~0.2 s per unlock here).
inline constexpr unsigned kKeyPassphraseIterations = 600'000;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendId id() const noexcept = 0;
  virtual std::string_view name() const noexcept = 0;

  // --- random, hashes, MACs, KDFs ---
  /// Fills `out` from the OS-seeded CSPRNG.
  virtual void random(MutableByteView out) const = 0;
  virtual std::unique_ptr<HashCtx> hash(HashAlg h) const = 0;
  virtual std::unique_ptr<MacCtx> hmac(HashAlg h, ByteView key) const = 0;
  /// The password-KDF spin of MS-OFFCRYPTO 2.3.4.7 / 2.3.4.11: starting from H = `state`
  /// (digest_size(h) bytes), repeats H = Hash(LE32(i) || H) for i = 0 .. iterations-1 in place.
  /// Hot path: no allocation per round.
  virtual void hash_spin(HashAlg h, MutableByteView state, std::uint32_t iterations) const;
  /// PBKDF2 (RFC 8018 §5.2). iterations >= 1.
  virtual void pbkdf2(HashAlg h, ByteView password, ByteView salt, std::uint32_t iterations,
                      MutableByteView out) const = 0;
  /// HKDF extract+expand (RFC 5869). out.size() <= 255 * digest_size(h).
  virtual void hkdf(HashAlg h, ByteView ikm, ByteView salt, ByteView info,
                    MutableByteView out) const = 0;

  // --- symmetric ---
  /// Keyed AES; key 16, 24 or 32 bytes.
  virtual std::unique_ptr<Aes> aes(ByteView key) const = 0;
  /// AES-GCM (NIST SP 800-38D). nonce 1..128 bytes (OpenSSL's limit; 12 is the norm);
  /// tag_len 12..16. Returns ciphertext || tag.
  virtual Bytes gcm_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext,
                         std::size_t tag_len = 16) const = 0;
  /// Inverse of gcm_seal; Errc::integrity if the tag does not verify.
  virtual SecureBytes gcm_open(ByteView key, ByteView nonce, ByteView aad, ByteView sealed,
                               std::size_t tag_len = 16) const = 0;
  /// Keyed AES-GCM for many messages (see AesGcm); key 16, 24 or 32 bytes.
  virtual std::unique_ptr<AesGcm> aes_gcm(ByteView key) const = 0;
  /// AES key wrap, RFC 3394 (padded = false; key data a multiple of 8, >= 16 bytes) or
  /// RFC 5649 (padded = true; any non-empty length).
  virtual Bytes key_wrap(ByteView kek, ByteView key_data, bool padded) const = 0;
  virtual SecureBytes key_unwrap(ByteView kek, ByteView wrapped, bool padded) const = 0;
  /// RC4 with a 1..256-byte key.
  virtual std::unique_ptr<Rc4> rc4(ByteView key) const = 0;

  // --- asymmetric ---
  /// RSA: bits in [2048, 4096]; EC/Ed25519: bits ignored.
  virtual PrivateKey generate_key(KeyType type, std::size_t rsa_bits = 3072) const = 0;
  /// PKCS#8 (DER or PEM, unencrypted). Errc::bad_format if not parseable.
  virtual PrivateKey load_private_key(ByteView der_or_pem) const = 0;
  /// SubjectPublicKeyInfo (DER or PEM). Errc::bad_format if not parseable.
  virtual PublicKey load_public_key(ByteView der_or_pem) const = 0;
  /// PKCS#8 EncryptedPrivateKeyInfo as PEM ("ENCRYPTED PRIVATE KEY"): PBES2 (RFC 8018) with
  /// PBKDF2-HMAC-SHA256 over kKeyPassphraseIterations and AES-256-CBC, the form `openssl pkey
  /// -passin` reads. Errc::invalid_argument for an empty passphrase.
  virtual SecureString encrypt_private_key(const PrivateKey& key,
                                           std::string_view passphrase) const = 0;
  /// Reads an EncryptedPrivateKeyInfo (PEM or DER; PBES2 as any PKCS#8 writer makes it).
  /// Errc::wrong_password if the passphrase does not open it, bad_format if it is no such key.
  virtual PrivateKey load_encrypted_private_key(ByteView der_or_pem,
                                                std::string_view passphrase) const = 0;
  virtual Bytes sign(const PrivateKey& key, const SigParams& p, ByteView message) const = 0;
  /// Strict on both backends: an RSA signature must be exactly the modulus length; an Ed25519
  /// signature must have s < L (RFC 8032 §5.1.7); ECDSA DER must be canonical.
  virtual bool verify(const PublicKey& key, const SigParams& p, ByteView message,
                      ByteView signature) const = 0;
  virtual Bytes rsa_encrypt(const PublicKey& key, const RsaEncParams& p,
                            ByteView plaintext) const = 0;
  virtual SecureBytes rsa_decrypt(const PrivateKey& key, const RsaEncParams& p,
                                  ByteView ciphertext) const = 0;
  /// ECDH shared secret (the x coordinate), both keys on the same curve.
  virtual SecureBytes ecdh(const PrivateKey& own, const PublicKey& peer) const = 0;

  // --- conveniences (non-virtual, built on the above) ---
  Bytes digest(HashAlg h, ByteView data) const;
  Bytes mac(HashAlg h, ByteView key, ByteView data) const;
  Bytes random_bytes(std::size_t n) const;
  /// AES-CBC with PKCS#7 padding (always at least one pad byte).
  Bytes cbc_pkcs7_encrypt(ByteView key, ByteView iv, ByteView plaintext) const;
  /// Inverse; Errc::integrity on bad length or padding (one message for both).
  SecureBytes cbc_pkcs7_decrypt(ByteView key, ByteView iv, ByteView ciphertext) const;
};

/// The OpenSSL 3 backend (always available).
const Backend& openssl_backend();
/// The Botan 2 backend; Errc::unsupported if built without it.
const Backend& botan_backend();
/// True if this build has the Botan backend.
bool has_botan() noexcept;
/// The backend by id.
const Backend& backend(BackendId id);
/// The process default (OpenSSL unless set_default_backend was called).
const Backend& default_backend() noexcept;
/// Changes the process default; call before starting threads that use it.
void set_default_backend(BackendId id);

}  // namespace openrms::crypto
