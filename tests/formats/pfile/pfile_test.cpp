// PFile with per-segment integrity (version 2) and the version 1 files openrms wrote before:
// round trips around segment boundaries on both backends and across them, an independent
// reader/writer (ref_pfile.py over Python's `cryptography`) in both directions, random access,
// and every tampering the stream construction promises to detect.
#include "openrms/formats/pfile/pfile.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "crypto/test_support.hpp"
#include "openrms/error.hpp"

namespace openrms::formats::pfile {
namespace {

namespace fs = std::filesystem;
using crypto::Bytes;

constexpr std::uint32_t S = 4096;
const Bytes kKey(32, 0x42);
const std::string kLicense = "<PublishingLicense>placeholder</PublishingLicense>";

Bytes pattern(std::size_t n, unsigned seed = 1) {
  Bytes b(n);
  std::mt19937 rng(seed);
  for (auto& c : b) c = static_cast<std::uint8_t>(rng());
  return b;
}

Bytes protect(ByteView plain, int version = 2, const crypto::Backend* be = nullptr,
              ByteView key = kKey, unsigned threads = 0) {
  Bytes out;
  MemorySink sink(out);
  WriteOptions o;
  o.extension = ".bin";
  o.integrity_version = version;
  o.segment_size = S;
  o.segments.backend = be;
  o.segments.threads = threads;
  write(MemorySource(plain), sink, kLicense, key, o);
  return out;
}

Bytes open(ByteView file, const crypto::Backend* be = nullptr, ByteView key = kKey) {
  Bytes out;
  MemorySink sink(out);
  ReadOptions o;
  o.segments.backend = be;
  auto r = decrypt(MemorySource(file), sink, key, o);
  EXPECT_TRUE(r.integrity_verified);
  EXPECT_EQ(r.size, out.size());
  return out;
}

Errc refusal(ByteView file, const crypto::Backend* be = nullptr) {
  try {
    (void)open(file, be);
  } catch (const Error& e) {
    return e.code();
  }
  return Errc{};
}

std::string hex(ByteView b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto c : b) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

fs::path temp_dir() {
  fs::path p = fs::temp_directory_path() / ("openrms-pfile-test-" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p;
}

// Where the content starts and the segments of a version 2 file.
std::uint64_t content_offset(ByteView f) {
  return read_header(MemorySource(f)).content_offset;
}

TEST(PFileStream, RoundTripsAroundSegmentBoundariesOnBothBackends) {
  for (const auto* be : test::all_backends())
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{S - 1}, std::size_t{S},
                          std::size_t{S + 1}, std::size_t{3 * S}, std::size_t{40 * S + 17}}) {
      Bytes plain = pattern(n, static_cast<unsigned>(n));
      Bytes f = protect(plain, 2, be);
      auto h = read_header(MemorySource(f));
      ASSERT_TRUE(h.stream);
      EXPECT_EQ(h.integrity_version(), 2);
      EXPECT_EQ(h.original_size, n);
      EXPECT_EQ(h.content_size, n + 16 * (n == 0 ? 1 : (n + S - 1) / S));
      EXPECT_EQ(open(f, be), plain) << be->name() << " " << n;
      for (const auto* other : test::all_backends())
        EXPECT_EQ(open(f, other), plain) << other->name();
    }
}

TEST(PFileStream, OneThreadOrManyMakeFilesEveryReaderOpens) {
  Bytes plain = pattern(100 * S + 5, 3);
  Bytes a = protect(plain, 2, nullptr, kKey, 1), b = protect(plain, 2, nullptr, kKey, 0);
  EXPECT_EQ(open(a), plain);
  EXPECT_EQ(open(b), plain);
  EXPECT_EQ(a.size(), b.size());
  EXPECT_NE(a, b);  // fresh salt and nonce prefix per file
}

TEST(PFileStream, IndependentImplementationReadsAndWritesTheLayout) {
  fs::path dir = temp_dir();
  const std::string script = std::string(OPENRMS_TESTS_DIR) + "/formats/pfile/ref_pfile.py";
  for (std::size_t n : {std::size_t{0}, std::size_t{S}, std::size_t{5 * S + 99}}) {
    Bytes plain = pattern(n, 7);
    // openrms writes, the reference reads
    write_file(dir / "a.pfile", protect(plain), false);
    std::string cmd = "python3 " + script + " decrypt " + hex(kKey) + " " +
                      (dir / "a.pfile").string() + " " + (dir / "a.out").string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    EXPECT_EQ(read_file(dir / "a.out"), plain) << n;
    // the reference writes (4 KiB segments, then 64 KiB), openrms reads
    for (int log2 : {12, 16}) {
      write_file(dir / "p.bin", plain, false);
      cmd = "python3 " + script + " encrypt " + hex(kKey) + " " + (dir / "p.bin").string() + " " +
            (dir / "b.pfile").string() + " '" + kLicense + "' " + std::to_string(log2);
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
      Bytes theirs = read_file(dir / "b.pfile");
      EXPECT_EQ(read_header(MemorySource(theirs)).license, kLicense);
      EXPECT_EQ(open(theirs), plain) << n << " log2 " << log2;
    }
  }
  // and the reference refuses what openrms refuses: one flipped ciphertext byte
  Bytes f = protect(pattern(3 * S, 1));
  f[f.size() - 40] ^= 1;
  write_file(dir / "c.pfile", f, false);
  std::string cmd = "python3 " + script + " decrypt " + hex(kKey) + " " +
                    (dir / "c.pfile").string() + " " + (dir / "c.out").string() + " 2>/dev/null";
  EXPECT_NE(std::system(cmd.c_str()), 0);
  EXPECT_EQ(refusal(f), Errc::integrity);
  fs::remove_all(dir);
}

class PFileTamper : public ::testing::TestWithParam<const crypto::Backend*> {};

TEST_P(PFileTamper, EveryTamperingIsRefused) {
  const crypto::Backend* be = GetParam();
  auto protect = [be](ByteView plain) { return pfile::protect(plain, 2, be); };
  auto refusal = [be](ByteView file) { return pfile::refusal(file, be); };
  const Bytes plain = pattern(6 * S + 300, 5);
  const Bytes f = protect(plain);
  const std::uint64_t co = content_offset(f), seg = S + 16;
  // each header byte (notice, offsets, extension, metadata, license) and bytes in every segment
  for (std::uint64_t at = 0; at < f.size(); at += at < co ? 1 : 211) {
    Bytes t = f;
    t[at] ^= 0x04;
    const Errc c = refusal(t);
    EXPECT_TRUE(c == Errc::integrity || c == Errc::bad_format || c == Errc::unsupported)
        << "flip at " << at << " of " << f.size() << " (content at " << co << ")";
  }
  {  // two segments swapped
    Bytes t = f;
    std::swap_ranges(t.begin() + co, t.begin() + co + seg, t.begin() + co + 2 * seg);
    EXPECT_EQ(refusal(t), Errc::integrity);
  }
  {  // the last segment dropped, the header's size made to match: the new last was not last
    Bytes t(f.begin(), f.end() - static_cast<std::ptrdiff_t>(300 + 16));
    auto h = read_header(MemorySource(f));
    const std::uint64_t size_at = 18 + h.notice.size() + 24;
    const std::uint64_t n = 6 * S;
    for (int i = 0; i < 8; ++i) t[size_at + i] = static_cast<std::uint8_t>(n >> (8 * i));
    EXPECT_EQ(refusal(t), Errc::integrity);
    // and without the fix-up, the layout no longer fits the header
    EXPECT_EQ(refusal(Bytes(f.begin(), f.end() - static_cast<std::ptrdiff_t>(316))),
              Errc::bad_format);
  }
  {  // a segment from another file with the same key and license, same position
    Bytes other = protect(plain), t = f;
    std::copy(other.begin() + co + seg, other.begin() + co + 2 * seg, t.begin() + co + seg);
    EXPECT_EQ(refusal(t), Errc::integrity);
    // the header of another file over this body (its own salt and prefix): every segment fails
    Bytes h2(other.begin(), other.begin() + co), body(f.begin() + co, f.end());
    h2.insert(h2.end(), body.begin(), body.end());
    EXPECT_EQ(refusal(h2), Errc::integrity);
  }
  {  // bytes appended after the last segment
    Bytes t = f;
    t.insert(t.end(), 16, 0);
    const Errc c = refusal(t);
    EXPECT_TRUE(c == Errc::integrity || c == Errc::bad_format);
  }
  // the wrong key
  Errc wrong_key{};
  try {
    (void)open(f, be, Bytes(32, 0x43));
  } catch (const Error& e) {
    wrong_key = e.code();
  }
  EXPECT_EQ(wrong_key, Errc::integrity);
}

INSTANTIATE_TEST_SUITE_P(Backends, PFileTamper, ::testing::ValuesIn(test::all_backends()),
                         test::backend_name);

// A streaming reader releases segments as they verify, and only those: a damaged segment deep in
// a large file stops the output at a batch boundary before it, never after.
TEST(PFileStream, OnlyVerifiedSegmentsReachAStreamingSink) {
  const Bytes plain = pattern(3000 * S + 7, 11);
  Bytes f = protect(plain);
  const std::uint64_t co = content_offset(f);
  f[co + 2500 * (S + 16) + 5] ^= 1;
  Bytes out;
  MemorySink sink(out);
  EXPECT_THROW(decrypt(MemorySource(f), sink, kKey), Error);
  EXPECT_GT(out.size(), 0u);  // the first batches were released before the end was read
  EXPECT_LE(out.size(), 2500u * S);
  EXPECT_EQ(out.size() % S, 0u);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), plain.begin()));
}

