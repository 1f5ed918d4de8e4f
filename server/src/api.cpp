#include "openrms/server/api.hpp"

#include <sys/mman.h>
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "openrms/crypto/backend.hpp"
#include "openrms/licensing/certificate.hpp"
#include "openrms/protect/mail_settings.hpp"
#include "openrms/server/portal.hpp"

namespace openrms::server {

namespace {

using json = nlohmann::ordered_json;
using licensing::Identity;

enum class Access { anyone, user, admin };

// What a handler gets: the parsed body (an object for POST/PUT/PATCH), the path parameter and
// the caller's identity.
struct Ctx {
  licensing::LicenseServer& server;
  protect::mail::MailSettings* mail;
  Portal* portal;
  const json& body;
  const std::string& param;
  const Identity& who;
  std::string_view query;  ///< after the '?', if any
};

// A non-negative integer query parameter ("after=120"), or `fallback` when absent.
std::uint64_t query_number(const Ctx& c, std::string_view name, std::uint64_t fallback) {
  std::string_view q = c.query;
  while (!q.empty()) {
    const auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string_view v = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n > (1ULL << 62))
      fail(Errc::invalid_argument,
           "the query parameter \"" + std::string(name) + "\" must be a non-negative integer");
    return n;
  }
  return fallback;
}

using Handler = Response (*)(Ctx&);

struct Route {
  const char* method;
  const char* path;  // "{…}" marks the one path parameter, always last
  Access access;
  const char* summary;  // for the OpenAPI document
  Handler handler;
};

// Request bytes (a path, a message quoting them) need not be UTF-8: replace what is not.
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Response ok(const json& j) {
  return Response{200, "application/json", dump(j)};
}
Response no_content() {
  return Response{204, "application/json", ""};
}

// A required string member of the request body.
std::string field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string())
    fail(Errc::invalid_argument, std::string("the request body needs the string \"") + name + "\"");
  return it->get<std::string>();
}

std::optional<std::string> optional_field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string())
    fail(Errc::invalid_argument, std::string("\"") + name + "\" must be a string");
  return it->get<std::string>();
}

int int_field(const json& body, const char* name, int current) {
  auto it = body.find(name);
  if (it == body.end()) return current;
  if (!it->is_number_integer())
    fail(Errc::invalid_argument, std::string("\"") + name + "\" must be an integer");
  return it->get<int>();
}

// A policy as the <Policy> XML of policy_to_xml, or as an object in the text forms the command
// line takes: {"grants": ["group:finance@contoso.com:VIEW", …], "expiry": "30d",
// "offline": "7", "owner": "alice@contoso.com"} (only "grants" is required).
licensing::Policy policy_field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it != body.end() && it->is_object()) {
    const json& o = *it;
    for (const auto& [k, v] : o.items())
      if (k != "grants" && k != "expiry" && k != "offline" && k != "owner")
        fail(Errc::invalid_argument, "unknown policy member \"" + k + "\"");
    auto g = o.find("grants");
    if (g == o.end() || !g->is_array())
      fail(Errc::invalid_argument, "a policy needs the array \"grants\"");
    licensing::Policy p;
    for (const auto& x : *g) {
      if (!x.is_string()) fail(Errc::invalid_argument, "a grant is a string PRINCIPAL:RIGHTS");
      p.grants.push_back(licensing::parse_grant(x.get<std::string>()));
    }
    if (auto e = optional_field(o, "expiry")) p.expiry = licensing::parse_expiry(*e);
    if (auto f = optional_field(o, "offline")) p.offline = licensing::parse_offline(*f);
    if (auto w = optional_field(o, "owner")) p.owner = licensing::Principal::parse(*w).name;
    return p;
  }
  return licensing::policy_from_xml(field(body, name));
}

json template_json(const licensing::Template& t, bool with_policy) {
  json j;
  j["id"] = t.id;
  j["name"] = t.name;
  j["description"] = t.description;
  j["version"] = t.version;
  j["archived"] = t.archived;
  j["updated"] = licensing::format_time(t.updated);
  if (with_policy) j["policy"] = licensing::policy_to_xml(t.policy);
  return j;
}

json rac_json(const licensing::RacGrant& g) {
  return {{"rac", g.rac_xml}, {"valid_until", licensing::format_time(g.rac.valid_until)}};
}

json settings_json(const licensing::TenantSettings& s) {
  return {{"max_use_license_days", s.max_use_license_days},
          {"rac_validity_days", s.rac_validity_days},
          {"clc_validity_days", s.clc_validity_days}};
}

