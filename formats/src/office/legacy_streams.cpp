// The streams of a decrypted binary document: the output compound file, and the RC4 CryptoAPI
// encrypted summary stream ([MS-OFFCRYPTO] §2.3.5.3, §2.3.5.4). When a binary document's properties
// are encrypted, the \x05SummaryInformation stream is absent, an empty
// \x05DocumentSummaryInformation stands in for the real one, and both real streams sit in one
// stream ("encryption" in Word and Excel, "EncryptedSummary" in PowerPoint):
//   StreamDescriptorArrayOffset u32 and StreamDescriptorArraySize u32 (under block 0's key),
//   the encrypted streams, then at StreamDescriptorArrayOffset the count (u32) and the
//   descriptors, one keystream under block 0's key started afresh. Each descriptor:
//   StreamOffset u32, StreamSize u32, Block u16, NameSize u8, flags u8 (bit 0: a stream),
//   Reserved2 u32, StreamName (NameSize UTF-16 units and a terminating NUL).
// Each stream is one keystream under the key of its Block. Storages (fStream 0) carry no data
// here and are skipped.
#include "../cfb/cfb_constants.hpp"
#include "legacy_formats.hpp"
#include "legacy_rc4.hpp"
#include "openrms/error.hpp"

namespace openrms::formats::office::detail {

namespace {

[[noreturn]] void bad(const std::string& what) {
  fail(Errc::bad_format, "encrypted summary stream: " + what);
}

}  // namespace

void decrypt_summary(const LegacyRc4& key, const cfb::Reader& r, std::string_view name,
                     LegacyDecrypted& d) {
  const cfb::Entry* e = r.find(name);
  if (!e || e->type != cfb::EntryType::stream) return;
  const Bytes s = r.read_stream(*e, kMaxLegacyStream);
  if (s.size() < 8) bad("too short");
  std::uint8_t head[8];
  key.cipher(0)->apply(crypto::ByteView(s.data(), 8), head);
  const std::uint32_t at = cfb::detail::le32(head);
  if (at < 8 || at > s.size() || s.size() - at < 4) bad("the descriptor array lies past the end");
  Bytes desc(s.begin() + at, s.end());
  key.cipher(0)->apply(desc, desc);
  const std::uint32_t count = cfb::detail::le32(desc.data());
  constexpr std::size_t kFixed = 16;  // a descriptor without its name
  if (count > (desc.size() - 4) / kFixed) bad("more descriptors than fit");
  std::size_t p = 4;
  std::uint64_t claimed = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (desc.size() - p < kFixed) bad("a descriptor is truncated");
    const std::uint8_t* q = desc.data() + p;
    const std::uint32_t offset = cfb::detail::le32(q), size = cfb::detail::le32(q + 4);
    const std::uint16_t block = cfb::detail::le16(q + 8);
    const std::size_t units = q[10];
    if (units > 31) bad("a stream name is longer than a compound file allows");
    const bool is_stream = q[11] & 1;
    p += kFixed;
    if ((desc.size() - p) / 2 < units + 1) bad("a stream name is truncated");
    std::u16string name16;
    for (std::size_t u = 0; u < units; ++u)
      name16.push_back(cfb::detail::le16(desc.data() + p + 2 * u));
    p += 2 * (units + 1);
    if (!is_stream) continue;
    const std::string stream_name = cfb::utf16_to_utf8(name16);
    if (stream_name.empty() || stream_name.find('/') != std::string::npos)
      bad("a stream name is empty or has a '/'");
    if (offset > s.size() || s.size() - offset < size) bad("a stream lies past the end");
    // The streams sit side by side in the summary stream; descriptors that claim more than it
    // holds overlap, and would cost their count times its size to copy.
    claimed += size;
    if (claimed > s.size()) bad("the streams overlap");
    Bytes data(s.begin() + offset, s.begin() + offset + size);
    key.cipher(block)->apply(data, data);
    d.streams[stream_name] = std::move(data);
  }
  d.dropped.insert(e->path);
}

void write_with_streams(const cfb::Reader& r, const LegacyDecrypted& d, ByteSink& sink) {
  cfb::WriterOptions wo;
  wo.major_version = r.major_version() == 4 ? 4 : 3;
  cfb::Writer w(wo);
  for (const cfb::Entry& e : r.entries()) {
    if (e.type == cfb::EntryType::root) {
      w.set_clsid("", e.clsid);
    } else if (e.type == cfb::EntryType::storage) {
      w.add_storage(e.path);
      w.set_clsid(e.path, e.clsid);
    } else if (d.dropped.count(e.path)) {
      continue;
    } else if (auto it = d.streams.find(e.path); it != d.streams.end()) {
      w.add_stream(e.path, it->second);
    } else {
      w.add_stream(e.path, e.size, [&r, &e](ByteSink& s) {
        auto in = r.open(e);
        Bytes buf(64 << 10);
        for (std::size_t n; (n = in->read(buf)) > 0;) s.write(crypto::ByteView(buf).first(n));
      });
    }
  }
  for (const auto& [path, data] : d.streams)
    if (!r.find(path)) w.add_stream(path, data);
  w.write(sink);
}

}  // namespace openrms::formats::office::detail
