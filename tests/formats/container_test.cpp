// The container interface: one detection and one parse per open (counted on the source), typed
// key derivation checked against HKDF computed here, every kind through the same reader and
// writer calls, and the backend choice reaching the formats.
#include "openrms/formats/container.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <random>

#include "crypto/test_support.hpp"
#include "irm_opened.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/cfb/compound_file.hpp"
#include "openrms/formats/office/irm.hpp"
#include "pdf/pdf_test_util.hpp"

namespace openrms::formats {
namespace {

using crypto::Bytes;

const Bytes kKey(32, 0x42);
const std::string kLicense = "<PublishingLicense>placeholder</PublishingLicense>";

std::string shared(const std::string& rel) {
  return std::string(OPENRMS_SHARED_DIR) + "/" + rel;
}

// Counts how often the 512-byte compound-file header at offset 0 is read: one per parse.
class CountingSource final : public ByteSource {
 public:
  explicit CountingSource(ByteView b) : inner_(b) {}
  std::uint64_t size() const noexcept override { return inner_.size(); }
  void read_at(std::uint64_t off, MutableByteView out) const override {
    if (off == 0 && out.size() == 512) ++header_reads;  // the header alone, not a MAC pass
    inner_.read_at(off, out);
  }
  ByteView memory() const noexcept override { return inner_.memory(); }
  mutable std::atomic<int> header_reads{0};

