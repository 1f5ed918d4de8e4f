// PDF standard security handler: the third-party corpus (every file with a known password
// decrypts; wrong passwords and fuzzed files give typed errors), published KATs (FORMATS.md:
// pdf.js Algorithm 2.B vectors, qpdf's file keys), round trips R4/R6 with hand-built documents,
// re-encryption, permissions, /Perms tampering, and the chunked stream path.
// Object-level equality with `qpdf --decrypt` is checked by the interop test (pdf/interop_test.sh).
#include "openrms/formats/pdf/pdf_crypto.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "crypto/test_support.hpp"
#include "openrms/error.hpp"
#include "pdf_test_util.hpp"
#include "security.hpp"
#include "writer.hpp"

namespace openrms::formats::pdf {
namespace {

namespace fs = std::filesystem;
using test::PdfBuilder;

struct Row {
  std::string file, scheme, user, owner, expected;
};

std::vector<Row> pdf_manifest() {
  std::ifstream in(openrms::test::shared_dir() / "corpus" / "MANIFEST.tsv");
  EXPECT_TRUE(in) << "MANIFEST.tsv missing";
  std::vector<Row> rows;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> c;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, '\t');) c.push_back(f);
    if (c.size() < 7 || c[2] != "pdf") continue;
    rows.push_back({c[0], c[3], c[4], c[5], c[6]});
  }
  return rows;
}

std::string slurp(const fs::path& p) {
  Bytes b = read_file(p);
  return std::string(b.begin(), b.end());
}

