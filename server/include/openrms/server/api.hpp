// The licensing service's JSON API, /v1/ (DESIGN.md §6), as a transport-independent handler:
// a request (method, target, body) and the caller the transport authenticated go in, a response
// comes out. `openrms serve` puts it behind HTTPS (service.hpp); tests and embedders call it
// directly.
//
// Routes (routes() lists them, openapi() documents exactly these). "user" routes need an
// authenticated caller, "admin" routes a caller with the admin role:
//   GET  /v1/openapi.json                 the OpenAPI document                       anyone
//   GET  /v1/discovery                    server licensor certificates, suites, limits anyone
//   POST /v1/racs        {public_key}     enrol: a RAC for the caller's own key pair user
//                                         (the client makes the key pair; only the public key
//                                         travels)
//   POST /v1/racs/renew  {rac}            renew the caller's RAC (same key)          user
//   POST /v1/clcs        {rac}            a client licensor certificate              user
//   POST /v1/publish     {rac, policy | template_id, owner?}                         user
//                                         a publishing license whose owner license is sealed
//                                         to the caller's RAC key: the content key never
//                                         travels in the clear, the caller unseals it
//   POST /v1/acquire     {publishing_license, rac}   a use license for the caller    user
//   POST /v1/policy      {publishing_license}        the policy (VIEWRIGHTSDATA)     user
//   POST /v1/revoke      {content_id}     revoke content the caller issued           user
//   GET  /v1/track/{content_id}           the tracking log of the caller's content   user
//   GET  /v1/templates                    templates offered for new content          user
//   GET  /v1/templates/{id}               one template                               user
//   GET  /v1/mail/client-settings         {irm, branding, rules} a mail client applies user
//   POST /v1/portal/messages {wrapper (base64), bcc?, branding?}                     user
//                                         deposit the caller's protected message for its
//                                         recipients' portal (portal.hpp); {content_id}
//   GET  /v1/admin/templates[/{id}]       every template (archived too) with policies admin
//   POST  /v1/admin/templates             {name, description?, policy, id?}          admin
//   PATCH /v1/admin/templates/{id}        {name?, description?, policy?, archived?}  admin
//   GET|PUT /v1/admin/settings            tenant settings                            admin
//   GET|PUT /v1/admin/mail/irm            IRM configuration (mail_settings.hpp JSON)  admin
//   GET  /v1/admin/mail/branding          branding templates                         admin
//   PUT|DELETE /v1/admin/mail/branding/{name}  create or replace / remove one        admin
//   GET|PUT /v1/admin/mail/rules          mail flow rules (mail_rules.hpp JSON)      admin
// Policies travel as the <Policy> XML of policy_to_xml (the strict parser reads them) or, in
// requests, as {"grants": ["PRINCIPAL:RIGHTS", …], "expiry"?, "offline"?, "owner"?} in the text
// forms of the command line (parse_grant, parse_expiry, parse_offline).
// Errors: an RFC 9457 problem document (application/problem+json) whose "code" is the stable
// openrms::Errc name; the status follows http_status(). No caller on a user route is 401, a
// non-admin on an admin route 403; a body over kMaxBody (kMaxDepositBody for a portal deposit) is
// 413; malformed JSON or a missing field is 400; an unknown route is 404 and a known route with
// another method 405. Messages never contain keys or tokens. Thread safety: handle() may be called
// concurrently (LicenseServer and MailSettings are).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "openrms/error.hpp"
#include "openrms/licensing/server.hpp"

namespace openrms::protect::mail {
class MailSettings;
}

namespace openrms::server {

class Portal;  // portal.hpp

inline constexpr std::size_t kMaxBody = 4u << 20;
/// A portal deposit's body at most: the wrapper (the original, encrypted, base64 in the
/// wrapper) base64 again in JSON is about 2.4 times the original message, so 32 MiB takes a
/// message of about 13 MiB (attachments included).
inline constexpr std::size_t kMaxDepositBody = 32u << 20;

struct Request {
  std::string method;  ///< "GET", "POST", …
  std::string target;  ///< path and query, e.g. "/v1/track/ID?after=120&limit=1000"
  std::string body;
  /// Header fields the handler needs (names lower-case): the transport passes them for the
  /// portal's routes (cookie, content-type, origin, host), not for /v1/.
  std::vector<std::pair<std::string, std::string>> headers = {};
  std::string client = {};  ///< the client's address, as the transport determined it

  /// The first field named `name` (lower-case), or empty.
  std::string_view header(std::string_view name) const noexcept {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// Further header fields to send (Set-Cookie, Location, Content-Security-Policy …).
  std::vector<std::pair<std::string, std::string>> headers = {};
};

/// Who is calling, as the transport established it (a verified bearer token).
struct Caller {
  std::string email;
  bool admin = false;
  std::vector<std::string> groups;  ///< lower-case group addresses from the token
};

/// The HTTP status for an error code: bad_format/invalid_argument 400, unsupported 415,
/// unauthenticated/wrong_password/rac_expired 401, no_right/revoked/expired/license_expired
/// 403, not_found 404, integrity 422, unavailable 503, io/crypto/internal 500.
int http_status(Errc code) noexcept;

/// An RFC 9457 problem response (the transport uses it for its own refusals: 429, 431, …).
Response problem(int status, std::string_view code, std::string_view detail);

class Api {
 public:
  /// `mail` (optional) serves the admin mail routes, `portal` (optional) takes deposits;
  /// without them those routes answer 404.
  explicit Api(licensing::LicenseServer& server, protect::mail::MailSettings* mail = nullptr,
               Portal* portal = nullptr);
  Response handle(const Request& request, const std::optional<Caller>& caller);

  /// The OpenAPI 3.0 document of the routes above (JSON).
  static std::string openapi();
  /// (method, path template) of every route, in the order above.
  static std::vector<std::pair<std::string, std::string>> routes();
  /// The path template `target` matches ("/v1/track/{content_id}"), or "other": a label of
  /// bounded cardinality for metrics and logs.
  static std::string_view route_label(std::string_view target);
  /// True when the store answers a cheap read (for /readyz).
  bool ready() noexcept;

 private:
  licensing::LicenseServer& server_;
  protect::mail::MailSettings* mail_;
  Portal* portal_;
};

}  // namespace openrms::server
