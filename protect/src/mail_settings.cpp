#include "openrms/protect/mail_settings.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "openrms/error.hpp"
#include "openrms/text.hpp"

namespace openrms::protect::mail {

using json = nlohmann::json;

namespace {

constexpr const char* kIrmKey = "mail.irm";
constexpr const char* kBrandingKey = "mail.branding";
constexpr const char* kRulesKey = "mail.rules";

json parse(std::string_view text, const char* what, Errc code) {
  try {
    return json::parse(text.begin(), text.end(), nullptr, true, false);
  } catch (const json::exception& e) {
    fail(code, std::string(what) + ": not valid JSON (" + e.what() + ")");
  }
}

template <class T>
T get(const json& j, const char* key, const T& fallback, const char* what) {
  if (!j.contains(key)) return fallback;
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    fail(Errc::invalid_argument, std::string(what) + ": \"" + key + "\" has the wrong type");
  }
}

void only_keys(const json& j, std::initializer_list<const char*> keys, const char* what) {
  if (!j.is_object()) fail(Errc::invalid_argument, std::string(what) + " must be a JSON object");
  for (const auto& item : j.items()) {
    const std::string& k = item.key();
    if (std::none_of(keys.begin(), keys.end(), [&](const char* x) { return k == x; }))
      fail(Errc::invalid_argument, std::string(what) + ": unknown field \"" + k + "\"");
  }
}

json ome_json(const OmeConfiguration& c) {
  json j;
  j["identity"] = c.identity;
  j["introduction_text"] = c.introduction_text;
  j["read_button_text"] = c.read_button_text;
  j["email_text"] = c.email_text;
  j["portal_text"] = c.portal_text;
  j["disclaimer_text"] = c.disclaimer_text;
  j["privacy_statement_url"] = c.privacy_statement_url;
  j["background_color"] = c.background_color;
  j["logo"] = crypto::to_base64(c.logo);
  j["social_id_signin"] = c.social_id_signin;
  j["otp_enabled"] = c.otp_enabled;
  j["external_mail_expiry_days"] = c.external_mail_expiry_days;
  return j;
}

OmeConfiguration ome_from(const json& j) {
  const char* w = "branding template";
  only_keys(j,
            {"identity", "introduction_text", "read_button_text", "email_text", "portal_text",
             "disclaimer_text", "privacy_statement_url", "background_color", "logo",
             "social_id_signin", "otp_enabled", "external_mail_expiry_days"},
            w);
  OmeConfiguration c;
  c.identity = get<std::string>(j, "identity", c.identity, w);
  c.introduction_text = get<std::string>(j, "introduction_text", {}, w);
  c.read_button_text = get<std::string>(j, "read_button_text", {}, w);
  c.email_text = get<std::string>(j, "email_text", {}, w);
  c.portal_text = get<std::string>(j, "portal_text", {}, w);
  c.disclaimer_text = get<std::string>(j, "disclaimer_text", {}, w);
  c.privacy_statement_url = get<std::string>(j, "privacy_statement_url", {}, w);
  c.background_color = get<std::string>(j, "background_color", {}, w);
  c.logo = crypto::from_base64(get<std::string>(j, "logo", {}, w));
  c.social_id_signin = get<bool>(j, "social_id_signin", true, w);
  c.otp_enabled = get<bool>(j, "otp_enabled", true, w);
  c.external_mail_expiry_days = get<int>(j, "external_mail_expiry_days", 0, w);
  c.validate();
  return c;
}

}  // namespace

std::string to_json(const IrmConfiguration& c) {
  json j;
  j["service_enabled"] = c.service_enabled;
  j["automatic_service_update_enabled"] = c.automatic_service_update_enabled;
  j["enable_pdf_encryption"] = c.enable_pdf_encryption;
  j["decrypt_attachment_for_encrypt_only"] = c.decrypt_attachment_for_encrypt_only;
  j["accepted_domains"] = c.accepted_domains;
  j["portal_url"] = c.portal_url;
  j["max_message_mb"] = c.max_message_mb;
  return j.dump(2);
}