TEST(PFileStream, RandomAccessReadsEqualThePlaintext) {
  for (int version : {2, 1}) {
    const Bytes plain = pattern(50 * S + 123, 13);
    const Bytes f = protect(plain, version);
    MemorySource src(f);
    Reader r(src, kKey);
    EXPECT_EQ(r.header().integrity_version(), version);
    ASSERT_EQ(r.size(), plain.size());
    std::mt19937_64 rng(17);
    for (int i = 0; i < 200; ++i) {
      const std::uint64_t off = rng() % (plain.size() + 10);
      Bytes buf(rng() % (3 * S + 1) + 1, 0xEE);
      const std::size_t n = r.read_at(off, buf);
      const std::size_t want =
          off >= plain.size() ? 0 : std::min<std::size_t>(buf.size(), plain.size() - off);
      ASSERT_EQ(n, want) << "version " << version << " offset " << off;
      EXPECT_TRUE(std::equal(
          buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n),
          plain.begin() + static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(off, plain.size()))))
          << "version " << version << " offset " << off;
    }
  }
}

TEST(PFileStream, RandomAccessVerifiesOnlyTheSegmentsItTouches) {
  const Bytes plain = pattern(20 * S, 19);
  Bytes f = protect(plain);
  const std::uint64_t co = content_offset(f);
  f[co + 10 * (S + 16) + 1] ^= 1;  // segment 10 damaged
  MemorySource src(f);
  Reader r(src, kKey);
  Bytes buf(S);
  EXPECT_EQ(r.read_at(3 * S, buf), S);  // segment 3: fine
  EXPECT_TRUE(std::equal(buf.begin(), buf.end(), plain.begin() + 3 * S));
  EXPECT_EQ(r.read_at(19 * S + 100, buf), S - 100);  // the last segment: fine
  try {
    r.read_at(10 * S + 7, buf);
    ADD_FAILURE() << "a damaged segment was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::integrity);
  }
  EXPECT_TRUE(std::all_of(buf.begin(), buf.end(), [](std::uint8_t b) { return b == 0; }));
  // a range across segments 9..11 fails as a whole
  Bytes wide(3 * S);
  EXPECT_THROW(r.read_at(9 * S, wide), Error);
}

