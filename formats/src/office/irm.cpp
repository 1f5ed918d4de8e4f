#include "openrms/formats/office/irm.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <type_traits>

#include "../async_sink.hpp"
#include "../cfb/cfb_constants.hpp"
#include "../integrity.hpp"
#include "../private_copy.hpp"
#include "data_spaces.hpp"
#include "irm_opened.hpp"
#include "openrms/crypto/parallel.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/cfb/compound_file.hpp"

namespace openrms::formats::office::irm {

using cfb::detail::le32;
using cfb::detail::le64;
using cfb::detail::put64;

namespace {

constexpr std::string_view kPrimary =
    "\x06"
    "DataSpaces/TransformInfo/DRMEncryptedTransform/\x06"
    "Primary";
constexpr std::string_view kBinaryPrimary =
    "\x06"
    "DataSpaces/TransformInfo/\x09"
    "DRMTransform/\x06"
    "Primary";
constexpr std::string_view kBinaryContent =
    "\x09"
    "DRMContent";
constexpr std::string_view kMacStream = "OpenRMS.Integrity";
constexpr std::string_view kMacTag = "openrms-integrity-v1:";
constexpr std::size_t kMacStreamSize = 4096;  // >= the mini-stream cutoff: regular sectors
constexpr std::string_view kMacTagV2 = "openrms-integrity-v2:";
constexpr std::uint32_t kTagChunkLog2 = 20;
constexpr std::uint64_t kTagChunk = std::uint64_t{1} << kTagChunkLog2;  // ciphertext per tag
constexpr std::size_t kV2Head = 21 + 1 + 8;  // tag text, log2 chunk, chunk count
constexpr std::size_t kTag = 32;

std::uint64_t v2_stream_size(std::uint64_t chunks) {
  return std::max<std::uint64_t>(kMacStreamSize, kV2Head + kTag + kTag * chunks);
}
std::uint64_t padded_size(std::uint64_t size) {
  return (size + 15) / 16 * 16;
}
std::uint64_t chunks_for(std::uint64_t size) {
  return (padded_size(size) + kTagChunk - 1) / kTagChunk;
}

// tag_i = HMAC(Kc, LE64 i ‖ LE64 N ‖ LE64 size ‖ chunk i)
void chunk_tag(const crypto::Backend& be, ByteView kc, std::uint64_t i, std::uint64_t n,
               std::uint64_t size, ByteView chunk, MutableByteView out) {
  auto mac = be.hmac(crypto::HashAlg::sha256, kc);
  std::uint8_t b[24];
  cfb::detail::put64(b, i);
  cfb::detail::put64(b + 8, n);
  cfb::detail::put64(b + 16, size);
  mac->update(ByteView(b, 24));
  mac->update(chunk);
  mac->finish(out);
}

// Writes to `out` and feeds a MAC (or the sink that feeds one on its own thread) the same
// bytes, in order.
template <class Mac>
struct MacTee final : ByteSink {
  ByteSink& out;
  Mac& mac;
  MacTee(ByteSink& o, Mac& m) : out(o), mac(m) {}
  void write(ByteView d) override {
    out.write(d);
    if constexpr (std::is_base_of_v<ByteSink, Mac>)
      mac.write(d);
    else
      mac.update(d);
  }
};

// The header MAC over a byte stream fed in file order: bytes in [skip_from, skip_to) (the
// ciphertext) are left out, bytes in [zero_from, zero_to) (header MAC and tags) count as zeros.
class HeaderMac {
 public:
  HeaderMac(const crypto::Backend& be, ByteView kh, std::uint64_t skip_from, std::uint64_t skip_to,
            std::uint64_t zero_from, std::uint64_t zero_to)
      : mac_(be.hmac(crypto::HashAlg::sha256, kh)),
        skip_from_(skip_from),
        skip_to_(skip_to),
        zero_from_(zero_from),
        zero_to_(zero_to) {}
  void update(ByteView d) {
    static const std::uint8_t zeros[256] = {};
    while (!d.empty()) {
      std::uint64_t n = d.size();
      auto cut = [&](std::uint64_t at) {
        if (at > pos_ && at - pos_ < n) n = at - pos_;
      };
      cut(skip_from_);
      cut(skip_to_);
      cut(zero_from_);
      cut(zero_to_);
      if (n > sizeof zeros && pos_ >= zero_from_ && pos_ < zero_to_) n = sizeof zeros;
      const auto k = static_cast<std::size_t>(n);
      if (pos_ >= skip_from_ && pos_ < skip_to_) {
        // the ciphertext: covered by the chunk tags
      } else if (pos_ >= zero_from_ && pos_ < zero_to_) {
        mac_->update(ByteView(zeros, k));
      } else {
        mac_->update(d.first(k));
      }
      pos_ += k;
      d = d.subspan(k);
    }
  }
  /// Moves past `n` bytes of the skipped range without reading them.
  void advance(std::uint64_t n) { pos_ += n; }
  crypto::Bytes finish(ByteView tags) {
    mac_->update(tags);
    return mac_->finish();
  }

