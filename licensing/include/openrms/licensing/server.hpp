// The embedded license server (DESIGN.md §3): activation, RACs, CLCs, publishing, use-license
// issuance, revocation, tracking, templates and tenant settings, over a Store.
//
// Authentication is the embedder's job: every call takes an already-authenticated Identity.
// Rules (DESIGN.md §3), enforced here:
//   - the issuer of content always gets Full Control, also after expiry and revocation; the
//     owner (policy or request; default the issuer) gets Full Control and is not bound by
//     expiry or offline limits; only the issuer tracks and revokes;
//   - other users get the rights their principals are granted (template rights resolved now,
//     ad-hoc rights fixed in the publishing license); revoked content and expired content are
//     refused; use-license validity = min(offline setting, tenant maximum, content expiry);
//     offline "never" gives a no-cache license;
//   - every issuance attempt is logged for tracking (time, user, content, rights, issuer,
//     owner, outcome).
// Errors: Error with code not_found (no such template/content), no_right (not authorised,
// not the issuer), revoked, expired, rac_expired, integrity (forged license/certificate),
// invalid_argument (bad request), io (store).
// Several servers over one store (service nodes on one PostgreSQL): revocations, templates and
// content records are read from the store on every issuance; tenant settings are cached for at
// most shared_state_ttl (5 s). A key rotation made by another server is used for new licenses
// within that bound, and licenses and certificates under its keys are accepted at once (a key the
// server does not know makes it re-read its generations, at most once a second). anchors() returns
// a snapshot that stays valid for the server's lifetime. Thread safety: all members may be called
// concurrently once activate() has returned.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/crypto/backend.hpp"
#include "openrms/licensing/certificate.hpp"
#include "openrms/licensing/clock.hpp"
#include "openrms/licensing/directory.hpp"
#include "openrms/licensing/license.hpp"
#include "openrms/licensing/policy.hpp"
#include "openrms/licensing/store.hpp"

namespace openrms::licensing {

class KeyCustody;  // key_custody.hpp

/// An authenticated user (the embedding application vouches for it).
struct Identity {
  std::string email;
};

struct TenantSettings {
  int max_use_license_days = 30;  ///< cap on use-license validity (documentation default 30)
  int rac_validity_days = 31;     ///< RAC lifetime (Azure RMS: 31 days)
  int clc_validity_days = 31;     ///< CLC lifetime
};

struct ServerOptions {
  std::string name = "openrms";                     ///< SLC subject
  std::string license_url = "openrms://localhost";  ///< printed in SLCs and licenses
  Suite suite = Suite::ecdsa_p256;                  ///< for new generations
  const Clock* clock = nullptr;                     ///< nullptr: the system clock
  const Directory* directory = nullptr;             ///< nullptr: no groups
  const crypto::Backend* backend = nullptr;         ///< nullptr: the default backend
  std::size_t key_cache_entries = 4096;  ///< unsealed content keys kept (wiped on eviction)
  /// How long tenant settings and the list of key generations are trusted before they are
  /// read from the store again: the bound within which a change made by another server over
  /// the same store takes effect here.
  std::chrono::milliseconds shared_state_ttl{5000};
  /// Where generations whose keys are not in the store keep them (a PKCS#11 token); needed to
  /// load such generations and to make new ones with activate/rotate_keys(CustodyKeys). Must
  /// outlive the server.
  const KeyCustody* custody = nullptr;
};

/// The labels of two key pairs made beforehand in the custody's token for a new generation
/// (ECDSA P-256: one signs, one unseals by ECDH); they must differ.
struct CustodyKeys {
  std::string signing_label, sealing_label;
};

struct RacGrant {
  std::string rac_xml;
  Certificate rac;
  crypto::PrivateKey private_key;  ///< the user's key (hand it to the user's device only)
};

class LicenseServer {
 public:
  LicenseServer(Store& store, ServerOptions options = {});
  ~LicenseServer();
  LicenseServer(const LicenseServer&) = delete;
  LicenseServer& operator=(const LicenseServer&) = delete;

  bool activated() const;
  /// Creates the first SLC (generation 1) if there is none; returns the current SLC.
  const Certificate& activate();
  /// New signing and sealing keys and SLC; old generations stay trusted for old content.
  const Certificate& rotate_keys();
  /// activate() and rotate_keys() with keys held by ServerOptions::custody: the store records
  /// only their references. Error{invalid_argument} without a custody or with equal labels,
  /// Error{unsupported} for keys that are not ECDSA P-256, and the custody's errors.
  const Certificate& activate(const CustodyKeys& keys);
  const Certificate& rotate_keys(const CustodyKeys& keys);
  /// Every SLC, oldest first: what clients add to their TrustAnchors.
  const TrustAnchors& anchors() const;

  /// Issues a RAC valid rac_validity_days. With `user_key` the user keeps their own key pair;
  /// without, the server generates one and returns it.
  RacGrant enroll(const Identity& who, const crypto::PublicKey* user_key = nullptr);
  /// Renews a RAC (it may have lapsed) for the same key, or a fresh key when rotate_key.
  RacGrant renew(const Identity& who, std::string_view rac_xml, bool rotate_key = false,
                 const crypto::PrivateKey* current_key = nullptr);
  /// A CLC for offline publishing, its private key sealed to the RAC key.
  std::string issue_clc(const Identity& who, std::string_view rac_xml);

  /// Server-side publishing. `rac_xml` (the issuer's, optional) adds the owner license.
  Published publish(const Identity& who, const PublishRequest& request,
                    std::string_view rac_xml = {});

  /// Issues a use license for `pl_xml` to `who` with the RAC `rac_xml`.
  std::string acquire(const Identity& who, std::string_view pl_xml, std::string_view rac_xml);

  /// The policy behind a publishing license, for the issuer, owner or a user granted
  /// VIEWRIGHTSDATA (template policies are resolved to the template's current policy).
  Policy view_policy(const Identity& who, std::string_view pl_xml);

  void revoke(const Identity& who, std::string_view content_id);
  /// The tracking log of content `who` issued (no_right for anyone else, not_found for an
  /// unknown id, both before any row is read): entries after `after_seq`, at most `limit` (0:
  /// all), each passed to `visit` as the store reads it; see Store::visit_tracking.
  void visit_track(const Identity& who, std::string_view content_id, std::int64_t after_seq,
                   std::size_t limit, const TrackingVisitor& visit);
  /// The same entries, copied.
  std::vector<TrackingEntry> track(const Identity& who, std::string_view content_id,
                                   std::int64_t after_seq = 0, std::size_t limit = 0);

  Template create_template(std::string name, std::string description, Policy policy,
                           std::string id = {});
  Template update_template(const std::string& id, std::optional<std::string> name,
                           std::optional<std::string> description, std::optional<Policy> policy);
  void archive_template(const std::string& id, bool archived = true);
  std::vector<Template> templates(bool include_archived = false);
  Template get_template(const std::string& id);

  TenantSettings settings();
  void set_settings(const TenantSettings& s);

  /// Content-key cache statistics (benchmarks).
  std::size_t cached_keys() const;
  void clear_key_cache();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace openrms::licensing
