#include "openrms/formats/pfile/pfile.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <optional>
#include <thread>

#include "../async_sink.hpp"
#include "../batch_pipeline.hpp"
#include "../cfb/cfb_constants.hpp"
#include "../integrity.hpp"
#include "../private_copy.hpp"
#include "../sealed_segments.hpp"
#include "openrms/crypto/parallel.hpp"
#include "openrms/error.hpp"
#include "openrms/text.hpp"

namespace openrms::formats::pfile {

using cfb::detail::le32;
using cfb::detail::le64;
using cfb::detail::put32;
using cfb::detail::put64;

namespace {

constexpr std::uint8_t kMagic[6] = {'.', 'p', 'f', 'i', 'l', 'e'};
constexpr std::string_view kMacTag = "openrms-integrity-v1:";
constexpr std::string_view kStreamTag = "openrms-stream-v2:";
constexpr std::size_t kStreamMetaSize =
    kStreamTag.size() + 1 + crypto::StreamingAead::kSaltSize + crypto::StreamingAead::kPrefixSize;
constexpr std::string_view kStreamContext = "openrms-stream-v2|pfile|";
// Everything before the content (notice, header, extension, license, metadata) is read into
// memory once; the limits above keep it near 5 MiB, gaps between the pieces included.
constexpr std::uint64_t kMaxHeaderArea = 8u << 20;
constexpr std::uint8_t kBom[3] = {0xEF, 0xBB, 0xBF};
constexpr std::uint64_t kUnknownSize = ~0ull;
constexpr std::size_t kChunk = 4u << 20;

[[noreturn]] void bad(const std::string& what) {
  fail(Errc::bad_format, "not a valid protected file (PFile): " + what);
}

[[noreturn]] void altered() {
  fail(Errc::integrity,
       "the protected file was altered or damaged (its integrity check failed), or the content "
       "key does not belong to it");
}

std::uint32_t read32(const ByteSource& src, std::uint64_t at) {
  std::uint8_t b[4];
  src.read_at(at, b);
  return le32(b);
}

bool in_file(std::uint64_t size, std::uint64_t off, std::uint64_t len) {
  return off <= size && len <= size - off;
}

// FORMATS.md B2 naming table: extension -> protected extension.
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kNames{{
    {".txt", ".ptxt"},
    {".xml", ".pxml"},
    {".jpg", ".pjpg"},
    {".jpeg", ".pjpeg"},
    {".png", ".ppng"},
    {".tif", ".ptif"},
    {".tiff", ".ptiff"},
    {".bmp", ".pbmp"},
    {".gif", ".pgif"},
    {".pdf", ".ppdf"},
}};

std::string_view extension_of(std::string_view name) {
  auto slash = name.find_last_of('/');
  std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  auto dot = base.find_last_of('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return base.substr(dot);
}

}  // namespace

bool has_signature(ByteView first) noexcept {
  return first.size() >= sizeof kMagic && std::memcmp(first.data(), kMagic, sizeof kMagic) == 0;
}

std::string default_notice() {
  return "This file is protected with openrms rights management. To open it, use an application "
         "that supports openrms-protected files, for example: openrms open FILE --as YOUR-EMAIL. "
         "Ask the person who sent it to you if you do not have access.";
}

namespace {

// The bytes before the content, served from memory; a read past them means the file changed
// between the read that found the content offset and the read of the header area.
class HeadSource final : public ByteSource {
 public:
  HeadSource(ByteView head, std::uint64_t size) : head_(head), size_(size) {}
  std::uint64_t size() const noexcept override { return size_; }
  void read_at(std::uint64_t off, MutableByteView out) const override {
    if (off > head_.size() || out.size() > head_.size() - off)
      bad("the file changed while it was being read");
    std::memcpy(out.data(), head_.data() + off, out.size());
  }

