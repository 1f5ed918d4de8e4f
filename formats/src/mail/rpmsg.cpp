#include "openrms/formats/mail/rpmsg.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "../cfb/cfb_constants.hpp"
#include "../huge_pages.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/io.hpp"
#include "openrms/formats/office/irm.hpp"

namespace openrms::formats::mail::rpmsg {

using cfb::detail::le32;

namespace {

constexpr std::uint32_t kBlockMarker = 0x00000FA0;
constexpr std::size_t kBlock = 4096;
constexpr std::string_view kAttachments = "OpenRMS.Attachments";
constexpr std::uint32_t kTableVersion = 1;
constexpr std::size_t kMaxAttachments = 10000;
constexpr std::size_t kMaxLicense = 4u << 20;
constexpr std::size_t kMaxTable = 64u << 20;
// The compound file is almost all ciphertext, which does not compress: stored deflate blocks
// (valid zlib, inflated by every reader) cost a copy instead of a futile search.
constexpr int kLevel = Z_NO_COMPRESSION;

[[noreturn]] void bad(const std::string& what) {
  fail(Errc::bad_format, "not a valid protected message (message.rpmsg): " + what);
}

void put32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_string(Bytes& b, std::string_view s) {
  put32(b, static_cast<std::uint32_t>(s.size()));
  b.insert(b.end(), s.begin(), s.end());
}

Bytes table(const std::vector<AttachmentLicense>& atts) {
  Bytes b;
  put32(b, kTableVersion);
  put32(b, static_cast<std::uint32_t>(atts.size()));
  for (const auto& a : atts) {
    put32(b, a.index);
    put_string(b, a.container);
    put_string(b, a.license);
  }
  return b;
}

std::vector<AttachmentLicense> parse_table(ByteView d) {
  std::size_t at = 0;
  auto u32 = [&]() {
    if (d.size() - at < 4) bad("the attachment table is truncated");
    std::uint32_t v = le32(d.data() + at);
    at += 4;
    return v;
  };
  auto text = [&](std::size_t max, const char* what) {
    std::uint32_t n = u32();
    if (n > max || d.size() - at < n) bad(std::string("the attachment table has a bad ") + what);
    std::string s(reinterpret_cast<const char*>(d.data()) + at, n);
    at += n;
    return s;
  };
  if (u32() != kTableVersion) bad("the attachment table has an unknown version");
  std::uint32_t n = u32();
  if (n > kMaxAttachments) bad("the attachment table lists too many attachments");
  std::vector<AttachmentLicense> out;
  for (std::uint32_t i = 0; i < n; ++i) {
    AttachmentLicense a;
    a.index = u32();
    a.container = text(32, "container name");
    a.license = text(kMaxLicense, "license");
    if (a.container != "office-irm" && a.container != "pdf" && a.container != "pfile")
      bad("the attachment table names an unknown container");
    if (a.license.empty()) bad("the attachment table has an empty license");
    if (!out.empty() && a.index <= out.back().index)
      bad("the attachment table is not in attachment order");
    out.push_back(std::move(a));
  }
  if (at != d.size()) bad("the attachment table has trailing bytes");
  return out;
}

}  // namespace

bool has_signature(ByteView d) noexcept {
  return d.size() >= sizeof kPrefix && std::memcmp(d.data(), kPrefix, sizeof kPrefix) == 0;
}

// One deflate/inflate stream for all blocks (reset between them): compress2()/uncompress() per
// 4 KiB block set up and tore down zlib's state 17,000 times for a 70 MB message.
struct Deflater {
  z_stream z{};
  Deflater() {
    if (deflateInit(&z, kLevel) != Z_OK) fail(Errc::internal, "zlib initialisation failed");
  }
  ~Deflater() { deflateEnd(&z); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
};
struct Inflater {
  z_stream z{};
  Inflater() {
    if (inflateInit(&z) != Z_OK) fail(Errc::internal, "zlib initialisation failed");
  }
  ~Inflater() { inflateEnd(&z); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
};

Bytes compress(ByteView plain) {
  Bytes out;
  out.reserve(plain.size() + plain.size() / 64 + 64);
  detail::advise_huge_pages(out.data(), out.capacity());
  out.assign(kPrefix, kPrefix + sizeof kPrefix);
  Bytes z(compressBound(kBlock));
  Deflater d;
  for (std::size_t off = 0; off < plain.size(); off += kBlock) {
    std::size_t n = std::min(kBlock, plain.size() - off);
    if (deflateReset(&d.z) != Z_OK) fail(Errc::internal, "zlib compression failed");
    d.z.next_in = const_cast<Bytef*>(plain.data() + off);
    d.z.avail_in = static_cast<uInt>(n);
    d.z.next_out = z.data();
    d.z.avail_out = static_cast<uInt>(z.size());
    if (deflate(&d.z, Z_FINISH) != Z_STREAM_END) fail(Errc::internal, "zlib compression failed");
    const std::size_t zn = z.size() - d.z.avail_out;
    put32(out, kBlockMarker);
    put32(out, static_cast<std::uint32_t>(n));
    put32(out, static_cast<std::uint32_t>(zn));
    out.insert(out.end(), z.data(), z.data() + zn);
  }
  return out;
}

Bytes decompress(ByteView d, std::uint64_t max_size) {
  if (!has_signature(d)) bad("it does not start with the rpmsg prefix");
  // First walk the block headers: checks them and gives the exact size to reserve.
  std::uint64_t total = 0;
  for (std::size_t at = sizeof kPrefix; at < d.size();) {
    if (d.size() - at < 12) bad("a block header is truncated");
    std::uint32_t marker = le32(d.data() + at), size = le32(d.data() + at + 4),
                  zsize = le32(d.data() + at + 8);
    at += 12;
    if (marker != kBlockMarker) bad("a block has the wrong marker");
    if (size == 0 || size > kBlock) bad("a block declares an inflated size over 4096 bytes");
    if (zsize == 0 || zsize > d.size() - at) bad("a block is truncated");
    total += size;
    if (total > max_size)
      bad("it inflates to more than the limit (" + std::to_string(max_size) + " bytes)");
    at += zsize;
  }
  if (total == 0) bad("it holds no data");
  // Reserved (address space), filled block by block: a file whose blocks do not inflate, or
  // whose content is no compound file, fails at its first block without touching the rest.
  Bytes out;
  out.reserve(static_cast<std::size_t>(total));
  detail::advise_huge_pages(out.data(), out.capacity());
  Inflater inf;
  for (std::size_t at = sizeof kPrefix; at < d.size();) {
    std::uint32_t size = le32(d.data() + at + 4), zsize = le32(d.data() + at + 8);
    at += 12;
    if (inflateReset(&inf.z) != Z_OK) bad("a block does not inflate to its declared size");
    const std::size_t base = out.size();
    out.resize(base + size);
    inf.z.next_in = const_cast<Bytef*>(d.data() + at);
    inf.z.avail_in = zsize;
    inf.z.next_out = out.data() + base;
    inf.z.avail_out = size;
    // One zlib stream that ends exactly at the declared size (what uncompress() checked).
    if (inflate(&inf.z, Z_FINISH) != Z_STREAM_END || inf.z.avail_out != 0)
      bad("a block does not inflate to its declared size");
    if (base == 0 &&
        (size < sizeof cfb::detail::kSignature ||
         std::memcmp(out.data(), cfb::detail::kSignature, sizeof cfb::detail::kSignature) != 0))
      bad("its content is not a compound file");
    at += zsize;
  }
  return out;
}

Bytes write(ByteView message, std::string_view license, ByteView key,
            const std::vector<AttachmentLicense>& attachments, const crypto::Backend* backend) {
  for (std::size_t i = 1; i < attachments.size(); ++i)
    if (attachments[i].index <= attachments[i - 1].index)
      fail(Errc::invalid_argument, "attachment licenses must be in attachment order");
  office::irm::WriteOptions wo;
  wo.flavour = office::irm::Flavour::binary;
  wo.require_ooxml = false;
  wo.backend = backend;
  wo.extra_streams.emplace_back(std::string(kAttachments), table(attachments));
  Bytes cfb;
  cfb.reserve(message.size() + message.size() / 64 + (64u << 10));  // + sector tables
  detail::advise_huge_pages(cfb.data(), cfb.capacity());
  MemorySink sink(cfb);
  MemorySource src(message);
  office::irm::write(src, sink, license, key, wo);
  return compress(cfb);
}

Reader::Reader(ByteView rpmsg, std::uint64_t max_size) : cfb_(decompress(rpmsg, max_size)) {
  MemorySource src(cfb_);
  office::irm::Info i;
  try {
    i = office::irm::read_info(src);
  } catch (const Error& e) {
    if (e.code() == Errc::bad_format) bad(std::string("its compound file: ") + e.what());
    throw;
  }
  if (i.flavour != office::irm::Flavour::binary) bad("it is not in the binary IRM layout");
  info_.license = std::move(i.license);
  info_.size = i.size;
  if (auto t = office::irm::read_stream(src, kAttachments, kMaxTable))
    info_.attachments = parse_table(*t);
}

crypto::SecureBytes Reader::decrypt(ByteView key, const crypto::Backend* backend) const {
  MemorySource src(cfb_);
  struct Sink final : ByteSink {
    crypto::SecureBytes out;
    void write(ByteView d) override { out.insert(out.end(), d.begin(), d.end()); }
  } sink;
  sink.out.reserve(static_cast<std::size_t>(info_.size));
  office::irm::ReadOptions ro;
  ro.backend = backend;
  try {
    office::irm::decrypt(src, sink, key, ro);
  } catch (const Error& e) {
    if (e.code() != Errc::integrity) throw;
    fail(Errc::integrity,
         "the protected message was altered or damaged (its integrity check failed), or the "
         "content key does not belong to it");
  }
  return std::move(sink.out);
}

}  // namespace openrms::formats::mail::rpmsg
