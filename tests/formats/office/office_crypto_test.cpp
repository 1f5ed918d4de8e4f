// Office password encryption: the third-party corpus (every OOXML file decrypts, byte-identical
// where the plaintext is known; unknown passwords and fuzzed files fail with typed errors),
// published KATs from FORMATS.md, round trips over sizes/parameters/backends, tamper tests.
#include "openrms/formats/office/office_crypto.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "crypto/test_support.hpp"
#include "office_internal.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/cfb/compound_file.hpp"

namespace openrms::formats::office {
namespace {

namespace fs = std::filesystem;

struct ManifestRow {
  std::string file, format, scheme, user_password, expected;
};

std::vector<ManifestRow> office_manifest() {
  std::ifstream in(test::shared_dir() / "corpus" / "MANIFEST.tsv");
  EXPECT_TRUE(in) << "MANIFEST.tsv missing";
  std::vector<ManifestRow> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> c;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, '\t');) c.push_back(f);
    if (c.size() < 7 || c[0].rfind("office/", 0) != 0 || c[0].rfind("office/expected/", 0) == 0)
      continue;
    rows.push_back({c[0], c[2], c[3], c[4], c[6]});
  }
  return rows;
}

Bytes read_all(const fs::path& p) {
  return read_file(p);
}

using openrms::test::error_of;

std::optional<std::string_view> password_of(const ManifestRow& r) {
  if (r.user_password == "<empty>") return std::string_view();
  return std::string_view(r.user_password);
}

TEST(OfficeCorpus, EveryOoxmlFileBehavesAsTheManifestSays) {
  auto rows = office_manifest();
  ASSERT_GE(rows.size(), 20u);
  int decrypted = 0, compared = 0, refused = 0, legacy_decrypted = 0;
  for (const auto& r : rows) {
    SCOPED_TRACE(r.file);
    fs::path path = test::shared_dir() / "corpus" / r.file;
    FileSource src(path);
    Detection d = detect(src);
    bool ooxml_scheme = r.scheme.rfind("agile", 0) == 0 || r.scheme.rfind("standard", 0) == 0;
    bool fuzzed = r.scheme.find("fuzzed") != std::string::npos;
    if (ooxml_scheme && !fuzzed && r.user_password != "?") {
      EXPECT_EQ(d.container, Container::ooxml_encrypted);
      EXPECT_EQ(d.scheme, r.scheme.rfind("agile", 0) == 0 ? Scheme::agile : Scheme::standard);
      Bytes out;
      MemorySink sink(out);
      DecryptResult res = decrypt(src, sink, password_of(r));
      ++decrypted;
      ASSERT_GE(out.size(), 4u);
      EXPECT_EQ(out[0], 'P');
      EXPECT_EQ(out[1], 'K');
      EXPECT_EQ(res.size, out.size());
      if (res.scheme == Scheme::agile) {
        EXPECT_TRUE(res.integrity_verified);
      }
      auto eq = r.expected.find("== expected/");
      if (eq != std::string::npos) {
        std::string name = r.expected.substr(eq + 12);
        name = name.substr(0, name.find_first_of(" ;"));
        EXPECT_EQ(out, read_all(test::shared_dir() / "corpus/office/expected" / name));
        ++compared;
      }
      // Without a password only the VelvetSweatshop files open.
      Bytes again;
      MemorySink s2(again);
      if (r.user_password == "VelvetSweatshop") {
        EXPECT_TRUE(decrypt(src, s2, std::nullopt).used_default_password);
        EXPECT_EQ(again, out);
      } else {
        EXPECT_EQ(error_of([&] { decrypt(src, s2, std::nullopt); }), Errc::wrong_password);
      }
      Bytes junk;
      MemorySink s3(junk);
      EXPECT_EQ(error_of([&] { decrypt(src, s3, std::string_view("not the password")); }),
                Errc::wrong_password);
    } else if (ooxml_scheme || fuzzed) {
      // Unknown password or a fuzzed header: a typed error, never a crash or "internal".
      Bytes out;
      MemorySink sink(out);
      Errc e = error_of([&] { decrypt(src, sink, password_of(r)); });
      EXPECT_TRUE(e == Errc::bad_format || e == Errc::wrong_password || e == Errc::unsupported)
          << static_cast<int>(e);
      ++refused;
    } else {
      // Legacy binary formats: RC4, RC4 CryptoAPI and Excel's XOR obfuscation decrypt (the
      // OfficeLegacy tests below check the streams).
      EXPECT_EQ(d.container, Container::legacy_binary);
      Scheme want = r.scheme.rfind("rc4-cryptoapi", 0) == 0            ? Scheme::rc4_cryptoapi
                    : r.scheme.find("binary-rc4") != std::string::npos ? Scheme::rc4_binary
                    : r.scheme.find("xor") != std::string::npos        ? Scheme::xor_obfuscation
                                                                       : Scheme::none;
      EXPECT_EQ(d.scheme, want) << r.scheme;
      if (want == Scheme::none) continue;
      Bytes out;
      MemorySink sink(out);
      if (r.user_password != "?") {
        EXPECT_EQ(decrypt(src, sink, password_of(r)).scheme, want);
        ++legacy_decrypted;
      } else {
        EXPECT_EQ(error_of([&] { decrypt(src, sink, password_of(r)); }), Errc::wrong_password);
      }
    }
  }
  EXPECT_EQ(decrypted, 8);
  EXPECT_EQ(compared, 3);
  EXPECT_GE(refused, 3);
  EXPECT_EQ(legacy_decrypted, 11);
}

