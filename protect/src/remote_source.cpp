#include "openrms/protect/remote_source.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

#include "openrms/error.hpp"

namespace openrms::protect {

namespace {

using json = nlohmann::json;

enum class Retry { always_safe, only_unsent };

// The service's answer as an Error: its problem document's code and detail when it sent one.
[[noreturn]] void fail_from(const HttpResponse& r, const std::string& what) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("code") && j["code"].is_string()) {
    auto code = errc_from_string(j["code"].get<std::string>());
    std::string detail = j.value("detail", "");
    if (code && !detail.empty()) fail(*code, detail);
  }
  const Errc code = r.status == 401   ? Errc::unauthenticated
                    : r.status == 403 ? Errc::no_right
                    : r.status == 404 ? Errc::not_found
                    : r.status == 503 || r.status == 429 || r.status == 502 || r.status == 504
                        ? Errc::unavailable
                    : r.status < 500 ? Errc::invalid_argument
                                     : Errc::internal;
  fail(code, what + ": the service answered HTTP " + std::to_string(r.status));
}

std::string text_field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string())
    fail(Errc::bad_format, std::string("the service's answer has no \"") + name + "\"");
  return it->get<std::string>();
}

}  // namespace

struct RemoteLicenseSource::Impl {
  RemoteOptions opt;
  HttpClient http;
  licensing::TrustAnchors anchors;

  explicit Impl(RemoteOptions o) : opt(std::move(o)), http(opt.http) {
    while (!opt.url.empty() && opt.url.back() == '/') opt.url.pop_back();
  }

  json call(const char* method, const std::string& path, const json& body, Retry retry,
            const char* what) {
    std::vector<std::string> headers = {"Accept: application/json"};
    if (!opt.token.empty()) headers.push_back("Authorization: Bearer " + opt.token);
    std::string payload;
    if (!body.is_null()) {
      headers.emplace_back("Content-Type: application/json");
      payload = body.dump();
    }
    const int attempts = std::max(1, opt.attempts);
    for (int i = 1;; ++i) {
      bool sent = false;
      std::chrono::milliseconds wait(100 << (2 * (i - 1)));
      try {
        HttpResponse r = http.request(method, opt.url + path, headers, payload, &sent);
        if (r.status == 200) {
          json j = json::parse(r.body, nullptr, false);
          if (j.is_discarded()) fail(Errc::bad_format, std::string(what) + ": not JSON");
          return j;
        }
        if (r.status == 204) return json();
        const bool busy = r.status == 503 || r.status == 429;
        if (!busy || retry != Retry::always_safe || i >= attempts) fail_from(r, what);
        if (r.status == 429)
          wait = std::chrono::milliseconds(std::min<long>(2000, wait.count() * 4));
      } catch (const Error& e) {
        if (e.code() != Errc::unavailable || i >= attempts) throw;
        if (sent && retry != Retry::always_safe) throw;
      }
      std::this_thread::sleep_for(wait);
    }
  }
};

RemoteLicenseSource::RemoteLicenseSource(RemoteOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  json d = impl_->call("GET", "/v1/discovery", json(), Retry::always_safe, "discovery");
  if (!d.contains("slcs") || !d["slcs"].is_array() || d["slcs"].empty())
    fail(Errc::bad_format, "the service's discovery document lists no SLC");
  for (const auto& x : d["slcs"]) {
    if (!x.is_string()) fail(Errc::bad_format, "the service's discovery document is malformed");
    impl_->anchors.add(x.get<std::string>());
  }
}

RemoteLicenseSource::~RemoteLicenseSource() = default;

const licensing::TrustAnchors& RemoteLicenseSource::anchors() {
  return impl_->anchors;
}

licensing::Published RemoteLicenseSource::publish(const licensing::Identity&,
                                                  const licensing::PublishRequest& request,
                                                  std::string_view rac_xml) {
  json body;
  if (request.policy) body["policy"] = licensing::policy_to_xml(*request.policy);
  if (!request.template_id.empty()) body["template_id"] = request.template_id;
  if (!request.owner.empty()) body["owner"] = request.owner;
  body["rac"] = rac_xml;
  json r = impl_->call("POST", "/v1/publish", body, Retry::only_unsent, "publishing");
  licensing::Published out;
  out.license_xml = text_field(r, "publishing_license");
  out.content_id = text_field(r, "content_id");
  out.license_hash = text_field(r, "license_hash");
  return out;  // content_key: in the owner license (see the header)
}

std::string RemoteLicenseSource::acquire(const licensing::Identity&, std::string_view pl_xml,
                                         std::string_view rac_xml) {
  json r = impl_->call("POST", "/v1/acquire", {{"publishing_license", pl_xml}, {"rac", rac_xml}},
                       Retry::always_safe, "acquiring a use license");
  return text_field(r, "use_license");
}

licensing::Policy RemoteLicenseSource::view_policy(const licensing::Identity&,
                                                   std::string_view pl_xml) {
  json r = impl_->call("POST", "/v1/policy", {{"publishing_license", pl_xml}}, Retry::always_safe,
                       "reading the policy");
  return licensing::policy_from_xml(text_field(r, "policy"));
}

void RemoteLicenseSource::revoke(const licensing::Identity&, std::string_view content_id) {
  impl_->call("POST", "/v1/revoke", {{"content_id", content_id}}, Retry::only_unsent, "revoking");
}

