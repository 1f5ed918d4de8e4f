// MS-CFB reader and writer: round trips over sizes, depths and both versions; real files from
// other writers; hand-made hostile files (loops, cycles, out-of-range sectors, lying sizes).
#include "openrms/formats/cfb/compound_file.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <random>

#include "crypto/test_support.hpp"
#include "openrms/error.hpp"

namespace openrms::formats::cfb {
namespace {

Bytes pattern(std::size_t n, std::uint32_t seed) {
  Bytes b(n);
  std::mt19937 rng(seed);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

Bytes write(Writer& w) {
  Bytes out;
  MemorySink sink(out);
  w.write(sink);
  return out;
}

void expect_error(const Bytes& file, Errc code, const char* what) {
  MemorySource src(file);
  try {
    Reader r(src);
    // Reading every stream must also fail cleanly or succeed; parsing alone may pass.
    for (const auto& e : r.entries())
      if (e.type == EntryType::stream) r.read_stream(e);
    ADD_FAILURE() << what << ": no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << what << ": " << e.what();
  }
}

std::uint32_t le32(const Bytes& b, std::size_t off) {
  return b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) |
         (static_cast<std::uint32_t>(b[off + 3]) << 24);
}
void put32(Bytes& b, std::size_t off, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

class CfbRoundTrip : public ::testing::TestWithParam<std::uint16_t> {};

TEST_P(CfbRoundTrip, EveryStreamSizeAndDepthReadsBack) {
  const std::uint16_t version = GetParam();
  Writer w(WriterOptions{version});
  std::map<std::string, Bytes> expect;
  const std::size_t sizes[] = {0, 1, 63, 64, 65, 511, 512, 513, 4095, 4096, 4097, 8192, 100000};
  std::uint32_t seed = 1;
  for (std::size_t n : sizes) {
    std::string path = "s" + std::to_string(n);
    expect[path] = pattern(n, seed++);
    w.add_stream(path, expect[path]);
  }
  // Nested storages, several levels, with streams at each level.
  std::string dir;
  for (int depth = 0; depth < 12; ++depth) {
    dir += (dir.empty() ? "" : "/") + std::string("Level") + std::to_string(depth);
    for (std::size_t n : {std::size_t{10}, std::size_t{5000}}) {
      std::string path = dir + "/data" + std::to_string(n);
      expect[path] = pattern(n, seed++);
      w.add_stream(path, expect[path]);
    }
  }
  // A producer-driven large stream written in odd-sized pieces.
  Bytes big = pattern(300000, 99);
  expect["Big"] = big;
  w.add_stream("Big", big.size(), [&](ByteSink& s) {
    for (std::size_t off = 0; off < big.size(); off += 7777)
      s.write(ByteView(big).subspan(off, std::min<std::size_t>(7777, big.size() - off)));
  });
  Bytes file = write(w);
  EXPECT_EQ(file.size() % (version == 4 ? 4096 : 512), 0u);

  MemorySource src(file);
  Reader r(src);
  EXPECT_EQ(r.major_version(), version);
  std::size_t streams = 0;
  for (const auto& e : r.entries()) {
    if (e.type != EntryType::stream) continue;
    ++streams;
    ASSERT_TRUE(expect.count(e.path)) << e.path;
    EXPECT_EQ(r.read_stream(e, 1 << 30), expect[e.path]) << e.path;
    const Entry* f = r.find(e.path);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->id, e.id);
  }
  EXPECT_EQ(streams, expect.size());
  // Lookup is case-insensitive per §2.6.4.
  ASSERT_NE(r.find("level0/LEVEL1/DATA10"), nullptr);
  EXPECT_EQ(r.find("Level0/missing"), nullptr);
  // Sequential reads in small pieces give the same bytes.
  auto s = r.open(*r.find("Big"));
  Bytes again;
  std::uint8_t buf[1000];
  for (std::size_t n; (n = s->read(buf)) > 0;) again.insert(again.end(), buf, buf + n);
  EXPECT_EQ(again, big);
}

INSTANTIATE_TEST_SUITE_P(CfbVersions, CfbRoundTrip, ::testing::Values(3, 4));

TEST(CompoundFile, ManyFatSectorsNeedTheDifat) {
  // 8 MiB in 512-byte sectors needs > 109 FAT sectors, so DIFAT sectors are written and read.
  Writer w;
  Bytes big = pattern(8u << 20, 5);
  w.add_stream("Huge", big);
  Bytes file = write(w);
  EXPECT_GT(le32(file, 72), 0u) << "expected DIFAT sectors";
  MemorySource src(file);
  Reader r(src);
  EXPECT_EQ(r.read_stream("Huge", 1u << 30), big);
}

TEST(CompoundFile, DirectoryTreeIsBalancedAndSorted) {
  // Many siblings: lookup of each must work, which depends on the tree links being right.
  Writer w;
  for (int i = 0; i < 300; ++i) w.add_stream("Entry" + std::to_string(i * 7919 % 1000), Bytes{1});
  Bytes file = write(w);
  MemorySource src(file);
  Reader r(src);
  auto kids = r.children(r.entries()[0]);
  ASSERT_EQ(kids.size(), 300u);
  for (std::size_t i = 1; i < kids.size(); ++i)
    EXPECT_LT(compare_names(utf8_to_utf16(kids[i - 1]->name), utf8_to_utf16(kids[i]->name)), 0);
}

TEST(CompoundFile, NameComparisonFollowsTheSpecification) {
  EXPECT_LT(compare_names(u"B", u"AA"), 0);  // shorter first
  EXPECT_EQ(compare_names(u"abc", u"ABC"), 0);
  EXPECT_EQ(compare_names(u"\u00e9t\u00e9", u"\u00c9T\u00c9"), 0);
  EXPECT_EQ(compare_names(u"\u0434\u0430", u"\u0414\u0410"), 0);
  EXPECT_LT(compare_names(u"ABC", u"ABD"), 0);
}

TEST(CompoundFile, WriterRejectsBadNamesAndDuplicates) {
  Writer w;
  w.add_stream("A", Bytes{1});
  EXPECT_THROW(w.add_stream("a", Bytes{1}), Error);  // same name per §2.6.4
  EXPECT_THROW(w.add_stream("x/", Bytes{1}), Error);
  EXPECT_THROW(w.add_stream(std::string(32, 'n'), Bytes{1}), Error);
  EXPECT_THROW(w.add_stream("bad:name", Bytes{1}), Error);
  w.add_stream("Short", 10, [](ByteSink& s) { s.write(Bytes(5)); });
  Bytes out;
  MemorySink sink(out);
  try {
    w.write(sink);
    ADD_FAILURE() << "producer that under-delivers must fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::internal);
  }
}

TEST(CompoundFile, EveryCorpusCompoundFileOpens) {
  auto dir = test::shared_dir() / "corpus" / "office";
  int opened = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::string name = f.path().filename().string();
    FileSource src(f.path());
    Bytes head(8);
    src.read_at(0, head);
    if (!Reader::has_signature(head)) continue;
    bool fuzzed =
        name.find("cf-POI") != std::string::npos || name.find("crash-") != std::string::npos;
    try {
      Reader r(src);
      for (const auto& e : r.entries())
        if (e.type == EntryType::stream) r.read_stream(e, 1u << 30);
      ++opened;
    } catch (const Error& e) {
      EXPECT_TRUE(fuzzed) << name << ": " << e.what();
      EXPECT_EQ(e.code(), Errc::bad_format) << name;
    }
  }
  EXPECT_GE(opened, 20);
}

TEST(CompoundFile, ToleratesStreamSizeBeyondItsChain) {
  // ExtenXLS (POI bug 57080) writes a size larger than the chain; the chain wins.
  auto path = test::shared_dir() / "corpus/office/poi__extenxls_pwd123.xlsx";
  FileSource src(path);
  Reader r(src);
  const Entry* e = r.find("EncryptedPackage");
  ASSERT_NE(e, nullptr);
  EXPECT_GT(e->size, r.open(*e)->size());
}

// ---- hostile input ----------------------------------------------------------------------------

Bytes small_file() {
  Writer w;
  w.add_stream("Stream", pattern(5000, 1));  // sectors 0..9
  w.add_stream("Mini", pattern(100, 2));
  return write(w);
}

TEST(CompoundFileHostile, TruncatedAndGarbage) {
  Bytes f = small_file();
  expect_error(Bytes(f.begin(), f.begin() + 100), Errc::bad_format, "shorter than header");
  for (std::size_t cut : {std::size_t{512}, std::size_t{1024}, f.size() / 2, f.size() - 512}) {
    MemorySource src(ByteView(f).first(cut));
    try {
      Reader r(src);
      for (const auto& e : r.entries())
        if (e.type == EntryType::stream) r.read_stream(e);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::bad_format) << "cut at " << cut << ": " << e.what();
    }
  }
  Bytes g = f;
  g[0] ^= 1;
  expect_error(g, Errc::bad_format, "signature");
  g = f;
  g[30] = 10;  // sector shift
  expect_error(g, Errc::bad_format, "sector shift");
}

