#include "xml_util.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "openrms/error.hpp"

namespace openrms::licensing::detail {
namespace {

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

void escape_text(std::string_view s, std::string& out) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\r':
        out += "&#xD;";
        break;
      default:
        out.push_back(c);
    }
  }
}

void escape_attr(std::string_view s, std::string& out) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\t':
        out += "&#x9;";
        break;
      case '\n':
        out += "&#xA;";
        break;
      case '\r':
        out += "&#xD;";
        break;
      default:
        out.push_back(c);
    }
  }
}

struct StringWriter : pugi::xml_writer {
  std::string out;
  void write(const void* data, std::size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
};

}  // namespace

void bad(std::string_view what, std::string_view detail) {
  fail(Errc::bad_format, std::string(what) + ": " + std::string(detail));
}

static void check_tree(pugi::xml_node root, const XmlLimits& limits, std::string_view what) {
  // Iterative walk (no recursion on hostile depth).
  std::size_t nodes = 0;
  int depth = 0;
  pugi::xml_node n = root;
  while (n) {
    ++nodes;
    if (nodes > limits.max_nodes) bad(what, "too many XML nodes");
    if (n.type() == pugi::node_element) {
      if (std::strchr(n.name(), ':')) bad(what, "namespace prefixes are not allowed");
      // Count first, then look for duplicates by sorting: the node limit applies before any
      // work that grows faster than the input.
      std::vector<std::string_view> names;
      for (auto a : n.attributes()) {
        if (++nodes > limits.max_nodes) bad(what, "too many XML nodes");
        std::string_view an = a.name();
        if (an.find(':') != std::string_view::npos)
          bad(what, "prefixed attributes are not allowed");
        names.push_back(an);
      }
      std::sort(names.begin(), names.end());
      if (auto d = std::adjacent_find(names.begin(), names.end()); d != names.end())
        bad(what, "duplicate attribute '" + std::string(d->substr(0, 40)) + "'");
      // A value is one text node, or elements with blank text between them: what a reader
      // takes as the value is then exactly what the canonical form signs.
      std::size_t texts = 0, elements = 0;
      bool solid_text = false;
      for (auto c : n.children()) {
        if (c.type() == pugi::node_cdata) bad(what, "CDATA sections are not allowed");
        if (c.type() == pugi::node_element) ++elements;
        if (c.type() == pugi::node_pcdata) {
          ++texts;
          solid_text = solid_text || !blank(c.value());
        }
      }
      if (solid_text && (elements > 0 || texts > 1))
        bad(what, "mixed content (text split or beside elements) is not allowed");
    } else if (n.type() == pugi::node_doctype) {
      bad(what, "a DOCTYPE is not allowed");
    }
    if (n.first_child()) {
      n = n.first_child();
      if (++depth > limits.max_depth) bad(what, "elements nested too deeply");
      continue;
    }
    while (n && n != root && !n.next_sibling()) {
      n = n.parent();
      --depth;
    }
    if (!n || n == root) break;
    n = n.next_sibling();
  }
}

std::unique_ptr<pugi::xml_document> parse_strict(std::string_view text, const XmlLimits& limits,
                                                 std::string_view what) {
  if (text.size() > limits.max_bytes) bad(what, "document larger than the limit");
  auto doc = std::make_unique<pugi::xml_document>();
  unsigned flags = pugi::parse_default | pugi::parse_doctype | pugi::parse_declaration;
  pugi::xml_parse_result r = doc->load_buffer(text.data(), text.size(), flags, pugi::encoding_utf8);
  if (!r) bad(what, std::string("not well-formed XML (") + r.description() + ")");
  pugi::xml_node root;
  for (auto c : doc->children()) {
    if (c.type() == pugi::node_doctype) bad(what, "a DOCTYPE is not allowed");
    if (c.type() == pugi::node_element) {
      if (root) bad(what, "more than one root element");
      root = c;
    }
  }
  if (!root) bad(what, "no root element");
  check_tree(root, limits, what);
  return doc;
}

