#include "openrms/formats/pdf/pdf_crypto.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "document.hpp"
#include "openrms/error.hpp"
#include "openrms/text.hpp"
#include "security.hpp"
#include "writer.hpp"

namespace openrms::formats::pdf {

namespace {

struct Opened {
  explicit Opened(const ByteSource& src) : doc(src) {}
  Document doc;
  std::optional<DocumentSecurity> sec;
  std::string filter;
  PasswordMatch matched = PasswordMatch::not_encrypted;
  std::string id0, id1;
  bool recovered = false;  ///< the encryption dictionary or a crypt filter was found by search
};

bool is_encryption_dict(const Dict& d) {
  const Object* f = d.get("Filter");
  return f && f->as_name() &&
         (d.get("O") || d.get("Recipients") || d.get("CF") || d.get("SubFilter"));
}

bool is_crypt_filter(const Dict& d) {
  return d.get("CFM") != nullptr;
}

// A damaged file may hold the right object behind the wrong reference. When `entry` does not
// lead to what `looks_right` accepts, the file's only such object is taken instead (the newest,
// for encryption dictionaries, of which incremental updates may leave several); pdf.js recovers
// the same way. nullopt when there is none. The file is searched once per kind (`found`): a
// dictionary of many broken references must not cost a scan each.
std::optional<Object> found_instead(Document& doc, const Object& entry,
                                    bool (*looks_right)(const Dict&), bool newest_wins,
                                    bool& recovered, std::optional<std::vector<Ref>>& found,
                                    std::optional<Ref>* where = nullptr) {
  Object v;
  try {
    v = doc.resolve(entry);
  } catch (const Error& e) {
    if (e.code() != Errc::bad_format) throw;
  }
  if (v.as_dict() && looks_right(*v.as_dict())) return v;
  if (!found) found = doc.find_dicts(looks_right);
  if (found->empty() || (!newest_wins && found->size() > 1)) return std::nullopt;
  recovered = true;
  if (where) *where = found->front();
  return doc.resolve(make_ref(found->front()));
}

// The writer leaves out the object /Encrypt names, so a recovered reference replaces the
// damaged one in the trailer.
Object encryption_dict(Document& doc, const Object& entry, bool& recovered) {
  std::optional<Ref> where;
  std::optional<std::vector<Ref>> found;
  std::optional<Object> v =
      found_instead(doc, entry, is_encryption_dict, true, recovered, found, &where);
  if (!v || !v->as_dict())
    fail(Errc::bad_format,
         "PDF: the /Encrypt entry does not lead to an encryption dictionary, and the file holds "
         "none");
  if (where) doc.set_trailer_entry("Encrypt", make_ref(*where));
  return *v;
}

Object crypt_filter(Document& doc, const Object& entry, bool& recovered,
                    std::optional<std::vector<Ref>>& found) {
  if (!entry.as_ref()) return entry;
  std::optional<Object> v = found_instead(doc, entry, is_crypt_filter, false, recovered, found);
  return v ? *v : doc.resolve(entry);
}

void read_ids(Opened& o) {
  const Object* id = o.doc.trailer().get("ID");
  Object idv = id ? o.doc.resolve(*id) : Object{};
  if (const Array* a = idv.as_array()) {
    if (!a->empty() && a->front().as_string()) o.id0 = a->front().as_string()->bytes;
    if (a->size() > 1 && (*a)[1].as_string()) o.id1 = (*a)[1].as_string()->bytes;
  }
}

/// Loads the document and its security handler and authenticates `password` (the empty
/// password when none is given). Does not throw for a password mismatch: `matched` says.
std::unique_ptr<Opened> open(const ByteSource& src, std::optional<std::string_view> password,
                             bool verify_perms, const crypto::RecipientKey* key = nullptr,
                             const crypto::Backend& be = crypto::default_backend()) {
  auto o = std::make_unique<Opened>(src);
  read_ids(*o);
  const Object* e = o->doc.trailer().get("Encrypt");
  if (!e) {
    o->doc.validate_offsets();
    o->doc.index_object_streams();
    return o;
  }
  Object ev = encryption_dict(o->doc, *e, o->recovered);
  Dict* ed = ev.as_dict();
  // Values (and crypt filters) may be indirect references.
  for (auto& [k, v] : ed->entries()) v = o->doc.resolve(v);
  std::optional<std::vector<Ref>> crypt_filters_found;
  if (Dict* cf = ed->get("CF") ? ed->get("CF")->as_dict() : nullptr)
    for (auto& [k, v] : cf->entries()) {
      v = crypt_filter(o->doc, v, o->recovered, crypt_filters_found);
      if (Dict* fd = v.as_dict())
        for (auto& [k2, v2] : fd->entries()) v2 = o->doc.resolve(v2);
    }
  const Object* f = ed->get("Filter");
  o->filter = f && f->as_name() ? f->as_name()->bytes : "";
  if (o->filter != "Standard" && o->filter != "Adobe.PubSec") {
    o->matched = PasswordMatch::none;
    return o;  // caller reports unsupported where it matters
  }
  o->sec.emplace(*ed, o->id0, be);
  if (o->sec->pubsec()) {
    o->matched = key && o->sec->unlock(*key) ? PasswordMatch::recipient : PasswordMatch::none;
  } else {
    PasswordKind k = o->sec->authenticate(password.value_or(""), verify_perms);
    o->matched = k == PasswordKind::owner  ? PasswordMatch::owner
                 : k == PasswordKind::user ? PasswordMatch::user
                                           : PasswordMatch::none;
  }
  if (o->sec->key_known()) {
    const DocumentSecurity* sec = &*o->sec;
    o->doc.set_stream_decryptor([sec](Ref r, const Dict& d, std::string data) {
      return sec->decrypt(sec->method_for_stream(d), r, std::move(data));
    });
    o->doc.validate_offsets();
    o->doc.index_object_streams();
  }
  return o;
}

void require_key(const Opened& o, bool password_given, const crypto::RecipientKey* key) {
  if (o.matched == PasswordMatch::not_encrypted) return;
  if (!o.sec)
    fail(Errc::unsupported, "PDF security handler /" + (o.filter.empty() ? "?" : o.filter) +
                                " is not supported (the standard password handler and "
                                "Adobe.PubSec are)");
  if (o.sec->pubsec() && o.matched == PasswordMatch::none) {
    const std::size_t n = o.sec->recipients().size();
    if (!key)
      fail(Errc::wrong_password,
           "this PDF is encrypted to certificates (Adobe.PubSec, " + std::to_string(n) +
               " recipient envelope(s)): it opens with a recipient's private key, not a password");
    const crypto::Certificate& c = key->certificate();
    fail(Errc::wrong_password, "no recipient of this PDF is the certificate " + c.subject() +
                                   " (issuer " + c.issuer() + ", serial " + c.serial_hex() +
                                   "); it has " + std::to_string(n) + " recipient envelope(s)");
  }
  if (o.matched == PasswordMatch::none) {
    if (!password_given) fail(Errc::wrong_password, "this PDF needs a password to open");
    fail(Errc::wrong_password,
         "the password does not open this PDF (neither user nor owner password)");
  }
}

}  // namespace

PermissionFlags decode_permissions(std::int32_t p) noexcept {
  auto u = static_cast<std::uint32_t>(p);
  auto bit = [u](int n) { return (u >> (n - 1)) & 1u; };
  PermissionFlags f;
  f.print = bit(3);
  f.modify = bit(4);
  f.copy = bit(5);
  f.annotate = bit(6);
  f.fill_forms = bit(9);
  f.accessibility = bit(10);
  f.assemble = bit(11);
  f.print_high_quality = bit(12);
  return f;
}

std::int32_t encode_permissions(const PermissionFlags& f) noexcept {
  std::uint32_t u = 0xfffff0c0u;  // bits 7-8 and 13-32 set
  auto set = [&u](bool on, int n) {
    if (on) u |= 1u << (n - 1);
  };
  set(f.print, 3);
  set(f.modify, 4);
  set(f.copy, 5);
  set(f.annotate, 6);
  set(f.fill_forms, 9);
  set(f.accessibility, 10);
  set(f.assemble, 11);
  set(f.print_high_quality, 12);
  return static_cast<std::int32_t>(u);
}

std::int32_t parse_permissions(std::string_view spec) {
  std::string s = ascii_lower(spec);
  if (!s.empty() && (s[0] == '-' || std::isdigit(static_cast<unsigned char>(s[0])))) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || v < INT32_MIN || v > UINT32_MAX)
      fail(Errc::invalid_argument, "permissions: '" + std::string(spec) + "' is not a /P value");
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  }
  PermissionFlags f{false, false, false, false, false, false, false, false};
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string n = s.substr(start, end - start);
    n.erase(std::remove_if(n.begin(), n.end(), [](unsigned char c) { return std::isspace(c); }),
            n.end());
    start = end + 1;
    if (n.empty() || n == "none") continue;
    if (n == "all")
      f = PermissionFlags{};
    else if (n == "print")
      f.print = true;
    else if (n == "print-high" || n == "print-high-quality")
      f.print_high_quality = f.print = true;
    else if (n == "modify")
      f.modify = true;
    else if (n == "copy" || n == "extract")
      f.copy = true;
    else if (n == "annotate")
      f.annotate = true;
    else if (n == "fill-forms" || n == "form")
      f.fill_forms = true;
    else if (n == "accessibility")
      f.accessibility = true;
    else if (n == "assemble")
      f.assemble = true;
    else
      fail(Errc::invalid_argument,
           "unknown permission '" + n +
               "' (use print, print-high, modify, copy, annotate, fill-forms, accessibility, "
               "assemble, all or none)");
  }
  return encode_permissions(f);
}

