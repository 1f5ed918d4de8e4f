// A license server whose keys are held in a PKCS#11 token (licensing/src/pkcs11_custody.cpp and
// LicenseServer's custody), on the SoftHSM2 token of tests/crypto/with_softhsm.sh.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "openrms/error.hpp"
#include "openrms/licensing/key_custody.hpp"
#include "openrms/licensing/server.hpp"
#include "test_store.hpp"

using namespace openrms;
using namespace openrms::licensing;
using namespace openrms::licensing::testing;

namespace {

crypto::Pkcs11Config config() {
  crypto::Pkcs11Config c;
  for (const char* v :
       {"OPENRMS_TEST_P11_MODULE", "OPENRMS_TEST_P11_TOKEN", "OPENRMS_TEST_P11_PIN_FILE"})
    if (!std::getenv(v)) ADD_FAILURE() << v << " is not set: run under with_softhsm.sh";
  c.module = std::getenv("OPENRMS_TEST_P11_MODULE");
  c.token = std::getenv("OPENRMS_TEST_P11_TOKEN");
  std::string pin;
  std::getline(std::ifstream(std::getenv("OPENRMS_TEST_P11_PIN_FILE")), pin);
  c.pin.assign(pin.begin(), pin.end());
  return c;
}

template <class F>
std::optional<Errc> code_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return std::nullopt;
}

Policy view_for(const std::string& who) {
  Policy p;
  p.grants.push_back({Principal::parse(who), Rights{Right::view}});
  return p;
}

class Custody : public ::testing::Test {
 protected:
  Custody() : custody(config()), store(make_test_store(crypto::SecureBytes(32, 9))) {
    o.custody = &custody;
    server = std::make_unique<LicenseServer>(*store, o);
    server->activate(CustodyKeys{"sign-1", "seal-1"});
  }
  // Publishes for bob as alice, acquires as bob, and returns the unsealed content key.
  crypto::SecureBytes round_trip(LicenseServer& s) {
    auto alice = s.enroll({"alice@contoso.com"});
    auto bob = s.enroll({"bob@contoso.com"});
    PublishRequest req;
    req.policy = view_for("bob@contoso.com");
    auto pub = s.publish({"alice@contoso.com"}, req, alice.rac_xml);
    auto ul_xml = s.acquire({"bob@contoso.com"}, pub.license_xml, bob.rac_xml);
    auto ul = parse_use_license(ul_xml, s.anchors());
    auto rac = parse_certificate(bob.rac_xml, s.anchors());
    auto d = evaluate(ul, rac, bob.private_key, system_clock());
    EXPECT_EQ(d.content_key, pub.content_key);
    return d.content_key;
  }

  Pkcs11Custody custody;
  std::unique_ptr<Store> store;
  ServerOptions o;
  std::unique_ptr<LicenseServer> server;
};

}  // namespace

TEST_F(Custody, TheServerWorksWithKeysThatStayInTheToken) {
  EXPECT_EQ(round_trip(*server).size(), 32u);
  auto gens = store->generations();
  ASSERT_EQ(gens.size(), 1u);
  EXPECT_TRUE(gens[0].signing_key_pkcs8.empty());
  EXPECT_TRUE(gens[0].sealing_key_pkcs8.empty());
  EXPECT_EQ(gens[0].signing_key_ref, "pkcs11:token=openrms-test;object=sign-1");
  EXPECT_EQ(gens[0].sealing_key_ref, "pkcs11:token=openrms-test;object=seal-1");
  // The SLC carries the token's public keys.
  const Certificate* slc = server->anchors().current();
  ASSERT_NE(slc, nullptr);
  EXPECT_EQ(slc->key_id(), key_id(custody.token().private_key("sign-1").public_key()));
  EXPECT_EQ(key_id(slc->sealing_key), key_id(custody.token().private_key("seal-1").public_key()));
}

