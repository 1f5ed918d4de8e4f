#include "openrms/licensing/policy.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "openrms/error.hpp"
#include "text.hpp"
#include "xml_util.hpp"

namespace openrms::licensing {
using detail::lower;
using detail::trim;

namespace {

bool plausible_domain(std::string_view d) {
  if (d.empty() || d.size() > 253 || d.front() == '.' || d.back() == '.' ||
      d.find('.') == std::string_view::npos)
    return false;
  return std::all_of(d.begin(), d.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

bool plausible_email(std::string_view e) {
  auto at = e.find('@');
  if (at == std::string_view::npos || at == 0 || e.find('@', at + 1) != std::string_view::npos ||
      e.size() > 320 || !valid_utf8(e))
    return false;
  // Unquoted local parts only: ':' would also make "user:group:x@y" read back as a group.
  for (char c : e.substr(0, at))
    if (std::isspace(static_cast<unsigned char>(c)) ||
        std::iscntrl(static_cast<unsigned char>(c)) ||
        std::string_view(":,;<>\"()[]\\").find(c) != std::string_view::npos)
      return false;
  return plausible_domain(e.substr(at + 1));
}

std::optional<int> parse_int(std::string_view s, int lo, int hi) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

std::string_view preset_name(Preset p) {
  switch (p) {
    case Preset::none:
      return "none";
    case Preset::do_not_forward:
      return "do-not-forward";
    case Preset::encrypt_only:
      return "encrypt-only";
  }
  return "none";
}

}  // namespace

Principal Principal::parse(std::string_view text) {
  std::string t = lower(trim(text));
  Principal p;
  auto reject = [&](std::string_view why) {
    fail(Errc::invalid_argument,
         "principal '" + std::string(t.substr(0, 80)) + "': " + std::string(why));
  };
  if (t == "everyone" || t == "authenticatedusers" || t == "authenticated users") {
    p.kind = Kind::everyone;
    return p;
  }
  if (t.rfind("group:", 0) == 0) {
    p.kind = Kind::group;
    p.name = t.substr(6);
    if (!plausible_email(p.name)) reject("a group is named by its e-mail address");
    return p;
  }
  if (t.rfind("domain:", 0) == 0 || t.rfind("@", 0) == 0) {
    p.kind = Kind::domain;
    p.name = t.substr(t[0] == '@' ? 1 : 7);
    if (!plausible_domain(p.name)) reject("not a domain name");
    return p;
  }
  if (t.rfind("user:", 0) == 0) t = t.substr(5);
  p.kind = Kind::user;
  p.name = t;
  if (!plausible_email(p.name))
    reject("expected an e-mail address, group:EMAIL, domain:NAME, @NAME or everyone");
  return p;
}

std::string Principal::to_string() const {
  switch (kind) {
    case Kind::user:
      return name;
    case Kind::group:
      return "group:" + name;
    case Kind::domain:
      return "domain:" + name;
    case Kind::everyone:
      return "everyone";
  }
  return name;
}

bool Principal::matches(std::string_view email, const std::vector<std::string>& groups) const {
  std::string e = lower(email);
  switch (kind) {
    case Kind::everyone:
      return !e.empty();
    case Kind::user:
      return e == name;
    case Kind::domain: {
      auto at = e.rfind('@');
      return at != std::string::npos && e.substr(at + 1) == name;
    }
    case Kind::group:
      return std::any_of(groups.begin(), groups.end(),
                         [&](const std::string& g) { return lower(g) == name; });
  }
  return false;
}

std::optional<Time> ContentExpiry::resolve(Time protected_at) const {
  switch (kind) {
    case Kind::never:
      return std::nullopt;
    case Kind::on_date:
      return date;
    case Kind::days_after_protection:
      return protected_at + licensing::days(days);
  }
  return std::nullopt;
}

Rights Policy::rights_for(std::string_view email, const std::vector<std::string>& groups) const {
  Rights r;
  for (const Grant& g : grants)
    if (g.who.matches(email, groups)) r = r | g.rights;
  return r;
}

Policy do_not_forward_policy(std::string_view sender, const std::vector<std::string>& recipients) {
  Policy p;
  p.preset = Preset::do_not_forward;
  std::vector<std::string> seen;
  auto add = [&](std::string_view who) {
    Principal pr = Principal::parse(who);
    if (pr.kind != Principal::Kind::user)
      fail(Errc::invalid_argument, "Do Not Forward recipients are e-mail addresses");
    if (std::find(seen.begin(), seen.end(), pr.name) != seen.end()) return;
    seen.push_back(pr.name);
    p.grants.push_back({pr, do_not_forward_rights()});
  };
  add(sender);
  for (const auto& r : recipients) add(r);
  return p;
}

Policy encrypt_only_policy() {
  Policy p;
  p.preset = Preset::encrypt_only;
  p.grants.push_back({Principal{Principal::Kind::everyone, ""}, encrypt_only_rights()});
  return p;
}

std::vector<std::string> lint(const Policy& policy, Time now) {
  std::vector<std::string> w;
  if (policy.grants.empty())
    w.push_back("no one is granted any right: only the issuer and the owner can open the content");
  for (std::size_t i = 0; i < policy.grants.size(); ++i) {
    const Grant& g = policy.grants[i];
    std::string who = g.who.to_string();
    Rights r = g.rights;
    if (r.empty()) w.push_back(who + ": granted no rights");
    if (!r.empty() && !r.has(Right::view))
      w.push_back(who + ": granted rights without VIEW, so they cannot open the content");
    bool mail =
        r.has_direct(Right::forward) || r.has_direct(Right::reply) || r.has_direct(Right::replyall);
    bool level = false;  // a documented permission level is taken as intended
    for (auto l : {PermissionLevel::viewer, PermissionLevel::restricted_editor,
                   PermissionLevel::editor, PermissionLevel::co_owner})
      level = level || r == rights_of(l);
    if (mail && !level && !r.has(Right::owner) && !(r.has(Right::docedit) && r.has(Right::edit)))
      w.push_back(who +
                  ": FORWARD, REPLY or REPLYALL without DOCEDIT and EDIT — the documentation "
                  "advises granting Edit Content and Save too, or the recipient cannot include "
                  "the original in a reply or forward");
    if (r.has_direct(Right::docedit) && !r.has(Right::edit))
      w.push_back(who + ": DOCEDIT (Edit Content) without EDIT (Save): edits cannot be saved");
    if (r.has_direct(Right::editrightsdata) && !r.has_direct(Right::owner))
      w.push_back(who + ": EDITRIGHTSDATA (Change Rights) also lets them remove protection");
    if (r.has_direct(Right::owner) && g.who.kind != Principal::Kind::user)
      w.push_back(who + ": Full Control (OWNER) for a whole " +
                  std::string(g.who.kind == Principal::Kind::group    ? "group"
                              : g.who.kind == Principal::Kind::domain ? "domain"
                                                                      : "tenant") +
                  " lets every member remove protection");
    for (std::size_t j = 0; j < i; ++j)
      if (policy.grants[j].who == g.who) {
        w.push_back(who + ": listed more than once (the rights are combined)");
        break;
      }
  }
  if (policy.expiry.kind == ContentExpiry::Kind::on_date && policy.expiry.date <= now)
    w.push_back("the content expiry date is in the past: only the issuer and owner could open it");
  if (policy.offline.kind == OfflineAccess::Kind::never)
    w.push_back("offline access 'never': every open needs the license server (no caching)");
  return w;
}

Grant parse_grant(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    fail(Errc::invalid_argument, "a grant is PRINCIPAL:RIGHTS, e.g. alice@contoso.com:VIEW,PRINT");
  Grant g;
  g.who = Principal::parse(text.substr(0, colon));
  g.rights = parse_rights(text.substr(colon + 1));
  if (g.rights.empty())
    fail(Errc::invalid_argument, "grant '" + std::string(text.substr(0, 80)) + "' names no rights");
  return g;
}

ContentExpiry parse_expiry(std::string_view text) {
  std::string t = lower(trim(text));
  ContentExpiry e;
  if (t.empty() || t == "never" || t == "none") return e;
  std::string_view num = t;
  if (!num.empty() && num.back() == 'd') num.remove_suffix(1);
  if (auto n = parse_int(num, 1, 36500)) {
    e.kind = ContentExpiry::Kind::days_after_protection;
    e.days = *n;
    return e;
  }
  std::string full(trim(text));
  if (full.size() == 10) full += "T00:00:00Z";
  if (auto d = parse_time(full)) {
    e.kind = ContentExpiry::Kind::on_date;
    e.date = *d;
    return e;
  }
  fail(Errc::invalid_argument, "content expiry '" + std::string(text.substr(0, 40)) +
                                   "': use never, a number of days (30d) or a UTC date "
                                   "(2027-01-31 or 2027-01-31T12:00:00Z)");
}

OfflineAccess parse_offline(std::string_view text) {
  std::string t = lower(trim(text));
  OfflineAccess o;
  if (t == "always") return o;
  if (t == "never" || t == "0") {
    o.kind = OfflineAccess::Kind::never;
    return o;
  }
  std::string_view num = t;
  if (!num.empty() && num.back() == 'd') num.remove_suffix(1);
  if (auto n = parse_int(num, 1, 36500)) {
    o.kind = OfflineAccess::Kind::days;
    o.days = *n;
    return o;
  }
  fail(Errc::invalid_argument, "offline access '" + std::string(text.substr(0, 40)) +
                                   "': use always, never or a number of days (1-36500)");
}

std::string to_string(const ContentExpiry& e) {
  switch (e.kind) {
    case ContentExpiry::Kind::never:
      return "never";
    case ContentExpiry::Kind::on_date:
      return format_time(e.date);
    case ContentExpiry::Kind::days_after_protection:
      return std::to_string(e.days) + "d";
  }
  return "never";
}

std::string to_string(const OfflineAccess& o) {
  switch (o.kind) {
    case OfflineAccess::Kind::always:
      return "always";
    case OfflineAccess::Kind::never:
      return "never";
    case OfflineAccess::Kind::days:
      return std::to_string(o.days) + "d";
  }
  return "always";
}

std::string policy_to_xml(const Policy& p) {
  pugi::xml_document doc;
  auto root = doc.append_child("Policy");
  root.append_attribute("xmlns") = std::string(kNamespace).c_str();
  root.append_attribute("preset") = std::string(preset_name(p.preset)).c_str();
  if (!p.owner.empty()) root.append_attribute("owner") = p.owner.c_str();
  for (const Grant& g : p.grants) {
    auto n = root.append_child("Grant");
    n.append_attribute("principal") = g.who.to_string().c_str();
    n.append_attribute("rights") = to_string(g.rights).c_str();
  }
  auto e = root.append_child("Expiry");
  e.append_attribute("value") = to_string(p.expiry).c_str();
  auto o = root.append_child("Offline");
  o.append_attribute("value") = to_string(p.offline).c_str();
  for (const auto& [k, v] : p.app_data) {
    auto a = detail::add_text(root, "AppData", v);
    a.append_attribute("name") = k.c_str();
  }
  return detail::xml_string(root);
}

Policy policy_from_xml(std::string_view xml, const XmlLimits& limits) {
  auto doc = detail::parse_strict(xml, limits, "Policy");
  auto root = doc->document_element();
  if (std::string_view(root.name()) != "Policy") detail::bad("Policy", "root is not <Policy>");
  if (std::string_view(root.attribute("xmlns").value()) != kNamespace)
    detail::bad("Policy", "not in the openrms licensing namespace");
  detail::only_attributes(root, {"xmlns", "preset", "owner"});
  Policy p;
  std::string_view preset = root.attribute("preset").value();
  if (preset == "none" || preset.empty())
    p.preset = Preset::none;
  else if (preset == "do-not-forward")
    p.preset = Preset::do_not_forward;
  else if (preset == "encrypt-only")
    p.preset = Preset::encrypt_only;
  else
    detail::bad("Policy", "unknown preset");
  if (auto o = root.attribute("owner")) {
    p.owner = Principal::parse(o.value()).name;
  }
  detail::Children c(root, {"Expiry", "Offline"}, {"Grant", "AppData"});
  try {
    for (auto g : c.all("Grant")) {
      detail::only_attributes(g, {"principal", "rights"});
      Grant grant{Principal::parse(detail::need_attr(g, "principal")),
                  parse_rights(detail::need_attr(g, "rights"))};
      p.grants.push_back(grant);
    }
    if (auto e = c.opt("Expiry")) {
      detail::only_attributes(e, {"value"});
      p.expiry = parse_expiry(detail::need_attr(e, "value"));
    }
    if (auto o = c.opt("Offline")) {
      detail::only_attributes(o, {"value"});
      p.offline = parse_offline(detail::need_attr(o, "value"));
    }
  } catch (const Error& e) {
    if (e.code() == Errc::invalid_argument)
      fail(Errc::bad_format, std::string("Policy: ") + e.what());
    throw;
  }
  for (auto a : c.all("AppData")) {
    detail::only_attributes(a, {"name"});
    p.app_data.emplace_back(detail::need_attr(a, "name"), detail::text(a));
  }
  if (p.grants.size() > 10000) detail::bad("Policy", "too many grants");
  return p;
}

}  // namespace openrms::licensing