protect::mail::MailSettings& mail_of(Ctx& c) {
  if (!c.mail) fail(Errc::not_found, "this service does not serve mail settings");
  return *c.mail;
}

// A JSON document produced by the mail layer's own writer, passed through as it is.
Response raw_json(std::string text) {
  return Response{200, "application/json", std::move(text)};
}

Response h_openapi(Ctx&) {
  return Response{200, "application/json", Api::openapi()};
}

Response h_discovery(Ctx& c) {
  json j;
  json slcs = json::array();
  for (const auto& slc : c.server.anchors().all()) slcs.push_back(slc.xml);
  j["slcs"] = slcs;
  j["suites"] = json::array({"ecdsa-p256", "rsa-3072"});
  j["settings"] = settings_json(c.server.settings());
  j["max_body"] = kMaxBody;
  return ok(j);
}

Response h_enrol(Ctx& c) {
  std::string pem = field(c.body, "public_key");
  auto key = crypto::default_backend().load_public_key(crypto::as_bytes(pem));
  return ok(rac_json(c.server.enroll(c.who, &key)));
}

Response h_renew(Ctx& c) {
  return ok(rac_json(c.server.renew(c.who, field(c.body, "rac"))));
}

Response h_clc(Ctx& c) {
  return ok({{"clc", c.server.issue_clc(c.who, field(c.body, "rac"))}});
}

Response h_publish(Ctx& c) {
  licensing::PublishRequest req;
  if (auto t = optional_field(c.body, "template_id")) req.template_id = *t;
  if (c.body.contains("policy")) req.policy = policy_field(c.body, "policy");
  if (req.template_id.empty() == !req.policy)
    fail(Errc::invalid_argument, "give exactly one of \"policy\" and \"template_id\"");
  if (auto o = optional_field(c.body, "owner")) req.owner = *o;
  // The RAC is required: the owner license sealed to it is how the caller gets the content key.
  auto pub = c.server.publish(c.who, req, field(c.body, "rac"));
  return ok({{"publishing_license", pub.license_xml},
             {"content_id", pub.content_id},
             {"license_hash", pub.license_hash}});
}

Response h_acquire(Ctx& c) {
  return ok({{"use_license",
              c.server.acquire(c.who, field(c.body, "publishing_license"), field(c.body, "rac"))}});
}

Response h_policy(Ctx& c) {
  auto p = c.server.view_policy(c.who, field(c.body, "publishing_license"));
  return ok({{"policy", licensing::policy_to_xml(p)}});
}

Response h_revoke(Ctx& c) {
  c.server.revoke(c.who, field(c.body, "content_id"));
  return no_content();
}

// A tracking log as a JSON array, written as the store reads each row. A 100,000-entry log is
// ~21 MB of JSON: a json value per entry cost five times the store's read, so rows are written
// here, keys in dump()'s sorted order. A field that is not printable ASCII goes through nlohmann
// (control characters escaped, invalid UTF-8 replaced), so the text is what dump() writes.
//
// Each row is rendered into a small buffer and appended to one body reserved up front, so the
// body is never copied whole. A whole log reserves 32 MiB of address space (pages appear only
// as they are written) and asks for transparent huge pages: the ~5,000 page faults of 21 MB in
// 4 KiB pages were half the time of writing it (measured in store_scale_bench's answer).
class TrackingJson {
 public:
  explicit TrackingJson(std::size_t limit) {
    // An entry is ~215 bytes.
    body_.reserve(limit != 0 ? std::min<std::size_t>(limit, 65536) * 256 + 2 : kWholeLog);
    huge_pages(body_);
  }

