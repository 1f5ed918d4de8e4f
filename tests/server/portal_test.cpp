// The external-recipient portal in process (portal.hpp), driven as a browser would drive it:
// cookies kept in a jar, the CSRF token read from each page's form, the passcode read from the
// mail the portal sent. The rules: passcodes single use, expiring, locking after 5 wrong tries;
// no address enumeration; CSRF and Origin checks; sessions and their cookie flags; rights from
// the license (Encrypt-Only downloads, Do Not Forward, revocation); escaping; every view tracked.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <regex>

#include "licensing_fixture.hpp"
#include "openrms/crypto/backend.hpp"
#include "openrms/formats/mail/mime.hpp"
#include "openrms/protect/mail.hpp"
#include "openrms/protect/mail_settings.hpp"
#include "openrms/server/api.hpp"
#include "openrms/server/portal.hpp"

using namespace openrms;
using namespace openrms::licensing;
using namespace openrms::licensing::testing;
using json = nlohmann::json;
namespace mime = formats::mail;

namespace {

struct CapturedMail {
  std::string from, to, raw;
};

class CapturingMailer final : public server::Mailer {
 public:
  void send(const std::string& from, const std::string& to, std::string_view raw) override {
    std::lock_guard lock(mu);
    sent.push_back({from, to, std::string(raw)});
  }
  std::mutex mu;
  std::vector<CapturedMail> sent;
};

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string o;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.')
      o += static_cast<char>(c);
    else
      o += {'%', hex[c >> 4], hex[c & 15]};
  }
  return o;
}