 private:
  std::unique_ptr<crypto::MacCtx> mac_;
  std::uint64_t skip_from_, skip_to_, zero_from_, zero_to_, pos_ = 0;
};
constexpr std::u16string_view kDrmTransformId = u"{C73DFACD-061F-43B0-8B64-0C620D2A8B50}";
constexpr std::u16string_view kDrmTransformName = u"Microsoft.Metadata.DRMTransform";
constexpr std::size_t kChunk = 4u << 20;
constexpr std::uint32_t kMaxLicense = 4u << 20;

[[noreturn]] void bad(const std::string& what) {
  fail(Errc::bad_format, "not a valid IRM-protected Office document: " + what);
}
[[noreturn]] void altered() {
  fail(Errc::integrity,
       "the protected document was altered or damaged (its integrity check failed), or the "
       "content key does not belong to it");
}

// \006Primary of the DRM transform (§2.2.6 / FORMATS.md B3): TransformInfoHeader,
// ExtensibilityHeader, then the license as a UTF-8 length-prefixed string padded to 4.
crypto::Bytes drm_primary(std::string_view license) {
  using detail::lp_p4;
  using detail::u32;
  crypto::Bytes id;
  u32(id, 1);  // TransformType
  lp_p4(id, kDrmTransformId);
  crypto::Bytes b;
  u32(b, static_cast<std::uint32_t>(id.size() + 4));  // TransformLength: through TransformID
  b.insert(b.end(), id.begin(), id.end());
  lp_p4(b, kDrmTransformName);
  for (int i = 0; i < 3; ++i) detail::version_1_0(b);  // reader, updater, writer
  u32(b, 4);                                           // ExtensibilityHeader
  u32(b, static_cast<std::uint32_t>(license.size()));
  b.insert(b.end(), license.begin(), license.end());
  while (b.size() % 4) b.push_back(0);
  return b;
}

struct Cursor {
  ByteView d;
  std::size_t at = 0;
  std::uint32_t u32() {
    if (d.size() - at < 4) bad("\\006Primary is truncated");
    std::uint32_t v = le32(d.data() + at);
    at += 4;
    return v;
  }
  ByteView take(std::size_t n, const char* what) {
    if (d.size() - at < n) bad(std::string("\\006Primary is truncated in ") + what);
    ByteView v = d.subspan(at, n);
    at += n;
    return v;
  }
  std::u16string lp_p4(const char* what) {
    std::uint32_t n = u32();
    if (n % 2 || n > 4096) bad(std::string("\\006Primary has a bad ") + what + " length");
    ByteView v = take(n, what);
    std::u16string s(n / 2, u'\0');
    for (std::size_t i = 0; i < s.size(); ++i)
      s[i] = static_cast<char16_t>(v[2 * i] | (v[2 * i + 1] << 8));
    at += (4 - n % 4) % 4;
    if (at > d.size()) bad("\\006Primary is truncated");
    return s;
  }
};

std::string parse_primary(ByteView p) {
  Cursor c{p};
  std::uint32_t tlen = c.u32();
  std::size_t id_start = c.at;
  if (c.u32() != 1) bad("the DRM transform has the wrong TransformType");
  if (c.lp_p4("TransformID") != kDrmTransformId)
    bad("the transform is not Microsoft's DRM transform");
  if (tlen != c.at - id_start + 4) bad("TransformLength does not match the TransformID");
  c.lp_p4("TransformName");
  c.take(12, "versions");
  std::uint32_t ext = c.u32();
  if (ext < 4 || ext > 4096) bad("bad ExtensibilityHeader");
  c.take(ext - 4, "extensibility data");
  std::uint32_t n = c.u32();
  if (n == 0 || n > kMaxLicense) bad("the publishing license is empty or implausibly large");
  ByteView lic = c.take(n, "the publishing license");
  std::size_t skip =
      (n >= 3 && lic[0] == 0xEF && lic[1] == 0xBB && lic[2] == 0xBF) ? 3 : 0;  // UTF-8 BOM
  return std::string(reinterpret_cast<const char*>(lic.data()) + skip, n - skip);
}

}  // namespace

namespace internal {

Opened open(const ByteSource& src) {
  Opened o{cfb::Reader(src), {}, nullptr, nullptr, 0, 0, 0, 0, {}};
  const cfb::Entry* primary = o.r.find(kPrimary);
  o.package = o.r.find("EncryptedPackage");
  if (!primary || !o.package) {
    primary = o.r.find(kBinaryPrimary);
    o.package = o.r.find(kBinaryContent);
    o.info.flavour = Flavour::binary;
    if (!primary || !o.package)
      bad("it has no DRM transform license or no encrypted content stream");
  }
  if (primary->type != cfb::EntryType::stream || o.package->type != cfb::EntryType::stream)
    bad("its license or content is a storage, not a stream");
  o.info.cfb_version = o.r.major_version();
  o.info.license = parse_primary(o.r.read_stream(*primary, kMaxLicense + 4096));
  if (o.package->size < 8) bad("EncryptedPackage is shorter than its size field");
  std::uint8_t n[8];
  o.r.open(*o.package)->read_exact(n);
  o.info.size = le64(n);
  const std::uint64_t avail = o.package->size - 8;
  if (o.info.size > avail || avail - o.info.size < (16 - o.info.size % 16) % 16)
    bad("EncryptedPackage declares " + std::to_string(o.info.size) + " bytes but holds fewer");
  o.mac = o.r.find(kMacStream);
  if (o.mac && o.mac->type == cfb::EntryType::stream && o.mac->size >= kMacStreamSize) {
    std::uint8_t head[kV2Head];
    o.r.open(*o.mac)->read_exact(head);
    if (o.mac->size == kMacStreamSize && std::memcmp(head, kMacTag.data(), kMacTag.size()) == 0) {
      o.info.has_mac = true;
      o.info.integrity_version = 1;
    } else if (std::memcmp(head, kMacTagV2.data(), kMacTagV2.size()) == 0) {
      o.chunks = le64(head + 22);
      if (head[21] != kTagChunkLog2 || o.chunks != chunks_for(o.info.size) ||
          o.mac->size != v2_stream_size(o.chunks))
        bad("its integrity stream does not match the encrypted package");
      auto mac_at = o.r.contiguous_offset(*o.mac);
      auto pkg_at = o.r.contiguous_offset(*o.package);
      const bool mini = o.package->size < 4096;
      if (!mac_at || (!pkg_at && !mini))
        bad("its integrity stream or package is not laid out in consecutive sectors");
      o.mac_offset = *mac_at;
      o.ct_offset = mini ? 0 : *pkg_at + 8;
      o.ct_len = mini ? 0 : padded_size(o.info.size);
      Bytes all = o.r.read_stream(*o.mac, o.mac->size);
      o.v2_area.assign(all.begin() + kV2Head,
                       all.begin() + static_cast<std::ptrdiff_t>(kV2Head + kTag + kTag * o.chunks));
      o.info.has_mac = true;
      o.info.integrity_version = 2;
    }
  }
  return o;
}

}  // namespace internal

Info read_info(const ByteSource& src) {
  return internal::open(src).info;
}

std::optional<Bytes> read_stream(const ByteSource& src, std::string_view name,
                                 std::size_t max_bytes) {
  cfb::Reader r(src);
  const cfb::Entry* e = r.find(name);
  if (!e) return std::nullopt;
  if (e->type != cfb::EntryType::stream) bad(std::string(name) + " is not a stream");
  if (e->size > max_bytes) bad(std::string(name) + " is implausibly large");
  return r.read_stream(*e, max_bytes);
}

void write(const ByteSource& plaintext, ByteSink& out, std::string_view license,
           ByteView content_key, const WriteOptions& opt) {
  const crypto::Backend& be = opt.backend ? *opt.backend : crypto::default_backend();
  if (content_key.size() != 16 && content_key.size() != 24 && content_key.size() != 32)
    fail(Errc::invalid_argument, "the IRM content key must be 16, 24 or 32 bytes");
  if (license.empty() || license.size() > kMaxLicense)
    fail(Errc::invalid_argument, "the publishing license is empty or too large");
  const std::uint64_t size = plaintext.size();
  const bool binary = opt.flavour == Flavour::binary;
  if (opt.require_ooxml && !binary) {
    std::uint8_t sig[4] = {};
    if (size >= 4) plaintext.read_at(0, sig);
    if (!(sig[0] == 'P' && sig[1] == 'K' && sig[2] == 3 && sig[3] == 4))
      fail(Errc::invalid_argument,
           "the input is not an Office Open XML package (.docx/.xlsx/.pptx): IRM protection "
           "needs one");
  }
  const std::uint16_t cfbv = size >= (256ull << 20) ? 4 : 3;
  const std::uint64_t sector = cfbv == 4 ? 4096 : 512;
  cfb::Writer w(cfb::WriterOptions{cfbv});
  if (opt.integrity_version != 1 && opt.integrity_version != 2)
    fail(Errc::invalid_argument, "the IRM integrity version must be 1 or 2");
  const bool v2 = opt.integrity_version == 2;
  const std::uint64_t chunks = chunks_for(size);
  const std::uint64_t istream = v2 ? v2_stream_size(chunks) : kMacStreamSize;
  // Declared first: the writer lays large streams out in declaration order right after the
  // header, so the integrity stream sits at a known offset and the package right after it.
  w.add_stream(kMacStream, istream, [&](ByteSink& s) {
    crypto::Bytes b(static_cast<std::size_t>(istream), 0);
    if (v2) {
      std::memcpy(b.data(), kMacTagV2.data(), kMacTagV2.size());
      b[21] = kTagChunkLog2;
      put64(b.data() + 22, chunks);
    } else {
      std::memcpy(b.data(), kMacTag.data(), kMacTag.size());
    }
    s.write(b);
  });
  std::shared_ptr<crypto::Aes> aes(be.aes(content_key));
  const std::uint64_t pkg_stream = 8 + (size + 15) / 16 * 16;
  crypto::SecureBytes kc, kh;
  if (v2) {
    kc = formats::detail::integrity_key(be, content_key, "office-irm-v2-chunks");
    kh = formats::detail::integrity_key(be, content_key, "office-irm-v2-header");
  }
  crypto::Bytes tags(static_cast<std::size_t>(kTag * chunks));
  w.add_stream(
      binary ? kBinaryContent : std::string_view("EncryptedPackage"), pkg_stream,
      [&, aes](ByteSink& s) {
        std::uint8_t n[8];
        put64(n, size);
        s.write(n);
        crypto::SecureBytes in(
            static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size + 16)));
        crypto::Bytes ct(in.size());
        for (std::uint64_t off = 0; off < size;) {
          std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - off));
          plaintext.read_at(off, MutableByteView(in.data(), len));
          std::size_t padded = (len + 15) / 16 * 16;
          std::memset(in.data() + len, 0, padded - len);
          aes->ecb_encrypt(ByteView(in.data(), padded), MutableByteView(ct.data(), padded));
          if (v2) {  // kChunk is a whole number of tag chunks: their tags in parallel
            const std::uint64_t first = off / kTagChunk;
            const auto parts = static_cast<std::size_t>((padded + kTagChunk - 1) / kTagChunk);
            crypto::parallel_for(parts, [&](std::size_t j) {
              const std::size_t at = j * kTagChunk;
              const std::size_t part = std::min<std::size_t>(kTagChunk, padded - at);
              chunk_tag(be, kc, first + j, chunks, size, ByteView(ct.data() + at, part),
                        MutableByteView(tags.data() + (first + j) * kTag, kTag));
            });
          }
          s.write(ByteView(ct.data(), padded));
          off += len;
          if (opt.progress) opt.progress(off, size);
        }
      });
  w.add_stream(
      "\x06"
      "DataSpaces/Version",
      detail::data_space_version());
  if (binary) {
    w.add_stream(
        "\x06"
        "DataSpaces/DataSpaceMap",
        detail::data_space_map(u"\x09"
                               u"DRMDataSpace",
                               u"\x09"
                               u"DRMContent"));
    w.add_stream(
        "\x06"
        "DataSpaces/DataSpaceInfo/\x09"
        "DRMDataSpace",
        detail::data_space_definition(u"\x09"
                                      u"DRMTransform"));
    w.add_stream(kBinaryPrimary, drm_primary(license));
  } else {
    w.add_stream(
        "\x06"
        "DataSpaces/DataSpaceMap",
        detail::data_space_map(u"DRMEncryptedDataSpace"));
    w.add_stream(
        "\x06"
        "DataSpaces/DataSpaceInfo/DRMEncryptedDataSpace",
        detail::data_space_definition(u"DRMEncryptedTransform"));
    w.add_stream(kPrimary, drm_primary(license));
  }
  for (const auto& [name, data] : opt.extra_streams) w.add_stream(name, data);

  if (v2) {
    // The header MAC sees every byte but the ciphertext (the tags cover that), in write order;
    // header MAC and tags are patched in at the end.
    const std::uint64_t area_at = sector + kV2Head;
    const std::uint64_t pkg_at = sector + (istream + sector - 1) / sector * sector;
    const bool mini = pkg_stream < 4096;
    const std::uint64_t ct_from = mini ? 0 : pkg_at + 8;
    const std::uint64_t ct_to = mini ? 0 : pkg_at + 8 + padded_size(size);
    HeaderMac hm(be, kh, ct_from, ct_to, area_at, area_at + kTag + tags.size());
    MacTee<HeaderMac> hs(out, hm);
    w.write(hs);
    out.patch(area_at, hm.finish(tags));
    if (!tags.empty()) out.patch(area_at + kTag, tags);
    return;
  }
  // Everything goes through a MAC-computing sink; the MAC is patched in at the end.
  const std::uint64_t mac_at = sector + kMacTag.size();
  crypto::SecureBytes mkey = formats::detail::integrity_key(be, content_key, "office-irm");
  formats::detail::HoleMac mac(be, mkey, mac_at);
  MacTee<formats::detail::HoleMac> ms(out, mac);
  if (size > kChunk) {  // the MAC on its own thread, overlapped with the cipher and the output
    formats::detail::AsyncSink pipe([&mac](ByteView d) { mac.update(d); });
    MacTee<formats::detail::AsyncSink> tee(out, pipe);
    w.write(tee);
    pipe.finish();
  } else {
    w.write(ms);
  }
  out.patch(mac_at, mac.finish());
}

