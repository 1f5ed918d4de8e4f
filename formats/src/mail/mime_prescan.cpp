#include "mime_prescan.hpp"

#include <string>
#include <string_view>
#include <unordered_set>

#include "openrms/error.hpp"

namespace openrms::formats::detail {

namespace {

[[noreturn]] void too_much(const std::string& what) {
  fail(Errc::bad_format, "not a usable e-mail message: " + what);
}

bool is_lwsp(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_lwsp(s.back())) s.remove_suffix(1);
  return s;
}

// `prefix` is lower case.
bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != prefix[i]) return false;
  }
  return true;
}

struct Boundaries {
  std::unordered_set<std::string_view> plain;  // views into the message
  bool encoded = false;                        // a boundary*=… parameter: not decoded here
};

// Every "boundary" parameter anywhere in the message (case-insensitive name). Driven by the
// '=' signs (memchr), which are rare in the base64 that makes up most of a large message.
Boundaries collect_boundaries(std::string_view s, std::size_t max_parts) {
  Boundaries b;
  constexpr std::string_view kName = "boundary";
  for (std::size_t eq = s.find('='); eq != std::string_view::npos; eq = s.find('=', eq + 1)) {
    // Back over blanks and an RFC 2231 "*" / "*0*" section marker to the parameter name.
    std::size_t k = eq;
    bool extended = false;
    while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t' || s[k - 1] == '*' ||
                     (s[k - 1] >= '0' && s[k - 1] <= '9'))) {
      extended = extended || s[k - 1] == '*';
      --k;
    }
    if (k < kName.size() || !starts_with_ci(s.substr(k - kName.size()), kName)) continue;
    if (extended) {
      b.encoded = true;
      continue;
    }
    std::size_t p = eq + 1;
    while (p < s.size() && (s[p] == ' ' || s[p] == '\t')) ++p;
    std::size_t start = p, end = p;
    if (p < s.size() && s[p] == '"') {
      start = ++p;
      while (p < s.size() && s[p] != '"' && s[p] != '\n') {
        if (s[p] == '\\') b.encoded = true;  // quoted-pair: not unescaped here
        ++p;
      }
      end = p;
    } else {
      while (p < s.size() && s[p] != ';' && s[p] != '\n' && !is_lwsp(s[p])) ++p;
      end = p;
    }
    if (end > start && end - start <= 200) b.plain.insert(s.substr(start, end - start));
    if (b.plain.size() > max_parts)
      too_much("it declares more than " + std::to_string(max_parts) + " multipart boundaries");
  }
  return b;
}

bool declares_message(std::string_view field) {
  if (!starts_with_ci(field, "content-type:")) return false;
  std::string_view v = field.substr(13);
  while (!v.empty() && (v[0] == ' ' || v[0] == '\t')) v.remove_prefix(1);
  return starts_with_ci(v, "message/rfc822") || starts_with_ci(v, "message/global");
}

}  // namespace

void prescan_message(crypto::ByteView message, const mail::ParseLimits& lim) {
  std::string_view s(reinterpret_cast<const char*>(message.data()), message.size());
  Boundaries b = collect_boundaries(s, lim.max_parts);
  std::size_t parts = 0, total_fields = 0, block_fields = 0;
  bool in_header = true, block_is_message = false, last_field_message = false;
  for (std::size_t at = 0; at < s.size();) {
    std::size_t nl = s.find('\n', at);
    std::string_view line = s.substr(at, nl == std::string_view::npos ? s.size() - at : nl - at);
    at = nl == std::string_view::npos ? s.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (in_header) {
      if (line.empty()) {
        // An attached message's own header block follows its part header.
        in_header = block_is_message;
        block_is_message = false;
        block_fields = 0;
        continue;
      }
      if (line[0] == ' ' || line[0] == '\t') {
        if (last_field_message) block_is_message = true;
        continue;  // a folded continuation of the field before
      }
      last_field_message = declares_message(line);
      block_is_message = block_is_message || last_field_message;
      if (++block_fields > lim.max_header_fields)
        too_much("a header block has more than " + std::to_string(lim.max_header_fields) +
                 " fields");
      if (++total_fields > lim.max_total_header_fields)
        too_much("it has more than " + std::to_string(lim.max_total_header_fields) +
                 " header fields in all");
      continue;
    }
    if (line.size() < 3 || line[0] != '-' || line[1] != '-') continue;
    std::string_view rest = trim_right(line.substr(2));
    const bool opens = b.plain.count(rest) > 0;
    if (!opens && rest.size() > 2 && rest.substr(rest.size() - 2) == "--" &&
        b.plain.count(rest.substr(0, rest.size() - 2)) > 0)
      continue;  // a closing delimiter: the epilogue or the next part's body follows
    if (!opens && !b.encoded) continue;
    if (++parts > lim.max_parts)
      too_much("it has more than " + std::to_string(lim.max_parts) + " MIME parts");
    in_header = true;
    block_fields = 0;
    block_is_message = false;
  }
}

}  // namespace openrms::formats::detail
