// Word 97–2003 documents encrypted with RC4 or RC4 CryptoAPI ([MS-DOC] §2.2.6.2, [MS-OFFCRYPTO]
// §2.3.6 and §2.3.5). FibBase (the first 68 bytes of WordDocument) is in the clear and says
// which table stream holds the encryption header (fWhichTblStm) and how long it is (lKey); the
// rest of WordDocument, the table stream and the Data stream are RC4 with a new key every 512
// bytes, counted from the start of each stream.
//
// The output is the same compound file with those three streams decrypted and FibBase saying
// "not encrypted" (fEncrypted, fObfuscation and lKey cleared); every other stream and storage is
// copied as it was. That is, stream by stream, what msoffcrypto-tool writes; like it, the table
// stream is decrypted from its first byte, so its first lKey bytes (the encryption header, no
// longer read once fEncrypted is clear) come out as noise.
#include "legacy_formats.hpp"

#include "../cfb/cfb_constants.hpp"
#include "legacy_rc4.hpp"
#include "openrms/error.hpp"

namespace openrms::formats::office::detail {

namespace {

constexpr std::size_t kFibBase = 68;
constexpr std::uint16_t kEncrypted = 0x0100, kWhichTable = 0x0200, kObfuscated = 0x8000;

}  // namespace

LegacyDecrypted decrypt_word(const crypto::Backend& b, const cfb::Reader& r,
                             crypto::ByteView pw16) {
  const cfb::Entry* wd = r.find("WordDocument");
  if (!wd || wd->type != cfb::EntryType::stream) fail(Errc::bad_format, "no WordDocument stream");
  Bytes doc = r.read_stream(*wd, kMaxLegacyStream);
  if (doc.size() < kFibBase)
    fail(Errc::bad_format, "the WordDocument stream is shorter than its FIB");
  const std::uint16_t flags = cfb::detail::le16(doc.data() + 0x0A);
  if (!(flags & kEncrypted)) fail(Errc::invalid_argument, "this Word document is not encrypted");
  if (flags & kObfuscated)
    fail(Errc::unsupported,
         "this Word document uses XOR obfuscation, which openrms does not undo yet");
  const std::uint32_t lkey = cfb::detail::le32(doc.data() + 0x0E);
  const std::string table_name = (flags & kWhichTable) ? "1Table" : "0Table";
  const cfb::Entry* te = r.find(table_name);
  if (!te || te->type != cfb::EntryType::stream)
    fail(Errc::bad_format, "the FIB names a " + table_name + " stream that is not there");
  Bytes table = r.read_stream(*te, kMaxLegacyStream);
  if (lkey > table.size()) fail(Errc::bad_format, "lKey is larger than the table stream");
  std::size_t header = 0;
  auto rc4 = LegacyRc4::unlock(b, crypto::ByteView(table).first(lkey), pw16, &header);
  LegacyDecrypted out;
  if (!rc4) return out;  // wrong password
  out.scheme = rc4->scheme();
  out.key_bits = rc4->key_bits();
  if (rc4->scheme() == Scheme::rc4_cryptoapi) decrypt_summary(*rc4, r, "encryption", out);

  Bytes clear_fib(doc.begin(), doc.begin() + kFibBase);
  rc4->crypt(doc);
  std::copy(clear_fib.begin(), clear_fib.end(), doc.begin());
  const std::uint16_t plain_flags = flags & ~(kEncrypted | kObfuscated);
  doc[0x0A] = static_cast<std::uint8_t>(plain_flags);
  doc[0x0B] = static_cast<std::uint8_t>(plain_flags >> 8);
  std::fill(doc.begin() + 0x0E, doc.begin() + 0x12, 0);  // lKey
  out.streams.emplace(wd->path, std::move(doc));

  rc4->crypt(table);
  out.streams.emplace(te->path, std::move(table));
  if (const cfb::Entry* data = r.find("Data"); data && data->type == cfb::EntryType::stream) {
    Bytes d = r.read_stream(*data, kMaxLegacyStream);
    rc4->crypt(d);
    out.streams.emplace(data->path, std::move(d));
  }
  out.unlocked = true;
  return out;
}

}  // namespace openrms::formats::office::detail
