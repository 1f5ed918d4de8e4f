// Office file detection: OOXML ZIP packages, encrypted OOXML compound files, legacy binary
// documents and their encryption schemes ([MS-OFFCRYPTO] §2.3.5–2.3.7 locations: Word FIB and
// table stream, Excel FILEPASS, PowerPoint CurrentUserAtom).
#include <algorithm>
#include <cstring>

#include "../cfb/cfb_constants.hpp"
#include "office_internal.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/cfb/compound_file.hpp"
#include "openrms/formats/office/office_crypto.hpp"

namespace openrms::formats::office {

using cfb::detail::le16;
using cfb::detail::le32;

namespace {

bool contains(ByteView hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

Scheme version_scheme(std::uint16_t major, std::uint16_t minor) {
  if (major == 1 && minor == 1) return Scheme::rc4_binary;
  if ((major == 2 || major == 3 || major == 4) && minor == 2) return Scheme::rc4_cryptoapi;
  return Scheme::unknown;
}

Detection detect_zip(const ByteSource& src) {
  Detection d;
  const std::uint64_t window = 64 << 10;
  Bytes head(static_cast<std::size_t>(std::min(window, src.size())));
  src.read_at(0, head);
  Bytes tail(static_cast<std::size_t>(std::min(window, src.size())));
  src.read_at(src.size() - tail.size(), tail);
  bool ct = contains(head, "[Content_Types].xml") || contains(tail, "[Content_Types].xml");
  if (!ct) return d;  // a ZIP, but not OOXML
  d.container = Container::ooxml;
  auto has = [&](std::string_view p) { return contains(head, p) || contains(tail, p); };
  if (has("word/"))
    d.application = "Word";
  else if (has("xl/"))
    d.application = "Excel";
  else if (has("ppt/"))
    d.application = "PowerPoint";
  return d;
}

}  // namespace

Detection detail::detect_in(const cfb::Reader& r) {
  Detection d;
  d.container = Container::compound_other;
  auto stream = [&](std::string_view p) -> const cfb::Entry* {
    const cfb::Entry* e = r.find(p);
    return e && e->type == cfb::EntryType::stream ? e : nullptr;
  };
  if (stream("EncryptionInfo") && stream("EncryptedPackage")) {
    d.container = Container::ooxml_encrypted;
    if (detail::uses_drm_data_space(r)) {
      d.scheme = Scheme::irm;
      return d;
    }
    Bytes info = r.read_stream(*stream("EncryptionInfo"), 1 << 20);
    d.scheme = info.size() >= 8 ? detail::scheme_of(le16(info.data()), le16(info.data() + 2),
                                                    le32(info.data() + 4))
                                : Scheme::unknown;
    return d;
  }
  if (detail::uses_drm_data_space(r)) {
    d.container = Container::legacy_binary;
    d.scheme = Scheme::irm;
  }
  if (const cfb::Entry* wd = stream("WordDocument")) {
    d.container = Container::legacy_binary;
    d.application = "Word";
    if (d.scheme == Scheme::irm) return d;
    auto s = r.open(*wd);
    std::uint8_t h[12] = {};
    if (s->size() < sizeof h) return d;
    s->read_exact(h);
    std::uint16_t flags = le16(h + 10);
    if (!(flags & 0x0100)) return d;  // fEncrypted
    if (flags & 0x8000) {             // fObfuscated
      d.scheme = Scheme::xor_obfuscation;
      return d;
    }
    const cfb::Entry* table = stream((flags & 0x0200) ? "1Table" : "0Table");
    d.scheme = Scheme::unknown;
    if (table && table->size >= 4) {
      auto t = r.open(*table);
      std::uint8_t v[4];
      t->read_exact(v);
      d.scheme = version_scheme(le16(v), le16(v + 2));
    }
    return d;
  }
  const cfb::Entry* wb = stream("Workbook");
  if (!wb) wb = stream("Book");
  if (wb) {
    d.container = Container::legacy_binary;
    d.application = "Excel";
    if (d.scheme == Scheme::irm) return d;
    // Walk the first records of the workbook globals: FILEPASS (0x002F) follows BOF.
    auto s = r.open(*wb);
    for (int i = 0; i < 64; ++i) {
      std::uint8_t rh[4];
      if (s->size() - s->position() < 4) break;
      s->read_exact(rh);
      std::uint16_t type = le16(rh), len = le16(rh + 2);
      if (s->size() - s->position() < len) break;
      Bytes body(len);
      s->read_exact(body);
      if (type == 0x002F) {
        if (len < 2) {
          d.scheme = Scheme::unknown;
        } else if (le16(body.data()) == 0) {
          d.scheme = Scheme::xor_obfuscation;
        } else if (len >= 6) {
          d.scheme = version_scheme(le16(body.data() + 2), le16(body.data() + 4));
        } else {
          d.scheme = Scheme::unknown;
        }
        return d;
      }
      if (type == 0x0085 || type == 0x000A) break;  // BOUNDSHEET / EOF: no FILEPASS
    }
    return d;
  }
  if (stream("PowerPoint Document")) {
    d.container = Container::legacy_binary;
    d.application = "PowerPoint";
    if (d.scheme == Scheme::irm) return d;
    if (const cfb::Entry* cu = stream("Current User"); cu && cu->size >= 16) {
      auto s = r.open(*cu);
      std::uint8_t h[16];
      s->read_exact(h);
      if (le32(h + 12) == 0xF3D1C4DF) d.scheme = Scheme::rc4_cryptoapi;
    }
    if (stream("EncryptedSummary") && d.scheme == Scheme::none) d.scheme = Scheme::rc4_cryptoapi;
    return d;
  }
  return d;
}

namespace detail {

bool uses_drm_data_space(const cfb::Reader& r) {
  const cfb::Entry* m = r.find(
      "\x06"
      "DataSpaces/DataSpaceMap");
  if (m == nullptr || m->type != cfb::EntryType::stream) return false;
  Bytes map = r.read_stream(*m, 1 << 20);
  // "DRMEncryptedDataSpace" (ECMA-376 documents) or "\x09DRMDataSpace" (binary documents and
  // rights-managed mail), UTF-16LE ([MS-OFFCRYPTO] §2.2.1).
  static constexpr char drm[] = "D\0R\0M\0E\0n\0c\0r\0y\0p\0t\0e\0d\0";
  static constexpr char drm_binary[] = "\x09\0D\0R\0M\0D\0a\0t\0a\0S\0p\0a\0c\0e\0";
  return contains(map, std::string_view(drm, sizeof drm - 1)) ||
         contains(map, std::string_view(drm_binary, sizeof drm_binary - 1));
}

Scheme scheme_of(std::uint16_t major, std::uint16_t minor, std::uint32_t flags) {
  if (major == 4 && minor == 4) return Scheme::agile;
  if ((major == 3 || major == 4) && minor == 3) return Scheme::extensible;
  if (major >= 2 && major <= 4 && minor == 2)
    return (flags & 0x10) ? Scheme::extensible : Scheme::standard;
  return Scheme::unknown;
}

}  // namespace detail

namespace {
Detection detect_cfb(const ByteSource& src) {
  cfb::Reader r(src);
  return detail::detect_in(r);
}
}  // namespace

Detection detect(const ByteSource& src) {
  Bytes head(8, 0);
  if (src.size() < 8) return {};
  src.read_at(0, head);
  try {
    if (cfb::Reader::has_signature(head)) return detect_cfb(src);
    if (head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5)) return detect_zip(src);
  } catch (const Error& e) {
    if (e.code() == Errc::io) throw;
    Detection d;
    d.container =
        cfb::Reader::has_signature(head) ? Container::compound_other : Container::not_office;
    return d;
  }
  return {};
}

}  // namespace openrms::formats::office
