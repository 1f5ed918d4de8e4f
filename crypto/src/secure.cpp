#include "openrms/crypto/secure.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cstring>

#include "openrms/error.hpp"

namespace openrms::crypto {

void secure_wipe(void* p, std::size_t n) noexcept {
  if (p == nullptr || n == 0) return;
  std::memset(p, 0, n);
  // The asm barrier tells the compiler the zeroed memory is observed, so the memset stays.
  __asm__ __volatile__("" : : "r"(p) : "memory");
}

bool ct_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return false;
  volatile std::uint8_t acc = 0;
  for (std::size_t i = 0; i < a.size(); ++i) acc = acc | static_cast<std::uint8_t>(a[i] ^ b[i]);
  return acc == 0;
}

std::string to_hex(ByteView data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(data.size() * 2);
  for (std::size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 15];
  }
  return out;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Bytes from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) fail(Errc::invalid_argument, "hex string has an odd length");
  Bytes out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) fail(Errc::invalid_argument, "hex string has a non-hex character");
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

bool disable_core_dumps() noexcept {
  bool ok = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
  struct rlimit rl {
    0, 0
  };
  ok = (setrlimit(RLIMIT_CORE, &rl) == 0) && ok;
  return ok;
}

static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string to_base64(ByteView data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i < data.size()) {
    std::uint32_t v = data[i] << 16;
    if (i + 1 < data.size()) v |= data[i + 1] << 8;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += (i + 1 < data.size()) ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Bytes from_base64(std::string_view text) {
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0, chars = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=') {
      ++pad;
      continue;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
      continue;
    else
      fail(Errc::invalid_argument, "base64 text has an invalid character");
    if (pad) fail(Errc::invalid_argument, "base64 text has data after padding");
    ++chars;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  if (chars % 4 == 1 || pad > 2 || (pad && (chars + pad) % 4 != 0))
    fail(Errc::invalid_argument, "base64 text has an impossible length");
  return out;
}

}  // namespace openrms::crypto
