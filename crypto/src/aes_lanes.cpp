// Compiled with -maes -msse4.1 (see crypto/CMakeLists.txt); reached only after cpu_has_aesni().
#include "aes_lanes.hpp"

#include <immintrin.h>

#include <cstring>

#include "openrms/crypto/secure.hpp"

namespace openrms::crypto::lanes {
namespace {

inline __m128i load(const std::uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
inline void store(std::uint8_t* p, __m128i v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}

// SubWord() of one 32-bit word via AESKEYGENASSIST: lane 0 of the result is SubWord(lane 1).
inline std::uint32_t sub_word(std::uint32_t w) {
  __m128i v = _mm_set_epi32(0, 0, static_cast<int>(w), 0);
  return static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_aeskeygenassist_si128(v, 0)));
}

template <int L>
inline void cbc_enc_lanes(const __m128i* rk, int rounds, const std::uint8_t* const* in,
                          std::uint8_t* const* out, const std::uint8_t* ivs, std::size_t blocks) {
  // The lane loops must unroll so the states stay in registers.
  __m128i s[L];
#pragma GCC unroll 8
  for (int l = 0; l < L; ++l) s[l] = load(ivs + 16 * l);
  for (std::size_t b = 0; b < blocks; ++b) {
    const std::size_t off = 16 * b;
#pragma GCC unroll 8
    for (int l = 0; l < L; ++l) s[l] = _mm_xor_si128(s[l], _mm_xor_si128(load(in[l] + off), rk[0]));
    for (int r = 1; r < rounds; ++r) {
      const __m128i k = rk[r];
#pragma GCC unroll 8
      for (int l = 0; l < L; ++l) s[l] = _mm_aesenc_si128(s[l], k);
    }
    const __m128i last = rk[rounds];
#pragma GCC unroll 8
    for (int l = 0; l < L; ++l) {
      s[l] = _mm_aesenclast_si128(s[l], last);
      store(out[l] + off, s[l]);
    }
  }
}

}  // namespace

KeySchedule::~KeySchedule() {
  secure_wipe(enc, sizeof enc);
  secure_wipe(dec, sizeof dec);
}

void expand_key(const std::uint8_t* key, std::size_t key_len, KeySchedule& ks) noexcept {
  const int nk = static_cast<int>(key_len / 4);
  const int nr = nk + 6;
  const int total = 4 * (nr + 1);
  std::uint32_t w[60];
  std::memcpy(w, key, key_len);  // little-endian words: byte 0 is the low byte
  std::uint32_t rcon = 1;
  for (int i = nk; i < total; ++i) {
    std::uint32_t t = w[i - 1];
    if (i % nk == 0) {
      t = sub_word(t);
      t = (t >> 8) | (t << 24);  // RotWord after SubWord (they commute: SubWord is bytewise)
      t ^= rcon;
      rcon = (rcon << 1) ^ ((rcon & 0x80) ? 0x11b : 0);
    } else if (nk > 6 && i % nk == 4) {
      t = sub_word(t);
    }
    w[i] = w[i - nk] ^ t;
  }
  std::memcpy(ks.enc, w, static_cast<std::size_t>(total) * 4);
  secure_wipe(w, sizeof w);
  ks.rounds = nr;
  store(ks.dec[0], load(ks.enc[nr]));
  for (int i = 1; i < nr; ++i) store(ks.dec[i], _mm_aesimc_si128(load(ks.enc[nr - i])));
  store(ks.dec[nr], load(ks.enc[0]));
}

void ecb_encrypt(const KeySchedule& ks, const std::uint8_t* in, std::uint8_t* out,
                 std::size_t blocks) noexcept {
  const auto* rk = reinterpret_cast<const __m128i*>(ks.enc);
  const int nr = ks.rounds;
  std::size_t b = 0;
  for (; b + 4 <= blocks; b += 4) {
    __m128i x[4];
    for (int i = 0; i < 4; ++i) x[i] = _mm_xor_si128(load(in + 16 * (b + i)), rk[0]);
    for (int r = 1; r < nr; ++r)
      for (int i = 0; i < 4; ++i) x[i] = _mm_aesenc_si128(x[i], rk[r]);
    for (int i = 0; i < 4; ++i) store(out + 16 * (b + i), _mm_aesenclast_si128(x[i], rk[nr]));
  }
  for (; b < blocks; ++b) {
    __m128i x = _mm_xor_si128(load(in + 16 * b), rk[0]);
    for (int r = 1; r < nr; ++r) x = _mm_aesenc_si128(x, rk[r]);
    store(out + 16 * b, _mm_aesenclast_si128(x, rk[nr]));
  }
}

void cbc_encrypt_multi(const KeySchedule& ks, std::size_t count, const std::uint8_t* const* in,
                       std::uint8_t* const* out, const std::uint8_t* ivs,
                       std::size_t blocks) noexcept {
  const auto* rk = reinterpret_cast<const __m128i*>(ks.enc);
  switch (count) {
    case 1:
      cbc_enc_lanes<1>(rk, ks.rounds, in, out, ivs, blocks);
      break;
    case 2:
      cbc_enc_lanes<2>(rk, ks.rounds, in, out, ivs, blocks);
      break;
    case 3:
      cbc_enc_lanes<3>(rk, ks.rounds, in, out, ivs, blocks);
      break;
    case 4:
      cbc_enc_lanes<4>(rk, ks.rounds, in, out, ivs, blocks);
      break;
    case 5:
      cbc_enc_lanes<5>(rk, ks.rounds, in, out, ivs, blocks);
      break;
    case 6:
      cbc_enc_lanes<6>(rk, ks.rounds, in, out, ivs, blocks);
      break;
    case 7:
      cbc_enc_lanes<7>(rk, ks.rounds, in, out, ivs, blocks);
      break;
    case 8:
      cbc_enc_lanes<8>(rk, ks.rounds, in, out, ivs, blocks);
      break;
    default:
      break;
  }
}

void cbc_decrypt(const KeySchedule& ks, const std::uint8_t* iv, const std::uint8_t* in,
                 std::uint8_t* out, std::size_t blocks) noexcept {
  const auto* dk = reinterpret_cast<const __m128i*>(ks.dec);
  const int nr = ks.rounds;
  __m128i prev = load(iv);
  std::size_t b = 0;
  for (; b + 8 <= blocks; b += 8) {
    __m128i c[8], x[8];
    for (int i = 0; i < 8; ++i) {
      c[i] = load(in + 16 * (b + i));
      x[i] = _mm_xor_si128(c[i], dk[0]);
    }
    for (int r = 1; r < nr; ++r) {
      const __m128i k = dk[r];
      for (int i = 0; i < 8; ++i) x[i] = _mm_aesdec_si128(x[i], k);
    }
    for (int i = 0; i < 8; ++i) x[i] = _mm_aesdeclast_si128(x[i], dk[nr]);
    store(out + 16 * b, _mm_xor_si128(x[0], prev));
    for (int i = 1; i < 8; ++i) store(out + 16 * (b + i), _mm_xor_si128(x[i], c[i - 1]));
    prev = c[7];
  }
  for (; b < blocks; ++b) {
    __m128i c = load(in + 16 * b);
    __m128i x = _mm_xor_si128(c, dk[0]);
    for (int r = 1; r < nr; ++r) x = _mm_aesdec_si128(x, dk[r]);
    store(out + 16 * b, _mm_xor_si128(_mm_aesdeclast_si128(x, dk[nr]), prev));
    prev = c;
  }
}

}  // namespace openrms::crypto::lanes
