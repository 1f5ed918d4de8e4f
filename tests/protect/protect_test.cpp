// The protect facade end to end: every container × policy kind × role × time, tamper and
// truncation, re-protection, bulk protection. The inputs are independent of the code under test:
// a real .docx from the corpus (written by Microsoft Word), a hand-built PDF, random bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "licensing_fixture.hpp"
#include "openrms/formats/cfb/compound_file.hpp"
#include "openrms/formats/office/office_crypto.hpp"
#include "openrms/formats/pdf/pdf_crypto.hpp"
#include "openrms/formats/pfile/pfile.hpp"
#include "openrms/protect/protect.hpp"
#include "pdf_test_util.hpp"

namespace openrms::protect {
namespace {

namespace fs = std::filesystem;
using crypto::ByteView;
using licensing::Right;
using licensing::Rights;
using licensing::testing::LicensingFixture;

std::string shared_dir() {
  return OPENRMS_SHARED_DIR;
}

crypto::Bytes slurp(const fs::path& p) {
  return formats::read_file(p);
}

void spit(const fs::path& p, ByteView data) {
  std::ofstream o(p, std::ios::binary);
  o.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

class ProtectTest : public LicensingFixture {
 protected:
  ProtectTest() : source(*server) {
    dir = fs::temp_directory_path() /
          ("openrms-protect-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    // Inputs: a real Word document, a hand-made PDF, random bytes as text.
    fs::path docx = shared_dir() + "/corpus/office/expected/msoffcrypto__example.docx";
    if (!fs::exists(docx)) ADD_FAILURE() << "missing corpus file " << docx << " (../shared)";
    inputs["docx"] = slurp(docx);
    std::string pdf = formats::pdf::test::sample_document("Quarterly numbers").build();
    inputs["pdf"] = crypto::Bytes(pdf.begin(), pdf.end());
    std::mt19937 rng(7);
    crypto::Bytes txt(10000);
    for (auto& b : txt) b = static_cast<std::uint8_t>(rng());
    inputs["txt"] = txt;
    for (const auto& [ext, data] : inputs) spit(dir / ("in." + ext), data);
  }
  ~ProtectTest() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  Client client(const std::string& email, UseLicenseCache* cache = nullptr) {
    auto& u = user(email);
    ClientOptions o;
    o.clock = &clock;
    o.cache = cache;
    o.durable = false;
    return Client(source, User{{email}, u.grant.rac_xml, u.grant.private_key}, o);
  }

  static licensing::Policy policy_for(const std::string& grant) {
    licensing::Policy p;
    p.grants.push_back(licensing::parse_grant(grant));
    return p;
  }

  template <class F>
  static std::optional<Errc> code(F&& f) {
    return code_of(std::forward<F>(f));
  }

  LocalLicenseSource source;
  fs::path dir;
  std::map<std::string, crypto::Bytes> inputs;
};

const Container kExpected[] = {Container::office_irm, Container::pdf, Container::pfile};
const char* const kExts[] = {"docx", "pdf", "txt"};

TEST_F(ProtectTest, EveryContainerRoundTripsForIssuerAndGrantedUserOnly) {
  Client alice = client("alice@contoso.com");
  Client bob = client("bob@contoso.com");
  Client carol = client("carol@fabrikam.com");
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(kExts[i]);
    fs::path in = dir / (std::string("in.") + kExts[i]);
    const auto prot_policy = Protection::with_policy(policy_for("bob@contoso.com:VIEW,PRINT"));
    fs::path out = dir / (std::string("protected.") + kExts[i]);
    if (kExpected[i] == Container::pfile) {
      // PFile: the default name follows the naming table, next to the input.
      auto r0 = alice.protect(in, {}, prot_policy);
      EXPECT_EQ(r0.output, dir / "in.ptxt");
      out = r0.output;
    } else {
      // Same-extension containers: the default output would be the input itself — refused.
      EXPECT_EQ(code([&] { alice.protect(in, {}, prot_policy); }), Errc::invalid_argument);
      EXPECT_EQ(slurp(in), inputs[kExts[i]]);
    }
    if (fs::exists(out)) {
      // An existing output is refused unless the caller says to overwrite it.
      EXPECT_EQ(code([&] { alice.protect(in, out, prot_policy); }), Errc::invalid_argument);
    }
    auto r = alice.protect(in, out, prot_policy, false, /*overwrite=*/true);
    EXPECT_EQ(r.container, kExpected[i]);
    formats::FileSource fsrc(out);
    EXPECT_EQ(detect(fsrc), kExpected[i]);
    // The ciphertext does not contain the plaintext's first bytes.
    crypto::Bytes prot = slurp(out);
    const auto& plain = inputs[kExts[i]];
    // (PDF: strings and streams are encrypted, dictionaries stay readable — look for the text.)
    std::string marker =
        kExpected[i] == Container::pdf ? "Quarterly numbers" : "[Content_Types].xml";
    if (kExpected[i] != Container::pfile) {
      EXPECT_EQ(std::search(prot.begin(), prot.end(), marker.begin(), marker.end()), prot.end());
    } else {
      EXPECT_EQ(std::search(prot.begin(), prot.end(), plain.begin() + 100, plain.begin() + 164),
                prot.end());
    }

    // Every container gives back the exact bytes (the PDF wrapper seals the original file).
    auto same = [&](ByteView got) { return crypto::Bytes(got.begin(), got.end()) == plain; };
    Document da = alice.open(out);
    EXPECT_EQ(da.decision().role, licensing::Role::issuer);
    EXPECT_TRUE(da.can(Right::export_));
    auto got = da.read_all();
    EXPECT_TRUE(same(got));

    Document db = bob.open(out);
    EXPECT_EQ(db.decision().role, licensing::Role::user);
    EXPECT_TRUE(db.can(Right::view));
    EXPECT_TRUE(db.can(Right::print));
    EXPECT_FALSE(db.can(Right::export_));
    EXPECT_FALSE(db.can(Right::extract));
    got = db.read_all();
    EXPECT_TRUE(same(got));
    EXPECT_EQ(code([&] { db.export_to(dir / "leak"); }), Errc::no_right);
    EXPECT_FALSE(fs::exists(dir / "leak"));
    EXPECT_EQ(code([&] { bob.unprotect(out, dir / "leak"); }), Errc::no_right);
    EXPECT_FALSE(fs::exists(dir / "leak"));

    EXPECT_EQ(code([&] { carol.open(out); }), Errc::no_right);

    // The issuer exports: the original bytes under the original name — which for a PFile is the
    // plaintext input still there: refused unless the caller asks to overwrite.
    if (kExpected[i] == Container::pfile) {
      EXPECT_EQ(code([&] { alice.unprotect(out, {}); }), Errc::invalid_argument);
      EXPECT_TRUE(same(slurp(in)));
    }
    fs::path back = alice.unprotect(out, {}, /*overwrite=*/true);
    EXPECT_TRUE(same(slurp(back)));
    if (kExpected[i] == Container::pfile) {
      EXPECT_EQ(back.filename(), "in.txt");
    }

    Inspection x = bob.inspect(out);
    EXPECT_EQ(x.container, kExpected[i]);
    EXPECT_EQ(x.content_id, r.content_id);
    EXPECT_EQ(x.issuer, "alice@contoso.com");
    EXPECT_FALSE(x.policy);
    EXPECT_EQ(code([&] { bob.inspect(out, true); }), Errc::no_right);  // no VIEWRIGHTSDATA
    auto full = alice.inspect(out, true);
    ASSERT_TRUE(full.policy);
    EXPECT_EQ(full.policy->grants.at(0).who.name, "bob@contoso.com");
  }
}

TEST_F(ProtectTest, ProtectedPdfIsAValidWrapperOtherReadersShowTheCoverOf) {
  Client alice = client("alice@contoso.com");
  fs::path out = dir / "wrapped.pdf";
  alice.protect(dir / "in.pdf", out, Protection::encrypt_only());
  // The wrapper is itself an unencrypted PDF (our own reader describes it without a password).
  formats::FileSource src(out);
  auto d = formats::pdf::describe(src);
  EXPECT_FALSE(d.encrypted);
  EXPECT_EQ(d.version, "2.0");
  crypto::Bytes bytes = slurp(out);
  std::string s(bytes.begin(), bytes.end());
  EXPECT_NE(s.find("/AFRelationship /EncryptedPayload"), std::string::npos);
  EXPECT_NE(s.find("/Subtype /OpenRMS"), std::string::npos);
  EXPECT_NE(s.find("This document is protected with openrms"), std::string::npos);
  EXPECT_EQ(s.find("Quarterly numbers"), std::string::npos);  // the payload text is encrypted
}

TEST_F(ProtectTest, UseLicensesAreCachedUntilValidUntilThenReacquired) {
  MemoryUseLicenseCache cache;
  Client alice = client("alice@contoso.com");
  Client bob = client("bob@contoso.com", &cache);
  fs::path out = dir / "c.ptxt";
  alice.protect(dir / "in.txt", out, Protection::with_policy(policy_for("bob@contoso.com:VIEW")));
  EXPECT_FALSE(bob.open(out).from_cache());
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(bob.open(out).from_cache());
  // Revocation does not reach a cached license (documented), but it does after valid-until.
  alice.revoke(alice.inspect(out).content_id);
  EXPECT_TRUE(bob.open(out).from_cache());
  clock.advance(licensing::days(30) + std::chrono::hours(1));  // past the 30-day tenant maximum
  EXPECT_EQ(code([&] { bob.open(out); }), Errc::revoked);
  // The issuer still opens revoked content (offline, owner license).
  EXPECT_EQ(alice.open(out).decision().role, licensing::Role::issuer);
}

TEST_F(ProtectTest, ReacquiresAfterValidUntilAndRefusesAfterRacLapse) {
  MemoryUseLicenseCache cache;
  Client alice = client("alice@contoso.com");
  Client bob = client("bob@contoso.com", &cache);
  fs::path out = dir / "v.docx";
  auto p = policy_for("bob@contoso.com:VIEW");
  p.offline = licensing::parse_offline("3");
  alice.protect(dir / "in.docx", out, Protection::with_policy(p));
  EXPECT_FALSE(bob.open(out).from_cache());
  clock.advance(licensing::days(2));
  EXPECT_TRUE(bob.open(out).from_cache());
  clock.advance(licensing::days(2));  // past valid-until: re-acquired transparently
  Document d = bob.open(out);
  EXPECT_FALSE(d.from_cache());
  clock.advance(licensing::days(28));  // the 31-day RAC has lapsed
  EXPECT_EQ(code([&] { bob.open(out); }), Errc::rac_expired);
}

TEST_F(ProtectTest, ContentExpiryBindsUsersButNotTheIssuer) {
  Client alice = client("alice@contoso.com");
  Client bob = client("bob@contoso.com");
  auto p = policy_for("bob@contoso.com:VIEW");
  p.expiry = licensing::parse_expiry("5");
  fs::path out = dir / "e.pdf";
  alice.protect(dir / "in.pdf", out, Protection::with_policy(p));
  EXPECT_NO_THROW(bob.open(out).read_all());
  clock.advance(licensing::days(6));
  EXPECT_EQ(code([&] { bob.open(out); }), Errc::expired);
  EXPECT_NO_THROW(alice.open(out).read_all());
}

TEST_F(ProtectTest, LargePdfsRoundTripByteForByte) {
  // The original file is sealed in 1 MiB segments: the sizes put it on and around segment
  // boundaries, and bob gets back exactly the bytes alice protected.
  Client alice = client("alice@contoso.com");
  Client bob = client("bob@contoso.com");
  std::mt19937 rng(3);
  for (std::size_t size : {(1u << 20) + 1, (1u << 20) + 4092, (3u << 20) + 4092, (5u << 20) + 17}) {
    auto b = formats::pdf::test::sample_document("big streams");
    std::string data(size, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    b.add_stream(9, "/Type /XObject /Subtype /Image /Width 1 /Height 1", data);
    std::string pdf = b.build();
    spit(dir / "big.pdf", crypto::as_bytes(pdf));
    fs::path out = dir / "big-protected.pdf";
    alice.protect(dir / "big.pdf", out,
                  Protection::with_policy(policy_for("bob@contoso.com:VIEW")));
    auto got = bob.open(out).read_all(64u << 20);
    EXPECT_TRUE(std::string(got.begin(), got.end()) == pdf) << size;
    // and any range, verifying only the segments it touches
    crypto::Bytes part(5000);
    const std::uint64_t at = pdf.size() - 4000;
    ASSERT_EQ(bob.open(out).read_at(at, part), 4000u);
    EXPECT_TRUE(std::string(part.begin(), part.begin() + 4000) ==
                pdf.substr(static_cast<std::size_t>(at)));
    fs::remove(out);
  }
}

TEST_F(ProtectTest, BinaryOfficeDocumentsGetIrmWithTheirStreamsInside) {
  // Real .doc/.ppt/.xls files (the plaintexts msoffcrypto-tool's test suite decrypts to).
  Client alice = client("alice@contoso.com");
  Client bob = client("bob@contoso.com");
  for (const char* ext : {"doc", "ppt", "xls"}) {
    fs::path in = shared_dir() +
                  "/corpus/office/expected/msoffcrypto__rc4cryptoapi_password_plain." +
                  std::string(ext);
    ASSERT_TRUE(fs::exists(in)) << in;
    fs::path out = dir / (std::string("protected.") + ext);
    auto r = alice.protect(in, out, Protection::with_policy(policy_for("bob@contoso.com:Editor")));
    EXPECT_EQ(r.container, Container::office_irm);
    EXPECT_EQ(out.extension(), in.extension());
    crypto::Bytes original = slurp(in), prot = slurp(out);
    formats::MemorySource osrc(original), psrc(prot);
    formats::cfb::Reader orig(osrc), wrapped(psrc);
    // Outside: the data spaces, the encrypted content, the summary streams — nothing else.
    EXPECT_TRUE(
        wrapped.find("\x09"
                     "DRMContent"));
    for (const char* s : {"WordDocument", "PowerPoint Document", "Workbook", "1Table"})
      EXPECT_FALSE(wrapped.find(s)) << ext << ": " << s << " left in the clear";
    // Both summary streams stay outside, byte for byte (FORMATS.md B3). (A "\x05D…" literal is
    // the hex escape \x05D: the name is spelled in two literals.)
    for (std::string name : {std::string("\x05SummaryInformation"),
                             std::string("\x05") + "DocumentSummaryInformation"}) {
      ASSERT_TRUE(orig.find(name)) << ext << ": the sample lacks " << name.substr(1);
      ASSERT_TRUE(wrapped.find(name)) << ext << ": " << name.substr(1) << " not kept outside";
      EXPECT_EQ(wrapped.read_stream(name), orig.read_stream(name)) << ext;
    }
    EXPECT_EQ(formats::office::detect(psrc).scheme, formats::office::Scheme::irm);
    // Bob gets back the very file that was protected, byte for byte.
    auto got = bob.open(out).read_all();
    crypto::Bytes back(got.begin(), got.end());
    EXPECT_TRUE(back == original) << ext << ": unprotected bytes differ from the original";
    formats::MemorySource bsrc(back);
    formats::cfb::Reader restored(bsrc);
    ASSERT_EQ(restored.entries().size(), orig.entries().size()) << ext;
    for (const auto& e : orig.entries()) {
      const auto* f = restored.find(e.path);
      ASSERT_TRUE(f) << ext << ": " << e.path << " missing";
      EXPECT_EQ(f->type, e.type) << e.path;
      if (e.type == formats::cfb::EntryType::stream) {
        EXPECT_EQ(restored.read_stream(*f), orig.read_stream(e)) << ext << ": " << e.path;
      }
    }
    // Any flipped byte is detected.
    std::mt19937 rng(9);
    for (int i = 0; i < 40; ++i) {
      crypto::Bytes t = prot;
      t[rng() % t.size()] ^= 0x20;
      spit(dir / "t.bin", t);
      auto c = code([&] { bob.open(dir / "t.bin").read_all(); });
      EXPECT_TRUE(c == Errc::integrity || c == Errc::bad_format) << ext;
    }
  }
  // Password-protected binary documents are refused with the reason.
  fs::path enc = shared_dir() + "/corpus/office/msoffcrypto__rc4cryptoapi_password.doc";
  EXPECT_EQ(code([&] { alice.protect(enc, dir / "x.doc", Protection::encrypt_only()); }),
            Errc::invalid_argument);
}

TEST_F(ProtectTest, BinaryDocumentRangesVerifyOnlyTheirChunks) {
  // A 3 MiB Word-shaped compound file: three 1 MiB chunks of the protected content.
  std::mt19937 rng(11);
  crypto::Bytes word(3u << 20);
  for (auto& b : word) b = static_cast<std::uint8_t>(rng());
  std::fill(word.begin(), word.begin() + 64, std::uint8_t{0});  // a FIB that says "not encrypted"
  formats::cfb::Writer w;
  w.add_stream("WordDocument", word);
  w.add_stream("1Table", crypto::Bytes(1000, 7));
  w.add_stream("\x05SummaryInformation", crypto::Bytes(200, 1));
  w.add_stream(std::string("\x05") + "DocumentSummaryInformation", crypto::Bytes(200, 2));
  crypto::Bytes original;
  formats::MemorySink sink(original);
  w.write(sink);
  spit(dir / "big.doc", original);

  Client alice = client("alice@contoso.com");
  Client bob = client("bob@contoso.com");
  fs::path out = dir / "big-protected.doc";
  alice.protect(dir / "big.doc", out, Protection::with_policy(policy_for("bob@contoso.com:VIEW")));
  Document d = bob.open(out);
  for (std::uint64_t off : {std::uint64_t{0}, std::uint64_t{(1u << 20) - 300},
                            std::uint64_t{(2u << 20) + 5}, std::uint64_t{original.size() - 50}}) {
    crypto::Bytes got(700);
    const std::size_t n = d.read_at(off, got);
    ASSERT_EQ(n, std::min<std::size_t>(got.size(), original.size() - off)) << off;
    EXPECT_TRUE(std::equal(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(n),
                           original.begin() + static_cast<std::ptrdiff_t>(off)))
        << off;
  }

  // A byte changed inside the third chunk: its ranges are refused, the first chunk still reads.
  crypto::Bytes prot = slurp(out);
  {
    formats::MemorySource src(prot);
    formats::cfb::Reader r(src);
    const auto* content = r.find(
        "\x09"
        "DRMContent");
    ASSERT_TRUE(content);
    const auto at = r.contiguous_offset(*content);
    ASSERT_TRUE(at.has_value());
    prot[static_cast<std::size_t>(*at + 8 + (2u << 20) + 1000)] ^= 0x01;
  }
  spit(dir / "big-tampered.doc", prot);
  Document t = bob.open(dir / "big-tampered.doc");
  crypto::Bytes got(100);
  EXPECT_EQ(t.read_at(10, got), 100u);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), original.begin() + 10));
  EXPECT_EQ(code([&] { t.read_at((2u << 20) + 10, got); }), Errc::integrity);
  EXPECT_TRUE(std::all_of(got.begin(), got.end(), [](std::uint8_t b) { return b == 0; }));
  EXPECT_EQ(code([&] { t.read_all(8u << 20); }), Errc::integrity);
}

TEST_F(ProtectTest, DocumentReadsAnyRangeOfAPFile) {
  Client alice = client("alice@contoso.com");
  Client bob = client("bob@contoso.com");
  Client carol = client("carol@fabrikam.com");
  std::mt19937 rng(3);
  crypto::Bytes big(3u << 20);
  for (auto& b : big) b = static_cast<std::uint8_t>(rng());
  spit(dir / "big.bin", big);
  fs::path out = dir / "big.bin.pfile";
  alice.protect(dir / "big.bin", out, Protection::with_policy(policy_for("bob@contoso.com:VIEW")));
  Document d = bob.open(out);
  crypto::Bytes buf(64 << 10);
  for (std::uint64_t off : {std::uint64_t{0}, std::uint64_t{(1u << 20) - 100},
                            std::uint64_t{2500000}, std::uint64_t{big.size() - 10}}) {
    const std::size_t n = d.read_at(off, buf);
    ASSERT_EQ(n, std::min<std::size_t>(buf.size(), big.size() - off));
    EXPECT_TRUE(std::equal(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n),
                           big.begin() + static_cast<std::ptrdiff_t>(off)));
  }
  EXPECT_EQ(d.read_at(big.size(), buf), 0u);
  // Office IRM reads ranges too (per-chunk integrity), and so does the PDF wrapper (segments)
  fs::path docx = dir / "r.docx";
  alice.protect(dir / "in.docx", docx, Protection::with_policy(policy_for("bob@contoso.com:VIEW")));
  const crypto::Bytes& plain_docx = inputs["docx"];
  crypto::Bytes part(500);
  ASSERT_EQ(bob.open(docx).read_at(2000, part), 500u);
  EXPECT_TRUE(std::equal(part.begin(), part.end(), plain_docx.begin() + 2000));
  // A binary document: ranges of the original .doc itself, each chunk verified as it is read.
  const fs::path doc_in =
      shared_dir() + "/corpus/office/expected/msoffcrypto__rc4cryptoapi_password_plain.doc";
  const crypto::Bytes doc_plain = slurp(doc_in);
  fs::path doc = dir / "r.doc";
  alice.protect(doc_in, doc, Protection::with_policy(policy_for("bob@contoso.com:VIEW")));
  Document dd = bob.open(doc);
  for (std::uint64_t off : {std::uint64_t{0}, std::uint64_t{512}, std::uint64_t{9000},
                            std::uint64_t{doc_plain.size() - 100}}) {
    crypto::Bytes got(700);
    const std::size_t n = dd.read_at(off, got);
    ASSERT_EQ(n, std::min<std::size_t>(got.size(), doc_plain.size() - off)) << off;
    EXPECT_TRUE(std::equal(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(n),
                           doc_plain.begin() + static_cast<std::ptrdiff_t>(off)))
        << off;
  }
  EXPECT_EQ(dd.read_at(doc_plain.size(), buf), 0u);
  fs::path pdf = dir / "r.pdf";
  alice.protect(dir / "in.pdf", pdf, Protection::with_policy(policy_for("bob@contoso.com:VIEW")));
  const crypto::Bytes& plain_pdf = inputs["pdf"];
  crypto::Bytes pdf_part(300);
  ASSERT_EQ(bob.open(pdf).read_at(50, pdf_part), 300u);
  EXPECT_TRUE(std::equal(pdf_part.begin(), pdf_part.end(), plain_pdf.begin() + 50));
  fs::path none = dir / "none.ptxt";
  licensing::Policy p = policy_for("bob@contoso.com:PRINT");
  alice.protect(dir / "in.txt", none, Protection::with_policy(p));
  EXPECT_EQ(code([&] { bob.open(none).read_at(0, buf); }), Errc::no_right);
  EXPECT_EQ(code([&] { carol.open(none); }), Errc::no_right);
}