IrmConfiguration irm_from_json(std::string_view text) {
  const char* w = "IRM configuration";
  json j = parse(text, w, Errc::invalid_argument);
  only_keys(
      j,
      {"service_enabled", "automatic_service_update_enabled", "enable_pdf_encryption",
       "decrypt_attachment_for_encrypt_only", "accepted_domains", "portal_url", "max_message_mb"},
      w);
  IrmConfiguration c;
  c.service_enabled = get<bool>(j, "service_enabled", c.service_enabled, w);
  c.automatic_service_update_enabled =
      get<bool>(j, "automatic_service_update_enabled", c.automatic_service_update_enabled, w);
  c.enable_pdf_encryption = get<bool>(j, "enable_pdf_encryption", c.enable_pdf_encryption, w);
  c.decrypt_attachment_for_encrypt_only =
      get<bool>(j, "decrypt_attachment_for_encrypt_only", c.decrypt_attachment_for_encrypt_only, w);
  c.accepted_domains = get<std::vector<std::string>>(j, "accepted_domains", {}, w);
  for (auto& d : c.accepted_domains) {
    d = ascii_lower(d);
    if (d.empty() || d.find('@') != std::string::npos || d.find('.') == std::string::npos)
      fail(Errc::invalid_argument, "IRM configuration: \"" + d + "\" is not a domain name");
  }
  c.portal_url = get<std::string>(j, "portal_url", c.portal_url, w);
  if (c.portal_url.rfind("https://", 0) != 0 && c.portal_url.rfind("http://", 0) != 0)
    fail(Errc::invalid_argument, "IRM configuration: portal_url must be an http(s) URL");
  c.max_message_mb = get<std::uint64_t>(j, "max_message_mb", c.max_message_mb, w);
  if (c.max_message_mb < 1 || c.max_message_mb > 1024)
    fail(Errc::invalid_argument, "IRM configuration: max_message_mb must be between 1 and 1024");
  return c;
}

std::string to_json(const OmeConfiguration& c) {
  return ome_json(c).dump(2);
}
OmeConfiguration ome_from_json(std::string_view text) {
  return ome_from(parse(text, "branding template", Errc::invalid_argument));
}

IrmConfiguration MailSettings::irm() const {
  auto s = store_.setting(kIrmKey);
  return s ? irm_from_json(*s) : IrmConfiguration{};
}

void MailSettings::set_irm(const IrmConfiguration& c) {
  std::string text = to_json(c);
  irm_from_json(text);  // validates
  std::lock_guard<std::mutex> lock(mu_);
  store_.set_setting(kIrmKey, text);
}

std::vector<OmeConfiguration> MailSettings::branding_locked() const {
  std::vector<OmeConfiguration> out;
  if (auto s = store_.setting(kBrandingKey)) {
    json j = parse(*s, "stored branding templates", Errc::bad_format);
    if (!j.is_array()) fail(Errc::bad_format, "stored branding templates are not a list");
    for (const auto& x : j) out.push_back(ome_from(x));
  }
  const std::string def = ascii_lower(OmeConfiguration{}.identity);
  auto it = std::find_if(out.begin(), out.end(),
                         [&](const OmeConfiguration& c) { return ascii_lower(c.identity) == def; });
  if (it == out.end()) {
    out.insert(out.begin(), OmeConfiguration{});
  } else if (it != out.begin()) {
    std::rotate(out.begin(), it, it + 1);
  }
  return out;
}

std::vector<OmeConfiguration> MailSettings::branding() const {
  std::lock_guard<std::mutex> lock(mu_);
  return branding_locked();
}

OmeConfiguration MailSettings::branding(std::string_view identity) const {
  for (auto& c : branding())
    if (ascii_lower(c.identity) == ascii_lower(identity)) return c;
  fail(Errc::not_found, "no branding template named \"" + std::string(identity) + "\"");
}