std::int32_t permissions_for_rights(std::span<const std::string_view> rights) {
  PermissionFlags f{false, false, false, false, false, false, false, false};
  for (std::string_view r : rights) {
    std::string n = ascii_lower(r);
    if (n == "owner") return encode_permissions(PermissionFlags{});
    if (n == "print") f.print = f.print_high_quality = true;
    if (n == "extract") f.copy = f.accessibility = true;
    if (n == "docedit" || n == "edit") f.modify = f.assemble = f.fill_forms = true;
    if (n == "comment") f.annotate = true;
  }
  return encode_permissions(f);
}

std::string_view to_string(PasswordMatch m) noexcept {
  switch (m) {
    case PasswordMatch::not_encrypted:
      return "not-encrypted";
    case PasswordMatch::none:
      return "none";
    case PasswordMatch::user:
      return "user";
    case PasswordMatch::owner:
      return "owner";
    case PasswordMatch::recipient:
      return "recipient";
  }
  return "?";
}

Description describe(const ByteSource& pdf, std::optional<std::string_view> password,
                     const crypto::RecipientKey* key) {
  auto o = open(pdf, password, false, key);
  Description d;
  d.version = o->doc.header_version();
  d.repaired = o->doc.repaired() || o->recovered;
  d.xref_stream = o->doc.has_xref_streams();
  d.objects = o->doc.object_numbers().size();
  d.matched = o->matched;
  d.encrypted = o->matched != PasswordMatch::not_encrypted;
  d.filter = o->filter;
  if (o->sec) {
    const DocumentSecurity& s = *o->sec;
    d.v = s.v();
    d.r = s.r();
    d.key_bits = s.key_bits();
    d.string_method = to_string(s.string_method());
    d.stream_method = to_string(s.stream_method());
    d.embedded_file_method = to_string(s.embedded_file_method());
    d.encrypt_metadata = s.encrypt_metadata();
    d.permissions = s.permissions();
    d.flags = decode_permissions(s.permissions());
    if (s.pubsec()) {
      d.sub_filter = s.sub_filter();
      for (const std::string& r : s.recipients()) {
        try {
          auto rs = crypto::enveloped_recipients(
              ByteView(reinterpret_cast<const std::uint8_t*>(r.data()), r.size()));
          d.recipients.insert(d.recipients.end(), rs.begin(), rs.end());
        } catch (const Error& e) {
          if (e.code() != Errc::bad_format) throw;
          d.recipients.push_back({"unreadable", "", "", ""});
        }
      }
    }
  }
  return d;
}

