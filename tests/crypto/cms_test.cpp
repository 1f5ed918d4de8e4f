// CMS EnvelopedData and recipient keys (crypto/cms.hpp), cross-checked with the openssl command
// (an independent CMS writer and reader): what openrms seals, `openssl cms -decrypt` opens for
// each recipient; what `openssl cms -encrypt` seals (AES and the legacy 3DES), openrms opens.
// Certificates and keys are made per run with `openssl req` in a temporary folder.
#include "openrms/crypto/cms.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "test_support.hpp"

namespace openrms::crypto {
namespace {

namespace fs = std::filesystem;
using test::error_of;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void spit(const fs::path& p, std::string_view data) {
  std::ofstream(p, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
}

ByteView bv(const std::string& s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

int sh(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str());
}

class Cms : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("openrms-cms-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    for (const char* n : {"alice", "bob", "mallory"}) {
      const std::string d = dir_.string() + "/" + n;
      ASSERT_EQ(sh("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=" + std::string(n) +
                   " -days 2 -keyout " + d + ".key -out " + d + ".pem"),
                0)
          << "the openssl command is needed (tests/run.sh installs it)";
      ASSERT_EQ(sh("openssl pkcs12 -export -in " + d + ".pem -inkey " + d +
                   ".key -passout pass:pw-" + n + " -out " + d + ".p12"),
                0);
    }
    ASSERT_EQ(sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                 "-subj /CN=eve -days 2 -keyout " +
                 dir_.string() + "/eve.key -out " + dir_.string() + "/eve.pem"),
              0);
    ASSERT_EQ(sh("openssl req -x509 -newkey ed25519 -nodes -subj /CN=dan -days 2 -keyout " +
                 dir_.string() + "/dan.key -out " + dir_.string() + "/dan.pem"),
              0);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static fs::path at(const std::string& name) { return dir_ / name; }
  static Certificate cert(const std::string& n) {
    return Certificate::parse(bv(slurp(at(n + ".pem"))));
  }
  static RecipientKey key(const std::string& n) {
    return RecipientKey::from_pem(slurp(at(n + ".pem")) + slurp(at(n + ".key")));
  }

  static fs::path dir_;
};
fs::path Cms::dir_;

TEST_F(Cms, SealedForTwoOpensForEachWithOpensslAndOpenrms) {
  const std::string secret = "twenty-byte seed....perm";
  const Certificate both[] = {cert("alice"), cert("bob")};
  const Bytes env = seal_enveloped(bv(secret), both);
  spit(at("env.der"), std::string(env.begin(), env.end()));
  for (const char* n : {"alice", "bob"}) {
    SCOPED_TRACE(n);
    const std::string d = at(n).string();
    ASSERT_EQ(sh("openssl cms -decrypt -binary -inform DER -in " + at("env.der").string() +
                 " -recip " + d + ".pem -inkey " + d + ".key -out " + d + ".out"),
              0);
    EXPECT_EQ(slurp(d + ".out"), secret);
    auto opened = key(n).open_enveloped(env);
    ASSERT_TRUE(opened);
    EXPECT_EQ(std::string(opened->begin(), opened->end()), secret);
  }
  EXPECT_FALSE(key("mallory").open_enveloped(env));  // not a recipient: nullopt, not an error
  auto who = enveloped_recipients(env);              // a DER SET: in encoding order, not ours
  ASSERT_EQ(who.size(), 2u);
  std::set<std::string> seen;
  for (const auto& w : who) {
    EXPECT_EQ(w.kind, "key-transport");
    seen.insert(w.issuer + " " + w.serial_hex);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"CN=alice " + cert("alice").serial_hex(),
                                         "CN=bob " + cert("bob").serial_hex()}));
}

TEST_F(Cms, OpensWhatOpensslSeals) {
  spit(at("msg.txt"), "seed and permissions");
  for (const char* cipher : {"-aes128", "-des3"}) {
    SCOPED_TRACE(cipher);
    ASSERT_EQ(
        sh("openssl cms -encrypt -binary " + std::string(cipher) + " -outform DER -in " +
           at("msg.txt").string() + " -out " + at("o.der").string() + " " + at("bob.pem").string()),
        0);
    auto opened = key("bob").open_enveloped(bv(slurp(at("o.der"))));
    ASSERT_TRUE(opened);
    EXPECT_EQ(std::string(opened->begin(), opened->end()), "seed and permissions");
  }
}