void canonicalize(pugi::xml_node node, std::string& out) {
  // Iterative pre/post-order walk.
  pugi::xml_node n = node;
  auto open = [&](pugi::xml_node e) {
    out += '<';
    out += e.name();
    std::vector<pugi::xml_attribute> attrs;
    for (auto a : e.attributes()) attrs.push_back(a);
    std::sort(attrs.begin(), attrs.end(),
              [](const pugi::xml_attribute& a, const pugi::xml_attribute& b) {
                return std::strcmp(a.name(), b.name()) < 0;
              });
    for (auto& a : attrs) {
      out += ' ';
      out += a.name();
      out += "=\"";
      escape_attr(a.value(), out);
      out += '"';
    }
    out += '>';
  };
  auto close = [&](pugi::xml_node e) {
    out += "</";
    out += e.name();
    out += '>';
  };
  if (n.type() != pugi::node_element) return;
  open(n);
  pugi::xml_node cur = n.first_child();
  while (cur) {
    bool descended = false;
    switch (cur.type()) {
      case pugi::node_element:
        open(cur);
        if (cur.first_child()) {
          cur = cur.first_child();
          descended = true;
        } else {
          close(cur);
        }
        break;
      case pugi::node_pcdata:
      case pugi::node_cdata:
        if (!blank(cur.value())) escape_text(cur.value(), out);
        break;
      default:
        break;
    }
    if (descended) continue;
    while (cur && cur != n && !cur.next_sibling()) {
      cur = cur.parent();
      if (cur != n) close(cur);
    }
    if (!cur || cur == n) break;
    cur = cur.next_sibling();
  }
  close(n);
}

std::string canonical(pugi::xml_node node) {
  std::string out;
  canonicalize(node, out);
  return out;
}

Children::Children(pugi::xml_node parent, std::initializer_list<std::string_view> known,
                   std::initializer_list<std::string_view> repeatable)
    : parent_(parent) {
  std::vector<std::string_view> seen;
  std::string where = parent.name();
  for (auto c : parent.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      if (!blank(c.value())) bad(where, "unexpected text");
      continue;
    }
    if (c.type() != pugi::node_element) continue;
    std::string_view name = c.name();
    bool is_known = std::find(known.begin(), known.end(), name) != known.end();
    bool is_rep = std::find(repeatable.begin(), repeatable.end(), name) != repeatable.end();
    if (!is_known && !is_rep) {
      if (std::string_view(c.attribute("critical").value()) == "false") continue;
      bad(where, "unknown element <" + std::string(name.substr(0, 40)) + ">");
    }
    if (is_known && !is_rep) {
      if (std::find(seen.begin(), seen.end(), name) != seen.end())
        bad(where, "duplicate element <" + std::string(name) + ">");
      seen.push_back(name);
    }
  }
}

pugi::xml_node Children::opt(std::string_view name) const {
  return parent_.child(std::string(name).c_str());
}

pugi::xml_node Children::need(std::string_view name) const {
  auto c = opt(name);
  if (!c) bad(parent_.name(), "missing element <" + std::string(name) + ">");
  return c;
}

std::vector<pugi::xml_node> Children::all(std::string_view name) const {
  std::vector<pugi::xml_node> out;
  for (auto c : parent_.children())
    if (c.type() == pugi::node_element && std::string_view(c.name()) == name) out.push_back(c);
  return out;
}

void only_attributes(pugi::xml_node node, std::initializer_list<std::string_view> allowed) {
  for (auto a : node.attributes()) {
    if (std::find(allowed.begin(), allowed.end(), std::string_view(a.name())) == allowed.end())
      bad(node.name(),
          "unknown attribute '" + std::string(std::string_view(a.name()).substr(0, 40)) + "'");
  }
}

std::string text(pugi::xml_node node) {
  std::string out;
  for (auto c : node.children()) {
    if (c.type() == pugi::node_element) bad(node.name(), "unexpected child element");
    if (c.type() == pugi::node_cdata) bad(node.name(), "CDATA sections are not allowed");
    if (c.type() == pugi::node_pcdata) out += c.value();
  }
  // The canonical form drops blank text: so does the value.
  return blank(out) ? std::string() : out;
}

