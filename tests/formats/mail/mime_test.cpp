// MIME parsing limits and message.rpmsg inflation on hostile shapes (security review 5 and 12):
// each is refused with bad_format before GMime builds a tree or zlib fills memory.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "openrms/error.hpp"
#include "openrms/formats/mail/mime.hpp"
#include "openrms/formats/mail/rpmsg.hpp"

using namespace openrms;
using namespace openrms::formats::mail;

namespace {

ByteView view(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::optional<Errc> code_of(const std::string& msg, const ParseLimits& lim = {}) {
  try {
    parse(view(msg), lim);
  } catch (const Error& e) {
    return e.code();
  }
  return std::nullopt;
}

std::string multipart(std::size_t parts, const std::string& boundary = "b") {
  std::string m =
      "From: a@contoso.com\r\nTo: b@contoso.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"" +
      boundary + "\"\r\n\r\n";
  for (std::size_t i = 0; i < parts; ++i) m += "--" + boundary + "\r\n\r\nx\r\n";
  m += "--" + boundary + "--\r\n";
  return m;
}

TEST(MimeLimits, AMillionTinyPartsAreRefusedBeforeParsing) {
  EXPECT_EQ(code_of(multipart(10)), std::nullopt);
  std::string bomb = multipart(1'000'000);
  ASSERT_LT(bomb.size(), 16u << 20);
  try {
    parse(view(bomb));
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::bad_format);
    EXPECT_NE(std::string(e.what()).find("MIME parts"), std::string::npos) << e.what();
  }
  // A boundary in RFC 2231 form (not decoded by the scan): every "--" line counts as a part.
  std::string encoded = multipart(20'000);
  encoded.replace(encoded.find("boundary=\"b\""), 12, "boundary*0=\"b\"");
  EXPECT_EQ(code_of(encoded), Errc::bad_format);
  ParseLimits few;
  few.max_parts = 9;
  EXPECT_EQ(code_of(multipart(10), few), Errc::bad_format);
}

TEST(MimeLimits, HeaderFloodsAreRefused) {
  std::string top = "From: a@contoso.com\r\nTo: b@contoso.com\r\n";
  for (int i = 0; i < 500'000; ++i) top += "X-H: " + std::to_string(i) + "\r\n";
  top += "\r\nbody\r\n";
  EXPECT_EQ(code_of(top), Errc::bad_format);
  // The same flood inside an attached message (message/rfc822) and in part headers.
  std::string inner =
      "From: a@contoso.com\r\nTo: b@contoso.com\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: message/rfc822\r\n\r\nFrom: c@contoso.com\r\n";
  for (int i = 0; i < 30'000; ++i) inner += "X-H: " + std::to_string(i) + "\r\n";
  inner += "\r\nhi\r\n--b--\r\n";
  EXPECT_EQ(code_of(inner), Errc::bad_format);
  // Folded lines are one field: a long To: list is fine.
  std::string folded = "From: a@contoso.com\r\nTo: b0@contoso.com";
  for (int i = 1; i < 5000; ++i) folded += ",\r\n b" + std::to_string(i) + "@contoso.com";
  folded += "\r\nSubject: many\r\n\r\nbody\r\n";
  EXPECT_EQ(code_of(folded), std::nullopt);
}

TEST(MimeLimits, LinesThatOnlyLookLikeBoundariesDoNotCount) {
  // A text attachment full of SQL comments ("-- …") is not a multipart of 50,000 parts.
  std::string m = multipart(1);
  std::string sql;
  for (int i = 0; i < 50'000; ++i) sql += "-- comment " + std::to_string(i) + "\r\n";
  m.insert(m.find("x\r\n"), sql);
  EXPECT_EQ(code_of(m), std::nullopt);
}

TEST(MimeLimits, SizeLimitDefaultsToTensOfMegabytes) {
  EXPECT_EQ(ParseLimits{}.max_size, 64ull << 20);
  std::string big = "From: a@contoso.com\r\n\r\n" + std::string((64u << 20) + 1, 'a');
  EXPECT_EQ(code_of(big), Errc::bad_format);
  ParseLimits larger;
  larger.max_size = 128ull << 20;
  EXPECT_EQ(code_of(big, larger), std::nullopt);
}

// message.rpmsg blocks that declare far more than the limit, or whose content is no compound
// file, fail at once (before: 1 GiB allocated and zero-filled first).
std::string rpmsg_of_zero_blocks(std::size_t blocks, bool cfb_magic) {
  std::string plain(4096, '\0');
  if (cfb_magic) {
    const unsigned char sig[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    plain.replace(0, 8, reinterpret_cast<const char*>(sig), 8);
  }
  auto block = [](const std::string& p) {
    uLongf n = compressBound(static_cast<uLong>(p.size()));
    std::string z(n, '\0');
    compress2(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(p.data()),
              static_cast<uLong>(p.size()), 9);
    z.resize(n);
    std::string h(12, '\0');
    auto put = [&](std::size_t at, std::uint32_t v) {
      for (int i = 0; i < 4; ++i) h[at + i] = static_cast<char>(v >> (8 * i));
    };
    put(0, 0x0FA0);
    put(4, 4096);
    put(8, static_cast<std::uint32_t>(z.size()));
    return h + z;
  };
  std::string out(reinterpret_cast<const char*>(rpmsg::kPrefix), 8);
  out += block(plain);
  std::string zero = block(std::string(4096, '\0'));
  for (std::size_t i = 1; i < blocks; ++i) out += zero;
  return out;
}

TEST(RpmsgLimits, InflationIsBoundedAndValidatedAsItGoes) {
  std::string bomb = rpmsg_of_zero_blocks(262'144, true);  // declares 1 GiB
  try {
    rpmsg::decompress(view(bomb), 64u << 20);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::bad_format);
    EXPECT_NE(std::string(e.what()).find("limit"), std::string::npos) << e.what();
  }
  // Within the limit but not a compound file: refused at the first block.
  std::string junk = rpmsg_of_zero_blocks(16, false);
  EXPECT_THROW(rpmsg::decompress(view(junk)), Error);
  EXPECT_EQ(rpmsg::decompress(view(rpmsg_of_zero_blocks(16, true))).size(), 16u * 4096);
}

}  // namespace
