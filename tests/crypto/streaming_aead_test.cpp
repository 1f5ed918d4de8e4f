// StreamingAead: the construction checked segment by segment against the one-shot AES-GCM and
// HKDF of the backends (which the Wycheproof vectors check), both backends against each other,
// every size class around a segment boundary, and every kind of tampering the header promises to
// detect.
#include "openrms/crypto/streaming_aead.hpp"

#include <cstring>

#include "test_support.hpp"

namespace openrms::crypto {
namespace {

using test::all_backends;

constexpr std::uint32_t S = StreamingAead::kMinSegment;

Bytes pattern(std::size_t n, std::uint8_t seed = 1) {
  Bytes b(n);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : b) {
    x = x * 1103515245u + 12345u;
    c = static_cast<std::uint8_t>(x >> 16);
  }
  return b;
}

const ByteView kContext(reinterpret_cast<const std::uint8_t*>("header bytes"), 12);
const Bytes kIkm = pattern(32, 9);

Bytes seal_all(const StreamingAead& sa, ByteView pt, unsigned threads = 0) {
  Bytes out(sa.ciphertext_size(pt.size()));
  sa.seal(0, true, pt, out, threads);
  return out;
}

std::optional<Bytes> open_all(const StreamingAead& sa, ByteView ct) {
  auto n = sa.plaintext_size(ct.size());
  if (!n) return std::nullopt;
  Bytes out(*n);
  if (!sa.open(0, true, ct, out)) return std::nullopt;
  return out;
}

class StreamingAeadTest : public ::testing::TestWithParam<const Backend*> {
 protected:
  const Backend& be() const { return *GetParam(); }
  StreamingAead::Params params() const { return StreamingAead::Params::fresh(be(), S); }
};

// Segment i must be exactly AES-256-GCM(HKDF(ikm, salt, context), prefix || BE32(i) || last).
TEST_P(StreamingAeadTest, MatchesTheConstructionSegmentBySegment) {
  auto p = params();
  StreamingAead sa(be(), kIkm, p, kContext);
  Bytes pt = pattern(3 * S + 100);
  Bytes ct = seal_all(sa, pt);
  ASSERT_EQ(ct.size(), pt.size() + 4 * 16);
  Bytes key(32);
  be().hkdf(HashAlg::sha256, kIkm, ByteView(p.salt, 32), kContext, key);
  for (std::uint32_t i = 0; i < 4; ++i) {
    Bytes nonce(p.nonce_prefix, p.nonce_prefix + 7);
    nonce.insert(nonce.end(), {0, 0, 0, static_cast<std::uint8_t>(i)});
    nonce.push_back(i == 3 ? 1 : 0);
    const std::size_t len = i == 3 ? 100 : S;
    Bytes want = be().gcm_seal(key, nonce, {}, ByteView(pt).subspan(i * S, len));
    EXPECT_EQ(Bytes(ct.begin() + i * (S + 16), ct.begin() + i * (S + 16) + len + 16), want)
        << "segment " << i;
  }
}

TEST_P(StreamingAeadTest, RoundTripsAroundSegmentBoundaries) {
  StreamingAead sa(be(), kIkm, params(), kContext);
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{S - 1}, std::size_t{S},
                        std::size_t{S + 1}, std::size_t{2 * S}, std::size_t{5 * S + 7}}) {
    Bytes pt = pattern(n, static_cast<std::uint8_t>(n));
    Bytes ct = seal_all(sa, pt);
    EXPECT_EQ(ct.size(), n + 16 * sa.segments_for(n)) << n;
    EXPECT_EQ(sa.plaintext_size(ct.size()), n) << n;
    auto back = open_all(sa, ct);
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, pt) << n;
  }
}

TEST_P(StreamingAeadTest, ThreadCountDoesNotChangeTheOutput) {
  auto p = params();
  StreamingAead sa(be(), kIkm, p, kContext);
  Bytes pt = pattern(37 * S + 3);
  EXPECT_EQ(seal_all(sa, pt, 1), seal_all(sa, pt, 0));
}

TEST_P(StreamingAeadTest, RunsMayBeSealedAndOpenedPieceByPiece) {
  StreamingAead sa(be(), kIkm, params(), kContext);
  Bytes pt = pattern(7 * S + 9);
  Bytes whole = seal_all(sa, pt);
  Bytes pieces(whole.size());
  sa.seal(0, false, ByteView(pt).first(3 * S), MutableByteView(pieces).first(3 * (S + 16)));
  sa.seal(3, true, ByteView(pt).subspan(3 * S), MutableByteView(pieces).subspan(3 * (S + 16)));
  EXPECT_EQ(pieces, whole);
  // a random-access read: segment 5 alone
  Bytes seg5(S);
  ASSERT_TRUE(sa.open(5, false, ByteView(whole).subspan(5 * (S + 16), S + 16), seg5));
  EXPECT_EQ(seg5, Bytes(pt.begin() + 5 * S, pt.begin() + 6 * S));
  // the same bytes presented as the last segment are refused (it was not sealed as last)
  EXPECT_FALSE(sa.open(5, true, ByteView(whole).subspan(5 * (S + 16), S + 16), seg5));
}

