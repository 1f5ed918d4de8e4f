// PowerPoint 97–2003 presentations encrypted with RC4 CryptoAPI ([MS-PPT] §2.3.7, [MS-OFFCRYPTO]
// §2.3.5). The Current User stream says where the one UserEditAtom is; its
// encryptSessionPersistIdRef names the persist object holding the CryptSession10Container (the
// encryption header, in the clear). Every other persist object of the PowerPoint Document stream
// is RC4 with the key of block = its persist id, from its record header to its end, the keystream
// never re-keyed; the UserEditAtom and PersistDirectoryAtom are in the clear. In the Pictures
// stream each field of each picture record is RC4 under the key of block 0, the keystream
// restarted for every field ([MS-PPT] §4). Document properties may sit in the encrypted summary
// stream "EncryptedSummary".
//
// The output keeps every record where it was, so no offset changes; as msoffcrypto-tool writes
// it: Current User's headerToken says "not encrypted", the UserEditAtom loses its
// encryptSessionPersistIdRef (recLen 0x20 -> 0x1C, the field zeroed), the CryptSession10Container
// is zeroed and the persist directory entry that lists it counts one object fewer. Unlike
// msoffcrypto-tool, the pictures and the summary are decrypted too, each persist object is
// decrypted exactly as long as its record header says, and the directory entry changed is the one
// that lists the session (msoffcrypto-tool always shortens the first).
#include <algorithm>

#include "../cfb/cfb_constants.hpp"
#include "legacy_formats.hpp"
#include "legacy_rc4.hpp"
#include "openrms/error.hpp"

namespace openrms::formats::office::detail {

namespace {

using cfb::detail::le16;
using cfb::detail::le32;

constexpr std::uint16_t kUserEditAtom = 0x0FF5, kPersistDirectoryAtom = 0x1772,
                        kCryptSession10Container = 0x2F14;
constexpr std::uint32_t kTokenEncrypted = 0xF3D1C4DF, kTokenPlain = 0xE391C05F;
constexpr std::uint32_t kUserEditLen = 0x1C, kUserEditLenEncrypted = 0x20;
// An encrypted file has one UserEditAtom; a chain of edits is followed, but not forever.
constexpr int kMaxEdits = 1024;

[[noreturn]] void bad(const std::string& what) {
  fail(Errc::bad_format, "PowerPoint Document stream: " + what);
}

void put32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

struct RecordHeader {
  std::uint16_t instance, type;
  std::uint32_t len;
};

RecordHeader header_at(const Bytes& s, std::uint64_t off) {
  if (off > s.size() || s.size() - off < 8) bad("a record header lies past the end");
  return {static_cast<std::uint16_t>(le16(s.data() + off) >> 4), le16(s.data() + off + 2),
          le32(s.data() + off + 4)};
}

// Where each persist object is, newest edit winning ([MS-PPT] §2.1.2), and where the entry
// that lists `session_id` sits in the newest PersistDirectoryAtom.
struct PersistDirectory {
  std::map<std::uint32_t, std::uint32_t> offsets;
  std::uint64_t session_entry = 0;  // offset of that entry's header word; 0: none
  bool session_is_last = false;     // the session is the entry's last id
};

PersistDirectory read_directory(const Bytes& doc, std::uint64_t user_edit,
                                std::uint32_t session_id) {
  std::vector<std::uint64_t> dirs;  // newest first
  for (std::uint64_t at = user_edit; dirs.size() < kMaxEdits;) {
    const RecordHeader rh = header_at(doc, at);
    if (rh.type != kUserEditAtom || rh.len < kUserEditLen || doc.size() - at - 8 < rh.len)
      bad("no UserEditAtom where the edit chain points");
    dirs.push_back(le32(doc.data() + at + 8 + 12));
    const std::uint32_t last = le32(doc.data() + at + 8 + 8);
    if (last == 0) break;
    if (last >= at) bad("the edit chain does not run backwards");
    at = last;
  }
  PersistDirectory pd;
  std::uint64_t read = 0;  // edits that share one large directory must not multiply its cost
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    const RecordHeader rh = header_at(doc, *it);
    if (rh.type != kPersistDirectoryAtom || doc.size() - *it - 8 < rh.len)
      bad("no PersistDirectoryAtom where a UserEditAtom points");
    read += rh.len;
    if (read > doc.size()) bad("the persist directories overlap");
    const std::uint64_t end = *it + 8 + rh.len;
    for (std::uint64_t p = *it + 8; p + 4 <= end;) {
      const std::uint32_t word = le32(doc.data() + p);
      const std::uint32_t first = word & 0xFFFFF, count = word >> 20;
      if ((end - p - 4) / 4 < count) bad("a persist directory entry runs past its record");
      for (std::uint32_t i = 0; i < count; ++i) {
        pd.offsets[first + i] = le32(doc.data() + p + 4 + 4 * std::uint64_t{i});
        if (it == dirs.rend() - 1 && first + i == session_id) {
          pd.session_entry = p;
          pd.session_is_last = i + 1 == count;
        }
      }
      p += 4 + 4 * std::uint64_t{count};
    }
  }
  return pd;
}

// Each persist object but the session, decrypted from `doc` into `out`. Objects may not overlap:
// a hostile directory that points many ids at one large object would otherwise cost its size
// times their number.
void decrypt_objects(const LegacyRc4& key, const Bytes& doc, const PersistDirectory& pd,
                     std::uint32_t session_id, Bytes& out) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> by_offset;  // (offset, id)
  for (const auto& [id, off] : pd.offsets)
    if (id != session_id) by_offset.emplace_back(off, id);
  std::sort(by_offset.begin(), by_offset.end());
  std::uint64_t done_to = 0;
  for (const auto& [off, id] : by_offset) {
    if (off < done_to) bad("two persist objects overlap");
    if (off > doc.size() || doc.size() - off < 8) bad("a persist object lies past the end");
    auto rc4 = key.cipher(id);
    rc4->apply(crypto::ByteView(doc.data() + off, 8), crypto::MutableByteView(out.data() + off, 8));
    const std::uint32_t len = le32(out.data() + off + 4);
    if (doc.size() - off - 8 < len) bad("a persist object runs past the end");
    rc4->apply(crypto::ByteView(doc.data() + off + 8, len),
               crypto::MutableByteView(out.data() + off + 8, len));
    done_to = std::uint64_t{off} + 8 + len;
  }
}

