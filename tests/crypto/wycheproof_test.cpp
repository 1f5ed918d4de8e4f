// Runs every Wycheproof vector file in ../shared/wycheproof that matches a primitive openrms
// covers, on every backend. valid -> must succeed with the expected output; invalid -> must be
// rejected; acceptable -> either (counted). Groups whose parameters openrms does not offer
// (e.g. a PSS MGF1 hash different from the message hash) are counted as skipped and there must
// be few of them.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>

#include "openrms/error.hpp"
#include "test_support.hpp"

namespace openrms::crypto {
namespace {

using json = nlohmann::json;
using test::all_backends;

struct Tally {
  int valid = 0, invalid = 0, acceptable_accepted = 0, acceptable_rejected = 0, skipped = 0;
};

json load(const std::string& file) {
  auto path = test::shared_dir() / "wycheproof" / "testvectors_v1" / file;
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "missing Wycheproof file " << path;
    return json::object({{"testGroups", json::array()}});
  }
  return json::parse(in);
}

Bytes hx(const json& j) {
  return from_hex(j.get<std::string>());
}

HashAlg hash_of(const std::string& s) {
  if (s == "SHA-1") return HashAlg::sha1;
  if (s == "SHA-224") return HashAlg::sha224;
  if (s == "SHA-256") return HashAlg::sha256;
  if (s == "SHA-384") return HashAlg::sha384;
  if (s == "SHA-512") return HashAlg::sha512;
  throw std::runtime_error("unknown hash " + s);
}

// Runs `accept(group, test)` (true = the implementation accepted and produced the expected
// output; an openrms::Error counts as rejection) for every test and checks it against `result`.
Tally run(const std::string& file, const std::function<bool(const json&, const json&)>& accept,
          const std::function<bool(const json&)>& group_supported = nullptr) {
  Tally t;
  json doc = load(file);
  for (const auto& g : doc["testGroups"]) {
    if (group_supported && !group_supported(g)) {
      t.skipped += static_cast<int>(g["tests"].size());
      continue;
    }
    for (const auto& tc : g["tests"]) {
      bool ok;
      try {
        ok = accept(g, tc);
      } catch (const Error&) {
        ok = false;
      }
      const std::string result = tc["result"];
      const std::string where = file + " tcId " + std::to_string(tc["tcId"].get<int>()) + " (" +
                                tc.value("comment", "") + ")";
      if (result == "valid") {
        EXPECT_TRUE(ok) << where << " must be accepted";
        ++t.valid;
      } else if (result == "invalid") {
        EXPECT_FALSE(ok) << where << " must be rejected";
        ++t.invalid;
      } else {
        ++(ok ? t.acceptable_accepted : t.acceptable_rejected);
      }
    }
  }
  std::printf("[wycheproof] %-45s valid %4d invalid %4d acceptable %d/%d skipped %d\n",
              file.c_str(), t.valid, t.invalid, t.acceptable_accepted, t.acceptable_rejected,
              t.skipped);
  EXPECT_GT(t.valid + t.invalid, 0) << file << " ran no vectors";
  return t;
}

class Wycheproof : public ::testing::TestWithParam<const Backend*> {
 protected:
  const Backend& be() const { return *GetParam(); }
};

TEST_P(Wycheproof, AesCbcPkcs5) {
  run("aes_cbc_pkcs5_test.json", [&](const json&, const json& t) {
    Bytes key = hx(t["key"]), iv = hx(t["iv"]), msg = hx(t["msg"]), ct = hx(t["ct"]);
    SecureBytes pt = be().cbc_pkcs7_decrypt(key, iv, ct);
    bool ok = Bytes(pt.begin(), pt.end()) == msg;
    if (t["result"] == "valid") ok = ok && be().cbc_pkcs7_encrypt(key, iv, msg) == ct;
    return ok;
  });
}

TEST_P(Wycheproof, AesGcm) {
  run(
      "aes_gcm_test.json",
      [&](const json& g, const json& t) {
        std::size_t tag_len = g["tagSize"].get<std::size_t>() / 8;
        Bytes key = hx(t["key"]), iv = hx(t["iv"]), aad = hx(t["aad"]), msg = hx(t["msg"]);
        Bytes sealed = hx(t["ct"]), tag = hx(t["tag"]);
        sealed.insert(sealed.end(), tag.begin(), tag.end());
        SecureBytes pt = be().gcm_open(key, iv, aad, sealed, tag_len);
        bool ok = Bytes(pt.begin(), pt.end()) == msg;
        if (t["result"] == "valid") ok = ok && be().gcm_seal(key, iv, aad, msg, tag_len) == sealed;
        return ok;
      },
      // openrms (like OpenSSL) takes GCM nonces of 1..128 bytes; longer ones are refused with
      // invalid_argument, checked in the test below. Empty nonces stay in: they must be rejected.
      [](const json& g) { return g["ivSize"].get<int>() <= 1024; });
}

// The keyed interface the streaming containers use: one context per key, many messages, in place
// and out of place (12-byte nonces and 16-byte tags only; other groups are skipped).
TEST_P(Wycheproof, AesGcmKeyed) {
  run(
      "aes_gcm_test.json",
      [&](const json&, const json& t) {
        Bytes key = hx(t["key"]), iv = hx(t["iv"]), aad = hx(t["aad"]), msg = hx(t["msg"]);
        Bytes ct = hx(t["ct"]), tag = hx(t["tag"]);
        auto gcm = be().aes_gcm(key);
        Bytes out(ct.size(), 0xAA);
        const bool opened = gcm->open(iv, aad, ct, out, tag);
        if (!opened) {  // a refused message leaves zeros, never unauthenticated plaintext
          EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](std::uint8_t b) { return b == 0; }));
        }
        Bytes inplace = ct;
        const bool opened_in_place = gcm->open(iv, aad, inplace, inplace, tag);
        EXPECT_EQ(opened, opened_in_place);
        bool ok = opened && out == msg && inplace == msg;
        if (t["result"] == "valid") {
          Bytes c2(msg.size()), t2(16);
          gcm->seal(iv, aad, msg, c2, t2);
          ok = ok && c2 == ct && t2 == tag;
        }
        return ok;
      },
      [](const json& g) { return g["ivSize"].get<int>() == 96 && g["tagSize"].get<int>() == 128; });
}

