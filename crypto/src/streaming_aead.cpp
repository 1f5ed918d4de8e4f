#include "openrms/crypto/streaming_aead.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "openrms/crypto/parallel.hpp"
#include "openrms/error.hpp"

namespace openrms::crypto {

namespace {

constexpr std::uint64_t kMaxSegments = std::uint64_t{1} << 32;  // the nonce's 32-bit index

void check_segment_size(std::uint32_t s) {
  if (s < StreamingAead::kMinSegment || s > StreamingAead::kMaxSegment || (s & (s - 1)) != 0)
    fail(Errc::invalid_argument,
         "the stream segment size must be a power of two from 4 KiB to "
         "16 MiB");
}

// Splits `k` segments into at most `threads` contiguous runs (one AES-GCM context each).
template <class Fn>
void over_runs(std::uint64_t k, unsigned threads, Fn&& fn) {
  unsigned t = threads ? threads : parallelism();
  const std::uint64_t runs = std::min<std::uint64_t>(k, std::max(1u, t));
  if (runs <= 1) {
    fn(0, k);
    return;
  }
  parallel_for(
      static_cast<std::size_t>(runs), [&](std::size_t r) { fn(k * r / runs, k * (r + 1) / runs); },
      t);
}

}  // namespace

StreamingAead::Params StreamingAead::Params::fresh(const Backend& be, std::uint32_t segment_size) {
  check_segment_size(segment_size);
  Params p;
  p.segment_size = segment_size;
  be.random(MutableByteView(p.salt, kSaltSize));
  be.random(MutableByteView(p.nonce_prefix, kPrefixSize));
  return p;
}

StreamingAead::StreamingAead(const Backend& be, ByteView ikm, const Params& params,
                             ByteView context)
    : be_(&be), params_(params), key_(32) {
  check_segment_size(params.segment_size);
  if (ikm.size() < 16 || ikm.size() > 64)
    fail(Errc::invalid_argument, "the stream's input key must be 16 to 64 bytes");
  be.hkdf(HashAlg::sha256, ikm, ByteView(params.salt, kSaltSize), context, key_);
}

StreamingAead::~StreamingAead() = default;

std::uint64_t StreamingAead::segments_for(std::uint32_t s, std::uint64_t n) noexcept {
  return n == 0 ? 1 : n / s + (n % s != 0);
}

std::uint64_t StreamingAead::ciphertext_size(std::uint32_t s, std::uint64_t n) noexcept {
  return n + kTagSize * segments_for(s, n);
}

std::optional<std::uint64_t> StreamingAead::plaintext_size(std::uint32_t s,
                                                           std::uint64_t c) noexcept {
  if (s == 0) return std::nullopt;
  const std::uint64_t seg = std::uint64_t{s} + kTagSize;
  if (c < kTagSize) return std::nullopt;
  const std::uint64_t k = c / seg + (c % seg != 0);
  const std::uint64_t last = c - (k - 1) * seg;
  if (k > kMaxSegments || (last == kTagSize && k > 1)) return std::nullopt;
  return c - k * kTagSize;
}

void StreamingAead::nonce(std::uint64_t index, bool last, std::uint8_t out[12]) const {
  std::memcpy(out, params_.nonce_prefix, kPrefixSize);
  out[7] = static_cast<std::uint8_t>(index >> 24);
  out[8] = static_cast<std::uint8_t>(index >> 16);
  out[9] = static_cast<std::uint8_t>(index >> 8);
  out[10] = static_cast<std::uint8_t>(index);
  out[11] = last ? 1 : 0;
}

void StreamingAead::seal(std::uint64_t first, bool final, ByteView in, MutableByteView out,
                         unsigned threads) const {
  const std::uint64_t s = params_.segment_size;
  if (!final && (in.empty() || in.size() % s != 0))
    fail(Errc::invalid_argument, "a stream run that is not final must hold whole segments");
  if (in.empty() && first != 0)
    fail(Errc::invalid_argument, "only an empty stream ends in an empty segment");
  const std::uint64_t k = segments_for(in.size());
  if (first + k > kMaxSegments) fail(Errc::invalid_argument, "the stream has too many segments");
  if (out.size() != in.size() + k * kTagSize)
    fail(Errc::invalid_argument, "the sealed run's buffer has the wrong size");
  over_runs(k, threads, [&](std::uint64_t from, std::uint64_t to) {
    auto gcm = be_->aes_gcm(key_);
    std::uint8_t iv[12];
    for (std::uint64_t i = from; i < to; ++i) {
      const std::uint64_t p_at = i * s, len = std::min<std::uint64_t>(s, in.size() - p_at);
      const std::uint64_t c_at = i * (s + kTagSize);
      nonce(first + i, final && i + 1 == k, iv);
      gcm->seal(ByteView(iv, 12), {}, in.subspan(p_at, len), out.subspan(c_at, len),
                out.subspan(c_at + len, kTagSize));
    }
  });
}

bool StreamingAead::open(std::uint64_t first, bool final, ByteView in, MutableByteView out,
                         unsigned threads) const {
  const std::uint64_t s = params_.segment_size, seg = s + kTagSize;
  std::uint64_t k;
  if (final) {
    auto plain = plaintext_size(in.size());
    if (!plain || (in.size() <= kTagSize && first != 0)) return false;
    k = segments_for(*plain);
  } else {
    if (in.empty() || in.size() % seg != 0)
      fail(Errc::invalid_argument, "a stream run that is not final must hold whole segments");
    k = in.size() / seg;
  }
  if (first + k > kMaxSegments) return false;
  if (out.size() != in.size() - k * kTagSize)
    fail(Errc::invalid_argument, "the opened run's buffer has the wrong size");
  std::atomic<bool> ok{true};
  over_runs(k, threads, [&](std::uint64_t from, std::uint64_t to) {
    auto gcm = be_->aes_gcm(key_);
    std::uint8_t iv[12];
    for (std::uint64_t i = from; i < to && ok.load(std::memory_order_relaxed); ++i) {
      const std::uint64_t c_at = i * seg,
                          len = std::min<std::uint64_t>(s, in.size() - c_at - kTagSize);
      nonce(first + i, final && i + 1 == k, iv);
      if (!gcm->open(ByteView(iv, 12), {}, in.subspan(c_at, len), out.subspan(i * s, len),
                     in.subspan(c_at + len, kTagSize)))
        ok = false;
    }
  });
  if (!ok) std::fill(out.begin(), out.end(), std::uint8_t{0});
  return ok;
}

}  // namespace openrms::crypto