// Every stream of a compound file, by path.
std::map<std::string, Bytes> streams_of(ByteView file) {
  MemorySource src(file);
  cfb::Reader r(src);
  std::map<std::string, Bytes> out;
  for (const auto& e : r.entries())
    if (e.type == cfb::EntryType::stream) out[e.path] = r.read_stream(e);
  return out;
}

// msoffcrypto-tool's output is the reference, stream by stream (tests/formats/office/
// interop_test.sh runs msoffcrypto itself on the other Word files).
TEST(OfficeLegacy, Rc4CryptoApiDecryptsToMsoffcryptosStreams) {
  for (std::string ext : {"doc", "xls", "ppt"}) {
    SCOPED_TRACE(ext);
    FileSource src(test::shared_dir() /
                   ("corpus/office/msoffcrypto__rc4cryptoapi_password." + ext));
    Bytes out;
    MemorySink sink(out);
    DecryptResult res = decrypt(src, sink, std::string_view("Password1234_"));
    EXPECT_EQ(res.scheme, Scheme::rc4_cryptoapi);
    EXPECT_EQ(res.size, out.size());
    Bytes want =
        read_all(test::shared_dir() /
                 ("corpus/office/expected/msoffcrypto__rc4cryptoapi_password_plain." + ext));
    auto ours = streams_of(out), theirs = streams_of(want);
    ASSERT_EQ(ours.size(), theirs.size());
    for (const auto& [path, bytes] : theirs) {
      SCOPED_TRACE(path);
      ASSERT_TRUE(ours.count(path));
      EXPECT_EQ(ours[path], bytes);
    }
    // The result says it is not encrypted any more.
    MemorySource plain(out);
    Detection d = detect(plain);
    EXPECT_EQ(d.application, ext == "doc" ? "Word" : ext == "xls" ? "Excel" : "PowerPoint");
    EXPECT_EQ(d.scheme, Scheme::none);
    Bytes again;
    MemorySink s2(again);
    EXPECT_EQ(error_of([&] { decrypt(plain, s2, std::string_view("x")); }), Errc::invalid_argument);
  }
}

TEST(OfficeLegacy, ExcelDefaultPasswordAndTruncatedRecords) {
  FileSource src(test::shared_dir() / "corpus/office/poi__50833.xls");
  Bytes out;
  MemorySink sink(out);
  EXPECT_TRUE(decrypt(src, sink, std::nullopt).used_default_password);
  // A Workbook whose record after FilePass claims more bytes than the stream has.
  Bytes file =
      read_all(test::shared_dir() / "corpus/office/msoffcrypto__rc4cryptoapi_password.xls");
  MemorySource good(file);
  cfb::Reader r(good);
  Bytes book = r.read_stream("Workbook");
  std::size_t pos = 0;
  bool after_filepass = false;
  while (!after_filepass && pos + 4 < book.size()) {
    after_filepass = (book[pos] | (book[pos + 1] << 8)) == 0x002F;
    pos += 4 + (book[pos + 2] | (book[pos + 3] << 8));
  }
  ASSERT_TRUE(after_filepass);
  ASSERT_LT(pos + 4, book.size());
  book[pos + 2] = book[pos + 3] = 0xFF;
  cfb::Writer w;
  for (const auto& e : r.entries())
    if (e.type == cfb::EntryType::stream)
      w.add_stream(e.path, e.path == "Workbook" ? ByteView(book) : ByteView(r.read_stream(e)));
  Bytes damaged;
  MemorySink ds(damaged);
  w.write(ds);
  MemorySource bad(damaged);
  Bytes junk;
  MemorySink js(junk);
  EXPECT_EQ(error_of([&] { decrypt(bad, js, std::string_view("Password1234_")); }),
            Errc::bad_format);
}

// `file` with the stream at `path` replaced by `data`.
Bytes with_stream(ByteView file, const std::string& path, ByteView data) {
  MemorySource src(file);
  cfb::Reader r(src);
  cfb::Writer w;
  for (const auto& e : r.entries())
    if (e.type == cfb::EntryType::stream)
      w.add_stream(e.path, e.path == path ? data : ByteView(r.read_stream(e)));
  Bytes out;
  MemorySink sink(out);
  w.write(sink);
  return out;
}

std::uint32_t le32_at(const Bytes& b, std::size_t at) {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (std::uint32_t{b[at + 3]} << 24);
}

