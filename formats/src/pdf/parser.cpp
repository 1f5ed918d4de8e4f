#include "parser.hpp"

#include <charconv>

#include "openrms/error.hpp"

namespace openrms::formats::pdf {

namespace {
int hex_value(unsigned char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

void Parser::truncated(const char* what) const {
  if (!final_) throw NeedMore{};
  fail(Errc::bad_format,
       std::string("PDF is truncated: ") + what + " at offset " + std::to_string(offset()));
}

void Parser::error(const std::string& what) const {
  fail(Errc::bad_format, "PDF syntax error at offset " + std::to_string(offset()) + ": " + what);
}

void Parser::skip_ws() {
  while (p_ < s_.size()) {
    auto c = static_cast<unsigned char>(s_[p_]);
    if (is_ws(c)) {
      ++p_;
    } else if (c == '%') {
      while (p_ < s_.size() && s_[p_] != '\n' && s_[p_] != '\r') ++p_;
    } else {
      return;
    }
  }
}

std::string_view Parser::read_token() {
  std::size_t start = p_;
  while (p_ < s_.size() && is_regular(static_cast<unsigned char>(s_[p_]))) ++p_;
  if (p_ == s_.size() && !final_) throw NeedMore{};  // the token may continue past the window
  return s_.substr(start, p_ - start);
}

bool Parser::accept_keyword(std::string_view kw) {
  skip_ws();
  std::size_t save = p_;
  if (at_end()) truncated("expected a keyword");
  if (read_token() == kw) return true;
  p_ = save;
  return false;
}

bool Parser::read_uint(std::uint64_t& out) {
  skip_ws();
  std::size_t save = p_;
  if (at_end()) truncated("expected a number");
  std::string_view t = read_token();
  if (t.empty() || t.size() > 19) {
    p_ = save;
    return false;
  }
  std::uint64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') {
      p_ = save;
      return false;
    }
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

Object Parser::parse_object(int depth) {
  if (depth > kMaxDepth) error("objects nested deeper than " + std::to_string(kMaxDepth));
  skip_ws();
  if (at_end()) truncated("expected an object");
  auto c = static_cast<unsigned char>(s_[p_]);
  switch (c) {
    case '/':
      return parse_name();
    case '(':
      return parse_literal_string();
    case '[':
      return parse_array(depth);
    case '<':
      if (p_ + 1 >= s_.size()) truncated("unterminated '<'");
      if (s_[p_ + 1] == '<') return parse_dict(depth);
      return parse_hex_string();
    default:
      break;
  }
  if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') return parse_number_or_ref();
  if (!is_regular(c)) error(std::string("unexpected character '") + static_cast<char>(c) + "'");
  std::string_view kw = read_token();
  if (kw == "true") return Object{true};
  if (kw == "false") return Object{false};
  if (kw == "null") return Object{};
  error("unexpected keyword '" + std::string(kw.substr(0, 32)) + "'");
}

Object Parser::parse_number_or_ref() {
  std::string_view t = read_token();
  bool is_int = !t.empty();
  std::size_t digits = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char ch = t[i];
    if (ch >= '0' && ch <= '9') {
      ++digits;
    } else if (!((ch == '-' || ch == '+') && i == 0)) {
      is_int = false;
    }
  }
  if (is_int && digits > 0 && digits <= 18) {
    std::int64_t v = 0;
    const char* b = t.data() + (t[0] == '+' ? 1 : 0);
    std::from_chars(b, t.data() + t.size(), v);
    // "N G R" — a reference, when N and G are unsigned integers.
    if (t[0] != '-' && t[0] != '+') {
      const std::size_t after = p_;
      skip_ws();
      std::uint64_t gen = 0;
      if (!at_end() && s_[p_] >= '0' && s_[p_] <= '9' && read_uint(gen)) {
        skip_ws();
        if (!at_end() && s_[p_] == 'R' && p_ + 1 == s_.size() && !final_) throw NeedMore{};
        if (!at_end() && s_[p_] == 'R' &&
            (p_ + 1 == s_.size() || !is_regular(static_cast<unsigned char>(s_[p_ + 1])))) {
          ++p_;
          if (v > 0x7fffffff || gen > 65535) error("object reference out of range");
          return Object{Ref{static_cast<std::uint32_t>(v), static_cast<std::uint16_t>(gen)}};
        }
      }
      if (at_end() && !final_) throw NeedMore{};  // "N G" at the window's end may be "N G R"
      p_ = after;
    }
    return Object{v};
  }
  if (t.empty()) error("bad number");
  // Reals (and malformed numbers such as "--5" or "1.2.3", which readers treat leniently):
  // validate loosely and keep the text for exact round trips.
  std::string text(t);
  bool ok = false;
  for (char ch : text) ok |= (ch >= '0' && ch <= '9');
  for (char ch : text)
    if (!((ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '+'))
      error("bad number '" + text.substr(0, 32) + "'");
  if (!ok) return Object{std::int64_t{0}};  // "-" or "." alone: readers use 0
  return Object{Real{std::move(text)}};
}

Object Parser::parse_literal_string() {
  ++p_;  // (
  std::string out;
  int nest = 1;
  while (true) {
    if (p_ >= s_.size()) truncated("unterminated string");
    char c = s_[p_++];
    if (c == '(') {
      ++nest;
      out.push_back(c);
    } else if (c == ')') {
      if (--nest == 0) break;
      out.push_back(c);
    } else if (c == '\r') {
      // An unescaped end-of-line is a single LF whatever its form (§7.3.4.2).
      if (p_ < s_.size() && s_[p_] == '\n') ++p_;
      out.push_back('\n');
    } else if (c == '\\') {
      if (p_ >= s_.size()) truncated("unterminated string");
      char e = s_[p_++];
      switch (e) {
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case '\r':
          if (p_ < s_.size() && s_[p_] == '\n') ++p_;
          break;
        case '\n':
          break;
        default:
          if (e >= '0' && e <= '7') {
            int v = e - '0';
            for (int k = 0; k < 2 && p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '7'; ++k)
              v = v * 8 + (s_[p_++] - '0');
            out.push_back(static_cast<char>(v & 0xff));
          } else {
            out.push_back(e);  // \( \) \\ and unknown escapes: the character itself
          }
      }
    } else {
      out.push_back(c);
    }
  }
  return Object{String{std::move(out), false}};
}

Object Parser::parse_hex_string() {
  ++p_;  // <
  std::string out;
  int hi = -1;
  while (true) {
    if (p_ >= s_.size()) truncated("unterminated hex string");
    auto c = static_cast<unsigned char>(s_[p_++]);
    if (c == '>') break;
    int v = hex_value(c);
    if (v < 0) {
      if (is_ws(c)) continue;
      error("bad character in hex string");
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0) out.push_back(static_cast<char>(hi << 4));  // odd digit count: final 0 assumed
  return Object{String{std::move(out), true}};
}

Object Parser::parse_name() {
  ++p_;  // /
  std::string out;
  while (true) {
    if (p_ >= s_.size()) {
      if (!final_) throw NeedMore{};
      break;
    }
    auto c = static_cast<unsigned char>(s_[p_]);
    if (!is_regular(c)) break;
    ++p_;
    if (c == '#' && p_ + 1 < s_.size() && hex_value(s_[p_]) >= 0 && hex_value(s_[p_ + 1]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s_[p_]) << 4 | hex_value(s_[p_ + 1])));
      p_ += 2;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return Object{Name{std::move(out)}};
}

Object Parser::parse_array(int depth) {
  ++p_;  // [
  Array a;
  while (true) {
    skip_ws();
    if (at_end()) truncated("unterminated array");
    if (s_[p_] == ']') {
      ++p_;
      break;
    }
    a.push_back(parse_object(depth + 1));
  }
  return Object{std::move(a)};
}

Object Parser::parse_dict(int depth) {
  p_ += 2;  // <<
  Dict d;
  while (true) {
    skip_ws();
    if (at_end()) truncated("unterminated dictionary");
    if (s_[p_] == '>') {
      if (p_ + 1 >= s_.size()) truncated("unterminated dictionary");
      if (s_[p_ + 1] != '>') error("expected '>>'");
      p_ += 2;
      break;
    }
    if (s_[p_] != '/') error("dictionary key is not a name");
    Object key = parse_name();
    skip_ws();
    if (at_end()) truncated("unterminated dictionary");
    Object value;
    if (s_[p_] == '>' && p_ + 1 < s_.size() && s_[p_ + 1] == '>') {
      value = Object{};  // key without a value: readers take null
    } else {
      value = parse_object(depth + 1);
    }
    d.set(std::move(std::get<Name>(key.v).bytes), std::move(value));
  }
  return Object{std::move(d)};
}

bool parse_object_header(Parser& p, Ref& out) {
  std::size_t save = p.pos();
  std::uint64_t num = 0, gen = 0;
  if (p.read_uint(num) && p.read_uint(gen) && p.accept_keyword("obj") && num <= 0x7fffffff &&
      gen <= 65535) {
    out = Ref{static_cast<std::uint32_t>(num), static_cast<std::uint16_t>(gen)};
    return true;
  }
  p.set_pos(save);
  return false;
}

}  // namespace openrms::formats::pdf
