#include "openrms/crypto/cms.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include <cstring>

#include "openrms/error.hpp"

namespace openrms::crypto {

namespace {

// A library context with the default and legacy providers, made once: RC2-40 and 3DES PKCS#12
// files and legacy content ciphers are read through it. The legacy provider may be missing; the
// modern algorithms still work then.
OSSL_LIB_CTX* legacy_ctx() {
  static OSSL_LIB_CTX* ctx = [] {
    OSSL_LIB_CTX* c = OSSL_LIB_CTX_new();
    if (!c) return c;
    OSSL_PROVIDER_load(c, "default");
    OSSL_PROVIDER_load(c, "legacy");
    ERR_clear_error();
    return c;
  }();
  return ctx;
}

// For its lifetime, this thread's default library context is legacy_ctx(): OpenSSL's PKCS#12
// and CMS parsers fetch their algorithms from the thread's default context.
class WithLegacy {
 public:
  WithLegacy() : prev_(legacy_ctx() ? OSSL_LIB_CTX_set0_default(legacy_ctx()) : nullptr) {}
  ~WithLegacy() {
    if (prev_) OSSL_LIB_CTX_set0_default(prev_);
    ERR_clear_error();
  }
  WithLegacy(const WithLegacy&) = delete;
  WithLegacy& operator=(const WithLegacy&) = delete;

