#include "openrms/server/portal.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <variant>

#include "html.hpp"
#include "openrms/crypto/backend.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/mail/mime.hpp"
#include "openrms/protect/license_source.hpp"
#include "openrms/protect/mail.hpp"
#include "openrms/protect/mail_settings.hpp"
#include "openrms/server/html_sanitize.hpp"
#include "openrms/text.hpp"
#include "portal_pages.hpp"

namespace openrms::server {

namespace mime = formats::mail;
using licensing::Time;
using pages::Brand;

namespace {

constexpr std::string_view kSessionCookie = "__Host-openrms_session";
constexpr std::string_view kCsrfCookie = "__Host-openrms_csrf";
constexpr std::string_view kSignInCookie = "__Host-openrms_signin";
constexpr std::chrono::seconds kSignInValidity{10 * 60};
constexpr std::size_t kMaxFormFields = 16;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded (also a query string): '+' is a space, %XX a byte.
std::string form_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
               hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

using Fields = std::map<std::string, std::string, std::less<>>;

Fields parse_form(std::string_view s) {
  Fields out;
  while (!s.empty() && out.size() < kMaxFormFields) {
    const auto amp = s.find('&');
    const std::string_view pair = s.substr(0, amp);
    s = amp == std::string_view::npos ? std::string_view() : s.substr(amp + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(form_decode(pair.substr(0, eq)), form_decode(pair.substr(eq + 1)));
  }
  return out;
}

std::string get(const Fields& f, std::string_view name) {
  auto it = f.find(name);
  return it == f.end() ? std::string() : it->second;
}

std::string cookie(const Request& r, std::string_view name) {
  std::string_view c = r.header("cookie");
  while (!c.empty()) {
    const auto semi = c.find(';');
    std::string_view pair = c.substr(0, semi);
    c = semi == std::string_view::npos ? std::string_view() : c.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name)
      return std::string(pair.substr(eq + 1));
  }
  return {};
}

// A plausible addr-spec: what a person types, bounded; the license decides the rest.
bool plausible_address(const std::string& a) {
  const auto at = a.find('@');
  if (a.size() > 254 || at == std::string::npos || at == 0 || at + 1 >= a.size()) return false;
  if (a.find('@', at + 1) != std::string::npos) return false;
  return std::none_of(a.begin(), a.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == '"' || c == ',' ||
           c == ';' || c == '\\';
  });
}

// Counts events per key in fixed windows, in this node's memory; forgets keys whose window is
// over when it grows.
class WindowCounter {
 public:
  WindowCounter(int limit, std::chrono::seconds window) : limit_(limit), window_(window) {}
  bool allow(const std::string& key, Time now) {
    std::lock_guard lock(mu_);
    if (map_.size() > 100000)
      std::erase_if(map_, [&](const auto& e) { return now >= e.second.start + window_; });
    auto& e = map_[key];
    if (now >= e.start + window_) e = {now, 0};
    if (e.count >= limit_) return false;
    ++e.count;
    return true;
  }

 private:
  struct Entry {
    Time start{};
    int count = 0;
  };
  int limit_;
  std::chrono::seconds window_;
  std::mutex mu_;
  std::map<std::string, Entry> map_;
};

// A rate limit every node of the store shares (Store::take_rate). This node's own count comes
// first: it refuses without a store write once this node alone is over, so a flood costs the
// store at most `limit` writes per key and window from each node.
class RateLimit {
 public:
  RateLimit(licensing::Store& store, std::string name, int limit, std::chrono::seconds window)
      : store_(store),
        name_(std::move(name)),
        limit_(limit),
        window_(window),
        local_(limit, window) {}
  bool allow(const std::string& key, Time now) {
    return local_.allow(key, now) && store_.take_rate(name_ + key, limit_, now, window_);
  }

 private:
  licensing::Store& store_;
  std::string name_;
  int limit_;
  std::chrono::seconds window_;
  WindowCounter local_;
};

}  // namespace

struct Portal::Impl {
  licensing::LicenseServer& server;
  licensing::Store& store;
  protect::mail::MailSettings& mail;
  Mailer& mailer;
  PortalOptions opt;
  const licensing::Clock& clock;
  const crypto::Backend& be = crypto::default_backend();
  protect::LocalLicenseSource source{server};
  RateLimit codes_by_address, codes_by_client, verifies_by_client, signins_by_client;

  std::mutex mu;
  crypto::SecureBytes secret;                    // the portal's HMAC key (loaded once)
  std::optional<crypto::PrivateKey> reader_key;  // the key the portal reads with
  struct Rac {
    std::string xml;
    Time renew_at{};
  };
  std::map<std::string, Rac> racs;  // address -> a RAC for reader_key

  Impl(licensing::LicenseServer& s, licensing::Store& st, protect::mail::MailSettings& m,
       Mailer& ml, PortalOptions o, const licensing::Clock& c)
      : server(s),
        store(st),
        mail(m),
        mailer(ml),
        opt(std::move(o)),
        clock(c),
        codes_by_address(st, "portal.codes.address:", opt.codes_per_address, opt.rate_window),
        codes_by_client(st, "portal.codes.client:", opt.codes_per_client, opt.rate_window),
        verifies_by_client(st, "portal.verifies.client:", opt.verifies_per_client, opt.rate_window),
        signins_by_client(st, "portal.signins.client:", opt.verifies_per_client, opt.rate_window) {}

