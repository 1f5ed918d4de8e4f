// The portal's HTML sanitiser (server/html_sanitize.hpp) on arbitrary bodies. Whatever the input,
// every tag of the output must be on the allow-list, no attribute may be an event handler, every
// href and src must be http(s), mailto or the portal's own cid: URL, and the output must stay
// within a fixed factor of the input: never a crash, a hang or unbounded growth. Text may say
// anything ("javascript:" as text is inert); only tags and attributes are checked, outside
// quoted values (the sanitiser escapes every '<' of text, so each raw '<' starts a tag).
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "openrms/error.hpp"
#include "openrms/server/html_sanitize.hpp"

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

struct Tag {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
};

std::vector<Tag> tags_of(const std::string& s) {
  std::vector<Tag> out;
  for (std::size_t p = s.find('<'); p != std::string::npos; p = s.find('<', p + 1)) {
    Tag t;
    std::size_t q = p + 1;
    if (q < s.size() && s[q] == '/') ++q;
    while (q < s.size() && s[q] != ' ' && s[q] != '>') t.name += s[q++];
    while (q < s.size() && s[q] != '>') {
      if (s[q] == ' ') {
        ++q;
        continue;
      }
      std::string name, value;
      while (q < s.size() && s[q] != '=' && s[q] != ' ' && s[q] != '>') name += s[q++];
      if (q < s.size() && s[q] == '=' && q + 1 < s.size() && s[q + 1] == '"') {
        const std::size_t end = s.find('"', q + 2);
        if (end == std::string::npos) std::abort();  // an unterminated attribute value
        value = s.substr(q + 2, end - q - 2);
        q = end + 1;
      }
      t.attributes.emplace_back(lower(name), value);
    }
    p = q;
    out.push_back(std::move(t));
  }
  return out;
}

bool safe_url(const std::string& v) {
  std::string u;
  for (char c : v)
    if (static_cast<unsigned char>(c) > ' ') u += c;
  u = lower(u);
  return u.rfind("http:", 0) == 0 || u.rfind("https:", 0) == 0 || u.rfind("mailto:", 0) == 0 ||
         u.rfind("/portal/inline?cid=", 0) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (256u << 10)) return 0;
  static const std::set<std::string> kTags = {
      "a",      "abbr", "address", "b",     "bdi",      "bdo",   "blockquote", "br",     "caption",
      "center", "cite", "code",    "col",   "colgroup", "dd",    "del",        "dfn",    "div",
      "dl",     "dt",   "em",      "font",  "h1",       "h2",    "h3",         "h4",     "h5",
      "h6",     "hr",   "i",       "img",   "ins",      "kbd",   "li",         "mark",   "ol",
      "p",      "pre",  "q",       "s",     "samp",     "small", "span",       "strike", "strong",
      "sub",    "sup",  "table",   "tbody", "td",       "tfoot", "th",         "thead",  "tr",
      "tt",     "u",    "ul",      "var",   "wbr"};
  const std::string in(reinterpret_cast<const char*>(data), size);
  openrms::server::SanitizeOptions o;
  o.cid_url = [](std::string_view cid) { return "/portal/inline?cid=" + std::string(cid); };
  std::string out;
  try {
    out = openrms::server::sanitize_html(in, o);
  } catch (const openrms::Error&) {
    return 0;
  }
  for (const Tag& t : tags_of(out)) {
    if (!kTags.count(lower(t.name))) std::abort();
    for (const auto& [name, value] : t.attributes) {
      if (name.rfind("on", 0) == 0 || name == "style") std::abort();
      if ((name == "href" || name == "src") && !safe_url(value)) std::abort();
    }
  }
  // Escaping may grow text (each '<' becomes "&lt;"), never beyond a fixed factor.
  if (out.size() > 8 * in.size() + 64) std::abort();
  return 0;
}
