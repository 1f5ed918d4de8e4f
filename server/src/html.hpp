// Building the portal's pages without ever concatenating untrusted text into markup: markup
// comes only from string literals (raw() takes nothing else), every other string goes through
// text() or attr(), which escape it for the place it lands (HTML text or a double-quoted
// attribute value). Internal to the server layer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "openrms/text.hpp"

namespace openrms::server::html {

class Builder {
 public:
  /// Markup, from a literal only.
  template <std::size_t N>
  Builder& raw(const char (&literal)[N]) {
    out_.append(literal, N - 1);
    return *this;
  }
  Builder& text(std::string_view s) {
    html_escape_to(out_, s);
    return *this;
  }
  /// ` name="value"`, the value escaped; `name` is a literal.
  template <std::size_t N>
  Builder& attr(const char (&name)[N], std::string_view value) {
    out_ += ' ';
    out_.append(name, N - 1);
    out_ += "=\"";
    html_escape_to(out_, value);
    out_ += '"';
    return *this;
  }
  /// Markup produced by another Builder (already safe).
  Builder& append(const Builder& other) {
    out_ += other.out_;
    return *this;
  }
  const std::string& str() const noexcept { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace openrms::server::html
