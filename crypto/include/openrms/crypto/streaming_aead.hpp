// Streaming authenticated encryption: integrity per segment, so a reader releases each segment
// as soon as it verifies and reads any range by touching only its segments (DESIGN.md §4,
// container integrity version 2).
//
// The construction is Tink's AES-GCM-HKDF-Streaming (Hoang, Reyhanitabar, Rogaway, Vizár,
// "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", CRYPTO 2015, the
// "STREAM" construction with a derived per-stream key):
//   per stream:  salt (32 random bytes), nonce prefix (7 random bytes), segment size S
//   stream key:  K = HKDF-SHA256(ikm = content key, salt = salt, info = context, 32 bytes)
//   segment i:   AES-256-GCM(K, nonce = prefix ‖ BE32(i) ‖ last, no AAD) -> ciphertext ‖ tag(16)
//                last = 0x01 for the final segment, else 0x00
//   layout:      segments back to back; every segment but the last holds exactly S plaintext
//                bytes, the last 1..S (0 only when it is the only one, an empty stream).
// The caller binds everything around the segments (a container's header: version, license,
// metadata) by passing it, or its hash, as `context`: another header gives another key, so every
// segment fails. Reordering (the index is in the nonce), a segment from another stream (another
// key and prefix), truncation at a segment boundary (the new last segment was not sealed as
// last) and appended data (a segment after one sealed as last, or a size no stream has) are all
// detected. Segment i's ciphertext starts at i·(S+16), so random access needs no index.
//
// Errors (openrms::Error): invalid_argument for parameters out of range or buffers of the wrong
// size. open() reports a failed check by returning false (no detail: which segment failed is
// not a secret, but a caller has nothing to do with it).
// Thread safety: immutable after construction; seal()/open() may run from many threads at once
// and spread their segments over openrms's thread pool (crypto/parallel.hpp).
#pragma once

#include <cstdint>
#include <optional>

#include "openrms/crypto/backend.hpp"

namespace openrms::crypto {

class StreamingAead {
 public:
  static constexpr std::size_t kSaltSize = 32;
  static constexpr std::size_t kPrefixSize = 7;
  static constexpr std::size_t kTagSize = 16;
  static constexpr std::uint32_t kMinSegment = 4u << 10;
  static constexpr std::uint32_t kMaxSegment = 16u << 20;
  static constexpr std::uint32_t kDefaultSegment = 1u << 20;

  /// What a stream records in its container's header (everything but the key).
  struct Params {
    std::uint32_t segment_size = kDefaultSegment;  ///< a power of two in [kMinSegment, kMaxSegment]
    std::uint8_t salt[kSaltSize] = {};
    std::uint8_t nonce_prefix[kPrefixSize] = {};
    /// Fresh random salt and prefix. invalid_argument for a bad segment size.
    static Params fresh(const Backend& be, std::uint32_t segment_size = kDefaultSegment);
  };

  /// Derives the stream key from `ikm` (the content key, 16..64 bytes) and `context`.
  /// invalid_argument for a bad segment size or key length.
  StreamingAead(const Backend& be, ByteView ikm, const Params& params, ByteView context);
  StreamingAead(StreamingAead&&) noexcept = default;
  ~StreamingAead();

  const Params& params() const noexcept { return params_; }
  const Backend& backend() const noexcept { return *be_; }
  std::uint32_t segment_size() const noexcept { return params_.segment_size; }
  /// Ciphertext bytes of segment `i` when sealed whole: S + 16.
  std::uint64_t sealed_segment_size() const noexcept { return params_.segment_size + kTagSize; }

  /// Segments a plaintext of `n` bytes takes (at least one) with segments of `segment_size`.
  static std::uint64_t segments_for(std::uint32_t segment_size, std::uint64_t n) noexcept;
  /// Ciphertext size for a plaintext of `n` bytes.
  static std::uint64_t ciphertext_size(std::uint32_t segment_size, std::uint64_t n) noexcept;
  /// The plaintext size of a ciphertext of `n` bytes; nullopt if no stream has that size
  /// (fewer than 16 bytes, an empty segment after a full one, …).
  static std::optional<std::uint64_t> plaintext_size(std::uint32_t segment_size,
                                                     std::uint64_t n) noexcept;
  std::uint64_t segments_for(std::uint64_t n) const noexcept {
    return segments_for(params_.segment_size, n);
  }
  std::uint64_t ciphertext_size(std::uint64_t n) const noexcept {
    return ciphertext_size(params_.segment_size, n);
  }
  std::optional<std::uint64_t> plaintext_size(std::uint64_t n) const noexcept {
    return plaintext_size(params_.segment_size, n);
  }

  /// Seals the run of consecutive segments starting at index `first`. `in` holds whole segments
  /// (a positive multiple of S), except that with `final` its last segment may be short and ends
  /// the stream (an empty `in` with final and first == 0 is the empty stream).
  /// out.size() must be in.size() + 16 × (segments in the run). Uses up to `threads` threads
  /// (0 = the pool's all).
  void seal(std::uint64_t first, bool final, ByteView in, MutableByteView out,
            unsigned threads = 0) const;
  /// Opens a run sealed as above (`in` as laid out by seal). False if any segment fails to
  /// verify; `out` (plaintext of in's size less the tags) is then all zeros.
  [[nodiscard]] bool open(std::uint64_t first, bool final, ByteView in, MutableByteView out,
                          unsigned threads = 0) const;

 private:
  void nonce(std::uint64_t index, bool last, std::uint8_t out[12]) const;

  const Backend* be_;
  Params params_;
  SecureBytes key_;
};

}  // namespace openrms::crypto
