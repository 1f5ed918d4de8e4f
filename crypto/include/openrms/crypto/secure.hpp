// Secret-holding containers and helpers.
//
// SecureBytes is a std::vector whose storage is wiped (with a write the compiler cannot elide)
// before it is released, including on reallocation. Use it for keys, passwords and plaintext key
// material. It does not lock pages; to keep secrets out of core dumps call disable_core_dumps()
// once at process start (the openrms command does).
//
// Thread safety: the free functions are thread-safe; containers follow std::vector rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace openrms::crypto {

/// Overwrites `n` bytes at `p` with zeros; never optimised away.
void secure_wipe(void* p, std::size_t n) noexcept;

template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    secure_wipe(p, n * sizeof(T));
    ::operator delete(p);
  }
  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

using Bytes = std::vector<std::uint8_t>;
using SecureBytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;
using SecureString = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;
using ByteView = std::span<const std::uint8_t>;
using MutableByteView = std::span<std::uint8_t>;

/// Constant-time equality: time depends only on the lengths, never on the contents.
bool ct_equal(ByteView a, ByteView b) noexcept;

/// Lower-case hex of `data`.
std::string to_hex(ByteView data);
/// Parses hex (either case, even length); throws Error{invalid_argument} otherwise.
Bytes from_hex(std::string_view hex);
/// Standard base64 (RFC 4648 §4) with '=' padding.
std::string to_base64(ByteView data);
/// base64url (RFC 4648 §5) without padding, as JOSE, PKCE and cookies use it.
std::string to_base64url(ByteView data);
/// Parses RFC 4648 §4 base64; ASCII whitespace is skipped, padding is optional. Throws
/// Error{invalid_argument} on any other character or an impossible length.
Bytes from_base64(std::string_view text);

/// Views a string's bytes.
inline ByteView as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline SecureBytes to_secure(ByteView v) {
  return SecureBytes(v.begin(), v.end());
}

/// Makes this process non-dumpable and sets its core-file limit to 0 (Linux), so secrets in
/// memory do not reach a core dump. Returns false if either step failed.
bool disable_core_dumps() noexcept;

}  // namespace openrms::crypto