 private:
  OSSL_LIB_CTX* prev_;
};

struct BioDel {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDel>;

BioPtr read_bio(ByteView data) {
  BioPtr b(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!b) fail(Errc::crypto, "OpenSSL could not allocate a buffer");
  return b;
}

std::string bio_text(BIO* b) {
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  return n > 0 ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

std::string name_text(const X509_NAME* n) {
  BioPtr b(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(b.get(), n, 0, XN_FLAG_RFC2253);
  return bio_text(b.get());
}

std::string hex_of(const ASN1_OCTET_STRING* s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (int i = 0; s && i < ASN1_STRING_length(s); ++i) {
    const unsigned char c = ASN1_STRING_get0_data(s)[i];
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string serial_text(const ASN1_INTEGER* serial) {
  BIGNUM* bn = serial ? ASN1_INTEGER_to_BN(serial, nullptr) : nullptr;
  char* hex = bn ? BN_bn2hex(bn) : nullptr;
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

using CmsPtr = std::unique_ptr<CMS_ContentInfo, decltype(&CMS_ContentInfo_free)>;

// Call with WithLegacy in scope.
CmsPtr read_enveloped(ByteView der) {
  BioPtr in = read_bio(der);
  CmsPtr cms(d2i_CMS_bio(in.get(), nullptr), &CMS_ContentInfo_free);
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_enveloped)
    fail(Errc::bad_format, "not a CMS EnvelopedData");
  return cms;
}

}  // namespace

// An OpenSSL object owned by an openrms handle.
template <class T, void (*Free)(T*)>
struct Owned {
  explicit Owned(T* p) : ptr(p) {}
  ~Owned() { Free(ptr); }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  T* ptr;
};

struct Certificate::Impl : Owned<X509, X509_free> {
  using Owned::Owned;
};
struct RecipientKey::Impl : Owned<EVP_PKEY, EVP_PKEY_free> {
  using Owned::Owned;
};

Certificate Certificate::parse(ByteView data) {
  static constexpr std::string_view kPem = "-----BEGIN";
  BioPtr b = read_bio(data);
  const bool pem =
      std::string_view(reinterpret_cast<const char*>(data.data()), data.size()).find(kPem) !=
      std::string_view::npos;
  X509* x =
      pem ? PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr) : d2i_X509_bio(b.get(), nullptr);
  ERR_clear_error();
  if (!x) fail(Errc::bad_format, "not an X.509 certificate (PEM or DER)");
  return Certificate(std::make_shared<const Impl>(x));
}

std::string Certificate::subject() const {
  return name_text(X509_get_subject_name(impl_->ptr));
}
std::string Certificate::issuer() const {
  return name_text(X509_get_issuer_name(impl_->ptr));
}

std::string Certificate::serial_hex() const {
  return serial_text(X509_get0_serialNumber(impl_->ptr));
}

Bytes Certificate::der() const {
  unsigned char* p = nullptr;
  const int n = i2d_X509(impl_->ptr, &p);
  if (n <= 0) fail(Errc::crypto, "OpenSSL could not encode a certificate");
  Bytes out(p, p + n);
  OPENSSL_free(p);
  return out;
}

RecipientKey RecipientKey::from_pkcs12(ByteView data, std::string_view password) {
  WithLegacy legacy;
  BioPtr b = read_bio(data);
  PKCS12* p12 = d2i_PKCS12_bio(b.get(), nullptr);
  if (!p12) fail(Errc::bad_format, "not a PKCS#12 file");
  SecureString pw(password.data(), password.size());
  // An empty password may have been applied as "no password" (NULL) by the writer.
  const char* pass = pw.c_str();
  if (!PKCS12_verify_mac(p12, pass, static_cast<int>(pw.size()))) {
    if (!pw.empty() || !PKCS12_verify_mac(p12, nullptr, 0)) {
      PKCS12_free(p12);
      fail(Errc::wrong_password, "the password does not open this PKCS#12 file");
    }
    pass = nullptr;
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  const int ok = PKCS12_parse(p12, pass, &key, &cert, nullptr);
  PKCS12_free(p12);
  if (!ok || !key || !cert) {
    EVP_PKEY_free(key);
    X509_free(cert);
    fail(Errc::bad_format,
         ok ? "the PKCS#12 file holds no private key with its certificate"
            : "the PKCS#12 file cannot be read (an encryption OpenSSL does not have?)");
  }
  auto c = std::make_shared<const Certificate::Impl>(cert);
  auto k = std::make_shared<const Impl>(key);
  if (X509_check_private_key(cert, key) != 1)
    fail(Errc::invalid_argument, "the PKCS#12 file's key does not belong to its certificate");
  return RecipientKey(Certificate(std::move(c)), std::move(k));
}

RecipientKey RecipientKey::from_pem(std::string_view pem, std::string_view password) {
  WithLegacy legacy;
  const ByteView data(reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size());
  Certificate cert = Certificate::parse(data);
  BioPtr b = read_bio(data);
  SecureString pw(password.data(), password.size());
  EVP_PKEY* key = PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, const_cast<char*>(pw.c_str()));
  if (!key) {
    if (pem.find("ENCRYPTED") != std::string_view::npos)
      fail(Errc::wrong_password, "the password does not open the PEM private key");
    fail(Errc::bad_format, "no private key in the PEM text");
  }
  auto k = std::make_shared<const Impl>(key);
  if (X509_check_private_key(cert.impl().ptr, key) != 1)
    fail(Errc::invalid_argument, "the private key does not belong to the certificate");
  return RecipientKey(std::move(cert), std::move(k));
}

RecipientKey RecipientKey::from_file_bytes(ByteView data, std::string_view password) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  if (text.find("-----BEGIN") != std::string_view::npos) return from_pem(text, password);
  return from_pkcs12(data, password);
}

std::optional<SecureBytes> RecipientKey::open_enveloped(ByteView der) const {
  WithLegacy legacy;
  const CmsPtr cms = read_enveloped(der);
  X509* cert = cert_.impl().ptr;
  bool ours = false;
  STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms.get());
  for (int i = 0; i < sk_CMS_RecipientInfo_num(ris) && !ours; ++i) {
    CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(ris, i);
    if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS) {
      ours = CMS_RecipientInfo_ktri_cert_cmp(ri, cert) == 0;
    } else if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_AGREE) {
      STACK_OF(CMS_RecipientEncryptedKey)* reks = CMS_RecipientInfo_kari_get0_reks(ri);
      for (int j = 0; j < sk_CMS_RecipientEncryptedKey_num(reks) && !ours; ++j)
        ours = CMS_RecipientEncryptedKey_cert_cmp(sk_CMS_RecipientEncryptedKey_value(reks, j),
                                                  cert) == 0;
    }
  }
  if (!ours) return std::nullopt;
  BioPtr out(BIO_new(BIO_s_secmem()));
  if (!out || CMS_decrypt(cms.get(), impl_->ptr, cert, nullptr, out.get(), CMS_BINARY) != 1)
    fail(Errc::integrity,
         "the EnvelopedData names this certificate but its key does not decrypt it (another "
         "key, or the data is damaged)");
  char* p = nullptr;
  const long n = BIO_get_mem_data(out.get(), &p);
  return SecureBytes(p, p + (n > 0 ? n : 0));
}

std::vector<EnvelopeRecipient> enveloped_recipients(ByteView der) {
  WithLegacy legacy;
  const CmsPtr cms = read_enveloped(der);
  std::vector<EnvelopeRecipient> out;
  STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms.get());
  for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); ++i) {
    CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(ris, i);
    EnvelopeRecipient r;
    ASN1_OCTET_STRING* keyid = nullptr;
    X509_NAME* issuer = nullptr;
    ASN1_INTEGER* serial = nullptr;
    if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS) {
      r.kind = "key-transport";
      if (CMS_RecipientInfo_ktri_get0_signer_id(ri, &keyid, &issuer, &serial) != 1) continue;
    } else if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_AGREE) {
      r.kind = "key-agreement";
      STACK_OF(CMS_RecipientEncryptedKey)* reks = CMS_RecipientInfo_kari_get0_reks(ri);
      if (sk_CMS_RecipientEncryptedKey_num(reks) < 1 ||
          CMS_RecipientEncryptedKey_get0_id(sk_CMS_RecipientEncryptedKey_value(reks, 0), &keyid,
                                            nullptr, nullptr, &issuer, &serial) != 1)
        continue;
    } else {
      r.kind = "other";
    }
    if (issuer) r.issuer = name_text(issuer);
    r.serial_hex = serial_text(serial);
    r.key_id_hex = hex_of(keyid);
    out.push_back(std::move(r));
  }
  return out;
}