TEST_P(Wycheproof, AesGcmRefusesNoncesOver128Bytes) {
  Bytes key(16), nonce(129);
  try {
    be().gcm_seal(key, nonce, {}, {});
    FAIL() << "129-byte nonce accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
  }
}

void key_wrap_file(const Backend& be, const std::string& file, bool padded) {
  run(file, [&](const json&, const json& t) {
    Bytes key = hx(t["key"]), msg = hx(t["msg"]), ct = hx(t["ct"]);
    SecureBytes un = be.key_unwrap(key, ct, padded);
    bool ok = Bytes(un.begin(), un.end()) == msg;
    if (t["result"] == "valid") ok = ok && be.key_wrap(key, msg, padded) == ct;
    return ok;
  });
}
TEST_P(Wycheproof, AesKeyWrap) {
  key_wrap_file(be(), "aes_wrap_test.json", false);
}
TEST_P(Wycheproof, AesKeyWrapPadded) {
  key_wrap_file(be(), "aes_kwp_test.json", true);
}

void hmac_file(const Backend& be, const std::string& file, HashAlg h) {
  run(file, [&](const json& g, const json& t) {
    std::size_t tag_len = g["tagSize"].get<std::size_t>() / 8;
    Bytes tag = hx(t["tag"]);
    Bytes full = be.mac(h, hx(t["key"]), hx(t["msg"]));
    if (tag_len > full.size() || tag.size() != tag_len) return false;
    return ct_equal(ByteView(full).first(tag_len), tag);
  });
}
TEST_P(Wycheproof, HmacSha1) {
  hmac_file(be(), "hmac_sha1_test.json", HashAlg::sha1);
}
TEST_P(Wycheproof, HmacSha256) {
  hmac_file(be(), "hmac_sha256_test.json", HashAlg::sha256);
}
TEST_P(Wycheproof, HmacSha512) {
  hmac_file(be(), "hmac_sha512_test.json", HashAlg::sha512);
}

void hkdf_file(const Backend& be, const std::string& file, HashAlg h) {
  run(file, [&](const json&, const json& t) {
    Bytes out(t["size"].get<std::size_t>());
    be.hkdf(h, hx(t["ikm"]), hx(t["salt"]), hx(t["info"]), out);
    return out == hx(t["okm"]);
  });
}
TEST_P(Wycheproof, HkdfSha256) {
  hkdf_file(be(), "hkdf_sha256_test.json", HashAlg::sha256);
}
TEST_P(Wycheproof, HkdfSha512) {
  hkdf_file(be(), "hkdf_sha512_test.json", HashAlg::sha512);
}

void rsa_decrypt_file(const Backend& be, const std::string& file, bool oaep) {
  std::string cached_der;
  PrivateKey key;
  run(file, [&](const json& g, const json& t) {
    std::string der = g["privateKeyPkcs8"];
    if (der != cached_der) {
      key = be.load_private_key(from_hex(der));
      cached_der = der;
    }
    RsaEncParams p;
    p.pad = oaep ? RsaPad::oaep : RsaPad::pkcs1v15;
    if (oaep) {
      p.oaep_hash = hash_of(g["sha"]);
      p.mgf1_hash = hash_of(g["mgfSha"]);
      p.label = hx(t["label"]);
    }
    SecureBytes m = be.rsa_decrypt(key, p, hx(t["ct"]));
    return Bytes(m.begin(), m.end()) == hx(t["msg"]);
  });
}
TEST_P(Wycheproof, RsaOaep) {
  for (const char* f :
       {"rsa_oaep_2048_sha256_mgf1sha1_test.json", "rsa_oaep_2048_sha256_mgf1sha256_test.json",
        "rsa_oaep_3072_sha256_mgf1sha1_test.json", "rsa_oaep_3072_sha256_mgf1sha256_test.json",
        "rsa_oaep_misc_test.json"})
    rsa_decrypt_file(be(), f, true);
}
TEST_P(Wycheproof, RsaPkcs1Decrypt) {
  for (const char* f : {"rsa_pkcs1_2048_test.json", "rsa_pkcs1_3072_test.json"})
    rsa_decrypt_file(be(), f, false);
}