// The encrypted summary stream comes out as the two property-set streams, and the file says it
// is not encrypted (tests/formats/office/interop_test.sh has POI read the text, pictures and
// properties of every corpus .ppt both ways).
TEST(OfficeLegacy, PowerPointSummaryAndDamage) {
  const Bytes file =
      read_all(test::shared_dir() / "corpus/office/poi__Password_Protected-hello.ppt");
  MemorySource src(file);
  Bytes out;
  MemorySink sink(out);
  DecryptResult res = decrypt(src, sink, std::string_view("hello"));
  EXPECT_EQ(res.scheme, Scheme::rc4_cryptoapi);
  auto streams = streams_of(out);
  EXPECT_FALSE(streams.count("EncryptedSummary"));
  ASSERT_TRUE(streams.count("\x05SummaryInformation"));
  const Bytes& si = streams["\x05SummaryInformation"];
  ASSERT_GE(si.size(), 48u);
  EXPECT_EQ(si[0], 0xFE);  // a property set's byte order mark, [MS-OLEPS] §2.21
  EXPECT_EQ(si[1], 0xFF);
  EXPECT_GT(streams["\x05"
                    "DocumentSummaryInformation"]
                .size(),
            streams_of(file)["\x05"
                             "DocumentSummaryInformation"]
                .size());  // not the placeholder
  EXPECT_EQ(le32_at(streams["Current User"], 12), 0xE391C05Fu);
  MemorySource plain(out);
  EXPECT_EQ(detect(plain).scheme, Scheme::none);
  Bytes junk;
  MemorySink js(junk);
  EXPECT_EQ(error_of([&] { decrypt(src, js, std::string_view("Hello")); }), Errc::wrong_password);
  EXPECT_TRUE(junk.empty());

  // An encrypted summary whose descriptors claim more bytes than the stream holds (overlapping
  // streams, which would cost their count times its size to copy). RC4 is a stream cipher, so
  // the first descriptor's StreamSize (316, at 816 + 4 + 4: the array follows the 8-byte header
  // and the two streams of 316 and 492 bytes) becomes 900 by XORing the ciphertext.
  {
    MemorySource in(file);
    Bytes summary = cfb::Reader(in).read_stream("EncryptedSummary");
    ASSERT_EQ(streams["\x05SummaryInformation"].size(), 316u);
    ASSERT_EQ(streams["\x05"
                      "DocumentSummaryInformation"]
                  .size(),
              492u);
    const std::uint32_t diff = 316u ^ 900u;
    for (int i = 0; i < 4; ++i) summary[816 + 8 + i] ^= static_cast<std::uint8_t>(diff >> (8 * i));
    const Bytes damaged = with_stream(file, "EncryptedSummary", summary);  // outlives the source
    MemorySource d(damaged);
    Bytes o;
    MemorySink os(o);
    std::string message;
    try {
      decrypt(d, os, std::string_view("hello"));
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::bad_format);
      message = e.what();
    }
    EXPECT_NE(message.find("overlap"), std::string::npos) << message;
  }

  // Damage, each a typed error: two persist ids at one offset, a UserEditAtom offset past the
  // end, a picture that runs past its stream.
  MemorySource orig(file);
  cfb::Reader r(orig);
  const Bytes user = r.read_stream("Current User");
  const Bytes doc = r.read_stream("PowerPoint Document");
  const std::uint32_t edit = le32_at(user, 16), dir = le32_at(doc, edit + 8 + 12);
  Bytes overlap = doc;
  for (int i = 0; i < 4; ++i) overlap[dir + 16 + i] = overlap[dir + 12 + i];  // id 2 := id 1
  Bytes past = user;
  past[16] = past[17] = past[18] = 0xF0;
  const Bytes pics_file =
      read_all(test::shared_dir() / "corpus/office/poi__ppt_with_png_encrypted.ppt");
  MemorySource pics_src(pics_file);
  Bytes pics = cfb::Reader(pics_src).read_stream("Pictures");
  pics.resize(pics.size() - 100);
  const std::pair<Bytes, std::string_view> cases[] = {
      {with_stream(file, "PowerPoint Document", overlap), "hello"},
      {with_stream(file, "Current User", past), "hello"},
      {with_stream(pics_file, "Pictures", pics), "password"}};
  for (const auto& c : cases) {
    const std::string_view password = c.second;  // (clang 14 cannot capture a binding)
    MemorySource d(c.first);
    Bytes o;
    MemorySink os(o);
    EXPECT_EQ(error_of([&] { decrypt(d, os, password); }), Errc::bad_format);
  }
}

// Excel's XOR obfuscation: the corpus workbook (a 15-character password, the most XOR uses)
// opens with it and with any longer password that starts with it, as in Excel; records come out
// where they were, the WriteAccess user name in the clear as msoffcrypto-tool's output has it
// (tests/formats/office/interop_test.sh has POI read every cell both ways).
TEST(OfficeLegacy, ExcelXorObfuscation) {
  const fs::path path =
      test::shared_dir() / "corpus/office/msoffcrypto__xor_password_123456789012345.xls";
  FileSource src(path);
  for (std::string_view pw : {"123456789012345", "1234567890123456789"}) {
    Bytes out;
    MemorySink sink(out);
    EXPECT_EQ(decrypt(src, sink, pw).scheme, Scheme::xor_obfuscation);
    MemorySource plain(out);
    EXPECT_EQ(detect(plain).scheme, Scheme::none);
    const Bytes book = streams_of(out)["Workbook"];
    ASSERT_EQ(book.size(), cfb::Reader(src).read_stream("Workbook").size());
    // BOF, the blanked FilePass, InterfaceHdr, Mms, InterfaceEnd, then WriteAccess.
    std::size_t pos = 0;
    for (int i = 0; i < 5; ++i) pos += 4 + (book[pos + 2] | (book[pos + 3] << 8));
    ASSERT_EQ(book[pos] | (book[pos + 1] << 8), 0x005C);
    const std::string user(book.begin() + pos + 7, book.begin() + pos + 7 + 21);
    EXPECT_EQ(user, "Microsoft Office User");
    const Bytes theirs = streams_of(read_all(
        test::shared_dir() /
        "corpus/office/expected/msoffcrypto__xor_password_123456789012345_plain.xls"))["Workbook"];
    EXPECT_NE(std::search(theirs.begin(), theirs.end(), user.begin(), user.end()), theirs.end());
  }
  for (std::string_view wrong : {"12345678901234", "223456789012345", ""}) {
    Bytes out;
    MemorySink sink(out);
    EXPECT_EQ(error_of([&] { decrypt(src, sink, wrong); }), Errc::wrong_password) << wrong;
    EXPECT_TRUE(out.empty());
  }
}

