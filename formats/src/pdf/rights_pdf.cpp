#include "openrms/formats/pdf/rights_pdf.hpp"

#include <cstdio>
#include <cstring>

#include "../integrity.hpp"
#include "../private_copy.hpp"
#include "../sealed_segments.hpp"
#include "document.hpp"
#include "openrms/error.hpp"
#include "security.hpp"
#include "writer.hpp"

namespace openrms::formats::pdf::rights {

namespace {

constexpr std::string_view kHandler = "OpenRMS";
constexpr std::string_view kMacKey = "/OpenRMSIntegrity <";
constexpr std::size_t kMacHex = 2 * detail::kMacSize;
constexpr std::string_view kPayloadName = "Protected PDF.pdf";

[[noreturn]] void bad(const std::string& what) {
  fail(Errc::bad_format, "not a rights-managed PDF written by openrms: " + what);
}
[[noreturn]] void altered() {
  fail(Errc::integrity,
       "the protected PDF was altered or damaged (its integrity check failed), or the content "
       "key does not belong to it");
}

/// Streaming form of LicenseSecurity::encrypt: BE32 length, then the data, through CBC4K.
class Encryptor final : public SecurityHandler::StreamTransform {
 public:
  Encryptor(const crypto::SegmentCipher& c, std::uint64_t size, SecurityHandler::Emit emit)
      : size_(c.ciphertext_size(4 + size)),
        stream_(c, crypto::SegmentStream::Direction::encrypt, std::move(emit)) {
    const std::uint8_t be[4] = {
        static_cast<std::uint8_t>(size >> 24), static_cast<std::uint8_t>(size >> 16),
        static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
    stream_.update(be);
  }
  std::uint64_t output_size() const override { return size_; }
  void update(ByteView d) override { stream_.update(d); }
  void finish() override { stream_.finish(); }

 private:
  std::uint64_t size_;
  crypto::SegmentStream stream_;
};

/// Streaming form of LicenseSecurity::decrypt: the length comes from the first segment, the
/// data follow it; a damaged stream is an integrity error (at the latest in finish()).
class Decryptor final : public SecurityHandler::StreamTransform {
 public:
  Decryptor(const crypto::SegmentCipher& c, ByteView head, std::uint64_t cipher_size,
            SecurityHandler::Emit emit)
      : emit_(std::move(emit)) {
    if (cipher_size < 16 || cipher_size % 16) altered();
    const std::size_t seg = c.segment_size();
    std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(cipher_size, seg));
    if (head.size() < first) altered();
    crypto::SecureBytes p(first);
    try {
      if (cipher_size <= seg)
        p.resize(c.decrypt_final(0, head.first(first), p));
      else
        c.decrypt_segments(0, head.first(first), p);
    } catch (const Error&) {
      altered();
    }
    if (p.size() < 4) altered();
    n_ = (std::uint64_t{p[0]} << 24) | (std::uint64_t{p[1]} << 16) | (std::uint64_t{p[2]} << 8) |
         p[3];
    if (n_ > cipher_size - 4) altered();
    stream_.emplace(
        c, crypto::SegmentStream::Direction::decrypt,
        [this](ByteView d) {
          std::size_t skip = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, d.size()));
          skip_ -= skip;
          if (d.size() > skip) emit_(d.subspan(skip));
        },
        4 + n_);
  }
  std::uint64_t output_size() const override { return n_; }
  void update(ByteView d) override {
    try {
      stream_->update(d);
    } catch (const Error&) {
      altered();
    }
  }
  void finish() override {
    try {
      stream_->finish();
    } catch (const Error&) {
      altered();
    }
  }

 private:
  SecurityHandler::Emit emit_;
  std::uint64_t n_ = 0, skip_ = 4;
  std::optional<crypto::SegmentStream> stream_;
};