TEST_F(Custody, AnotherNodeWithTheTokenServesTheSameStore) {
  Pkcs11Custody own_session(config());
  ServerOptions other;
  other.custody = &own_session;
  LicenseServer node_b(*store, other);
  EXPECT_EQ(round_trip(node_b).size(), 32u);
}

TEST_F(Custody, WithoutTheTokenTheStoreDoesNotOpen) {
  auto code = code_of([&] { LicenseServer no_token(*store, ServerOptions{}); });
  EXPECT_EQ(code, Errc::unavailable);
}

TEST_F(Custody, RotationMovesToNewTokenKeysAndOldContentStillOpens) {
  auto alice = server->enroll({"alice@contoso.com"});
  auto bob = server->enroll({"bob@contoso.com"});
  PublishRequest req;
  req.policy = view_for("bob@contoso.com");
  auto old_pub = server->publish({"alice@contoso.com"}, req, alice.rac_xml);
  const Certificate& gen2 = server->rotate_keys(CustodyKeys{"sign-2", "seal-2"});
  EXPECT_EQ(gen2.generation, 2u);
  EXPECT_EQ(gen2.key_id(), key_id(custody.token().private_key("sign-2").public_key()));
  EXPECT_NO_THROW(server->acquire({"bob@contoso.com"}, old_pub.license_xml, bob.rac_xml));
  EXPECT_EQ(round_trip(*server).size(), 32u);
}

TEST_F(Custody, AStoredReferenceCannotSwapInAnotherKey) {
  // Someone with write access to the store points generation 1 at other keys in the token: the
  // SLC no longer matches them and the generation is refused.
  auto gens = store->generations();
  auto tampered = make_test_store(crypto::SecureBytes(32, 9));
  ServerGeneration g = gens[0];
  g.signing_key_ref = custody.reference("sign-2");
  tampered->add_generation(g);
  EXPECT_EQ(code_of([&] { LicenseServer s(*tampered, o); }), Errc::integrity);
}

TEST_F(Custody, BadKeyChoicesAreRefused) {
  auto fresh = make_test_store(crypto::SecureBytes(32, 9));
  LicenseServer s(*fresh, o);
  EXPECT_EQ(code_of([&] { s.activate(CustodyKeys{"sign-1", "sign-1"}); }), Errc::invalid_argument);
  EXPECT_EQ(code_of([&] { s.activate(CustodyKeys{"rsa-1", "seal-1"}); }), Errc::unsupported);
  EXPECT_EQ(code_of([&] { s.activate(CustodyKeys{"sign-1", "missing"}); }), Errc::not_found);
  LicenseServer no_custody(*fresh, ServerOptions{});
  EXPECT_EQ(code_of([&] {
              no_custody.activate(CustodyKeys{"sign-1", "seal-1"});
            }),
            Errc::invalid_argument);
  EXPECT_FALSE(s.activated());
  EXPECT_EQ(code_of([&] { custody.key("pkcs11:token=another;object=sign-1"); }),
            Errc::invalid_argument);
  EXPECT_EQ(code_of([&] { custody.key("file:///etc/key.pem"); }), Errc::invalid_argument);
  EXPECT_EQ(custody.reference("a b;c"), "pkcs11:token=openrms-test;object=a%20b%3Bc");
}

TEST_F(Custody, ConcurrentIssuanceSignsAndUnsealsInTheToken) {
  auto alice = server->enroll({"alice@contoso.com"});
  auto bob = server->enroll({"bob@contoso.com"});
  std::vector<std::string> pls;
  for (int i = 0; i < 8; ++i) {
    PublishRequest req;
    req.policy = view_for("bob@contoso.com");
    pls.push_back(server->publish({"alice@contoso.com"}, req, alice.rac_xml).license_xml);
  }
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto ul = server->acquire({"bob@contoso.com"}, pls[(t + i) % pls.size()], bob.rac_xml);
        if (!parse_use_license(ul, server->anchors()).id.empty()) ++ok;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);
}