TEST_F(ProtectTest, NoCachePolicyNeverStoresAUseLicense) {
  MemoryUseLicenseCache cache;
  Client alice = client("alice@contoso.com");
  Client bob = client("bob@contoso.com", &cache);
  auto p = policy_for("bob@contoso.com:VIEW");
  p.offline = licensing::parse_offline("never");
  fs::path out = dir / "n.ptxt";
  alice.protect(dir / "in.txt", out, Protection::with_policy(p));
  EXPECT_FALSE(bob.open(out).from_cache());
  EXPECT_FALSE(bob.open(out).from_cache());
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(ProtectTest, DoNotForwardAndTemplates) {
  Client alice = client("alice@contoso.com");
  Client bob = client("bob@contoso.com");
  Client carol = client("carol@fabrikam.com");
  fs::path out = dir / "dnf.docx";
  alice.protect(dir / "in.docx", out, Protection::do_not_forward({"bob@contoso.com"}));
  Document d = bob.open(out);
  EXPECT_TRUE(d.can(Right::view));
  EXPECT_TRUE(d.can(Right::reply));
  EXPECT_FALSE(d.can(Right::forward));
  EXPECT_FALSE(d.can(Right::print));
  EXPECT_FALSE(d.can(Right::export_));
  EXPECT_FALSE(d.can(Right::editrightsdata));
  EXPECT_EQ(code([&] { carol.open(out); }), Errc::no_right);
  // The escape of the security review: a recipient re-protects to himself as OWNER, then
  // removes protection. Re-protection needs Change Rights, which Do Not Forward never grants.
  EXPECT_EQ(code([&] {
              bob.protect(out, dir / "dnf2.docx",
                          Protection::with_policy(policy_for("bob@contoso.com:OWNER")), true);
            }),
            Errc::no_right);
  EXPECT_FALSE(fs::exists(dir / "dnf2.docx"));
  EXPECT_EQ(code([&] { bob.unprotect(out, dir / "dnf-plain.docx"); }), Errc::no_right);

  auto t = server->create_template("Contoso confidential", "", policy_for("@contoso.com:Viewer"));
  fs::path tout = dir / "t.ptxt";
  alice.protect(dir / "in.txt", tout, Protection::with_template(t.id));
  EXPECT_EQ(bob.inspect(tout).template_id, t.id);
  EXPECT_TRUE(bob.open(tout).can(Right::viewrightsdata));
  EXPECT_EQ(code([&] { carol.open(tout); }), Errc::no_right);
  // Template edits apply to new use licenses (rights are resolved at issuance).
  server->update_template(t.id, std::nullopt, std::nullopt, policy_for("carol@fabrikam.com:VIEW"));
  EXPECT_TRUE(carol.open(tout).can(Right::view));
  EXPECT_EQ(code([&] { bob.open(tout); }), Errc::no_right);
}

TEST_F(ProtectTest, ReprotectionNeedsChangeRights) {
  Client alice = client("alice@contoso.com");
  Client bob = client("bob@contoso.com");
  Client carol = client("carol@fabrikam.com");
  fs::path out = dir / "r.docx";
  alice.protect(dir / "in.docx", out, Protection::with_policy(policy_for("bob@contoso.com:VIEW")));
  EXPECT_EQ(code([&] { alice.protect(out, dir / "r2.docx", Protection::encrypt_only()); }),
            Errc::invalid_argument);
  EXPECT_EQ(code([&] { bob.protect(out, dir / "r2.docx", Protection::encrypt_only(), true); }),
            Errc::no_right);
  EXPECT_FALSE(fs::exists(dir / "r2.docx"));
  // Never onto the input, even with overwrite; the default output is NAME-reprotected.EXT.
  const auto to_carol = Protection::with_policy(policy_for("carol@fabrikam.com:VIEW"));
  const crypto::Bytes before = slurp(out);
  EXPECT_EQ(code([&] { alice.protect(out, out, to_carol, true, true); }), Errc::invalid_argument);
  EXPECT_EQ(slurp(out), before);
  auto r = alice.protect(out, {}, to_carol, true);
  EXPECT_TRUE(r.reprotected);
  EXPECT_EQ(r.output, dir / "r-reprotected.docx");
  auto got = carol.open(r.output).read_all();
  EXPECT_EQ(crypto::Bytes(got.begin(), got.end()), inputs["docx"]);
  EXPECT_EQ(code([&] { bob.open(r.output); }), Errc::no_right);
}

// Any single-byte change anywhere in a protected file is caught; nothing is returned.
TEST_F(ProtectTest, EverySingleByteFlipIsDetected) {
  Client alice = client("alice@contoso.com");
  std::mt19937_64 rng(20261123);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(kExts[i]);
    fs::path out = dir / (std::string("t.") + (i == 2 ? "ptxt" : kExts[i]));
    alice.protect(dir / (std::string("in.") + kExts[i]), out, Protection::encrypt_only());
    const crypto::Bytes good = slurp(out);
    fs::path bad = dir / (std::string("bad.") + (i == 2 ? "ptxt" : kExts[i]));
    std::vector<std::size_t> positions;
    for (std::size_t p = 0; p < std::min<std::size_t>(good.size(), 600); ++p)
      positions.push_back(p);  // every byte of the header / license region
    for (int k = 0; k < 300; ++k) positions.push_back(rng() % good.size());
    positions.push_back(good.size() - 1);
    int undetected = 0;
    for (std::size_t p : positions) {
      crypto::Bytes b = good;
      b[p] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
      spit(bad, b);
      auto c = code([&] { alice.open(bad).read_all(); });
      if (!c) {
        ++undetected;
        ADD_FAILURE() << "flip at " << p << " of " << good.size() << " was not detected";
      } else {
        EXPECT_TRUE(*c == Errc::integrity || *c == Errc::bad_format || *c == Errc::unsupported)
            << "flip at " << p << ": " << to_string(*c);
      }
      if (undetected > 3) break;
    }
    // Truncation anywhere: a format or integrity error.
    for (std::size_t len : {std::size_t{0}, std::size_t{7}, good.size() / 2, good.size() - 1}) {
      spit(bad, ByteView(good.data(), len));
      auto c = code([&] { alice.open(bad).read_all(); });
      ASSERT_TRUE(c) << "truncated to " << len;
      EXPECT_TRUE(*c == Errc::integrity || *c == Errc::bad_format) << to_string(*c);
    }
  }
}

