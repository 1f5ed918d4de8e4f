// Differential target: every engine (256-bit VAES lanes, 128-bit AES-NI lanes, backend AES) on
// every backend must produce the same CBC4K / CBC512 / Agile ciphertext, and decrypt it back;
// the backends' plain AES modes must agree too. Any disagreement aborts.
#include <cstdlib>
#include <vector>

#include "fuzz_input.hpp"
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
  return 0;
}
