// Segment ciphers against a straightforward reference written from FORMATS.md B1 / MS-OFFCRYPTO
// 2.3.4.15 on top of each backend's plain AES, the published Agile IV vector, and across engines
// (AES-NI lanes vs backend), thread counts and streaming chunkings.
#include "openrms/crypto/segment_cipher.hpp"

#include <random>

#include "openrms/error.hpp"
#include "test_support.hpp"

namespace openrms::crypto {
namespace {

// Reference: one segment at a time, IVs exactly as the format text says.
Bytes reference_encrypt(const Backend& be, SegmentMode mode, ByteView key, ByteView pt,
                        HashAlg h = HashAlg::sha1, ByteView salt = {}) {
  auto aes = be.aes(key);
  const std::size_t seg = mode == SegmentMode::cbc512 ? 512 : 4096;
  Bytes out;
  std::size_t n = 0;
  for (std::size_t off = 0;; off += seg, ++n) {
    std::size_t len = std::min(seg, pt.size() - off);
    bool last = off + seg > pt.size();
    if (mode != SegmentMode::cbc4k && len == 0) break;
    Bytes block(pt.begin() + off, pt.begin() + off + len);
    if (last && mode == SegmentMode::cbc4k)
      block.resize(len - len % 16 + 16, static_cast<std::uint8_t>(16 - len % 16));
    if (last && mode == SegmentMode::agile) block.resize((len + 15) / 16 * 16, 0);
    Bytes iv(16, 0);
    if (mode == SegmentMode::agile) {
      Bytes in(salt.begin(), salt.end());
      for (int b = 0; b < 4; ++b) in.push_back(static_cast<std::uint8_t>(n >> (8 * b)));
      Bytes d = be.digest(h, in);
      std::copy(d.begin(), d.begin() + 16, iv.begin());
    } else {
      std::uint64_t v = mode == SegmentMode::cbc4k ? n : n * 512;
      for (int b = 0; b < 8; ++b) iv[b] = static_cast<std::uint8_t>(v >> (8 * b));
      aes->ecb_encrypt(iv, iv);
    }
    Bytes ct(block.size());
    aes->cbc_encrypt(iv, block, ct);
    out.insert(out.end(), ct.begin(), ct.end());
    if (last) break;
  }
  return out;
}

SegmentCipher make(SegmentMode mode, ByteView key, SegmentOptions o, ByteView salt = {},
                   HashAlg h = HashAlg::sha1) {
  switch (mode) {
    case SegmentMode::cbc4k:
      return SegmentCipher::cbc4k(key, o);
    case SegmentMode::cbc512:
      return SegmentCipher::cbc512(key, o);
    case SegmentMode::agile:
      return SegmentCipher::agile(key, h, salt, o);
  }
  throw std::logic_error("mode");
}

class SegmentModes : public ::testing::TestWithParam<SegmentMode> {
 protected:
  std::mt19937_64 rng{7};
  Bytes rand_bytes(std::size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    return b;
  }
};

TEST_P(SegmentModes, MatchesReferenceOnEveryEngineBackendAndThreadCount) {
  const SegmentMode mode = GetParam();
  const std::size_t sizes[] = {0,
                               16,
                               32,
                               496,
                               512,
                               528,
                               4080,
                               4096,
                               4112,
                               8192,
                               3 * 4096 + 48,
                               40 * 4096,
                               300 * 512 + 16,
                               17 * 4096,
                               271 * 4096 + 96};
  const std::size_t odd_sizes[] = {1, 15, 17, 4095, 4097, 12345};
  for (std::size_t klen : {16u, 24u, 32u}) {
    Bytes key = rand_bytes(klen), salt = rand_bytes(16);
    std::vector<std::size_t> all(std::begin(sizes), std::end(sizes));
    if (mode != SegmentMode::cbc512)
      all.insert(all.end(), std::begin(odd_sizes), std::end(odd_sizes));
    for (std::size_t n : all) {
      Bytes pt = rand_bytes(n);
      for (const Backend* be : test::all_backends()) {
        HashAlg h = klen == 24 ? HashAlg::sha512 : HashAlg::sha1;
        Bytes expect = reference_encrypt(*be, mode, key, pt, h, salt);
        for (auto engine : {SegmentOptions::Engine::lanes, SegmentOptions::Engine::lanes128,
                            SegmentOptions::Engine::backend}) {
          for (unsigned threads : {1u, 0u}) {
            SegmentOptions o{engine, threads, be};
            auto c = make(mode, key, o, salt, h);
            Bytes ct = c.encrypt(pt);
            ASSERT_EQ(ct.size(), c.ciphertext_size(n));
            ASSERT_EQ(ct, expect) << "n=" << n << " klen=" << klen << " backend=" << be->name()
                                  << " lanes=" << c.uses_lanes() << " threads=" << threads;
            SecureBytes back = c.decrypt(ct, n);
            ASSERT_EQ(Bytes(back.begin(), back.end()), pt);
          }
        }
      }
    }
  }
}

TEST_P(SegmentModes, StreamingEqualsOneShotForAnyChunking) {
  const SegmentMode mode = GetParam();
  Bytes key = rand_bytes(32), salt = rand_bytes(16);
  auto c = make(mode, key, {}, salt);
  for (std::size_t n :
       {0ul, 4096ul, 100000ul - (mode == SegmentMode::cbc512 ? 100000ul % 16 : 0), 1ul << 20}) {
    if (mode == SegmentMode::cbc512 && n % 16) continue;
    Bytes pt = rand_bytes(n);
    Bytes expect = c.encrypt(pt);
    Bytes got, back;
    SegmentStream enc(
        c, SegmentStream::Direction::encrypt,
        [&](ByteView b) { got.insert(got.end(), b.begin(), b.end()); }, std::nullopt, 16384);
    for (std::size_t off = 0; off < n;) {
      std::size_t take = std::min<std::size_t>(n - off, 1 + rng() % 9000);
      enc.update(ByteView(pt).subspan(off, take));
      off += take;
    }
    enc.finish();
    ASSERT_EQ(got, expect) << n;
    SegmentStream dec(
        c, SegmentStream::Direction::decrypt,
        [&](ByteView b) { back.insert(back.end(), b.begin(), b.end()); }, n, 16384);
    for (std::size_t off = 0; off < got.size();) {
      std::size_t take = std::min<std::size_t>(got.size() - off, 1 + rng() % 7000);
      dec.update(ByteView(got).subspan(off, take));
      off += take;
    }
    dec.finish();
    ASSERT_EQ(back, pt) << n;
    EXPECT_EQ(dec.bytes_out(), n);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, SegmentModes,
                         ::testing::Values(SegmentMode::cbc4k, SegmentMode::cbc512,
                                           SegmentMode::agile),
                         [](const auto& param_info) {
                           return std::string(param_info.param == SegmentMode::cbc4k    ? "cbc4k"
                                              : param_info.param == SegmentMode::cbc512 ? "cbc512"
                                                                                        : "agile");
                         });

// MS-OFFCRYPTO 2.3.4.15 as published in FORMATS.md §2.6 (msoffcrypto__example_password.docx):
// keyData salt d5d2ff7f834c1653e8dd774571a87327, SHA-512 -> IV of segment 0
// c387e477f96309b4b29fcba1efceb2ea.
TEST(Agile, PublishedSegmentZeroIv) {
  Bytes key = from_hex("be2893f26594d8b0fee703fb2368daef8b00695b674f14317b2be486bdadb6a8");
  Bytes salt = from_hex("d5d2ff7f834c1653e8dd774571a87327");
  Bytes block(16, 0x42);
  for (const Backend* be : test::all_backends()) {
    auto c = SegmentCipher::agile(key, HashAlg::sha512, salt,
                                  {SegmentOptions::Engine::automatic, 1, be});
    Bytes ct = c.encrypt(block);
    Bytes expect(16);
    be->aes(key)->cbc_encrypt(from_hex("c387e477f96309b4b29fcba1efceb2ea"), block, expect);
    EXPECT_EQ(ct, expect) << be->name();
  }
}

TEST(Cbc4k, PaddingAndLengthErrors) {
  Bytes key(32, 7);
  auto c = SegmentCipher::cbc4k(key);
  Bytes ct = c.encrypt(Bytes(100, 1));
  ASSERT_EQ(ct.size(), 112u);
  // Corrupting the last block breaks the padding (or, rarely, yields other valid padding).
  int integrity = 0;
  for (int i = 0; i < 64; ++i) {
    Bytes bad = ct;
    bad[bad.size() - 1 - (i % 16)] ^= static_cast<std::uint8_t>(1 + i);
    try {
      c.decrypt(bad);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::integrity);
      EXPECT_EQ(std::string(e.what()).find("pad"), std::string::npos)
          << "must not say which check failed";
      ++integrity;
    }
  }
  EXPECT_GT(integrity, 48);
  try {
    c.decrypt(Bytes(17));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::bad_format);
  }
  EXPECT_THROW(c.decrypt(Bytes{}), Error);
  EXPECT_THROW(SegmentCipher::cbc4k(Bytes(20)), Error);
  EXPECT_THROW(SegmentCipher::cbc512(key).encrypt(Bytes(15)), Error);
}

TEST(Cbc4k, WrongKeyIsRejectedOrGarbage) {
  auto a = SegmentCipher::cbc4k(Bytes(16, 1)), b = SegmentCipher::cbc4k(Bytes(16, 2));
  Bytes pt(5000, 9);
  Bytes ct = a.encrypt(pt);
  try {
    auto out = b.decrypt(ct);
    EXPECT_NE(Bytes(out.begin(), out.end()), pt);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::integrity);
  }
}

}  // namespace
}  // namespace openrms::crypto
