// Internal: RFC 4648 §4 base64, shared by the public to_base64/from_base64 and PEM armour.
// Templates so PEM can decode straight into wiping containers.
#pragma once

#include <cstdint>
#include <string_view>

#include "openrms/crypto/secure.hpp"

namespace openrms::crypto::detail {

inline constexpr char kBase64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

template <class Str>
Str base64_encode(ByteView data) {
  Str out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < data.size(); i += 3) {
    std::uint32_t v = std::uint32_t(data[i]) << 16;
    if (i + 1 < data.size()) v |= std::uint32_t(data[i + 1]) << 8;
    if (i + 2 < data.size()) v |= data[i + 2];
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += i + 1 < data.size() ? kBase64[(v >> 6) & 63] : '=';
    out += i + 2 < data.size() ? kBase64[v & 63] : '=';
  }
  return out;
}

/// Decodes into `out` (appending). ASCII whitespace is skipped. With `strict`, the text must be
/// whole 4-character groups (padding required). Returns false on any other character, data
/// after padding, or an impossible length.
template <class Out>
bool base64_decode(std::string_view text, Out& out, bool strict) {
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0, chars = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=') {
      ++pad;
      continue;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      continue;
    } else {
      return false;
    }
    if (pad) return false;  // data after padding
    ++chars;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  acc = 0;
  if (chars % 4 == 1 || pad > 2 || (pad && (chars + pad) % 4 != 0)) return false;
  if (strict && (chars + pad) % 4 != 0) return false;
  return true;
}

}  // namespace openrms::crypto::detail