Bytes seal_enveloped(ByteView content, std::span<const Certificate> recipients) {
  if (recipients.empty()) fail(Errc::invalid_argument, "no recipients to encrypt to");
  STACK_OF(X509)* stack = sk_X509_new_null();
  for (const Certificate& c : recipients) {
    EVP_PKEY* pub = X509_get0_pubkey(c.impl().ptr);
    // RSA: key transport; EC: key agreement (ephemeral-static ECDH, OpenSSL's default KDF and
    // AES key wrap, RFC 5753). Anything else has no CMS recipient kind a PDF reader opens.
    if (!pub || !(EVP_PKEY_is_a(pub, "RSA") || EVP_PKEY_is_a(pub, "EC"))) {
      sk_X509_free(stack);
      fail(Errc::invalid_argument,
           "recipient " + c.subject() + " has neither an RSA nor an EC key");
    }
    sk_X509_push(stack, c.impl().ptr);
  }
  BioPtr in = read_bio(content);
  CMS_ContentInfo* cms = CMS_encrypt(stack, in.get(), EVP_aes_256_cbc(), CMS_BINARY);
  sk_X509_free(stack);
  if (!cms) {
    ERR_clear_error();
    fail(Errc::crypto, "OpenSSL could not build the EnvelopedData");
  }
  unsigned char* p = nullptr;
  const int n = i2d_CMS_ContentInfo(cms, &p);
  CMS_ContentInfo_free(cms);
  if (n <= 0) fail(Errc::crypto, "OpenSSL could not encode the EnvelopedData");
  Bytes out(p, p + n);
  OPENSSL_free(p);
  return out;
}

}  // namespace openrms::crypto