DecryptResult decrypt(const ByteSource& pdf, ByteSink& out,
                      std::optional<std::string_view> password, const DecryptOptions& opt) {
  const crypto::Backend& be = opt.backend ? *opt.backend : crypto::default_backend();
  auto o = open(pdf, password, opt.verify_perms, opt.key, be);
  require_key(*o, password.has_value(), opt.key);
  RewriteOptions ro;
  ro.backend = &be;
  ro.decrypt = o->sec ? &*o->sec : nullptr;
  ro.id0 = o->id0;
  ro.id1 = o->id1;
  ro.progress = opt.progress;
  RewriteStats st = rewrite(o->doc, out, ro);
  return DecryptResult{o->matched, st.objects, st.bytes};
}

DecryptResult encrypt(const ByteSource& pdf, ByteSink& out, const EncryptOptions& opt) {
  if (opt.revision != 4 && opt.revision != 6)
    fail(Errc::invalid_argument, "PDF encryption revision must be 4 (AES-128) or 6 (AES-256)");
  const crypto::Backend& be = opt.backend ? *opt.backend : crypto::default_backend();
  auto o = open(pdf, opt.current_password, true, opt.current_key, be);
  require_key(*o, opt.current_password.has_value(), opt.current_key);
  std::string id0 = o->id0, id1 = o->id1;
  if (id0.empty()) {
    Bytes r = be.random_bytes(16);
    id0.assign(r.begin(), r.end());
    id1 = id0;
  }
  std::optional<DocumentSecurity> enc;
  if (!opt.recipients.empty()) {
    if (!opt.user_password.empty() || !opt.owner_password.empty() || opt.permissions != -4)
      fail(Errc::invalid_argument,
           "a PDF encrypted to certificates has no passwords, and each recipient carries its "
           "own permissions");
    enc.emplace(opt.revision, std::span<const Recipient>(opt.recipients), opt.encrypt_metadata, be);
  } else {
    crypto::SecureString random_owner;
    DocumentSecurity::Create c;
    c.revision = opt.revision;
    c.user_password = opt.user_password;
    c.owner_password = opt.owner_password;
    if (opt.owner_password.empty()) {
      Bytes r = be.random_bytes(24);
      crypto::SecureString hex(crypto::to_hex(r).c_str());
      random_owner = hex;
      c.owner_password = std::string_view(random_owner.data(), random_owner.size());
    }
    c.permissions = opt.permissions;
    c.encrypt_metadata = opt.encrypt_metadata;
    enc.emplace(c, id0, be);
  }
  RewriteOptions ro;
  ro.decrypt = o->sec ? &*o->sec : nullptr;
  ro.encrypt = &*enc;
  ro.id0 = id0;
  ro.id1 = id1;
  ro.progress = opt.progress;
  ro.backend = &be;
  RewriteStats st = rewrite(o->doc, out, ro);
  return DecryptResult{o->matched, st.objects, st.bytes};
}

DecryptResult decrypt_file(const std::filesystem::path& in, const std::filesystem::path& out,
                           std::optional<std::string_view> password, const DecryptOptions& opt) {
  FileSource src(in);
  AtomicFileSink sink(out, opt.durable);
  DecryptResult r = decrypt(src, sink, password, opt);
  sink.commit();
  return r;
}

DecryptResult encrypt_file(const std::filesystem::path& in, const std::filesystem::path& out,
                           const EncryptOptions& opt) {
  FileSource src(in);
  AtomicFileSink sink(out, opt.durable);
  DecryptResult r = encrypt(src, sink, opt);
  sink.commit();
  return r;
}

}  // namespace openrms::formats::pdf