namespace {

// Reads the package's ciphertext once, kChunk at a time; `check(offset, ciphertext)` runs on
// each piece before it is decrypted and written (and throws to stop).
template <class Check>
void decrypt_package(const internal::Opened& o, const crypto::Backend& be, ByteView key,
                     ByteSink& out, const ReadOptions& opt, ReadResult& res, Check&& check) {
  auto aes = be.aes(key);
  auto s = o.r.open(*o.package);
  std::uint8_t n8[8];
  s->read_exact(n8);
  const std::uint64_t size = o.info.size;
  crypto::SecureBytes buf(static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size + 16)));
  for (std::uint64_t off = 0; off < size;) {
    const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - off));
    const std::size_t padded = (len + 15) / 16 * 16;
    const MutableByteView piece(buf.data(), padded);
    s->read_exact(piece);
    check(off, ByteView(piece));
    aes->ecb_decrypt(piece, piece);
    out.write(ByteView(buf.data(), len));
    off += len;
    res.size = off;
    if (opt.progress) opt.progress(off, size);
  }
}

// Checks version 2's header MAC: every file byte outside the ciphertext, then the tags.
void verify_header(const internal::Opened& o, const ByteSource& src, ByteView kh,
                   const crypto::Backend& be) {
  const ByteView area(o.v2_area);
  const ByteView tags = area.subspan(kTag);
  const std::uint64_t area_at = o.mac_offset + kV2Head;
  HeaderMac hm(be, kh, o.ct_offset, o.ct_offset + o.ct_len, area_at, area_at + area.size());
  crypto::Bytes buf(1u << 20);
  auto feed = [&](std::uint64_t from, std::uint64_t to) {
    for (std::uint64_t at = from; at < to;) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), to - at));
      src.read_at(at, MutableByteView(buf.data(), n));
      hm.update(ByteView(buf.data(), n));
      at += n;
    }
  };
  if (o.ct_offset + o.ct_len > src.size()) altered();
  feed(0, o.ct_offset);
  hm.advance(o.ct_len);
  feed(o.ct_offset + o.ct_len, src.size());
  if (!crypto::ct_equal(hm.finish(tags), area.first(kTag))) altered();
}