MemorySource src_of(const std::string& s) {
  return MemorySource(ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

using openrms::test::error_of;

/// The manifest's password notation: "<empty>", "?" (unknown), "-", or "value (comment)".
std::optional<std::string> pw_of(const std::string& cell) {
  if (cell == "<empty>") return std::string();
  if (cell.empty() || cell[0] == '?' || cell[0] == '-') return std::nullopt;
  std::size_t p = cell.find(" (");
  return p == std::string::npos ? cell : cell.substr(0, p);
}

std::string decrypt_str(const std::string& in, std::optional<std::string_view> pw,
                        DecryptResult* r = nullptr, DecryptOptions opt = {}) {
  MemorySource src = src_of(in);
  Bytes out;
  MemorySink sink(out);
  DecryptResult res = decrypt(src, sink, pw, opt);
  if (r) *r = res;
  return std::string(out.begin(), out.end());
}

std::string encrypt_str(const std::string& in, const EncryptOptions& o) {
  MemorySource src = src_of(in);
  Bytes out;
  MemorySink sink(out);
  encrypt(src, sink, o);
  return std::string(out.begin(), out.end());
}

TEST(PdfCorpus, EveryFileWithAKnownPasswordDecryptsAndTheRestFailCleanly) {
  auto rows = pdf_manifest();
  ASSERT_GE(rows.size(), 40u) << "the PDF corpus is incomplete";
  int decrypted = 0;
  for (const Row& r : rows) {
    SCOPED_TRACE(r.file);
    std::string data = slurp(openrms::test::shared_dir() / "corpus" / r.file);
    if (r.scheme.rfind("pdf-pubsec", 0) == 0) {
      // Encrypted to certificates: a password never opens it (PdfPubSec below opens them).
      EXPECT_EQ(error_of([&] { decrypt_str(data, std::nullopt); }), Errc::wrong_password);
      EXPECT_EQ(error_of([&] { decrypt_str(data, std::string_view("")); }), Errc::wrong_password);
      continue;
    }
    if (r.expected.find("must fail cleanly") != std::string::npos) {
      Errc e = error_of([&] { decrypt_str(data, std::string_view("")); });
      EXPECT_TRUE(e == Errc::bad_format || e == Errc::wrong_password) << static_cast<int>(e);
      continue;
    }
    std::optional<std::string> user = pw_of(r.user), owner = pw_of(r.owner);
    ASSERT_TRUE(user || owner);
    if (user) {
      DecryptResult res;
      std::string plain = decrypt_str(data, *user, &res);
      EXPECT_NE(res.matched, PasswordMatch::none);
      // The output is an unencrypted PDF that our reader (and the interop tools) load.
      Description d = describe(src_of(plain));
      EXPECT_FALSE(d.encrypted);
      EXPECT_GT(d.objects, 0u);
      ++decrypted;
    }
    if (owner && !owner->empty() && owner != user) {
      DecryptResult res;
      decrypt_str(data, *owner, &res);
      EXPECT_EQ(res.matched, PasswordMatch::owner);
    }
    // A password that is neither: wrong_password (files whose user password is empty open
    // with any password, as the empty user password is tried only when none is given).
    if (user && !user->empty()) {
      EXPECT_EQ(error_of([&] { decrypt_str(data, std::string_view("not the password")); }),
                Errc::wrong_password);
      // (An empty owner password opens the file without any password, as owner.)
      if (owner != std::string()) {
        EXPECT_EQ(error_of([&] { decrypt_str(data, std::nullopt); }), Errc::wrong_password);
      }
    }
  }
  EXPECT_GE(decrypted, 35);
}

// The corpus's PDFs encrypted to certificates (Adobe.PubSec, adbe.pkcs7.s5: AESV2, AESV3, and
// AESV2 with EncryptMetadata false) open with their recipient's PKCS#12 key; the key of another
// certificate, or none, is wrong_password naming the certificate. tests/formats/pdf/
// interop_test.sh compares the text with what PDFBox extracts.
// How many of the file's Flate streams inflate; -1 if one does not.
int inflatable_streams(const std::string& pdf) {
  int n = 0;
  for (std::size_t at = 0; (at = pdf.find("stream", at)) != std::string::npos; at += 6) {
    if (at >= 3 && pdf.compare(at - 3, 3, "end") == 0) continue;
    std::size_t start = at + 6;
    if (pdf.compare(start, 2, "\r\n") == 0)
      start += 2;
    else if (start < pdf.size() && pdf[start] == '\n')
      start += 1;
    else
      continue;
    const std::size_t end = pdf.find("endstream", start);
    if (end == std::string::npos) return -1;
    const std::size_t obj = pdf.rfind(" obj", at);
    if (obj == std::string::npos ||
        pdf.substr(obj, at - obj).find("/FlateDecode") == std::string::npos)
      continue;
    z_stream z{};
    inflateInit(&z);
    std::string out(1 << 20, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(pdf.data() + start));
    z.avail_in = static_cast<uInt>(end - start);
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&z, Z_FINISH);
    inflateEnd(&z);
    if (rc != Z_STREAM_END) return -1;
    ++n;
  }
  return n;
}

crypto::RecipientKey key_from(const std::string& file, std::string_view password) {
  std::string p12 = slurp(openrms::test::shared_dir() / "corpus/pdf/keys" / file);
  return crypto::RecipientKey::from_pkcs12(
      ByteView(reinterpret_cast<const std::uint8_t*>(p12.data()), p12.size()), password);
}

TEST(PdfPubSec, CorpusFilesOpenWithTheirRecipientKey) {
  const crypto::RecipientKey k4421 = key_from("PDFBOX-4421-keystore.pfx", "w!z%C*F-JaNdRgUk");
  const crypto::RecipientKey k5249 = key_from("PDFBOX-5249.p12", "");
  EXPECT_EQ(k4421.certificate().subject(), "CN=testnutzer");
  EXPECT_EQ(error_of([] { key_from("PDFBOX-4421-keystore.pfx", "wrong"); }), Errc::wrong_password);
  struct Case {
    const char* file;
    const crypto::RecipientKey* key;
    const crypto::RecipientKey* other;
    unsigned bits;
    bool encrypt_metadata;
  } cases[] = {{"pdfbox__AESkeylength128.pdf", &k4421, &k5249, 128, true},
               {"pdfbox__AESkeylength256.pdf", &k4421, &k5249, 256, true},
               {"pdfbox__AES128ExposedMeta.pdf", &k5249, &k4421, 128, false}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const std::string data = slurp(openrms::test::shared_dir() / "corpus/pdf" / c.file);
    Description d = describe(src_of(data), std::nullopt, c.key);
    EXPECT_EQ(d.filter, "Adobe.PubSec");
    EXPECT_EQ(d.sub_filter, "adbe.pkcs7.s5");
    EXPECT_EQ(d.key_bits, c.bits);
    EXPECT_EQ(d.encrypt_metadata, c.encrypt_metadata);
    EXPECT_EQ(d.matched, PasswordMatch::recipient);
    ASSERT_EQ(d.recipients.size(), 1u);
    EXPECT_EQ(d.recipients[0].kind, "key-transport");
    EXPECT_EQ(d.recipients[0].serial_hex, c.key->certificate().serial_hex());
    DecryptOptions opt;
    opt.key = c.key;
    DecryptResult res;
    const std::string plain = decrypt_str(data, std::nullopt, &res, opt);
    EXPECT_EQ(res.matched, PasswordMatch::recipient);
    Description pd = describe(src_of(plain));
    EXPECT_FALSE(pd.encrypted);
    EXPECT_GT(pd.objects, 5u);
    // Every stream inflates: the file key is right (a wrong key gives noise that AES padding
    // or the inflater rejects).
    EXPECT_GE(inflatable_streams(plain), 2);
    opt.key = c.other;
    Errc e = Errc::internal;
    std::string message;
    try {
      decrypt_str(data, std::nullopt, nullptr, opt);
    } catch (const Error& err) {
      e = err.code();
      message = err.what();
    }
    EXPECT_EQ(e, Errc::wrong_password);
    EXPECT_NE(message.find(c.other->certificate().subject()), std::string::npos) << message;
    EXPECT_EQ(describe(src_of(data), std::nullopt, c.other).matched, PasswordMatch::none);
  }
}

// Encrypting to certificates: each recipient's key opens the document to the same objects, with
// the permissions of its own envelope; keys of non-recipients and passwords do not.
// tests/formats/pdf/interop_test.sh has PDFBox open what this writes.
TEST(PdfPubSec, EncryptToRecipientsRoundTrips) {
  const fs::path dir = fs::temp_directory_path() / ("openrms-pubsec-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::map<std::string, crypto::RecipientKey> keys;
  std::map<std::string, crypto::Certificate> certs;
  for (const char* n : {"alice", "bob", "mallory"}) {
    const std::string d = (dir / n).string();
    ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=" + std::string(n) +
                           " -days 2 -keyout " + d + ".key -out " + d + ".pem >/dev/null 2>&1")
                              .c_str()),
              0);
    const std::string pem = slurp(d + ".pem");
    keys.emplace(n, crypto::RecipientKey::from_pem(pem + slurp(d + ".key")));
    certs.emplace(n, crypto::Certificate::parse(
                         ByteView(reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size())));
  }
  fs::remove_all(dir);
  const std::string plain = test::sample_document().build();
  const auto original = test::round_trip_map(plain);
  for (int rev : {4, 6}) {
    for (bool meta : {true, false}) {
      SCOPED_TRACE(std::to_string(rev) + (meta ? " meta" : " clear-meta"));
      EncryptOptions o;
      o.revision = rev;
      o.encrypt_metadata = meta;
      o.recipients = {{certs.at("alice"), -4}, {certs.at("bob"), parse_permissions("print")}};
      const std::string enc = encrypt_str(plain, o);
      EXPECT_EQ(enc.find("Hello, openrms"), std::string::npos);
      EXPECT_EQ(enc.find("xpacket begin") != std::string::npos, !meta);
      for (const char* n : {"alice", "bob"}) {
        SCOPED_TRACE(n);
        Description d = describe(src_of(enc), std::nullopt, &keys.at(n));
        EXPECT_EQ(d.sub_filter, "adbe.pkcs7.s5");
        EXPECT_EQ(d.key_bits, rev == 6 ? 256u : 128u);
        EXPECT_EQ(d.recipients.size(), 2u);  // two envelopes, one recipient each
        EXPECT_EQ(d.matched, PasswordMatch::recipient);
        EXPECT_EQ(d.flags.modify, std::string(n) == "alice");
        EXPECT_TRUE(d.flags.print);
        DecryptOptions opt;
        opt.key = &keys.at(n);
        EXPECT_EQ(test::round_trip_map(decrypt_str(enc, std::nullopt, nullptr, opt)), original);
      }
      DecryptOptions other;
      other.key = &keys.at("mallory");
      EXPECT_EQ(error_of([&] { decrypt_str(enc, std::nullopt, nullptr, other); }),
                Errc::wrong_password);
      EXPECT_EQ(error_of([&] { decrypt_str(enc, std::string_view("")); }), Errc::wrong_password);
    }
  }
  // Recipients with equal permissions share one envelope, which opens for each of them;
  // passwords do not go with recipients.
  EncryptOptions same;
  same.recipients = {{certs.at("alice"), -4}, {certs.at("bob"), -4}};
  const std::string shared = encrypt_str(plain, same);
  for (const char* n : {"alice", "bob"})
    EXPECT_EQ(describe(src_of(shared), std::nullopt, &keys.at(n)).matched,
              PasswordMatch::recipient);
  same.user_password = "pw";
  EXPECT_EQ(error_of([&] { encrypt_str(plain, same); }), Errc::invalid_argument);
}