 private:
  ByteView head_;
  std::uint64_t size_;
};

std::optional<crypto::StreamingAead::Params> stream_params(const ByteSource& src,
                                                           std::uint64_t at) {
  std::uint8_t m[kStreamMetaSize];
  src.read_at(at, m);
  if (std::memcmp(m, kStreamTag.data(), kStreamTag.size()) != 0) return std::nullopt;
  crypto::StreamingAead::Params p;
  const std::uint8_t log2 = m[kStreamTag.size()];
  if (log2 < 12 || log2 > 24) bad("the stream segment size is out of range");
  p.segment_size = std::uint32_t{1} << log2;
  std::memcpy(p.salt, m + kStreamTag.size() + 1, sizeof p.salt);
  std::memcpy(p.nonce_prefix, m + kStreamTag.size() + 1 + sizeof p.salt, sizeof p.nonce_prefix);
  return p;
}

Header parse_header(const ByteSource& src, const Limits& limits) {
  const std::uint64_t size = src.size();
  std::uint8_t fixed[18];
  if (size < sizeof fixed) bad("the file is too short");
  src.read_at(0, fixed);
  if (!has_signature(fixed)) bad("it does not start with the .pfile signature");
  Header h;
  h.major = le32(fixed + 6);
  h.minor = le32(fixed + 10);
  if (h.major < 2 || h.major > 3)
    fail(Errc::unsupported, "PFile version " + std::to_string(h.major) + "." +
                                std::to_string(h.minor) + " is not supported (2.x and 3.x are)");
  const std::uint32_t r = le32(fixed + 14);
  if (r > limits.max_notice) bad("the notice is implausibly long");
  if (!in_file(size, 18, std::uint64_t{r} + 4)) bad("the file ends inside its header");
  h.notice.resize(r);
  src.read_at(18, MutableByteView(reinterpret_cast<std::uint8_t*>(h.notice.data()), r));
  const std::uint64_t hdr = 18 + std::uint64_t{r};
  const std::uint32_t hsize = read32(src, hdr);
  const bool v21 = !(h.major == 2 && h.minor == 0);
  if (hsize != (v21 ? 40u : 24u))
    bad("header size " + std::to_string(hsize) + " does not fit version " +
        std::to_string(h.major) + "." + std::to_string(h.minor));
  if (!in_file(size, hdr, hsize)) bad("the file ends inside its header");
  std::uint8_t f[40] = {};
  src.read_at(hdr, MutableByteView(f, hsize));
  const std::uint32_t ext_off = le32(f + 4), ext_len = le32(f + 8);
  const std::uint32_t pl_off = le32(f + 12), pl_len = le32(f + 16);
  h.content_offset = le32(f + 20);
  std::uint32_t meta_off = 0, meta_len = 0;
  if (v21) {
    std::uint64_t orig = le64(f + 24);
    if (orig != kUnknownSize) h.original_size = orig;
    meta_off = le32(f + 32);
    meta_len = le32(f + 36);
  }
  const std::uint64_t header_end = hdr + hsize;
  auto region = [&](std::uint64_t off, std::uint64_t len, std::uint32_t max, const char* what) {
    if (len > max) bad(std::string("the ") + what + " is implausibly large");
    if (len && (off < header_end || !in_file(h.content_offset, off, len)))
      bad(std::string("the ") + what + " lies outside the header area");
  };
  if (h.content_offset < header_end || h.content_offset > size)
    bad("the content offset is outside the file");
  region(ext_off, ext_len, limits.max_extension, "original extension");
  region(pl_off, pl_len, limits.max_license, "publishing license");
  region(meta_off, meta_len, limits.max_metadata, "metadata section");
  if (pl_len == 0) bad("it has no publishing license");
  h.extension.resize(ext_len);
  src.read_at(ext_off,
              MutableByteView(reinterpret_cast<std::uint8_t*>(h.extension.data()), ext_len));
  for (char c : h.extension)
    if (static_cast<unsigned char>(c) < 0x20 || c == '/' || c == '\\')
      bad("the original extension contains a control character or a path separator");
  crypto::Bytes pl(pl_len);
  src.read_at(pl_off, pl);
  std::size_t skip = (pl.size() >= 3 && std::memcmp(pl.data(), kBom, 3) == 0) ? 3 : 0;
  h.license.assign(reinterpret_cast<const char*>(pl.data()) + skip, pl.size() - skip);
  if (meta_len == kStreamMetaSize) h.stream = stream_params(src, meta_off);
  if (meta_len == kMacTag.size() + detail::kMacSize) {
    crypto::Bytes tag(kMacTag.size());
    src.read_at(meta_off, tag);
    if (std::memcmp(tag.data(), kMacTag.data(), tag.size()) == 0) {
      h.has_mac = true;
      h.mac_offset = meta_off + kMacTag.size();
    }
  }
  h.content_size = size - h.content_offset;
  if (h.stream) {
    auto n = crypto::StreamingAead::plaintext_size(h.stream->segment_size, h.content_size);
    if (!n) bad("the encrypted content's size fits no segment layout (truncated or extended)");
    if (h.original_size != n) bad("the original size does not match the encrypted content size");
    return h;
  }
  if (h.content_size < 16 || h.content_size % 16)
    bad("the encrypted content is " + std::to_string(h.content_size) +
        " bytes, not a positive multiple of 16");
  if (h.original_size && *h.original_size - *h.original_size % 16 + 16 != h.content_size)
    bad("the original size does not match the encrypted content size");
  return h;
}

// The header parsed from one in-memory copy of the header area, and that copy (which the
// stream's key is bound to): what was parsed is what was hashed.
struct HeadRead {
  Header header;
  crypto::Bytes head;
};

HeadRead read_head(const ByteSource& src, const Limits& limits) {
  HeadRead r;
  const Header first = parse_header(src, limits);
  if (first.content_offset > kMaxHeaderArea) bad("the header area is implausibly large");
  r.head.resize(static_cast<std::size_t>(first.content_offset));
  src.read_at(0, r.head);
  r.header = parse_header(HeadSource(r.head, src.size()), limits);
  return r;
}

crypto::Bytes stream_context(const crypto::Backend& be, ByteView head) {
  crypto::Bytes c(kStreamContext.begin(), kStreamContext.end());
  crypto::Bytes d = be.digest(crypto::HashAlg::sha256, head);
  c.insert(c.end(), d.begin(), d.end());
  return c;
}

// Segments per batch: about 8 MiB (fewer hand-offs per byte; the four batch buffers in flight
// stay within 32 MiB), and one per thread (up to 16) where segments are 1 MiB or less. A
// file's segments are at most 16 MiB, so a batch is never over 16 MiB.

}  // namespace

Header read_header(const ByteSource& src, const Limits& limits) {
  return parse_header(src, limits);
}

namespace {

void check_write_options(std::string_view license, const WriteOptions& opt) {
  for (char c : opt.extension)
    if (static_cast<unsigned char>(c) < 0x20 || c == '/' || c == '\\')
      fail(Errc::invalid_argument, "the extension contains a control character or separator");
  if (opt.extension.size() > Limits{}.max_extension)
    fail(Errc::invalid_argument, "the extension is too long");
  if (license.empty() || license.size() > Limits{}.max_license)
    fail(Errc::invalid_argument, "the publishing license is empty or too large");
  for (char c : opt.notice)
    if (static_cast<unsigned char>(c) >= 0x80)
      fail(Errc::invalid_argument, "the notice must be ASCII");
  if (opt.integrity_version != 1 && opt.integrity_version != 2)
    fail(Errc::invalid_argument, "the PFile integrity version must be 1 or 2");
}

// The header area: fixed part, notice, 40-byte v3 header, extension, metadata, license.
// Returns the offset of the metadata within it.
std::uint64_t build_head(crypto::Bytes& head, std::string_view license, const WriteOptions& opt,
                         ByteView metadata, std::uint64_t plaintext_size) {
  const std::uint32_t r = static_cast<std::uint32_t>(opt.notice.size());
  const std::uint64_t hdr = 18 + std::uint64_t{r};
  const std::uint64_t ext_off = hdr + 40;
  const std::uint64_t meta_off = ext_off + opt.extension.size();
  const std::uint64_t pl_off = meta_off + metadata.size();
  const std::uint64_t pl_len = 3 + license.size();
  const std::uint64_t content_off = pl_off + pl_len;
  if (content_off > kMaxHeaderArea) fail(Errc::invalid_argument, "header too large");
  head.clear();
  head.reserve(content_off);
  head.insert(head.end(), kMagic, kMagic + 6);
  std::uint8_t b8[8];
  auto u32 = [&](std::uint64_t v) {
    put32(b8, static_cast<std::uint32_t>(v));
    head.insert(head.end(), b8, b8 + 4);
  };
  u32(3);
  u32(0);
  u32(r);
  head.insert(head.end(), opt.notice.begin(), opt.notice.end());
  u32(40);
  u32(ext_off);
  u32(opt.extension.size());
  u32(pl_off);
  u32(pl_len);
  u32(content_off);
  put64(b8, plaintext_size);
  head.insert(head.end(), b8, b8 + 8);
  u32(meta_off);
  u32(metadata.size());
  head.insert(head.end(), opt.extension.begin(), opt.extension.end());
  head.insert(head.end(), metadata.begin(), metadata.end());
  head.insert(head.end(), kBom, kBom + 3);
  head.insert(head.end(), license.begin(), license.end());
  return meta_off;
}

// Integrity version 1: CBC4K and one HMAC over the whole file, patched in last.
void write_v1(const ByteSource& plaintext, ByteSink& out, std::string_view license,
              ByteView content_key, const WriteOptions& opt, const crypto::Backend& be) {
  // Large inputs pipeline the MAC and the output onto a thread of their own (below); the
  // cipher then leaves a core to it.
  const bool pipelined = plaintext.size() > kChunk;
  crypto::SegmentOptions so = opt.segments;
  if (pipelined && so.threads == 0)
    so.threads = std::max(2u, std::thread::hardware_concurrency()) - 1;
  crypto::SegmentCipher cipher = crypto::SegmentCipher::cbc4k(content_key, so);
  crypto::Bytes meta(kMacTag.begin(), kMacTag.end());
  meta.resize(meta.size() + detail::kMacSize, 0);
  crypto::Bytes head;
  const std::uint64_t mac_at =
      build_head(head, license, opt, meta, plaintext.size()) + kMacTag.size();
  crypto::SecureBytes mkey = detail::integrity_key(be, content_key, "pfile");
  detail::HoleMac mac(be, mkey, mac_at);
  out.write(head);
  mac.update(head);
  // For large inputs the MAC (the slowest stage: one serial HMAC-SHA-256) runs on its own
  // thread, overlapped with reading, encrypting and writing, which stay on this one.
  std::optional<detail::AsyncSink> pipe;
  if (pipelined) pipe.emplace([&mac](ByteView c) { mac.update(c); });
  crypto::SegmentStream stream(cipher, crypto::SegmentStream::Direction::encrypt, [&](ByteView c) {
    out.write(c);
    if (pipe)
      pipe->write(c);
    else
      mac.update(c);
  });
  crypto::SecureBytes buf(
      std::min<std::uint64_t>(kChunk, std::max<std::uint64_t>(plaintext.size(), 1)));
  const std::uint64_t total = plaintext.size();
  for (std::uint64_t at = 0; at < total;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), total - at));
    plaintext.read_at(at, MutableByteView(buf.data(), n));
    stream.update(ByteView(buf.data(), n));
    at += n;
    if (opt.progress) opt.progress(at, total);
  }
  stream.finish();
  if (pipe) pipe->finish();
  crypto::Bytes tag = mac.finish();
  out.patch(mac_at, tag);
  if (opt.progress && total == 0) opt.progress(0, 0);
}