Time need_time(const Children& c, std::string_view name) {
  auto n = c.need(name);
  auto t = parse_time(text(n));
  if (!t) bad(name, "not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ");
  return *t;
}

std::optional<Time> opt_time(const Children& c, std::string_view name) {
  if (!c.opt(name)) return std::nullopt;
  return need_time(c, name);
}

Bytes need_base64(const Children& c, std::string_view name) {
  auto n = c.need(name);
  try {
    return crypto::from_base64(text(n));
  } catch (const Error&) {
    bad(name, "not valid base64");
  }
}

std::string need_attr(pugi::xml_node node, std::string_view name) {
  auto a = node.attribute(std::string(name).c_str());
  if (!a) bad(node.name(), "missing attribute '" + std::string(name) + "'");
  return a.value();
}

pugi::xml_node add_text(pugi::xml_node parent, std::string_view name, std::string_view value) {
  auto n = parent.append_child(std::string(name).c_str());
  n.append_child(pugi::node_pcdata).set_value(std::string(value).c_str());
  return n;
}

void add_time(pugi::xml_node parent, std::string_view name, Time t) {
  add_text(parent, name, format_time(t));
}

void add_base64(pugi::xml_node parent, std::string_view name, ByteView data) {
  add_text(parent, name, crypto::to_base64(data));
}

std::string signed_bytes(std::string_view kind, pugi::xml_node body) {
  std::string out = "openrms-signature-v1\n";
  out += kind;
  out += '\n';
  canonicalize(body, out);
  return out;
}

Envelope::Envelope(std::string_view k) {
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  root = doc.append_child(std::string(k).c_str());
  root.append_attribute("xmlns") = std::string(kNamespace).c_str();
  root.append_attribute("version") = "1";
  body = root.append_child("Body");
}

std::string Envelope::finish(std::string_view alg, std::string_view key_id, ByteView signature) {
  auto s = add_text(root, "Signature", crypto::to_base64(signature));
  s.append_attribute("alg") = std::string(alg).c_str();
  s.append_attribute("key") = std::string(key_id).c_str();
  StringWriter w;
  doc.save(w, "  ", pugi::format_indent, pugi::encoding_utf8);
  return std::move(w.out);
}

std::string xml_string(const pugi::xml_node& node) {
  StringWriter w;
  node.print(w, "  ", pugi::format_indent, pugi::encoding_utf8);
  return std::move(w.out);
}

ParsedEnvelope parse_envelope(std::string_view text_in, std::string_view kind,
                              const XmlLimits& limits) {
  ParsedEnvelope p;
  p.doc = parse_strict(text_in, limits, kind);
  p.root = p.doc->document_element();
  if (std::string_view(p.root.name()) != kind)
    bad(kind, "the document is a <" + std::string(std::string_view(p.root.name()).substr(0, 40)) +
                  ">, not a <" + std::string(kind) + ">");
  if (std::string_view(p.root.attribute("xmlns").value()) != kNamespace)
    bad(kind, "not in the openrms licensing namespace (" + std::string(kNamespace) + ")");
  if (std::string_view(p.root.attribute("version").value()) != "1")
    fail(Errc::unsupported,
         std::string(kind) + ": unsupported version '" +
             std::string(std::string_view(p.root.attribute("version").value()).substr(0, 16)) +
             "' (this openrms reads version 1)");
  only_attributes(p.root, {"xmlns", "version"});
  Children c(p.root, {"Body", "Chain", "Signature"});
  p.body = c.need("Body");
  p.chain = c.opt("Chain");
  auto sig = c.need("Signature");
  only_attributes(sig, {"alg", "key"});
  p.alg = need_attr(sig, "alg");
  p.key_id = need_attr(sig, "key");
  try {
    p.signature = crypto::from_base64(text(sig));
  } catch (const Error&) {
    bad(kind, "the signature is not valid base64");
  }
  p.kind = std::string(kind);
  return p;
}

}  // namespace openrms::licensing::detail

namespace openrms::licensing {

std::string canonical_xml(std::string_view xml, const XmlLimits& limits) {
  auto doc = detail::parse_strict(xml, limits, "XML");
  return detail::canonical(doc->document_element());
}

}  // namespace openrms::licensing