// Integrity version 2: the header MAC first (every byte outside the ciphertext: a few KB), then
// each 4 MiB of ciphertext read once, its tags checked in parallel, and only then decrypted and
// released.
ReadResult decrypt_v2(const internal::Opened& o, const ByteSource& src, ByteSink& out,
                      ByteView content_key, const ReadOptions& opt) {
  const crypto::Backend& be = opt.backend ? *opt.backend : crypto::default_backend();
  ReadResult res;
  res.info = o.info;
  const crypto::SecureBytes kc =
      formats::detail::integrity_key(be, content_key, "office-irm-v2-chunks");
  const crypto::SecureBytes kh =
      formats::detail::integrity_key(be, content_key, "office-irm-v2-header");
  const ByteView tags = ByteView(o.v2_area).subspan(kTag);
  verify_header(o, src, kh, be);
  decrypt_package(
      o, be, content_key, out, opt, res,
      [&](std::uint64_t off, ByteView ct) {  // ct: a whole number of tag chunks
        const std::uint64_t first = off / kTagChunk;
        const auto n = static_cast<std::size_t>((ct.size() + kTagChunk - 1) / kTagChunk);
        std::atomic<bool> ok{true};
        crypto::parallel_for(n, [&](std::size_t j) {
          const std::size_t at = j * kTagChunk;
          std::uint8_t t[kTag];
          chunk_tag(be, kc, first + j, o.chunks, o.info.size,
                    ct.subspan(at, std::min<std::size_t>(kTagChunk, ct.size() - at)),
                    MutableByteView(t, kTag));
          if (!crypto::ct_equal(ByteView(t, kTag), tags.subspan((first + j) * kTag, kTag)))
            ok = false;
        });
        if (!ok) altered();
      });
  res.integrity_verified = true;
  return res;
}

}  // namespace

