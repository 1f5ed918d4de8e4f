// PDF lexer and object parser (ISO 32000-2 §7.2 lexical conventions, §7.3 objects) — internal.
//
// Works on a contiguous window of the source. If the window ends before an object does and the
// window is not the end of the source, the parser throws NeedMore so the caller can retry with a
// larger window; at the real end of the source a truncated object is Errc::bad_format. Nesting is
// limited to kMaxDepth (arrays and dictionaries), so hostile input cannot exhaust the stack.
#pragma once

#include <cstdint>
#include <string_view>

#include "object.hpp"

namespace openrms::formats::pdf {

constexpr int kMaxDepth = 200;

/// Thrown (internally only) when the parse needs bytes beyond a non-final window.
struct NeedMore {};

inline bool is_ws(unsigned char c) noexcept {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
}
inline bool is_delim(unsigned char c) noexcept {
  return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
         c == '}' || c == '/' || c == '%';
}
inline bool is_regular(unsigned char c) noexcept {
  return !is_ws(c) && !is_delim(c);
}

class Parser {
 public:
  /// `window` holds the source bytes starting at source offset `base`; `final` says the window
  /// reaches the end of the source.
  Parser(std::string_view window, std::uint64_t base, bool final) noexcept
      : s_(window), base_(base), final_(final) {}

  /// Skips white space and comments.
  void skip_ws();
  /// Parses one direct object (a reference "N G R" is returned as a Ref).
  Object parse_object(int depth = 0);
  /// Reads a run of regular characters (a keyword or a number) without consuming delimiters.
  std::string_view read_token();
  /// Consumes `kw` if it is the next token (after white space); returns whether it was.
  bool accept_keyword(std::string_view kw);
  /// Reads an unsigned integer token; false (nothing consumed) if the next token is not one.
  bool read_uint(std::uint64_t& out);

  std::size_t pos() const noexcept { return p_; }
  void set_pos(std::size_t p) noexcept { p_ = p; }
  std::uint64_t offset() const noexcept { return base_ + p_; }
  bool at_end() const noexcept { return p_ >= s_.size(); }
  bool final() const noexcept { return final_; }
  std::string_view data() const noexcept { return s_; }
  /// Throws NeedMore (non-final window) or bad_format (final) with `what`.
  [[noreturn]] void truncated(const char* what) const;
  [[noreturn]] void error(const std::string& what) const;

 private:
  Object parse_number_or_ref();
  Object parse_literal_string();
  Object parse_hex_string();
  Object parse_name();
  Object parse_array(int depth);
  Object parse_dict(int depth);

  std::string_view s_;
  std::size_t p_ = 0;
  std::uint64_t base_ = 0;
  bool final_ = true;
};

/// Parses "N G obj" at the parser's position; returns false (position unchanged) if absent.
bool parse_object_header(Parser& p, Ref& out);

}  // namespace openrms::formats::pdf