TEST(OfficeLegacy, WordRc4WrongPasswordsAndDamage) {
  for (const char* f :
       {"msoffcrypto__rc4cryptoapi_password.doc", "poi__password_tika_binaryrc4.doc",
        "msoffcrypto__rc4cryptoapi_password.xls"}) {
    SCOPED_TRACE(f);
    FileSource src(test::shared_dir() / "corpus/office" / f);
    Bytes out;
    MemorySink sink(out);
    EXPECT_EQ(error_of([&] { decrypt(src, sink, std::string_view("wrong")); }),
              Errc::wrong_password);
    EXPECT_EQ(error_of([&] { decrypt(src, sink, std::nullopt); }), Errc::wrong_password);
    EXPECT_TRUE(out.empty());
  }
  // A FIB whose lKey points past the table stream, or a table stream too short for its header.
  Bytes file =
      read_all(test::shared_dir() / "corpus/office/msoffcrypto__rc4cryptoapi_password.doc");
  MemorySource good(file);
  cfb::Reader r(good);
  Bytes doc = r.read_stream("WordDocument");
  for (std::uint32_t lkey : {0u, 3u, 0x7fffffffu}) {
    SCOPED_TRACE(lkey);
    Bytes bad_doc = doc;
    for (int i = 0; i < 4; ++i) bad_doc[0x0E + i] = static_cast<std::uint8_t>(lkey >> (8 * i));
    cfb::Writer w;
    for (const auto& e : r.entries())
      if (e.type == cfb::EntryType::stream)
        w.add_stream(e.path,
                     e.path == "WordDocument" ? ByteView(bad_doc) : ByteView(r.read_stream(e)));
    Bytes damaged;
    MemorySink ds(damaged);
    w.write(ds);
    MemorySource src(damaged);
    Bytes out;
    MemorySink sink(out);
    EXPECT_EQ(error_of([&] { decrypt(src, sink, std::string_view("Password1234_")); }),
              Errc::bad_format);
  }
}

TEST(OfficeKat, StandardKeysFromFormatsMd) {
  struct Kat {
    const char* file;
    const char* password;
    const char* key;
  } kats[] = {{"msoffcrypto__ecma376standard_password.docx", "Password1234_",
               "40b13a71f90b966e375408f2d181a1aa"},
              {"poi__protect.xlsx", "VelvetSweatshop", "3ba427e7eefd37c7e2722a0df737861d"}};
  for (const auto& k : kats) {
    FileSource src(test::shared_dir() / "corpus/office" / k.file);
    cfb::Reader r(src);
    auto si = detail::parse_standard(r.read_stream("EncryptionInfo"));
    for (const auto* b : test::all_backends()) {
      auto key = detail::standard_key(*b, si.salt, password_utf16le(k.password), si.key_bits);
      EXPECT_EQ(crypto::to_hex(key), k.key) << k.file << " " << b->name();
    }
  }
}

TEST(OfficeKat, AgileIntermediatesFromFormatsMd) {
  FileSource src(test::shared_dir() / "corpus/office/msoffcrypto__example_password.docx");
  cfb::Reader r(src);
  Bytes info = r.read_stream("EncryptionInfo");
  auto a = detail::parse_agile(ByteView(info).subspan(8));
  ASSERT_EQ(a.passwords.size(), 1u);
  const auto& pk = a.passwords[0];
  EXPECT_EQ(crypto::to_hex(pk.p.salt), "cbca1c999343fbad92075634150034b0");
  EXPECT_EQ(crypto::to_hex(a.key_data.salt), "d5d2ff7f834c1653e8dd774571a87327");
  for (const auto* b : test::all_backends()) {
    auto hn = detail::spin_hash(*b, pk.p.hash, pk.p.salt, password_utf16le("Password1234_"),
                                pk.spin_count);
    EXPECT_EQ(crypto::to_hex(hn),
              "244a8f097708ba992f489adc323b5e52a2ea8c5589e7b1d37ed0bec67a6ec91b0603689853ac9e3e1572"
              "c54f2c733aa0d6192c91c1c78b46a8ca65e2ea66d954");
    auto k3 = detail::agile_block_key(*b, pk.p.hash, hn, detail::kBlockKeyValue, 32);
    EXPECT_EQ(crypto::to_hex(k3),
              "15fea68b1a85e252d9c5311991610756b48371b83f233d98b1380646fa7da910");
  }
  // 0x36 padding: a SHA-1 derived 20-byte value stretched to an AES-256 key.
  auto fixed = detail::fix_size(Bytes(20, 0xAB), 32);
  EXPECT_EQ(crypto::to_hex(fixed),
            std::string(40, 'a').replace(0, 40, "abababababababababababababababababababab") +
                "363636363636363636363636");
}

