#include "openrms/protect/mail_rules.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "openrms/error.hpp"
#include "openrms/text.hpp"

namespace openrms::protect::mail {

using json = nlohmann::json;
namespace mime = formats::mail;

namespace {

bool one_of(const std::string& v, const std::vector<std::string>& list) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& x) { return ascii_lower(x) == ascii_lower(v); });
}
bool contains_any(const std::string& haystack, const std::vector<std::string>& needles) {
  std::string h = ascii_lower(haystack);
  return std::any_of(needles.begin(), needles.end(), [&](const std::string& n) {
    return h.find(ascii_lower(n)) != std::string::npos;
  });
}

bool holds(const RuleConditions& c, const mime::Message& m, const std::vector<std::string>& org) {
  const std::vector<std::string> rcpts = m.recipients();
  auto internal = [&](const std::string& email) { return one_of(email_domain(email), org); };
  if (!c.from.empty() && !one_of(m.from.email, c.from)) return false;
  if (!c.from_domain.empty() && !one_of(email_domain(m.from.email), c.from_domain)) return false;
  if (!c.sent_to.empty() &&
      std::none_of(rcpts.begin(), rcpts.end(), [&](const auto& r) { return one_of(r, c.sent_to); }))
    return false;
  if (!c.recipient_domain.empty() && std::none_of(rcpts.begin(), rcpts.end(), [&](const auto& r) {
        return one_of(email_domain(r), c.recipient_domain);
      }))
    return false;
  if (c.sent_to_scope) {
    bool want_in = *c.sent_to_scope == Scope::in_organization;
    if (std::none_of(rcpts.begin(), rcpts.end(),
                     [&](const auto& r) { return internal(r) == want_in; }))
      return false;
  }
  if (c.from_scope && internal(m.from.email) != (*c.from_scope == Scope::in_organization))
    return false;
  if (!c.subject_contains.empty() && !contains_any(m.subject, c.subject_contains)) return false;
  if (!c.subject_or_body_contains.empty() && !contains_any(m.subject, c.subject_or_body_contains) &&
      !contains_any(m.text, c.subject_or_body_contains) &&
      !contains_any(m.html, c.subject_or_body_contains))
    return false;
  if (c.has_attachment && (m.file_attachment_count() > 0) != *c.has_attachment) return false;
  if (c.size_over && m.size < *c.size_over) return false;
  return true;
}

[[noreturn]] void invalid(const std::string& where, const std::string& what) {
  fail(Errc::invalid_argument, "mail flow rule " + where + ": " + what);
}

std::vector<std::string> strings(const json& v, const std::string& where, const char* field) {
  std::vector<std::string> out;
  auto one = [&](const json& x) {
    if (!x.is_string() || x.get<std::string>().empty())
      invalid(where, std::string(field) + " must be a non-empty string or a list of them");
    out.push_back(x.get<std::string>());
  };
  if (v.is_array()) {
    if (v.empty()) invalid(where, std::string(field) + " is an empty list");
    for (const auto& x : v) one(x);
  } else {
    one(v);
  }
  return out;
}

Scope scope(const json& v, const std::string& where, const char* field) {
  if (v.is_string()) {
    std::string s = ascii_lower(v.get<std::string>());
    if (s == "inorganization") return Scope::in_organization;
    if (s == "notinorganization") return Scope::not_in_organization;
  }
  invalid(where, std::string(field) + " must be \"InOrganization\" or \"NotInOrganization\"");
}

RuleConditions conditions(const json& j, const std::string& where, const char* what) {
  if (!j.is_object()) invalid(where, std::string(what) + " must be an object");
  RuleConditions c;
  for (const auto& [k, v] : j.items()) {
    if (k == "from") {
      c.from = strings(v, where, "from");
    } else if (k == "from_domain") {
      c.from_domain = strings(v, where, "from_domain");
    } else if (k == "sent_to") {
      c.sent_to = strings(v, where, "sent_to");
    } else if (k == "recipient_domain") {
      c.recipient_domain = strings(v, where, "recipient_domain");
    } else if (k == "sent_to_scope") {
      c.sent_to_scope = scope(v, where, "sent_to_scope");
    } else if (k == "from_scope") {
      c.from_scope = scope(v, where, "from_scope");
    } else if (k == "subject_contains") {
      c.subject_contains = strings(v, where, "subject_contains");
    } else if (k == "subject_or_body_contains") {
      c.subject_or_body_contains = strings(v, where, "subject_or_body_contains");
    } else if (k == "has_attachment") {
      if (!v.is_boolean()) invalid(where, "has_attachment must be true or false");
      c.has_attachment = v.get<bool>();
    } else if (k == "size_over") {
      try {
        if (v.is_number_unsigned())
          c.size_over = v.get<std::uint64_t>();
        else if (v.is_string())
          c.size_over = parse_size(v.get<std::string>());
        else
          throw Error(Errc::invalid_argument, "");
      } catch (const Error&) {
        invalid(where, "size_over must be a size such as 10MB, 500KB or a number of bytes");
      }
    } else {
      invalid(where, std::string("unknown ") + what + " \"" + k + "\"");
    }
  }
  return c;
}