void verify_file(const Backend& be, const std::string& file, SigScheme scheme) {
  std::string cached_der;
  PublicKey key;
  auto supported = [&](const json& g) {
    // openrms offers PSS with MGF1 over the message hash only.
    return scheme != SigScheme::rsa_pss || g["mgfSha"] == g["sha"];
  };
  Tally t = run(
      file,
      [&](const json& g, const json& tc) {
        std::string der = g["publicKeyDer"];
        if (der != cached_der) {
          key = be.load_public_key(from_hex(der));
          cached_der = der;
        }
        SigParams p;
        p.scheme = scheme;
        if (g.contains("sha")) p.hash = hash_of(g["sha"]);
        if (scheme == SigScheme::rsa_pss)
          p.pss_salt_len = g["sLen"].is_string() ? std::stoi(g["sLen"].get<std::string>())
                                                 : g["sLen"].get<int>();
        return be.verify(key, p, hx(tc["msg"]), hx(tc["sig"]));
      },
      supported);
  EXPECT_EQ(t.skipped, 0) << file;
}
TEST_P(Wycheproof, RsaPss) {
  for (const char* f :
       {"rsa_pss_2048_sha256_mgf1_0_test.json", "rsa_pss_2048_sha256_mgf1_32_test.json",
        "rsa_pss_3072_sha256_mgf1_32_test.json"})
    verify_file(be(), f, SigScheme::rsa_pss);
}
TEST_P(Wycheproof, RsaPkcs1Signature) {
  for (const char* f :
       {"rsa_signature_2048_sha256_test.json", "rsa_signature_3072_sha256_test.json"})
    verify_file(be(), f, SigScheme::rsa_pkcs1v15);
}
TEST_P(Wycheproof, EcdsaP256Der) {
  verify_file(be(), "ecdsa_secp256r1_sha256_test.json", SigScheme::ecdsa_der);
}
TEST_P(Wycheproof, EcdsaP256P1363) {
  verify_file(be(), "ecdsa_secp256r1_sha256_p1363_test.json", SigScheme::ecdsa_p1363);
}
TEST_P(Wycheproof, Ed25519) {
  verify_file(be(), "ed25519_test.json", SigScheme::ed25519);
}

// Every file in the directory must be claimed by one of the tests above, so a newly added
// vector file for a covered primitive cannot be silently ignored.
TEST(WycheproofIndex, EveryFileIsCovered) {
  const std::set<std::string> covered = {"aes_cbc_pkcs5_test.json",
                                         "aes_gcm_test.json",
                                         "aes_wrap_test.json",
                                         "aes_kwp_test.json",
                                         "hmac_sha1_test.json",
                                         "hmac_sha256_test.json",
                                         "hmac_sha512_test.json",
                                         "hkdf_sha256_test.json",
                                         "hkdf_sha512_test.json",
                                         "rsa_oaep_2048_sha256_mgf1sha1_test.json",
                                         "rsa_oaep_2048_sha256_mgf1sha256_test.json",
                                         "rsa_oaep_3072_sha256_mgf1sha1_test.json",
                                         "rsa_oaep_3072_sha256_mgf1sha256_test.json",
                                         "rsa_oaep_misc_test.json",
                                         "rsa_pkcs1_2048_test.json",
                                         "rsa_pkcs1_3072_test.json",
                                         "rsa_pss_2048_sha256_mgf1_0_test.json",
                                         "rsa_pss_2048_sha256_mgf1_32_test.json",
                                         "rsa_pss_3072_sha256_mgf1_32_test.json",
                                         "rsa_signature_2048_sha256_test.json",
                                         "rsa_signature_3072_sha256_test.json",
                                         "ecdsa_secp256r1_sha256_test.json",
                                         "ecdsa_secp256r1_sha256_p1363_test.json",
                                         "ed25519_test.json"};
  auto dir = test::shared_dir() / "wycheproof" / "testvectors_v1";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++n;
    EXPECT_TRUE(covered.count(e.path().filename().string())) << "not run: " << e.path().filename();
  }
  EXPECT_EQ(n, static_cast<int>(covered.size()));
}

INSTANTIATE_TEST_SUITE_P(Backends, Wycheproof, ::testing::ValuesIn(all_backends()),
                         test::backend_name);

}  // namespace
}  // namespace openrms::crypto