TEST(OfficeDataSpaces, StreamsMatchTheOfficeWrittenFile) {
  // Our DataSpaces streams are built from the structure definitions; Office wrote the corpus file.
  FileSource office_file(test::shared_dir() / "corpus/office/msoffcrypto__example_password.docx");
  cfb::Reader office(office_file);
  Bytes mine;
  MemorySink sink(mine);
  Bytes zip = read_all(test::shared_dir() / "corpus/office/expected/msoffcrypto__example.docx");
  EncryptOptions o;
  o.spin_count = 1;
  encrypt(MemorySource(zip), sink, "x", o);
  MemorySource src(mine);
  cfb::Reader ours(src);
  for (const char* p : {"\x06"
                        "DataSpaces/Version",
                        "\x06"
                        "DataSpaces/DataSpaceMap",
                        "\x06"
                        "DataSpaces/DataSpaceInfo/StrongEncryptionDataSpace",
                        "\x06"
                        "DataSpaces/TransformInfo/StrongEncryptionTransform/\x06"
                        "Primary"})
    EXPECT_EQ(ours.read_stream(p), office.read_stream(p)) << p + 1;
}

// ---- round trips ------------------------------------------------------------------------------

struct Case {
  Method method;
  unsigned bits;
  crypto::HashAlg hash;
};

Bytes encrypt_bytes(ByteView plain, std::string_view pw, EncryptOptions o) {
  Bytes out;
  MemorySink sink(out);
  encrypt(MemorySource(plain), sink, pw, o);
  return out;
}

Bytes decrypt_bytes(ByteView enc, std::optional<std::string_view> pw, DecryptOptions o = {}) {
  Bytes out;
  MemorySink sink(out);
  decrypt(MemorySource(enc), sink, pw, o);
  return out;
}

TEST(OfficeRoundTrip, SizesParametersBackendsAndCfbVersions) {
  std::mt19937 rng(7);
  const std::size_t sizes[] = {0, 1, 15, 16, 17, 4095, 4096, 4097, 3 * 4096 + 5, (4u << 20) + 4099};
  const Case cases[] = {{Method::agile, 256, crypto::HashAlg::sha512},
                        {Method::agile, 128, crypto::HashAlg::sha1},
                        {Method::agile, 192, crypto::HashAlg::sha256},
                        {Method::agile, 256, crypto::HashAlg::sha384},
                        {Method::standard, 128, crypto::HashAlg::sha1},
                        {Method::standard, 256, crypto::HashAlg::sha1}};
  for (const auto* b : test::all_backends()) {
    for (const auto& c : cases) {
      for (std::size_t n : sizes) {
        Bytes plain(n);
        for (auto& x : plain) x = static_cast<std::uint8_t>(rng());
        EncryptOptions o;
        o.method = c.method;
        o.key_bits = c.bits;
        o.hash = c.hash;
        o.spin_count = 10;  // the KDF has its own KATs; keep the matrix fast
        o.require_ooxml = false;
        o.segments.backend = b;
        o.cfb_version = (n % 2) ? 4 : 3;
        Bytes enc = encrypt_bytes(plain, "p\xc3\xa4ss", o);
        DecryptOptions d;
        d.segments.backend = b;
        EXPECT_EQ(decrypt_bytes(enc, "p\xc3\xa4ss", d), plain)
            << b->name() << " size " << n << " bits " << c.bits;
        // And through the other backend.
        for (const auto* other : test::all_backends()) {
          d.segments.backend = other;
          if (n == 4097) {
            EXPECT_EQ(decrypt_bytes(enc, "p\xc3\xa4ss", d), plain);
          }
        }
        auto desc = describe(MemorySource(enc));
        EXPECT_EQ(desc.key_bits, c.bits);
        EXPECT_EQ(desc.package_size, n);
        EXPECT_EQ(desc.cfb_version, o.cfb_version);
      }
    }
  }
}

TEST(OfficeRoundTrip, KeyEncryptorMayDifferFromKeyData) {
  // As in POI's 60320-protected.xlsx: keyData AES-128/SHA-1, password key AES-256/SHA-512, and
  // the reverse (SHA-1 with a 256-bit key needs the 0x36 padding).
  Bytes plain(9000, 0x5A);
  for (auto [data_bits, data_hash, pw_bits, pw_hash] :
       {std::tuple{128u, crypto::HashAlg::sha1, 256u, crypto::HashAlg::sha512},
        std::tuple{256u, crypto::HashAlg::sha512, 256u, crypto::HashAlg::sha1}}) {
    EncryptOptions o;
    o.key_bits = data_bits;
    o.hash = data_hash;
    o.password_key_bits = pw_bits;
    o.password_hash = pw_hash;
    o.spin_count = 3;
    o.require_ooxml = false;
    Bytes enc = encrypt_bytes(plain, "pw", o);
    auto d = describe(MemorySource(enc));
    EXPECT_EQ(d.key_bits, data_bits);
    ASSERT_EQ(d.key_encryptors.size(), 1u);
    EXPECT_EQ(d.key_encryptors[0].key_bits, pw_bits);
    EXPECT_EQ(d.key_encryptors[0].hash, pw_hash == crypto::HashAlg::sha1 ? "SHA1" : "SHA512");
    EXPECT_EQ(decrypt_bytes(enc, "pw"), plain);
    EXPECT_EQ(error_of([&] { decrypt_bytes(enc, "pW"); }), Errc::wrong_password);
  }
}