  void add(const licensing::TrackingRow& e) {
    const std::string_view fields[kFields] = {e.issuer, e.license_id, e.outcome,
                                              e.owner,  e.rights,     e.user};
    std::string rendered[kFields];  // by dump(), for a field outside printable ASCII
    bool quoted[kFields] = {};      // printable ASCII with '"' or '\\'
    std::size_t bound = 160;        // keys, punctuation, seq and time
    for (std::size_t i = 0; i < kFields; ++i) {
      const Text kind = classify(fields[i]);
      quoted[i] = kind == Text::quoted;
      const bool other = kind == Text::other;
      if (other) rendered[i] = dump(json(std::string(fields[i])));
      bound += other ? rendered[i].size() : 2 * fields[i].size() + 2;
    }
    char* row = row_;
    if (bound > sizeof row_) {
      if (long_row_.size() < bound) long_row_.resize(bound);
      row = long_row_.data();
    }
    char* p = row;
    auto put = [&p](std::string_view t) { p = std::copy(t.begin(), t.end(), p); };
    auto field = [&](std::size_t i) {
      if (!rendered[i].empty()) return put(rendered[i]);
      *p++ = '"';
      if (!quoted[i]) {
        put(fields[i]);
      } else {
        for (const char ch : fields[i]) {
          if (ch == '"' || ch == '\\') *p++ = '\\';
          *p++ = ch;
        }
      }
      *p++ = '"';
    };
    *p++ = rows_++ == 0 ? '[' : ',';
    put("{\"issuer\":");
    field(0);
    put(",\"license_id\":");
    field(1);
    put(",\"outcome\":");
    field(2);
    put(",\"owner\":");
    field(3);
    put(",\"rights\":");
    field(4);
    put(",\"seq\":");
    p = std::to_chars(p, p + 20, e.seq).ptr;
    put(",\"time\":\"");
    stamp_.clear();
    licensing::append_time(stamp_, e.time);
    put(stamp_);
    put("\",\"user\":");
    field(5);
    *p++ = '}';
    body_.append(row, static_cast<std::size_t>(p - row));
  }

  std::string finish() && {
    if (rows_ == 0) body_ += '[';
    body_ += ']';
    return std::move(body_);
  }

 private:
  static constexpr std::size_t kFields = 6;
  static constexpr std::size_t kWholeLog = std::size_t{32} << 20;

  // Asks the kernel to back the reserved body with 2 MiB pages where it can (Linux; a hint
  // that changes no result: the kernel may ignore it, and so may a system without it).
  static void huge_pages(std::string& body) {
#ifdef MADV_HUGEPAGE
    constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
    if (body.capacity() < 2 * kHuge) return;
    const auto from = reinterpret_cast<std::uintptr_t>(body.data());
    const std::uintptr_t first = (from + kHuge - 1) & ~(kHuge - 1);
    const std::uintptr_t last = (from + body.capacity()) & ~(kHuge - 1);
    if (last > first)
      ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);  // a hint only
#else
    (void)body;
#endif
  }

  // What a field needs to become a JSON string: nothing, '"' and '\\' escaped, or nlohmann.
  // Eight bytes at a time (the fields of a 100,000-entry log are ~13 MB): a byte is "other" if
  // its high bit is set, it is below 0x20 or it is 0x7f; the tests are exact for "any byte".
  enum class Text { plain, quoted, other };
  static Text classify(std::string_view s) {
    constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
    auto any_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
    std::uint64_t other = 0, quote = 0;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t x;
      std::memcpy(&x, s.data() + i, 8);
      other |= (x & highs) | ((x - ones * 0x20) & ~x & highs) | any_zero(x ^ (ones * 0x7f));
      quote |= any_zero(x ^ (ones * '"')) | any_zero(x ^ (ones * '\\'));
    }
    for (; i < s.size(); ++i) {
      const auto b = static_cast<unsigned char>(s[i]);
      other |= static_cast<std::uint64_t>(b < 0x20 || b >= 0x7f);
      quote |= static_cast<std::uint64_t>(b == '"' || b == '\\');
    }
    return other ? Text::other : quote ? Text::quoted : Text::plain;
  }
  std::string body_;
  std::size_t rows_ = 0;
  char row_[1024];              // a row of ordinary length
  std::vector<char> long_row_;  // a row with long fields
  std::string stamp_;
};

// ?after=SEQ&limit=N pages through a long log: pass the last entry's seq as `after`.
Response h_track(Ctx& c) {
  const auto after = static_cast<std::int64_t>(query_number(c, "after", 0));
  const auto limit = static_cast<std::size_t>(query_number(c, "limit", 0));
  TrackingJson out(limit);
  c.server.visit_track(c.who, c.param, after, limit,
                       [&out](const licensing::TrackingRow& e) { out.add(e); });
  return Response{200, "application/json", std::move(out).finish()};
}
Response h_templates(Ctx& c) {
  json arr = json::array();
  for (const auto& t : c.server.templates(false)) arr.push_back(template_json(t, false));
  return ok(arr);
}

Response h_template(Ctx& c) {
  return ok(template_json(c.server.get_template(c.param), false));
}

Response h_admin_templates(Ctx& c) {
  json arr = json::array();
  for (const auto& t : c.server.templates(true)) arr.push_back(template_json(t, true));
  return ok(arr);
}