// The Pictures stream: records (OfficeArtFBSE or OfficeArtBlip, [MS-ODRAW] §2.2.22) one after
// the other, each field XORed with the start of block 0's keystream.
class PictureFields {
 public:
  PictureFields(const LegacyRc4& key, Bytes& s) : key_(key), s_(s) {}

  void decrypt_all() {
    for (std::uint64_t pos = 0; s_.size() - pos >= 8;) {
      field(pos, 8, s_.size());
      RecordHeader rh = header_at(s_, pos);
      if (s_.size() - pos - 8 < rh.len) fail(Errc::bad_format, "a picture runs past its stream");
      const std::uint64_t end = pos + 8 + rh.len;
      std::uint64_t p = pos + 8;
      if (rh.type == 0xF007) {  // OfficeArtFBSE, its fields, then perhaps the blip it embeds
        for (std::uint64_t n : {1, 1, 16, 2, 4, 4, 4, 1, 1, 1, 1}) p = field(p, n, end);
        p = field(p, s_[p - 3], end);  // nameData, cbName bytes
        if (p < end) {
          field(p, 8, end);
          rh = header_at(s_, p);
          p += 8;
        }
      }
      if (p < end) {
        for (int i = 0, uids = two_uids(rh.instance) ? 2 : 1; i < uids; ++i) p = field(p, 16, end);
        const bool metafile = rh.type >= 0xF01A && rh.type <= 0xF01C;  // EMF, WMF, PICT
        p = field(p, metafile ? 34 : 1, end);
        field(p, end - p, end);
      }
      pos = end;
    }
  }

 private:
  static bool two_uids(std::uint16_t inst) {
    for (int v : {0x217, 0x3D5, 0x46B, 0x543, 0x6E1, 0x6E3, 0x6E5, 0x7A9})
      if (inst == v) return true;
    return false;
  }

