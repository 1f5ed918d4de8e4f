// Mail flow rules (Exchange transport rules that apply message encryption).
//
// Rules run in list order (the first has the highest priority). A rule matches when every
// condition it sets holds (conditions AND; the values of one condition OR) and none of its
// exceptions holds; a rule with no condition matches every message. Every matching rule's
// actions apply in order — a later encryption action replaces an earlier one, "remove encryption"
// cancels encryption chosen so far — until a matching rule says stop processing.
//
// Conditions (and exceptions), all case-insensitive:
//   from                    the sender's address is one of these
//   from_domain             the sender's domain is one of these
//   sent_to                 any recipient (To, Cc, Bcc) is one of these
//   recipient_domain        any recipient's domain is one of these
//   sent_to_scope           "InOrganization" / "NotInOrganization": any recipient is
//                           inside / outside the accepted domains
//   from_scope              the same for the sender
//   subject_contains        the subject contains any of these phrases
//   subject_or_body_contains  the subject or a text/HTML body contains any of these
//   has_attachment          true: at least one file attachment (inline parts do not count)
//   size_over               the message is at least this many bytes ("10MB", "500KB", 1024)
// Actions: apply ({"kind": "EncryptOnly" | "DoNotForward" | "Template", "template": ID,
//   "branding": NAME}), remove_encryption (true), stop_processing (true).
//
// Rules are stored as JSON: an array of {"name", "enabled", "conditions", "exceptions",
// "actions"}; rules_from_json rejects unknown keys, wrong types, empty names, duplicates, a rule
// without an action, both apply and remove_encryption, an unknown encryption kind, a Template
// action without a template — with the rule and field in the message (invalid_argument).
// Thread safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/formats/mail/mime.hpp"
#include "openrms/protect/mail.hpp"

namespace openrms::protect::mail {

enum class Scope { in_organization, not_in_organization };

struct RuleConditions {
  std::vector<std::string> from, from_domain, sent_to, recipient_domain;
  std::optional<Scope> sent_to_scope, from_scope;
  std::vector<std::string> subject_contains, subject_or_body_contains;
  std::optional<bool> has_attachment;
  std::optional<std::uint64_t> size_over;
  bool empty() const noexcept;
  friend bool operator==(const RuleConditions&, const RuleConditions&) = default;
};

struct Rule {
  std::string name;
  bool enabled = true;
  RuleConditions conditions, exceptions;
  std::optional<MessageProtection> apply;
  bool remove_encryption = false;
  bool stop_processing = false;
  friend bool operator==(const Rule&, const Rule&) = default;
};

struct RuleDecision {
  enum class Action { none, protect, remove_encryption } action = Action::none;
  std::optional<MessageProtection> protection;  ///< Action::protect
  std::string deciding_rule;                    ///< the rule whose action stands
  std::vector<std::string> matched;             ///< every rule that matched, in order
  std::string describe() const;
};

/// Runs `rules` over a parsed message. `accepted_domains`: the organisation's domains.
RuleDecision evaluate(const std::vector<Rule>& rules, const formats::mail::Message& message,
                      const std::vector<std::string>& accepted_domains);
/// True if `rule`'s conditions hold and no exception does (ignores `enabled`).
bool matches(const Rule& rule, const formats::mail::Message& message,
             const std::vector<std::string>& accepted_domains);

/// Parses and validates rules (see the header comment); throws Error{invalid_argument}.
std::vector<Rule> rules_from_json(std::string_view json);
/// One rule object (as in the array).
Rule rule_from_json(std::string_view json);
std::string rules_to_json(const std::vector<Rule>& rules);
/// "10MB", "500KB", "1GB", "1024" → bytes; invalid_argument otherwise.
std::uint64_t parse_size(std::string_view text);

}  // namespace openrms::protect::mail