// A damaged encrypted file whose cross-reference data is unusable (startxref points nowhere)
// and whose /Encrypt reference names the wrong object: the repair scan rebuilds the table and
// the encryption dictionary is found by what it is, as pdf.js does; the file decrypts to the same
// objects as the undamaged one. Without a dictionary anywhere, bad_format.
TEST(PdfRecovery, EncryptionDictionaryBehindADamagedReference) {
  const std::string plain = test::sample_document().build();
  for (int rev : {4, 6}) {
    SCOPED_TRACE(rev);
    EncryptOptions o;
    o.revision = rev;
    o.user_password = "u";
    const std::string good = encrypt_str(plain, o);
    const std::string want = decrypt_str(good, std::string_view("u"));
    std::string bad = good;
    const std::size_t at = bad.rfind("/Encrypt ");
    ASSERT_NE(at, std::string::npos);
    const std::size_t num = at + 9, end = bad.find(' ', num);
    const std::string real = bad.substr(num, end - num);
    std::string wrong = real == "1" ? "2" : "1";
    wrong.insert(0, real.size() - wrong.size(), '1');  // same width: no offset moves
    bad.replace(num, real.size(), wrong);
    const std::size_t sx = bad.rfind("startxref");
    ASSERT_NE(sx, std::string::npos);
    bad.replace(sx + 10, bad.find('\n', sx + 10) - (sx + 10), "7");
    EXPECT_EQ(test::round_trip_map(decrypt_str(bad, std::string_view("u"))),
              test::round_trip_map(want));
    EXPECT_TRUE(describe(src_of(bad), std::string_view("u")).repaired);
    EXPECT_EQ(error_of([&] { decrypt_str(bad, std::string_view("not it")); }),
              Errc::wrong_password);
    // With the dictionary itself unrecognisable, nothing is guessed.
    std::string gone = bad;
    const std::size_t filter = gone.find("/Filter /Standard");
    ASSERT_NE(filter, std::string::npos);
    gone.replace(filter, 17, "/Fxxxxx /Standard");
    EXPECT_EQ(error_of([&] { decrypt_str(gone, std::string_view("u")); }), Errc::bad_format);
  }
}