TEST(CompoundFileHostile, FatLoopIsDetected) {
  Bytes f = small_file();
  MemorySource src(f);
  std::uint32_t fat_sector = le32(f, 76);
  // Make sector 3 of "Stream" point back to sector 1.
  Bytes g = f;
  put32(g, 512 * (fat_sector + 1) + 4 * 3, 1);
  expect_error(g, Errc::bad_format, "FAT loop");
  // A self-loop on the directory's first sector.
  std::uint32_t dir = le32(f, 48);
  g = f;
  put32(g, 512 * (fat_sector + 1) + 4 * dir, dir);
  expect_error(g, Errc::bad_format, "directory chain loop");
}

TEST(CompoundFileHostile, SectorNumbersOutOfRange) {
  Bytes f = small_file();
  std::uint32_t fat_sector = le32(f, 76);
  Bytes g = f;
  put32(g, 512 * (fat_sector + 1) + 4 * 2, 0x00FFFFFF);
  expect_error(g, Errc::bad_format, "chain past end");
  g = f;
  put32(g, 76, 0x7FFFFFFF);  // FAT sector itself out of range
  expect_error(g, Errc::bad_format, "FAT sector out of range");
  g = f;
  put32(g, 44, 0xFFFFFF);  // absurd FAT sector count
  expect_error(g, Errc::bad_format, "FAT count");
  g = f;
  put32(g, 48, 0x7FFFFFF0);  // directory start
  expect_error(g, Errc::bad_format, "directory start");
}

