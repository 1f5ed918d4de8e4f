// The portal's pages (portal.hpp): markup from literals, every untrusted string escaped
// (html::Builder). Accessible by construction: one <main>, a heading per page, every input with
// a <label>, native form controls (keyboard works), a stylesheet with high contrast that fits a
// phone-width screen. Internal to the server layer.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "html.hpp"
#include "openrms/protect/mail.hpp"

namespace openrms::server::pages {

/// The branding a page is shown with, and the message it is about (for links; may be empty).
struct Brand {
  protect::mail::OmeConfiguration config;
  std::string message_id;
};

/// "15 minutes", "20 seconds".
std::string duration_text(std::chrono::seconds d);

/// The whole document around `body`.
std::string layout(const Brand& b, std::string_view title, const html::Builder& body);

/// The start page: who sent it, the branding's texts, the form asking for the address (or,
/// with passcodes off, a note saying so) and, when `sign_in` names a provider, a "Sign in with"
/// link. `error` (if any) is shown above the form.
html::Builder start(const Brand& b, std::string_view sender, bool otp_enabled,
                    std::string_view sign_in, std::string_view csrf, std::string_view error = {});
/// After signing in with a provider: the address, and on to the message (a same-site
/// navigation, so the SameSite=Strict session cookie goes with it).
html::Builder signed_in(std::string_view address);
/// The passcode form, with a way to ask for a new code.
html::Builder enter_code(const Brand& b, std::string_view address, std::chrono::seconds validity,
                         std::string_view csrf, std::string_view error = {});
/// A heading and one paragraph (errors, revoked, expired, signed out).
html::Builder notice(std::string_view title, std::string_view text);
/// The opened message as `address` may see it.
html::Builder message(const Brand& b, const protect::mail::OpenedMessage& o,
                      std::string_view address, std::string_view csrf);

/// Whether the reader may download attachment `a` of `o`: a protected one (it stays protected)
/// with VIEW; one delivered unprotected only with FORWARD and EXTRACT (never under Do Not
/// Forward).
bool may_download(const protect::mail::OpenedMessage& o,
                  const protect::mail::DeliveredAttachment& a);
/// A Content-Disposition value that cannot break the header (RFC 6266, RFC 8187 filename*).
std::string attachment_disposition(std::string_view filename);
/// The logo's media type from its first bytes (PNG, JPEG or GIF, as validate() allows).
std::string image_type(const protect::mail::Bytes& logo);

/// The document the body frame shows around the sanitiser's output.
std::string body_document(std::string_view sanitized);

std::string portal_css();
/// The portal's only script: the print button.
std::string portal_js();
/// The branding's background colour (only a validated #RRGGBB reaches the stylesheet).
std::string brand_css(const Brand& b);

}  // namespace openrms::server::pages