// Key agreement recipients (an EC certificate: ECDH, RFC 5753): what `openssl cms -encrypt`
// makes for an EC certificate opens with its key and is listed as such.
TEST_F(Cms, OpensKeyAgreementRecipients) {
  spit(at("ka.txt"), "seed for an EC holder");
  ASSERT_EQ(sh("openssl cms -encrypt -binary -aes256 -outform DER -in " + at("ka.txt").string() +
               " -out " + at("ka.der").string() + " " + at("eve.pem").string() + " " +
               at("bob.pem").string()),
            0);
  const std::string der = slurp(at("ka.der"));
  auto opened = key("eve").open_enveloped(bv(der));
  ASSERT_TRUE(opened);
  EXPECT_EQ(std::string(opened->begin(), opened->end()), "seed for an EC holder");
  auto bob = key("bob").open_enveloped(bv(der));  // the RSA recipient beside it
  ASSERT_TRUE(bob);
  EXPECT_EQ(std::string(bob->begin(), bob->end()), "seed for an EC holder");
  EXPECT_FALSE(key("alice").open_enveloped(bv(der)));
  std::set<std::string> kinds;
  for (const auto& w : enveloped_recipients(bv(der))) kinds.insert(w.kind + " " + w.issuer);
  EXPECT_EQ(kinds, (std::set<std::string>{"key-agreement CN=eve", "key-transport CN=bob"}));
}

// Sealing to an EC certificate writes a key agreement recipient that the openssl command opens
// with the EC key (and BouncyCastle too: tests/formats/pdf/interop_test.sh).
TEST_F(Cms, SealsForAnEcHolderByKeyAgreement) {
  const std::string secret = "twenty-byte seed....perm";
  const Certificate mixed[] = {cert("eve"), cert("alice")};
  const Bytes env = seal_enveloped(bv(secret), mixed);
  spit(at("ec-env.der"), std::string(env.begin(), env.end()));
  const std::string d = at("eve").string();
  ASSERT_EQ(sh("openssl cms -decrypt -binary -inform DER -in " + at("ec-env.der").string() +
               " -recip " + d + ".pem -inkey " + d + ".key -out " + d + ".out"),
            0);
  EXPECT_EQ(slurp(d + ".out"), secret);
  for (const char* n : {"eve", "alice"}) {
    auto opened = key(n).open_enveloped(env);
    ASSERT_TRUE(opened) << n;
    EXPECT_EQ(std::string(opened->begin(), opened->end()), secret);
  }
  std::set<std::string> kinds;
  for (const auto& w : enveloped_recipients(env)) kinds.insert(w.kind + " " + w.issuer);
  EXPECT_EQ(kinds, (std::set<std::string>{"key-agreement CN=eve", "key-transport CN=alice"}));
}

TEST_F(Cms, TypedErrors) {
  const Certificate alice[] = {cert("alice")};
  Bytes env = seal_enveloped(bv(std::string("x")), alice);
  EXPECT_EQ(error_of([&] { key("alice").open_enveloped(bv(std::string("not DER"))); }),
            Errc::bad_format);
  // The encrypted key damaged: the envelope still names alice, her key no longer opens it.
  Bytes damaged = env;
  damaged[damaged.size() / 2] ^= 0x55;
  const Errc e = error_of([&] { (void)key("alice").open_enveloped(damaged); });
  EXPECT_TRUE(e == Errc::integrity || e == Errc::bad_format) << static_cast<int>(e);
  EXPECT_EQ(error_of([] { Certificate::parse(bv(std::string("-----BEGIN nothing"))); }),
            Errc::bad_format);
  const std::string p12 = slurp(at("bob.p12"));
  EXPECT_EQ(error_of([&] { RecipientKey::from_pkcs12(bv(p12), "wrong"); }), Errc::wrong_password);
  EXPECT_EQ(RecipientKey::from_pkcs12(bv(p12), "pw-bob").certificate().subject(), "CN=bob");
  EXPECT_EQ(
      error_of([&] { RecipientKey::from_pem(slurp(at("alice.pem")) + slurp(at("bob.key"))); }),
      Errc::invalid_argument);
  const Certificate dan[] = {cert("dan")};  // Ed25519: no CMS recipient kind for it here
  EXPECT_EQ(error_of([&] { seal_enveloped(bv(std::string("x")), dan); }), Errc::invalid_argument);
  EXPECT_EQ(error_of([&] { seal_enveloped(bv(std::string("x")), {}); }), Errc::invalid_argument);
}

// PDFBox's own test keystore uses RC2-40 PBE (read through the legacy provider).
TEST_F(Cms, ReadsALegacyPkcs12) {
  const std::string p12 = slurp(test::shared_dir() / "corpus/pdf/keys/PDFBOX-4421-keystore.pfx");
  EXPECT_EQ(RecipientKey::from_pkcs12(bv(p12), "w!z%C*F-JaNdRgUk").certificate().subject(),
            "CN=testnutzer");
}

}  // namespace
}  // namespace openrms::crypto