TEST(OfficeRoundTrip, DefaultsAreAes256Sha512With100kSpins) {
  Bytes zip = read_all(test::shared_dir() / "corpus/office/expected/msoffcrypto__example.docx");
  Bytes enc = encrypt_bytes(zip, "secret", {});
  auto d = describe(MemorySource(enc));
  EXPECT_EQ(d.scheme, Scheme::agile);
  EXPECT_EQ(d.key_bits, 256u);
  EXPECT_EQ(d.hash, "SHA512");
  EXPECT_TRUE(d.data_integrity);
  ASSERT_EQ(d.key_encryptors.size(), 1u);
  EXPECT_EQ(d.key_encryptors[0].spin_count, 100000u);
  EXPECT_EQ(d.key_encryptors[0].salt_size, 16u);
  EXPECT_EQ(decrypt_bytes(enc, "secret"), zip);
  // All six streams are present.
  MemorySource src(enc);
  cfb::Reader r(src);
  int streams = 0;
  for (const auto& e : r.entries()) streams += e.type == cfb::EntryType::stream;
  EXPECT_EQ(streams, 6);
}

TEST(OfficeRoundTrip, PasswordsAreUnicodeAndLimited) {
  Bytes plain = {'P', 'K', 3, 4, 1, 2, 3};
  EncryptOptions o;
  o.spin_count = 1;
  const std::string pw =
      "\xc3\xa6\xc3\xb8\xc3\xa5 \xf0\x9f\x94\x91 S\xc2\xaaSL\xc2\xadprep";  // æøå 🔑 …
  Bytes enc = encrypt_bytes(plain, pw, o);
  EXPECT_EQ(decrypt_bytes(enc, pw), plain);
  EXPECT_EQ(error_of([&] { decrypt_bytes(enc, "\xc3\xa6\xc3\xb8\xc3\xa5"); }),
            Errc::wrong_password);
  EXPECT_EQ(error_of([&] { encrypt_bytes(plain, "", o); }), Errc::invalid_argument);
  EXPECT_EQ(error_of([&] { encrypt_bytes(plain, std::string(256, 'x'), o); }),
            Errc::invalid_argument);
  EXPECT_NO_THROW(encrypt_bytes(plain, std::string(255, 'x'), o));
  EXPECT_EQ(error_of([&] { encrypt_bytes(plain, "\xff\xfe", o); }), Errc::invalid_argument);
  // UTF-16 surrogate pair: 🔑 is two code units.
  EXPECT_EQ(password_utf16le("\xf0\x9f\x94\x91").size(), 4u);
  // Non-ZIP input is refused unless asked for; an encrypted file cannot be encrypted again.
  EncryptOptions strict;
  EXPECT_EQ(error_of([&] { encrypt_bytes(Bytes{1, 2, 3}, "pw", strict); }), Errc::bad_format);
  EXPECT_EQ(error_of([&] { encrypt_bytes(enc, "pw", strict); }), Errc::bad_format);
}

// ---- tampering --------------------------------------------------------------------------------

// Rewrites a compound file, letting `edit` change any stream.
Bytes rewrite(const Bytes& file, const std::function<void(const std::string&, Bytes&)>& edit) {
  MemorySource src(file);
  cfb::Reader r(src);
  cfb::Writer w;
  for (const auto& e : r.entries()) {
    if (e.type != cfb::EntryType::stream) continue;
    Bytes data = r.read_stream(e, 1u << 30);
    edit(e.path, data);
    w.add_stream(e.path, data);
  }
  Bytes out;
  MemorySink sink(out);
  w.write(sink);
  return out;
}

std::string info_xml(const Bytes& info) {
  return std::string(info.begin() + 8, info.end());
}
void set_xml(Bytes& info, const std::string& xml) {
  info.resize(8);
  info.insert(info.end(), xml.begin(), xml.end());
}
// Changes one base64 character of attribute `attr` to another valid one.
void flip_attr(Bytes& info, const std::string& attr) {
  std::string xml = info_xml(info);
  auto p = xml.find(attr + "=\"");
  ASSERT_NE(p, std::string::npos) << attr;
  char& c = xml[p + attr.size() + 3];
  c = c == 'A' ? 'B' : 'A';
  set_xml(info, xml);
}

// Random bytes of `size`, Agile-encrypted with password "pw" and a cheap KDF (tamper tests).
struct AgileSample {
  Bytes plain, enc;
};
AgileSample agile_sample(std::size_t size, unsigned seed) {
  AgileSample s;
  s.plain.resize(size);
  std::mt19937 rng(seed);
  for (auto& x : s.plain) x = static_cast<std::uint8_t>(rng());
  EncryptOptions o;
  o.spin_count = 5;
  o.require_ooxml = false;
  s.enc = encrypt_bytes(s.plain, "pw", o);
  return s;
}