// export_to()/unprotect() write a temp file renamed only on success, so there the integrity
// check overlaps the decryption. An altered file must still fail with integrity and leave no
// output, wherever the change is; an intact one comes back byte for byte.
TEST_F(ProtectTest, OverlappedIntegrityCheckOnExportStillRefusesAlteredFiles) {
  Client alice = client("alice@contoso.com");
  crypto::Bytes big(3u << 20);
  std::mt19937_64 rng(7);
  for (auto& x : big) x = static_cast<std::uint8_t>(rng());
  spit(dir / "big.bin", big);
  const auto docx = slurp(dir / "in.docx");
  for (const char* name : {"big.bin", "in.docx"}) {
    SCOPED_TRACE(name);
    fs::path prot = dir / (std::string(name) + ".prot");
    auto r = alice.protect(dir / name, prot, Protection::encrypt_only());
    prot = r.output;
    fs::path back = dir / "exported";
    fs::remove(back);
    EXPECT_GT(alice.open(prot).export_to(back), 0u);
    EXPECT_EQ(slurp(back), std::string(name) == "big.bin" ? big : docx);
    const crypto::Bytes good = slurp(prot);
    fs::path bad = dir / (std::string("bad-") + prot.filename().string());
    for (std::size_t pos : {good.size() / 3, good.size() / 2, good.size() - 40, good.size() - 1}) {
      crypto::Bytes b = good;
      b[pos] ^= 0x04;
      spit(bad, b);
      fs::remove(back);
      std::optional<Document> d;
      auto oc = code([&] { d.emplace(alice.open(bad)); });
      if (!oc) oc = code([&] { d->export_to(back); });
      ASSERT_TRUE(oc) << "flip at " << pos << " of " << good.size() << " not detected";
      EXPECT_TRUE(*oc == Errc::integrity || *oc == Errc::bad_format) << to_string(*oc);
      EXPECT_FALSE(fs::exists(back)) << "output left behind for a flip at " << pos;
    }
  }
}

