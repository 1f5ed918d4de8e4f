#include "openrms/crypto/ecies.hpp"

#include "openrms/error.hpp"
#include "test_support.hpp"

namespace openrms::crypto {
namespace {

Bytes bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

TEST(Ecies, SealOpenAcrossBackendsAndKeyTypes) {
  for (KeyType t : {KeyType::ec_p256, KeyType::ec_p384, KeyType::rsa}) {
    for (const Backend* owner : test::all_backends()) {
      PrivateKey k = owner->generate_key(t, 3072);
      for (const Backend* sealer : test::all_backends()) {
        Bytes secret = sealer->random_bytes(32);
        Bytes sealed = seal_to(*sealer, k.public_key(), secret, bytes("content-id-1"));
        for (const Backend* opener : test::all_backends()) {
          SecureBytes back = open_sealed(*opener, k, sealed, bytes("content-id-1"));
          EXPECT_EQ(Bytes(back.begin(), back.end()), secret);
        }
      }
    }
  }
}

TEST(Ecies, FreshEphemeralPerSeal) {
  const Backend& be = default_backend();
  PrivateKey k = be.generate_key(KeyType::ec_p256);
  Bytes s = be.random_bytes(32);
  EXPECT_NE(seal_to(be, k.public_key(), s), seal_to(be, k.public_key(), s));
}

TEST(Ecies, RejectsWrongKeyAadAndTampering) {
  for (KeyType t : {KeyType::ec_p256, KeyType::rsa}) {
    const Backend& be = default_backend();
    PrivateKey k = be.generate_key(t, 3072), stranger = be.generate_key(t, 3072);
    Bytes secret = be.random_bytes(32);
    Bytes sealed = seal_to(be, k.public_key(), secret, bytes("aad"));
    auto expect_integrity = [&](const PrivateKey& key, ByteView box, ByteView aad) {
      try {
        open_sealed(be, key, box, aad);
        ADD_FAILURE() << "opened when it must not";
      } catch (const Error& e) {
        EXPECT_TRUE(e.code() == Errc::integrity || e.code() == Errc::bad_format) << e.what();
      }
    };
    expect_integrity(stranger, sealed, bytes("aad"));
    expect_integrity(k, sealed, bytes("other"));
    for (std::size_t pos : {std::size_t{0}, sealed.size() / 2, sealed.size() - 1}) {
      Bytes bad = sealed;
      bad[pos] ^= 0x80;
      expect_integrity(k, bad, bytes("aad"));
    }
    expect_integrity(k, ByteView(sealed).first(sealed.size() - 1), bytes("aad"));
  }
}

}  // namespace
}  // namespace openrms::crypto
