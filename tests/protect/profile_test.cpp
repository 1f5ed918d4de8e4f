// Profile over a license source the caller opened (what the command does): the user's files as
// `openrms user enroll` lays them out, a passphrase-protected key opened through the caller's
// prompt, and the errors when files, passphrase or options are wrong.
#include <gtest/gtest.h>

#include <fstream>

#include "licensing_fixture.hpp"
#include "openrms/protect/profile.hpp"
#include "openrms/protect/protect.hpp"

namespace openrms::protect {
namespace {

namespace fs = std::filesystem;
using licensing::testing::LicensingFixture;

class ProfileTest : public LicensingFixture {
 protected:
  ProfileTest() : source(*server) {
    dir = fs::temp_directory_path() /
          ("openrms-profile-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~ProfileTest() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  // alice's RAC and key, the key sealed with `passphrase` (empty: plain PKCS#8).
  void write_user_files(const std::string& passphrase) {
    auto& alice = user("alice@contoso.com");
    const UserFiles f = UserFiles::in(dir, "alice@contoso.com");
    std::ofstream(f.rac) << alice.grant.rac_xml;
    const auto& be = crypto::default_backend();
    const crypto::SecureString pem =
        passphrase.empty() ? alice.grant.private_key.pkcs8_pem()
                           : be.encrypt_private_key(alice.grant.private_key, passphrase);
    std::ofstream(f.key) << std::string_view(pem);
  }

  ProfileOptions options() {
    ProfileOptions o;
    o.source = &source;
    o.user = "alice@contoso.com";
    o.dir = dir;
    o.cache_use_licenses = false;
    o.client.clock = &clock;
    o.client.durable = false;
    return o;
  }

  LocalLicenseSource source;
  fs::path dir;
};

TEST_F(ProfileTest, APassphraseProtectedKeyOpensThroughTheCallersPrompt) {
  write_user_files("correct horse");
  int asked = 0;
  ProfileOptions o = options();
  o.ask_passphrase = [&asked](const std::string& who) {
    EXPECT_EQ(who, "alice@contoso.com");
    ++asked;
    return crypto::SecureString("correct horse");
  };
  Profile p(std::move(o));
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(&p.source(), &source);  // the caller's source, not one the profile opened
  EXPECT_EQ(p.server(), nullptr);
  std::ofstream(dir / "note.txt") << "for alice only";
  const auto r = p.client().protect(dir / "note.txt", dir / "note.ptxt",
                                    Protection::with_policy(licensing::Policy{}), false, false);
  const auto text = p.client().open(r.output).read_all();
  EXPECT_EQ(std::string(text.begin(), text.end()), "for alice only");
}

TEST_F(ProfileTest, APlainKeyIsNeverAskedFor) {
  write_user_files("");
  ProfileOptions o = options();
  o.ask_passphrase = [](const std::string&) -> crypto::SecureString {
    ADD_FAILURE() << "asked for the passphrase of a plain key";
    return crypto::SecureString("x");
  };
  Profile p(std::move(o));
  EXPECT_TRUE(p.has_user());
}

TEST_F(ProfileTest, WrongOrMissingPassphraseFilesAndOptionsAreTypedErrors) {
  write_user_files("correct horse");
  {  // no prompt and no passphrase
    EXPECT_EQ(code_of([&] { Profile p(options()); }), Errc::wrong_password);
  }
  {  // the prompt answers wrongly
    ProfileOptions o = options();
    o.ask_passphrase = [](const std::string&) { return crypto::SecureString("wrong horse"); };
    EXPECT_EQ(code_of([&] { Profile p(std::move(o)); }), Errc::wrong_password);
  }
  {  // a passphrase given up front wins over the prompt
    ProfileOptions o = options();
    o.key_passphrase = crypto::SecureString("correct horse");
    o.ask_passphrase = [](const std::string&) -> crypto::SecureString {
      throw Error(Errc::internal, "should not be asked");
    };
    EXPECT_EQ(code_of([&] { Profile p(std::move(o)); }), std::nullopt);
  }
  {  // nobody enrolled under that name here
    ProfileOptions o = options();
    o.user = "bob@contoso.com";
    EXPECT_EQ(code_of([&] { Profile p(std::move(o)); }), Errc::not_found);
  }
  {  // a source and a store to open at once
    ProfileOptions o = options();
    o.store = dir / "store.db";
    EXPECT_EQ(code_of([&] { Profile p(std::move(o)); }), Errc::invalid_argument);
  }
}

}  // namespace
}  // namespace openrms::protect
