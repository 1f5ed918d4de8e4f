// PDF security handlers — internal: the standard password handler (ISO 32000-1 §7.6.3,
// ISO 32000-2 §7.6.4) and the public-key handler Adobe.PubSec (ISO 32000-2 §7.6.5). They share
// the crypt filters and the encryption of objects; they differ in how the file key is found.
//
// Reads an /Encrypt dictionary (V1/R2, V2/R3, V4/R4 with crypt filters, V5/R5 and R6; PubSec
// adbe.pkcs7.s3/s4 with V1/V2 and s5 with V4/V5), authenticates a user or owner password or
// opens a recipient's CMS envelope, and encrypts or decrypts strings and stream data of
// individual objects (Algorithm 1 / 1.A). Also creates a fresh handler for writing (R4 AESV2 or
// R6 AESV3) and serialises its /Encrypt dictionary. FORMATS.md part A §5 lists the quirks
// handled here (padded 40-bit V4 keys, short /U, unsigned /P, byte-valued crypt-filter /Length,
// missing /Length, missing /ID).
//
// Keys live in SecureBytes. Not thread-safe (one per document).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "object.hpp"
#include "openrms/crypto/backend.hpp"
#include "openrms/crypto/cms.hpp"
#include "openrms/formats/pdf/pdf_crypto.hpp"

namespace openrms::formats::pdf {

/// cbc4k: the license-based handler of rights-managed PDFs (FORMATS.md B4): each string or
/// stream alone, plaintext uint32 BE length || data, AES-CBC4K from segment 0.
enum class CryptMethod { identity, rc4, aesv2, aesv3, cbc4k };
std::string_view to_string(CryptMethod m) noexcept;

enum class PasswordKind { none, user, owner };

struct CryptFilter {
  CryptMethod method = CryptMethod::identity;
  std::string auth_event = "DocOpen";
};

/// What the rewriter needs from a security handler (the standard password handler, or the
/// license-based handler of rights-managed PDFs).
class SecurityHandler {
 public:
  virtual ~SecurityHandler() = default;
  virtual CryptMethod string_method() const noexcept = 0;
  /// How the data of a stream with this dictionary is encrypted.
  virtual CryptMethod method_for_stream(const Dict& d) const = 0;
  /// The key for one object under `m` (rc4/aesv2/aesv3 streaming paths only).
  virtual crypto::SecureBytes object_key(Ref ref, CryptMethod m) const = 0;
  virtual std::string decrypt(CryptMethod m, Ref ref, std::string data) const = 0;
  virtual std::string encrypt(CryptMethod m, Ref ref, std::string_view data) const = 0;
  /// A stream transform fed in chunks, for handlers that frame whole streams (the license
  /// handler): the writer streams large streams through it instead of holding them in memory.
  class StreamTransform {
   public:
    virtual ~StreamTransform() = default;
    /// Bytes the transform will emit in total (known before the first byte is fed).
    virtual std::uint64_t output_size() const = 0;
    virtual void update(ByteView data) = 0;
    /// Ends the stream; errors (e.g. padding of a damaged stream) are thrown here or in update.
    virtual void finish() = 0;
  };
  using Emit = std::function<void(ByteView)>;
  /// Streaming encryption of one stream of `plain_size` bytes under `m`; nullptr if the handler
  /// has none (the writer then uses encrypt() on the whole stream).
  virtual std::unique_ptr<StreamTransform> stream_encryptor(CryptMethod, Ref, std::uint64_t,
                                                            Emit) const {
    return nullptr;
  }
  /// Streaming decryption of one stream of `cipher_size` bytes whose first bytes are `head`
  /// (at least min(cipher_size, 4096)); nullptr if the handler has none.
  virtual std::unique_ptr<StreamTransform> stream_decryptor(CryptMethod, Ref, ByteView,
                                                            std::uint64_t, Emit) const {
    return nullptr;
  }
  /// The /Encrypt dictionary describing this handler.
  virtual Dict to_dict() const = 0;
  /// The lowest PDF version the output needs ("1.6", "1.7", "2.0").
  virtual std::string min_version() const = 0;
  /// Adobe's extension level (ISO 32000-1 §7.12) a 1.7 file needs for this handler: 8 for
  /// AES-256 with R6 (and public-key V5), 3 for R5; 0 for none. Written as /Extensions /ADBE.
  virtual int adbe_extension_level() const { return 0; }
};

class DocumentSecurity final : public SecurityHandler {
 public:
  /// Parses /Encrypt. `id0` is the first /ID string (empty if missing). Errc::unsupported for
  /// other handlers or unknown revisions and sub-filters; bad_format for malformed values.
  DocumentSecurity(const Dict& encrypt, std::string id0, const crypto::Backend& be);

  struct Create {
    int revision = 6;  ///< 4 (AESV2, 128-bit) or 6 (AESV3, 256-bit)
    std::string_view user_password, owner_password;
    std::int32_t permissions = -4;
    bool encrypt_metadata = true;
  };
  /// A new handler with a fresh random file key, for writing.
  DocumentSecurity(const Create& c, std::string id0, const crypto::Backend& be);

