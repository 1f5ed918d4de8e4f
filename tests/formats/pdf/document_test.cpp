// PDF object engine: lexer/parser cases, xref tables and streams (with PNG predictors), object
// streams, incremental updates, repair of broken xrefs, lying /Length, and hostile input
// (nesting, /Prev loops, huge counts, truncation at every length) — each with a typed outcome.
#include "document.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include "crypto/test_support.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/pdf/pdf_crypto.hpp"
#include "parser.hpp"
#include "pdf_test_util.hpp"

namespace openrms::formats::pdf {
namespace {

using test::PdfBuilder;

MemorySource src_of(const std::string& s) {
  return MemorySource(ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

Object parse(std::string_view text) {
  Parser p(text, 0, true);
  return p.parse_object();
}

std::string ser(const Object& o) {
  std::string s;
  serialize(o, s);
  return s;
}

std::string zlib(const std::string& in) {
  uLongf n = compressBound(static_cast<uLong>(in.size()));
  std::string out(n, '\0');
  compress2(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(in.data()),
            static_cast<uLong>(in.size()), 9);
  out.resize(n);
  return out;
}

using openrms::test::error_of;

TEST(PdfParser, ObjectsOfEveryType) {
  EXPECT_EQ(
      ser(parse("<< /A 1 /B -2.50 /C (x\\(y\\)\\101\\n) /D <48 65 6c6C 6> /E [true false null] "
                "/F 12 0 R /G#20H /x /I .5 >>")),
      "<</A 1 /B -2.50 /C (x\\(y\\)A\\n) /D <48656c6c60> /E [true false null] /F 12 0 R "
      "/G#20H /x /I .5>>");
  // Literal string rules of §7.3.4.2: balanced parentheses, CR/CRLF → LF, line continuation.
  EXPECT_EQ(parse("(a(b)c\r\nd\\\ne)").as_string()->bytes, "a(b)c\nde");
  EXPECT_EQ(parse("(\\0053)").as_string()->bytes,
            "\x05"
            "3");
  // "1 0" is two integers unless followed by R.
  Parser p("[1 0 2 0 R 3]", 0, true);
  Object a = p.parse_object();
  ASSERT_EQ(a.as_array()->size(), 4u);
  EXPECT_TRUE(a.as_array()->at(2).as_ref());
  EXPECT_EQ(ser(parse("<</K>>")), "<</K null>>");  // key without value: null
}

TEST(PdfParser, HostileNestingIsAFormatError) {
  std::string deep(100000, '[');
  EXPECT_EQ(error_of([&] { parse(deep); }), Errc::bad_format);
  std::string dicts;
  for (int i = 0; i < 5000; ++i) dicts += "<</A ";
  EXPECT_EQ(error_of([&] { parse(dicts); }), Errc::bad_format);
  EXPECT_EQ(error_of([&] { parse("(unterminated"); }), Errc::bad_format);
  EXPECT_EQ(error_of([&] { parse("<</A 1 /B"); }), Errc::bad_format);
  EXPECT_EQ(error_of([&] { parse("<4g>"); }), Errc::bad_format);
}

TEST(PdfParser, WindowsAskForMoreInsteadOfFailing) {
  Parser p("<</A (abc", 0, false);
  EXPECT_THROW(p.parse_object(), NeedMore);
  // A reference cut at the window's end is not mistaken for an integer.
  for (std::string_view cut : {"[1 0 R", "[1 0", "[1 "}) {
    Parser q(cut, 0, false);
    EXPECT_THROW(q.parse_object(), NeedMore) << cut;
  }
  Parser r("1 0 R", 0, true);
  EXPECT_TRUE(r.parse_object().as_ref());
}

TEST(PdfDocument, IncrementalUpdateNewestRevisionWins) {
  PdfBuilder b = test::sample_document("first revision");
  std::string base = b.build();
  // Append an update replacing object 4 (the content) and adding object 9.
  std::size_t prev = std::stoul(base.substr(base.rfind("startxref") + 10));
  std::string upd = base;
  std::size_t o4 = upd.size();
  std::string data = "BT (second revision) Tj ET";
  upd += "4 0 obj\n<</Length " + std::to_string(data.size()) + ">>\nstream\n" + data +
         "\nendstream\nendobj\n";
  std::size_t o9 = upd.size();
  upd += "9 0 obj\n(new object)\nendobj\n";
  std::size_t x = upd.size();
  char l1[32], l2[32];
  std::snprintf(l1, sizeof l1, "%010zu 00000 n\r\n", o4);
  std::snprintf(l2, sizeof l2, "%010zu 00000 n\r\n", o9);
  upd += std::string("xref\n4 1\n") + l1 + "9 1\n" + l2 + "trailer\n<</Size 10 /Root 1 0 R /Prev " +
         std::to_string(prev) + ">>\nstartxref\n" + std::to_string(x) + "\n%%EOF\n";
  MemorySource src = src_of(upd);
  Document doc(src);
  EXPECT_FALSE(doc.repaired());
  IndirectObject c = doc.load(4);
  EXPECT_EQ(doc.read_stream_raw(c, 1000), data);
  EXPECT_EQ(doc.load(9).value.as_string()->bytes, "new object");
  EXPECT_TRUE(doc.trailer().get("Info"));  // inherited from the older trailer
  EXPECT_EQ(doc.object_numbers().size(), 8u);
}

TEST(PdfDocument, XrefStreamWithPredictorAndObjectStream) {
  // Objects 2 and 3 live in object stream 5; the xref stream (object 6) uses PNG Up, /W [1 2 1].
  std::string body;
  std::string o2 = "<</Type /Pages /Kids [3 0 R] /Count 1>>";
  std::string o3 = "<</Type /Page /Parent 2 0 R /MediaBox [0 0 10 10]>>";
  std::string header = "2 0 3 " + std::to_string(o2.size() + 1) + " ";
  std::string objs = header + o2 + " " + o3;
  std::string out = "%PDF-1.5\n";
  std::size_t off1 = out.size();
  out += "1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n";
  std::size_t off5 = out.size();
  std::string z = zlib(objs);
  out += "5 0 obj\n<</Type /ObjStm /N 2 /First " + std::to_string(header.size()) +
         " /Filter /FlateDecode /Length " + std::to_string(z.size()) + ">>\nstream\n" + z +
         "\nendstream\nendobj\n";
  std::size_t off6 = out.size();
  // Rows: type, offset/objstm (2 bytes), gen/index (1 byte).
  std::vector<std::array<int, 4>> rows = {{0, 0, 0, 255},
                                          {1, int(off1 >> 8), int(off1 & 255), 0},
                                          {2, 0, 5, 0},
                                          {2, 0, 5, 1},
                                          {0, 0, 0, 0},
                                          {1, int(off5 >> 8), int(off5 & 255), 0},
                                          {1, int(off6 >> 8), int(off6 & 255), 0}};
  std::string raw;
  std::array<int, 4> prev{0, 0, 0, 0};
  for (const auto& r : rows) {
    raw.push_back(2);  // PNG "Up"
    for (int k = 0; k < 4; ++k) raw.push_back(static_cast<char>((r[k] - prev[k]) & 255));
    prev = r;
  }
  std::string zx = zlib(raw);
  out +=
      "6 0 obj\n<</Type /XRef /Size 7 /W [1 2 1] /Root 1 0 R /Filter /FlateDecode "
      "/DecodeParms <</Predictor 12 /Columns 4>> /Length " +
      std::to_string(zx.size()) + ">>\nstream\n" + zx + "\nendstream\nendobj\nstartxref\n" +
      std::to_string(off6) + "\n%%EOF\n";
  MemorySource src = src_of(out);
  Document doc(src);
  EXPECT_FALSE(doc.repaired());
  EXPECT_TRUE(doc.has_xref_streams());
  EXPECT_EQ(doc.xref().at(3).type, 2);
  EXPECT_EQ(ser(doc.load(3).value), "<</Type /Page /Parent 2 0 R /MediaBox [0 0 10 10]>>");
  EXPECT_EQ(ser(doc.load(2).value), "<</Type /Pages /Kids [3 0 R] /Count 1>>");
  // Rewriting keeps the object stream and writes an xref stream; encrypting and decrypting it
  // gives the same objects.
  EncryptOptions eo;
  eo.user_password = "pw";
  Bytes enc;
  MemorySink es(enc);
  encrypt(src, es, eo);
  std::string encs(enc.begin(), enc.end());
  EXPECT_EQ(encs.find("/Type /Pages"), std::string::npos);  // inside the encrypted ObjStm
  MemorySource esrc = src_of(encs);
  Bytes dec;
  MemorySink ds(dec);
  decrypt(esrc, ds, std::string_view("pw"));
  std::string decs(dec.begin(), dec.end());
  MemorySource dsrc = src_of(decs);
  Document back(dsrc);
  EXPECT_EQ(ser(back.load(3).value), ser(doc.load(3).value));
  std::string catalog = ser(back.load(1).value);
  catalog.erase(catalog.find(test::kAes256Extension), test::kAes256Extension.size());
  EXPECT_EQ(catalog, ser(doc.load(1).value));
}

TEST(PdfDocument, FailedDecodesCountAgainstTheDocumentBudget) {
  // A damaged file (no usable xref) with ten object streams, each inflating past the
  // per-stream limit. Indexing them after the repair tries each once; the failed attempts must
  // use up the document's decoding budget, or N such streams cost N full decodes.
  constexpr int kStreams = 10;
  const std::string z = zlib("2 0 " + std::string(3u << 20, ' '));
  PdfBuilder b;
  b.add(1, "<</Type /Catalog /Pages 2 0 R>>");
  for (int i = 0; i < kStreams; ++i)
    b.add(10 + i, "<</Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length " +
                      std::to_string(z.size()) + ">>\nstream\n" + z + "\nendstream");
  std::string pdf = b.build(1);
  const std::size_t sx = pdf.rfind("startxref\n") + 10;
  pdf.replace(sx, pdf.find('\n', sx) - sx, "1");  // point startxref at nothing
  DocumentLimits lim;
  lim.max_decoded_stream = 1u << 20;
  lim.max_decoded_total = 2u << 20;
  MemorySource src = src_of(pdf);
  Document doc(src, lim);
  doc.index_object_streams();
  ASSERT_TRUE(doc.repaired());
  const std::uint64_t budget = lim.max_decoded_total + 32 * static_cast<std::uint64_t>(pdf.size());
  ASSERT_LT(budget, kStreams * lim.max_decoded_stream);
  // The last attempt may start just under the budget and run to the per-stream limit.
  EXPECT_GE(doc.decoded_bytes(), budget);
  EXPECT_LE(doc.decoded_bytes(), budget + lim.max_decoded_stream);
}

TEST(PdfDocument, HybridFileReadsTheXRefStmEntries) {
  // A classic table for the ordinary objects; its trailer's /XRefStm points at an xref stream
  // that lists objects 2 and 3, which live in object stream 5 (§7.5.8.4). Readers that ignore
  // /XRefStm see only the table (where 2 and 3 are missing).
  std::string o2 = "<</Type /Pages /Kids [3 0 R] /Count 1>>";
  std::string o3 = "<</Type /Page /Parent 2 0 R /MediaBox [0 0 20 20]>>";
  std::string header = "2 0 3 " + std::to_string(o2.size() + 1) + " ";
  std::string z = zlib(header + o2 + " " + o3);
  std::string out = "%PDF-1.5\n";
  std::size_t off1 = out.size();
  out += "1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n";
  std::size_t off5 = out.size();
  out += "5 0 obj\n<</Type /ObjStm /N 2 /First " + std::to_string(header.size()) +
         " /Filter /FlateDecode /Length " + std::to_string(z.size()) + ">>\nstream\n" + z +
         "\nendstream\nendobj\n";
  std::size_t off6 = out.size();
  std::string rows;
  for (int i = 0; i < 2; ++i) {  // objects 2 and 3: type 2, in stream 5, index i
    rows.push_back(2);
    rows.push_back(0);
    rows.push_back(5);
    rows.push_back(static_cast<char>(i));
  }
  out += "6 0 obj\n<</Type /XRef /Size 7 /Index [2 2] /W [1 2 1] /Length " +
         std::to_string(rows.size()) + ">>\nstream\n" + rows + "\nendstream\nendobj\n";
  std::size_t x = out.size();
  char line[32];
  // The table has no entries for 2–4 (as Word's hybrid files): subsections 0–1 and 5–6.
  out += "xref\n0 2\n0000000000 65535 f\r\n";
  std::snprintf(line, sizeof line, "%010zu 00000 n\r\n", off1);
  out += line;
  out += "5 2\n";
  std::snprintf(line, sizeof line, "%010zu 00000 n\r\n", off5);
  out += line;
  std::snprintf(line, sizeof line, "%010zu 00000 n\r\n", off6);
  out += line;
  out += "trailer\n<</Size 7 /Root 1 0 R /XRefStm " + std::to_string(off6) + ">>\nstartxref\n" +
         std::to_string(x) + "\n%%EOF\n";
  MemorySource src = src_of(out);
  Document doc(src);
  EXPECT_FALSE(doc.repaired());
  ASSERT_EQ(doc.xref().count(3), 1u);
  EXPECT_EQ(doc.xref().at(3).type, 2);
  EXPECT_EQ(ser(doc.load(3).value), "<</Type /Page /Parent 2 0 R /MediaBox [0 0 20 20]>>");
  EXPECT_EQ(ser(doc.load(2).value), o2);
}

TEST(PdfDocument, BrokenXrefIsRebuiltByScanning) {
  std::string good = test::sample_document().build();
  // Shift every object by inserting bytes after the header: all xref offsets are now wrong.
  std::string shifted = good;
  shifted.insert(shifted.find("1 0 obj"), "% some junk inserted by a broken tool\n");
  MemorySource src = src_of(shifted);
  Document doc(src);
  doc.validate_offsets();
  EXPECT_TRUE(doc.repaired());
  EXPECT_EQ(test::object_map(shifted), test::object_map(good));
  // No startxref at all.
  std::string cut = good.substr(0, good.find("xref\n0"));
  MemorySource src2 = src_of(cut);
  Document d2(src2);
  EXPECT_TRUE(d2.repaired());
  EXPECT_EQ(d2.object_numbers().size(), 7u);
  EXPECT_TRUE(d2.trailer().get("Root"));  // found by /Type /Catalog
}

TEST(PdfDocument, LyingStreamLengthIsCorrected) {
  PdfBuilder b;
  b.add(1, "<</Type /Catalog>>");
  b.add(2, "<</Length 5>>\nstream\n0123456789\nendstream");
  b.add(3, "<</Length 99999>>\nstream\nabc\r\nendstream");
  b.add(4, "<</Length 4 0 R>>\nstream\nxyz\nendstream");  // refers to itself
  const std::string file = b.build();
  MemorySource src = src_of(file);
  Document doc(src);
  EXPECT_EQ(doc.read_stream_raw(doc.load(2), 100), "0123456789");
  EXPECT_EQ(doc.read_stream_raw(doc.load(3), 100), "abc");
  EXPECT_EQ(doc.read_stream_raw(doc.load(4), 100), "xyz");
}

TEST(PdfDocument, HostileStructures) {
  // /Prev pointing at itself.
  std::string loop = test::sample_document().build();
  std::size_t sx = loop.rfind("startxref");
  std::string xoff = loop.substr(sx + 10, loop.find('\n', sx + 10) - sx - 10);
  std::size_t tr = loop.rfind("trailer\n<<");
  loop.insert(tr + 10, "/Prev " + xoff + " ");
  // (the insertion moves startxref's target? no: the xref table is before the trailer)
  MemorySource s1 = src_of(loop);
  EXPECT_NO_THROW({ Document d(s1); });
  // A subsection claiming a billion entries.
  std::string huge = test::sample_document().build();
  std::size_t xr = huge.rfind("xref\n0 ");
  huge.replace(xr, 7 + std::to_string(8).size(), "xref\n0 1000000000");
  MemorySource s2 = src_of(huge);
  EXPECT_NO_THROW({
    Document d(s2);
    EXPECT_TRUE(d.repaired());
  });
  // Not a PDF.
  const std::string not_pdf = "hello world";
  MemorySource s3 = src_of(not_pdf);
  EXPECT_EQ(error_of([&] { Document d(s3); }), Errc::bad_format);
  // A reference chain loop: 1 -> 2 -> 1.
  PdfBuilder b;
  b.add(1, "2 0 R");
  b.add(2, "1 0 R");
  b.add(3, "<</Type /Catalog>>");
  std::string l = b.build(3);
  MemorySource s4 = src_of(l);
  Document d4(s4);
  EXPECT_TRUE(d4.resolve(make_ref(Ref{1, 0})).is_null());
}

TEST(PdfDocument, TruncationAtEveryLengthFailsCleanly) {
  EncryptOptions eo;
  eo.user_password = "pw";
  std::string plain = test::sample_document().build();
  MemorySource ps = src_of(plain);
  Bytes enc;
  MemorySink es(enc);
  encrypt(ps, es, eo);
  std::string full(enc.begin(), enc.end());
  int ok = 0, failed = 0;
  for (std::size_t n = 0; n < full.size(); n += 7) {
    std::string cut = full.substr(0, n);
    MemorySource s = src_of(cut);
    Bytes out;
    MemorySink sink(out);
    try {
      decrypt(s, sink, std::string_view("pw"));
      ++ok;
    } catch (const Error& e) {
      EXPECT_TRUE(e.code() == Errc::bad_format || e.code() == Errc::wrong_password)
          << n << ": " << e.what();
      ++failed;
    }
  }
  EXPECT_GT(failed, 0);
}

}  // namespace
}  // namespace openrms::formats::pdf