 private:
  MemorySource inner_;
};

Bytes protect(ContainerKind kind, ByteView plain, const std::string& name,
              const crypto::Backend* be = nullptr) {
  Bytes out;
  MemorySink sink(out);
  ContainerOptions o;
  o.segments.backend = be;
  WriteContext ctx;
  ctx.name = name;
  writer_for(kind, o)->write(MemorySource(plain), sink, kLicense, ContentKey(kKey), ctx);
  return out;
}

Bytes unprotect(ByteView file, const crypto::Backend* be = nullptr) {
  ContainerOptions o;
  o.segments.backend = be;
  MemorySource src(file);
  auto r = open_container(src, o);
  Bytes out;
  MemorySink sink(out);
  r->decrypt(sink, ContentKey(kKey));
  return out;
}

TEST(Container, BinaryOfficeIrmIsParsedOnceToOpenInspectAndDecrypt) {
  const Bytes xls = read_file(shared("corpus/office/msoffcrypto__plain.xls"));
  const Bytes prot = protect(ContainerKind::office_irm, xls, "plain.xls");
  CountingSource src(prot);
  EXPECT_EQ(detect_container(src), ContainerKind::office_irm);
  src.header_reads = 0;
  auto r = open_container(src);
  EXPECT_EQ(r->kind(), ContainerKind::office_irm);
  EXPECT_EQ(r->license(), kLicense);
  EXPECT_TRUE(r->size().has_value());
  Bytes doc;
  MemorySink sink(doc);
  EXPECT_GT(r->decrypt(sink, ContentKey(kKey)), 0u);
  EXPECT_EQ(src.header_reads.load(), 1) << "the outer compound file was parsed more than once";
  // the counter sees parses: the per-call functions the reader replaces parse on every call
  src.header_reads = 0;
  (void)office::irm::read_info(src);
  Bytes again;
  MemorySink again_sink(again);
  office::irm::decrypt_binary_document(
      src, again_sink,
      ContentKey(kKey).derive(ContentKey::Purpose::office_irm_aes128, crypto::default_backend()));
  EXPECT_GE(src.header_reads.load(), 2);
  EXPECT_EQ(again, doc);
  // the document that comes back is a compound file with the original's workbook stream
  MemorySource back(doc), orig(xls);
  cfb::Reader a(back), b(orig);
  ASSERT_TRUE(a.find("Workbook") && b.find("Workbook"));
  EXPECT_EQ(a.read_stream(*a.find("Workbook")), b.read_stream(*b.find("Workbook")));
}

// Files written before the inner compound file was the document itself hold its streams without
// the summary streams (those only at the root); they open as a rebuilt document with every stream.
TEST(Container, OlderBinaryIrmLayoutStillOpens) {
  const Bytes xls = read_file(shared("corpus/office/msoffcrypto__plain.xls"));
  MemorySource orig_src(xls);
  cfb::Reader orig(orig_src);
  auto is_summary = [](const cfb::Entry& e) {
    return e.parent == 0 && e.type == cfb::EntryType::stream && e.name[0] == '\x05';
  };
  cfb::Writer inner;
  for (const cfb::Entry& e : orig.entries()) {
    if (e.type == cfb::EntryType::root || is_summary(e)) continue;
    if (e.type == cfb::EntryType::storage) {
      inner.add_storage(e.path);
    } else {
      inner.add_stream(e.path, orig.read_stream(e));
    }
  }
  Bytes plain, prot;
  MemorySink ps(plain), out(prot);
  inner.write(ps);
  office::irm::WriteOptions wo;
  wo.flavour = office::irm::Flavour::binary;
  wo.require_ooxml = false;
  for (const cfb::Entry& e : orig.entries())
    if (is_summary(e)) wo.extra_streams.emplace_back(e.name, orig.read_stream(e));
  ASSERT_FALSE(wo.extra_streams.empty());
  const auto key =
      ContentKey(kKey).derive(ContentKey::Purpose::office_irm_aes128, crypto::default_backend());
  office::irm::write(MemorySource(plain), out, kLicense, key, wo);
  const Bytes back = unprotect(prot);
  MemorySource bsrc(back);
  cfb::Reader restored(bsrc);
  for (const cfb::Entry& e : orig.entries()) {
    if (e.type != cfb::EntryType::stream) continue;
    const cfb::Entry* f = restored.find(e.path);
    ASSERT_TRUE(f) << e.path;
    EXPECT_EQ(restored.read_stream(*f), orig.read_stream(e)) << e.path;
  }
  // what openrms writes now comes back as the original bytes
  EXPECT_EQ(unprotect(protect(ContainerKind::office_irm, xls, "plain.xls")), xls);
}

// Office IRM integrity version 2: per-chunk tags over the package's ciphertext and a header MAC
// over everything else.
class IrmChunks : public ::testing::TestWithParam<const crypto::Backend*> {
 protected:
  static Bytes package(std::size_t n) {
    Bytes b(n);
    std::mt19937 rng(static_cast<unsigned>(n));
    for (auto& c : b) c = static_cast<std::uint8_t>(rng());
    b[0] = 'P', b[1] = 'K', b[2] = 3, b[3] = 4;
    return b;
  }
  Bytes write(ByteView plain, int version = 2) const {
    Bytes out;
    MemorySink sink(out);
    office::irm::WriteOptions wo;
    wo.backend = GetParam();
    wo.integrity_version = version;
    office::irm::write(MemorySource(plain), sink, kLicense, key(), wo);
    return out;
  }
  Errc refusal(ByteView file, Bytes* got = nullptr) const {
    Bytes out;
    MemorySink sink(out);
    office::irm::ReadOptions ro;
    ro.backend = GetParam();
    try {
      office::irm::decrypt(MemorySource(file), sink, key(), ro);
    } catch (const Error& e) {
      if (got) *got = out;
      return e.code();
    }
    if (got) *got = out;
    return Errc{};
  }
  static Bytes key() { return Bytes(16, 0x42); }
};

TEST_P(IrmChunks, RoundTripsAndRefusesEveryChange) {
  const Bytes plain = package((3u << 20) + 12345);  // four chunks, the last one short
  const Bytes f = write(plain);
  MemorySource src(f);
  const auto o = office::irm::internal::open(src);
  EXPECT_EQ(o.info.integrity_version, 2);
  ASSERT_EQ(o.chunks, 4u);
  Bytes back;
  EXPECT_EQ(refusal(f, &back), Errc{});
  EXPECT_EQ(back, plain);
  for (const auto* other : test::all_backends()) {  // the other backend reads it too
    Bytes out;
    MemorySink sink(out);
    office::irm::ReadOptions ro;
    ro.backend = other;
    office::irm::decrypt(src, sink, key(), ro);
    EXPECT_EQ(out, plain) << other->name();
  }
  const std::uint64_t ct = o.ct_offset, chunk = 1u << 20;
  ASSERT_GT(ct, 0u);
  // a byte in each chunk, the first 4 KiB of the file (header, integrity stream), the directory
  // and FAT after the package, and the last byte
  std::vector<std::uint64_t> at;
  for (std::uint64_t i = 0; i < 4; ++i) at.push_back(ct + i * chunk + 77);
  for (std::uint64_t p = 0; p < 4096; p += 61) at.push_back(p);
  for (std::uint64_t p = ct + o.ct_len; p < f.size(); p += 97) at.push_back(p);
  at.push_back(f.size() - 1);
  for (std::uint64_t p : at) {
    Bytes t = f;
    t[p] ^= 0x08;
    const Errc c = refusal(t);
    EXPECT_TRUE(c == Errc::integrity || c == Errc::bad_format) << "flip at " << p;
  }
  {  // two chunks swapped
    Bytes t = f;
    std::swap_ranges(t.begin() + static_cast<std::ptrdiff_t>(ct),
                     t.begin() + static_cast<std::ptrdiff_t>(ct + chunk),
                     t.begin() + static_cast<std::ptrdiff_t>(ct + chunk));
    EXPECT_EQ(refusal(t), Errc::integrity);
  }
  {  // a chunk from another file (another content key would differ anyway: same key here)
    const Bytes g = write(plain);
    Bytes t = f;
    std::copy(g.begin() + static_cast<std::ptrdiff_t>(ct + chunk),
              g.begin() + static_cast<std::ptrdiff_t>(ct + 2 * chunk),
              t.begin() + static_cast<std::ptrdiff_t>(ct + chunk));
    // ECB under the same key gives the same chunk: only a different plaintext can differ
    EXPECT_EQ(refusal(t), Errc{});
    const Bytes h = write(package((3u << 20) + 12346));
    std::copy(h.begin() + static_cast<std::ptrdiff_t>(ct + chunk),
              h.begin() + static_cast<std::ptrdiff_t>(ct + 2 * chunk),
              t.begin() + static_cast<std::ptrdiff_t>(ct + chunk));
    EXPECT_EQ(refusal(t), Errc::integrity);
  }
}

TEST_P(IrmChunks, RandomAccessVerifiesTheChunksItTouches) {
  const Bytes plain = package((5u << 20) + 777);
  Bytes f = write(plain);
  MemorySource src(f);
  const auto o = office::irm::internal::open(src);
  {
    office::irm::internal::ChunkReader r(o, src, key(), *GetParam());
    ASSERT_EQ(r.size(), plain.size());
    std::mt19937_64 rng(3);
    for (int i = 0; i < 60; ++i) {
      const std::uint64_t off = rng() % (plain.size() + 100);
      Bytes buf(rng() % (3u << 20) + 1);
      const std::size_t n = r.read_at(off, buf);
      ASSERT_EQ(n, off >= plain.size() ? 0 : std::min<std::size_t>(buf.size(), plain.size() - off));
      EXPECT_TRUE(std::equal(
          buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n),
          plain.begin() + static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(off, plain.size()))))
          << off;
    }
  }
  Bytes damaged = f;
  damaged[o.ct_offset + (2u << 20) + 9] ^= 1;  // chunk 2
  MemorySource dsrc(damaged);
  const auto od = office::irm::internal::open(dsrc);
  office::irm::internal::ChunkReader r(od, dsrc, key(), *GetParam());
  Bytes buf(1000);
  EXPECT_EQ(r.read_at(100, buf), 1000u);                  // chunk 0: fine
  EXPECT_EQ(r.read_at((4u << 20) + 5, buf), 1000u);       // chunk 4: fine
  EXPECT_THROW(r.read_at((2u << 20) + 500, buf), Error);  // chunk 2: refused, zeroed
  EXPECT_TRUE(std::all_of(buf.begin(), buf.end(), [](std::uint8_t b) { return b == 0; }));
  // a damaged header is refused when the reader is made
  Bytes bad_header = f;
  bad_header[700] ^= 1;
  MemorySource hsrc(bad_header);
  try {
    const auto oh = office::irm::internal::open(hsrc);
    office::irm::internal::ChunkReader rh(oh, hsrc, key(), *GetParam());
    ADD_FAILURE() << "a damaged header was accepted";
  } catch (const Error& e) {
    EXPECT_TRUE(e.code() == Errc::integrity || e.code() == Errc::bad_format);
  }
}