// Integrity version 2: segments sealed in parallel batches while the I/O thread reads the next
// batch and writes the last one. Nothing is patched afterwards.
void write_v2(const ByteSource& plaintext, ByteSink& out, std::string_view license,
              ByteView content_key, const WriteOptions& opt, const crypto::Backend& be) {
  const auto params = crypto::StreamingAead::Params::fresh(be, opt.segment_size);
  crypto::Bytes meta(kStreamTag.begin(), kStreamTag.end());
  meta.push_back(static_cast<std::uint8_t>(std::countr_zero(params.segment_size)));
  meta.insert(meta.end(), params.salt, params.salt + sizeof params.salt);
  meta.insert(meta.end(), params.nonce_prefix, params.nonce_prefix + sizeof params.nonce_prefix);
  crypto::Bytes head;
  const std::uint64_t total = plaintext.size();
  build_head(head, license, opt, meta, total);
  const crypto::StreamingAead sa(be, content_key, params, stream_context(be, head));
  out.write(head);
  detail::seal_stream(sa, plaintext, out, opt.segments.threads, opt.progress);
}

}  // namespace

void write(const ByteSource& plaintext, ByteSink& out, std::string_view license,
           ByteView content_key, const WriteOptions& opt) {
  const crypto::Backend& be =
      opt.segments.backend ? *opt.segments.backend : crypto::default_backend();
  check_write_options(license, opt);
  if (opt.integrity_version == 1)
    write_v1(plaintext, out, license, content_key, opt, be);
  else
    write_v2(plaintext, out, license, content_key, opt, be);
}

