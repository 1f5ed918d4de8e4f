// VAES (256-bit) + AVX2 kernels: two AES blocks per instruction.
// Compiled with -maes -mvaes -mavx2 (crypto/CMakeLists.txt); reached only after
// lanes::cpu_has_vaes().
//
// CBC encryption is serial within a segment, so the encrypt kernel runs kVaesLanes segments at
// once, two per 256-bit register. Segments are 4 KiB apart, so lanes that walked in step would
// read and write addresses that all map to one L1 cache set (more lines than the cache has ways,
// measured ~35 % slower); the lanes are therefore staggered by kStagger blocks and stay staggered:
// a lane that finishes its segment takes the next one at once ("rolling" lanes).
#include <immintrin.h>

#include <cstdint>

#include "aes_lanes.hpp"
#include "openrms/crypto/secure.hpp"

namespace openrms::crypto::lanes {
namespace {

constexpr int kRegs = static_cast<int>(kVaesLanes / 2);
constexpr std::size_t kStagger = 4;  // blocks: one 64-byte cache line per lane

inline __m128i load(const std::uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
inline void store(std::uint8_t* p, __m128i v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}
inline __m256i load2(const std::uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

struct Lane {
  const std::uint8_t* in;
  std::uint8_t* out;
  std::size_t left;    // blocks until this lane's current job ends
  std::size_t stride;  // 16 on a segment, 0 while idle (reading and writing a scratch block)
};

}  // namespace

void cbc_encrypt_segments(const KeySchedule& ks, const std::uint8_t* in, std::uint8_t* out,
                          std::size_t nseg, std::size_t seg_blocks,
                          const std::uint8_t* ivs) noexcept {
  if (nseg == 0 || seg_blocks == 0) return;
  const int nr = ks.rounds;
  __m256i rk[15];
  for (int r = 0; r <= nr; ++r) rk[r] = _mm256_broadcastsi128_si256(load(ks.enc[r]));
  alignas(32) std::uint8_t scratch_in[16] = {}, scratch_out[16];
  const std::size_t seg_bytes = seg_blocks * 16;

  Lane ln[kVaesLanes];
  std::size_t next = 0;  // the next segment to hand out
  std::size_t active = 0;
  __m256i s[kRegs];
  for (int q = 0; q < kRegs; ++q) s[q] = _mm256_setzero_si256();
  // Lane l idles l*kStagger blocks before its first segment (lane 0 starts at once).
  for (std::size_t l = 0; l < kVaesLanes; ++l)
    ln[l] = Lane{scratch_in, scratch_out, l * kStagger, 0};
  auto start = [&](Lane & a, std::size_t l) __attribute__((always_inline)) {
    if (next < nseg) {
      a = Lane{in + next * seg_bytes, out + next * seg_bytes, seg_blocks, 16};
      const __m128i iv = load(ivs + 16 * next);
      s[l / 2] = (l & 1) ? _mm256_inserti128_si256(s[l / 2], iv, 1)
                         : _mm256_inserti128_si256(s[l / 2], iv, 0);
      ++next;
      ++active;
    } else {
      a = Lane{scratch_in, scratch_out, ~std::size_t{0}, 0};
    }
  };
  start(ln[0], 0);

  while (active > 0) {
#pragma GCC unroll 16
    for (int q = 0; q < kRegs; ++q) {
      const __m256i x = _mm256_inserti128_si256(_mm256_castsi128_si256(load(ln[2 * q].in)),
                                                load(ln[2 * q + 1].in), 1);
      s[q] = _mm256_xor_si256(s[q], _mm256_xor_si256(x, rk[0]));
    }
    for (int r = 1; r < nr; ++r) {
#pragma GCC unroll 16
      for (int q = 0; q < kRegs; ++q) s[q] = _mm256_aesenc_epi128(s[q], rk[r]);
    }
#pragma GCC unroll 16
    for (int q = 0; q < kRegs; ++q) {
      s[q] = _mm256_aesenclast_epi128(s[q], rk[nr]);
      store(ln[2 * q].out, _mm256_castsi256_si128(s[q]));
      store(ln[2 * q + 1].out, _mm256_extracti128_si256(s[q], 1));
    }
#pragma GCC unroll 16
    for (std::size_t l = 0; l < kVaesLanes; ++l) {
      Lane& a = ln[l];
      a.in += a.stride;
      a.out += a.stride;
      if (__builtin_expect(--a.left == 0, 0)) {
        if (a.stride != 0) --active;
        start(a, l);
      }
    }
  }
  // The broadcast round keys may have been spilled to this frame, and stay in the registers.
  secure_wipe(rk, sizeof rk);
  _mm256_zeroall();
}

void cbc_decrypt_vaes(const KeySchedule& ks, const std::uint8_t* iv, const std::uint8_t* in,
                      std::uint8_t* out, std::size_t blocks) noexcept {
  const int nr = ks.rounds;
  __m128i prev = load(iv);
  std::size_t b = 0;
  if (blocks >= 16) {
    __m256i dk[15];
    for (int r = 0; r <= nr; ++r) dk[r] = _mm256_broadcastsi128_si256(load(ks.dec[r]));
    for (; b + 16 <= blocks; b += 16) {
      const std::uint8_t* p = in + 16 * b;
      // Every ciphertext this group needs is loaded before anything is stored (in may be out).
      __m256i c[8], x[8], chain[8];
#pragma GCC unroll 8
      for (int i = 0; i < 8; ++i) {
        c[i] = load2(p + 32 * i);
        x[i] = _mm256_xor_si256(c[i], dk[0]);
      }
      chain[0] =
          _mm256_inserti128_si256(_mm256_castsi128_si256(prev), _mm256_castsi256_si128(c[0]), 1);
#pragma GCC unroll 8
      for (int i = 1; i < 8; ++i) chain[i] = load2(p + 32 * i - 16);
      prev = _mm256_extracti128_si256(c[7], 1);
      for (int r = 1; r < nr; ++r) {
#pragma GCC unroll 8
        for (int i = 0; i < 8; ++i) x[i] = _mm256_aesdec_epi128(x[i], dk[r]);
      }
#pragma GCC unroll 8
      for (int i = 0; i < 8; ++i)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16 * b + 32 * i),
                            _mm256_xor_si256(_mm256_aesdeclast_epi128(x[i], dk[nr]), chain[i]));
    }
    secure_wipe(dk, sizeof dk);
    _mm256_zeroall();
  }
  const auto* dk = reinterpret_cast<const __m128i*>(ks.dec);
  for (; b < blocks; ++b) {
    const __m128i c = load(in + 16 * b);
    __m128i x = _mm_xor_si128(c, dk[0]);
    for (int r = 1; r < nr; ++r) x = _mm_aesdec_si128(x, dk[r]);
    store(out + 16 * b, _mm_xor_si128(_mm_aesdeclast_si128(x, dk[nr]), prev));
    prev = c;
  }
}

}  // namespace openrms::crypto::lanes
