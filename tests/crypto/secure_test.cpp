#include <gtest/gtest.h>

#include <type_traits>

#include "openrms/crypto/secure.hpp"
#include "openrms/error.hpp"

namespace openrms::crypto {
namespace {

TEST(Secure, CtEqual) {
  Bytes a = {1, 2, 3}, b = {1, 2, 3}, c = {1, 2, 4}, d = {1, 2};
  EXPECT_TRUE(ct_equal(a, b));
  EXPECT_FALSE(ct_equal(a, c));
  EXPECT_FALSE(ct_equal(a, d));
  EXPECT_TRUE(ct_equal(ByteView{}, ByteView{}));
}

TEST(Secure, Hex) {
  EXPECT_EQ(to_hex(Bytes{0x00, 0xab, 0xff}), "00abff");
  EXPECT_EQ(from_hex("00ABff"), (Bytes{0x00, 0xab, 0xff}));
  try {
    from_hex("abc");
    FAIL() << "odd length accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
  }
  EXPECT_THROW(from_hex("zz"), Error);
}

TEST(Secure, WipeZeroes) {
  std::uint8_t buf[32];
  for (auto& b : buf) b = 0xAA;
  secure_wipe(buf, sizeof buf);
  for (auto b : buf) EXPECT_EQ(b, 0);
}

static_assert(std::is_same_v<SecureBytes::allocator_type, WipingAllocator<std::uint8_t>>,
              "SecureBytes must use the wiping allocator");

TEST(Errors, StableNames) {
  EXPECT_EQ(to_string(Errc::bad_format), "bad_format");
  EXPECT_EQ(to_string(Errc::wrong_password), "wrong_password");
  EXPECT_EQ(to_string(Errc::integrity), "integrity");
  EXPECT_EQ(static_cast<int>(Errc::io), 10);
  Error e(Errc::revoked, "revoked by its issuer");
  EXPECT_EQ(e.code(), Errc::revoked);
  EXPECT_STREQ(e.what(), "revoked by its issuer");
}

}  // namespace
}  // namespace openrms::crypto

namespace openrms::crypto {
namespace {
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> v[] = {{"", ""},
                                                   {"f", "Zg=="},
                                                   {"fo", "Zm8="},
                                                   {"foo", "Zm9v"},
                                                   {"foob", "Zm9vYg=="},
                                                   {"fooba", "Zm9vYmE="},
                                                   {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : v) {
    EXPECT_EQ(to_base64(as_bytes(plain)), enc);
    Bytes d = from_base64(enc);
    EXPECT_EQ(std::string(d.begin(), d.end()), plain);
  }
  EXPECT_EQ(from_base64("Zm9v\r\nYmFy"), from_base64("Zm9vYmFy"));
  EXPECT_EQ(from_base64("Zg"), from_base64("Zg=="));  // padding optional
  EXPECT_THROW(from_base64("Z"), Error);
  EXPECT_THROW(from_base64("Zg==Zg=="), Error);
  EXPECT_THROW(from_base64("Zm9v!"), Error);
  EXPECT_THROW(from_base64("Z==="), Error);
}
}  // namespace
}  // namespace openrms::crypto