TEST(PdfCorpus, PasswordTruncationAt32BytesForRevision3) {
  std::string data = slurp(openrms::test::shared_dir() / "corpus/pdf/qpdf__enc-long-password.pdf");
  DecryptResult r;
  // User and owner passwords are equal after truncation to 32 bytes: the owner check wins.
  decrypt_str(data, std::string_view("asdf asdf asdf asdf asdf asdf qw"), &r);
  EXPECT_EQ(r.matched, PasswordMatch::owner);
  decrypt_str(data, std::string_view("asdf asdf asdf asdf asdf asdf qwxyz and more"), &r);
  EXPECT_EQ(r.matched, PasswordMatch::owner);
  EXPECT_EQ(
      error_of([&] { decrypt_str(data, std::string_view("asdf asdf asdf asdf asdf asdf q")); }),
      Errc::wrong_password);
}

TEST(PdfCorpus, EmptyOwnerPasswordWithUserPassword) {
  std::string data = slurp(openrms::test::shared_dir() / "corpus/pdf/pdfjs__pr6531_2.pdf");
  EXPECT_EQ(error_of([&] { decrypt_str(data, std::string_view("qwerty")); }), Errc::wrong_password);
  DecryptResult r;
  decrypt_str(data, std::string_view("asdfasdf"), &r);
  EXPECT_EQ(r.matched, PasswordMatch::user);
}

TEST(PdfCorpus, DescribeReportsTheEncryptionDictionary) {
  auto d = describe(src_of(slurp(openrms::test::shared_dir() / "corpus/pdf/qpdf__c-r6-in.pdf")));
  EXPECT_TRUE(d.encrypted);
  EXPECT_EQ(d.r, 6);
  EXPECT_EQ(d.v, 5);
  EXPECT_EQ(d.key_bits, 256u);
  EXPECT_EQ(d.stream_method, "AESV3");
  EXPECT_EQ(d.permissions, -2052);
  EXPECT_EQ(d.matched, PasswordMatch::none);  // "user4" is needed
  auto d2 = describe(
      src_of(slurp(openrms::test::shared_dir() / "corpus/pdf/pdfjs__print_protection.pdf")),
      std::string_view("1234"));
  EXPECT_EQ(d2.matched, PasswordMatch::owner);
  EXPECT_FALSE(d2.flags.print);
  auto d3 = describe(
      src_of(slurp(openrms::test::shared_dir() / "corpus/pdf/pdfjs__auth-event-ef-open.pdf")));
  EXPECT_EQ(d3.permissions, -4);  // written unsigned as 4294967292
  EXPECT_EQ(d3.stream_method, "Identity");
  EXPECT_EQ(d3.embedded_file_method, "AESV3");
}

