// The two backends against published known answers and against each other.
#include <random>

#include "openrms/error.hpp"
#include "test_support.hpp"

namespace openrms::crypto {
namespace {

const Backend& ossl() {
  return openssl_backend();
}
const Backend& other() {
  return has_botan() ? botan_backend() : openssl_backend();
}

Bytes bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

class Kat : public ::testing::TestWithParam<const Backend*> {
 protected:
  const Backend& be() const { return *GetParam(); }
};

// Published vectors: FIPS 180-4 examples, RFC 1321, RFC 6070, RFC 6229, FIPS-197 Appendix C.
TEST_P(Kat, Hashes) {
  EXPECT_EQ(to_hex(be().digest(HashAlg::md5, bytes("abc"))), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(to_hex(be().digest(HashAlg::sha1, bytes("abc"))),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(to_hex(be().digest(HashAlg::sha256, bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(be().digest(HashAlg::sha512, bytes("abc"))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c"
            "23a3feebbd"
            "454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(to_hex(be().digest(HashAlg::sha384, bytes("abc"))),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baec"
            "a134c825a7");
}

TEST_P(Kat, HashContextIsReusable) {
  auto h = be().hash(HashAlg::sha256);
  h->update(bytes("a"));
  h->update(bytes("bc"));
  Bytes first = h->finish();
  h->update(bytes("abc"));
  EXPECT_EQ(h->finish(), first);
}

TEST_P(Kat, Pbkdf2Rfc6070) {
  Bytes out(20);
  be().pbkdf2(HashAlg::sha1, bytes("password"), bytes("salt"), 1, out);
  EXPECT_EQ(to_hex(out), "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  be().pbkdf2(HashAlg::sha1, bytes("password"), bytes("salt"), 4096, out);
  EXPECT_EQ(to_hex(out), "4b007901b765489abead49d926f721d065a429c1");
  EXPECT_THROW(be().pbkdf2(HashAlg::sha1, bytes("p"), bytes("s"), 0, out), Error);
}

TEST_P(Kat, Rc4Rfc6229) {
  auto rc4 = be().rc4(from_hex("0102030405"));
  Bytes zero(16, 0), out(16);
  rc4->apply(zero, out);
  EXPECT_EQ(to_hex(out), "b2396305f03dc027ccc3524a0a1118a8");
  // The stream continues across calls (RFC 6229 offset 16).
  rc4->apply(zero, out);
  EXPECT_EQ(to_hex(out), "6982944f18fc82d589c403a47a0d0919");
}

TEST_P(Kat, AesFips197) {
  Bytes pt = from_hex("00112233445566778899aabbccddeeff"), out(16);
  struct {
    const char* key;
    const char* ct;
  } v[] = {{"000102030405060708090a0b0c0d0e0f", "69c4e0d86a7b0430d8cdb78070b4c55a"},
           {"000102030405060708090a0b0c0d0e0f1011121314151617", "dda97ca4864cdfe06eaf70a0ec0d7191"},
           {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "8ea2b7ca516745bfeafc49904b496089"}};
  for (auto& x : v) {
    auto aes = be().aes(from_hex(x.key));
    aes->ecb_encrypt(pt, out);
    EXPECT_EQ(to_hex(out), x.ct);
    aes->ecb_decrypt(out, out);
    EXPECT_EQ(out, pt);
  }
  EXPECT_THROW(be().aes(Bytes(15)), Error);
}

// NIST SP 800-38A F.5.5 (CTR-AES256.Encrypt), first two blocks.
TEST_P(Kat, AesCtrSp800_38a) {
  auto aes = be().aes(from_hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"));
  Bytes in = from_hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"), out(32);
  aes->ctr_xor(from_hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"), in, out);
  EXPECT_EQ(to_hex(out), "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5");
}

INSTANTIATE_TEST_SUITE_P(Backends, Kat, ::testing::ValuesIn(test::all_backends()),
                         test::backend_name);

// ---- differential: random inputs, both backends must agree bit for bit ----

class Differential : public ::testing::Test {
 protected:
  std::mt19937_64 rng{20261122};
  Bytes rand_bytes(std::size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    return b;
  }
  std::size_t rand_size(std::size_t max) { return static_cast<std::size_t>(rng() % (max + 1)); }
};

TEST_F(Differential, HashHmacKdf) {
  for (HashAlg h : {HashAlg::md5, HashAlg::sha1, HashAlg::sha224, HashAlg::sha256, HashAlg::sha384,
                    HashAlg::sha512}) {
    for (int i = 0; i < 20; ++i) {
      Bytes m = rand_bytes(rand_size(3000)), k = rand_bytes(rand_size(200));
      EXPECT_EQ(ossl().digest(h, m), other().digest(h, m));
      EXPECT_EQ(ossl().mac(h, k, m), other().mac(h, k, m));
    }
    if (h == HashAlg::md5) continue;
    Bytes a(77), b(77);
    Bytes pw = rand_bytes(12), salt = rand_bytes(16), info = rand_bytes(10);
    ossl().pbkdf2(h, pw, salt, 1000, a);
    other().pbkdf2(h, pw, salt, 1000, b);
    EXPECT_EQ(a, b);
    ossl().hkdf(h, pw, salt, info, a);
    other().hkdf(h, pw, salt, info, b);
    EXPECT_EQ(a, b);
  }
}

TEST_F(Differential, AesModes) {
  for (std::size_t klen : {16u, 24u, 32u}) {
    for (int i = 0; i < 20; ++i) {
      Bytes key = rand_bytes(klen), iv = rand_bytes(16);
      Bytes blocks = rand_bytes(16 * rand_size(300)), any = rand_bytes(rand_size(5000));
      auto a = ossl().aes(key), b = other().aes(key);
      Bytes x(blocks.size()), y(blocks.size());
      a->ecb_encrypt(blocks, x);
      b->ecb_encrypt(blocks, y);
      EXPECT_EQ(x, y);
      a->cbc_encrypt(iv, blocks, x);
      b->cbc_encrypt(iv, blocks, y);
      EXPECT_EQ(x, y);
      b->cbc_decrypt(iv, x, y);
      EXPECT_EQ(y, blocks);
      Bytes c(any.size()), d(any.size());
      a->ctr_xor(iv, any, c);
      b->ctr_xor(iv, any, d);
      EXPECT_EQ(c, d);
      Bytes aad = rand_bytes(rand_size(40)), nonce = rand_bytes(12);
      Bytes sealed = ossl().gcm_seal(key, nonce, aad, any);
      EXPECT_EQ(sealed, other().gcm_seal(key, nonce, aad, any));
      SecureBytes opened = other().gcm_open(key, nonce, aad, sealed);
      EXPECT_EQ(Bytes(opened.begin(), opened.end()), any);
      Bytes kd = rand_bytes(8 * (2 + rand_size(6)));
      EXPECT_EQ(ossl().key_wrap(key, kd, false), other().key_wrap(key, kd, false));
      Bytes kp = rand_bytes(1 + rand_size(40));
      EXPECT_EQ(ossl().key_wrap(key, kp, true), other().key_wrap(key, kp, true));
      Bytes r = rand_bytes(1 + rand_size(255)), s = rand_bytes(rand_size(3000)), o1(s.size()),
            o2(s.size());
      ossl().rc4(r)->apply(s, o1);
      other().rc4(r)->apply(s, o2);
      EXPECT_EQ(o1, o2);
    }
  }
}

TEST_F(Differential, GcmRejectsTampering) {
  Bytes key = rand_bytes(32), nonce = rand_bytes(12), msg = rand_bytes(100);
  Bytes sealed = ossl().gcm_seal(key, nonce, bytes("aad"), msg);
  for (const Backend* be : test::all_backends()) {
    Bytes bad = sealed;
    bad[rng() % bad.size()] ^= 0x01;
    try {
      be->gcm_open(key, nonce, bytes("aad"), bad);
      ADD_FAILURE() << "tampered GCM accepted by " << be->name();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::integrity);
    }
    EXPECT_THROW(be->gcm_open(key, nonce, bytes("AAD"), sealed), Error);
  }
}

struct KeyCase {
  KeyType type;
  SigParams sig;
};

TEST_F(Differential, KeysSignaturesAcrossBackends) {
  const KeyCase cases[] = {
      {KeyType::rsa, {SigScheme::rsa_pss, HashAlg::sha256, -1}},
      {KeyType::rsa, {SigScheme::rsa_pkcs1v15, HashAlg::sha256, -1}},
      {KeyType::ec_p256, {SigScheme::ecdsa_der, HashAlg::sha256, -1}},
      {KeyType::ec_p256, {SigScheme::ecdsa_p1363, HashAlg::sha256, -1}},
      {KeyType::ec_p384, {SigScheme::ecdsa_der, HashAlg::sha384, -1}},
      {KeyType::ed25519, {SigScheme::ed25519, HashAlg::sha512, -1}},
  };
  for (const auto& c : cases) {
    for (const Backend* signer : test::all_backends()) {
      PrivateKey k = signer->generate_key(c.type, 2048);
      EXPECT_EQ(k.type(), c.type);
      Bytes msg = rand_bytes(100);
      Bytes sig = signer->sign(k, c.sig, msg);
      for (const Backend* verifier : test::all_backends()) {
        // Re-import through the portable encodings, as a peer would.
        PublicKey pub = verifier->load_public_key(k.public_key().spki_der());
        PrivateKey again = verifier->load_private_key(k.pkcs8_der());
        EXPECT_EQ(again.public_key().spki_der(), k.public_key().spki_der());
        EXPECT_TRUE(verifier->verify(pub, c.sig, msg, sig))
            << signer->name() << "->" << verifier->name();
        Bytes bad = msg;
        bad[0] ^= 1;
        EXPECT_FALSE(verifier->verify(pub, c.sig, bad, sig));
        // PEM forms parse too.
        std::string pem = k.public_key().spki_pem();
        EXPECT_EQ(verifier->load_public_key(bytes(pem)).spki_der(), k.public_key().spki_der());
        SecureString priv_pem = k.pkcs8_pem();
        EXPECT_EQ(
            verifier->load_private_key(as_bytes(std::string_view(priv_pem.data(), priv_pem.size())))
                .public_key()
                .spki_der(),
            k.public_key().spki_der());
      }
    }
  }
}

TEST_F(Differential, RsaEncryptionAcrossBackends) {
  PrivateKey k = ossl().generate_key(KeyType::rsa, 2048);
  for (RsaPad pad : {RsaPad::oaep, RsaPad::pkcs1v15}) {
    for (const Backend* enc : test::all_backends()) {
      for (const Backend* dec : test::all_backends()) {
        for (bool with_label : {false, true}) {
          if (pad == RsaPad::pkcs1v15 && with_label) continue;
          RsaEncParams p;
          p.pad = pad;
          if (with_label) p.label = rand_bytes(20);
          Bytes secret = rand_bytes(32);
          Bytes ct = enc->rsa_encrypt(k.public_key(), p, secret);
          SecureBytes back = dec->rsa_decrypt(k, p, ct);
          EXPECT_EQ(Bytes(back.begin(), back.end()), secret) << enc->name() << "->" << dec->name();
          ct[5] ^= 0x40;
          EXPECT_THROW(dec->rsa_decrypt(k, p, ct), Error);
        }
      }
    }
  }
}

TEST_F(Differential, EcdhAgrees) {
  for (KeyType t : {KeyType::ec_p256, KeyType::ec_p384}) {
    PrivateKey a = ossl().generate_key(t), b = other().generate_key(t);
    SecureBytes z1 = ossl().ecdh(a, b.public_key());
    SecureBytes z2 = other().ecdh(b, a.public_key());
    SecureBytes z3 = other().ecdh(a, b.public_key());
    EXPECT_EQ(z1, z2);
    EXPECT_EQ(z1, z3);
    EXPECT_EQ(z1.size(), t == KeyType::ec_p256 ? 32u : 48u);
  }
}

TEST(Keys, MalformedEncodingsAreBadFormat) {
  for (const Backend* be : test::all_backends()) {
    for (Bytes junk : {Bytes{}, Bytes{0x30, 0x03, 0x02, 0x01}, Bytes(100, 0x41)}) {
      try {
        be->load_public_key(junk);
        ADD_FAILURE() << "junk public key accepted by " << be->name();
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::bad_format) << be->name();
      }
      try {
        be->load_private_key(junk);
        ADD_FAILURE() << "junk private key accepted by " << be->name();
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::bad_format) << be->name();
      }
    }
  }
}

// Passphrase-encrypted PKCS#8: each backend reads what the other writes; a wrong passphrase is
// wrong_password, junk is bad_format. (`openssl pkey` reads it too: licensing_cli_test.sh.)
TEST(Keys, EncryptedPkcs8AcrossBackends) {
  for (const Backend* writer : test::all_backends()) {
    PrivateKey key = writer->generate_key(KeyType::ec_p256);
    SecureString pem = writer->encrypt_private_key(key, "correct horse");
    std::string_view text(pem.data(), pem.size());
    EXPECT_NE(text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----"), std::string_view::npos);
    for (const Backend* reader : test::all_backends()) {
      SCOPED_TRACE(std::string(writer->name()) + " -> " + std::string(reader->name()));
      PrivateKey back = reader->load_encrypted_private_key(as_bytes(text), "correct horse");
      // The same key as the reader encodes it: backends may differ in the bytes of one key
      // (a scalar with a leading zero byte is written in 31 or 32 bytes), ~1 key in 256.
      EXPECT_EQ(back.pkcs8_der(), reader->load_private_key(key.pkcs8_der()).pkcs8_der());
      try {
        reader->load_encrypted_private_key(as_bytes(text), "wrong horse");
        ADD_FAILURE() << "a wrong passphrase opened the key";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::wrong_password);
      }
      try {
        reader->load_encrypted_private_key(Bytes(64, 0x30), "correct horse");
        ADD_FAILURE() << "junk accepted";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::bad_format);
      }
    }
    EXPECT_THROW(writer->encrypt_private_key(key, ""), Error);
  }
}

}  // namespace
}  // namespace openrms::crypto

namespace openrms::crypto {
namespace {

// The spin against its definition, written out with plain digests, on every backend and hash.
TEST(HashSpin, MatchesDefinitionOnEveryBackend) {
  for (HashAlg h : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512}) {
    Bytes h0 = openssl_backend().digest(h, Bytes{1, 2, 3});
    Bytes expect = h0;
    for (std::uint32_t i = 0; i < 1000; ++i) {
      Bytes in = {std::uint8_t(i), std::uint8_t(i >> 8), std::uint8_t(i >> 16),
                  std::uint8_t(i >> 24)};
      in.insert(in.end(), expect.begin(), expect.end());
      expect = openssl_backend().digest(h, in);
    }
    for (const Backend* be : test::all_backends()) {
      Bytes state = h0;
      be->hash_spin(h, state, 1000);
      EXPECT_EQ(state, expect) << be->name() << " " << to_string(h);
    }
  }
}

// FORMATS.md §2.6 published KAT (msoffcrypto__example_password.docx): H0 -> Hn after 100,000.
TEST(HashSpin, PublishedAgileVector) {
  for (const Backend* be : test::all_backends()) {
    Bytes state = from_hex(
        "18c33ada0b6d830e9706d727cb8144a987cbd58d54dda34ad9819c8b506af8a3e432745d626436e6002dedeeec"
        "7f5d842078c3798aa0423b"
        "8e6dac3ea4d0a7ad");
    be->hash_spin(HashAlg::sha512, state, 100000);
    EXPECT_EQ(to_hex(state),
              "244a8f097708ba992f489adc323b5e52a2ea8c5589e7b1d37ed0bec67a6ec91b0603689853ac9e3e1572"
              "c54f2c733aa0d6192c91c1c7"
              "8b46a8ca65e2ea66d954")
        << be->name();
  }
}

}  // namespace
}  // namespace openrms::crypto