Response h_admin_template(Ctx& c) {
  return ok(template_json(c.server.get_template(c.param), true));
}

Response h_create_template(Ctx& c) {
  auto t = c.server.create_template(
      field(c.body, "name"), optional_field(c.body, "description").value_or(""),
      policy_field(c.body, "policy"), optional_field(c.body, "id").value_or(""));
  return ok(template_json(t, true));
}

Response h_update_template(Ctx& c) {
  std::optional<licensing::Policy> policy;
  if (c.body.contains("policy")) policy = policy_field(c.body, "policy");
  auto name = optional_field(c.body, "name");
  auto description = optional_field(c.body, "description");
  if (name || description || policy) c.server.update_template(c.param, name, description, policy);
  if (auto a = c.body.find("archived"); a != c.body.end()) {
    if (!a->is_boolean()) fail(Errc::invalid_argument, "\"archived\" must be true or false");
    c.server.archive_template(c.param, a->get<bool>());
  }
  return ok(template_json(c.server.get_template(c.param), true));
}

Response h_get_settings(Ctx& c) {
  return ok(settings_json(c.server.settings()));
}

Response h_put_settings(Ctx& c) {
  auto s = c.server.settings();
  s.max_use_license_days = int_field(c.body, "max_use_license_days", s.max_use_license_days);
  s.rac_validity_days = int_field(c.body, "rac_validity_days", s.rac_validity_days);
  s.clc_validity_days = int_field(c.body, "clc_validity_days", s.clc_validity_days);
  c.server.set_settings(s);
  return ok(settings_json(c.server.settings()));
}

Response h_get_irm(Ctx& c) {
  return raw_json(protect::mail::to_json(mail_of(c).irm()));
}

Response h_put_irm(Ctx& c) {
  auto& m = mail_of(c);
  m.set_irm(protect::mail::irm_from_json(dump(c.body)));
  return raw_json(protect::mail::to_json(m.irm()));
}

Response h_branding(Ctx& c) {
  std::string out = "[";
  for (const auto& b : mail_of(c).branding()) {
    if (out.size() > 1) out += ',';
    out += protect::mail::to_json(b);
  }
  return raw_json(out + "]");
}

Response h_put_branding(Ctx& c) {
  auto& m = mail_of(c);
  json body = c.body;
  body["identity"] = c.param;  // the path names the template
  auto b = protect::mail::ome_from_json(dump(body));
  bool exists = false;
  for (const auto& x : m.branding()) exists = exists || x.identity == b.identity;
  if (exists)
    m.set_branding(b);
  else
    m.add_branding(b);
  return raw_json(protect::mail::to_json(m.branding(b.identity)));
}

Response h_delete_branding(Ctx& c) {
  mail_of(c).remove_branding(c.param);
  return no_content();
}

// What a mail client needs to protect and open messages as the tenant configured: the IRM
// configuration, the branding templates and the mail flow rules.
// The sender deposits a protected message for its external recipients' portal.
Response h_portal_deposit(Ctx& c) {
  if (!c.portal) fail(Errc::not_found, "this service runs no portal");
  std::vector<std::string> bcc;
  if (auto it = c.body.find("bcc"); it != c.body.end()) {
    if (!it->is_array()) fail(Errc::invalid_argument, "\"bcc\" must be an array of addresses");
    for (const auto& x : *it) {
      if (!x.is_string()) fail(Errc::invalid_argument, "\"bcc\" must be an array of addresses");
      bcc.push_back(x.get<std::string>());
    }
  }
  const crypto::Bytes wrapper = crypto::from_base64(field(c.body, "wrapper"));
  const std::string id = c.portal->deposit(
      c.who.email, std::string_view(reinterpret_cast<const char*>(wrapper.data()), wrapper.size()),
      bcc, optional_field(c.body, "branding").value_or(""));
  return ok(json{{"content_id", id}});
}

Response h_mail_client_settings(Ctx& c) {
  auto& m = mail_of(c);
  json j;
  j["irm"] = json::parse(protect::mail::to_json(m.irm()));
  j["branding"] = json::array();
  for (const auto& b : m.branding())
    j["branding"].push_back(json::parse(protect::mail::to_json(b)));
  j["rules"] = json::parse(protect::mail::rules_to_json(m.rules()));
  return ok(j);
}

Response h_rules(Ctx& c) {
  return raw_json(protect::mail::rules_to_json(mail_of(c).rules()));
}

