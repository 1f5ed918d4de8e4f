// A protected file that changes between the integrity pass and the decryption pass (security
// review 7): the readers decrypt exactly the bytes they verified, so a byte flipped after the
// check either never reaches the reader or fails the check — never altered plaintext, exit 0.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "formats/pdf/pdf_test_util.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/io.hpp"
#include "openrms/formats/office/irm.hpp"
#include "openrms/formats/pdf/rights_pdf.hpp"
#include "openrms/formats/pfile/pfile.hpp"
#include "private_copy.hpp"

using namespace openrms;
using namespace openrms::formats;

namespace {

// A file on disk that another process rewrites: the byte at `pos` reads as written the first
// time and flipped every time after.
class ChangingSource final : public ByteSource {
 public:
  ChangingSource(crypto::Bytes data, std::uint64_t pos) : data_(std::move(data)), pos_(pos) {}
  std::uint64_t size() const noexcept override { return data_.size(); }
  void read_at(std::uint64_t offset, MutableByteView out) const override {
    MemorySource(data_).read_at(offset, out);
    if (pos_ >= offset && pos_ < offset + out.size() && reads_++ > 0)
      out[static_cast<std::size_t>(pos_ - offset)] ^= 0x01;
  }
  int reads() const { return reads_; }

 private:
  crypto::Bytes data_;
  std::uint64_t pos_;
  mutable int reads_ = 0;
};

crypto::Bytes random_bytes(std::size_t n, unsigned seed) {
  crypto::Bytes b(n);
  std::mt19937 rng(seed);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

template <class Decrypt>
void expect_verified_bytes_decrypted(const crypto::Bytes& file, const crypto::Bytes& plain,
                                     Decrypt decrypt) {
  for (std::uint64_t pos : {file.size() / 2, file.size() / 3, file.size() - 1}) {
    ChangingSource src(file, pos);
    crypto::Bytes out;
    MemorySink sink(out);
    try {
      decrypt(src, sink);
      EXPECT_EQ(out, plain) << "altered plaintext released without an error (byte " << pos << ")";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::integrity) << e.what();
    }
    EXPECT_LE(src.reads(), 1) << "byte " << pos << " was read more than once";
  }
}

const crypto::Bytes kKey(32, 0x5a);

TEST(PrivateCopy, PFileDecryptsWhatItVerified) {
  crypto::Bytes plain = random_bytes(3u << 20, 1);
  crypto::Bytes file;
  MemorySink sink(file);
  pfile::write(MemorySource(plain), sink, "<license/>", kKey);
  for (bool overlap : {false, true}) {
    pfile::ReadOptions ro;
    ro.overlap_verification = overlap;
    expect_verified_bytes_decrypted(
        file, plain, [&](const ByteSource& s, ByteSink& o) { pfile::decrypt(s, o, kKey, ro); });
  }
}

TEST(PrivateCopy, OfficeIrmDecryptsWhatItVerified) {
  crypto::Bytes plain = random_bytes(3u << 20, 2);
  crypto::Bytes file;
  MemorySink sink(file);
  office::irm::WriteOptions wo;
  wo.require_ooxml = false;
  office::irm::write(MemorySource(plain), sink, "<license/>", crypto::Bytes(16, 0x33), wo);
  for (bool overlap : {false, true}) {
    office::irm::ReadOptions ro;
    ro.overlap_verification = overlap;
    expect_verified_bytes_decrypted(file, plain, [&](const ByteSource& s, ByteSink& o) {
      office::irm::decrypt(s, o, crypto::Bytes(16, 0x33), ro);
    });
  }
}

TEST(PrivateCopy, LargeSourcesSpillToAScratchFileAndReadTheSame) {
  crypto::Bytes data = random_bytes(5u << 20, 3);
  ChangingSource src(data, 4u << 20);
  detail::PrivateCopy copy(src, 1u << 20);  // over the memory limit: a scratch file
  crypto::Bytes back(data.size());
  copy.read_at(0, back);
  EXPECT_EQ(back, data);
  copy.read_at(0, back);
  EXPECT_EQ(back, data);
  EXPECT_EQ(src.reads(), 1);
  crypto::Bytes past(2);
  EXPECT_THROW(copy.read_at(data.size() - 1, past), Error);
}

}  // namespace

TEST(PrivateCopy, RightsPdfVersion2DecryptsWhatItVerified) {
  // No private copy of the payload: each segment is verified from the bytes it is decrypted
  // from. The wrapper around it is read into memory and parsed and MAC'd from there (after a
  // first parse that only locates the payload), so a byte changed outside the payload is caught
  // by the MAC, never released.
  auto b = pdf::test::sample_document("snapshot");
  const crypto::Bytes image = random_bytes(3u << 20, 3);
  b.add_stream(9, "/Type /XObject /Subtype /Image /Width 1 /Height 1",
               std::string(image.begin(), image.end()));
  const std::string pdf = b.build();
  const crypto::Bytes plain(pdf.begin(), pdf.end());
  crypto::Bytes file;
  MemorySink sink(file);
  pdf::rights::write(MemorySource(plain), sink, "<license/>", kKey);
  for (std::uint64_t pos : {file.size() / 2, file.size() - 1, std::uint64_t{40}}) {
    ChangingSource src(file, pos);
    crypto::Bytes out;
    MemorySink o(out);
    try {
      pdf::rights::decrypt(src, o, kKey);
      EXPECT_EQ(out, plain) << "altered plaintext released without an error (byte " << pos << ")";
    } catch (const Error& e) {
      EXPECT_TRUE(e.code() == Errc::integrity || e.code() == Errc::bad_format) << e.what();
    }
    // A payload byte is read once; the wrapper's bytes also by the first parse.
    if (pos == file.size() / 2) {
      EXPECT_EQ(src.reads(), 1) << "byte " << pos;
    }
  }
}