/// The license-based security handler (FORMATS.md B4) under openrms's handler name.
class LicenseSecurity final : public SecurityHandler {
 public:
  LicenseSecurity(std::string license, ByteView key, const crypto::SegmentOptions& seg)
      : license_(std::move(license)), cipher_(crypto::SegmentCipher::cbc4k(key, seg)) {}
  CryptMethod string_method() const noexcept override { return CryptMethod::cbc4k; }
  CryptMethod method_for_stream(const Dict&) const override { return CryptMethod::cbc4k; }
  crypto::SecureBytes object_key(Ref, CryptMethod) const override { return {}; }
  std::string encrypt(CryptMethod, Ref, std::string_view data) const override {
    if (data.size() > 0xFFFFFFFFu) fail(Errc::unsupported, "PDF object larger than 4 GiB");
    crypto::SecureBytes plain(4 + data.size());
    const auto n = static_cast<std::uint32_t>(data.size());
    plain[0] = static_cast<std::uint8_t>(n >> 24);
    plain[1] = static_cast<std::uint8_t>(n >> 16);
    plain[2] = static_cast<std::uint8_t>(n >> 8);
    plain[3] = static_cast<std::uint8_t>(n);
    if (!data.empty()) std::memcpy(plain.data() + 4, data.data(), data.size());
    crypto::Bytes c = cipher_.encrypt(plain);
    return std::string(reinterpret_cast<const char*>(c.data()), c.size());
  }
  std::string decrypt(CryptMethod, Ref, std::string data) const override {
    if (data.size() < 16 || data.size() % 16) altered();
    crypto::SecureBytes p;
    try {
      p = cipher_.decrypt(crypto::as_bytes(data));
    } catch (const Error&) {
      altered();
    }
    if (p.size() < 4) altered();
    std::uint32_t n = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                      (std::uint32_t{p[2]} << 8) | p[3];
    if (n > p.size() - 4) altered();
    return std::string(reinterpret_cast<const char*>(p.data()) + 4, n);
  }
  std::unique_ptr<StreamTransform> stream_encryptor(CryptMethod, Ref, std::uint64_t plain_size,
                                                    Emit emit) const override {
    if (plain_size > 0xFFFFFFFFu) fail(Errc::unsupported, "PDF object larger than 4 GiB");
    return std::make_unique<Encryptor>(cipher_, plain_size, std::move(emit));
  }
  std::unique_ptr<StreamTransform> stream_decryptor(CryptMethod, Ref, ByteView head,
                                                    std::uint64_t cipher_size,
                                                    Emit emit) const override {
    return std::make_unique<Decryptor>(cipher_, head, cipher_size, std::move(emit));
  }
  Dict to_dict() const override {
    Dict filter;
    filter.set("Type", make_name("CryptFilter"));
    filter.set("CFM", make_name("None"));
    Dict cf;
    cf.set(std::string(kHandler), Object{std::move(filter)});
    Dict d;
    d.set("Filter", make_name(std::string(kHandler)));
    d.set("V", make_int(5));
    d.set("CF", Object{std::move(cf)});
    d.set("StmF", make_name(std::string(kHandler)));
    d.set("StrF", make_name(std::string(kHandler)));
    d.set("OpenRMSVersion", make_int(1));
    d.set("EncryptMetadata", Object{true});
    d.set("PublishingLicense", make_string(license_));
    return d;
  }
  std::string min_version() const override { return "1.7"; }

 private:
  std::string license_;
  crypto::SegmentCipher cipher_;
};

/// A window onto part of another source (the embedded payload inside the wrapper).
class SubSource final : public ByteSource {
 public:
  SubSource(const ByteSource& s, std::uint64_t off, std::uint64_t len)
      : s_(s), off_(off), len_(len) {}
  std::uint64_t size() const noexcept override { return len_; }
  void read_at(std::uint64_t offset, MutableByteView out) const override {
    if (offset > len_ || out.size() > len_ - offset)
      fail(Errc::bad_format, "PDF payload: read past its end");
    s_.read_at(off_ + offset, out);
  }

 private:
  const ByteSource& s_;
  std::uint64_t off_, len_;
};

const Dict* dict_of(Document& doc, const Dict& d, std::string_view key, Object& hold) {
  const Object* o = d.get(key);
  if (!o) return nullptr;
  hold = doc.resolve(*o);
  return hold.as_dict();
}

struct Wrapper {
  std::uint64_t payload_offset = 0, payload_length = 0;
  std::uint64_t filespec_offset = 0;  ///< where the file specification object starts
  std::uint32_t filespec_num = 0;
  int version = 1;  ///< /EP /Version: 1 (a PDF payload) or 2 (the original, sealed)
  // version 2: the license and the stream's parameters, from /EP
  std::string license;
  crypto::StreamingAead::Params params;
  std::uint64_t size = 0;  ///< plaintext (original PDF) bytes
};

