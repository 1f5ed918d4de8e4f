#include "openrms/crypto/secure.hpp"

#include "base64.hpp"

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

std::string to_base64(ByteView data) {
  return detail::base64_encode<std::string>(data);
}

std::string to_base64url(ByteView data) {
  std::string s = to_base64(data);
  for (auto& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

Bytes from_base64(std::string_view text) {
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  if (!detail::base64_decode(text, out, false))
    fail(Errc::invalid_argument, "base64 text is invalid (bad character, padding or length)");
  return out;
}

}  // namespace openrms::crypto