TEST(OfficeTamper, AgileErrorsAreDistinct) {
  const AgileSample sample = agile_sample(10000, 3);
  const Bytes &plain = sample.plain, &enc = sample.enc;
  ASSERT_EQ(decrypt_bytes(enc, "pw"), plain);

  auto expect = [&](Errc want, const char* what,
                    const std::function<void(const std::string&, Bytes&)>& edit) {
    Bytes bad = rewrite(enc, edit);
    EXPECT_EQ(error_of([&] { decrypt_bytes(bad, "pw"); }), want) << what;
  };
  for (std::size_t pos : {std::size_t{8}, std::size_t{100}, std::size_t{5000}, std::size_t{10007}})
    expect(Errc::integrity, "ciphertext byte", [&](const std::string& p, Bytes& d) {
      if (p == "EncryptedPackage") d[pos] ^= 0x01;
    });
  expect(Errc::integrity, "size prefix", [](const std::string& p, Bytes& d) {
    if (p == "EncryptedPackage") d[0] ^= 0x01;
  });
  expect(Errc::integrity, "extra trailing byte", [](const std::string& p, Bytes& d) {
    if (p == "EncryptedPackage") d.push_back(0);
  });
  expect(Errc::integrity, "HMAC value", [](const std::string& p, Bytes& d) {
    if (p == "EncryptionInfo") flip_attr(d, "encryptedHmacValue");
  });
  expect(Errc::integrity, "HMAC key", [](const std::string& p, Bytes& d) {
    if (p == "EncryptionInfo") flip_attr(d, "encryptedHmacKey");
  });
  expect(Errc::wrong_password, "verifier value", [](const std::string& p, Bytes& d) {
    if (p == "EncryptionInfo") flip_attr(d, "encryptedVerifierHashValue");
  });
  expect(Errc::integrity, "truncated package", [](const std::string& p, Bytes& d) {
    if (p == "EncryptedPackage") d.resize(4000);
  });
  expect(Errc::integrity, "size prefix past the data", [](const std::string& p, Bytes& d) {
    if (p == "EncryptedPackage") d[2] ^= 0x40;
  });
  expect(Errc::bad_format, "EncryptionInfo garbage", [](const std::string& p, Bytes& d) {
    if (p == "EncryptionInfo") set_xml(d, "<encryption><keyData/>");
  });
  expect(Errc::bad_format, "huge spin count", [](const std::string& p, Bytes& d) {
    if (p != "EncryptionInfo") return;
    std::string x = info_xml(d);
    auto at = x.find("spinCount=\"5\"");
    x.replace(at, 13, "spinCount=\"99999999\"");
    set_xml(d, x);
  });
  expect(Errc::unsupported, "RC2 cipher", [](const std::string& p, Bytes& d) {
    if (p != "EncryptionInfo") return;
    std::string x = info_xml(d);
    auto at = x.find("cipherAlgorithm=\"AES\"");
    x.replace(at, 21, "cipherAlgorithm=\"RC2\"");
    set_xml(d, x);
  });
  expect(Errc::bad_format, "no EncryptionInfo", [](const std::string& p, Bytes& d) {
    if (p == "EncryptionInfo") d.clear();
  });
  // Streams missing entirely: not an encrypted Office file.
  Bytes plain_cfb;
  {
    cfb::Writer w;
    w.add_stream("Other", Bytes{1});
    MemorySink s(plain_cfb);
    w.write(s);
  }
  EXPECT_EQ(error_of([&] { decrypt_bytes(plain_cfb, "pw"); }), Errc::bad_format);
}

// verify_integrity = false (msoffcrypto-tool's behaviour) skips the HMAC: an altered
// ciphertext block then decrypts to altered bytes (CBC: that block garbled, one bit of the next
// flipped) instead of failing, and the result says the check did not run.
TEST(OfficeTamper, SkippingTheIntegrityCheckIsExplicitAndReported) {
  const AgileSample sample = agile_sample(3 * 4096 + 77, 9);
  const Bytes &plain = sample.plain, &enc = sample.enc;
  const std::size_t pos = 8 + 4096 + 32 + 3;  // byte 3 of block 2 of segment 1
  Bytes bad = rewrite(enc, [&](const std::string& p, Bytes& d) {
    if (p == "EncryptedPackage") d[pos] ^= 0x01;
  });
  EXPECT_EQ(error_of([&] { decrypt_bytes(bad, "pw"); }), Errc::integrity);

  DecryptOptions skip;
  skip.verify_integrity = false;
  Bytes out;
  MemorySink sink(out);
  DecryptResult r = decrypt(MemorySource(bad), sink, "pw", skip);
  EXPECT_FALSE(r.integrity_verified);
  ASSERT_EQ(out.size(), plain.size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < plain.size(); ++i) differing += out[i] != plain[i];
  const std::size_t blk = 4096 + 32;  // plaintext offset of the altered block
  EXPECT_GE(differing, 2u);
  EXPECT_LE(differing, 17u);
  EXPECT_EQ(out[blk + 16 + 3], plain[blk + 16 + 3] ^ 0x01);  // the CBC bit flip in the next block
  EXPECT_TRUE(std::equal(out.begin(), out.begin() + blk, plain.begin()));
  EXPECT_TRUE(std::equal(out.begin() + blk + 32, out.end(), plain.begin() + blk + 32));

  // The untampered file decrypts identically either way, and only the default says "verified".
  Bytes clean;
  MemorySink clean_sink(clean);
  EXPECT_FALSE(decrypt(MemorySource(enc), clean_sink, "pw", skip).integrity_verified);
  EXPECT_EQ(clean, plain);
  Bytes checked;
  MemorySink checked_sink(checked);
  EXPECT_TRUE(decrypt(MemorySource(enc), checked_sink, "pw").integrity_verified);
  // A wrong password is still a wrong password.
  EXPECT_EQ(error_of([&] { decrypt_bytes(enc, "nope", skip); }), Errc::wrong_password);
}