/// A /EP string holding exactly `n` bytes, or bad_format.
void read_fixed(const Dict& ep, std::string_view key, std::uint8_t* out, std::size_t n) {
  const Object* o = ep.get(key);
  const String* v = o ? o->as_string() : nullptr;
  if (!v || v->bytes.size() != n) bad("/EP /" + std::string(key) + " is missing or malformed");
  std::memcpy(out, v->bytes.data(), n);
}

std::uint64_t read_count(const Dict& ep, std::string_view key) {
  const Object* o = ep.get(key);
  const std::int64_t* v = o ? o->as_int() : nullptr;
  if (!v || *v < 0) bad("/EP /" + std::string(key) + " is missing or malformed");
  return static_cast<std::uint64_t>(*v);
}

void read_v2_fields(const Dict& ep, Wrapper& w) {
  const Object* pl = ep.get("PublishingLicense");
  const String* lic = pl ? pl->as_string() : nullptr;
  if (!lic || lic->bytes.empty()) bad("/EP has no publishing license");
  w.license = lic->bytes;
  const std::uint64_t seg = read_count(ep, "OpenRMSSegment");
  if (seg < crypto::StreamingAead::kMinSegment || seg > crypto::StreamingAead::kMaxSegment ||
      (seg & (seg - 1)) != 0)
    bad("/EP /OpenRMSSegment is not a supported segment size");
  w.params.segment_size = static_cast<std::uint32_t>(seg);
  read_fixed(ep, "OpenRMSSalt", w.params.salt, sizeof w.params.salt);
  read_fixed(ep, "OpenRMSNonce", w.params.nonce_prefix, sizeof w.params.nonce_prefix);
  w.size = read_count(ep, "OpenRMSSize");
  const auto expect = crypto::StreamingAead::ciphertext_size(w.params.segment_size, w.size);
  if (expect != w.payload_length) bad("the payload's length does not match /EP /OpenRMSSize");
}

Wrapper find_payload(Document& doc) {
  Object root_h;
  const Dict* root = dict_of(doc, doc.trailer(), "Root", root_h);
  if (!root) bad("it has no catalog");
  const Object* af = root->get("AF");
  if (!af) bad("its catalog has no /AF entry (no encrypted payload)");
  Object afv = doc.resolve(*af);
  const Array* arr = afv.as_array();
  if (!arr) bad("/AF is not an array");
  for (const Object& e : *arr) {
    const Ref* r = e.as_ref();
    if (!r) continue;
    IndirectObject fs = doc.load(r->num);
    const Dict* fd = fs.value.as_dict();
    if (!fd) continue;
    const Object* rel = fd->get("AFRelationship");
    if (!rel || !rel->is_name("EncryptedPayload")) continue;
    Object ep_h, ef_h;
    const Dict* ep = dict_of(doc, *fd, "EP", ep_h);
    if (!ep) continue;
    const Object* sub = ep->get("Subtype");
    if (!sub || !sub->is_name(kHandler)) continue;
    const Dict* ef = dict_of(doc, *fd, "EF", ef_h);
    const Object* f = ef ? ef->get("F") : nullptr;
    if (!f || !f->as_ref()) bad("the payload file specification has no embedded file");
    IndirectObject payload = doc.load(f->as_ref()->num);
    if (!payload.is_stream) bad("the embedded payload is not a stream");
    if (const Dict* pd = payload.value.as_dict(); pd && pd->get("Filter"))
      bad("the embedded payload must be stored unfiltered");
    Wrapper w;
    w.payload_offset = payload.stream.data_offset;
    w.payload_length = payload.stream.data_length;
    w.filespec_num = r->num;
    auto it = doc.xref().find(r->num);
    if (it == doc.xref().end() || it->second.type != 1)
      bad("the payload file specification must be a top-level object");
    w.filespec_offset = it->second.offset;
    const Object* version = ep->get("Version");
    if (version && version->as_int() && *version->as_int() == 2) {
      w.version = 2;
      read_v2_fields(*ep, w);
    } else if (version && !(version->as_int() && *version->as_int() == 1)) {
      fail(Errc::unsupported, "a rights-managed PDF of a later openrms version");
    }
    return w;
  }
  bad("no /AF file specification holds an openrms encrypted payload");
}