Response h_put_rules(Ctx& c) {
  auto& m = mail_of(c);
  auto it = c.body.find("rules");
  if (it == c.body.end() || !it->is_array())
    fail(Errc::invalid_argument, "the request body needs the array \"rules\"");
  m.set_rules(protect::mail::rules_from_json(dump(*it)));
  return raw_json(protect::mail::rules_to_json(m.rules()));
}

constexpr Route kRoutes[] = {
    {"GET", "/v1/openapi.json", Access::anyone, "This OpenAPI document", h_openapi},
    {"GET", "/v1/discovery", Access::anyone, "Server licensor certificates, suites and limits",
     h_discovery},
    {"POST", "/v1/racs", Access::user, "Enrol: a RAC for the caller's own public key", h_enrol},
    {"POST", "/v1/racs/renew", Access::user, "Renew the caller's RAC (same key pair)", h_renew},
    {"POST", "/v1/clcs", Access::user, "A client licensor certificate for offline publishing",
     h_clc},
    {"POST", "/v1/publish", Access::user,
     "A publishing license; its owner license carries the content key sealed to the caller's RAC",
     h_publish},
    {"POST", "/v1/acquire", Access::user, "A use license for the caller", h_acquire},
    {"POST", "/v1/policy", Access::user, "The policy of a publishing license (VIEWRIGHTSDATA)",
     h_policy},
    {"POST", "/v1/revoke", Access::user, "Revoke content the caller issued", h_revoke},
    {"GET", "/v1/track/{content_id}", Access::user, "The tracking log of content the caller issued",
     h_track},
    {"GET", "/v1/templates", Access::user, "Templates offered for new content", h_templates},
    {"GET", "/v1/templates/{id}", Access::user, "One template", h_template},
    {"GET", "/v1/mail/client-settings", Access::user,
     "IRM configuration, branding templates and mail flow rules, for mail clients",
     h_mail_client_settings},
    {"POST", "/v1/portal/messages", Access::user,
     "Deposit a protected message (the sender's) for its recipients' portal", h_portal_deposit},
    {"GET", "/v1/admin/templates", Access::admin, "Every template, archived too, with policies",
     h_admin_templates},
    {"GET", "/v1/admin/templates/{id}", Access::admin, "One template with its policy",
     h_admin_template},
    {"POST", "/v1/admin/templates", Access::admin, "Create a template", h_create_template},
    {"PATCH", "/v1/admin/templates/{id}", Access::admin, "Update or archive a template",
     h_update_template},
    {"GET", "/v1/admin/settings", Access::admin, "Tenant settings", h_get_settings},
    {"PUT", "/v1/admin/settings", Access::admin, "Change tenant settings", h_put_settings},
    {"GET", "/v1/admin/mail/irm", Access::admin, "IRM configuration", h_get_irm},
    {"PUT", "/v1/admin/mail/irm", Access::admin, "Replace the IRM configuration", h_put_irm},
    {"GET", "/v1/admin/mail/branding", Access::admin, "Branding templates", h_branding},
    {"PUT", "/v1/admin/mail/branding/{name}", Access::admin,
     "Create or replace a branding template", h_put_branding},
    {"DELETE", "/v1/admin/mail/branding/{name}", Access::admin, "Remove a branding template",
     h_delete_branding},
    {"GET", "/v1/admin/mail/rules", Access::admin, "Mail flow rules", h_rules},
    {"PUT", "/v1/admin/mail/rules", Access::admin, "Replace the mail flow rules", h_put_rules},
};

// The parameter when `path` matches the template `pattern` ("" if it has none); nullopt if not.
std::optional<std::string> match(std::string_view pattern, std::string_view path) {
  const auto brace = pattern.find('{');
  if (brace == std::string_view::npos)
    return pattern == path ? std::optional<std::string>("") : std::nullopt;
  if (path.size() <= brace || path.substr(0, brace) != pattern.substr(0, brace))
    return std::nullopt;
  std::string_view param = path.substr(brace);
  if (param.empty() || param.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(param);
}

const char* title_of(int status) {
  switch (status) {
    case 400:
      return "Bad request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not found";
    case 405:
      return "Method not allowed";
    case 413:
      return "Request too large";
    case 415:
      return "Unsupported";
    case 422:
      return "Integrity check failed";
    case 429:
      return "Too many requests";
    case 431:
      return "Request headers too large";
    case 503:
      return "Service unavailable";
    default:
      return "Server error";
  }
}

bool has_body(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

Response problem(int status, std::string_view code, std::string_view detail) {
  json j;
  j["type"] = "urn:openrms:problem:" + std::string(code);
  j["title"] = title_of(status);
  j["status"] = status;
  j["detail"] = detail;
  j["code"] = code;
  return Response{status, "application/problem+json", dump(j)};
}

int http_status(Errc code) noexcept {
  switch (code) {
    case Errc::bad_format:
    case Errc::invalid_argument:
      return 400;
    case Errc::unsupported:
      return 415;
    case Errc::unauthenticated:
    case Errc::wrong_password:
    case Errc::rac_expired:
      return 401;
    case Errc::no_right:
    case Errc::revoked:
    case Errc::expired:
    case Errc::license_expired:
      return 403;
    case Errc::not_found:
      return 404;
    case Errc::integrity:
      return 422;
    case Errc::unavailable:
      return 503;
    case Errc::io:
    case Errc::crypto:
    case Errc::internal:
      return 500;
  }
  return 500;
}

Api::Api(licensing::LicenseServer& server, protect::mail::MailSettings* mail, Portal* portal)
    : server_(server), mail_(mail), portal_(portal) {}

std::vector<std::pair<std::string, std::string>> Api::routes() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& r : kRoutes) out.emplace_back(r.method, r.path);
  return out;
}

