// Internal: writing signed certificates and licenses (the server and offline publishing).
#pragma once

#include <optional>
#include <span>
#include <string>

#include "openrms/licensing/certificate.hpp"
#include "openrms/licensing/license.hpp"
#include "text.hpp"

namespace openrms::licensing::detail {

struct Signer {
  Suite suite;
  crypto::PrivateKey key;
  std::string key_id;
};

std::string write_certificate(const Certificate& c, const Signer& signer,
                              const crypto::Backend& be);
/// Fills id, hash; returns the XML. `clc_xml` goes into <Chain> when set.
std::string write_publishing_license(PublishingLicense& pl, const Signer& signer,
                                     const std::string* clc_xml, const crypto::Backend& be);
std::string write_use_license(UseLicense& ul, const Signer& signer, const crypto::Backend& be);

std::string random_hex(const crypto::Backend& be, std::size_t bytes = 16);

// What the sealed boxes of a publishing license are bound to (their associated data): a digest
// of every field of the license but the boxes — id, content id, time, issuer, owner, server
// key, template, owner-license key and the signer's key. A box copied into any other license
// (another issuer, signer, content id or policy) does not open.
std::string license_binding(const PublishingLicense& pl, const crypto::Backend& be);
/// The boxes' associated data, from a license_binding() computed once per license.
std::string aad_content_key(std::string_view binding, crypto::ByteView sealed_policy,
                            const crypto::Backend& be);
std::string aad_policy(std::string_view binding);
std::string aad_owner(std::string_view binding);
std::string aad_use(std::string_view content_id, std::string_view user);

/// A content id belongs to its issuer: the UUID form of SHA-256 over the issuer and the
/// license's random id. Nobody can claim another issuer's content id in a license of their own.
std::string derive_content_id(std::string_view issuer, std::string_view license_id,
                              const crypto::Backend& be);
/// UUID v4 text of the first 16 bytes (sets the version and variant bits in place).
std::string uuid_text(std::span<std::uint8_t> bytes);

/// Builds and signs a publishing license (server-side or with a CLC).
Published build_publishing_license(const std::string& issuer, const std::string& owner,
                                   const PublishRequest& request, const std::string& template_name,
                                   const Certificate& server_slc, const Certificate* issuer_rac,
                                   const Signer& signer, const std::string* clc_xml, Time now,
                                   const crypto::Backend& be);

}  // namespace openrms::licensing::detail
