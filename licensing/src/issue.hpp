// Internal: writing signed certificates and licenses (the server and offline publishing).
#pragma once

#include <optional>
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

// Sealing purposes (aad = purpose "|" content id [ "|" user ]).
std::string aad_content_key(std::string_view content_id);
std::string aad_policy(std::string_view content_id);
std::string aad_owner(std::string_view content_id);
std::string aad_use(std::string_view content_id, std::string_view user);

/// Builds and signs a publishing license (server-side or with a CLC).
Published build_publishing_license(const std::string& issuer, const std::string& owner,
                                   const PublishRequest& request, const std::string& template_name,
                                   const Certificate& server_slc, const Certificate* issuer_rac,
                                   const Signer& signer, const std::string* clc_xml, Time now,
                                   const crypto::Backend& be);

}  // namespace openrms::licensing::detail