  std::string deposit_as(const std::string& caller, std::string_view wrapper,
                         const std::vector<std::string>& bcc, const std::string& branding) {
    const crypto::ByteView w = crypto::as_bytes(wrapper);
    const protect::mail::MessageInfo info = protect::mail::inspect_message(w, source, be);
    if (ascii_lower(info.issuer) != ascii_lower(caller))
      fail(Errc::no_right, "only the sender of a message (" + info.issuer + ") may deposit it");
    if (!branding.empty()) (void)mail.branding(branding);  // not_found if there is none
    const mime::Message parsed = mime::parse(w);
    licensing::PortalMessage m;
    m.content_id = info.content_id;
    m.sender = ascii_lower(info.issuer);
    m.recipients = parsed.recipients();
    for (const auto& a : bcc) {
      const std::string x = ascii_lower(a);
      if (!plausible_address(x)) fail(Errc::invalid_argument, "not an e-mail address: " + a);
      if (std::find(m.recipients.begin(), m.recipients.end(), x) == m.recipients.end())
        m.recipients.push_back(x);
    }
    m.wrapper = std::string(wrapper);
    m.stored_at = clock.now();
    m.branding = branding;
    store.put_portal_message(m);
    return m.content_id;
  }

  // --- secrets -------------------------------------------------------------------------------

  const crypto::SecureBytes& key() {
    std::lock_guard lock(mu);
    if (secret.empty()) {
      auto hex = store.setting("portal.secret");
      if (!hex) {
        store.set_setting("portal.secret", crypto::to_hex(be.random_bytes(32)));
        hex = store.setting("portal.secret");
      }
      auto b = crypto::from_hex(*hex);
      secret.assign(b.begin(), b.end());
      crypto::secure_wipe(b.data(), b.size());
    }
    return secret;
  }

  std::string mac(std::string_view label, std::string_view data) {
    auto m = be.hmac(crypto::HashAlg::sha256, key());
    m->update(crypto::as_bytes(label));
    m->update(crypto::as_bytes(std::string_view("\0", 1)));
    m->update(crypto::as_bytes(data));
    return crypto::to_hex(m->finish());
  }

  std::string code_hash(const std::string& id, const std::string& address,
                        const std::string& code) {
    return mac("passcode", id + "\n" + address + "\n" + code);
  }
  std::string csrf_token(const std::string& csrf_cookie) { return mac("csrf", csrf_cookie); }
  std::string session_hash(const std::string& session) {
    return crypto::to_hex(be.digest(crypto::HashAlg::sha256, crypto::as_bytes(session)));
  }

  // 8 digits, uniform: 64-bit draws below the largest multiple of 10^8.
  std::string new_code() {
    constexpr std::uint64_t kRange = 100000000;
    constexpr std::uint64_t kLimit = UINT64_MAX - UINT64_MAX % kRange;
    for (;;) {
      crypto::Bytes r = be.random_bytes(8);
      std::uint64_t v = 0;
      for (auto b : r) v = v << 8 | b;
      if (v >= kLimit) continue;
      char buf[9];
      std::snprintf(buf, sizeof buf, "%08llu", static_cast<unsigned long long>(v % kRange));
      return buf;
    }
  }

  // --- reading as an address ------------------------------------------------------------------

  // The portal reads with one key pair of its own, certified for each address it serves by a
  // RAC the license server issues (so a use license names the address, as for any client).
  protect::User user_for(const std::string& address) {
    std::lock_guard lock(mu);
    const Time now = clock.now();
    auto it = racs.find(address);
    if (it == racs.end() || now >= it->second.renew_at) {
      licensing::RacGrant g;
      if (!reader_key) {
        g = server.enroll(licensing::Identity{address});
        reader_key = std::move(g.private_key);
      } else {
        const crypto::PublicKey pub = reader_key->public_key();
        g = server.enroll(licensing::Identity{address}, &pub);
      }
      if (racs.size() > 10000) racs.clear();
      racs[address] = Rac{g.rac_xml, g.rac.valid_until - licensing::days(1)};
      it = racs.find(address);
    }
    return protect::User{licensing::Identity{address}, it->second.xml, *reader_key};
  }

  // The portal's clients: its clock, no use-license cache (a session keeps its opened message
  // instead: View), nothing written to disk.
  protect::ClientOptions client_options() const {
    protect::ClientOptions co;
    co.clock = &clock;
    co.durable = false;
    return co;
  }

  Brand brand_of(const licensing::PortalMessage* m) {
    Brand b;
    bool named = false;
    if (m && !m->branding.empty()) {
      try {
        b.config = mail.branding(m->branding);
        named = true;
      } catch (const Error&) {  // removed since the message was sent: the default
      }
    }
    if (!named) b.config = mail.branding().front();  // the default comes first
    b.message_id = m ? m->content_id : std::string();
    return b;
  }

  // --- responses ------------------------------------------------------------------------------