std::string header(const server::Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

// A browser: a cookie jar, the last page's CSRF token, its own Origin.
struct Browser {
  explicit Browser(server::Portal& p) : portal(p) {}
  server::Portal& portal;
  std::string client = "198.51.100.7";
  std::map<std::string, std::string> jar;
  std::string csrf;
  std::vector<std::string> set_cookies;  // every Set-Cookie seen

  server::Response send(server::Request r) {
    std::string c;
    for (const auto& [k, v] : jar) c += (c.empty() ? "" : "; ") + k + "=" + v;
    if (!c.empty()) r.headers.emplace_back("cookie", c);
    r.headers.emplace_back("host", "portal.example");
    r.client = client;
    server::Response res = portal.handle(r);
    for (const auto& [k, v] : res.headers) {
      if (k != "Set-Cookie") continue;
      set_cookies.push_back(v);
      const auto eq = v.find('='), semi = v.find(';');
      const std::string name = v.substr(0, eq), value = v.substr(eq + 1, semi - eq - 1);
      if (v.find("Max-Age=0") != std::string::npos)
        jar.erase(name);
      else
        jar[name] = value;
    }
    std::smatch m;
    static const std::regex token(R"re(name="csrf" value="([0-9a-f]+)")re");
    if (std::regex_search(res.body, m, token)) csrf = m[1];
    return res;
  }
  server::Response get(const std::string& target) { return send({"GET", target, ""}); }
  server::Response post(const std::string& target,
                        std::vector<std::pair<std::string, std::string>> fields,
                        bool with_csrf = true, std::string origin = "https://portal.example") {
    if (with_csrf) fields.emplace_back("csrf", csrf);
    std::string body;
    for (const auto& [k, v] : fields) body += (body.empty() ? "" : "&") + k + "=" + url_encode(v);
    server::Request r{"POST", target, body};
    r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    if (!origin.empty()) r.headers.emplace_back("origin", origin);
    return send(std::move(r));
  }
};

class PortalTest : public LicensingFixture {
 protected:
  PortalTest() : source(*server), settings(*store) {
    protect::mail::IrmConfiguration irm;
    irm.accepted_domains = {"contoso.com"};
    irm.portal_url = "https://portal.example/portal/read";
    settings.set_irm(irm);
    portal = std::make_unique<server::Portal>(*server, *store, settings, mailer,
                                              server::PortalOptions{}, &clock);
    api = std::make_unique<server::Api>(*server, &settings, portal.get());
  }

  // alice's mail client, in process (her own RAC and key), as her mail program would be.
  protect::mail::MailClient alice_mail() {
    if (!alice_client) {
      auto& u = user("alice@contoso.com");
      protect::ClientOptions o;
      o.clock = &clock;
      o.durable = false;
      alice_client = std::make_unique<protect::Client>(
          source, protect::User{{u.email}, u.grant.rac_xml, u.grant.private_key}, o);
    }
    return protect::mail::MailClient(*alice_client, settings.irm(), settings.branding());
  }

  // alice protects `rfc5322` and deposits it; returns the content id.
  std::string send(const std::string& rfc5322, const protect::mail::MessageProtection& how,
                   const std::vector<std::string>& bcc = {}) {
    auto p = alice_mail().protect(crypto::as_bytes(rfc5322), how);
    wrapper = std::string(p.message.begin(), p.message.end());
    json body{{"wrapper", crypto::to_base64(p.message)}, {"bcc", bcc}};
    server::Caller alice;
    alice.email = "alice@contoso.com";
    auto r = api->handle({"POST", "/v1/portal/messages", body.dump()}, alice);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body)["content_id"];
  }

  static std::string message(const std::string& subject = "Quarterly results",
                             const std::string& body = "The numbers are attached.") {
    const std::string m =
        "From: Alice <alice@contoso.com>\r\nTo: clement@fabrikam.com\r\n"
        "Cc: bob@contoso.com\r\nSubject: " +
        subject + "\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n";
    return m +
           "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
           body +
           "\r\n--b1\r\nContent-Type: text/csv; name=\"q3.csv\"\r\n"
           "Content-Disposition: attachment; filename=\"q3.csv\"\r\n\r\n"
           "region,revenue\r\nnorth,42\r\n--b1--\r\n";
  }

  // The passcode in the last mail to `to`.
  std::string code_for(const std::string& to) {
    std::lock_guard lock(mailer.mu);
    for (auto it = mailer.sent.rbegin(); it != mailer.sent.rend(); ++it) {
      if (it->to != to) continue;
      const mime::Message m = mime::parse(crypto::as_bytes(it->raw));
      std::smatch d;
      static const std::regex digits(R"(\b([0-9]{8})\b)");
      if (std::regex_search(m.text, d, digits)) return d[1];
    }
    ADD_FAILURE() << "no passcode was mailed to " << to;
    return {};
  }

  // Start page, ask for a code, enter it: the browser ends up with a session.
  server::Response sign_in(Browser& b, const std::string& id, const std::string& address) {
    EXPECT_EQ(b.get("/portal/read?id=" + id).status, 200);
    EXPECT_EQ(b.post("/portal/code", {{"id", id}, {"address", address}}).status, 200);
    return b.post("/portal/verify",
                  {{"id", id}, {"address", address}, {"code", code_for(address)}});
  }

  std::size_t granted(const std::string& id, const std::string& who) {
    std::size_t n = 0;
    for (const auto& e : server->track({"alice@contoso.com"}, id))
      if (e.user == who && e.outcome == "granted") ++n;
    return n;
  }

  protect::LocalLicenseSource source;
  std::unique_ptr<protect::Client> alice_client;
  protect::mail::MailSettings settings;
  CapturingMailer mailer;
  std::unique_ptr<server::Portal> portal;
  std::unique_ptr<server::Api> api;
  std::string wrapper;
};

