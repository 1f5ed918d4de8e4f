// The licensing service's JSON API, /v1/ (DESIGN.md §6), as a transport-independent handler:
// a request (method, target, body) and the caller the transport authenticated go in, a response
// comes out. `openrms serve` puts it behind HTTPS; tests and embedders call it directly.
//
// Routes (the OpenAPI 3 document openapi() returns lists exactly these):
//   GET  /v1/openapi.json                 the OpenAPI document                        (no caller)
//   GET  /v1/discovery                    server licensor certificates, suites, limits (no caller)
//   POST /v1/racs        {public_key}     enrol: a RAC for the caller's own key pair — the client
//                                         makes the key pair and sends only the public key
//   POST /v1/racs/renew  {rac}            renew the caller's RAC (same key)
//   POST /v1/clcs        {rac}            a client licensor certificate for offline publishing
//   POST /v1/acquire     {publishing_license, rac}   a use license for the caller
//   POST /v1/revoke      {content_id}     revoke content the caller issued
//   GET  /v1/track/{content_id}           the tracking log of content the caller issued
//   GET  /v1/templates                    templates offered for new content
//   GET  /v1/templates/{id}               one template
// Errors: an RFC 9457 problem document (application/problem+json) whose "code" is the stable
// openrms::Errc name; the status follows http_status(). No caller on a route that needs one is
// 401; a body over kMaxBody is 413; malformed JSON or a missing field is 400; an unknown route is
// 404 and a known route with another method 405. Messages never contain keys or tokens.
// Thread safety: handle() may be called concurrently (LicenseServer is thread-safe).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "openrms/error.hpp"
#include "openrms/licensing/server.hpp"

namespace openrms::server {

inline constexpr std::size_t kMaxBody = 4u << 20;

struct Request {
  std::string method;  ///< "GET", "POST", …
  std::string target;  ///< path, e.g. "/v1/acquire" (a query string is ignored)
  std::string body;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

/// Who is calling, as the transport established it (a verified bearer token).
struct Caller {
  std::string email;
  bool admin = false;
};

/// The HTTP status for an error code: bad_format/invalid_argument 400, unsupported 415,
/// wrong_password/rac_expired 401, no_right/revoked/expired/license_expired 403, not_found 404,
/// integrity 422, io/crypto/internal 500.
int http_status(Errc code) noexcept;

class Api {
 public:
  explicit Api(licensing::LicenseServer& server);
  Response handle(const Request& request, const std::optional<Caller>& caller);

  /// The OpenAPI 3.0 document of the routes above (JSON).
  static std::string openapi();
  /// (method, path template) of every route, in the order above.
  static std::vector<std::pair<std::string, std::string>> routes();

 private:
  licensing::LicenseServer& server_;
};

}  // namespace openrms::server
