// PKCS#11 key references (RFC 7512 URIs) without a token: the examples of RFC 7512 §3, the
// percent-encoding round trip, and the typed errors. (pkcs11_custody_test.cpp resolves
// references in a SoftHSM2 token.)
#include <gtest/gtest.h>

#include "openrms/error.hpp"
#include "openrms/licensing/key_custody.hpp"

namespace openrms::licensing {
namespace {

Errc error_of(std::string_view uri) {
  try {
    Pkcs11KeyRef::parse(uri);
  } catch (const Error& e) {
    return e.code();
  }
  return Errc{};
}

TEST(Pkcs11KeyRef, ReadsRfc7512Examples) {
  // RFC 7512 §3: attributes in any order, others ignored, the query ignored.
  auto r = Pkcs11KeyRef::parse(
      "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;"
      "model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91?pin-value=1234");
  EXPECT_EQ(r.token, "The Software PKCS#11 Softtoken");
  EXPECT_EQ(r.object, "my-certificate");
  r = Pkcs11KeyRef::parse("pkcs11:object=my-key;token=Library%20NSS%20Certificate%20DB");
  EXPECT_EQ(r.token, "Library NSS Certificate DB");
  EXPECT_EQ(r.object, "my-key");
}

TEST(Pkcs11KeyRef, PercentEncodingRoundTrips) {
  const Pkcs11KeyRef odd{"t;o=k%en ü", "sign-1;object=other?x"};
  const std::string uri = odd.to_uri();
  EXPECT_EQ(uri.find(' '), std::string::npos);
  EXPECT_EQ(uri.find('?'), std::string::npos);
  EXPECT_EQ(uri.rfind("pkcs11:token=t%3Bo%3Dk%25en%20%C3%BC;object=sign-1", 0), 0u) << uri;
  EXPECT_EQ(Pkcs11KeyRef::parse(uri), odd);
  EXPECT_EQ(Pkcs11KeyRef::parse("pkcs11:object=%6b%65%79"), (Pkcs11KeyRef{"", "key"}));
}

TEST(Pkcs11KeyRef, TypedErrors) {
  EXPECT_EQ(error_of("file:///etc/key.pem"), Errc::invalid_argument);
  EXPECT_EQ(error_of("pkcs11:token=a"), Errc::invalid_argument);  // no object
  EXPECT_EQ(error_of("pkcs11:object=a%4"), Errc::invalid_argument);
  EXPECT_EQ(error_of("pkcs11:object=a%zz"), Errc::invalid_argument);
  EXPECT_EQ(error_of("pkcs11:object=%"), Errc::invalid_argument);
}

}  // namespace
}  // namespace openrms::licensing
