// A LicenseSource that is a licensing service (`openrms serve`, DESIGN.md §6) reached over HTTPS
// with a bearer token: the same licenses as the embedded server, from another machine.
//
// Contract:
//   - The service's identity comes from the token, not from the `who` arguments (they are
//     ignored: a client cannot speak for someone else).
//   - publish() returns the license without the content key: the service seals it to the
//     caller's RAC in the owner license, and Client::publish unseals it with the user's key.
//     The content key never crosses the network in the clear.
//   - anchors(): the service's SLCs, fetched once (GET /v1/discovery) at construction; every
//     license the service returns is verified against them by the caller, as with a local
//     server.
//   - Retries: a request that never reached the service (connection refused, DNS) is retried
//     for every operation; one that may have reached it is retried only when repeating it is
//     harmless (acquire, policy, discovery, track, templates, enrol, renew) — on a dropped
//     connection or a 503/429 answer — never publish or revoke. At most `attempts` tries, with
//     backoff (100 ms, 400 ms, …; Retry-After up to 2 s is honoured).
//   - Errors: the service's problem documents become Error with their code and detail
//     (no_right, revoked, expired, not_found, unauthenticated …); transport failures are
//     Error{unavailable} (after the retries) or Error{integrity} (TLS verification).
// Thread safety: all members may be called concurrently (bulk protection does).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "openrms/protect/http_client.hpp"
#include "openrms/protect/license_source.hpp"

namespace openrms::protect {

struct RemoteOptions {
  std::string url;    ///< the service's base URL, e.g. "https://rms.contoso.com"
  std::string token;  ///< OAuth 2.0 bearer token (an OIDC JWT)
  HttpOptions http;
  int attempts = 3;
};

class RemoteLicenseSource final : public LicenseSource {
 public:
  /// Fetches the service's discovery document (its SLCs). Fails as described above.
  explicit RemoteLicenseSource(RemoteOptions options);
  ~RemoteLicenseSource() override;

  const licensing::TrustAnchors& anchors() override;
  licensing::Published publish(const licensing::Identity& who,
                               const licensing::PublishRequest& request,
                               std::string_view rac_xml) override;
  std::string acquire(const licensing::Identity& who, std::string_view pl_xml,
                      std::string_view rac_xml) override;
  licensing::Policy view_policy(const licensing::Identity& who, std::string_view pl_xml) override;
  void revoke(const licensing::Identity& who, std::string_view content_id) override;
  std::vector<licensing::TrackingEntry> track(const licensing::Identity& who,
                                              std::string_view content_id, std::int64_t after_seq,
                                              std::size_t limit) override;

  /// A RAC for the token's user and this public key (PEM); the private key stays here.
  std::string enroll(std::string_view public_key_pem);
  std::string renew(std::string_view rac_xml);
  /// Templates offered for new content (no policies: users see names).
  std::vector<licensing::Template> templates();
  /// The admin routes (the token needs the admin role, else Error{no_right}): every template
  /// with its policy; one; create; update (nullopt leaves a field) and archive or restore.
  std::vector<licensing::Template> admin_templates();
  licensing::Template admin_template(const std::string& id);
  licensing::Template create_template(const std::string& name, const std::string& description,
                                      const licensing::Policy& policy, const std::string& id = {});
  licensing::Template update_template(const std::string& id, std::optional<std::string> name,
                                      std::optional<std::string> description,
                                      std::optional<licensing::Policy> policy,
                                      std::optional<bool> archived = std::nullopt);
  /// The mail settings a mail client needs (GET /v1/mail/client-settings): JSON with "irm",
  /// "branding" and "rules", each in the mail layer's JSON form.
  std::string mail_client_settings();
  /// Deposits a protected wrapper message the token's user sent, for its recipients' portal
  /// (POST /v1/portal/messages): `bcc` names blind-copy recipients the wrapper does not show,
  /// `branding` the branding template it was sent with. Returns the content id. Error{not_found}
  /// when the service runs no portal; no_right when the user did not send the message.
  std::string deposit_for_portal(crypto::ByteView wrapper, const std::vector<std::string>& bcc,
                                 const std::string& branding);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace openrms::protect