/// The offset of the MAC's hex digits inside the file-specification object.
std::optional<std::uint64_t> mac_offset(const ByteSource& src, std::uint64_t obj_offset) {
  const std::uint64_t n =
      std::min<std::uint64_t>(4096, src.size() - std::min(src.size(), obj_offset));
  std::string buf(static_cast<std::size_t>(n), '\0');
  src.read_at(obj_offset, MutableByteView(reinterpret_cast<std::uint8_t*>(buf.data()), buf.size()));
  auto end = buf.find("endobj");
  auto at = buf.find(kMacKey);
  if (at == std::string::npos || (end != std::string::npos && at > end)) return std::nullopt;
  if (buf.find(kMacKey, at + 1) != std::string::npos && buf.find(kMacKey, at + 1) < end)
    return std::nullopt;  // two MAC keys: not something openrms writes
  at += kMacKey.size();
  if (at + kMacHex + 1 > buf.size() || buf[at + kMacHex] != '>') return std::nullopt;
  return obj_offset + at;
}

std::string pdf_text(std::string_view s) {
  std::string r;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '(' || c == ')' || c == '\\') r.push_back('\\');
    r.push_back(u >= 0x20 && u < 0x7F ? c : '?');
  }
  return r;
}

std::string cover_page(std::string_view extra) {
  std::vector<std::string> lines = {
      "This document is protected with openrms rights management.",
      "",
      "To open it you need an application that supports openrms-protected PDFs,",
      "for example:  openrms open FILE.pdf --as YOUR-EMAIL",
      "and permission from the person or organisation that protected it.",
      ""};
  std::string cur;
  for (char c : extra) {
    if (c == '\n') {
      lines.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  std::string s = "BT\n/F1 13 Tf\n16 TL\n56 740 Td\n";
  for (const auto& l : lines) s += "(" + pdf_text(l.substr(0, 90)) + ") Tj T*\n";
  s += "ET\n";
  return s;
}

std::unique_ptr<Document> open_plain(const ByteSource& src) {
  auto doc = std::make_unique<Document>(src);
  if (doc->trailer().get("Encrypt"))
    fail(Errc::unsupported,
         "this PDF is already encrypted: decrypt it first (openrms pdf decrypt), then protect it");
  doc->validate_offsets();
  doc->index_object_streams();
  return doc;
}

}  // namespace

bool is_protected(const ByteSource& src) noexcept {
  try {
    std::uint8_t head[5] = {};
    if (src.size() < 5) return false;
    src.read_at(0, head);
    if (std::memcmp(head, "%PDF-", 5) != 0) return false;
    Document doc(src);
    find_payload(doc);
    return true;
  } catch (...) {
    return false;
  }
}

namespace {
struct Parsed {
  Info info;
  Wrapper w;
  std::optional<std::uint64_t> mac_at;
};

/// The wrapper's payload and /EP, without parsing a version 1 payload (the first look that
/// tells readers which version they have).
Wrapper locate(const ByteSource& src) {
  Document doc(src);
  return find_payload(doc);
}

Parsed parse(const ByteSource& src) {
  Document doc(src);
  Parsed p;
  p.w = find_payload(doc);
  p.info.payload_size = p.w.payload_length;
  p.mac_at = mac_offset(src, p.w.filespec_offset);
  p.info.has_mac = p.mac_at.has_value();
  p.info.version = p.w.version;
  if (p.w.version == 2) {
    p.info.license = p.w.license;
    p.info.original_size = p.w.size;
    return p;
  }
  SubSource sub(src, p.w.payload_offset, p.w.payload_length);
  Document payload(sub);
  const Object* e = payload.trailer().get("Encrypt");
  if (!e) bad("the payload is not encrypted");
  Object ev = payload.resolve(*e);
  const Dict* ed = ev.as_dict();
  if (!ed) bad("the payload's /Encrypt is not a dictionary");
  const Object* f = ed->get("Filter");
  if (!f || !f->is_name(kHandler)) bad("the payload uses another security handler");
  const Object* pl = ed->get("PublishingLicense");
  Object plv = pl ? payload.resolve(*pl) : Object{};
  if (!plv.as_string() || plv.as_string()->bytes.empty())
    bad("the payload has no publishing license");
  p.info.license = plv.as_string()->bytes;
  return p;
}
}  // namespace

Info read_info(const ByteSource& src) {
  return parse(src).info;
}

namespace {

// The wrapper up to the payload's bytes, and what follows them: the six objects of the cover
// document and the file specification (whose /EP gets `ep_entries` and the MAC's placeholder),
// then the embedded file's header; after the payload, the end of its stream, the xref and the
// trailer.
struct WrapperText {
  std::string head;          ///< from "%PDF-2.0" to "stream\n" of the payload
  std::uint64_t mac_at = 0;  ///< offset of the MAC's hex digits in `head`
  std::vector<std::uint64_t> offsets;
  std::string tail(std::uint64_t payload_size, const crypto::Backend& be) const {
    const std::uint64_t xref_at = head.size() + payload_size + kEndStream.size();
    std::string t(kEndStream);
    t += "xref\n0 8\n0000000000 65535 f\r\n";
    char line[24];
    for (std::uint64_t o : offsets) {
      std::snprintf(line, sizeof line, "%010llu 00000 n\r\n", static_cast<unsigned long long>(o));
      t.append(line, 20);
    }
    const std::string hex = crypto::to_hex(be.random_bytes(16));
    t += "trailer\n<< /Size 8 /Root 1 0 R /ID [<" + hex + "> <" + hex + ">] >>\nstartxref\n" +
         std::to_string(xref_at) + "\n%%EOF\n";
    return t;
  }
  static constexpr std::string_view kEndStream = "\nendstream\nendobj\n";
};

WrapperText wrapper_text(std::string_view ep_entries, std::string_view payload_type,
                         std::uint64_t payload_length, std::uint64_t original_size,
                         const std::string& cover_extra) {
  WrapperText w;
  w.head = "%PDF-2.0\n%\xe2\xe3\xcf\xd3\n";
  std::vector<std::string> objs;
  const std::string name = "(" + std::string(kPayloadName) + ")";
  objs.push_back(
      "<< /Type /Catalog /Version /2.0 /Pages 2 0 R /Collection << /Type /Collection "
      "/D " +
      name + " /View /H >> /AF [5 0 R] /Names << /EmbeddedFiles << /Names [" + name +
      " 5 0 R] >> >> >>");
  objs.push_back("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
  objs.push_back(
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << "
      "/F1 4 0 R >> >> /Contents 6 0 R >>");
  objs.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  objs.push_back("<< /Type /Filespec /F " + name + " /UF " + name +
                 " /Desc (openrms-protected document) /AFRelationship /EncryptedPayload /EF << /F "
                 "7 0 R >> /EP << /Type /EncryptedPayload /Subtype /" +
                 std::string(kHandler) + " " + std::string(ep_entries) + " " +
                 std::string(kMacKey) + std::string(kMacHex, '0') + "> >> >>");
  const std::string cover = cover_page(cover_extra);
  objs.push_back("<< /Length " + std::to_string(cover.size()) + " >>\nstream\n" + cover +
                 "\nendstream");
  for (std::size_t i = 0; i < objs.size(); ++i) {
    w.offsets.push_back(w.head.size());
    const std::string head = std::to_string(i + 1) + " 0 obj\n";
    if (i == 4) w.mac_at = w.head.size() + head.size() + objs[i].find(kMacKey) + kMacKey.size();
    w.head += head + objs[i] + "\nendobj\n";
  }
  w.offsets.push_back(w.head.size());
  w.head += "7 0 obj\n<< /Type /EmbeddedFile /Subtype /" + std::string(payload_type) + " /Length " +
            std::to_string(payload_length) + " /Params << /Size " + std::to_string(original_size) +
            " >> >>\nstream\n";
  return w;
}

void check_key(ByteView content_key) {
  if (content_key.size() != 16 && content_key.size() != 24 && content_key.size() != 32)
    fail(Errc::invalid_argument, "the content key must be 16, 24 or 32 bytes");
}

// What the version 2 stream key is bound to besides the /EP parameters (which feed it through
// the salt and the nonce prefix): the license and the plaintext size.
crypto::Bytes v2_context(const crypto::Backend& be, std::string_view license, std::uint64_t size) {
  auto h = be.hash(crypto::HashAlg::sha256);
  h->update(crypto::as_bytes(std::string_view("openrms rights-managed PDF v2")));
  std::uint8_t le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<std::uint8_t>(size >> (8 * i));
  h->update(ByteView(le, 8));
  h->update(crypto::as_bytes(license));
  return h->finish();
}

// Version 1: the input rewritten under the license handler, as a PDF payload.
void write_v1(const ByteSource& pdf, ByteSink& out, std::string_view license, ByteView content_key,
              const WriteOptions& opt, const crypto::Backend& be) {
  auto doc = open_plain(pdf);
  LicenseSecurity sec{std::string(license), content_key, opt.segments};
  TempFile payload;
  RewriteOptions ro;
  ro.encrypt = &sec;
  crypto::Bytes id = be.random_bytes(16);
  ro.id0 = ro.id1 = std::string(reinterpret_cast<const char*>(id.data()), id.size());
  ro.progress = opt.progress;
  ro.backend = &be;
  rewrite(*doc, payload, ro);

  const WrapperText w = wrapper_text("/Version 1", "application#2Fpdf", payload.size(),
                                     payload.size(), opt.cover_text);
  detail::HoleMac mac(be, detail::integrity_key(be, content_key, "pdf"), w.mac_at, kMacHex, '0');
  auto emit = [&](ByteView b) {
    out.write(b);
    mac.update(b);
  };
  emit(crypto::as_bytes(w.head));
  crypto::Bytes buf(
      static_cast<std::size_t>(std::min<std::uint64_t>(4u << 20, payload.size() + 1)));
  for (std::uint64_t at = 0; at < payload.size();) {
    const auto n =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), payload.size() - at));
    payload.read_at(at, MutableByteView(buf.data(), n));
    emit(ByteView(buf.data(), n));
    at += n;
  }
  emit(crypto::as_bytes(w.tail(payload.size(), be)));
  out.patch(w.mac_at, crypto::as_bytes(crypto::to_hex(mac.finish())));
}