namespace {
void store_branding(licensing::Store& store, const std::vector<OmeConfiguration>& all) {
  json j = json::array();
  for (const auto& c : all) j.push_back(ome_json(c));
  store.set_setting(kBrandingKey, j.dump());
}
}  // namespace

void MailSettings::add_branding(const OmeConfiguration& c) {
  c.validate();
  std::lock_guard<std::mutex> lock(mu_);
  auto all = branding_locked();
  for (const auto& x : all)
    if (ascii_lower(x.identity) == ascii_lower(c.identity))
      fail(Errc::invalid_argument,
           "a branding template named \"" + c.identity + "\" exists already (use set)");
  all.push_back(c);
  store_branding(store_, all);
}

void MailSettings::set_branding(const OmeConfiguration& c) {
  c.validate();
  std::lock_guard<std::mutex> lock(mu_);
  auto all = branding_locked();
  for (auto& x : all)
    if (ascii_lower(x.identity) == ascii_lower(c.identity)) {
      x = c;
      store_branding(store_, all);
      return;
    }
  fail(Errc::not_found, "no branding template named \"" + c.identity + "\"");
}

void MailSettings::remove_branding(std::string_view identity) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ascii_lower(identity) == ascii_lower(OmeConfiguration{}.identity))
    fail(Errc::invalid_argument, "the default branding template cannot be removed");
  auto all = branding_locked();
  auto it = std::find_if(all.begin(), all.end(), [&](const OmeConfiguration& c) {
    return ascii_lower(c.identity) == ascii_lower(identity);
  });
  if (it == all.end())
    fail(Errc::not_found, "no branding template named \"" + std::string(identity) + "\"");
  for (const Rule& r : rules())
    if (r.apply && ascii_lower(r.apply->branding) == ascii_lower(identity))
      fail(Errc::invalid_argument, "the mail flow rule \"" + r.name +
                                       "\" uses this branding template: change or remove it first");
  all.erase(it);
  store_branding(store_, all);
}

std::vector<Rule> MailSettings::rules() const {
  auto s = store_.setting(kRulesKey);
  if (!s) return {};
  try {
    return rules_from_json(*s);
  } catch (const Error& e) {
    fail(Errc::bad_format, std::string("stored mail flow rules: ") + e.what());
  }
}

void MailSettings::check_rules(const std::vector<Rule>& rules) const {
  // Names unique and valid: a round trip through the validating parser.
  rules_from_json(rules_to_json(rules));
  auto all = branding_locked();
  for (const Rule& r : rules)
    if (r.apply && !r.apply->branding.empty() &&
        std::none_of(all.begin(), all.end(), [&](const OmeConfiguration& c) {
          return ascii_lower(c.identity) == ascii_lower(r.apply->branding);
        }))
      fail(Errc::invalid_argument, "mail flow rule \"" + r.name +
                                       "\": no branding template named \"" + r.apply->branding +
                                       "\"");
}

void MailSettings::set_rules(const std::vector<Rule>& rules) {
  std::lock_guard<std::mutex> lock(mu_);
  check_rules(rules);
  store_.set_setting(kRulesKey, rules_to_json(rules));
}

void MailSettings::add_rule(const Rule& rule, std::optional<std::size_t> priority) {
  std::lock_guard<std::mutex> lock(mu_);
  auto all = rules();
  std::size_t at = std::min(priority.value_or(all.size()), all.size());
  all.insert(all.begin() + static_cast<std::ptrdiff_t>(at), rule);
  check_rules(all);
  store_.set_setting(kRulesKey, rules_to_json(all));
}

void MailSettings::remove_rule(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto all = rules();
  auto it = std::find_if(all.begin(), all.end(),
                         [&](const Rule& r) { return ascii_lower(r.name) == ascii_lower(name); });
  if (it == all.end())
    fail(Errc::not_found, "no mail flow rule named \"" + std::string(name) + "\"");
  all.erase(it);
  store_.set_setting(kRulesKey, rules_to_json(all));
}

}  // namespace openrms::protect::mail
