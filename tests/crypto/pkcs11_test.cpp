// Keys in a PKCS#11 token (crypto/src/pkcs11.cpp), on a SoftHSM2 token whose keys OpenSC's
// pkcs11-tool made (tests/crypto/with_softhsm.sh). The token's results are checked by software
// outside it: signatures by both backends, sealed boxes made by Botan.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "openrms/crypto/backend.hpp"
#include "openrms/crypto/ecies.hpp"
#include "openrms/crypto/pkcs11.hpp"
#include "openrms/error.hpp"

using namespace openrms;
using namespace openrms::crypto;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == 0)
    ADD_FAILURE() << name << " is not set: run under tests/crypto/with_softhsm.sh";
  return v ? v : "";
}

Pkcs11Config config(std::string pin = {}) {
  Pkcs11Config c;
  c.module = env("OPENRMS_TEST_P11_MODULE");
  c.token = env("OPENRMS_TEST_P11_TOKEN");
  if (pin.empty()) std::getline(std::ifstream(env("OPENRMS_TEST_P11_PIN_FILE")), pin);
  c.pin.assign(pin.begin(), pin.end());
  return c;
}

template <class F>
Errc code_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error";
  return Errc::internal;
}

const SigParams kEcdsa{SigScheme::ecdsa_der, HashAlg::sha256};

}  // namespace

TEST(Pkcs11, SignsInTheTokenAndBothBackendsVerify) {
  Pkcs11Token token(config());
  PrivateKey key = token.private_key("sign-1");
  EXPECT_EQ(key.type(), KeyType::ec_p256);
  const auto msg = as_bytes("a publishing license's signed bytes");
  Bytes sig = openssl_backend().sign(key, kEcdsa, msg);
  const Bytes spki = key.public_key().spki_der();
  for (const Backend* be : {&openssl_backend(), &botan_backend()}) {
    PublicKey pub = be->load_public_key(spki);
    EXPECT_TRUE(be->verify(pub, kEcdsa, msg, sig)) << be->name();
    EXPECT_FALSE(be->verify(pub, kEcdsa, as_bytes("another message"), sig)) << be->name();
  }
  // The other key pair's public key does not verify it.
  PublicKey other = token.private_key("sign-2").public_key();
  EXPECT_FALSE(openssl_backend().verify(other, kEcdsa, msg, sig));
}

TEST(Pkcs11, UnsealsBoxesSealedByBotanByEcdhInTheToken) {
  Pkcs11Token token(config());
  PrivateKey seal = token.private_key("seal-1");
  PublicKey pub = botan_backend().load_public_key(seal.public_key().spki_der());
  SecureBytes content_key(32, 0x5a);
  Bytes box = seal_to(botan_backend(), pub, content_key, as_bytes("aad"));
  EXPECT_EQ(open_sealed(openssl_backend(), seal, box, as_bytes("aad")), content_key);
  EXPECT_EQ(code_of([&] { open_sealed(openssl_backend(), seal, box, as_bytes("other")); }),
            Errc::integrity);
  EXPECT_EQ(code_of([&] {
              open_sealed(openssl_backend(), token.private_key("seal-2"), box, as_bytes("aad"));
            }),
            Errc::integrity);
}

TEST(Pkcs11, TheKeyNeverLeavesTheToken) {
  Pkcs11Token token(config());
  PrivateKey key = token.private_key("sign-1");
  EXPECT_THROW((void)key.pkcs8_der(), Error);
}

TEST(Pkcs11, KeysWorkFromSeveralThreadsAtOnce) {
  Pkcs11Token token(config());
  PrivateKey key = token.private_key("sign-1");
  PublicKey pub = key.public_key();
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        std::string m = "message " + std::to_string(t) + "/" + std::to_string(i);
        Bytes sig = openssl_backend().sign(key, kEcdsa, as_bytes(m));
        if (openssl_backend().verify(pub, kEcdsa, as_bytes(m), sig)) ++good;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 100);
}

TEST(Pkcs11, KeysOutliveTheTokenObject) {
  PrivateKey key;
  {
    Pkcs11Token token(config());
    key = token.private_key("sign-1");
  }
  Bytes sig = openssl_backend().sign(key, kEcdsa, as_bytes("x"));
  EXPECT_TRUE(openssl_backend().verify(key.public_key(), kEcdsa, as_bytes("x"), sig));
}

TEST(Pkcs11, ListsItsPrivateKeys) {
  Pkcs11Token token(config());
  auto labels = token.private_key_labels();
  for (const char* l : {"sign-1", "seal-1", "sign-2", "seal-2", "rsa-1"})
    EXPECT_NE(std::find(labels.begin(), labels.end(), l), labels.end()) << l;
}

TEST(Pkcs11, FailuresAreTypedAndSayWhat) {
  auto message_of = [](auto f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(code_of([] { Pkcs11Token t(config("00000000")); }), Errc::wrong_password);
  EXPECT_NE(message_of([] { Pkcs11Token t(config("00000000")); }).find("wrong PIN"),
            std::string::npos);
  // The wrong PIN is not in the message.
  EXPECT_EQ(message_of([] { Pkcs11Token t(config("31415926")); }).find("31415926"),
            std::string::npos);
  Pkcs11Config missing = config();
  missing.token = "no-such-token";
  EXPECT_EQ(code_of([&] { Pkcs11Token t(missing); }), Errc::unavailable);
  EXPECT_NE(message_of([&] { Pkcs11Token t(missing); }).find("no-such-token"), std::string::npos);
  Pkcs11Config no_module = config();
  no_module.module = "/nonexistent/libpkcs11.so";
  EXPECT_EQ(code_of([&] { Pkcs11Token t(no_module); }), Errc::unavailable);
  Pkcs11Token token(config());
  EXPECT_EQ(code_of([&] { token.private_key("no-such-key"); }), Errc::not_found);
}