TEST_F(PortalTest, AnExternalRecipientReadsWithAPasscodeAndDownloadsEncryptOnlyAttachments) {
  auto irm = settings.irm();
  irm.decrypt_attachment_for_encrypt_only = true;
  settings.set_irm(irm);
  const std::string id = send(message(), protect::mail::MessageProtection::encrypt_only());
  // The wrapper's link leads here.
  EXPECT_NE(wrapper.find("https://portal.example/portal/read?id="), std::string::npos);
  Browser b(*portal);
  auto start = b.get("/portal/read?id=" + id);
  ASSERT_EQ(start.status, 200);
  EXPECT_NE(start.body.find("alice@contoso.com has sent you a protected message"),
            std::string::npos);
  EXPECT_NE(header(start, "Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(start.body.find("<script"), std::string::npos);
  auto asked = b.post("/portal/code", {{"id", id}, {"address", "Clement@Fabrikam.com"}});
  ASSERT_EQ(asked.status, 200) << asked.body;
  ASSERT_EQ(mailer.sent.size(), 1u);
  EXPECT_EQ(mailer.sent[0].to, "clement@fabrikam.com");
  const std::string code = code_for("clement@fabrikam.com");
  ASSERT_EQ(code.size(), 8u);
  // The store holds a keyed hash, never the code.
  const auto access = store->portal_access(id, "clement@fabrikam.com");
  ASSERT_TRUE(access.has_value());
  EXPECT_EQ(access->code_hash.size(), 64u);
  EXPECT_EQ(access->code_hash.find(code), std::string::npos);
  auto v =
      b.post("/portal/verify", {{"id", id}, {"address", "clement@fabrikam.com"}, {"code", code}});
  ASSERT_EQ(v.status, 303) << v.body;
  EXPECT_EQ(header(v, "Location"), "/portal/message");
  std::string session_cookie;
  for (const auto& c : b.set_cookies)
    if (c.rfind("__Host-openrms_session=", 0) == 0) session_cookie = c;
  for (const char* flag : {"; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/"})
    EXPECT_NE(session_cookie.find(flag), std::string::npos) << flag << " in " << session_cookie;
  EXPECT_EQ(session_cookie.find("Domain"), std::string::npos);
  // The session id is 256 random bits; the store keeps only its hash.
  const std::string sid = b.jar["__Host-openrms_session"];
  EXPECT_EQ(sid.size(), 43u);
  EXPECT_FALSE(store->portal_session(sid).has_value());

  const std::size_t before = granted(id, "clement@fabrikam.com");
  auto page = b.get("/portal/message");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("Quarterly results"), std::string::npos);
  EXPECT_NE(page.body.find("The numbers are attached."), std::string::npos);
  EXPECT_NE(page.body.find("q3.csv"), std::string::npos);
  EXPECT_EQ(granted(id, "clement@fabrikam.com"), before + 1);  // the view is tracked
  // Encrypt-Only grants PRINT: the print button and the portal's one static script.
  EXPECT_NE(page.body.find("id=\"print\""), std::string::npos);
  EXPECT_NE(page.body.find("<script src=\"/portal/static/portal.js\"></script>"),
            std::string::npos);
  EXPECT_EQ(b.get("/portal/static/portal.js").content_type, "text/javascript; charset=utf-8");
  auto att = b.get("/portal/attachment?n=0");
  ASSERT_EQ(att.status, 200) << att.body;
  EXPECT_EQ(att.body, "region,revenue\r\nnorth,42");
  EXPECT_NE(header(att, "Content-Disposition").find("q3.csv"), std::string::npos);
  EXPECT_EQ(b.get("/portal/attachment?n=1").status, 404);
  // Signing out ends the session for good.
  EXPECT_EQ(b.post("/portal/signout", {}).status, 200);
  EXPECT_EQ(b.get("/portal/message").status, 401);
}

TEST_F(PortalTest, DoNotForwardKeepsAttachmentsProtectedAndSaysSo) {
  const std::string id = send(message(), protect::mail::MessageProtection::do_not_forward());
  Browser b(*portal);
  ASSERT_EQ(sign_in(b, id, "clement@fabrikam.com").status, 303);
  auto page = b.get("/portal/message");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("Do not forward"), std::string::npos);
  EXPECT_NE(page.body.find("class=\"noprint\""), std::string::npos);
  EXPECT_EQ(page.body.find("id=\"print\""), std::string::npos);
  EXPECT_EQ(page.body.find("<script"), std::string::npos);
  EXPECT_NE(page.body.find("stays protected"), std::string::npos);
  // What downloads is the protected container, not the plaintext.
  auto att = b.get("/portal/attachment?n=0");
  ASSERT_EQ(att.status, 200);
  EXPECT_EQ(att.body.find("north,42"), std::string::npos);
  EXPECT_GT(att.body.size(), 100u);
  // Someone the message was not sent to asks for a code: the same page, and no mail.
  Browser eve(*portal);
  eve.client = "203.0.113.9";
  eve.get("/portal/read?id=" + id);
  const std::size_t mails = mailer.sent.size();
  auto r = eve.post("/portal/code", {{"id", id}, {"address", "eve@evil.example"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("Enter your passcode"), std::string::npos);
  EXPECT_EQ(mailer.sent.size(), mails);
}

TEST_F(PortalTest, PasscodesAreSingleUseExpireAndLockAfterFiveWrongTries) {
  const std::string id = send(message(), protect::mail::MessageProtection::encrypt_only());
  const std::string who = "clement@fabrikam.com";
  Browser b(*portal);
  b.get("/portal/read?id=" + id);
  // Expired: 15 minutes and a second later.
  b.post("/portal/code", {{"id", id}, {"address", who}});
  std::string code = code_for(who);
  clock.advance(std::chrono::seconds(15 * 60 + 1));
  auto late = b.post("/portal/verify", {{"id", id}, {"address", who}, {"code", code}});
  EXPECT_EQ(late.status, 400);
  EXPECT_NE(late.body.find("expired"), std::string::npos);
  // Single use: the second use of a right code fails.
  b.post("/portal/code", {{"id", id}, {"address", who}});
  code = code_for(who);
  EXPECT_EQ(b.post("/portal/verify", {{"id", id}, {"address", who}, {"code", code}}).status, 303);
  Browser again(*portal);
  again.get("/portal/read?id=" + id);
  EXPECT_EQ(again.post("/portal/verify", {{"id", id}, {"address", who}, {"code", code}}).status,
            400);
  // Five wrong tries lock the address out, even with the right code, for 15 minutes.
  b.post("/portal/code", {{"id", id}, {"address", who}});
  code = code_for(who);
  const std::string wrong = code == "00000000" ? "00000001" : "00000000";
  for (int i = 1; i <= 4; ++i) {
    auto r = b.post("/portal/verify", {{"id", id}, {"address", who}, {"code", wrong}});
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find(std::to_string(5 - i) + " tries left"), std::string::npos);
  }
  auto locked = b.post("/portal/verify", {{"id", id}, {"address", who}, {"code", wrong}});
  EXPECT_EQ(locked.status, 403);
  EXPECT_NE(locked.body.find("Locked"), std::string::npos);
  EXPECT_EQ(b.post("/portal/verify", {{"id", id}, {"address", who}, {"code", code}}).status, 403);
  // While locked no new code is mailed; after the lock one is, and it works.
  const std::size_t mails = mailer.sent.size();
  b.post("/portal/code", {{"id", id}, {"address", who}});
  EXPECT_EQ(mailer.sent.size(), mails);
  clock.advance(std::chrono::seconds(15 * 60));
  b.post("/portal/code", {{"id", id}, {"address", who}});
  ASSERT_EQ(mailer.sent.size(), mails + 1);
  EXPECT_EQ(
      b.post("/portal/verify", {{"id", id}, {"address", who}, {"code", code_for(who)}}).status,
      303);
  // Sessions are short-lived.
  EXPECT_EQ(b.get("/portal/message").status, 200);
  clock.advance(std::chrono::seconds(30 * 60));
  EXPECT_EQ(b.get("/portal/message").status, 401);
}

TEST_F(PortalTest, PostsFromElsewhereAreRefused) {
  const std::string id = send(message(), protect::mail::MessageProtection::encrypt_only());
  Browser b(*portal);
  b.get("/portal/read?id=" + id);
  const std::vector<std::pair<std::string, std::string>> f = {{"id", id},
                                                              {"address", "clement@fabrikam.com"}};
  // No token, a token of another browser, another site's Origin, a JSON body: no mail each time.
  EXPECT_EQ(b.post("/portal/code", f, false).status, 403);
  Browser other(*portal);
  other.get("/portal/read?id=" + id);
  auto g = f;
  g.emplace_back("csrf", other.csrf);
  EXPECT_EQ(b.post("/portal/code", g, false).status, 403);
  EXPECT_EQ(b.post("/portal/code", f, true, "https://evil.example").status, 403);
  server::Request j{"POST", "/portal/code", "{}"};
  j.headers.emplace_back("content-type", "application/json");
  EXPECT_EQ(b.send(j).status, 415);
  EXPECT_TRUE(mailer.sent.empty());
  // Rate limit per address: the sixth code within the window is refused.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(b.post("/portal/code", f).status, 200);
  EXPECT_EQ(b.post("/portal/code", f).status, 429);
  EXPECT_EQ(mailer.sent.size(), 5u);
}

// Two service nodes over one store (on PostgreSQL under server_tests_postgres) share the rate
// limits: passcode mails per address count on both, and the window reopens for both.
TEST_F(PortalTest, RateLimitsHoldAcrossNodes) {
  const std::string id = send(message(), protect::mail::MessageProtection::encrypt_only());
  server::Portal other_node(*server, *store, settings, mailer, server::PortalOptions{}, &clock);
  Browser a(*portal), b(other_node);
  a.get("/portal/read?id=" + id);
  b.get("/portal/read?id=" + id);
  const std::vector<std::pair<std::string, std::string>> f = {{"id", id},
                                                              {"address", "clement@fabrikam.com"}};
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a.post("/portal/code", f).status, 200);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(b.post("/portal/code", f).status, 200);
  EXPECT_EQ(b.post("/portal/code", f).status, 429);
  EXPECT_EQ(a.post("/portal/code", f).status, 429);
  EXPECT_EQ(mailer.sent.size(), 5u);
  clock.advance(std::chrono::seconds(15 * 60));
  EXPECT_EQ(b.post("/portal/code", f).status, 200);
  EXPECT_EQ(mailer.sent.size(), 6u);
}