  static void secure_headers(Response& r) {
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; script-src 'self'; style-src 'self'; "
                           "img-src 'self'; frame-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'");
    // same-origin, not no-referrer: under no-referrer browsers send "Origin: null" with a form
    // POST, and the Origin check would refuse the portal's own forms (found by the browser
    // test). Nothing leaves for other sites either way, and body links carry noreferrer.
    r.headers.emplace_back("Referrer-Policy", "same-origin");
    r.headers.emplace_back("X-Frame-Options", "DENY");
  }

  // A page; `body(token)` builds its content with the CSRF token its forms carry (the
  // browser's CSRF cookie is set here when it has none yet).
  template <class Body>
  Response page(int status, const Brand& b, std::string_view title, const Request& req,
                Body&& body) {
    Response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    std::string csrf = cookie(req, kCsrfCookie);
    if (csrf.size() != 43) {
      csrf = crypto::to_base64url(be.random_bytes(32));
      r.headers.emplace_back("Set-Cookie", std::string(kCsrfCookie) + "=" + csrf +
                                               "; Path=/; Secure; HttpOnly; SameSite=Strict");
    }
    r.body = pages::layout(b, title, body(csrf_token(csrf)));
    secure_headers(r);
    return r;
  }

  Response notice(int status, const Brand& b, std::string_view title, std::string_view text,
                  const Request& req) {
    return page(status, b, title, req,
                [&](const std::string&) { return pages::notice(title, text); });
  }

  // A POST must come from the portal's own pages: the form's token matches the browser's CSRF
  // cookie, and the Origin (browsers send it on POST) is this host.
  bool csrf_ok(const Request& req, const Fields& f) {
    const std::string c = cookie(req, kCsrfCookie);
    const std::string token = get(f, "csrf");
    if (c.size() != 43 || token.empty()) return false;
    const std::string want = csrf_token(c);
    if (!crypto::ct_equal(crypto::as_bytes(token), crypto::as_bytes(want))) return false;
    const std::string_view origin = req.header("origin");
    if (origin.empty()) return true;
    const std::string_view host = req.header("host");
    return !host.empty() &&
           (origin == "https://" + std::string(host) || origin == "http://" + std::string(host));
  }

  // --- routes ---------------------------------------------------------------------------------

  Response read_page(const Request& req, const Fields& q) {
    const std::string id = get(q, "id");
    auto m = id.empty() ? std::nullopt : store.portal_message(id);
    const Brand b = brand_of(m ? &*m : nullptr);
    if (!m)
      return notice(404, b, "Message not found",
                    "This link does not lead to a message the portal holds. Check that you "
                    "opened the whole link from the e-mail.",
                    req);
    return page(200, b, "Read your protected message", req, [&](const std::string& t) {
      return pages::start(b, m->sender, b.config.otp_enabled, sign_in_name(b), t);
    });
  }

  Response request_code(const Request& req, const Fields& f) {
    const std::string id = get(f, "id");
    const std::string address = ascii_lower(get(f, "address"));
    auto m = id.empty() ? std::nullopt : store.portal_message(id);
    const Brand b = brand_of(m ? &*m : nullptr);
    if (!m)
      return notice(404, b, "Message not found", "The portal does not hold this message.", req);
    if (!b.config.otp_enabled)
      return notice(403, b, "Passcodes are off",
                    "The sender's organisation does not allow one-time passcodes for this "
                    "message.",
                    req);
    if (!plausible_address(address))
      return page(400, b, "Read your protected message", req, [&](const std::string& t) {
        return pages::start(b, m->sender, true, sign_in_name(b), t,
                            "Enter the e-mail address this message was sent to.");
      });
    const Time now = clock.now();
    if (!codes_by_client.allow(req.client, now) || !codes_by_address.allow(id + " " + address, now))
      return notice(429, b, "Too many passcodes",
                    "Too many passcodes were asked for. Wait a few minutes and try again.", req);
    const bool recipient =
        std::find(m->recipients.begin(), m->recipients.end(), address) != m->recipients.end();
    if (recipient) {
      auto access = store.portal_access(id, address);
      if (!(access && access->locked_until && now < *access->locked_until)) {
        const std::string code = new_code();
        store.set_passcode(id, address, code_hash(id, address, code), now + opt.code_validity);
        send_code(*m, address, code, b);
      }
    }
    // The same page whether or not the address is a recipient: no address enumeration.
    return page(200, b, "Enter your passcode", req, [&](const std::string& t) {
      return pages::enter_code(b, address, opt.code_validity, t);
    });
  }

  void send_code(const licensing::PortalMessage& m, const std::string& address,
                 const std::string& code, const Brand& b) {
    mime::NewMessage n;
    n.from = {b.config.identity, opt.from_address};
    n.to = {{"", address}};
    n.subject = "Your one-time passcode";
    n.text = "Here is your one-time passcode to read the protected message " + m.sender +
             " sent you:\r\n\r\n    " + code + "\r\n\r\nIt is valid for " +
             pages::duration_text(opt.code_validity) +
             " and works once. If you did not ask for it, you can ignore this e-mail.\r\n";
    const mime::Bytes raw = mime::build(n);
    mailer.send(opt.from_address, address,
                std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  }

  Response verify(const Request& req, const Fields& f) {
    const std::string id = get(f, "id");
    const std::string address = ascii_lower(get(f, "address"));
    std::string code = get(f, "code");
    std::erase_if(code, [](char c) { return c == ' ' || c == '-'; });
    auto m = id.empty() ? std::nullopt : store.portal_message(id);
    const Brand b = brand_of(m ? &*m : nullptr);
    if (!m)
      return notice(404, b, "Message not found", "The portal does not hold this message.", req);
    const Time now = clock.now();
    if (!verifies_by_client.allow(req.client, now))
      return notice(429, b, "Too many attempts", "Wait a few minutes and try again.", req);
    auto access = store.portal_access(id, address);
    if (access && access->locked_until && now < *access->locked_until)
      return notice(403, b, "Locked for now",
                    "Too many wrong passcodes were entered for this address. Try again after " +
                        licensing::format_time(*access->locked_until) + ".",
                    req);
    auto ask_again = [&](std::string_view title, std::string_view why) {
      return page(400, b, title, req, [&](const std::string& t) {
        return pages::start(b, m->sender, true, sign_in_name(b), t, why);
      });
    };
    if (!access || access->code_hash.empty())
      return ask_again("Ask for a new passcode",
                       "That passcode is no longer valid: ask for a new one.");
    if (now >= access->code_expires)
      return ask_again("Passcode expired", "That passcode has expired: ask for a new one.");
    const std::string h = code_hash(id, address, code);
    if (!crypto::ct_equal(crypto::as_bytes(h), crypto::as_bytes(access->code_hash))) {
      const int failures = store.passcode_failed(id, address, opt.max_failures, now + opt.lockout);
      if (failures >= opt.max_failures)
        return notice(403, b, "Locked for now",
                      "Too many wrong passcodes were entered for this address. Try again after " +
                          licensing::format_time(now + opt.lockout) + ".",
                      req);
      const std::string why = "That passcode is not right. " +
                              std::to_string(opt.max_failures - failures) + " tries left.";
      return page(400, b, "Wrong passcode", req, [&](const std::string& t) {
        return pages::enter_code(b, address, opt.code_validity, t, why);
      });
    }
    const std::string session = crypto::to_base64url(be.random_bytes(32));
    if (!store.open_portal_session(id, address, h, now, session_hash(session),
                                   now + opt.session_validity))
      return ask_again("Ask for a new passcode",
                       "That passcode was already used: ask for a new one.");
    Response r = redirect("/portal/message");
    r.headers.emplace_back("Set-Cookie", session_cookie(session));
    return r;
  }

  static Response redirect(std::string location) {
    Response r;
    r.status = 303;
    r.content_type = "text/plain";
    r.body = "See " + location + "\n";
    r.headers.emplace_back("Location", std::move(location));
    secure_headers(r);
    return r;
  }

  std::string session_cookie(const std::string& session) const {
    return std::string(kSessionCookie) + "=" + session +
           "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" +
           std::to_string(opt.session_validity.count());
  }

  // --- signing in with a provider -------------------------------------------------------------

  // The provider's name on the start page, when this message's branding allows social sign-in.
  std::string sign_in_name(const Brand& b) const {
    return b.config.social_id_signin && opt.sign_in ? opt.sign_in->display_name() : std::string();
  }

  // The nonce and PKCE verifier of a sign-in, from its state: nothing to store, nothing the
  // browser sees but the state, and any node of the service can finish the flow.
  std::string signin_nonce(const std::string& state) { return mac("oidc-nonce", state); }
  std::string signin_verifier(const std::string& state) { return mac("oidc-pkce", state); }
  std::string signin_mac(const std::string& state, const std::string& id, std::int64_t expires) {
    return mac("oidc-flow", state + "\n" + id + "\n" + std::to_string(expires));
  }

  Response sign_in_start(const Request& req, const Fields& q) {
    const std::string id = get(q, "id");
    auto m = id.empty() ? std::nullopt : store.portal_message(id);
    const Brand b = brand_of(m ? &*m : nullptr);
    if (!m)
      return notice(404, b, "Message not found", "The portal does not hold this message.", req);
    if (sign_in_name(b).empty())
      return notice(403, b, "Sign-in is off",
                    "The sender's organisation does not offer sign-in for this message.", req);
    const Time now = clock.now();
    if (!signins_by_client.allow(req.client, now))
      return notice(429, b, "Too many attempts", "Wait a few minutes and try again.", req);
    const std::string state = crypto::to_base64url(be.random_bytes(32));
    const std::int64_t expires = (now + kSignInValidity).time_since_epoch().count();
    std::string url;
    try {
      url = opt.sign_in->authorization_url(state, signin_nonce(state), signin_verifier(state));
    } catch (const Error&) {
      return notice(503, b, "Sign-in unavailable",
                    "The sign-in provider cannot be reached right now. Try again later, or use "
                    "a one-time passcode.",
                    req);
    }
    Response r = redirect(url);
    r.headers.emplace_back("Set-Cookie", std::string(kSignInCookie) + "=" + state + "." +
                                             crypto::to_base64url(crypto::as_bytes(id)) + "." +
                                             std::to_string(expires) + "." +
                                             signin_mac(state, id, expires) +
                                             "; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=" +
                                             std::to_string(kSignInValidity.count()));
    return r;
  }

  // The sign-in this browser started, if its cookie is intact, unexpired and names `state`.
  std::optional<std::string> signin_message(const Request& req, const std::string& state) {
    const std::string c = cookie(req, kSignInCookie);
    std::vector<std::string> parts;
    for (std::size_t start = 0; parts.size() < 5;) {
      const auto dot = c.find('.', start);
      parts.push_back(c.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (parts.size() != 4 || parts[0].size() != 43 || parts[2].empty() || parts[2].size() > 12 ||
        parts[2].find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    std::string id;
    try {
      const crypto::Bytes raw = crypto::from_base64(parts[1]);
      id.assign(raw.begin(), raw.end());
    } catch (const Error&) {
      return std::nullopt;
    }
    const std::int64_t expires = std::stoll(parts[2]);
    const std::string want = signin_mac(parts[0], id, expires);
    if (!crypto::ct_equal(crypto::as_bytes(parts[3]), crypto::as_bytes(want)) ||
        !crypto::ct_equal(crypto::as_bytes(parts[0]), crypto::as_bytes(state)) ||
        clock.now().time_since_epoch().count() >= expires)
      return std::nullopt;
    return id;
  }

  Response sign_in_return(const Request& req, const Fields& q) {
    const std::string state = get(q, "state");
    auto id = signin_message(req, state);
    auto m = id ? store.portal_message(*id) : std::nullopt;
    const Brand b = brand_of(m ? &*m : nullptr);
    auto done = [&](Response r) {
      r.headers.emplace_back("Set-Cookie", std::string(kSignInCookie) +
                                               "=; Path=/; Secure; HttpOnly; SameSite=Lax; "
                                               "Max-Age=0");
      return r;
    };
    if (!id)
      return done(notice(400, b, "Sign-in not recognised",
                         "This sign-in was not started here, or it took longer than 10 "
                         "minutes. Open the link in the e-mail again.",
                         req));
    if (!m || sign_in_name(b).empty())
      return done(notice(403, b, "Sign-in is off",
                         "The sender's organisation does not offer sign-in for this message.",
                         req));
    if (!get(q, "error").empty())
      return done(notice(401, b, "Not signed in",
                         "The sign-in was cancelled or refused by the provider. Open the link in "
                         "the e-mail again to try once more.",
                         req));
    std::string address;
    try {
      address = opt.sign_in->redeem(get(q, "code"), signin_verifier(state), signin_nonce(state));
    } catch (const Error& e) {
      if (e.code() == Errc::unauthenticated)
        return done(notice(403, b, "Sign-in failed", e.what(), req));
      return done(notice(503, b, "Sign-in unavailable",
                         "The sign-in provider cannot be reached right now. Try again later.",
                         req));
    }
    if (std::find(m->recipients.begin(), m->recipients.end(), address) == m->recipients.end())
      return done(notice(403, b, "Not a recipient",
                         "You signed in as " + address +
                             ", and this message was not sent to that address. Sign in with the "
                             "account of the address the message was sent to.",
                         req));
    // A session opens through the same single-use step as a passcode, with a one-off value
    // only this request knows, so a lock from wrong passcodes holds for sign-in too.
    const Time now = clock.now();
    const std::string once = mac("oidc-session", state);
    store.set_passcode(*id, address, once, now + std::chrono::minutes(1));
    const std::string session = crypto::to_base64url(be.random_bytes(32));
    if (!store.open_portal_session(*id, address, once, now, session_hash(session),
                                   now + opt.session_validity))
      return done(notice(403, b, "Locked for now",
                         "Too many wrong passcodes were entered for this address. Try again "
                         "later.",
                         req));
    // A page, not a 303: the navigation that comes back from the provider is cross-site, and
    // Chromium does not send a SameSite=Strict cookie along a redirect from it (the browser
    // test saw "Signed out"). The page's own refresh is a same-site navigation.
    Response r = page(200, b, "Signed in", req,
                      [&](const std::string&) { return pages::signed_in(address); });
    r.headers.emplace_back("Set-Cookie", session_cookie(session));
    return done(std::move(r));
  }

  // A session's message, opened once under the use license acquired for it, kept while the
  // session lives (see portal.hpp: what a view costs). The message row is kept without its
  // wrapper.
  struct View {
    licensing::PortalMessage message;
    protect::mail::OpenedMessage opened;
    std::size_t bytes = 0;  // the wrapper's size, as the entry's weight
    Time session_expires{};
  };
  struct Session {
    licensing::PortalAccess access;
    std::string hash;
  };
  std::mutex views_mu;
  std::map<std::string, std::shared_ptr<const View>, std::less<>> views;  // by session hash
  std::size_t view_bytes = 0;

  // The session's access row, or nullopt (expired, ended, unknown): read from the store on
  // every request, so signing out or expiry on any node ends it everywhere.
  std::optional<Session> session_of(const Request& req) {
    const std::string s = cookie(req, kSessionCookie);
    if (s.size() != 43) return std::nullopt;
    std::string h = session_hash(s);
    auto a = store.portal_session(h);
    if (!a || clock.now() >= a->session_expires) return std::nullopt;
    return Session{std::move(*a), std::move(h)};
  }

  Response signed_out(const Request& req) {
    return notice(401, brand_of(nullptr), "Signed out",
                  "Your session has ended. Open the link in the e-mail again to read the message.",
                  req);
  }

  // Under views_mu.
  void erase_view(decltype(views)::iterator it) {
    view_bytes -= it->second->bytes;
    views.erase(it);
  }

  void forget_view(const std::string& hash) {
    std::lock_guard lock(views_mu);
    if (auto it = views.find(hash); it != views.end()) erase_view(it);
  }

  void keep_view(const std::string& hash, std::shared_ptr<const View> v) {
    if (!v->opened.decision().cacheable || v->bytes > opt.view_cache_bytes / 4) return;
    const Time now = clock.now();
    std::lock_guard lock(views_mu);
    // Ended sessions' entries go first (a new entry is rare: a session's first view), then,
    // over the budget, any (session hashes are random: dropping from the front is as good as
    // any; those sessions reopen their message on their next view).
    std::erase_if(views, [&](const auto& e) {
      const bool gone = e.first == hash || now >= e.second->session_expires;
      if (gone) view_bytes -= e.second->bytes;
      return gone;
    });
    for (auto it = views.begin();
         it != views.end() && view_bytes + v->bytes > opt.view_cache_bytes;)
      erase_view(it++);
    view_bytes += v->bytes;
    views.emplace(hash, std::move(v));
  }

  // The kept view of a session, if it still stands: the use license's validity and the
  // content's expiry not passed, and the content not revoked (one read of the store, so a
  // revocation on any node applies at the next view).
  std::shared_ptr<const View> kept_view(const Session& s) {
    std::shared_ptr<const View> v;
    {
      std::lock_guard lock(views_mu);
      auto it = views.find(s.hash);
      if (it == views.end()) return nullptr;
      v = it->second;
    }
    const Time now = clock.now();
    const auto& d = v->opened.decision();
    const bool lapsed =
        (d.valid_until && now >= *d.valid_until) || (d.content_expiry && now >= *d.content_expiry);
    auto content = lapsed ? std::nullopt : store.get_content(d.content_id);
    if (lapsed || v->message.content_id != s.access.content_id || !content || content->revoked_at) {
      forget_view(s.hash);  // the full path says why (and logs the refusal)
      return nullptr;
    }
    return v;
  }

  // The session's message opened as its address, or a page that says why not. The first view
  // of a session acquires a use license (its tracking row says "granted"); later views reuse
  // the opened message while kept_view() allows, and `track` adds a "viewed" row for them.
  std::variant<std::shared_ptr<const View>, Response> open(const Session& s, const Request& req,
                                                           bool track) {
    if (auto v = kept_view(s)) {
      if (track) {
        const auto& d = v->opened.decision();
        store.add_tracking({clock.now(), s.access.address, d.content_id,
                            licensing::to_string(d.rights), v->opened.info().issuer,
                            v->opened.info().owner, "viewed", ""});
      }
      return v;
    }
    auto m = store.portal_message(s.access.content_id);
    if (!m) return signed_out(req);
    const Brand b = brand_of(&*m);
    try {
      protect::Client client(source, user_for(s.access.address), client_options());
      protect::mail::MailClient mc(client, mail.irm());  // reading needs no branding
      auto opened = mc.open(crypto::as_bytes(m->wrapper));
      const std::size_t bytes = m->wrapper.size();
      m->wrapper.clear();
      auto v = std::make_shared<const View>(
          View{std::move(*m), std::move(opened), bytes, s.access.session_expires});
      keep_view(s.hash, v);
      return v;
    } catch (const Error& e) {
      switch (e.code()) {
        case Errc::revoked:
          return notice(403, b, "Message revoked",
                        "The sender has revoked this message: it can no longer be read.", req);
        case Errc::expired:
          return notice(403, b, "Message expired", "This message has expired.", req);
        case Errc::no_right:
          return notice(403, b, "Not allowed", "This address is not allowed to read this message.",
                        req);
        default:
          return notice(
              500, b, "Cannot open the message",
              "The portal could not open this message (" + std::string(to_string(e.code())) + ").",
              req);
      }
    }
  }

  // Runs `fn(brand, session, view)` on the session's message opened as its address, or
  // answers the page that says why it cannot be (signed out, revoked, expired …). `track`:
  // this request is a view of its own (the page, an attachment), not a part of one.
  template <class Fn>
  Response with_message(const Request& req, bool track, Fn&& fn) {
    auto s = session_of(req);
    if (!s) return signed_out(req);
    auto opened = open(*s, req, track);
    if (auto* r = std::get_if<Response>(&opened)) return std::move(*r);
    const auto& v = std::get<std::shared_ptr<const View>>(opened);
    return fn(brand_of(&v->message), *s, *v);
  }

  Response message_page(const Request& req) {
    return with_message(req, true, [&](const Brand& b, const Session& s, const View& v) {
      const auto& o = v.opened;
      return page(200, b, o.message().subject.empty() ? "(no subject)" : o.message().subject, req,
                  [&](const std::string& t) { return pages::message(b, o, s.access.address, t); });
    });
  }

  // The message's formatted body, sanitised, for the sandboxed frame of the message page: its
  // own CSP makes it a sandbox too, loads nothing but the portal's images, and only the
  // portal's own page may frame it.
  Response body_frame(const Request& req) {
    return with_message(req, false, [&](const Brand&, const Session&, const View& v) {
      const auto& o = v.opened;
      Response r{200,
                 "text/html; charset=utf-8",
                 pages::body_document(sanitize_html(o.message().html, body_options())),
                 {}};
      r.headers.emplace_back("Content-Security-Policy",
                             "default-src 'none'; img-src 'self'; frame-ancestors 'self'; "
                             "base-uri 'none'; form-action 'none'; sandbox allow-popups "
                             "allow-popups-to-escape-sandbox");
      r.headers.emplace_back("Referrer-Policy", "no-referrer");
      r.headers.emplace_back("X-Frame-Options", "SAMEORIGIN");
      return r;
    });
  }

  // cid: images of the body come from the message's own parts, through the portal.
  static SanitizeOptions body_options() {
    SanitizeOptions so;
    so.cid_url = [](std::string_view cid) { return "/portal/inline?cid=" + percent_encode(cid); };
    return so;
  }

  // An image part of the message named by its Content-ID (PNG, JPEG, GIF or WebP only: nothing
  // a browser would run), for the body frame.
  Response inline_image(const Request& req, const Fields& q) {
    return with_message(req, false, [&](const Brand& b, const Session&, const View& v) {
      const auto& o = v.opened;
      const std::string cid = get(q, "cid");
      for (const auto& a : o.message().attachments) {
        if (cid.empty() || a.content_id != cid) continue;
        static const char* const kTypes[] = {"image/png", "image/jpeg", "image/gif", "image/webp"};
        if (std::find(std::begin(kTypes), std::end(kTypes), a.content_type) == std::end(kTypes))
          break;
        Response r{200,
                   a.content_type,
                   std::string(reinterpret_cast<const char*>(a.data.data()), a.data.size()),
                   {}};
        secure_headers(r);
        return r;
      }
      return notice(404, b, "No such image", "This message has no such image.", req);
    });
  }

  Response attachment(const Request& req, const Fields& q) {
    return with_message(req, true, [&](const Brand& b, const Session&, const View& v) {
      return attachment_of(req, q, b, v.opened);
    });
  }

  Response attachment_of(const Request& req, const Fields& q, const Brand& b,
                         const protect::mail::OpenedMessage& o) {
    const std::string n = get(q, "n");
    std::size_t k = 0;
    for (const auto& a : o.attachments()) {
      if (a.is_inline) continue;
      if (std::to_string(k++) != n) continue;
      if (!pages::may_download(o, a))
        return notice(403, b, "Download not allowed",
                      "This message's protection does not allow downloading this attachment.", req);
      Response r;
      r.content_type = "application/octet-stream";
      r.body.assign(reinterpret_cast<const char*>(a.data.data()), a.data.size());
      r.headers.emplace_back("Content-Disposition", pages::attachment_disposition(a.filename));
      secure_headers(r);
      return r;
    }
    return notice(404, b, "No such attachment", "This message has no such attachment.", req);
  }

  // A protected reply (to the sender, or to all with REPLYALL), written in the portal and sent
  // through the relay to each recipient. MailClient::reply checks the right, keeps the
  // message's kind of protection, and refuses new recipients without FORWARD. The reply is
  // deposited too, so recipients outside the organisation can read it here.
  Response reply(const Request& req, const Fields& f) {
    return with_message(req, false, [&](const Brand& b, const Session& s, const View& v) {
      const auto& o = v.opened;
      const bool all = get(f, "all") == "1";
      const std::string text = get(f, "text");
      if (text.empty() || text.size() > 64 * 1024)
        return notice(400, b, "Reply not sent", "Write a reply of at most 64 KB.", req);
      const mime::NewMessage n = reply_message(o, s.access.address, text, all);
      protect::Client client(source, user_for(s.access.address), client_options());
      protect::mail::MailClient mc(client, mail.irm(), mail.branding());
      const auto p = mc.reply(o, mime::build(n), all);
      const std::string_view wrapped(reinterpret_cast<const char*>(p.message.data()),
                                     p.message.size());
      deposit_as(s.access.address, wrapped, {}, v.message.branding);
      for (const auto& a : n.to) mailer.send(opt.from_address, a.email, wrapped);
      for (const auto& a : n.cc) mailer.send(opt.from_address, a.email, wrapped);
      return notice(200, b, "Reply sent", "Your reply was sent, protected as the message was.",
                    req);
    });
  }

  // The reply as the reader writes it: to the sender (and, for all, the other recipients the
  // reader saw), the subject with "Re:", threaded, the original quoted.
  static mime::NewMessage reply_message(const protect::mail::OpenedMessage& o,
                                        const std::string& reader, const std::string& text,
                                        bool all) {
    const auto& m = o.message();
    mime::NewMessage n;
    n.from = {"", reader};
    n.to = {m.from};
    if (all) {
      auto others = [&](const std::vector<mime::Address>& v, std::vector<mime::Address>& out) {
        for (const auto& a : v)
          if (ascii_lower(a.email) != reader && ascii_lower(a.email) != ascii_lower(m.from.email))
            out.push_back(a);
      };
      others(m.to, n.to);
      others(m.cc, n.cc);
    }
    n.subject = ascii_lower(m.subject.substr(0, 3)) == "re:" ? m.subject : "Re: " + m.subject;
    if (!m.message_id.empty()) n.in_reply_to = n.references = "<" + m.message_id + ">";
    n.text = text + "\r\n\r\n" + m.from.to_string() + " wrote:\r\n";
    std::size_t start = 0;
    while (start < m.text.size()) {
      std::size_t end = m.text.find('\n', start);
      if (end == std::string::npos) end = m.text.size();
      std::string line = m.text.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      n.text += "> " + line + "\r\n";
      start = end + 1;
    }
    return n;
  }

  Response signout(const Request& req, const Fields& f) {
    if (!csrf_ok(req, f))
      return notice(403, brand_of(nullptr), "Refused",
                    "This form did not come from the portal's own page.", req);
    const std::string s = cookie(req, kSessionCookie);
    if (!s.empty()) {
      store.end_portal_session(session_hash(s));
      forget_view(session_hash(s));
    }
    Response r = notice(200, brand_of(nullptr), "Signed out",
                        "You have signed out. Close this window.", req);
    r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) +
                                             "=; Path=/; Secure; HttpOnly; SameSite=Strict; "
                                             "Max-Age=0");
    return r;
  }

  Response brand_css(const Fields& q) {
    auto m = store.portal_message(get(q, "id"));
    const Brand b = brand_of(m ? &*m : nullptr);
    Response r{200, "text/css; charset=utf-8", pages::brand_css(b), {}};
    secure_headers(r);
    return r;
  }

  Response logo(const Fields& q) {
    auto m = store.portal_message(get(q, "id"));
    const Brand b = brand_of(m ? &*m : nullptr);
    const auto& logo = b.config.logo;
    if (logo.empty()) return Response{404, "text/plain", "no logo\n", {}};
    Response r{200,
               pages::image_type(logo),
               std::string(reinterpret_cast<const char*>(logo.data()), logo.size()),
               {}};
    secure_headers(r);
    return r;
  }

  Response route(const Request& req) {
    const auto qmark = req.target.find('?');
    const std::string path = req.target.substr(0, qmark);
    const Fields q = qmark == std::string::npos
                         ? Fields{}
                         : parse_form(std::string_view(req.target).substr(qmark + 1));
    if (req.method == "GET") {
      if (path == "/portal/read") return read_page(req, q);
      if (path == "/portal/message") return message_page(req);
      if (path == "/portal/attachment") return attachment(req, q);
      if (path == "/portal/body") return body_frame(req);
      if (path == "/portal/inline") return inline_image(req, q);
      if (path == "/portal/static/portal.js") {
        Response r{200, "text/javascript; charset=utf-8", pages::portal_js(), {}};
        secure_headers(r);
        return r;
      }
      if (path == "/portal/static/portal.css") {
        Response r{200, "text/css; charset=utf-8", pages::portal_css(), {}};
        secure_headers(r);
        return r;
      }
      if (path == "/portal/brand.css") return brand_css(q);
      if (path == "/portal/oidc/start") return sign_in_start(req, q);
      if (path == "/portal/oidc/callback") return sign_in_return(req, q);
      if (path == "/portal/logo") return logo(q);
    } else if (req.method == "POST") {
      if (path == "/portal/code" || path == "/portal/verify" || path == "/portal/signout" ||
          path == "/portal/reply") {
        const std::string_view ct = req.header("content-type");
        if (ct.substr(0, 33) != "application/x-www-form-urlencoded")
          return notice(415, brand_of(nullptr), "Refused", "Send the portal's own form.", req);
        const Fields f = parse_form(req.body);
        if (path == "/portal/signout") return signout(req, f);
        if (!csrf_ok(req, f))
          return notice(403, brand_of(nullptr), "Refused",
                        "This form did not come from the portal's own page. Open the link in "
                        "the e-mail again.",
                        req);
        if (path == "/portal/reply") return reply(req, f);
        return path == "/portal/code" ? request_code(req, f) : verify(req, f);
      }
    }
    return notice(404, brand_of(nullptr), "Not found", "The portal has no such page.", req);
  }
};

Portal::Portal(licensing::LicenseServer& server, licensing::Store& store,
               protect::mail::MailSettings& mail, Mailer& mailer, PortalOptions options,
               const licensing::Clock* clock)
    : impl_(std::make_unique<Impl>(server, store, mail, mailer, std::move(options),
                                   clock ? *clock : licensing::system_clock())) {}

Portal::~Portal() = default;

Response Portal::handle(const Request& request) {
  try {
    return impl_->route(request);
  } catch (const Error& e) {
    // Store or relay trouble: a page, never an exception (and never the message's content).
    try {
      return impl_->notice(e.code() == Errc::unavailable ? 503 : 500, impl_->brand_of(nullptr),
                           "Something went wrong",
                           e.code() == Errc::unavailable
                               ? "The portal cannot send e-mail right now. Try again later."
                               : "The portal could not complete this request. Try again later.",
                           request);
    } catch (...) {
    }
  } catch (...) {
  }
  return Response{500, "text/plain", "internal error\n", {}};
}

std::string_view Portal::route_label(std::string_view path) {
  for (std::string_view r :
       {"/portal/read", "/portal/code", "/portal/verify", "/portal/message", "/portal/attachment",
        "/portal/body", "/portal/signout", "/portal/static/portal.css", "/portal/static/portal.js",
        "/portal/inline", "/portal/brand.css", "/portal/logo", "/portal/oidc/start",
        "/portal/oidc/callback"})
    if (path == r) return r;
  return "other";
}

std::string Portal::deposit(const std::string& caller, std::string_view wrapper,
                            const std::vector<std::string>& bcc, const std::string& branding) {
  return impl_->deposit_as(caller, wrapper, bcc, branding);
}

}  // namespace openrms::server