namespace {

bool is_summary_stream(const cfb::Entry& e) {
  return e.parent == 0 && e.type == cfb::EntryType::stream &&
         (e.name == "\x05SummaryInformation" || e.name ==
                                                    "\x05"
                                                    "DocumentSummaryInformation");
}

// The ChunkReader as a source, for parsing the inner compound file of a binary document.
class ChunkSource final : public ByteSource {
 public:
  explicit ChunkSource(const internal::ChunkReader& r) : r_(r) {}
  std::uint64_t size() const noexcept override { return r_.size(); }
  void read_at(std::uint64_t offset, MutableByteView out) const override {
    if (offset > r_.size() || out.size() > r_.size() - offset)
      bad("the protected document ends before the structure it describes");
    if (r_.read_at(offset, out) != out.size()) bad("a short read inside the protected document");
  }

 private:
  const internal::ChunkReader& r_;
};

}  // namespace

bool internal::inner_is_whole(const Opened& o, const cfb::Reader& inner) {
  // Written since the inner file is the whole document: every summary stream at the root is
  // also inside, and the inner file is the original, byte for byte.
  return std::all_of(o.r.entries().begin(), o.r.entries().end(), [&](const cfb::Entry& e) {
    return !is_summary_stream(e) || inner.find(e.path) != nullptr;
  });
}