// Verify-first: an altered file delivers no plaintext at all, even to a streaming sink.
TEST_F(ProtectTest, AlteredContentNeverReachesAStreamingSink) {
  Client alice = client("alice@contoso.com");
  for (const char* ext : kExts) {
    SCOPED_TRACE(ext);
    fs::path out = dir / (std::string("s.") + (std::string(ext) == "txt" ? "ptxt" : ext));
    alice.protect(dir / (std::string("in.") + ext), out, Protection::encrypt_only());
    crypto::Bytes b = slurp(out);
    b[b.size() / 2] ^= 0x10;  // inside the encrypted content
    spit(out, b);
    std::optional<Document> d;
    auto oc = code([&] { d.emplace(alice.open(out)); });  // may already fail (PDF structure)
    if (oc) {
      EXPECT_TRUE(*oc == Errc::bad_format || *oc == Errc::integrity) << to_string(*oc);
      continue;
    }
    crypto::Bytes got;
    formats::MemorySink sink(got);
    EXPECT_EQ(code([&] { d->read(sink); }), Errc::integrity);
    EXPECT_TRUE(got.empty()) << got.size() << " bytes leaked";
  }
}

TEST_F(ProtectTest, BulkProtectsATreeAndReportsPerFile) {
  Client alice = client("alice@contoso.com");
  fs::path tree = dir / "tree", out = dir / "out";
  fs::create_directories(tree / "sub" / "deeper");
  fs::copy_file(dir / "in.docx", tree / "report.docx");
  fs::copy_file(dir / "in.pdf", tree / "sub" / "scan.pdf");
  fs::copy_file(dir / "in.txt", tree / "sub" / "deeper" / "notes.txt");
  alice.protect(dir / "in.txt", tree / "already.ptxt", Protection::encrypt_only());
  spit(tree / "sub" / "locked.docx", crypto::as_bytes("\xD0\xCF\x11\xE0 not really"));
  std::size_t calls = 0;
  BulkOptions bo;
  bo.threads = 2;
  bo.on_file = [&](const fs::path&, const std::string&, std::size_t, std::size_t total) {
    ++calls;
    EXPECT_EQ(total, 5u);
  };
  BulkResult r = alice.protect_tree(tree, out, Protection::encrypt_only(), bo);
  EXPECT_EQ(calls, 5u);
  EXPECT_EQ(r.protected_files, 4u);  // the broken compound file is protected as bytes (PFile)
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_TRUE(r.failures.empty());
  EXPECT_TRUE(fs::exists(out / "report.docx"));
  EXPECT_TRUE(fs::exists(out / "sub" / "scan.pdf"));
  EXPECT_TRUE(fs::exists(out / "sub" / "deeper" / "notes.ptxt"));
  EXPECT_TRUE(fs::exists(out / "sub" / "locked.docx.pfile"));
  auto got = alice.open(out / "sub" / "deeper" / "notes.ptxt").read_all();
  EXPECT_EQ(crypto::Bytes(got.begin(), got.end()), inputs["txt"]);
  EXPECT_EQ(code([&] { alice.protect_tree(tree, tree / "x", Protection::encrypt_only()); }),
            Errc::invalid_argument);
}

TEST(PFileNames, FollowTheNamingTable) {
  using formats::pfile::original_name;
  using formats::pfile::protected_name;
  EXPECT_EQ(protected_name("a.txt"), "a.ptxt");
  EXPECT_EQ(protected_name("A.JPG"), "A.PJPG");
  EXPECT_EQ(protected_name("scan.pdf"), "scan.ppdf");
  EXPECT_EQ(protected_name("x.tiff"), "x.ptiff");
  EXPECT_EQ(protected_name("data.zip"), "data.zip.pfile");
  EXPECT_EQ(protected_name("README"), "README.pfile");
  EXPECT_EQ(original_name("a.ptxt", ".txt"), "a.txt");
  EXPECT_EQ(original_name("data.zip.pfile", ".zip"), "data.zip");
  EXPECT_EQ(original_name("renamed.pfile", ".csv"), "renamed.csv");
  EXPECT_EQ(original_name("dir/a.ppng", ".png"), "a.png");
}

}  // namespace
}  // namespace openrms::protect
