// The external-recipient portal (DESIGN.md §6; Purview Message Encryption's "Read the message"):
// anyone a protected message was sent to — with or without an account in the tenant — proves
// they own their address with a one-time passcode mailed to it, then reads the message in the
// browser under exactly the rights its license gives that address.
//
// How a message gets here: its sender deposits the wrapper (Portal::deposit, the API route
// POST /v1/portal/messages); the wrapper's link is `IrmConfiguration::portal_url?id=CONTENT_ID`,
// with portal_url pointing at `https://HOST/portal/read`. The store keeps the wrapper (still
// encrypted) and the addresses it went to.
//
// Routes (all under /portal/, no bearer token; handle() answers them):
//   GET  /portal/read?id=ID          the branded start page: asks for the reader's address
//   POST /portal/code    id, address  mails a passcode when the address is a recipient (the page
//                                     says the same either way: no address enumeration)
//   POST /portal/verify  id, address, code   opens a session (303 to /portal/message)
//   GET  /portal/message             the message: subject, sender, recipients, body, attachments
//   GET  /portal/attachment?n=N      one attachment, if the rights allow it
//   GET  /portal/body                the HTML body, sanitised (html_sanitize.hpp), for a
//                                     sandboxed frame; /portal/inline?cid=C its images
//   POST /portal/reply   text, all     a protected reply to the sender (all: and the others the
//                                     reader saw; needs REPLY / REPLYALL), mailed and deposited
//   POST /portal/signout             ends the session
//   GET  /portal/oidc/start?id=ID    sign in with the configured OpenID provider instead of a
//                                     passcode (303 to the provider); it sends the browser back
//                                     to GET /portal/oidc/callback?code=…&state=…
//   GET  /portal/static/portal.css, /portal/static/portal.js (the print button),
//        /portal/brand.css?id=ID, /portal/logo?id=ID
// Rules, and what guarantees them:
//   - Passcodes: 8 random digits, stored only as HMAC-SHA-256 under the portal's secret (the
//     store's setting "portal.secret", made on first use), valid 15 minutes, single use (the
//     store clears the hash atomically), compared in constant time; 5 wrong tries lock the
//     address out of that message for 15 minutes. A new code replaces the outstanding one.
//   - Rate limits, shared by every node of the store (Store::take_rate, with this node's own
//     count in front so that a flood does not become store writes): passcode mails per address
//     and per client address, and verification attempts per client address; over them, 429.
//   - Sessions: a random 256-bit id in the cookie __Host-openrms_session (Secure, HttpOnly,
//     SameSite=Strict, Path=/), stored only as its SHA-256, bound to one message and address,
//     valid 30 minutes. Every POST carries a CSRF token: HMAC of a random per-browser cookie
//     (__Host-openrms_csrf), compared in constant time; a request whose Origin is not the
//     portal's own host is refused.
//   - Every page: Content-Security-Policy default-src 'none' (scripts, styles, images, frames
//     and forms only from the portal itself; the one script is the static print button, never
//     inline), frame-ancestors 'none',
//     Referrer-Policy same-origin. Pages are built by html::Builder: untrusted text is always
//     escaped.
//   - Rights: a session's first view acquires a use license for the address (its tracking row
//     says "granted"; revocation, expiry and Do Not Forward apply as in any client). The
//     message opened under it is kept in memory while the session lives (PortalOptions::
//     view_cache_bytes), as a client keeps a use license: later views check the store for
//     revocation and the clock for the license's validity and the content's expiry, and log a
//     "viewed" row (the page and each attachment download; the body frame and its images are
//     parts of the page's view). Plaintext in the service's memory adds no exposure: the same
//     process holds the keys that open every message. VIEW is needed to
//     see anything; an attachment delivered unprotected downloads only with FORWARD and EXTRACT
//     (so never under Do Not Forward), a protected one (it stays protected) with VIEW. Revoked
//     or expired messages show a page saying so and nothing of the content.
//   - Sign-in with a provider (PortalOptions::sign_in, OidcSignIn: authorisation code + PKCE
//     S256): the state is 256 random bits; the nonce and the PKCE verifier are HMACs of it
//     under the portal's secret (never sent to the browser); state, message id and expiry (10
//     minutes) travel in the cookie __Host-openrms_signin (Secure, HttpOnly, SameSite=Lax so it
//     comes back with the provider's redirect; MACed, compared in constant time, cleared on
//     return). The ID token's e-mail address, verified by the provider, must be a recipient;
//     it then opens a session as a passcode would (a lock from wrong passcodes holds here too).
//   - Branding: the message's branding template (from its wrapper) gives logo, background
//     colour, portal text, privacy statement and disclaimer; OTPEnabled false turns passcodes
//     off (the page says so); SocialIDSignIn true (and a provider configured) offers sign-in.
//   - PRINT: a print button only with the right; without it the page hides itself from printing.
// Errors: handle() never throws; failures become pages with the right status.
// Thread safety: handle() and deposit() may be called concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "openrms/licensing/clock.hpp"
#include "openrms/licensing/server.hpp"
#include "openrms/licensing/store.hpp"
#include "openrms/server/api.hpp"
#include "openrms/server/mailer.hpp"
#include "openrms/server/oidc_signin.hpp"

namespace openrms::protect::mail {
class MailSettings;
}

namespace openrms::server {

struct PortalOptions {
  std::string from_address = "no-reply@localhost";  ///< the passcode mails' sender
  std::chrono::seconds code_validity{15 * 60};
  int max_failures = 5;
  std::chrono::seconds lockout{15 * 60};
  std::chrono::seconds session_validity{30 * 60};
  int codes_per_address = 5;     ///< passcode mails per address per window
  int codes_per_client = 20;     ///< passcode requests per client address per window
  int verifies_per_client = 30;  ///< code entries per client address per window
  std::chrono::seconds rate_window{15 * 60};
  /// Memory for the opened messages of live sessions (weighed by their wrappers' size); a
  /// session whose entry was dropped reopens its message on its next view.
  std::size_t view_cache_bytes = 256u << 20;
  /// Sign-in with an OpenID provider for brandings with SocialIDSignIn (null: passcodes only).
  /// Must outlive the portal.
  OidcSignIn* sign_in = nullptr;
};

class Portal {
 public:
  /// All references must outlive the portal; `clock` null: the system clock.
  Portal(licensing::LicenseServer& server, licensing::Store& store,
         protect::mail::MailSettings& mail, Mailer& mailer, PortalOptions options = {},
         const licensing::Clock* clock = nullptr);
  ~Portal();
  Portal(const Portal&) = delete;
  Portal& operator=(const Portal&) = delete;

  /// A request under /portal/ (the transport passes cookie, content-type, origin and host).
  Response handle(const Request& request);
  /// The route label for metrics ("/portal/read" …, or "other").
  static std::string_view route_label(std::string_view path);

  /// Deposits a protected wrapper message for the portal. The caller must be the message's
  /// issuer (no_right otherwise); `bcc` adds envelope recipients the wrapper does not show;
  /// `branding` names the branding template the message was sent with (empty: the default;
  /// not_found if the tenant has none of that name). Returns the content id. Errors:
  /// bad_format (not a protected message), integrity (forged license), no_right, not_found.
  std::string deposit(const std::string& caller, std::string_view wrapper,
                      const std::vector<std::string>& bcc, const std::string& branding = {});

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace openrms::server