  /// A new public-key handler (adbe.pkcs7.s5) with a fresh random seed, for writing: revision 6
  /// gives AESV3 (V5), 4 gives AESV2 (V4). One envelope per distinct permission value.
  DocumentSecurity(int revision, std::span<const Recipient> recipients, bool encrypt_metadata,
                   const crypto::Backend& be);

  /// Tries `password` (UTF-8) as owner then user password; on success the file key is set.
  /// PasswordKind::none if it fits neither. For R5/R6 with check_perms, a /Perms block that does
  /// not decrypt to the expected value gives Errc::integrity (the dictionary was tampered with).
  PasswordKind authenticate(std::string_view password, bool check_perms);

  /// Public-key handler: finds the recipient that `key` opens and sets the file key and the
  /// permissions it carries; false if none of /Recipients is for its certificate.
  bool unlock(const crypto::RecipientKey& key);
  bool pubsec() const noexcept { return pubsec_; }
  const std::string& sub_filter() const noexcept { return sub_filter_; }
  /// The CMS EnvelopedData (DER) of each recipient, as stored.
  const std::vector<std::string>& recipients() const noexcept { return recipients_; }

  Dict to_dict() const override;
  int adbe_extension_level() const override {
    return r_ == 6 || (pubsec_ && v_ == 5) ? 8 : r_ == 5 ? 3 : 0;
  }
  std::string min_version() const override {
    return r_ >= 5 || v_ == 5 ? "1.7" : r_ == 4 || v_ == 4 ? "1.6" : "1.4";
  }

  int v() const noexcept { return v_; }
  int r() const noexcept { return r_; }
  unsigned key_bits() const noexcept { return static_cast<unsigned>(n_) * 8; }
  std::int32_t permissions() const noexcept { return p_; }
  bool encrypt_metadata() const noexcept { return encrypt_metadata_; }
  CryptMethod string_method() const noexcept override { return str_.method; }
  CryptMethod stream_method() const noexcept { return stm_.method; }
  CryptMethod embedded_file_method() const noexcept { return eff_.method; }
  bool key_known() const noexcept { return !key_.empty(); }
  const crypto::SecureBytes& file_key() const noexcept { return key_; }

  /// How the data of a stream with this dictionary is encrypted: /Crypt filter, embedded file
  /// (EFF), metadata with EncryptMetadata false, xref streams (never), else StmF.
  CryptMethod method_for_stream(const Dict& d) const override;
  /// The key for one object under `m` (Algorithm 1; the file key for AESV3).
  crypto::SecureBytes object_key(Ref ref, CryptMethod m) const override;

  std::string decrypt(CryptMethod m, Ref ref, std::string data) const override;
  std::string encrypt(CryptMethod m, Ref ref, std::string_view data) const override;

 private:
  CryptFilter filter_named(const std::string& name) const;
  void read_crypt_filters(const Dict& encrypt);
  void read_pubsec(const Dict& encrypt);
  crypto::SecureBytes pubsec_key(ByteView seed) const;
  Dict pubsec_dict() const;
  bool try_r4(const std::string& pw, PasswordKind& kind);
  bool try_r6(const std::string& pw, PasswordKind& kind, bool check_perms);
  crypto::SecureBytes key_r4(std::string_view padded_pw, std::size_t n) const;
  bool check_u_r4(const crypto::SecureBytes& key) const;
  void hash_2b(std::string_view pw, ByteView salt, ByteView udata, std::uint8_t out[32]) const;
  void check_perms() const;

  crypto::Aes& aes_for(const crypto::SecureBytes& key) const;
  void next_iv(std::uint8_t iv[16]) const;

  const crypto::Backend* be_;
  // Per-document caches for the hot path (100,000s of small strings): the keyed AES instance
  // (the same key for every AESV3 object) and a pool of random IV bytes.
  mutable std::unique_ptr<crypto::Aes> aes_;
  mutable crypto::SecureBytes aes_key_;
  mutable crypto::SecureBytes iv_pool_;
  mutable std::size_t iv_pos_ = 0;
  int v_ = 0, r_ = 0;
  std::size_t n_ = 5;  ///< file key length in bytes
  bool length_given_ = true;
  std::string o_, u_, oe_, ue_, perms_, id0_;
  bool pubsec_ = false;
  std::string sub_filter_;
  std::vector<std::string> recipients_;
  std::int32_t p_ = -4;
  bool encrypt_metadata_ = true;
  std::map<std::string, CryptFilter> cf_;
  CryptFilter stm_, str_, eff_;
  crypto::SecureBytes key_;
};

/// Algorithm 2.B (R6) or plain SHA-256 (R5) — exposed for the benchmark and tests.
void pdf_hash_2b(const crypto::Backend& be, int revision, std::string_view pw, ByteView salt,
                 ByteView udata, std::uint8_t out[32]);

/// The password bytes for R6: SASLprep (RFC 4013) then UTF-8, 127 bytes at most. nullopt if
/// the string is not valid for SASLprep (prohibited characters).
std::optional<std::string> saslprep(std::string_view utf8);

}  // namespace openrms::formats::pdf
