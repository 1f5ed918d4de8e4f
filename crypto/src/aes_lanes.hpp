// Hand-written AES-NI kernels (a hot path: see DESIGN.md §5). Not installed.
//
// Every function except cpu_has_aesni() executes AES-NI/SSE4.1 instructions: call them only when
// cpu_has_aesni() is true. Round keys are wiped by ~KeySchedule.
#pragma once

#include <cstddef>
#include <cstdint>

namespace openrms::crypto::lanes {

/// True on x86-64 CPUs with AES-NI and SSE4.1 (checked once).
bool cpu_has_aesni() noexcept;
/// True on CPUs with AES-NI, AVX2 and VAES whose OS saves the AVX state (checked once).
bool cpu_has_vaes() noexcept;

/// Segments in flight in cbc_encrypt_segments().
constexpr std::size_t kVaesLanes = 16;

struct KeySchedule {
  alignas(16) std::uint8_t enc[15][16];
  alignas(16) std::uint8_t dec[15][16];
  int rounds = 0;
  ~KeySchedule();
};

/// FIPS-197 key expansion for a 16/24/32-byte key (encryption and equivalent-inverse schedules).
void expand_key(const std::uint8_t* key, std::size_t key_len, KeySchedule& ks) noexcept;
/// ECB-encrypts `blocks` 16-byte blocks.
void ecb_encrypt(const KeySchedule& ks, const std::uint8_t* in, std::uint8_t* out,
                 std::size_t blocks) noexcept;
/// CBC-encrypts `count` (1..8) independent chains of `blocks` blocks each, interleaved so the
/// AES units stay busy. ivs holds count*16 bytes. in[i] may equal out[i].
void cbc_encrypt_multi(const KeySchedule& ks, std::size_t count, const std::uint8_t* const* in,
                       std::uint8_t* const* out, const std::uint8_t* ivs,
                       std::size_t blocks) noexcept;
/// VAES: CBC-encrypts `nseg` contiguous segments of `seg_blocks` blocks each (segment i at
/// in + 16*seg_blocks*i, its IV at ivs + 16*i), kVaesLanes at once in staggered lanes. in may
/// equal out. Needs cpu_has_vaes().
void cbc_encrypt_segments(const KeySchedule& ks, const std::uint8_t* in, std::uint8_t* out,
                          std::size_t nseg, std::size_t seg_blocks,
                          const std::uint8_t* ivs) noexcept;
/// VAES: CBC-decrypts one chain, 16 blocks in flight. in may equal out. Needs cpu_has_vaes().
void cbc_decrypt_vaes(const KeySchedule& ks, const std::uint8_t* iv, const std::uint8_t* in,
                      std::uint8_t* out, std::size_t blocks) noexcept;
/// CBC-decrypts one chain, 8 blocks in flight. in may equal out.
void cbc_decrypt(const KeySchedule& ks, const std::uint8_t* iv, const std::uint8_t* in,
                 std::uint8_t* out, std::size_t blocks) noexcept;

}  // namespace openrms::crypto::lanes