std::string_view Api::route_label(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  for (const Route& r : kRoutes)
    if (match(r.path, path)) return r.path;
  return "other";
}

bool Api::ready() noexcept {
  try {
    (void)server_.settings();
    return true;
  } catch (...) {
    return false;
  }
}

std::string Api::openapi() {
  json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", "openrms licensing service"}, {"version", "1"}};
  json paths = json::object();
  for (const Route& r : kRoutes) {
    std::string method = r.method;
    for (auto& ch : method) ch = static_cast<char>(ch - 'A' + 'a');
    json op;
    op["summary"] = r.summary;
    if (r.access != Access::anyone) op["security"] = json::array({{{"bearer", json::array()}}});
    if (r.access == Access::admin) op["x-openrms-role"] = "admin";
    if (std::string_view p = r.path; p.find('{') != std::string_view::npos) {
      const auto b = p.find('{');
      op["parameters"] = json::array({{{"name", std::string(p.substr(b + 1, p.size() - b - 2))},
                                       {"in", "path"},
                                       {"required", true},
                                       {"schema", {{"type", "string"}}}}});
    }
    if (has_body(r.method))
      op["requestBody"] = {{"required", true},
                           {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    json responses;
    responses["200"] = {{"description", "OK"}};
    responses["default"] = {
        {"description", "An RFC 9457 problem document whose code is an openrms error code"}};
    op["responses"] = responses;
    paths[r.path][method] = op;
  }
  doc["paths"] = paths;
  doc["components"]["securitySchemes"]["bearer"] = {
      {"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}};
  return doc.dump(2);
}

Response Api::handle(const Request& req, const std::optional<Caller>& caller) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  const Route* route = nullptr;
  std::string param;
  bool path_known = false;
  for (const Route& r : kRoutes) {
    auto m = match(r.path, path);
    if (!m) continue;
    path_known = true;
    if (req.method == r.method) {
      route = &r;
      param = *m;
      break;
    }
  }
  if (!route)
    return path_known ? problem(405, "invalid_argument", req.method + " is not allowed on " + path)
                      : problem(404, "not_found", "no such route: " + path);
  if (route->access != Access::anyone && !caller)
    return problem(401, "unauthenticated",
                   "this route needs an authenticated caller (a bearer token)");
  if (route->access == Access::admin && !caller->admin)
    return problem(403, "no_right", "this route is for administrators");
  const std::size_t limit = path == "/v1/portal/messages" ? kMaxDepositBody : kMaxBody;
  if (req.body.size() > limit)
    return problem(413, "invalid_argument",
                   "the request body is larger than " + std::to_string(limit) + " bytes");
  try {
    json body;
    if (has_body(route->method)) {
      body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (!body.is_object()) fail(Errc::bad_format, "the request body must be a JSON object");
    }
    const Identity who{caller ? caller->email : std::string()};
    const auto qmark = req.target.find('?');
    const std::string_view query = qmark == std::string::npos
                                       ? std::string_view()
                                       : std::string_view(req.target).substr(qmark + 1);
    Ctx ctx{server_, mail_, portal_, body, param, who, query};
    return route->handler(ctx);
  } catch (const Error& e) {
    return problem(http_status(e.code()), to_string(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return problem(500, "internal", "out of memory");
  } catch (const std::exception&) {
    return problem(500, "internal", "internal error");
  }
}

}  // namespace openrms::server