internal::ChunkReader::ChunkReader(const Opened& o, const ByteSource& src, ByteView content_key,
                                   const crypto::Backend& be)
    : o_(o), src_(src), be_(be), key_(content_key.begin(), content_key.end()) {
  if (o.info.integrity_version != 2)
    fail(Errc::unsupported,
         "random access needs an Office IRM document with per-chunk integrity (written by "
         "openrms since its integrity version 2)");
  kc_ = formats::detail::integrity_key(be, content_key, "office-irm-v2-chunks");
  verify_header(o, src, formats::detail::integrity_key(be, content_key, "office-irm-v2-header"),
                be);
  if (o.info.flavour == Flavour::binary) {
    // Ranges of the document itself: only where the inner compound file is the whole original
    // (its header and directory are read here, through verified chunks).
    const ChunkSource inner_source(*this);
    const cfb::Reader inner(inner_source);
    if (!inner_is_whole(o, inner))
      fail(Errc::unsupported,
           "random access needs a binary Office document protected with its summary streams "
           "inside (openrms writes them so since the document became the inner file)");
  }
}

std::size_t internal::ChunkReader::chunk(std::uint64_t i, crypto::SecureBytes& buf) const {
  const std::uint64_t padded = padded_size(o_.info.size);
  const auto len = static_cast<std::size_t>(std::min(kTagChunk, padded - i * kTagChunk));
  buf.resize(len);
  if (o_.ct_len == 0) {  // a package in the mini stream: one small chunk, read through the CFB
    auto s = o_.r.open(*o_.package);
    std::uint8_t n8[8];
    s->read_exact(n8);
    s->read_exact(buf);
  } else {
    src_.read_at(o_.ct_offset + i * kTagChunk, buf);
  }
  std::uint8_t t[kTag];
  chunk_tag(be_, kc_, i, o_.chunks, o_.info.size, buf, MutableByteView(t, kTag));
  if (!crypto::ct_equal(ByteView(t, kTag), ByteView(o_.v2_area).subspan(kTag + i * kTag, kTag)))
    altered();
  be_.aes(key_)->ecb_decrypt(buf, buf);
  return static_cast<std::size_t>(std::min<std::uint64_t>(len, o_.info.size - i * kTagChunk));
}

