// The shared text helpers: valid_utf8 against nlohmann's UTF-8 check (an independent decoder)
// on random byte strings, and the boundaries of Unicode's Table 3-7.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>
#include <string>

#include "openrms/text.hpp"

namespace openrms {
namespace {

TEST(Text, Utf8BoundariesOfTable3_7) {
  for (const char* good : {"", "plain", "zo\xc3\xab", "\xe2\x82\xac", "\xef\xbf\xbf",
                           "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80"})
    EXPECT_TRUE(valid_utf8(good)) << good;
  EXPECT_TRUE(valid_utf8(std::string("a\0b", 3)));
  for (const char* bad :
       {"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
        "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xe2\x82",
        "\xf0\x90\x80", "a\xc3", "\xc3\x28"})
    EXPECT_FALSE(valid_utf8(bad)) << bad;
}

TEST(Text, Utf8AgreesWithNlohmannOnRandomBytes) {
  std::mt19937 rng(20261201);
  int valid = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string s(1 + rng() % 8, '\0');
    for (char& c : s) {
      // Mostly bytes that start or continue sequences; no control characters, '"' or '\\',
      // which JSON would refuse for reasons other than UTF-8.
      const unsigned r = rng() % 256;
      c = static_cast<char>(r < 0x20 || r == '"' || r == '\\' ? 0x80 + r % 0x40 : r);
    }
    const bool json_ok =
        !nlohmann::json::parse("\"" + s + "\"", nullptr, /*allow_exceptions=*/false).is_discarded();
    ASSERT_EQ(valid_utf8(s), json_ok) << testing::PrintToString(s);
    valid += json_ok;
  }
  EXPECT_GT(valid, 1000);  // both kinds were drawn
}

}  // namespace
}  // namespace openrms
