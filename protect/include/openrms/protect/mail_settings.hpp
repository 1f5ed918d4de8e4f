// A tenant's mail configuration, kept in the license server's Store (its settings table) as JSON
// documents: "mail.irm" (IrmConfiguration), "mail.branding" (OmeConfiguration list, the default
// "OME Configuration" always present and first), "mail.rules" (mail flow rules, rules_to_json).
// Mirrors the documented cmdlets: Set/Get-IRMConfiguration, New/Set/Get/Remove-OMEConfiguration,
// New/Get/Remove-TransportRule.
//
// Errors (openrms::Error): invalid_argument (a field out of range, a duplicate name, removing the
// default branding template, a rule naming a branding template that does not exist), not_found
// (unknown branding template or rule), bad_format (a stored document that no longer parses),
// io (the store).
// Thread safety: one MailSettings may be shared between threads (updates are serialised); two
// MailSettings over the same store do not see each other's in-flight updates.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/licensing/store.hpp"
#include "openrms/protect/mail.hpp"
#include "openrms/protect/mail_rules.hpp"

namespace openrms::protect::mail {

class MailSettings {
 public:
  explicit MailSettings(licensing::Store& store) : store_(store) {}

  IrmConfiguration irm() const;
  void set_irm(const IrmConfiguration& c);

  /// Every branding template, the default first.
  std::vector<OmeConfiguration> branding() const;
  OmeConfiguration branding(std::string_view identity) const;
  void add_branding(const OmeConfiguration& c);  ///< invalid_argument if the name is taken
  void set_branding(const OmeConfiguration& c);  ///< not_found if absent
  void remove_branding(std::string_view identity);

  std::vector<Rule> rules() const;
  /// Validates (unique names, branding templates exist) and replaces all rules.
  void set_rules(const std::vector<Rule>& rules);
  /// Adds a rule at `priority` (0 = first; nullopt or past the end = last).
  void add_rule(const Rule& rule, std::optional<std::size_t> priority = std::nullopt);
  void remove_rule(std::string_view name);

 private:
  licensing::Store& store_;
  mutable std::mutex mu_;
  std::vector<OmeConfiguration> branding_locked() const;
  void check_rules(const std::vector<Rule>& rules) const;
};

/// JSON forms (for the CLI and the store). The logo travels as base64.
std::string to_json(const IrmConfiguration& c);
IrmConfiguration irm_from_json(std::string_view json);
std::string to_json(const OmeConfiguration& c);
OmeConfiguration ome_from_json(std::string_view json);

}  // namespace openrms::protect::mail
