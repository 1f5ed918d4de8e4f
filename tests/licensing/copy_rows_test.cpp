// The binary COPY reader of the tracking log (licensing/src/copy_rows.hpp) on streams built here
// byte by byte from PostgreSQL 15's documentation (COPY, "Binary Format"); the PostgreSQL store
// tests read what a real server sends.
#include "copy_rows.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "openrms/error.hpp"

using openrms::Errc;
using openrms::Error;
using openrms::licensing::detail::CopyRow;
using openrms::licensing::detail::CopyRowReader;

namespace {

std::string be(std::uint64_t v, int bytes) {
  std::string s;
  for (int i = bytes - 1; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

// Signature "PGCOPY\n\377\r\n\0", flags, header extension length, extension.
std::string header(std::uint32_t flags = 0, const std::string& extension = "") {
  return std::string("PGCOPY\n\xff\r\n\0", 11) + be(flags, 4) + be(extension.size(), 4) + extension;
}

std::string field(const std::string& bytes) {
  return be(bytes.size(), 4) + bytes;
}

std::string row(std::int64_t seq, std::int64_t time, std::int64_t party, const std::string& id) {
  return be(4, 2) + field(be(static_cast<std::uint64_t>(seq), 8)) +
         field(be(static_cast<std::uint64_t>(time), 8)) +
         field(be(static_cast<std::uint64_t>(party), 8)) + field(id);
}

const std::string kTrailer = be(0xFFFF, 2);

struct Seen {
  std::int64_t seq, time, party;
  std::string license_id;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> read(const std::vector<std::string>& messages, bool* ended = nullptr) {
  CopyRowReader r;
  std::vector<Seen> out;
  for (const auto& m : messages)
    r.message(std::span<const char>(m.data(), m.size()), [&](const CopyRow& c) {
      out.push_back({c.seq, c.time, c.party, std::string(c.license_id)});
    });
  if (ended) *ended = r.ended();
  return out;
}

void expect_io(const std::vector<std::string>& messages, const std::string& words) {
  try {
    read(messages);
    ADD_FAILURE() << "no error; wanted: " << words;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::io);
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(CopyRows, RowsAsTheServerFramesThem) {
  bool ended = false;
  // The header shares the first row's message; the trailer comes alone.
  const auto rows = read({header() + row(7, 1764000000, 3, "ul-1"), row(9, -5, 4, ""),
                          row(INT64_MAX, INT64_MIN, 0, std::string("a\0b", 3)), kTrailer},
                         &ended);
  EXPECT_TRUE(ended);
  const std::vector<Seen> want = {{7, 1764000000, 3, "ul-1"},
                                  {9, -5, 4, ""},
                                  {INT64_MAX, INT64_MIN, 0, std::string("a\0b", 3)}};
  EXPECT_EQ(rows, want);
}

TEST(CopyRows, SeveralRowsInAMessageAndAnExtensionAreRead) {
  bool ended = false;
  const auto rows =
      read({header(0x0000FFFF, "ext!"), row(1, 2, 3, "x") + row(4, 5, 6, "y") + kTrailer}, &ended);
  EXPECT_TRUE(ended);
  EXPECT_EQ(rows, (std::vector<Seen>{{1, 2, 3, "x"}, {4, 5, 6, "y"}}));
}

TEST(CopyRows, AnEmptyLogIsHeaderAndTrailer) {
  bool ended = false;
  EXPECT_TRUE(read({header() + kTrailer}, &ended).empty());
  EXPECT_TRUE(ended);
  // Without the trailer the stream has not ended: the store refuses it after the COPY.
  EXPECT_EQ(read({header() + row(1, 2, 3, "x")}, &ended).size(), 1u);
  EXPECT_FALSE(ended);
}

TEST(CopyRows, AnythingElseIsAnIoError) {
  const std::string text_copy = "100\t200\t300\tlicense\n";  // COPY's text format
  expect_io({text_copy}, "no binary COPY signature");
  expect_io({header(1u << 16)}, "a critical header flag");
  expect_io({header().substr(0, 15) + be(0xFFFFFFFF, 4)}, "negative header extension");
  expect_io({header() + be(3, 2) + field(be(1, 8))}, "a row of 3 columns, not 4");
  expect_io({header() + be(4, 2) + be(0xFFFFFFFF, 4)}, "a NULL column");
  expect_io({header() + be(4, 2) + field(be(1, 4))}, "an integer column that is not 8 bytes");
  const std::string whole = row(1, 2, 3, "license");
  for (std::size_t cut = 1; cut < whole.size(); ++cut)
    expect_io({header() + whole.substr(0, cut)}, "cut short");
  expect_io({header() + be(4, 2) + field(be(1, 8)) + field(be(1, 8)) + field(be(1, 8)) +
             be(0x7FFFFFFF, 4) + "x"},
            "cut short");
  expect_io({header() + kTrailer + "x"}, "data after the end");
  expect_io({header() + kTrailer, row(1, 2, 3, "x")}, "data after the end");
}