namespace {

const crypto::Backend& backend_of(const ReadOptions& opt) {
  return opt.segments.backend ? *opt.segments.backend : crypto::default_backend();
}

crypto::StreamingAead stream_for(const HeadRead& r, ByteView key, const crypto::Backend& be) {
  return crypto::StreamingAead(be, key, *r.header.stream, stream_context(be, r.head));
}

// Integrity version 2: each batch of segments is read once, verified and decrypted from those
// bytes (on the pool), and only then written.
ReadResult decrypt_v2(const ByteSource& src, HeadRead r, ByteSink& out, ByteView key,
                      const ReadOptions& opt) {
  ReadResult res;
  res.header = std::move(r.header);
  const Header& h = res.header;
  const crypto::StreamingAead sa = stream_for(r, key, backend_of(opt));
  res.size = detail::open_stream(sa, {src, h.content_offset, h.content_size}, out,
                                 opt.segments.threads, opt.progress, &altered);
  res.integrity_verified = true;
  return res;
}

}  // namespace

ReadResult decrypt(const ByteSource& file, ByteSink& out, ByteView content_key,
                   const ReadOptions& opt) {
  {
    HeadRead r = read_head(file, opt.limits);
    if (r.header.stream) return decrypt_v2(file, std::move(r), out, content_key, opt);
  }
  const crypto::Backend& be = backend_of(opt);
  // Everything below reads one private copy: the bytes verified are the bytes decrypted.
  detail::PrivateCopy src(file);
  ReadResult res;
  res.header = read_header(src, opt.limits);
  const Header& h = res.header;
  if (!h.has_mac && opt.require_integrity) altered();
  crypto::SegmentOptions so = opt.segments;
  const bool overlap = opt.overlap_verification && h.has_mac;
  if (overlap && so.threads == 0) {
    const unsigned hw = std::thread::hardware_concurrency();
    so.threads = hw > 1 ? hw - 1 : 1;  // one core is checking the MAC
  }
  crypto::SegmentCipher cipher = crypto::SegmentCipher::cbc4k(content_key, so);
  auto verify = [&] {
    crypto::SecureBytes mkey = detail::integrity_key(be, content_key, "pfile");
    detail::HoleMac mac(be, mkey, h.mac_offset);
    detail::mac_range(mac, src, 0, src.size());
    crypto::Bytes got(detail::kMacSize);
    src.read_at(h.mac_offset, got);
    return crypto::ct_equal(mac.finish(), got);
  };
  auto produce = [&] {
    crypto::SegmentStream stream(cipher, crypto::SegmentStream::Direction::decrypt,
                                 [&](ByteView p) {
                                   out.write(p);
                                   res.size += p.size();
                                 });
    crypto::Bytes buf(std::min<std::uint64_t>(kChunk, h.content_size));
    for (std::uint64_t at = 0; at < h.content_size;) {
      std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), h.content_size - at));
      src.read_at(h.content_offset + at, MutableByteView(buf.data(), n));
      stream.update(ByteView(buf.data(), n));
      at += n;
      if (opt.progress) opt.progress(at, h.content_size);
    }
    try {
      stream.finish();
    } catch (const Error& e) {
      if (e.code() == Errc::integrity) altered();
      throw;
    }
  };
  // Verify first (one pass over the file), then decrypt: no plaintext of an altered file ever
  // reaches the sink — or both at once when the caller discards the output on failure.
  if (h.has_mac) {
    detail::verify_and_produce(overlap, verify, produce, [] { altered(); });
    res.integrity_verified = true;
  } else {
    produce();
  }
  if (h.original_size && *h.original_size != res.size) altered();
  return res;
}