// --- known-answer tests (FORMATS.md §5.2, §5.4) -----------------------------------------------

std::string unhex(std::string_view h) {
  Bytes b = crypto::from_hex(h);
  return std::string(b.begin(), b.end());
}

TEST(PdfKat, QpdfFileKeys) {
  struct Case {
    const char* file;
    const char* user;
    const char* owner;
    const char* key;
  } cases[] = {
      {"qpdf__c-r2.pdf", "user1", "owner1", "ca3434c555"},
      {"qpdf__c-r3.pdf", "user2", "owner2", "14cb1e1f0379ef8c1a0a02228563bed6"},
      {"qpdf__c-r4.pdf", "user2", "owner2", "14cb1e1f0379ef8c1a0a02228563bed6"},
      {"qpdf__c-r5-in.pdf", "user3", "owner3",
       "35ea16a48b6a3045133b69ac0906c2e8fb0a2cc97903ae17b51a5786ebdba020"},
      {"qpdf__c-r6-in.pdf", "user4", "owner4",
       "be73147b6295376c94585d3e551632601bc4fb9bbfde18753e3a0b59edca16ac"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    for (const auto& be : openrms::test::all_backends()) {
      std::string data = slurp(openrms::test::shared_dir() / "corpus/pdf" / c.file);
      MemorySource src = src_of(data);
      Document doc(src);
      Object enc = doc.resolve(*doc.trailer().get("Encrypt"));
      std::string id0 =
          doc.resolve(*doc.trailer().get("ID")).as_array()->front().as_string()->bytes;
      for (const char* pw : {c.user, c.owner}) {
        DocumentSecurity s(*enc.as_dict(), id0, *be);
        EXPECT_NE(s.authenticate(pw, true), PasswordKind::none);
        EXPECT_EQ(crypto::to_hex(s.file_key()), c.key);
      }
    }
  }
}

TEST(PdfKat, Algorithm2BVectorsFromPdfJs) {
  struct Case {
    int r;
    const char* pw;
    const char* salt;
    const char* udata;
    const char* expect;
  } cases[] = {
      {6, "user", "53f59265c6f722c6", "",
       "5ee6cd4ba663fa4cdb801155391121a4962e67b0a09cbbe9a6dfa3fd93eb5fb8"},
      {6, "owner", "8ee8a9d0cad605b9",
       "5ee6cd4ba663fa4cdb801155391121a4962e67b0a09cbbe9a6dfa3fd93eb5fb853f59265c6f722c6bf0b105eedd"
       "8"
       "14af",
       "58e83e36f51af5d1897bdd48c73125d91f4a73a77f9eb04d2da3572f275ad98d"},
      {5, "user", "75a904209f6516dc", "",
       "83f28fa057028a864ffdbdade04990f1be51c50ff96991970fc24103017ebbdd"},
  };
  for (const auto& be : openrms::test::all_backends()) {
    for (const auto& c : cases) {
      std::string salt = unhex(c.salt), ud = unhex(c.udata);
      std::uint8_t out[32];
      pdf_hash_2b(*be, c.r, c.pw,
                  ByteView(reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size()),
                  ByteView(reinterpret_cast<const std::uint8_t*>(ud.data()), ud.size()), out);
      EXPECT_EQ(crypto::to_hex(ByteView(out, 32)), c.expect) << c.pw << " R" << c.r;
    }
  }
}

TEST(PdfKat, SaslPrep) {
  // RFC 4013 §3 examples: soft hyphen mapped to nothing, U+00AA NFKC-normalised to 'a'.
  EXPECT_EQ(saslprep("I\xc2\xad"
                     "X")
                .value(),
            "IX");
  EXPECT_EQ(saslprep("\xc2\xaa").value(), "a");
  EXPECT_EQ(saslprep("user").value(), "user");
  EXPECT_FALSE(saslprep("\x07").has_value());  // prohibited control character
}

// --- round trips
// ----------------------------------------------------------------------------------

TEST(PdfRoundTrip, EncryptThenDecryptGivesTheSameObjects) {
  const std::string plain = test::sample_document().build();
  const auto original = test::round_trip_map(plain);
  for (int rev : {4, 6}) {
    for (bool meta : {true, false}) {
      for (const char* user : {"", "u-pass"}) {
        SCOPED_TRACE(std::to_string(rev) + (meta ? " meta" : " clear-meta") + " user=" + user);
        EncryptOptions o;
        o.revision = rev;
        o.user_password = user;
        o.owner_password = "o-pass";
        o.permissions = parse_permissions("print,copy");
        o.encrypt_metadata = meta;
        std::string enc = encrypt_str(plain, o);
        EXPECT_EQ(enc.find("Hello, openrms"), std::string::npos);  // content is encrypted
        EXPECT_EQ(enc.find("Sample title"), std::string::npos);    // strings too
        // EncryptMetadata false leaves the XMP packet readable (§7.6.3.1).
        EXPECT_EQ(enc.find("xpacket begin") != std::string::npos, !meta);
        Description d = describe(src_of(enc), std::string_view(user));
        EXPECT_EQ(d.r, rev);
        EXPECT_EQ(d.matched, PasswordMatch::user);
        EXPECT_EQ(d.permissions, parse_permissions("print,copy"));
        EXPECT_TRUE(d.flags.print);
        EXPECT_FALSE(d.flags.modify);
        DecryptResult r;
        std::string back = decrypt_str(enc, std::string_view("o-pass"), &r);
        EXPECT_EQ(r.matched, PasswordMatch::owner);
        EXPECT_EQ(test::round_trip_map(back), original);
        if (*user) {
          EXPECT_EQ(error_of([&] { decrypt_str(enc, std::nullopt); }), Errc::wrong_password);
        } else {
          decrypt_str(enc, std::nullopt, &r);  // opens without a password
          EXPECT_EQ(r.matched, PasswordMatch::user);
        }
      }
    }
  }
}

// The caller's backend reaches the PDF engine: each backend opens what the other encrypted.
TEST(PdfRoundTrip, BackendsOpenEachOthersFiles) {
  PdfBuilder b = test::sample_document();
  const std::string plain = b.build();
  const auto original = test::round_trip_map(plain);
  std::vector<const crypto::Backend*> bes{&crypto::openssl_backend()};
  if (crypto::has_botan()) bes.push_back(&crypto::botan_backend());
  for (const auto* writer : bes)
    for (const auto* reader : bes)
      for (int rev : {4, 6}) {
        SCOPED_TRACE(std::string(writer->name()) + " -> " + std::string(reader->name()) + " R" +
                     std::to_string(rev));
        EncryptOptions o;
        o.revision = rev;
        o.user_password = "u";
        o.backend = writer;
        DecryptOptions d;
        d.backend = reader;
        EXPECT_EQ(test::round_trip_map(decrypt_str(encrypt_str(plain, o), "u", nullptr, d)),
                  original);
      }
}

TEST(PdfRoundTrip, ReEncryptWithNewPasswords) {
  const std::string plain = test::sample_document().build();
  EncryptOptions o;
  o.user_password = "old";
  o.owner_password = "old-owner";
  o.revision = 4;
  std::string first = encrypt_str(plain, o);
  EncryptOptions o2;
  o2.user_password = "n\xc3\xa9w";  // non-ASCII: UTF-8, SASLprep'd for R6
  o2.owner_password = "new-owner";
  o2.current_password = std::string_view("old");
  std::string second = encrypt_str(first, o2);
  EXPECT_EQ(error_of([&] { decrypt_str(second, std::string_view("old")); }), Errc::wrong_password);
  EXPECT_EQ(test::round_trip_map(decrypt_str(second, std::string_view("n\xc3\xa9w"))),
            test::round_trip_map(plain));
  // Without the current password, re-encryption is refused.
  EncryptOptions o3 = o2;
  o3.current_password.reset();
  EXPECT_EQ(error_of([&] { encrypt_str(first, o3); }), Errc::wrong_password);
}

TEST(PdfRoundTrip, RandomOwnerPasswordWhenNoneIsGiven) {
  const std::string plain = test::sample_document().build();
  EncryptOptions o;
  o.user_password = "u";
  std::string enc = encrypt_str(plain, o);
  DecryptResult r;
  decrypt_str(enc, std::string_view("u"), &r);
  EXPECT_EQ(r.matched, PasswordMatch::user);
  EXPECT_EQ(error_of([&] { decrypt_str(enc, std::string_view("")); }), Errc::wrong_password);
}

TEST(PdfRoundTrip, ChunkedStreamPathMatchesTheWholePath) {
  // Big random stream so several chunks and the AES carry are exercised.
  PdfBuilder b = test::sample_document();
  std::string big(3 * 1000 * 1000 + 7, '\0');
  std::mt19937 rng(7);
  for (char& c : big) c = static_cast<char>(rng());
  b.add_stream(8, "/Type /XObject /Subtype /Image /Width 1 /Height 1", big);
  const std::string plain = b.build();
  for (int rev : {4, 6}) {
    EncryptOptions o;
    o.revision = rev;
    o.user_password = "x";
    std::string enc = encrypt_str(plain, o);
    MemorySource src = src_of(enc);
    Document doc(src);
    Object ev = doc.resolve(*doc.trailer().get("Encrypt"));
    std::string id0 = doc.resolve(*doc.trailer().get("ID")).as_array()->front().as_string()->bytes;
    DocumentSecurity sec(*ev.as_dict(), id0, crypto::default_backend());
    ASSERT_EQ(sec.authenticate("x", true), PasswordKind::user);
    std::string whole, chunked;
    for (std::size_t threshold : {std::size_t(64) << 20, std::size_t(100)}) {
      Document d2(src);
      RewriteOptions ro;
      ro.decrypt = &sec;
      ro.id0 = id0;
      ro.chunk_threshold = threshold;
      Bytes out;
      MemorySink sink(out);
      rewrite(d2, sink, ro);
      (threshold > 1000 ? whole : chunked).assign(out.begin(), out.end());
    }
    EXPECT_EQ(whole, chunked);
    EXPECT_EQ(test::round_trip_map(whole), test::round_trip_map(plain));
    // Encrypting through the chunked path also decrypts to the original.
    EncryptOptions o2;
    o2.revision = rev;
    MemorySource plain_src = src_of(plain);
    Document d3(plain_src);
    DocumentSecurity::Create c;
    c.revision = rev;
    c.user_password = "";
    c.owner_password = "own";
    DocumentSecurity enc2(c, id0, crypto::default_backend());
    RewriteOptions ro;
    ro.encrypt = &enc2;
    ro.id0 = id0;
    ro.chunk_threshold = 100;
    Bytes out;
    MemorySink sink(out);
    rewrite(d3, sink, ro);
    std::string enc_chunked(out.begin(), out.end());
    EXPECT_EQ(test::round_trip_map(decrypt_str(enc_chunked, std::nullopt)),
              test::round_trip_map(plain));
  }
}

// AES-256 in a 1.7 file declares Adobe's extension level 8 in the catalog, as Acrobat and qpdf
// write it (qpdf --check and the interop readers accept it); AES-128 (R4) declares none, and a
// level already there that is higher is kept.
TEST(PdfWriter, Aes256DeclaresAdobesExtension) {
  const std::string plain = test::sample_document().build();
  for (int rev : {4, 6}) {
    EncryptOptions o;
    o.revision = rev;
    o.user_password = "u";
    const auto back = test::object_map(decrypt_str(encrypt_str(plain, o), std::string_view("u")));
    EXPECT_EQ(back.at(1).find(test::kAes256Extension) != std::string::npos, rev == 6) << back.at(1);
  }
  std::string higher = plain;
  const std::size_t cat = higher.find("/Type /Catalog");
  ASSERT_NE(cat, std::string::npos);
  higher.insert(cat, "/Extensions <</ADBE <</BaseVersion /1.7 /ExtensionLevel 11>>>> ");
  EncryptOptions o;
  o.user_password = "u";
  const auto back = test::object_map(decrypt_str(encrypt_str(higher, o), std::string_view("u")));
  EXPECT_NE(back.at(1).find("/ExtensionLevel 11"), std::string::npos) << back.at(1);
  EXPECT_EQ(back.at(1).find("/ExtensionLevel 8"), std::string::npos) << back.at(1);
}

TEST(PdfSecurity, TamperedPermsIsAnIntegrityError) {
  const std::string plain = test::sample_document().build();
  EncryptOptions o;
  o.user_password = "u";
  o.permissions = parse_permissions("print");
  std::string enc = encrypt_str(plain, o);
  // Grant everything by editing /P (same width keeps the xref valid): -3900 -> -0004 style edit.
  std::string p = "/P " + std::to_string(o.permissions);
  std::size_t at = enc.find(p);
  ASSERT_NE(at, std::string::npos);
  std::string edited = enc;
  std::string repl = "/P -4";
  repl.resize(p.size(), ' ');
  edited.replace(at, p.size(), repl);
  EXPECT_EQ(error_of([&] { decrypt_str(edited, std::string_view("u")); }), Errc::integrity);
  DecryptOptions lenient;
  lenient.verify_perms = false;
  EXPECT_NO_THROW(decrypt_str(edited, std::string_view("u"), nullptr, lenient));
}

TEST(PdfSecurity, SignatureContentsAndIdStayInTheClear) {
  PdfBuilder b = test::sample_document();
  const std::string sig_hex = "3082deadbeef0102030405060708090a0b0c0d0e0f";
  b.add(8,
        "<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 10 "
        "20 30] /Contents <" +
            sig_hex + "> /Reason (approved)>>");
  const std::string plain = b.build();
  EncryptOptions o;
  o.user_password = "u";
  std::string enc = encrypt_str(plain, o);
  EXPECT_NE(enc.find(sig_hex), std::string::npos);  // §7.6.2: not encrypted
  EXPECT_NE(enc.find("00112233445566778899aabbccddeeff"), std::string::npos);  // the /ID
  EXPECT_EQ(enc.find("approved"), std::string::npos);  // other strings of the dictionary are
  EXPECT_EQ(test::round_trip_map(decrypt_str(enc, std::string_view("u"))),
            test::round_trip_map(plain));
}

TEST(PdfSecurity, ShortUserEntryIsAccepted) {
  // qpdf's short-O-U case: some writers store only the 16 significant bytes of an R3 /U.
  std::string data = slurp(openrms::test::shared_dir() / "corpus/pdf/qpdf__c-r3.pdf");
  std::size_t u = data.find("/U <");
  ASSERT_NE(u, std::string::npos);
  std::size_t end = data.find('>', u);
  ASSERT_EQ(end - (u + 4), 64u);
  std::string shortened = data;
  shortened.replace(u + 4 + 32, 32, std::string(32, ' '));  // same length: offsets stay valid
  DecryptResult r;
  decrypt_str(shortened, std::string_view("user2"), &r);
  EXPECT_EQ(r.matched, PasswordMatch::user);
  EXPECT_EQ(test::round_trip_map(decrypt_str(shortened, std::string_view("user2"))),
            test::round_trip_map(decrypt_str(data, std::string_view("user2"))));
}

TEST(PdfSecurity, PermissionMapping) {
  EXPECT_EQ(parse_permissions("all"), -4);
  EXPECT_EQ(parse_permissions("none"), static_cast<std::int32_t>(0xfffff0c0u));
  EXPECT_EQ(parse_permissions("-3904"), -3904);
  EXPECT_EQ(error_of([] { parse_permissions("fly"); }), Errc::invalid_argument);
  std::string_view view[] = {"VIEW"};
  auto f = decode_permissions(permissions_for_rights(view));
  EXPECT_FALSE(f.print || f.copy || f.modify || f.annotate || f.assemble || f.fill_forms);
  std::string_view rights[] = {"view", "Print", "EXTRACT", "docedit", "comment"};
  f = decode_permissions(permissions_for_rights(rights));
  EXPECT_TRUE(f.print && f.print_high_quality && f.copy && f.accessibility && f.modify &&
              f.assemble && f.fill_forms && f.annotate);
  std::string_view edit[] = {"EDIT"};
  f = decode_permissions(permissions_for_rights(edit));
  EXPECT_TRUE(f.modify && f.assemble && f.fill_forms);
  EXPECT_FALSE(f.print || f.copy || f.annotate);
  std::string_view owner[] = {"OWNER"};
  EXPECT_EQ(permissions_for_rights(owner), -4);
}

TEST(PdfSecurity, PasswordsAreValidated) {
  const std::string plain = test::sample_document().build();
  EncryptOptions o;
  o.revision = 4;
  o.user_password = "\xe2\x82\xac";  // the euro sign is not Latin-1
  EXPECT_EQ(error_of([&] { encrypt_str(plain, o); }), Errc::invalid_argument);
  o.revision = 5;
  EXPECT_EQ(error_of([&] { encrypt_str(plain, o); }), Errc::invalid_argument);
  o.revision = 6;  // fine with R6
  EXPECT_NO_THROW(encrypt_str(plain, o));
}

TEST(PdfFiles, FileHelpersLeaveNothingOnFailure) {
  fs::path dir = fs::temp_directory_path() / ("openrms_pdf_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  { std::ofstream(dir / "in.pdf", std::ios::binary) << test::sample_document().build(); }
  EncryptOptions o;
  o.user_password = "pw";
  encrypt_file(dir / "in.pdf", dir / "enc.pdf", o);
  EXPECT_EQ(
      error_of([&] { decrypt_file(dir / "enc.pdf", dir / "out.pdf", std::string_view("bad")); }),
      Errc::wrong_password);
  EXPECT_FALSE(fs::exists(dir / "out.pdf"));
  std::size_t files = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 2u);  // no temporary left behind
  decrypt_file(dir / "enc.pdf", dir / "out.pdf", std::string_view("pw"));
  EXPECT_EQ(test::round_trip_map(slurp(dir / "out.pdf")),
            test::round_trip_map(slurp(dir / "in.pdf")));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace openrms::formats::pdf
