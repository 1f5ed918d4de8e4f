// The rights-managed PDF wrapper: version 2 seals the original file per segment; version 1
// files (a rewritten payload under a whole-file MAC) still open.
#include "openrms/formats/pdf/rights_pdf.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "crypto/test_support.hpp"
#include "openrms/error.hpp"
#include "pdf_test_util.hpp"

namespace openrms::formats::pdf::rights {
namespace {

using openrms::test::error_of;

const std::string kLicense = "<license>test</license>";
const crypto::Bytes kKey(32, 0x42);

std::string big_pdf(std::size_t stream_bytes, unsigned seed) {
  auto b = test::sample_document("wrapped");
  std::mt19937 rng(seed);
  std::string data(stream_bytes, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  b.add_stream(9, "/Type /XObject /Subtype /Image /Width 1 /Height 1", data);
  return b.build();
}

Bytes protect(const std::string& pdf, int version = 2) {
  Bytes out;
  MemorySink sink(out);
  WriteOptions o;
  o.version = version;
  write(MemorySource(crypto::as_bytes(pdf)), sink, kLicense, kKey, o);
  return out;
}

std::string open(const Bytes& wrapped, ByteView key = kKey) {
  Bytes out;
  MemorySink sink(out);
  decrypt(MemorySource(wrapped), sink, key);
  return std::string(out.begin(), out.end());
}

// Where the sealed original starts in a version 2 wrapper: after the embedded file's "stream".
std::size_t payload_at(const Bytes& w) {
  const std::string s(w.begin(), w.end());
  const auto obj = s.find("7 0 obj");
  return s.find("stream\n", obj) + 7;
}

TEST(RightsPdf, Version2GivesBackTheOriginalBytes) {
  const std::size_t sizes[] = {0, 1000, (1u << 20) - 900, 1u << 20, (3u << 20) + 5};
  for (std::size_t size : sizes) {
    const std::string pdf = big_pdf(size, 1);
    const Bytes w = protect(pdf);
    const Info info = read_info(MemorySource(w));
    EXPECT_EQ(info.version, 2);
    EXPECT_EQ(info.license, kLicense);
    EXPECT_EQ(info.original_size, pdf.size());
    EXPECT_TRUE(open(w) == pdf) << size;
    // The wrapper is itself a PDF with the sealed payload inside, not the plaintext.
    EXPECT_EQ(std::search(w.begin(), w.end(), pdf.end() - 200, pdf.end()), w.end());
  }
}

TEST(RightsPdf, Version2ReadsRangesVerifyingOnlyTheirSegments) {
  const std::string pdf = big_pdf(3u << 20, 2);
  Bytes w = protect(pdf);
  const MemorySource src(w);  // outlives the Reader, which keeps a reference
  Reader r{src, kKey};
  EXPECT_EQ(r.size(), pdf.size());
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20; ++i) {
    const std::uint64_t at = rng() % pdf.size();
    Bytes part(static_cast<std::size_t>(rng() % 70000 + 1));
    const std::size_t n = r.read_at(at, part);
    ASSERT_EQ(n, std::min<std::uint64_t>(part.size(), pdf.size() - at));
    EXPECT_TRUE(std::string(part.begin(), part.begin() + static_cast<std::ptrdiff_t>(n)) ==
                pdf.substr(static_cast<std::size_t>(at), n));
  }
  // One byte of the third segment changed: ranges in the first still read, the third's do not.
  Bytes t = w;
  t[payload_at(w) + 2 * ((1u << 20) + 16) + 100] ^= 0x01;
  const MemorySource tsrc(t);
  Reader tampered{tsrc, kKey};
  Bytes part(100);
  EXPECT_EQ(tampered.read_at(10, part), 100u);
  EXPECT_EQ(error_of([&] { tampered.read_at((2u << 20) + 50, part); }), Errc::integrity);
  EXPECT_TRUE(std::all_of(part.begin(), part.end(), [](std::uint8_t b) { return b == 0; }));
  EXPECT_EQ(error_of([&] { open(t); }), Errc::integrity);
}

TEST(RightsPdf, Version2RefusesEveryKindOfTampering) {
  const std::string pdf = big_pdf((2u << 20) + 300, 3);
  const Bytes w = protect(pdf);
  const std::size_t p = payload_at(w);
  auto refused = [&](const Bytes& t) {
    const Errc c = error_of([&] { open(t); });
    return c == Errc::integrity || c == Errc::bad_format;
  };
  // the cover page, the /EP dictionary, the xref: outside the payload, under the header MAC
  for (std::size_t at : {std::size_t{20}, p / 2, p - 30, w.size() - 40}) {
    Bytes t = w;
    t[at] ^= 0x02;
    EXPECT_TRUE(refused(t)) << at;
  }
  // two segments swapped
  Bytes swapped = w;
  std::swap_ranges(swapped.begin() + static_cast<std::ptrdiff_t>(p),
                   swapped.begin() + static_cast<std::ptrdiff_t>(p + (1u << 20) + 16),
                   swapped.begin() + static_cast<std::ptrdiff_t>(p + (1u << 20) + 16));
  EXPECT_TRUE(refused(swapped));
  // the wrong key; another wrapper's payload under this header
  EXPECT_EQ(error_of([&] { open(w, crypto::Bytes(32, 0x43)); }), Errc::integrity);
  Bytes other = protect(pdf);
  Bytes spliced = w;
  std::copy(other.begin() + static_cast<std::ptrdiff_t>(payload_at(other)),
            other.begin() + static_cast<std::ptrdiff_t>(payload_at(other) + (1u << 20) + 16),
            spliced.begin() + static_cast<std::ptrdiff_t>(p));
  EXPECT_TRUE(refused(spliced));
  // truncated: the wrapper's structure no longer matches (its /Length and xref)
  EXPECT_TRUE(refused(Bytes(w.begin(), w.end() - 100)));
}

TEST(RightsPdf, Version1FilesStillOpen) {
  const std::string pdf = big_pdf(100000, 4);
  const Bytes w = protect(pdf, 1);
  const Info info = read_info(MemorySource(w));
  EXPECT_EQ(info.version, 1);
  EXPECT_FALSE(info.original_size.has_value());
  EXPECT_EQ(test::object_map(open(w)), test::object_map(pdf));  // the same objects, rewritten
  const MemorySource src(w);
  EXPECT_EQ(error_of([&] { Reader r(src, kKey); }), Errc::unsupported);
  Bytes t = w;
  t[t.size() / 2] ^= 0x01;
  const Errc c = error_of([&] { open(t); });
  EXPECT_TRUE(c == Errc::integrity || c == Errc::bad_format);
}

}  // namespace
}  // namespace openrms::formats::pdf::rights