std::size_t internal::ChunkReader::read_at(std::uint64_t offset, MutableByteView out) const {
  if (offset >= o_.info.size || out.empty()) return 0;
  const auto n =
      static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), o_.info.size - offset));
  crypto::SecureBytes buf;
  std::size_t done = 0;
  try {
    while (done < n) {
      const std::uint64_t pos = offset + done, i = pos / kTagChunk;
      const std::size_t plain = chunk(i, buf);
      const auto skip = static_cast<std::size_t>(pos - i * kTagChunk);
      const std::size_t take = std::min(plain - skip, n - done);
      std::memcpy(out.data() + done, buf.data() + skip, take);
      done += take;
    }
  } catch (...) {
    std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), std::uint8_t{0});
    throw;
  }
  return done;
}

ReadResult internal::decrypt(const Opened& o, const ByteSource& src, ByteSink& out,
                             ByteView content_key, const ReadOptions& opt) {
  const crypto::Backend& be = opt.backend ? *opt.backend : crypto::default_backend();
  if (content_key.size() != 16 && content_key.size() != 24 && content_key.size() != 32)
    fail(Errc::invalid_argument, "the IRM content key must be 16, 24 or 32 bytes");
  ReadResult res;
  res.info = o.info;
  if (!o.info.has_mac && opt.require_integrity) altered();
  if (o.info.integrity_version == 2) return decrypt_v2(o, src, out, content_key, opt);
  auto verify = [&] {
    const std::uint64_t mac_at =
        (std::uint64_t{o.mac->start} + 1) * o.r.sector_size() + kMacTag.size();
    if (mac_at + formats::detail::kMacSize > src.size()) return false;
    crypto::SecureBytes mkey = formats::detail::integrity_key(be, content_key, "office-irm");
    formats::detail::HoleMac mac(be, mkey, mac_at);
    formats::detail::mac_range(mac, src, 0, src.size());
    crypto::Bytes got(formats::detail::kMacSize);
    src.read_at(mac_at, got);
    return crypto::ct_equal(mac.finish(), got);
  };
  auto produce = [&] {
    decrypt_package(o, be, content_key, out, opt, res, [](std::uint64_t, ByteView) {});
  };
  if (o.info.has_mac) {
    // Verify first, or at once when the caller discards the output on failure.
    formats::detail::verify_and_produce(opt.overlap_verification, verify, produce,
                                        [] { altered(); });
    res.integrity_verified = true;
  } else {
    produce();
  }
  return res;
}

ReadResult decrypt(const ByteSource& file, ByteSink& out, ByteView content_key,
                   const ReadOptions& opt) {
  formats::detail::PrivateCopy src(file);
  return internal::decrypt(internal::open(src), src, out, content_key, opt);
}