// Version 2: the original file itself, sealed as a streaming-AEAD stream; the header MAC covers
// every byte of the wrapper outside the payload.
void write_v2(const ByteSource& pdf, ByteSink& out, std::string_view license, ByteView content_key,
              const WriteOptions& opt, const crypto::Backend& be) {
  {
    std::uint8_t head[5] = {};
    if (pdf.size() < 5) bad("the input is too short to be a PDF");
    pdf.read_at(0, head);
    if (std::memcmp(head, "%PDF-", 5) != 0) fail(Errc::bad_format, "the input is not a PDF");
    Document doc(pdf);
    if (doc.trailer().get("Encrypt"))
      fail(Errc::unsupported,
           "this PDF is already encrypted: decrypt it first (openrms pdf decrypt), then protect "
           "it");
  }
  const std::uint64_t size = pdf.size();
  const auto params = crypto::StreamingAead::Params::fresh(be);
  const crypto::StreamingAead sa(be, content_key, params, v2_context(be, license, size));
  const std::string ep =
      "/Version 2 /OpenRMSSegment " + std::to_string(params.segment_size) + " /OpenRMSSalt <" +
      crypto::to_hex(ByteView(params.salt, sizeof params.salt)) + "> /OpenRMSNonce <" +
      crypto::to_hex(ByteView(params.nonce_prefix, sizeof params.nonce_prefix)) +
      "> /OpenRMSSize " + std::to_string(size) + " /PublishingLicense <" +
      crypto::to_hex(crypto::as_bytes(license)) + ">";
  const std::uint64_t sealed = sa.ciphertext_size(size);
  const WrapperText w =
      wrapper_text(ep, "application#2Foctet-stream", sealed, size, opt.cover_text);
  detail::HoleMac mac(be, detail::integrity_key(be, content_key, "pdf-v2-header"), w.mac_at,
                      kMacHex, '0');
  out.write(crypto::as_bytes(w.head));
  mac.update(crypto::as_bytes(w.head));
  detail::seal_stream(sa, pdf, out, opt.segments.threads, opt.progress);
  const std::string tail = w.tail(sealed, be);
  out.write(crypto::as_bytes(tail));
  mac.update(crypto::as_bytes(tail));
  out.patch(w.mac_at, crypto::as_bytes(crypto::to_hex(mac.finish())));
}

}  // namespace