TEST_F(PortalTest, RevokedMessagesShowNothingOfTheirContent) {
  const std::string id =
      send(message("Secret merger"), protect::mail::MessageProtection::encrypt_only());
  Browser b(*portal);
  ASSERT_EQ(sign_in(b, id, "bob@contoso.com").status, 303);
  ASSERT_EQ(b.get("/portal/message").status, 200);
  server->revoke({"alice@contoso.com"}, id);
  auto r = b.get("/portal/message");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("revoked"), std::string::npos);
  EXPECT_EQ(r.body.find("Secret merger"), std::string::npos);
  EXPECT_EQ(b.get("/portal/attachment?n=0").status, 403);
}

TEST_F(PortalTest, AFormattedBodyIsShownSanitisedInASandboxedFrame) {
  const std::string eml =
      "From: Alice <alice@contoso.com>\r\nTo: clement@fabrikam.com\r\nSubject: Newsletter\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"r\"\r\n\r\n--r\r\n"
      "Content-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\nplain version\r\n--a\r\n"
      "Content-Type: text/html; charset=utf-8\r\n\r\n<html><head><style>p{}</style></head>"
      "<body><h2>Hello</h2><script>alert(1)</script><img src=\"https://tracker.example/p.gif\" "
      "alt=\"pixel\"><a href=\"javascript:alert(1)\" onclick=\"x()\">click</a>"
      "<a href=\"https://contoso.com\">site</a><img src=\"cid:logo@contoso\" alt=\"logo\">"
      "</body></html>\r\n--a--\r\n--r\r\nContent-Type: image/png\r\n"
      "Content-ID: <logo@contoso>\r\nContent-Disposition: inline\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgpmYWtlLXBuZw==\r\n--r--\r\n";
  const std::string id = send(eml, protect::mail::MessageProtection::encrypt_only());
  Browser b(*portal);
  ASSERT_EQ(sign_in(b, id, "clement@fabrikam.com").status, 303);
  auto page = b.get("/portal/message");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<iframe class=\"body\" sandbox=\"allow-popups "
                           "allow-popups-to-escape-sandbox\" src=\"/portal/body\""),
            std::string::npos);
  EXPECT_NE(header(page, "Content-Security-Policy").find("frame-src 'self'"), std::string::npos);
  auto body = b.get("/portal/body");
  ASSERT_EQ(body.status, 200);
  EXPECT_NE(body.body.find("<h2>Hello</h2>"), std::string::npos);
  EXPECT_NE(body.body.find("<a href=\"https://contoso.com\" rel=\"noopener noreferrer\""),
            std::string::npos);
  EXPECT_NE(body.body.find("[pixel]"), std::string::npos);
  for (const char* bad : {"<script", "javascript:", "onclick", "tracker.example", "<style"})
    EXPECT_EQ(body.body.find(bad), std::string::npos) << bad;
  // The cid: image comes from the message's own part, through the portal.
  EXPECT_NE(body.body.find("<img src=\"/portal/inline?cid=logo%40contoso\" alt=\"logo\">"),
            std::string::npos);
  auto img = b.get("/portal/inline?cid=logo@contoso");
  ASSERT_EQ(img.status, 200);
  EXPECT_EQ(img.content_type, "image/png");
  EXPECT_EQ(img.body, std::string("\x89PNG\r\n\x1a\nfake-png"));
  EXPECT_EQ(b.get("/portal/inline?cid=other@contoso").status, 404);
  const std::string csp = header(body, "Content-Security-Policy");
  EXPECT_NE(csp.find("sandbox"), std::string::npos);
  EXPECT_EQ(csp.find("script-src"), std::string::npos);
  // Without a session there is no body.
  Browser stranger(*portal);
  EXPECT_EQ(stranger.get("/portal/body").status, 401);
}