namespace {

/// Declares every storage and stream of `r` accepted by `keep` in `w` (streams copied during
/// write(), without holding them in memory), with the storages' CLSIDs.
template <class Keep>
void copy_entries(const cfb::Reader& r, cfb::Writer& w, Keep keep) {
  for (const cfb::Entry& e : r.entries()) {
    if (e.type == cfb::EntryType::root) {
      w.set_clsid("", e.clsid);
      continue;
    }
    if (!keep(e)) continue;
    if (e.type == cfb::EntryType::storage) {
      w.add_storage(e.path);
      w.set_clsid(e.path, e.clsid);
    } else {
      const cfb::Entry* entry = &e;
      w.add_stream(e.path, e.size, [&r, entry](ByteSink& s) {
        auto in = r.open(*entry);
        Bytes buf(static_cast<std::size_t>(std::min<std::uint64_t>(entry->size, 1u << 20)));
        for (std::size_t n; (n = in->read(buf)) > 0;) s.write(ByteView(buf.data(), n));
      });
    }
  }
}

std::uint16_t version_for(std::uint64_t size) {
  return size >= (256ull << 20) ? 4 : 3;
}

}  // namespace

void write_binary_document(const ByteSource& document, ByteSink& out, std::string_view license,
                           ByteView content_key, const WriteOptions& opt) {
  std::uint8_t sig[8] = {};
  if (document.size() >= 8) document.read_at(0, sig);
  if (!cfb::Reader::has_signature(sig))
    fail(Errc::invalid_argument,
         "the input is not a binary Office document (.doc/.xls/.ppt compound file)");
  cfb::Reader r(document);
  if (r.find("\x06"
             "DataSpaces"))
    fail(Errc::invalid_argument,
         "this document already uses data spaces (IRM or password encryption)");
  // The inner compound file is the document itself, byte for byte, so that unprotecting gives
  // back exactly the file that was protected; its summary streams are also copied to the root,
  // where Office and search indexers read them without the key.
  WriteOptions o = opt;
  o.flavour = Flavour::binary;
  o.require_ooxml = false;
  for (const cfb::Entry& e : r.entries())
    if (is_summary_stream(e)) o.extra_streams.emplace_back(e.name, r.read_stream(e, 16u << 20));
  write(document, out, license, content_key, o);
}

ReadResult decrypt_binary_document(const ByteSource& file, ByteSink& out, ByteView content_key,
                                   const ReadOptions& opt) {
  formats::detail::PrivateCopy src(file);  // the summary streams too come from what was verified
  return internal::decrypt_binary(internal::open(src), src, out, content_key, opt);
}

ReadResult internal::decrypt_binary(const Opened& o, const ByteSource& src, ByteSink& out,
                                    ByteView content_key, const ReadOptions& opt) {
  if (o.info.flavour != Flavour::binary)
    bad("it is not a binary Office document (no \\011DRMContent)");
  TempFile plain;  // discarded on failure: the integrity check may overlap the decryption
  ReadOptions inner_opt = opt;
  inner_opt.overlap_verification = true;
  ReadResult res = decrypt(o, src, plain, content_key, inner_opt);
  cfb::Reader inner(plain);
  const cfb::Reader& outer = o.r;
  if (inner_is_whole(o, inner)) {
    Bytes buf(static_cast<std::size_t>(std::min<std::uint64_t>(plain.size(), kChunk)));
    for (std::uint64_t at = 0; at < plain.size();) {
      const auto n =
          static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), plain.size() - at));
      plain.read_at(at, MutableByteView(buf.data(), n));
      out.write(ByteView(buf.data(), n));
      at += n;
    }
    res.size = plain.size();
    return res;
  }
  // Older files hold the document's streams without the summary streams: rebuild it.
  cfb::Writer w(cfb::WriterOptions{version_for(plain.size())});
  copy_entries(inner, w, [](const cfb::Entry&) { return true; });
  for (const cfb::Entry& e : outer.entries())
    if (is_summary_stream(e) && !inner.find(e.path)) {
      const cfb::Entry* entry = &e;
      w.add_stream(e.path, e.size,
                   [&outer, entry](ByteSink& s) { s.write(outer.read_stream(*entry, 16u << 20)); });
    }
  CountingSink counted(out);
  w.write(counted);
  res.size = counted.count();
  return res;
}

}  // namespace openrms::formats::office::irm
