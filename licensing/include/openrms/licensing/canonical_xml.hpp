// openrms license XML: the vocabulary's envelope and its canonical form (DESIGN.md §4).
//
// Every certificate and license is one XML document in the namespace kNamespace:
//
//   <KIND xmlns="urn:openrms:licensing:1" version="1">
//     <Body> … the signed content … </Body>
//     <Chain> … optional: the certificate that signed this one (CLC-signed licenses) … </Chain>
//     <Signature alg="ecdsa-p256-sha256|rsa-pss-sha256" key="KEY-ID">base64</Signature>
//   </KIND>
//
// KIND is Certificate, PublishingLicense or UseLicense. The signature is detached from what it
// signs: it covers the bytes  "openrms-signature-v1\n" KIND "\n" canonical(Body).
//
// Canonical form of an element (applied recursively; UTF-8 output):
//   1. "<" name, then each attribute as ' name="value"' in ascending byte order of the name,
//      then ">"; namespace declarations are ordinary attributes (so the version is signed).
//   2. the children in document order: elements canonicalised; text as text;
//      comments, processing instructions and text made only of blanks (space, tab, CR, LF)
//      are dropped; other text is kept byte for byte (after XML end-of-line and
//      attribute-value normalisation, which the parser applies).
//   3. "</" name ">" — also for empty elements (never "<x/>").
//   Escaping: in text & < > CR become &amp; &lt; &gt; &#xD;  in attribute values & < " TAB LF
//   CR become &amp; &lt; &quot; &#x9; &#xA; &#xD;  Nothing else is escaped.
// Consequences: indentation, attribute order, quote style, comments and self-closing tags may
// change without breaking a signature; any change of a name, value or text does break it.
//
// Strict parsing (applies to every openrms license document): at most XmlLimits.max_bytes
// bytes, max_depth element nesting, max_nodes nodes; no DOCTYPE (no entities beyond the five
// predefined ones and character references); no namespace prefixes; no duplicate attributes;
// no CDATA sections; no mixed content (an element holds one text, or elements with only blank
// text between them), so the value a reader takes is exactly the text that was signed (a blank
// value reads as empty, as it is signed); the root in kNamespace with version="1". Violations
// throw Error{bad_format}.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace openrms::licensing {

inline constexpr std::string_view kNamespace = "urn:openrms:licensing:1";

struct XmlLimits {
  std::size_t max_bytes = 1u << 20;  ///< whole document
  int max_depth = 24;                ///< element nesting
  std::size_t max_nodes = 20000;     ///< elements + attributes + text nodes
};

/// The canonical form of a whole document (its root element), per the rules above.
/// Throws Error{bad_format} if `xml` breaks the strict-parsing rules.
std::string canonical_xml(std::string_view xml, const XmlLimits& limits = {});

}  // namespace openrms::licensing
