// Internal XML helpers: strict parsing, canonicalisation, strict child readers, the signed
// envelope. See openrms/licensing/canonical_xml.hpp for the rules.
#pragma once

#include <pugixml.hpp>

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/crypto/backend.hpp"
#include "openrms/licensing/canonical_xml.hpp"
#include "openrms/licensing/clock.hpp"

namespace openrms::licensing::detail {

using crypto::Bytes;
using crypto::ByteView;

/// Parses under the strict rules; throws Error{bad_format} with `what` in the message.
std::unique_ptr<pugi::xml_document> parse_strict(std::string_view text, const XmlLimits& limits,
                                                 std::string_view what);

void canonicalize(pugi::xml_node node, std::string& out);
std::string canonical(pugi::xml_node node);

/// Strict reader over an element's children: every element child must be in `known` (one each,
/// unless listed in `repeatable`), except an unknown child marked critical="false"; non-blank
/// text is rejected. Throws Error{bad_format}.
class Children {
 public:
  Children(pugi::xml_node parent, std::initializer_list<std::string_view> known,
           std::initializer_list<std::string_view> repeatable = {});
  pugi::xml_node opt(std::string_view name) const;
  pugi::xml_node need(std::string_view name) const;
  std::vector<pugi::xml_node> all(std::string_view name) const;

 private:
  pugi::xml_node parent_;
};

/// Only the listed attributes may appear (xmlns/version on a root are the caller's business).
void only_attributes(pugi::xml_node node, std::initializer_list<std::string_view> allowed);

std::string text(pugi::xml_node node);  ///< the element's text (must have no element children)
Time need_time(const Children& c, std::string_view name);
std::optional<Time> opt_time(const Children& c, std::string_view name);
Bytes need_base64(const Children& c, std::string_view name);
std::string need_attr(pugi::xml_node node, std::string_view name);

pugi::xml_node add_text(pugi::xml_node parent, std::string_view name, std::string_view value);
void add_time(pugi::xml_node parent, std::string_view name, Time t);
void add_base64(pugi::xml_node parent, std::string_view name, ByteView data);

[[noreturn]] void bad(std::string_view what, std::string_view detail);

/// The bytes a signature covers: "openrms-signature-v1\n" kind "\n" canonical(body).
std::string signed_bytes(std::string_view kind, pugi::xml_node body);

/// A freshly built envelope: root KIND in kNamespace, version="1", with an empty <Body>.
struct Envelope {
  explicit Envelope(std::string_view kind);
  pugi::xml_document doc;
  pugi::xml_node root, body;
  /// Appends <Signature> and returns the document text (indented).
  std::string finish(std::string_view alg, std::string_view key_id, ByteView signature);
};

/// A parsed envelope (structure checked, signature not yet verified).
struct ParsedEnvelope {
  std::unique_ptr<pugi::xml_document> doc;
  pugi::xml_node root, body, chain;
  std::string kind, alg, key_id;
  Bytes signature;
};
ParsedEnvelope parse_envelope(std::string_view text, std::string_view kind,
                              const XmlLimits& limits);

std::string xml_string(const pugi::xml_node& node);

}  // namespace openrms::licensing::detail