void write(const ByteSource& pdf, ByteSink& out, std::string_view license, ByteView content_key,
           const WriteOptions& opt) {
  const crypto::Backend& be =
      opt.segments.backend ? *opt.segments.backend : crypto::default_backend();
  check_key(content_key);
  if (opt.version == 1)
    write_v1(pdf, out, license, content_key, opt, be);
  else
    write_v2(pdf, out, license, content_key, opt, be);
}

namespace {

// Version 2 readers verify each segment from the bytes it is decrypted from, so only the
// wrapper around the payload needs a private copy: everything but the payload is read once
// into memory (at most kMaxWrapper), parsed and MAC'd from there, and the payload is read from
// the file segment by segment.
constexpr std::uint64_t kMaxWrapper = 16u << 20;

class WrapperSnapshot final : public ByteSource {
 public:
  WrapperSnapshot(const ByteSource& file, std::uint64_t payload_offset,
                  std::uint64_t payload_length)
      : file_(file), at_(payload_offset), len_(payload_length), size_(file.size()) {
    if (at_ > size_ || len_ > size_ - at_) bad("the payload lies outside the file");
    if (size_ - len_ > kMaxWrapper) bad("the wrapper around the payload is too large");
    outside_.resize(static_cast<std::size_t>(size_ - len_));
    file.read_at(0, MutableByteView(outside_.data(), static_cast<std::size_t>(at_)));
    file.read_at(at_ + len_, MutableByteView(outside_.data() + at_, outside_.size() - at_));
  }
  std::uint64_t size() const noexcept override { return size_; }
  void read_at(std::uint64_t offset, MutableByteView out) const override {
    if (offset > size_ || out.size() > size_ - offset)
      fail(Errc::bad_format, "the data ends before the structure it describes");
    std::size_t done = 0;
    while (done < out.size()) {  // the parts before, inside and after the payload
      const std::uint64_t pos = offset + done;
      std::size_t n = 0;
      if (pos < at_) {
        n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size() - done, at_ - pos));
        std::memcpy(out.data() + done, outside_.data() + pos, n);
      } else if (pos < at_ + len_) {
        n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size() - done, at_ + len_ - pos));
        file_.read_at(pos, out.subspan(done, n));
      } else {
        n = out.size() - done;
        std::memcpy(out.data() + done, outside_.data() + (pos - len_), n);
      }
      done += n;
    }
  }
  std::uint64_t payload_offset() const noexcept { return at_; }
  std::uint64_t payload_length() const noexcept { return len_; }

 private:
  const ByteSource& file_;
  std::uint64_t at_, len_, size_;
  Bytes outside_;
};

