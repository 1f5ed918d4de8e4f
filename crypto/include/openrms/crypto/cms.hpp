// CMS EnvelopedData (RFC 5652 §6) for one holder of a certificate and its private key: what the
// PDF public-key security handler (ISO 32000-2 §7.6.5, Adobe.PubSec) puts in each /Recipients
// string. Opening supports key transport recipients (RSA, identified by issuer and serial or by
// subject key identifier) and, through OpenSSL, key agreement recipients (EC); sealing writes RSA
// key transport or, for an EC certificate, key agreement (RFC 5753 ephemeral-static ECDH), with
// AES-256-CBC content encryption.
//
// OpenSSL only: Botan 2 has no CMS/PKCS#7 EnvelopedData and no PKCS#12 reader, so this is the
// one crypto module without a second backend. PKCS#12 files and EnvelopedData made by older
// software use RC2-40 or 3DES (PDFBox's test keystores do); these are read through a private
// OpenSSL library context with the legacy provider, never by changing the process's defaults.
//
// Errors (Error): bad_format (not PKCS#12/PEM/CMS, or no key or certificate in it);
// wrong_password (the PKCS#12 or PEM password does not open it); integrity (an EnvelopedData
// addressed to this certificate that the key does not decrypt: another key, or damage);
// invalid_argument (the key does not belong to the certificate); crypto (anything else OpenSSL
// refuses). Keys stay inside OpenSSL; decrypted content is returned in wiping buffers.
// Thread safety: objects are immutable after construction and may be used from several threads.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/crypto/secure.hpp"

namespace openrms::crypto {

/// An X.509 certificate.
class Certificate {
 public:
  /// PEM ("-----BEGIN CERTIFICATE-----", the first one) or DER.
  static Certificate parse(ByteView pem_or_der);
  /// Subject and issuer as one-line RFC 2253 text; serial number in hex.
  std::string subject() const;
  std::string issuer() const;
  std::string serial_hex() const;
  Bytes der() const;

  struct Impl;
  explicit Certificate(std::shared_ptr<const Impl> i) : impl_(std::move(i)) {}
  const Impl& impl() const noexcept { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

/// A certificate with its private key.
class RecipientKey {
 public:
  /// A PKCS#12 file's bytes and its password (may be empty).
  static RecipientKey from_pkcs12(ByteView p12, std::string_view password);
  /// PEM text holding a certificate and a private key (PKCS#8, encrypted with `password` or not,
  /// or traditional RSA/EC); the two may also come in separate texts, concatenated by the caller.
  static RecipientKey from_pem(std::string_view pem, std::string_view password = {});
  /// A key file's bytes, whichever of the two it is: PEM when it holds "-----BEGIN", else
  /// PKCS#12.
  static RecipientKey from_file_bytes(ByteView data, std::string_view password = {});

  const Certificate& certificate() const noexcept { return cert_; }

  /// Decrypts an EnvelopedData (DER ContentInfo) addressed to this certificate. nullopt if none
  /// of its recipients is this certificate.
  std::optional<SecureBytes> open_enveloped(ByteView der) const;

  struct Impl;

 private:
  RecipientKey(Certificate c, std::shared_ptr<const Impl> i)
      : cert_(std::move(c)), impl_(std::move(i)) {}
  Certificate cert_;
  std::shared_ptr<const Impl> impl_;
};

/// Who an EnvelopedData is for, as its recipient infos name them: issuer and serial number, or a
/// subject key identifier (hex); `kind` is "key-transport", "key-agreement" or "other".
struct EnvelopeRecipient {
  std::string kind, issuer, serial_hex, key_id_hex;
};
/// The recipients of an EnvelopedData (DER ContentInfo); bad_format if it is not one.
std::vector<EnvelopeRecipient> enveloped_recipients(ByteView der);

/// An EnvelopedData (DER ContentInfo) of `content` that each certificate's holder can open:
/// RSA key transport (PKCS#1 v1.5, as PDF readers expect) for an RSA certificate, ephemeral-static
/// ECDH key agreement (RFC 5753) for an EC one, and AES-256-CBC. invalid_argument for no
/// recipients or a certificate whose key is neither RSA nor EC.
Bytes seal_enveloped(ByteView content, std::span<const Certificate> recipients);

}  // namespace openrms::crypto
