#include "openrms/server/html_sanitize.hpp"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <memory>
#include <string>
#include <unordered_set>

#include "html.hpp"
#include "openrms/error.hpp"
#include "openrms/text.hpp"

namespace openrms::server {

namespace {

constexpr int kMaxDepth = 64;

// Kept, with their content.
const std::unordered_set<std::string_view> kAllowed = {
    "a",      "abbr", "address", "b",     "bdi",      "bdo",   "blockquote", "br",     "caption",
    "center", "cite", "code",    "col",   "colgroup", "dd",    "del",        "dfn",    "div",
    "dl",     "dt",   "em",      "font",  "h1",       "h2",    "h3",         "h4",     "h5",
    "h6",     "hr",   "i",       "img",   "ins",      "kbd",   "li",         "mark",   "ol",
    "p",      "pre",  "q",       "s",     "samp",     "small", "span",       "strike", "strong",
    "sub",    "sup",  "table",   "tbody", "td",       "tfoot", "th",         "thead",  "tr",
    "tt",     "u",    "ul",      "var",   "wbr"};
// Dropped with everything inside.
const std::unordered_set<std::string_view> kDropped = {
    "script",   "style",  "template",  "iframe", "frame",  "frameset", "object",   "embed",
    "applet",   "form",   "input",     "button", "select", "textarea", "option",   "svg",
    "math",     "meta",   "link",      "base",   "head",   "title",    "noscript", "noembed",
    "noframes", "xmp",    "plaintext", "canvas", "audio",  "video",    "source",   "track",
    "param",    "portal", "dialog",    "slot"};
const std::unordered_set<std::string_view> kVoid = {"br", "col", "hr", "img", "wbr"};
const std::unordered_set<std::string_view> kAttributes = {"alt",     "title", "colspan",
                                                          "rowspan", "dir",   "lang"};

std::string_view sv(const xmlChar* s) {
  return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view();
}

// The URL scheme after browsers' normalisation (leading spaces and control characters, and
// tabs or newlines inside, are ignored by them).
std::string scheme_of(std::string_view url) {
  std::string s;
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ') continue;
    if (c == ':') return ascii_lower(s);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
          c == '-' || c == '.'))
      return {};
    s += c;
  }
  return {};
}

std::string attribute(const xmlNode* n, const char* name) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  std::string out(sv(v));
  xmlFree(v);
  return out;
}

void write_attr(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  html_escape_to(out, value);
  out += '"';
}

class Writer {
 public:
  explicit Writer(const SanitizeOptions& o) : opt_(o) {}

  void children(const xmlNode* n, int depth) {
    for (const xmlNode* c = n->children; c; c = c->next) node(c, depth);
  }
  void document(const xmlDoc* d) {
    for (const xmlNode* c = d->children; c; c = c->next) node(c, 0);
  }
  std::string take() { return std::move(out_); }

 private:
  void node(const xmlNode* n, int depth) {
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      html_escape_to(out_, sv(n->content));
      return;
    }
    if (n->type != XML_ELEMENT_NODE) return;  // comments, processing instructions, DTDs
    const std::string name = ascii_lower(sv(n->name));
    if (kDropped.count(name)) return;
    if (!kAllowed.count(name) || depth >= kMaxDepth) return children(n, depth + 1);
    if (name == "img") return image(n);
    out_ += '<';
    out_ += name;
    for (const xmlAttr* a = n->properties; a; a = a->next) {
      const std::string an = ascii_lower(sv(a->name));
      if (kAttributes.count(an))
        write_attr(out_, an, attribute(n, reinterpret_cast<const char*>(a->name)));
    }
    if (name == "a") {
      const std::string href = attribute(n, "href");
      const std::string scheme = scheme_of(href);
      if (scheme == "http" || scheme == "https" || scheme == "mailto") {
        write_attr(out_, "href", href);
        out_ += " rel=\"noopener noreferrer\" target=\"_blank\"";
      }
    }
    out_ += '>';
    if (kVoid.count(name)) return;
    children(n, depth + 1);
    out_ += "</";
    out_ += name;
    out_ += '>';
  }

  void image(const xmlNode* n) {
    const std::string src = attribute(n, "src");
    const std::string alt = attribute(n, "alt");
    if (scheme_of(src) == "cid" && opt_.cid_url) {
      const std::string url = opt_.cid_url(std::string_view(src).substr(src.find(':') + 1));
      if (!url.empty()) {
        out_ += "<img";
        write_attr(out_, "src", url);
        write_attr(out_, "alt", alt);
        out_ += '>';
        return;
      }
    }
    if (!alt.empty()) {
      out_ += '[';
      html_escape_to(out_, alt);
      out_ += ']';
    }
  }

  const SanitizeOptions& opt_;
  std::string out_;
};

}  // namespace

std::string sanitize_html(std::string_view html, const SanitizeOptions& options) {
  static const bool initialised = [] {
    xmlInitParser();  // once, before threads parse concurrently
    return true;
  }();
  (void)initialised;
  if (html.size() > options.max_input)
    fail(Errc::invalid_argument, "the HTML body is larger than the sanitiser's limit of " +
                                     std::to_string(options.max_input) + " bytes");
  const int flags = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                    HTML_PARSE_NONET | HTML_PARSE_COMPACT;
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8", flags),
      xmlFreeDoc);
  if (!doc) {
    if (html.find_first_not_of(" \t\r\n") == std::string_view::npos) return {};
    fail(Errc::bad_format, "the HTML body could not be parsed");
  }
  // The parser implies <html> and <body> (without them libxml2 2.9 nests siblings wrongly):
  // <head> and its content are dropped by the lists, <html> and <body> unwrapped.
  Writer w(options);
  w.document(doc.get());
  return w.take();
}

}  // namespace openrms::server