// ---- random access ---------------------------------------------------------------------------

struct Reader::Impl {
  const ByteSource* src = nullptr;
  Header h;
  std::uint64_t size = 0;
  unsigned threads = 0;
  std::optional<crypto::StreamingAead> sa;  // integrity v2
  // v1 and unauthenticated files: a verified private copy, CBC4K segments
  std::unique_ptr<detail::PrivateCopy> copy;
  std::optional<crypto::SegmentCipher> cbc;

  std::size_t read_v2(std::uint64_t offset, MutableByteView out) const;
  std::size_t read_cbc(std::uint64_t offset, MutableByteView out) const;
};

Reader::Reader(const ByteSource& src, ByteView content_key, const ReadOptions& opt)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.src = &src;
  m.threads = opt.segments.threads;
  HeadRead r = read_head(src, opt.limits);
  if (r.header.stream) {
    m.sa.emplace(stream_for(r, content_key, backend_of(opt)));
    m.h = std::move(r.header);
    m.size = *m.h.original_size;
    return;
  }
  // Version 1: one check of the whole file, over a copy that cannot change after it.
  m.copy = std::make_unique<detail::PrivateCopy>(src);
  m.h = read_header(*m.copy, opt.limits);
  if (!m.h.has_mac && opt.require_integrity) altered();
  const crypto::Backend& be = backend_of(opt);
  if (m.h.has_mac) {
    crypto::SecureBytes mkey = detail::integrity_key(be, content_key, "pfile");
    detail::HoleMac mac(be, mkey, m.h.mac_offset);
    detail::mac_range(mac, *m.copy, 0, m.copy->size());
    crypto::Bytes got(detail::kMacSize);
    m.copy->read_at(m.h.mac_offset, got);
    if (!crypto::ct_equal(mac.finish(), got)) altered();
  }
  m.cbc.emplace(crypto::SegmentCipher::cbc4k(content_key, opt.segments));
  // The final segment gives the exact size (and checks the padding) even where the header
  // does not record it.
  const std::uint64_t c = m.h.content_size, f = (c - 1) / 4096;
  crypto::SecureBytes last(static_cast<std::size_t>(c - f * 4096));
  m.copy->read_at(m.h.content_offset + f * 4096, last);
  try {
    m.size = f * 4096 + m.cbc->decrypt_final(f, last, last);
  } catch (const Error& e) {
    if (e.code() == Errc::integrity) altered();
    throw;
  }
  if (m.h.original_size && *m.h.original_size != m.size) altered();
}