std::vector<licensing::TrackingEntry> RemoteLicenseSource::track(const licensing::Identity&,
                                                                 std::string_view content_id,
                                                                 std::int64_t after_seq,
                                                                 std::size_t limit) {
  for (char c : content_id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-'))
      fail(Errc::invalid_argument, "a content id is a UUID");
  std::string path = "/v1/track/" + std::string(content_id);
  if (after_seq > 0 || limit > 0)
    path += "?after=" + std::to_string(after_seq) + "&limit=" + std::to_string(limit);
  json r = impl_->call("GET", path, json(), Retry::always_safe, "reading the tracking log");
  std::vector<licensing::TrackingEntry> out;
  if (!r.is_array()) fail(Errc::bad_format, "the tracking log is not a list");
  for (const auto& e : r) {
    if (!e.is_object()) fail(Errc::bad_format, "a tracking entry is not an object");
    licensing::TrackingEntry t;
    auto time = licensing::parse_time(text_field(e, "time"));
    if (!time) fail(Errc::bad_format, "a tracking entry has a malformed time");
    t.time = *time;
    t.user = text_field(e, "user");
    t.content_id = std::string(content_id);
    t.rights = text_field(e, "rights");
    t.outcome = text_field(e, "outcome");
    t.issuer = text_field(e, "issuer");
    t.owner = text_field(e, "owner");
    if (e.contains("license_id")) t.license_id = text_field(e, "license_id");
    if (e.contains("seq") && e["seq"].is_number_integer()) t.seq = e["seq"].get<std::int64_t>();
    if (auto s = e.find("seq"); s != e.end() && s->is_number_integer())
      t.seq = s->get<std::int64_t>();
    out.push_back(std::move(t));
  }
  return out;
}

std::string RemoteLicenseSource::enroll(std::string_view public_key_pem) {
  json r = impl_->call("POST", "/v1/racs", {{"public_key", public_key_pem}}, Retry::always_safe,
                       "enrolling");
  return text_field(r, "rac");
}

std::string RemoteLicenseSource::renew(std::string_view rac_xml) {
  json r = impl_->call("POST", "/v1/racs/renew", {{"rac", rac_xml}}, Retry::always_safe,
                       "renewing the RAC");
  return text_field(r, "rac");
}

namespace {

licensing::Template template_of(const json& t) {
  if (!t.is_object()) fail(Errc::bad_format, "a template is not an object");
  licensing::Template out;
  out.id = text_field(t, "id");
  out.name = text_field(t, "name");
  out.description = t.value("description", "");
  out.version = t.value("version", 0);
  out.archived = t.value("archived", false);
  if (t.contains("updated"))
    if (auto when = licensing::parse_time(text_field(t, "updated"))) out.updated = *when;
  if (t.contains("policy")) out.policy = licensing::policy_from_xml(text_field(t, "policy"));
  return out;
}

std::vector<licensing::Template> templates_of(const json& r) {
  if (!r.is_array()) fail(Errc::bad_format, "the template list is not a list");
  std::vector<licensing::Template> out;
  for (const auto& t : r) out.push_back(template_of(t));
  return out;
}

std::string path_part(const std::string& id) {
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      fail(Errc::invalid_argument, "a template id is letters, digits, '-', '_' and '.'");
  if (id.empty()) fail(Errc::invalid_argument, "a template id is not empty");
  return id;
}

}  // namespace

std::vector<licensing::Template> RemoteLicenseSource::templates() {
  return templates_of(
      impl_->call("GET", "/v1/templates", json(), Retry::always_safe, "listing templates"));
}

std::vector<licensing::Template> RemoteLicenseSource::admin_templates() {
  return templates_of(
      impl_->call("GET", "/v1/admin/templates", json(), Retry::always_safe, "listing templates"));
}

licensing::Template RemoteLicenseSource::admin_template(const std::string& id) {
  return template_of(impl_->call("GET", "/v1/admin/templates/" + path_part(id), json(),
                                 Retry::always_safe, "reading the template"));
}

licensing::Template RemoteLicenseSource::create_template(const std::string& name,
                                                         const std::string& description,
                                                         const licensing::Policy& policy,
                                                         const std::string& id) {
  json body = {
      {"name", name}, {"description", description}, {"policy", licensing::policy_to_xml(policy)}};
  if (!id.empty()) body["id"] = path_part(id);
  return template_of(impl_->call("POST", "/v1/admin/templates", body, Retry::only_unsent,
                                 "creating the template"));
}

licensing::Template RemoteLicenseSource::update_template(const std::string& id,
                                                         std::optional<std::string> name,
                                                         std::optional<std::string> description,
                                                         std::optional<licensing::Policy> policy,
                                                         std::optional<bool> archived) {
  json body = json::object();
  if (name) body["name"] = *name;
  if (description) body["description"] = *description;
  if (policy) body["policy"] = licensing::policy_to_xml(*policy);
  if (archived) body["archived"] = *archived;
  return template_of(impl_->call("PATCH", "/v1/admin/templates/" + path_part(id), body,
                                 Retry::always_safe, "updating the template"));
}

std::string RemoteLicenseSource::mail_client_settings() {
  return impl_
      ->call("GET", "/v1/mail/client-settings", json(), Retry::always_safe, "reading mail settings")
      .dump();
}

// Idempotent (a deposit replaces the same content id), so it may be retried.
std::string RemoteLicenseSource::deposit_for_portal(crypto::ByteView wrapper,
                                                    const std::vector<std::string>& bcc,
                                                    const std::string& branding) {
  json body{{"wrapper", crypto::to_base64(wrapper)}, {"bcc", bcc}};
  if (!branding.empty()) body["branding"] = branding;
  json r = impl_->call("POST", "/v1/portal/messages", body, Retry::always_safe,
                       "depositing the message for the portal");
  if (!r.is_object() || !r.contains("content_id") || !r["content_id"].is_string())
    fail(Errc::bad_format, "the service's deposit answer has no content id");
  return r["content_id"].get<std::string>();
}

}  // namespace openrms::protect