TEST_P(StreamingAeadTest, BothBackendsOpenEachOthersStreams) {
  auto p = params();
  Bytes pt = pattern(4 * S + 33);
  for (const Backend* other : all_backends()) {
    StreamingAead mine(be(), kIkm, p, kContext), theirs(*other, kIkm, p, kContext);
    auto back = open_all(theirs, seal_all(mine, pt));
    ASSERT_TRUE(back) << be().name() << " -> " << other->name();
    EXPECT_EQ(*back, pt);
  }
}

TEST_P(StreamingAeadTest, DetectsEveryTampering) {
  auto p = params();
  StreamingAead sa(be(), kIkm, p, kContext);
  Bytes pt = pattern(4 * S + 50);
  const Bytes ct = seal_all(sa, pt);
  const std::size_t seg = S + 16;
  auto refused = [&](const Bytes& c, const StreamingAead& with) {
    auto n = with.plaintext_size(c.size());
    if (!n) return true;
    Bytes out(*n, 0x55);
    if (with.open(0, true, c, out)) return false;
    for (auto b : out)
      if (b != 0) return false;  // nothing of it released
    return true;
  };
  // a flipped bit in each segment's body and in each tag
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t at : {i * seg + 3, std::min(ct.size(), (i + 1) * seg) - 1}) {
      Bytes c = ct;
      c[at] ^= 0x10;
      EXPECT_TRUE(refused(c, sa)) << "flip at " << at;
    }
  {  // two segments swapped
    Bytes c = ct;
    std::swap_ranges(c.begin(), c.begin() + seg, c.begin() + seg);
    EXPECT_TRUE(refused(c, sa));
  }
  // truncated at a segment boundary (the last segment dropped), and anywhere else
  EXPECT_TRUE(refused(Bytes(ct.begin(), ct.begin() + 4 * seg), sa));
  EXPECT_TRUE(refused(Bytes(ct.begin(), ct.end() - 1), sa));
  EXPECT_TRUE(refused(Bytes(ct.begin(), ct.begin() + 16), sa));
  {  // a segment appended after the last
    Bytes c = ct;
    c.insert(c.end(), ct.begin() + seg, ct.begin() + 2 * seg);
    EXPECT_TRUE(refused(c, sa));
  }
  // another context (header), another stream's salt or prefix, another key
  EXPECT_TRUE(refused(ct, StreamingAead(be(), kIkm, p, ByteView(kContext).first(11))));
  auto p2 = p;
  p2.salt[0] ^= 1;
  EXPECT_TRUE(refused(ct, StreamingAead(be(), kIkm, p2, kContext)));
  p2 = p;
  p2.nonce_prefix[6] ^= 1;
  EXPECT_TRUE(refused(ct, StreamingAead(be(), kIkm, p2, kContext)));
  EXPECT_TRUE(refused(ct, StreamingAead(be(), pattern(32, 10), p, kContext)));
  {  // a segment from another stream of the same key and context, same position
    StreamingAead other(be(), kIkm, params(), kContext);
    Bytes c2 = seal_all(other, pt), c = ct;
    std::copy(c2.begin() + seg, c2.begin() + 2 * seg, c.begin() + seg);
    EXPECT_TRUE(refused(c, sa));
  }
}

TEST_P(StreamingAeadTest, SizesNoStreamHasAreRefused) {
  StreamingAead sa(be(), kIkm, params(), kContext);
  EXPECT_FALSE(sa.plaintext_size(0));
  EXPECT_FALSE(sa.plaintext_size(15));
  EXPECT_EQ(sa.plaintext_size(16), 0u);
  EXPECT_EQ(sa.plaintext_size(S + 16), S);
  EXPECT_FALSE(sa.plaintext_size(S + 16 + 16));  // an empty segment after a full one
  EXPECT_EQ(sa.plaintext_size(S + 16 + 17), S + 1);
}

TEST_P(StreamingAeadTest, BadParametersAreInvalidArguments) {
  auto p = params();
  p.segment_size = S + 1;
  EXPECT_EQ(test::error_of([&] { StreamingAead(be(), kIkm, p, kContext); }),
            Errc::invalid_argument);
  p.segment_size = StreamingAead::kMaxSegment * 2;
  EXPECT_EQ(test::error_of([&] { StreamingAead(be(), kIkm, p, kContext); }),
            Errc::invalid_argument);
  EXPECT_EQ(test::error_of([&] { StreamingAead(be(), pattern(8), params(), kContext); }),
            Errc::invalid_argument);
  StreamingAead sa(be(), kIkm, params(), kContext);
  Bytes pt(S + 1), out(S + 1 + 32);
  EXPECT_EQ(test::error_of([&] { sa.seal(0, false, pt, out); }), Errc::invalid_argument);
  Bytes small(10);
  EXPECT_EQ(test::error_of([&] { sa.seal(0, true, pt, small); }), Errc::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Backends, StreamingAeadTest, ::testing::ValuesIn(all_backends()),
                         test::backend_name);

}  // namespace
}  // namespace openrms::crypto