  std::uint64_t field(std::uint64_t at, std::uint64_t n, std::uint64_t end) {
    if (at > end || end - at < n) fail(Errc::bad_format, "a picture field runs past its record");
    if (stream_.size() < n) {
      stream_.assign(std::max<std::uint64_t>(n, 2 * stream_.size()), 0);
      key_.cipher(0)->apply(stream_, stream_);
    }
    for (std::uint64_t i = 0; i < n; ++i) s_[at + i] ^= stream_[i];
    return at + n;
  }

  const LegacyRc4& key_;
  Bytes& s_;
  crypto::SecureBytes stream_;
};

}  // namespace

LegacyDecrypted decrypt_powerpoint(const crypto::Backend& b, const cfb::Reader& r,
                                   crypto::ByteView pw16) {
  const cfb::Entry* cue = r.find("Current User");
  const cfb::Entry* pde = r.find("PowerPoint Document");
  if (!cue || cue->type != cfb::EntryType::stream || !pde || pde->type != cfb::EntryType::stream)
    fail(Errc::bad_format, "no Current User or PowerPoint Document stream");
  Bytes user = r.read_stream(*cue, kMaxLegacyStream);
  if (user.size() < 20) fail(Errc::bad_format, "the Current User stream is too short");
  if (le32(user.data() + 12) != kTokenEncrypted && le32(user.data() + 12) != kTokenPlain)
    fail(Errc::bad_format, "the Current User stream has no known headerToken");
  const Bytes doc = r.read_stream(*pde, kMaxLegacyStream);
  const std::uint32_t edit = le32(user.data() + 16);
  const RecordHeader uea = header_at(doc, edit);
  if (uea.type != kUserEditAtom) bad("no UserEditAtom where Current User points");
  if (uea.len < kUserEditLenEncrypted)
    fail(Errc::invalid_argument, "this PowerPoint document is not encrypted");
  if (doc.size() - edit - 8 < uea.len) bad("the UserEditAtom runs past the end");
  const std::uint32_t session_id = le32(doc.data() + edit + 8 + 28);
  const PersistDirectory pd = read_directory(doc, edit, session_id);
  const auto session = pd.offsets.find(session_id);
  if (session == pd.offsets.end()) bad("the encryption session is not a persist object");
  const RecordHeader cs = header_at(doc, session->second);
  if (cs.type != kCryptSession10Container || doc.size() - session->second - 8 < cs.len)
    bad("no CryptSession10Container where the UserEditAtom points");
  const crypto::ByteView header(doc.data() + session->second + 8, cs.len);
  auto key = LegacyRc4::unlock(b, header, pw16, nullptr);
  LegacyDecrypted out;
  if (!key) return out;
  if (key->scheme() != Scheme::rc4_cryptoapi)
    fail(Errc::bad_format, "PowerPoint documents are encrypted with RC4 CryptoAPI only");
  out.scheme = key->scheme();
  out.key_bits = key->key_bits();

  Bytes plain = doc;
  decrypt_objects(*key, doc, pd, session_id, plain);
  std::fill_n(plain.begin() + session->second, 8 + std::uint64_t{cs.len}, 0);
  put32(plain.data() + edit + 4, kUserEditLen);
  put32(plain.data() + edit + 8 + 28, 0);
  if (pd.session_entry && pd.session_is_last)
    put32(plain.data() + pd.session_entry, le32(doc.data() + pd.session_entry) - (1u << 20));
  out.streams.emplace(pde->path, std::move(plain));

  put32(user.data() + 12, kTokenPlain);
  out.streams.emplace(cue->path, std::move(user));

  if (const cfb::Entry* pe = r.find("Pictures"); pe && pe->type == cfb::EntryType::stream) {
    Bytes pictures = r.read_stream(*pe, kMaxLegacyStream);
    PictureFields(*key, pictures).decrypt_all();
    out.streams.emplace(pe->path, std::move(pictures));
  }
  decrypt_summary(*key, r, "EncryptedSummary", out);
  out.unlocked = true;
  return out;
}

}  // namespace openrms::formats::office::detail