TEST_P(IrmChunks, OnlyVerifiedChunksReachAStreamingSink) {
  const Bytes plain = package((9u << 20) + 100);
  Bytes f = write(plain);
  MemorySource src(f);
  const auto o = office::irm::internal::open(src);
  f[o.ct_offset + (8u << 20) + 3] ^= 1;  // chunk 8: the third 4 MiB batch
  Bytes got;
  EXPECT_EQ(refusal(f, &got), Errc::integrity);
  EXPECT_EQ(got.size(), 8u << 20);  // the two batches before it, each verified
  EXPECT_TRUE(std::equal(got.begin(), got.end(), plain.begin()));
}

TEST_P(IrmChunks, VersionOneFilesStillOpenAndSmallPackagesWork) {
  for (std::size_t n :
       {std::size_t{4}, std::size_t{3000}, std::size_t{5000}, std::size_t{5u << 20}}) {
    const Bytes plain = package(n);
    for (int version : {1, 2}) {
      const Bytes f = write(plain, version);
      MemorySource src(f);
      EXPECT_EQ(office::irm::internal::open(src).info.integrity_version, version);
      Bytes back;
      EXPECT_EQ(refusal(f, &back), Errc{}) << n << " v" << version;
      EXPECT_EQ(back, plain);
      Bytes t = f;
      t[t.size() / 2] ^= 2;
      EXPECT_NE(refusal(t), Errc{}) << n << " v" << version;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, IrmChunks, ::testing::ValuesIn(test::all_backends()),
                         test::backend_name);

TEST(Container, EveryKindThroughTheSameCalls) {
  const Bytes docx = read_file(shared("corpus/office/expected/msoffcrypto__example.docx"));
  Bytes text(70000);
  std::mt19937 rng(5);
  for (auto& c : text) c = static_cast<std::uint8_t>(rng());
  struct Case {
    ContainerKind kind;
    const Bytes* plain;
    std::string name, output;
  };
  const std::string pdf_text = pdf::test::sample_document("Quarterly numbers").build();
  const Bytes pdf(pdf_text.begin(), pdf_text.end());
  for (const Case& c : {Case{ContainerKind::pfile, &text, "notes.txt", "notes.ptxt"},
                        Case{ContainerKind::office_irm, &docx, "r.docx", "r.docx"},
                        Case{ContainerKind::pdf, &pdf, "q.pdf", "q.pdf"}}) {
    EXPECT_EQ(writer_for(c.kind)->output_name(c.name), c.output);
    const Bytes prot = protect(c.kind, *c.plain, c.name);
    MemorySource src(prot);
    EXPECT_EQ(detect_container(src), c.kind);
    auto r = open_container(src);
    EXPECT_EQ(r->kind(), c.kind);
    EXPECT_EQ(r->license(), kLicense);
    // every container gives back the original bytes
    auto same = [&](const Bytes& back) { return back == *c.plain; };
    EXPECT_EQ(r->size(), c.plain->size());
    EXPECT_TRUE(same(unprotect(prot)));
    // the backends open each other's containers
    for (const crypto::Backend* w : test::all_backends())
      for (const crypto::Backend* rd : test::all_backends())
        EXPECT_TRUE(same(unprotect(protect(c.kind, *c.plain, c.name, w), rd)))
            << w->name() << " -> " << rd->name();
    if (c.kind == ContainerKind::pfile) {
      EXPECT_EQ(r->original_extension(), ".txt");
      EXPECT_EQ(r->original_name("notes.ptxt"), "notes.txt");
      auto ra = r->random_access(ContentKey(kKey));
      Bytes part(1000);
      EXPECT_EQ(ra->read_at(65000, part), 1000u);
      EXPECT_TRUE(std::equal(part.begin(), part.end(), text.begin() + 65000));
    } else if (c.kind == ContainerKind::office_irm) {
      EXPECT_EQ(r->original_name("r.docx"), "r-unprotected.docx");
      auto ra = r->random_access(ContentKey(kKey));
      Bytes part(300);
      ASSERT_EQ(ra->read_at(1000, part), 300u);
      EXPECT_TRUE(std::equal(part.begin(), part.end(), c.plain->begin() + 1000));
    } else {
      auto ra = r->random_access(ContentKey(kKey));
      Bytes part(200);
      ASSERT_EQ(ra->read_at(100, part), 200u);
      EXPECT_TRUE(std::equal(part.begin(), part.end(), c.plain->begin() + 100));
    }
  }
}

TEST(Container, WhatIsNoContainerIsSaidSo) {
  const Bytes text(1000, 'a');
  MemorySource src(text);
  EXPECT_EQ(detect_container(src), ContainerKind::none);
  EXPECT_EQ(container_for(src), ContainerKind::pfile);
  try {
    open_container(src);
    ADD_FAILURE() << "plain text opened as a container";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::bad_format);
  }
  // a compound file that is not IRM (a plain .xls): bad_format naming what it is not
  const Bytes xls = read_file(shared("corpus/office/msoffcrypto__plain.xls"));
  MemorySource x(xls);
  EXPECT_EQ(container_for(x), ContainerKind::office_irm);
  try {
    open_container(x);
    ADD_FAILURE() << "a plain .xls opened as a container";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::bad_format);
    EXPECT_NE(std::string(e.what()).find("not a protected file"), std::string::npos) << e.what();
  }
  // password-encrypted Office documents are not protected over their password
  const Bytes enc = read_file(shared("corpus/office/msoffcrypto__example_password.docx"));
  MemorySource e(enc);
  try {
    (void)container_for(e);
    ADD_FAILURE() << "a password-encrypted document was accepted";
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), Errc::invalid_argument);
  }
  EXPECT_THROW(writer_for(ContainerKind::none), Error);
}

TEST(Container, KeysAreDerivedPerPurpose) {
  const ContentKey k(kKey);
  for (const crypto::Backend* be : test::all_backends()) {
    for (auto [purpose, label] :
         {std::pair{ContentKey::Purpose::office_irm_aes128, "openrms-office-irm-aes128-v1"},
          std::pair{ContentKey::Purpose::rpmsg_aes128, "openrms-rpmsg-aes128-v1"}}) {
      Bytes want(16);
      be->hkdf(crypto::HashAlg::sha256, kKey, {}, crypto::as_bytes(label), want);
      auto got = k.derive(purpose, *be);
      EXPECT_EQ(Bytes(got.begin(), got.end()), want) << label;
    }
  }
  auto a = k.derive(ContentKey::Purpose::office_irm_aes128, crypto::default_backend());
  auto b = k.derive(ContentKey::Purpose::rpmsg_aes128, crypto::default_backend());
  EXPECT_NE(a, b);
  EXPECT_THROW(ContentKey(Bytes(8)), Error);
}

}  // namespace
}  // namespace openrms::formats