Reader::Reader(Reader&&) noexcept = default;
Reader::~Reader() = default;

const Header& Reader::header() const noexcept {
  return impl_->h;
}
std::uint64_t Reader::size() const noexcept {
  return impl_->size;
}

std::size_t Reader::read_at(std::uint64_t offset, MutableByteView out) const {
  if (offset >= impl_->size || out.empty()) return 0;
  const std::size_t n =
      static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), impl_->size - offset));
  out = out.first(n);
  try {
    return impl_->sa ? impl_->read_v2(offset, out) : impl_->read_cbc(offset, out);
  } catch (...) {
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    throw;
  }
}

// Opens the segments [offset, offset + out.size()) touches, a batch at a time.
std::size_t Reader::Impl::read_v2(std::uint64_t offset, MutableByteView out) const {
  return detail::read_range(*sa, {*src, h.content_offset, h.content_size}, offset, out, threads,
                            &altered);
}

std::size_t Reader::Impl::read_cbc(std::uint64_t offset, MutableByteView out) const {
  const std::uint64_t c = h.content_size, f = (c - 1) / 4096;
  crypto::SecureBytes buf;
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t pos = offset + done, i = pos / 4096;
    const std::uint64_t at = i * 4096, len = i == f ? c - at : 4096;
    buf.resize(static_cast<std::size_t>(len));
    copy->read_at(h.content_offset + at, buf);
    std::size_t plain = buf.size();
    if (i == f)
      plain = cbc->decrypt_final(i, buf, buf);
    else
      cbc->decrypt_segments(i, buf, buf);
    const std::size_t skip = static_cast<std::size_t>(pos - at);
    if (skip >= plain) altered();
    const std::size_t take = std::min(plain - skip, out.size() - done);
    std::memcpy(out.data() + done, buf.data() + skip, take);
    done += take;
  }
  return done;
}

std::string protected_name(std::string_view name) {
  std::string_view ext = extension_of(name);
  std::string lext = ascii_lower(ext);
  for (const auto& [plain, prot] : kNames)
    if (lext == plain) {
      std::string r(name.substr(0, name.size() - ext.size()));
      // keep the case style of the original extension: .TXT -> .PTXT
      bool upper = !ext.empty() && ext.size() > 1 && ext[1] >= 'A' && ext[1] <= 'Z';
      std::string p(prot);
      if (upper)
        for (char& c : p)
          if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      return r + p;
    }
  return std::string(name) + ".pfile";
}

std::string original_name(std::string_view pname, std::string_view extension) {
  auto slash = pname.find_last_of('/');
  std::string_view base = slash == std::string_view::npos ? pname : pname.substr(slash + 1);
  std::string_view ext = extension_of(base);
  std::string lext = ascii_lower(ext);
  std::string stem(base.substr(0, base.size() - ext.size()));
  if (lext == ".pfile") {
    if (!extension.empty() && ascii_lower(extension_of(stem)) != ascii_lower(extension))
      return stem + std::string(extension);
    return stem;
  }
  for (const auto& [plain, prot] : kNames)
    if (lext == prot) return stem + std::string(extension.empty() ? plain : extension);
  return std::string(base) + std::string(extension);
}

}  // namespace openrms::formats::pfile
