// The external-recipient portal's request handler (server/portal.hpp) on arbitrary requests,
// against a store holding one deposited message. Byte 0 picks a route (or an arbitrary path after
// "/portal/"), byte 1 the method (bit 0 POST) and what the browser brings: bit 1 a valid CSRF
// cookie, bit 2 its token appended to the form, bit 3 a form content type, bit 4 an Origin of
// another site, bit 5 a sign-in flow cookie whose value is the body. The rest is the query (after a
// NUL) and the form body; "%ID%" in either becomes the message's id. Every request must end in a
// status 200..599, and no HTML page may carry a <script> element but the portal's own static one,
// whatever the input (untrusted text is always escaped).
#include <cstdlib>
#include <string>

#include "fuzz_input.hpp"
#include "openrms/licensing/server.hpp"
#include "openrms/protect/license_source.hpp"
#include "openrms/protect/mail.hpp"
#include "openrms/protect/mail_settings.hpp"
#include "openrms/server/portal.hpp"

using namespace openrms;

namespace {

struct NullMailer final : server::Mailer {
  void send(const std::string&, const std::string&, std::string_view) override {}
};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

struct World {
  licensing::SqliteStore store{":memory:", crypto::SecureBytes(32, 1)};
  licensing::LicenseServer server{store};
  protect::mail::MailSettings mail{store};
  NullMailer mailer;
  std::unique_ptr<server::Portal> portal;
  std::string id, csrf_cookie, csrf_token;

  World() {
    server.activate();
    server::PortalOptions o;
    o.codes_per_address = o.codes_per_client = o.verifies_per_client = 1 << 30;
    portal = std::make_unique<server::Portal>(server, store, mail, mailer, o);
    // alice sends bob a message with an attachment; she deposits it.
    auto g = server.enroll({"alice@contoso.com"});
    protect::LocalLicenseSource source(server);
    protect::ClientOptions co;
    co.durable = false;
    protect::Client c(source, protect::User{{"alice@contoso.com"}, g.rac_xml, g.private_key}, co);
    protect::mail::MailClient mc(c, mail.irm(), mail.branding());
    const std::string eml =
        "From: alice@contoso.com\r\nTo: bob@fabrikam.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
        "body\r\n--b\r\nContent-Type: text/plain; name=a.txt\r\nContent-Disposition: "
        "attachment; filename=a.txt\r\n\r\nattached\r\n--b--\r\n";
    auto p = mc.protect(crypto::as_bytes(eml), protect::mail::MessageProtection::encrypt_only());
    id = portal->deposit(
        "alice@contoso.com",
        std::string_view(reinterpret_cast<const char*>(p.message.data()), p.message.size()), {});
    // A browser's CSRF cookie and the token the start page gives it.
    auto start = portal->handle({"GET", "/portal/read?id=" + id, ""});
    for (const auto& [k, v] : start.headers)
      if (k == "Set-Cookie" && v.rfind("__Host-openrms_csrf=", 0) == 0)
        csrf_cookie = v.substr(0, v.find(';'));
    const auto at = start.body.find("name=\"csrf\" value=\"");
    if (at != std::string::npos)
      csrf_token = start.body.substr(at + 19, start.body.find('"', at + 19) - at - 19);
  }
};

World& world() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (64u << 10)) return 0;
  World& w = world();
  fuzz::Input in(data, size);
  static const char* const kRoutes[] = {"/portal/read",
                                        "/portal/code",
                                        "/portal/verify",
                                        "/portal/message",
                                        "/portal/attachment",
                                        "/portal/signout",
                                        "/portal/static/portal.css",
                                        "/portal/brand.css",
                                        "/portal/logo",
                                        "/portal/reply",
                                        "/portal/body",
                                        "/portal/inline",
                                        "/portal/oidc/start",
                                        "/portal/oidc/callback"};
  const std::uint8_t r = in.byte(), m = in.byte();
  const auto rest = in.rest();
  std::string text(rest.begin(), rest.end());
  const auto nul = text.find('\0');
  std::string query = nul == std::string::npos ? std::string() : text.substr(0, nul);
  std::string body = nul == std::string::npos ? text : text.substr(nul + 1);
  query = replace_all(query, "%ID%", w.id);
  body = replace_all(body, "%ID%", w.id);
  server::Request req;
  req.method = (m & 1) ? "POST" : "GET";
  req.target = r < std::size(kRoutes) ? kRoutes[r] : "/portal/" + std::to_string(r);
  if (!query.empty()) req.target += "?" + query;
  if (m & 4) body += "&csrf=" + w.csrf_token;
  req.body = body;
  std::string cookies = (m & 2) ? w.csrf_cookie : std::string();
  if (m & 32) cookies += "; __Host-openrms_signin=" + body;  // the sign-in flow's cookie
  if (!cookies.empty()) req.headers.emplace_back("cookie", cookies);
  if (m & 8) req.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("host", "portal.example");
  if (m & 16) req.headers.emplace_back("origin", "https://elsewhere.example");
  req.client = "192.0.2." + std::to_string(m);
  const server::Response res = w.portal->handle(req);
  if (res.status < 200 || res.status > 599) std::abort();
  // The one script element a page may hold is the portal's own static file.
  if (res.content_type.rfind("text/html", 0) == 0) {
    const std::string own = "<script src=\"/portal/static/portal.js\"></script>";
    for (std::size_t p = res.body.find("<script"); p != std::string::npos;
         p = res.body.find("<script", p + 1))
      if (res.body.compare(p, own.size(), own) != 0) std::abort();
  }
  return 0;
}