json strings_json(const std::vector<std::string>& v) {
  return v.size() == 1 ? json(v.front()) : json(v);
}

json conditions_json(const RuleConditions& c) {
  json j = json::object();
  auto put = [&](const char* k, const std::vector<std::string>& v) {
    if (!v.empty()) j[k] = strings_json(v);
  };
  auto scope_s = [](Scope s) {
    return s == Scope::in_organization ? "InOrganization" : "NotInOrganization";
  };
  put("from", c.from);
  put("from_domain", c.from_domain);
  put("sent_to", c.sent_to);
  put("recipient_domain", c.recipient_domain);
  if (c.sent_to_scope) j["sent_to_scope"] = scope_s(*c.sent_to_scope);
  if (c.from_scope) j["from_scope"] = scope_s(*c.from_scope);
  put("subject_contains", c.subject_contains);
  put("subject_or_body_contains", c.subject_or_body_contains);
  if (c.has_attachment) j["has_attachment"] = *c.has_attachment;
  if (c.size_over) j["size_over"] = *c.size_over;
  return j;
}

Rule rule_from(const json& j, const std::string& where0) {
  if (!j.is_object()) invalid(where0, "must be an object");
  Rule r;
  std::string where = where0;
  if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty())
    invalid(where, "needs a non-empty \"name\"");
  r.name = j["name"].get<std::string>();
  if (r.name.size() > 128) invalid(where, "the name is longer than 128 characters");
  where = "\"" + r.name + "\"";
  bool have_actions = false;
  for (const auto& [k, v] : j.items()) {
    if (k == "name") continue;
    if (k == "enabled") {
      if (!v.is_boolean()) invalid(where, "enabled must be true or false");
      r.enabled = v.get<bool>();
    } else if (k == "conditions") {
      r.conditions = conditions(v, where, "condition");
    } else if (k == "exceptions") {
      r.exceptions = conditions(v, where, "exception");
    } else if (k == "actions") {
      have_actions = true;
      if (!v.is_object()) invalid(where, "actions must be an object");
      for (const auto& [ak, av] : v.items()) {
        if (ak == "apply") {
          if (!av.is_object()) invalid(where, "apply must be an object with a \"kind\"");
          MessageProtection p;
          std::string kind;
          for (const auto& [pk, pv] : av.items()) {
            if (!pv.is_string()) invalid(where, "apply." + pk + " must be a string");
            if (pk == "kind")
              kind = ascii_lower(pv.get<std::string>());
            else if (pk == "template")
              p.template_id = pv.get<std::string>();
            else if (pk == "branding")
              p.branding = pv.get<std::string>();
            else
              invalid(where, "unknown apply field \"" + pk + "\"");
          }
          if (kind == "encryptonly" || kind == "encrypt-only") {
            p.kind = MessageProtection::Kind::encrypt_only;
          } else if (kind == "donotforward" || kind == "do-not-forward") {
            p.kind = MessageProtection::Kind::do_not_forward;
          } else if (kind == "template") {
            p.kind = MessageProtection::Kind::template_id;
            if (p.template_id.empty()) invalid(where, "a Template action needs \"template\"");
          } else {
            invalid(where, "apply.kind must be EncryptOnly, DoNotForward or Template");
          }
          if (p.kind != MessageProtection::Kind::template_id && !p.template_id.empty())
            invalid(where, "\"template\" is only for a Template action");
          r.apply = p;
        } else if (ak == "remove_encryption" || ak == "stop_processing") {
          if (!av.is_boolean()) invalid(where, ak + " must be true or false");
          (ak == "remove_encryption" ? r.remove_encryption : r.stop_processing) = av.get<bool>();
        } else {
          invalid(where, "unknown action \"" + ak + "\"");
        }
      }
    } else {
      invalid(where, "unknown field \"" + k + "\"");
    }
  }
  if (!have_actions || (!r.apply && !r.remove_encryption && !r.stop_processing))
    invalid(where, "has no action (apply, remove_encryption or stop_processing)");
  if (r.apply && r.remove_encryption) invalid(where, "cannot both apply and remove encryption");
  return r;
}