/// The wrapper parsed from its snapshot; bad_format if the file changed between the two reads
/// (the payload is no longer where the snapshot left it).
Parsed parse_snapshot(const WrapperSnapshot& snap) {
  Parsed p = parse(snap);
  if (p.w.payload_offset != snap.payload_offset() || p.w.payload_length != snap.payload_length())
    bad("the file changed while it was being read");
  return p;
}

// Version 2: the header MAC over every byte outside the payload (a few KB), then the stream.
void verify_v2_header(const ByteSource& src, const Parsed& p, ByteView content_key,
                      const crypto::Backend& be) {
  if (!p.mac_at) altered();  // version 2 always carries its MAC
  detail::HoleMac mac(be, detail::integrity_key(be, content_key, "pdf-v2-header"), *p.mac_at,
                      kMacHex, '0');
  detail::mac_range(mac, src, 0, p.w.payload_offset);
  detail::mac_range(mac, src, p.w.payload_offset + p.w.payload_length, src.size());
  std::string got(kMacHex, '\0');
  src.read_at(*p.mac_at, MutableByteView(reinterpret_cast<std::uint8_t*>(got.data()), kMacHex));
  if (!crypto::ct_equal(crypto::as_bytes(crypto::to_hex(mac.finish())), crypto::as_bytes(got)))
    altered();
}

crypto::StreamingAead v2_stream(const Parsed& p, ByteView content_key, const crypto::Backend& be) {
  return crypto::StreamingAead(be, content_key, p.w.params, v2_context(be, p.w.license, p.w.size));
}

}  // namespace