TEST(CompoundFileHostile, DirectoryCycleAndLyingSizes) {
  Bytes f = small_file();
  std::uint32_t dir = le32(f, 48);
  std::size_t d0 = 512 * (dir + 1);
  // Root's child is some entry c; make c's left sibling point at itself.
  std::uint32_t c = le32(f, d0 + 76);
  Bytes g = f;
  put32(g, d0 + 128 * c + 68, c);
  expect_error(g, Errc::bad_format, "self cycle");
  // Root's child pointing back at the root.
  g = f;
  put32(g, d0 + 76, 0);
  expect_error(g, Errc::bad_format, "cycle through root");
  // Child index past the directory.
  g = f;
  put32(g, d0 + 76, 100000);
  expect_error(g, Errc::bad_format, "link out of range");
  // A stream size larger than the whole file.
  for (std::uint32_t id = 1; id < 3; ++id) {
    g = f;
    put32(g, d0 + 128 * id + 120, 0x7FFFFFFF);
    expect_error(g, Errc::bad_format, "size larger than file");
  }
  // A mini stream entry larger than the mini stream.
  for (std::uint32_t id = 1; id < 3; ++id) {
    if (le32(f, d0 + 128 * id + 120) != 100) continue;
    g = f;
    put32(g, d0 + 128 * id + 120, 4000);
    expect_error(g, Errc::bad_format, "mini size larger than mini stream");
    g = f;
    put32(g, d0 + 128 * id + 116, 5000);  // mini start outside the mini stream
    expect_error(g, Errc::bad_format, "mini start out of range");
  }
  // Bad object type on a linked entry.
  g = f;
  g[d0 + 128 * c + 66] = 7;
  expect_error(g, Errc::bad_format, "bad type");
}

}  // namespace
}  // namespace openrms::formats::cfb
