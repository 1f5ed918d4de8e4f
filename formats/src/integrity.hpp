// The integrity MAC of every container openrms writes (DESIGN.md §4) — internal.
//
// key = HKDF-SHA256(ikm = content key, salt = "", info = "openrms-integrity-v1|" CONTAINER, 32)
// mac = HMAC-SHA256(key, the whole container file with the 32 MAC bytes read as zeros)
// Covering the whole file (not just the ciphertext) means any changed byte — license, notice,
// padding, directory — is detected, not only changes to the encrypted content.
#pragma once

#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <string_view>

#include "openrms/crypto/backend.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::formats::detail {

inline constexpr std::size_t kMacSize = 32;

crypto::SecureBytes integrity_key(const crypto::Backend& be, ByteView content_key,
                                  std::string_view container);

/// HMAC over a byte stream fed in order, reading [hole, hole + hole_len) as `fill`
/// bytes (0 for binary MACs; '0' for a hex-encoded MAC in a text format).
class HoleMac {
 public:
  HoleMac(const crypto::Backend& be, ByteView key, std::uint64_t hole,
          std::size_t hole_len = kMacSize, std::uint8_t fill = 0);
  void update(ByteView data);
  std::uint64_t position() const noexcept { return pos_; }
  /// The MAC of everything fed so far.
  crypto::Bytes finish();

 private:
  std::unique_ptr<crypto::MacCtx> mac_;
  std::uint64_t hole_, pos_ = 0;
  std::size_t hole_len_;
  std::uint8_t fill_;
};

/// HoleMac over [from, to) of `src` read in chunks (feeding `mac` in order).
void mac_range(HoleMac& mac, const ByteSource& src, std::uint64_t from, std::uint64_t to);

/// Runs `verify` (true if the MAC matches) and `produce` (decrypts to the output).
/// overlap false: verify first, then produce — no plaintext of an altered file reaches the output.
/// overlap true (the caller's output is discarded unless this returns, e.g. an AtomicFileSink
/// committed afterwards): both at once, verify on its own thread. Either way a failed MAC calls
/// `altered` (which throws) in preference to any error of `produce`.
template <class Verify, class Produce, class Altered>
void verify_and_produce(bool overlap, Verify&& verify, Produce&& produce, Altered&& altered) {
  if (!overlap) {
    if (!verify()) altered();
    produce();
    return;
  }
  std::future<bool> mac = std::async(std::launch::async, std::forward<Verify>(verify));
  std::exception_ptr err;
  try {
    produce();
  } catch (...) {
    err = std::current_exception();
  }
  const bool ok = mac.get();
  if (!ok) altered();
  if (err) std::rethrow_exception(err);
}

}  // namespace openrms::formats::detail
