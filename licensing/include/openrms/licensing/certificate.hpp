// Certificates: SLC (server licensor), RAC (rights account), CLC (client licensor).
//
// XML envelope and canonical form: openrms/licensing/canonical_xml.hpp. Body of a certificate:
//   <Type>SLC|RAC|CLC</Type> <Serial> <Suite> <Subject> <IssuedAt> <ValidFrom> <ValidUntil>
//   <PublicKey> (SPKI, base64)
//   SLC only: <SealingKey> <Generation> <LicenseUrl>
//   CLC only: <RacKey> (key id of the RAC it is bound to) <SealedPrivateKey> (the CLC's
//             PKCS#8 private key sealed to that RAC key)
// An SLC is self-signed and trusted only when it is one of the TrustAnchors; RACs and CLCs are
// signed by an SLC signing key. parse_certificate() verifies the signature against the anchors
// before it reads any field; it does not judge validity times (use valid_at with a Clock).
// Errors: Error{bad_format} (structure), Error{integrity} (signature, unknown signer — one
// message), Error{unsupported} (other version/suite).
// Thread safety: values; TrustAnchors is safe for concurrent reads once built.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/crypto/backend.hpp"
#include "openrms/licensing/canonical_xml.hpp"
#include "openrms/licensing/clock.hpp"
#include "openrms/licensing/suite.hpp"

namespace openrms::licensing {

enum class CertificateType { slc, rac, clc };
std::string_view to_string(CertificateType t) noexcept;

struct Certificate {
  CertificateType type = CertificateType::rac;
  std::string serial;  ///< 32 hex digits
  Suite suite = Suite::ecdsa_p256;
  std::string subject;        ///< SLC: server name; RAC/CLC: the user's e-mail (lower-case)
  std::string issuer_key_id;  ///< the signing key (an SLC's signing key id)
  Time issued_at{}, valid_from{}, valid_until{};
  crypto::PublicKey public_key;      ///< SLC: signing key; RAC: user key; CLC: client licensor key
  crypto::PublicKey sealing_key;     ///< SLC only
  std::uint32_t generation = 0;      ///< SLC only (1, 2, … after each rotation)
  std::string license_url;           ///< SLC only: where use licenses are acquired
  std::string rac_key_id;            ///< CLC only
  crypto::Bytes sealed_private_key;  ///< CLC only
  std::string xml;                   ///< the signed document as given

  std::string key_id() const { return licensing::key_id(public_key); }
  /// valid_from <= t < valid_until
  bool valid_at(Time t) const noexcept { return t >= valid_from && t < valid_until; }
};

/// The SLCs (every generation) a party trusts.
class TrustAnchors {
 public:
  /// Adds a self-signed SLC after verifying its signature; throws as parse_certificate.
  const Certificate& add(std::string_view slc_xml,
                         const crypto::Backend& be = crypto::default_backend());
  /// The SLC whose signing key has this id, or nullptr.
  const Certificate* by_signing_key(std::string_view key_id) const noexcept;
  /// The SLC whose sealing key has this id, or nullptr.
  const Certificate* by_sealing_key(std::string_view key_id) const noexcept;
  /// The newest generation, or nullptr when empty.
  const Certificate* current() const noexcept;
  const std::vector<Certificate>& all() const noexcept { return slcs_; }

 private:
  std::vector<Certificate> slcs_;
};

/// Verifies a RAC or CLC against the anchors, then reads it.
Certificate parse_certificate(std::string_view xml, const TrustAnchors& anchors,
                              const crypto::Backend& be = crypto::default_backend(),
                              const XmlLimits& limits = {});

}  // namespace openrms::licensing