TEST_F(PortalTest, RepliesAreProtectedLikeTheMessageAndGoOnlyWhereTheRightsAllow) {
  const std::string id = send(message(), protect::mail::MessageProtection::do_not_forward());
  Browser b(*portal);
  ASSERT_EQ(sign_in(b, id, "clement@fabrikam.com").status, 303);
  auto page = b.get("/portal/message");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Reply all"), std::string::npos);  // DNF grants REPLYALL
  const std::size_t before = mailer.sent.size();
  auto r = b.post("/portal/reply", {{"text", "Thanks, looks good."}, {"all", "1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  // To the sender and to bob (Cc), not back to the reader; each a protected wrapper.
  std::vector<std::string> to;
  std::string wrapper_sent;
  {
    std::lock_guard lock(mailer.mu);
    for (std::size_t i = before; i < mailer.sent.size(); ++i) {
      to.push_back(mailer.sent[i].to);
      wrapper_sent = mailer.sent[i].raw;
    }
  }
  std::sort(to.begin(), to.end());
  EXPECT_EQ(to, (std::vector<std::string>{"alice@contoso.com", "bob@contoso.com"}));
  const auto wb = crypto::as_bytes(wrapper_sent);
  ASSERT_TRUE(protect::mail::is_protected_message(wb));
  EXPECT_EQ(wrapper_sent.find("Thanks, looks good."), std::string::npos);
  // alice opens it with her own client: the reader wrote it, Do Not Forward holds.
  auto opened = alice_mail().open(wb);
  EXPECT_EQ(opened.message().from.email, "clement@fabrikam.com");
  EXPECT_EQ(opened.message().subject, "Re: Quarterly results");
  EXPECT_NE(opened.message().text.find("Thanks, looks good."), std::string::npos);
  EXPECT_NE(opened.message().text.find("> The numbers are attached."), std::string::npos);
  EXPECT_FALSE(opened.can(licensing::Right::forward));
  // The reply is deposited too: an outside recipient of it could read it in the portal.
  EXPECT_TRUE(store->portal_message(opened.info().content_id).has_value());
  // An empty reply, or one without the form's token, is not sent.
  EXPECT_EQ(b.post("/portal/reply", {{"text", ""}, {"all", "0"}}).status, 400);
  EXPECT_EQ(b.post("/portal/reply", {{"text", "x"}, {"all", "0"}}, false).status, 403);
  EXPECT_EQ(mailer.sent.size(), before + 2);
}

TEST_F(PortalTest, UntrustedTextIsEscapedAndOnlyTheSenderDeposits) {
  const std::string id =
      send(message("<script>alert(1)</script>", "<img src=x onerror=alert(1)> \"quoted\" & more"),
           protect::mail::MessageProtection::encrypt_only(), {"Dave@Contoso.com"});
  Browser b(*portal);
  // A Bcc recipient the sender named at deposit can ask for a code.
  ASSERT_EQ(sign_in(b, id, "dave@contoso.com").status, 303);
  auto page = b.get("/portal/message");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);
  EXPECT_EQ(page.body.find("<img src=x"), std::string::npos);
  EXPECT_NE(page.body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.body.find("&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &amp; more"),
            std::string::npos);
  // Unknown ids and pages.
  EXPECT_EQ(b.get("/portal/read?id=nope").status, 404);
  EXPECT_EQ(b.get("/portal/nothing").status, 404);
  // Only the message's sender deposits it.
  server::Caller bob;
  bob.email = "bob@contoso.com";
  json body{{"wrapper", crypto::to_base64(crypto::as_bytes(wrapper))}};
  auto r = api->handle({"POST", "/v1/portal/messages", body.dump()}, bob);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(api->handle({"POST", "/v1/portal/messages", body.dump()}, std::nullopt).status, 401);
  json bad{{"wrapper", crypto::to_base64(crypto::as_bytes(std::string("not a message")))}};
  server::Caller alice;
  alice.email = "alice@contoso.com";
  EXPECT_EQ(api->handle({"POST", "/v1/portal/messages", bad.dump()}, alice).status, 400);
}

}  // namespace

// A session's first view acquires a use license; later views reuse the message opened under it
// (one "viewed" row each for the page and downloads, none for the page's parts) until the
// content expires or is revoked, which the next view sees at once. A new session acquires anew,
// and the session it replaced (one per address and message) sees nothing from the kept view.
TEST_F(PortalTest, LaterViewsOfASessionReuseItsLicenseUntilTheContentLapses) {
  auto brand = settings.branding().front();
  brand.external_mail_expiry_days = 1;  // clement is outside contoso.com: content expires
  settings.set_branding(brand);
  const std::string id = send(message(), protect::mail::MessageProtection::encrypt_only());
  auto rows = [&](const std::string& outcome) {
    std::size_t n = 0;
    for (const auto& e : server->track({"alice@contoso.com"}, id))
      if (e.user == "clement@fabrikam.com" && e.outcome == outcome) ++n;
    return n;
  };
  server::PortalOptions o;
  o.session_validity = licensing::days(2);  // outlives the content
  server::Portal long_lived(*server, *store, settings, mailer, o, &clock);
  Browser first(long_lived);
  ASSERT_EQ(sign_in(first, id, "clement@fabrikam.com").status, 303);
  ASSERT_EQ(first.get("/portal/message").status, 200);
  EXPECT_EQ(rows("granted"), 1u);
  ASSERT_EQ(first.get("/portal/message").status, 200);
  EXPECT_EQ(rows("granted"), 1u);
  EXPECT_EQ(rows("viewed"), 1u);

  Browser b(long_lived);
  ASSERT_EQ(sign_in(b, id, "clement@fabrikam.com").status, 303);
  EXPECT_EQ(first.get("/portal/message").status, 401);  // replaced
  ASSERT_EQ(b.get("/portal/message").status, 200);
  EXPECT_EQ(rows("granted"), 2u);
  ASSERT_EQ(b.get("/portal/body").status, 200);  // a part of the page: no row
  clock.advance(std::chrono::hours(20));
  auto again = b.get("/portal/message");
  ASSERT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("The numbers are attached."), std::string::npos);
  ASSERT_EQ(b.get("/portal/attachment?n=0").status, 200);
  EXPECT_EQ(rows("granted"), 2u);
  EXPECT_EQ(rows("viewed"), 3u);
  // The content's expiry applies to the kept message at the next view.
  clock.advance(std::chrono::hours(5));
  auto late = b.get("/portal/message");
  EXPECT_EQ(late.status, 403);
  EXPECT_NE(late.body.find("expired"), std::string::npos);
  EXPECT_EQ(late.body.find("The numbers are attached."), std::string::npos);
  EXPECT_EQ(b.get("/portal/attachment?n=0").status, 403);
}