json rule_json(const Rule& r) {
  json j;
  j["name"] = r.name;
  j["enabled"] = r.enabled;
  if (!r.conditions.empty()) j["conditions"] = conditions_json(r.conditions);
  if (!r.exceptions.empty()) j["exceptions"] = conditions_json(r.exceptions);
  json a = json::object();
  if (r.apply) {
    json p;
    p["kind"] = r.apply->kind == MessageProtection::Kind::encrypt_only     ? "EncryptOnly"
                : r.apply->kind == MessageProtection::Kind::do_not_forward ? "DoNotForward"
                                                                           : "Template";
    if (!r.apply->template_id.empty()) p["template"] = r.apply->template_id;
    if (!r.apply->branding.empty()) p["branding"] = r.apply->branding;
    a["apply"] = p;
  }
  if (r.remove_encryption) a["remove_encryption"] = true;
  if (r.stop_processing) a["stop_processing"] = true;
  j["actions"] = a;
  return j;
}

json parse_json(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end(), nullptr, true, false);
  } catch (const json::exception& e) {
    fail(Errc::invalid_argument, std::string("mail flow rules: not valid JSON (") + e.what() + ")");
  }
}

}  // namespace

bool RuleConditions::empty() const noexcept {
  return *this == RuleConditions{};
}

std::string RuleDecision::describe() const {
  switch (action) {
    case Action::none:
      return matched.empty() ? "no rule matched: sent without encryption"
                             : "rules matched but none applies encryption";
    case Action::protect:
      return "encrypt with " + protection->describe() + " (rule \"" + deciding_rule + "\")";
    case Action::remove_encryption:
      return "remove encryption (rule \"" + deciding_rule + "\")";
  }
  return "?";
}

bool matches(const Rule& rule, const mime::Message& m, const std::vector<std::string>& org) {
  if (!holds(rule.conditions, m, org)) return false;
  return rule.exceptions.empty() || !holds(rule.exceptions, m, org);
}

RuleDecision evaluate(const std::vector<Rule>& rules, const mime::Message& m,
                      const std::vector<std::string>& org) {
  RuleDecision d;
  for (const Rule& r : rules) {
    if (!r.enabled || !matches(r, m, org)) continue;
    d.matched.push_back(r.name);
    if (r.apply) {
      d.action = RuleDecision::Action::protect;
      d.protection = r.apply;
      d.deciding_rule = r.name;
    } else if (r.remove_encryption) {
      d.action = RuleDecision::Action::remove_encryption;
      d.protection.reset();
      d.deciding_rule = r.name;
    }
    if (r.stop_processing) break;
  }
  return d;
}

std::vector<Rule> rules_from_json(std::string_view text) {
  json j = parse_json(text);
  if (!j.is_array()) fail(Errc::invalid_argument, "mail flow rules must be a JSON array");
  std::vector<Rule> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < j.size(); ++i) {
    Rule r = rule_from(j[i], "#" + std::to_string(i + 1));
    if (!names.insert(ascii_lower(r.name)).second)
      invalid("\"" + r.name + "\"", "the name is used by another rule");
    out.push_back(std::move(r));
  }
  return out;
}

Rule rule_from_json(std::string_view text) {
  return rule_from(parse_json(text), "(new)");
}

std::string rules_to_json(const std::vector<Rule>& rules) {
  json j = json::array();
  for (const Rule& r : rules) j.push_back(rule_json(r));
  return j.dump(2);
}

std::uint64_t parse_size(std::string_view t) {
  std::size_t i = 0;
  std::uint64_t v = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
    if (v > (1ull << 50)) fail(Errc::invalid_argument, "size too large");
    v = v * 10 + static_cast<std::uint64_t>(t[i++] - '0');
  }
  if (i == 0) fail(Errc::invalid_argument, "not a size: " + std::string(t));
  std::string unit = ascii_lower(t.substr(i));
  if (unit.empty() || unit == "b") return v;
  if (unit == "kb") return v << 10;
  if (unit == "mb") return v << 20;
  if (unit == "gb") return v << 30;
  fail(Errc::invalid_argument, "not a size: " + std::string(t) + " (use B, KB, MB or GB)");
}

}  // namespace openrms::protect::mail
