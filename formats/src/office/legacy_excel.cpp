// Excel 97–2003 workbooks encrypted with RC4 or RC4 CryptoAPI ([MS-XLS] §2.2.10, [MS-OFFCRYPTO]
// §2.3.6 and §2.3.5), or obfuscated with XOR method 1 (§2.3.7). The Workbook stream is a sequence
// of records (type, size, body); the FilePass record after the first BOF holds the encryption
// header. Record headers are never encrypted; bodies are (RC4 re-keyed every 1024 bytes and
// positioned by the byte's offset in the stream; XOR with the array indexed by that offset plus the
// record's size), except the bodies of BOF, FilePass, UsrExcl, FileLock, InterfaceHdr, RRDInfo and
// RRDHead and the first four bytes (lbPlyPos) of each BoundSheet8.
//
// As msoffcrypto-tool does, the output keeps every record where it was (BoundSheet8 offsets stay
// right): FilePass becomes a record of type 0 with a zeroed body of the same size; the other
// streams are copied as they were.
#include "../cfb/cfb_constants.hpp"
#include "legacy_formats.hpp"
#include "legacy_rc4.hpp"
#include "legacy_xor.hpp"
#include "openrms/error.hpp"

namespace openrms::formats::office::detail {

namespace {

enum Record : std::uint16_t {
  kBof = 0x0809,
  kFilePass = 0x002F,
  kUsrExcl = 0x0194,
  kFileLock = 0x0195,
  kInterfaceHdr = 0x00E1,
  kRrdInfo = 0x0196,
  kRrdHead = 0x0138,
  kBoundSheet8 = 0x0085,
};

bool clear_body(std::uint16_t type) {
  return type == kBof || type == kUsrExcl || type == kFileLock || type == kInterfaceHdr ||
         type == kRrdInfo || type == kRrdHead;
}

struct RecordRef {
  std::size_t offset;  // of the header
  std::uint16_t type, size;
};

std::vector<RecordRef> records(const Bytes& s) {
  std::vector<RecordRef> out;
  std::size_t pos = 0;
  while (pos + 4 <= s.size()) {
    const std::uint16_t type = cfb::detail::le16(s.data() + pos);
    const std::uint16_t size = cfb::detail::le16(s.data() + pos + 2);
    if (pos + 4 + size > s.size())
      fail(Errc::bad_format, "a Workbook record runs past the end of the stream");
    out.push_back({pos, type, size});
    pos += 4 + std::size_t{size};
  }
  return out;
}

}  // namespace

LegacyDecrypted decrypt_excel(const crypto::Backend& b, const cfb::Reader& r,
                              crypto::ByteView pw16) {
  const cfb::Entry* wb = r.find("Workbook");
  if (!wb || wb->type != cfb::EntryType::stream)
    fail(Errc::unsupported, "only BIFF8 workbooks (a Workbook stream) are decrypted");
  Bytes book = r.read_stream(*wb, kMaxLegacyStream);
  const auto recs = records(book);
  const RecordRef* pass = nullptr;
  for (const auto& rec : recs)
    if (rec.type == kFilePass) {
      pass = &rec;
      break;
    }
  if (!pass) fail(Errc::invalid_argument, "this workbook is not encrypted (no FilePass record)");
  const crypto::ByteView body(book.data() + pass->offset + 4, pass->size);
  if (body.size() < 2) fail(Errc::bad_format, "the FilePass record is truncated");
  LegacyDecrypted out;
  Bytes plain = book;
  if (cfb::detail::le16(body.data()) == 0) {  // XOR obfuscation: key, verificationBytes
    if (body.size() < 6) fail(Errc::bad_format, "the FilePass record is truncated");
    auto x = XorMethod1::unlock(pw16, cfb::detail::le16(body.data() + 2),
                                cfb::detail::le16(body.data() + 4));
    if (!x) return out;
    out.scheme = Scheme::xor_obfuscation;
    for (const auto& rec : recs) {
      const std::size_t at = rec.offset + 4;  // XorArray index: stream offset + record size
      x->decrypt(crypto::MutableByteView(plain.data() + at, rec.size), at + rec.size);
    }
  } else {
    auto rc4 = LegacyRc4::unlock(b, body.subspan(2), pw16, nullptr);
    if (!rc4) return out;
    out.scheme = rc4->scheme();
    out.key_bits = rc4->key_bits();
    if (rc4->scheme() == Scheme::rc4_cryptoapi) decrypt_summary(*rc4, r, "encryption", out);
    rc4->crypt(plain, 1024);
  }
  for (const auto& rec : recs) {
    std::uint8_t* p = plain.data() + rec.offset;
    const std::uint8_t* o = book.data() + rec.offset;
    std::copy(o, o + 4, p);  // headers are never encrypted
    if (rec.type == kFilePass) {
      std::fill(p, p + 4 + rec.size, 0);
      p[2] = static_cast<std::uint8_t>(rec.size);
      p[3] = static_cast<std::uint8_t>(rec.size >> 8);
    } else if (clear_body(rec.type)) {
      std::copy(o + 4, o + 4 + rec.size, p + 4);
    } else if (rec.type == kBoundSheet8) {
      std::copy(o + 4, o + 4 + std::min<std::size_t>(4, rec.size), p + 4);
    }
  }
  out.streams.emplace(wb->path, std::move(plain));
  out.unlocked = true;
  return out;
}

}  // namespace openrms::formats::office::detail