ReadResult decrypt(const ByteSource& file, ByteSink& out, ByteView content_key,
                   const ReadOptions& opt) {
  const crypto::Backend& be =
      opt.segments.backend ? *opt.segments.backend : crypto::default_backend();
  check_key(content_key);
  ReadResult res;
  if (const Wrapper first = locate(file); first.version == 2) {
    const WrapperSnapshot snap(file, first.payload_offset, first.payload_length);
    const Parsed p = parse_snapshot(snap);
    res.info = p.info;
    verify_v2_header(snap, p, content_key, be);
    res.size = detail::open_stream(v2_stream(p, content_key, be),
                                   {file, p.w.payload_offset, p.w.payload_length}, out,
                                   opt.segments.threads, opt.progress, &altered);
    res.integrity_verified = true;
    return res;
  }
  // Version 1 reads one private copy: the bytes verified are the bytes decrypted.
  detail::PrivateCopy src(file);
  Parsed p = parse(src);
  res.info = p.info;
  if (p.mac_at) {
    crypto::SecureBytes mkey = detail::integrity_key(be, content_key, "pdf");
    detail::HoleMac mac(be, mkey, *p.mac_at, kMacHex, '0');
    detail::mac_range(mac, src, 0, src.size());
    std::string got(kMacHex, '\0');
    src.read_at(*p.mac_at, MutableByteView(reinterpret_cast<std::uint8_t*>(got.data()), kMacHex));
    std::string want = crypto::to_hex(mac.finish());
    // Exactly the lower-case digits openrms writes: case changes are changes too.
    if (!crypto::ct_equal(crypto::as_bytes(want), crypto::as_bytes(got))) altered();
    res.integrity_verified = true;
  } else if (opt.require_integrity) {
    altered();
  }
  SubSource sub(src, p.w.payload_offset, p.w.payload_length);
  Document payload(sub);
  LicenseSecurity sec{p.info.license, content_key, opt.segments};
  payload.set_stream_decryptor([&sec](Ref r, const Dict& d, std::string data) {
    return sec.decrypt(sec.method_for_stream(d), r, std::move(data));
  });
  payload.validate_offsets();
  payload.index_object_streams();
  RewriteOptions ro;
  ro.decrypt = &sec;
  ro.progress = opt.progress;
  ro.backend = &be;
  // Keep the payload's /ID (a fresh one would do; this keeps the output deterministic).
  if (const Object* id = payload.trailer().get("ID")) {
    Object idv = payload.resolve(*id);
    if (const Array* a = idv.as_array();
        a && a->size() == 2 && (*a)[0].as_string() && (*a)[1].as_string()) {
      ro.id0 = (*a)[0].as_string()->bytes;
      ro.id1 = (*a)[1].as_string()->bytes;
    }
  }
  CountingSink counting(out);
  rewrite(payload, counting, ro);
  res.size = counting.count();
  return res;
}

struct Reader::Impl {
  const ByteSource* file = nullptr;
  std::uint64_t size = 0, payload_offset = 0, payload_length = 0;
  std::optional<crypto::StreamingAead> sa;
  unsigned threads = 0;
};

Reader::Reader(const ByteSource& src, ByteView content_key, const ReadOptions& opt)
    : impl_(std::make_unique<Impl>()) {
  const crypto::Backend& be =
      opt.segments.backend ? *opt.segments.backend : crypto::default_backend();
  check_key(content_key);
  const Wrapper first = locate(src);
  if (first.version != 2)
    fail(Errc::unsupported,
         "random access needs a rights-managed PDF of version 2 (the original sealed per "
         "segment); this one was written by an earlier openrms");
  const WrapperSnapshot snap(src, first.payload_offset, first.payload_length);
  const Parsed p = parse_snapshot(snap);
  verify_v2_header(snap, p, content_key, be);
  Impl& m = *impl_;
  m.file = &src;
  m.sa.emplace(v2_stream(p, content_key, be));
  m.size = p.w.size;
  m.payload_offset = p.w.payload_offset;
  m.payload_length = p.w.payload_length;
  m.threads = opt.segments.threads;
}

Reader::Reader(Reader&&) noexcept = default;
Reader::~Reader() = default;

std::uint64_t Reader::size() const noexcept {
  return impl_->size;
}

std::size_t Reader::read_at(std::uint64_t offset, MutableByteView out) const {
  const Impl& m = *impl_;
  if (offset >= m.size || out.empty()) return 0;
  out = out.first(static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), m.size - offset)));
  try {
    return detail::read_range(*m.sa, {*m.file, m.payload_offset, m.payload_length}, offset, out,
                              m.threads, &altered);
  } catch (...) {
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    throw;
  }
}

}  // namespace openrms::formats::pdf::rights
