// Differential target: every engine (256-bit VAES lanes, 128-bit AES-NI lanes, backend AES) on
// every backend must produce the same CBC4K / CBC512 / Agile ciphertext, and decrypt it back;
// the backends' plain AES modes must agree too, and cbc_encrypt_many (the block-aligned input
// cut into messages at sizes the input picks) must equal each message's backend CBC. Any
// disagreement aborts.
#include <cstdlib>
#include <vector>

#include "fuzz_input.hpp"
#include "openrms/crypto/cbc_many.hpp"
#include "openrms/crypto/segment_cipher.hpp"

using namespace openrms::crypto;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
std::vector<const Backend*> backends() {
  std::vector<const Backend*> v{&openssl_backend()};
  if (has_botan()) v.push_back(&botan_backend());
  return v;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  openrms::fuzz::Input in(data, size);
  const std::uint8_t sel = in.byte();
  const SegmentMode mode = static_cast<SegmentMode>(sel % 3);
  const std::size_t klen = 16 + 8 * ((sel / 3) % 3);
  const HashAlg h = (sel & 0x80) ? HashAlg::sha512 : HashAlg::sha1;
  Bytes key(klen, 0), salt(16, 0x5a);
  auto k = in.take(klen);
  std::copy(k.begin(), k.end(), key.begin());
  auto s = in.take(16);
  std::copy(s.begin(), s.end(), salt.begin());
  auto pt = in.take(1 << 17);
  std::size_t n = pt.size();
  if (mode == SegmentMode::cbc512) n -= n % 16;
  pt = pt.first(n);

  Bytes reference;
  for (const Backend* be : backends()) {
    for (auto engine : {SegmentOptions::Engine::lanes, SegmentOptions::Engine::lanes128,
                        SegmentOptions::Engine::backend}) {
      for (unsigned threads : {1u, 0u}) {
        SegmentOptions o{engine, threads, be};
        SegmentCipher c = mode == SegmentMode::cbc4k    ? SegmentCipher::cbc4k(key, o)
                          : mode == SegmentMode::cbc512 ? SegmentCipher::cbc512(key, o)
                                                        : SegmentCipher::agile(key, h, salt, o);
        Bytes ct = c.encrypt(pt);
        if (reference.empty()) reference = ct;
        check(ct == reference);
        SecureBytes back = c.decrypt(ct, n);
        check(back.size() == n && std::equal(back.begin(), back.end(), pt.begin()));
      }
    }
  }
  // Plain AES modes across backends on the block-aligned prefix.
  std::size_t blocks = n - n % 16;
  Bytes a(blocks), b(blocks), iv(salt.begin(), salt.end());
  auto x = openssl_backend().aes(key);
  for (const Backend* be : backends()) {
    auto y = be->aes(key);
    x->cbc_encrypt(iv, pt.first(blocks), a);
    y->cbc_encrypt(iv, pt.first(blocks), b);
    check(a == b);
    Bytes c1(n), c2(n);
    x->ctr_xor(iv, pt, c1);
    y->ctr_xor(iv, pt, c2);
    check(c1 == c2);
  }
  // Many messages at once: the aligned prefix cut where the key's bytes say (uneven lengths,
  // empty ones), each message's IV from the salt and its index.
  std::vector<CbcMessage> messages;
  std::vector<Bytes> ivs;
  Bytes many(pt.begin(), pt.begin() + static_cast<std::ptrdiff_t>(blocks));
  for (std::size_t at = 0, i = 0; at < blocks || i == 0; ++i) {
    const std::size_t len = std::min<std::size_t>(blocks - at, 16 * (key[i % klen] % 40));
    ivs.emplace_back(salt.begin(), salt.end());
    ivs.back()[0] ^= static_cast<std::uint8_t>(i);
    messages.push_back({nullptr, many.data() + at, len});
    at += len;
    if (i > 4096) break;
  }
  for (std::size_t i = 0; i < messages.size(); ++i) messages[i].iv = ivs[i].data();
  for (const Backend* be : backends()) {
    Bytes got = many;
    std::vector<CbcMessage> mine = messages;
    for (auto& m : mine) m.data = got.data() + (m.data - many.data());
    cbc_encrypt_many(*be, key, mine);
    auto y = be->aes(key);
    for (std::size_t i = 0; i < mine.size(); ++i) {
      if (mine[i].size == 0) continue;
      Bytes want(mine[i].size);
      y->cbc_encrypt(ByteView(ivs[i].data(), 16), ByteView(messages[i].data, mine[i].size), want);
      check(std::equal(want.begin(), want.end(), mine[i].data));
    }
  }
  return 0;
}
