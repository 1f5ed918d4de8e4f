// Publishing licenses, use licenses and their offline evaluation (DESIGN.md §3, FORMATS.md B6).
//
// Publishing license (one per protected content; travels inside the container) — Body:
//   <Id> <ContentId> <IssuedAt> <Issuer> <Owner> <Server key=SEALING-KEY-ID url=…/>
//   either <Template id=… name=…/> (rights resolved by the server at each issuance)
//   or     <SealedPolicy> (ad-hoc Policy XML sealed to the server: only the server reads it)
//   <SealedContentKey> (sealed to the server's sealing key)
//   <OwnerLicense key=RAC-KEY-ID> (content key sealed to the issuer's RAC key: the issuer
//   reopens offline without the server)
// Signed by the server (SLC signing key) or, for offline publishing, by the issuer's CLC, which
// then rides in <Chain>. Each sealed box's associated data is a digest of every other field
// (issuer, owner, policy or template, content id, signer key, …): a box copied into another
// license does not open. The content id is derived from the issuer and the license id
// (UUID form of SHA-256), so no license can claim another issuer's content id; parsing checks it.
//
// Use license (one per user and content) — Body: <Id> <ContentId> <PublishingLicense> (hash)
//   <User> <UserKey> (RAC key id) <Role> user|owner|issuer <Rights> <IssuedAt>
//   [<ValidUntil>] [<ContentExpiry>] <Caching> allowed|none <Issuer> <Owner>
//   <SealedContentKey> (sealed to the RAC key) <AppData name=…>*; signed by an SLC.
//
// Parsing verifies the signature (and chain) against TrustAnchors before any field is read.
// evaluate() is the offline decision: it never contacts a server.
// Thread safety: functions are thread-safe; values are plain data.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "openrms/crypto/backend.hpp"
#include "openrms/licensing/certificate.hpp"
#include "openrms/licensing/policy.hpp"

namespace openrms::licensing {

/// A use license with Caching "none" (offline access "never") opens only within this long
/// after issuance; the caller must not store it.
inline constexpr Seconds kNoCacheWindow{300};

struct PublishingLicense {
  std::string id;
  std::string content_id;
  Time issued_at{};
  std::string issuer, owner;
  std::string template_id, template_name;  ///< empty for an ad-hoc policy
  std::string server_key_id;               ///< the SLC sealing key the boxes are sealed to
  std::string license_url;
  crypto::Bytes sealed_policy;  ///< ad-hoc only
  crypto::Bytes sealed_content_key;
  std::string owner_key_id;  ///< the issuer's RAC key id (may be empty)
  crypto::Bytes owner_sealed_key;
  std::string signer_key_id;
  std::optional<Certificate> clc;  ///< present when published offline
  std::string hash;                ///< hex SHA-256 of the signed bytes: the license's identity
  std::string xml;

  bool uses_template() const noexcept { return !template_id.empty(); }
};

PublishingLicense parse_publishing_license(std::string_view xml, const TrustAnchors& anchors,
                                           const crypto::Backend& be = crypto::default_backend(),
                                           const XmlLimits& limits = {});

enum class Role { user, owner, issuer };
std::string_view to_string(Role r) noexcept;

struct UseLicense {
  std::string id;
  std::string content_id;
  std::string publishing_license;  ///< PublishingLicense::hash
  std::string user, user_key_id;
  Role role = Role::user;
  Rights rights;
  Time issued_at{};
  std::optional<Time> valid_until;     ///< nullopt: no offline limit (issuer, owner)
  std::optional<Time> content_expiry;  ///< nullopt: never expires
  bool cacheable = true;
  std::string issuer, owner;
  crypto::Bytes sealed_content_key;
  std::vector<std::pair<std::string, std::string>> app_data;
  std::string signer_key_id;
  std::string xml;
};

UseLicense parse_use_license(std::string_view xml, const TrustAnchors& anchors,
                             const crypto::Backend& be = crypto::default_backend(),
                             const XmlLimits& limits = {});

/// What a user may do with one content, now.
struct Decision {
  std::string content_id, user;
  Role role = Role::user;
  Rights rights;  ///< effective rights (all 14 for issuer/owner)
  crypto::SecureBytes content_key;
  std::optional<Time> content_expiry, valid_until;
  bool cacheable = true;
  bool can(Right r) const noexcept { return rights.has(r); }
};

/// Offline evaluation of a verified use license with the user's RAC and its private key.
/// Fails with: rac_expired (RAC outside its validity: renew), no_right (license for another
/// user/key, or no rights), expired (content expiry passed; never for issuer/owner),
/// license_expired (valid-until passed, or a no-cache license used after kNoCacheWindow:
/// re-acquire), integrity (the content key does not unseal).
Decision evaluate(const UseLicense& license, const Certificate& rac,
                  const crypto::PrivateKey& rac_key, const Clock& clock,
                  const crypto::Backend& be = crypto::default_backend());

/// The issuer's offline path: opens with the owner license inside the publishing license
/// (Full Control; not bound by expiry, offline limits or revocation). Fails with no_right if
/// the RAC is not the issuer's owner-license key, rac_expired if the RAC lapsed.
Decision open_as_issuer(const PublishingLicense& license, const Certificate& rac,
                        const crypto::PrivateKey& rac_key, const Clock& clock,
                        const crypto::Backend& be = crypto::default_backend());

/// What a publisher supplies.
struct PublishRequest {
  std::optional<Policy> policy;  ///< ad-hoc policy, or
  std::string template_id;       ///< a template id (the server checks it exists)
  std::string owner;             ///< empty: the policy's owner, else the issuer
};

struct Published {
  std::string license_xml;
  std::string content_id;
  std::string license_hash;         ///< PublishingLicense::hash of license_xml
  crypto::SecureBytes content_key;  ///< AES-256 key for the container
};

/// Offline publishing with a CLC: unseals the CLC key with the RAC key, seals the policy and a
/// fresh content key to the server named by the anchors' current SLC, adds the owner license,
/// signs with the CLC. Fails with rac_expired/expired (CLC lapsed) or invalid_argument.
Published publish_offline(const Certificate& clc, const Certificate& rac,
                          const crypto::PrivateKey& rac_key, const TrustAnchors& anchors,
                          const PublishRequest& request, const Clock& clock,
                          const crypto::Backend& be = crypto::default_backend());

/// A new random content id (UUID v4 text).
std::string new_content_id(const crypto::Backend& be = crypto::default_backend());

}  // namespace openrms::licensing
