// cbc_encrypt_many against each backend's own AES-CBC, message by message: any number of
// messages (fewer and more than the eight lanes), sizes that differ (so chains end at different
// times and lanes are refilled), empty messages, every key size; and the argument errors.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "openrms/crypto/cbc_many.hpp"
#include "test_support.hpp"

namespace openrms::crypto {
namespace {

using openrms::test::all_backends;
using openrms::test::error_of;

class CbcMany : public ::testing::TestWithParam<const Backend*> {};

TEST_P(CbcMany, EqualsTheBackendsCbcForEveryMessage) {
  const Backend& be = *GetParam();
  std::mt19937_64 rng(20261201);
  auto random_bytes = [&rng](std::size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    return b;
  };
  for (const std::size_t key_len : {16u, 24u, 32u}) {
    for (const std::size_t count : {1u, 3u, 8u, 9u, 17u, 64u}) {
      const Bytes key = random_bytes(key_len);
      std::vector<Bytes> plain, ivs;
      for (std::size_t i = 0; i < count; ++i) {
        // Mostly short and uneven, now and then empty or a few thousand blocks.
        const std::size_t r = rng() % 10;
        const std::size_t blocks = r == 0 ? 0 : r == 1 ? 2000 + rng() % 3000 : 1 + rng() % 300;
        plain.push_back(random_bytes(16 * blocks));
        ivs.push_back(random_bytes(16));
      }
      std::vector<Bytes> data = plain;
      std::vector<CbcMessage> messages;
      for (std::size_t i = 0; i < count; ++i)
        messages.push_back({ivs[i].data(), data[i].data(), data[i].size()});
      cbc_encrypt_many(be, key, messages);
      auto aes = be.aes(key);
      for (std::size_t i = 0; i < count; ++i) {
        Bytes want(plain[i].size());
        if (!want.empty()) aes->cbc_encrypt(ivs[i], plain[i], want);
        ASSERT_EQ(data[i], want) << "key " << key_len << ", " << count << " messages, message " << i
                                 << " of " << plain[i].size() << " bytes";
      }
    }
  }
}

TEST_P(CbcMany, RefusesBadKeysAndPartialBlocksBeforeEncryptingAnything) {
  const Backend& be = *GetParam();
  Bytes iv(16, 1), a(32, 2), b(20, 3);
  const Bytes a0 = a;
  std::vector<CbcMessage> messages{{iv.data(), a.data(), a.size()},
                                   {iv.data(), b.data(), b.size()}};
  EXPECT_EQ(error_of([&] { cbc_encrypt_many(be, Bytes(32, 9), messages); }),
            Errc::invalid_argument);
  EXPECT_EQ(a, a0);  // the whole block message was left alone too
  messages.pop_back();
  EXPECT_EQ(error_of([&] { cbc_encrypt_many(be, Bytes(20, 9), messages); }),
            Errc::invalid_argument);
  EXPECT_EQ(a, a0);
  cbc_encrypt_many(be, Bytes(32, 9), {});  // nothing to do is fine
}

INSTANTIATE_TEST_SUITE_P(Backends, CbcMany, ::testing::ValuesIn(all_backends()),
                         openrms::test::backend_name);

}  // namespace
}  // namespace openrms::crypto