TEST(OfficeTamper, StandardHasNoIntegrityButWrongPasswordIsCaught) {
  Bytes plain(5000, 0x42);
  EncryptOptions o;
  o.method = Method::standard;
  o.require_ooxml = false;
  Bytes enc = encrypt_bytes(plain, "pw", o);
  EXPECT_EQ(error_of([&] { decrypt_bytes(enc, "PW"); }), Errc::wrong_password);
  Bytes cut = rewrite(enc, [](const std::string& p, Bytes& d) {
    if (p == "EncryptedPackage") d.resize(4000);
  });
  EXPECT_EQ(error_of([&] { decrypt_bytes(cut, "pw"); }), Errc::bad_format);
  Bytes bad = rewrite(enc, [](const std::string& p, Bytes& d) {
    if (p == "EncryptedPackage") d[100] ^= 1;
  });
  // §2.3.4.9: Standard encryption cannot detect this; the output differs in one block only.
  Bytes out = decrypt_bytes(bad, "pw");
  ASSERT_EQ(out.size(), plain.size());
  EXPECT_NE(out, plain);
}

TEST(OfficeFiles, FailedDecryptLeavesNoOutputFile) {
  Bytes zip = read_all(test::shared_dir() / "corpus/office/expected/msoffcrypto__example.docx");
  EncryptOptions o;
  o.spin_count = 1;
  auto dir = fs::temp_directory_path() / ("openrms-office-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "in.docx", std::ios::binary)
        .write(reinterpret_cast<const char*>(zip.data()), static_cast<std::streamsize>(zip.size()));
  }
  encrypt_file(dir / "in.docx", dir / "enc.docx", "pw", o);
  EXPECT_EQ(error_of([&] { decrypt_file(dir / "enc.docx", dir / "out.docx", "wrong"); }),
            Errc::wrong_password);
  Bytes tampered = rewrite(read_all(dir / "enc.docx"), [](const std::string& p, Bytes& d) {
    if (p == "EncryptedPackage") d[d.size() / 2] ^= 1;
  });
  {
    std::ofstream(dir / "bad.docx", std::ios::binary)
        .write(reinterpret_cast<const char*>(tampered.data()),
               static_cast<std::streamsize>(tampered.size()));
  }
  EXPECT_EQ(error_of([&] { decrypt_file(dir / "bad.docx", dir / "out.docx", "pw"); }),
            Errc::integrity);
  EXPECT_FALSE(fs::exists(dir / "out.docx"));
  for (const auto& f : fs::directory_iterator(dir))
    EXPECT_EQ(f.path().filename().string().find(".openrms-tmp-"), std::string::npos) << f.path();
  decrypt_file(dir / "enc.docx", dir / "out.docx", "pw");
  EXPECT_EQ(read_all(dir / "out.docx"), zip);
  fs::remove_all(dir);
}

TEST(OfficeDetect, PlainPackagesAndOtherFiles) {
  Bytes zip = read_all(test::shared_dir() / "corpus/office/expected/msoffcrypto__example.docx");
  Detection d = detect(MemorySource(zip));
  EXPECT_EQ(d.container, Container::ooxml);
  EXPECT_EQ(d.application, "Word");
  EXPECT_FALSE(d.encrypted());
  Bytes xlsx = read_all(test::shared_dir() / "corpus/office/expected/msoffcrypto__example.xlsx");
  EXPECT_EQ(detect(MemorySource(xlsx)).application, "Excel");
  EXPECT_EQ(detect(MemorySource(Bytes{'%', 'P', 'D', 'F', '-', '1', '.', '7'})).container,
            Container::not_office);
  EXPECT_EQ(detect(MemorySource(Bytes{})).container, Container::not_office);
  Bytes enc = encrypt_bytes(zip, "x", [] {
    EncryptOptions o;
    o.spin_count = 1;
    return o;
  }());
  d = detect(MemorySource(enc));
  EXPECT_EQ(d.container, Container::ooxml_encrypted);
  EXPECT_EQ(d.scheme, Scheme::agile);
}

// Security review 10: the KDF work of one password try is bounded for the whole file.
TEST(OfficeHostile, SpinWorkIsBoundedPerFileNotPerEncryptor) {
  // 64 key encryptors of 10,000,000 spins each (111 s of CPU per try before the fix).
  fs::path hostile = test::shared_dir() / "hostile" / "office_spins_64.docx";
  ASSERT_TRUE(fs::exists(hostile)) << hostile;
  FileSource src(hostile);
  for (std::optional<std::string_view> pw :
       {std::optional<std::string_view>("secret"), std::optional<std::string_view>()}) {
    Bytes out;
    MemorySink sink(out);
    EXPECT_EQ(error_of([&] { decrypt(src, sink, pw); }), Errc::unsupported);
    EXPECT_TRUE(out.empty());
  }
}

TEST(OfficeHostile, TheDefaultPasswordIsNotTriedOnAnExpensiveFile) {
  Bytes plain(1000, 0x41);
  EncryptOptions o;
  o.require_ooxml = false;
  o.spin_count = 1'000'001;
  Bytes enc = encrypt_bytes(plain, "VelvetSweatshop", o);
  EXPECT_EQ(error_of([&] { decrypt_bytes(enc, std::nullopt); }), Errc::wrong_password);
  EXPECT_EQ(decrypt_bytes(enc, "VelvetSweatshop"), plain);
}

}  // namespace
}  // namespace openrms::formats::office