// Files openrms wrote before per-segment integrity (version 1: CBC4K and a whole-file MAC).
TEST(PFileStream, VersionOneFilesStillOpen) {
  for (std::size_t n : {std::size_t{0}, std::size_t{4096}, std::size_t{10000}}) {
    Bytes plain = pattern(n, 23);
    Bytes f = protect(plain, 1);
    auto h = read_header(MemorySource(f));
    EXPECT_EQ(h.integrity_version(), 1);
    EXPECT_FALSE(h.stream);
    EXPECT_EQ(h.content_size, n - n % 16 + 16);
    EXPECT_EQ(open(f), plain);
    f[f.size() - 1] ^= 1;
    EXPECT_EQ(refusal(f), Errc::integrity);
  }
}

TEST(PFileStream, BadWriteOptionsAreInvalidArguments) {
  Bytes out;
  MemorySink sink(out);
  WriteOptions o;
  o.integrity_version = 3;
  EXPECT_THROW(write(MemorySource(Bytes(10)), sink, kLicense, kKey, o), Error);
  o.integrity_version = 2;
  o.segment_size = 5000;
  try {
    write(MemorySource(Bytes(10)), sink, kLicense, kKey, o);
    ADD_FAILURE() << "segment size 5000 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
  }
}

}  // namespace
}  // namespace openrms::formats::pfile
