// Protection policies and templates (DESIGN.md §3).
//
// A Policy grants rights to principals, with an optional content expiry, an offline-access
// setting (use-license validity), an optional owner and application data. Templates are named
// server-side policies identified by id. Policies travel sealed to the server inside
// publishing licenses as <Policy> XML (the form policy_to_xml writes; strict parser below).
//
// Principals (text form, case-insensitive, stored lower-case):
//   alice@contoso.com            a user (e-mail)
//   group:sales@contoso.com      a group (membership from the server's Directory)
//   domain:contoso.com  or  @contoso.com   every user of a domain
//   everyone                      every authenticated user ("AuthenticatedUsers" also accepted)
// Thread safety: value types; functions are thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "openrms/licensing/canonical_xml.hpp"
#include "openrms/licensing/clock.hpp"
#include "openrms/licensing/rights.hpp"

namespace openrms::licensing {

struct Principal {
  enum class Kind { user, group, domain, everyone };
  Kind kind = Kind::user;
  std::string name;  ///< lower-case e-mail, group e-mail or domain; empty for everyone

  /// Parses the text form above; throws Error{invalid_argument} with the reason.
  static Principal parse(std::string_view text);
  std::string to_string() const;
  /// True if `email` (already authenticated, any case) with `groups` is this principal.
  bool matches(std::string_view email, const std::vector<std::string>& groups) const;
  friend bool operator==(const Principal&, const Principal&) = default;
};

struct Grant {
  Principal who;
  Rights rights;
  friend bool operator==(const Grant&, const Grant&) = default;
};

/// When protected content stops opening for everyone but its issuer and owner.
struct ContentExpiry {
  enum class Kind { never, on_date, days_after_protection };
  Kind kind = Kind::never;
  Time date{};   ///< on_date
  int days = 0;  ///< days_after_protection (1..36500)
  /// The expiry instant for content protected at `protected_at`; nullopt = never.
  std::optional<Time> resolve(Time protected_at) const;
  friend bool operator==(const ContentExpiry&, const ContentExpiry&) = default;
};

/// How long a use license may be used without contacting the server.
struct OfflineAccess {
  enum class Kind { always, never, days };
  Kind kind = Kind::always;  ///< "always" is still capped by the tenant maximum
  int days = 0;              ///< Kind::days (1..36500)
  friend bool operator==(const OfflineAccess&, const OfflineAccess&) = default;
};

enum class Preset { none, do_not_forward, encrypt_only };

struct Policy {
  std::vector<Grant> grants;
  ContentExpiry expiry;
  OfflineAccess offline;
  std::string owner;  ///< e-mail; empty = the issuer
  std::vector<std::pair<std::string, std::string>> app_data;
  Preset preset = Preset::none;

  /// Union of the rights of every grant whose principal matches. Does not apply issuer/owner
  /// rules (the server does that).
  Rights rights_for(std::string_view email, const std::vector<std::string>& groups) const;
  friend bool operator==(const Policy&, const Policy&) = default;
};

/// Do Not Forward for one message: the recipients and the sender get do_not_forward_rights().
Policy do_not_forward_policy(std::string_view sender, const std::vector<std::string>& recipients);
/// Encrypt-Only: every authenticated user who receives the content gets encrypt_only_rights()
/// (FORWARD is granted, so forwarded recipients must be able to open it).
Policy encrypt_only_policy();

/// Warnings where the product documentation advises against a combination, one sentence each.
std::vector<std::string> lint(const Policy& policy, Time now);

/// "alice@contoso.com:VIEW,PRINT" or "@contoso.com:Viewer" → Grant (rights via parse_rights;
/// the last ':' separates principal and rights). Throws Error{invalid_argument}.
Grant parse_grant(std::string_view text);
/// "30d" / "30" (days after protection) or "2027-01-31" / "2027-01-31T00:00:00Z" (date) /
/// "never". Throws Error{invalid_argument}.
ContentExpiry parse_expiry(std::string_view text);
/// "always", "never" or a number of days. Throws Error{invalid_argument}.
OfflineAccess parse_offline(std::string_view text);

std::string to_string(const ContentExpiry& e);
std::string to_string(const OfflineAccess& o);

/// <Policy> XML (canonical-friendly: attributes only, no mixed content).
std::string policy_to_xml(const Policy& policy);
/// Strict parser (limits, unknown/duplicate elements rejected); throws Error{bad_format}.
Policy policy_from_xml(std::string_view xml, const XmlLimits& limits = {});

/// A server-side named policy.
struct Template {
  std::string id;  ///< stable id (a UUID unless given)
  std::string name;
  std::string description;
  Policy policy;
  bool archived = false;  ///< still honoured for existing content, not offered for new content
  int version = 1;        ///< incremented on every update
  Time created{}, updated{};
};

}  // namespace openrms::licensing
