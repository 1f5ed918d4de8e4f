#include "openrms/crypto/cbc_many.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "aes_lanes.hpp"
#include "openrms/error.hpp"

namespace openrms::crypto {

namespace {

constexpr std::size_t kLanes = 8;  // what lanes::cbc_encrypt_multi takes at once

// Up to eight chains advance together by the blocks the shortest has left; a chain that ends
// hands its lane to the next message, so lanes stay full while messages remain.
void encrypt_in_lanes(const lanes::KeySchedule& ks, std::span<const CbcMessage> messages) {
  struct Chain {
    std::uint8_t* at = nullptr;
    std::size_t blocks = 0;
  };
  std::array<Chain, kLanes> chains{};
  alignas(16) std::uint8_t ivs[kLanes * 16];
  std::size_t active = 0, next = 0;
  for (;;) {
    while (active < kLanes && next < messages.size()) {
      const CbcMessage& m = messages[next++];
      if (m.size == 0) continue;
      chains[active] = {m.data, m.size / 16};
      std::memcpy(ivs + 16 * active, m.iv, 16);
      ++active;
    }
    if (active == 0) return;
    std::size_t step = chains[0].blocks;
    for (std::size_t i = 1; i < active; ++i) step = std::min(step, chains[i].blocks);
    std::array<std::uint8_t*, kLanes> ptrs{};
    for (std::size_t i = 0; i < active; ++i) ptrs[i] = chains[i].at;
    lanes::cbc_encrypt_multi(ks, active, ptrs.data(), ptrs.data(), ivs, step);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < active; ++i) {
      Chain c = chains[i];
      c.at += 16 * step;
      c.blocks -= step;
      if (c.blocks == 0) continue;
      chains[kept] = c;
      std::memcpy(ivs + 16 * kept, c.at - 16, 16);  // the chain goes on from its last block
      ++kept;
    }
    active = kept;
  }
}

}  // namespace

void cbc_encrypt_many(const Backend& be, ByteView key, std::span<const CbcMessage> messages) {
  if (key.size() != 16 && key.size() != 24 && key.size() != 32)
    fail(Errc::invalid_argument, "AES key must be 16, 24 or 32 bytes");
  for (const CbcMessage& m : messages)
    if (m.size % 16 != 0)
      fail(Errc::invalid_argument, "AES-CBC message size must be a multiple of 16");
  if (!lanes::cpu_has_aesni()) {
    auto aes = be.aes(key);
    for (const CbcMessage& m : messages)
      if (m.size)
        aes->cbc_encrypt(ByteView(m.iv, 16), ByteView(m.data, m.size),
                         MutableByteView(m.data, m.size));
    return;
  }
  lanes::KeySchedule ks;
  lanes::expand_key(key.data(), key.size(), ks);
  encrypt_in_lanes(ks, messages);
}

}  // namespace openrms::crypto
