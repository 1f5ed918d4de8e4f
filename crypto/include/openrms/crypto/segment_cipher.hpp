// Segment ciphers: the bulk content modes of RMS containers and of Office Agile encryption.
//
//   cbc4k  — FORMATS.md B1 (RMS "CBC4K"): 4096-byte plaintext segments, each AES-CBC with
//            IV_n = AES-ECB_K(LE32(n) || 0^12); PKCS#7 padding on the final segment only; if the
//            plaintext length is a multiple of 4096 (also 0) one extra block of padding follows,
//            encrypted with IV_{N/4096}. Ciphertext size = N - N%16 + 16.
//   cbc512 — FORMATS.md B1: 512-byte segments, IV_n = AES-ECB_K(LE64(512n) || 0^8), no padding
//            (plaintext length must be a multiple of 16). Ciphertext size = N.
//   agile  — MS-OFFCRYPTO 2.3.4.15: 4096-byte segments, IV_n = H(salt || LE32(n)) truncated to
//            16 bytes (padded with 0x36 if H is shorter); the final segment is zero-padded to 16.
//            Ciphertext size = ceil(N/16)*16; the caller keeps N (StreamSize) and truncates.
//
// Segments are independent, so the implementation encrypts 16 segments at once in 256-bit VAES
// lanes (CPUs with VAES and AVX2), else up to 8 at once in interleaved 128-bit AES-NI lanes, else
// uses the backend's AES-CBC per segment; it spreads large inputs over a thread pool. Results are
// identical whatever the engine or thread count (tests and the differential fuzz target check
// this).
//
// Errors (openrms::Error): invalid_argument for wrong key/salt/buffer sizes or misaligned input;
// integrity for bad CBC4K padding on decrypt (no detail given).
// Thread safety: a SegmentCipher is immutable after construction and may be used from many
// threads at once. SegmentStream is single-threaded (it uses the pool internally).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "openrms/crypto/backend.hpp"

namespace openrms::crypto {

enum class SegmentMode { cbc4k, cbc512, agile };

struct SegmentOptions {
  /// automatic and lanes = the widest lanes the CPU has (256-bit VAES, else 128-bit AES-NI),
  /// else the backend; lanes128 = AES-NI 128-bit lanes only; backend = the backend's AES-CBC per
  /// segment. Lane engines fall back to the backend on CPUs without AES-NI.
  enum class Engine { automatic, lanes, lanes128, backend };
  Engine engine = Engine::automatic;
  unsigned threads = 0;              ///< 0 = every core; 1 = the calling thread only
  const Backend* backend = nullptr;  ///< for IV hashes and the backend engine; null = default
};

class SegmentCipher {
 public:
  static SegmentCipher cbc4k(ByteView key, SegmentOptions opt = {});
  static SegmentCipher cbc512(ByteView key, SegmentOptions opt = {});
  /// `salt` = keyData.saltValue; `iv_hash` = keyData.hashAlgorithm. AES key 16/24/32 bytes.
  static SegmentCipher agile(ByteView key, HashAlg iv_hash, ByteView salt, SegmentOptions opt = {});

  SegmentCipher(SegmentCipher&&) noexcept;
  SegmentCipher& operator=(SegmentCipher&&) noexcept;
  ~SegmentCipher();

  SegmentMode mode() const noexcept;
  std::size_t segment_size() const noexcept;
  /// True if the AES-NI lanes are in use.
  bool uses_lanes() const noexcept;
  /// True if the 256-bit VAES kernels are in use.
  bool uses_wide_lanes() const noexcept;
  std::uint64_t ciphertext_size(std::uint64_t plaintext_size) const noexcept;

  /// Encrypts whole segments: in.size() is a multiple of segment_size(); `first` is the index of
  /// the first segment. out.size() == in.size(); in and out may alias exactly.
  void encrypt_segments(std::uint64_t first, ByteView in, MutableByteView out) const;
  void decrypt_segments(std::uint64_t first, ByteView in, MutableByteView out) const;
  /// Encrypts the final (partial, possibly empty) segment `index` with the mode's padding.
  /// in.size() < segment_size(); out must hold ciphertext_size(in.size()) bytes; returns bytes
  /// written.
  std::size_t encrypt_final(std::uint64_t index, ByteView in, MutableByteView out) const;
  /// Decrypts the final segment (1..segment_size() bytes for cbc4k; a multiple of 16).
  /// Returns plaintext bytes written (cbc4k: padding removed and checked).
  std::size_t decrypt_final(std::uint64_t index, ByteView in, MutableByteView out) const;

  /// Whole-buffer helpers. decrypt(): for agile, pass the plaintext size to truncate to.
  Bytes encrypt(ByteView plaintext) const;
  SecureBytes decrypt(ByteView ciphertext,
                      std::optional<std::uint64_t> plaintext_size = std::nullopt) const;

  struct Impl;  // opaque

 private:
  explicit SegmentCipher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Streaming front end: feed any chunk sizes, output goes to `sink` in large batches (about
/// 1 MiB, processed in parallel). Memory stays bounded whatever the total size.
class SegmentStream {
 public:
  enum class Direction { encrypt, decrypt };
  using Sink = std::function<void(ByteView)>;
  /// For agile decrypt pass the plaintext size (StreamSize) so the padding is cut off.
  SegmentStream(const SegmentCipher& cipher, Direction dir, Sink sink,
                std::optional<std::uint64_t> plaintext_size = std::nullopt,
                std::size_t batch_bytes = 1 << 20);
  ~SegmentStream();
  void update(ByteView data);
  /// Flushes the final segment. Must be called once; further calls to update() are invalid.
  void finish();
  std::uint64_t bytes_in() const noexcept { return in_total_; }
  std::uint64_t bytes_out() const noexcept { return out_total_; }

 private:
  void flush(bool final);
  const SegmentCipher& cipher_;
  Direction dir_;
  Sink sink_;
  std::optional<std::uint64_t> limit_;
  std::size_t batch_;
  SecureBytes buf_;
  std::size_t fill_ = 0;
  SecureBytes out_;
  std::uint64_t next_segment_ = 0;
  std::uint64_t in_total_ = 0;
  std::uint64_t out_total_ = 0;
  bool finished_ = false;
};

}  // namespace openrms::crypto
