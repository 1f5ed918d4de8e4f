// VAES + AVX-512 CBC-encrypt kernel: four segments per 512-bit register, Q registers in flight.
// Compiled with -mvaes -mavx512f -mavx512vl (crypto/CMakeLists.txt); reached only after
// lanes::cpu_has_vaes512().
#include <immintrin.h>

#include "aes_lanes.hpp"

namespace openrms::crypto::lanes {
namespace {

inline __m128i load(const std::uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

inline __m512i gather4(const std::uint8_t* const* p, std::size_t off) {
  __m512i v = _mm512_zextsi128_si512(load(p[0] + off));
  v = _mm512_inserti32x4(v, load(p[1] + off), 1);
  v = _mm512_inserti32x4(v, load(p[2] + off), 2);
  return _mm512_inserti32x4(v, load(p[3] + off), 3);
}

inline void scatter4(std::uint8_t* const* p, std::size_t off, __m512i v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p[0] + off), _mm512_castsi512_si128(v));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p[1] + off), _mm512_extracti32x4_epi32(v, 1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p[2] + off), _mm512_extracti32x4_epi32(v, 2));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p[3] + off), _mm512_extracti32x4_epi32(v, 3));
}

template <int Q>
void cbc_enc(const KeySchedule& ks, const std::uint8_t* const* in, std::uint8_t* const* out,
             const std::uint8_t* ivs, std::size_t blocks) {
  const int nr = ks.rounds;
  __m512i rk[15];
  for (int r = 0; r <= nr; ++r) rk[r] = _mm512_broadcast_i32x4(load(ks.enc[r]));
  __m512i s[Q];
#pragma GCC unroll 8
  for (int q = 0; q < Q; ++q) s[q] = _mm512_loadu_si512(ivs + 64 * q);
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t off = 16 * b;
#pragma GCC unroll 8
    for (int q = 0; q < Q; ++q)
      s[q] = _mm512_ternarylogic_epi64(s[q], gather4(in + 4 * q, off), rk[0], 0x96);
    for (int r = 1; r < nr; ++r) {
#pragma GCC unroll 8
      for (int q = 0; q < Q; ++q) s[q] = _mm512_aesenc_epi128(s[q], rk[r]);
    }
#pragma GCC unroll 8
    for (int q = 0; q < Q; ++q) {
      s[q] = _mm512_aesenclast_epi128(s[q], rk[nr]);
      scatter4(out + 4 * q, off, s[q]);
    }
  }
}

}  // namespace

void cbc_encrypt_wide(const KeySchedule& ks, const std::uint8_t* const* in,
                      std::uint8_t* const* out, const std::uint8_t* ivs,
                      std::size_t blocks) noexcept {
  cbc_enc<kWideLanes / 4>(ks, in, out, ivs, blocks);
}

}  // namespace openrms::crypto::lanes
