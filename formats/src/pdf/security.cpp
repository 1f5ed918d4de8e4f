#include "security.hpp"

#include <stringprep.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "openrms/error.hpp"

namespace openrms::formats::pdf {

using crypto::HashAlg;
using crypto::SecureBytes;

namespace {

const std::uint8_t kPad[32] = {0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e,
                               0x56, 0xff, 0xfa, 0x01, 0x08, 0x2e, 0x2e, 0x00, 0xb6, 0xd0, 0x68,
                               0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a};

ByteView bv(std::string_view s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

[[noreturn]] void bad(const std::string& what) {
  fail(Errc::bad_format, "PDF encryption dictionary: " + what);
}

std::string get_string(const Dict& d, std::string_view k) {
  const Object* o = d.get(k);
  if (!o) return {};
  if (const auto* s = o->as_string()) return s->bytes;
  bad("/" + std::string(k) + " is not a string");
}

CryptMethod method_of(const Dict& cf) {
  const Object* m = cf.get("CFM");
  if (!m || m->is_name("None")) return CryptMethod::identity;
  if (m->is_name("V2")) return CryptMethod::rc4;
  if (m->is_name("AESV2")) return CryptMethod::aesv2;
  if (m->is_name("AESV3")) return CryptMethod::aesv3;
  fail(Errc::unsupported, "PDF crypt filter method is not supported");
}

/// The password in PDFDocEncoding for R2-R4, truncated to 32 bytes, then padded with kPad.
std::string pad_password(std::string_view pw) {
  std::string out(pw.substr(0, 32));
  out.append(reinterpret_cast<const char*>(kPad), 32 - out.size());
  return out;
}

/// UTF-8 → Latin-1 (PDFDocEncoding agrees with it for printable characters); nullopt if the
/// string has characters outside Latin-1 or is not UTF-8.
std::optional<std::string> utf8_to_latin1(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c & 0xe0) == 0xc0 && i + 1 < s.size()) {
      unsigned cp = (c & 0x1fu) << 6 | (static_cast<unsigned char>(s[i + 1]) & 0x3fu);
      if (cp > 0xff) return std::nullopt;
      out.push_back(static_cast<char>(cp));
      ++i;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

SecureBytes md5(const crypto::Backend& be, ByteView data) {
  SecureBytes out(16);
  auto h = be.hash(HashAlg::md5);
  h->update(data);
  h->finish(out);
  return out;
}

void rc4_apply(const crypto::Backend& be, ByteView key, std::string& data) {
  auto rc4 = be.rc4(key);
  auto* p = reinterpret_cast<std::uint8_t*>(data.data());
  rc4->apply(ByteView(p, data.size()), MutableByteView(p, data.size()));
}

}  // namespace

std::string_view to_string(CryptMethod m) noexcept {
  switch (m) {
    case CryptMethod::identity:
      return "Identity";
    case CryptMethod::cbc4k:
      return "CBC4K";
    case CryptMethod::rc4:
      return "RC4";
    case CryptMethod::aesv2:
      return "AESV2";
    case CryptMethod::aesv3:
      return "AESV3";
  }
  return "?";
}

std::optional<std::string> saslprep(std::string_view utf8) {
  std::string in(utf8);
  char* out = nullptr;
  int rc =
      stringprep_profile(in.c_str(), &out, "SASLprep", static_cast<Stringprep_profile_flags>(0));
  crypto::secure_wipe(in.data(), in.size());
  if (rc != STRINGPREP_OK || !out) {
    if (out) std::free(out);
    return std::nullopt;
  }
  std::string r(out);
  crypto::secure_wipe(out, r.size());
  std::free(out);
  return r;
}

namespace {

std::int64_t int_or(const Dict& d, std::string_view k, std::int64_t def) {
  const Object* o = d.get(k);
  if (!o) return def;
  if (const auto* i = o->as_int()) return *i;
  double x = 0;
  if (o->get_number(x)) return static_cast<std::int64_t>(x);
  bad("/" + std::string(k) + " is not a number");
}

// /Length in bits; some writers put bytes.
std::int64_t length_bits(const Dict& d) {
  std::int64_t len = int_or(d, "Length", 0);
  if (len > 0 && len <= 32 && len != 40) len *= 8;
  return len;
}

std::string name_or(const Dict& d, std::string_view k, std::string def) {
  const Object* o = d.get(k);
  return (o && o->as_name()) ? o->as_name()->bytes : def;
}

}  // namespace

DocumentSecurity::DocumentSecurity(const Dict& enc, std::string id0, const crypto::Backend& be)
    : be_(&be), id0_(std::move(id0)) {
  const Object* filter = enc.get("Filter");
  pubsec_ = filter && filter->is_name("Adobe.PubSec");
  if (!pubsec_ && (!filter || !filter->is_name("Standard"))) {
    std::string name = filter && filter->as_name() ? filter->as_name()->bytes : "?";
    fail(Errc::unsupported, "PDF security handler /" + name +
                                " is not supported (the standard password handler and "
                                "Adobe.PubSec are)");
  }
  v_ = static_cast<int>(int_or(enc, "V", 0));
  if (v_ < 0 || v_ > 5 || v_ == 3)
    fail(Errc::unsupported,
         "PDF encryption version /V " + std::to_string(v_) + " is not supported");
  if (pubsec_) {
    read_pubsec(enc);
    return;
  }
  r_ = static_cast<int>(int_or(enc, "R", 0));
  if (r_ < 2 || r_ > 6)
    fail(Errc::unsupported,
         "PDF standard security revision " + std::to_string(r_) + " is not supported");
  std::int64_t p = int_or(enc, "P", -4);
  p_ = static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(p)));
  o_ = get_string(enc, "O");
  u_ = get_string(enc, "U");
  if (const Object* em = enc.get("EncryptMetadata"); em && em->as_bool())
    encrypt_metadata_ = *em->as_bool();

  length_given_ = enc.get("Length") != nullptr;
  const std::int64_t len = length_bits(enc);
  if (r_ >= 5) {
    n_ = 32;
    if (o_.size() < 48 || u_.size() < 48) bad("/O and /U must be 48 bytes for revision 5/6");
    o_.resize(48);
    u_.resize(48);
    oe_ = get_string(enc, "OE");
    ue_ = get_string(enc, "UE");
    perms_ = get_string(enc, "Perms");
    if (oe_.size() < 32 || ue_.size() < 32) bad("/OE and /UE must be 32 bytes");
    oe_.resize(32);
    ue_.resize(32);
  } else {
    if (o_.size() < 32) bad("/O is shorter than 32 bytes");
    o_.resize(32);
    if (u_.size() < 16) bad("/U is shorter than 16 bytes");
    if (r_ == 2 || v_ == 1) {
      n_ = 5;
    } else if (len == 0) {
      n_ = v_ == 4 ? 16 : 5;
    } else {
      if (len < 40 || len > 128 || len % 8) bad("/Length must be 40..128 bits");
      n_ = static_cast<std::size_t>(len / 8);
    }
  }
  read_crypt_filters(enc);
}

void DocumentSecurity::read_crypt_filters(const Dict& enc) {
  if (v_ < 4) {
    stm_.method = str_.method = eff_.method = CryptMethod::rc4;
    return;
  }
  if (const Object* cf = enc.get("CF"); cf && cf->as_dict()) {
    for (const auto& [name, f] : cf->as_dict()->entries()) {
      const Dict* fd = f.as_dict();
      if (!fd) continue;
      CryptFilter c;
      c.method = method_of(*fd);
      if (const Object* ae = fd->get("AuthEvent"); ae && ae->as_name())
        c.auth_event = ae->as_name()->bytes;
      cf_[name] = c;
    }
  }
  stm_ = filter_named(name_or(enc, "StmF", "Identity"));
  str_ = filter_named(name_or(enc, "StrF", "Identity"));
  eff_ = filter_named(name_or(enc, "EFF", name_or(enc, "StmF", "Identity")));
}

// ISO 32000-2 §7.6.5: the recipients (CMS EnvelopedData of a 20-byte seed and 4 bytes of
// permissions) sit in /Recipients, of the encryption dictionary for adbe.pkcs7.s3/s4 and of the
// crypt filter for s5, which may also say /EncryptMetadata. /R is not used.
void DocumentSecurity::read_pubsec(const Dict& enc) {
  sub_filter_ = name_or(enc, "SubFilter", "");
  if (sub_filter_ != "adbe.pkcs7.s3" && sub_filter_ != "adbe.pkcs7.s4" &&
      sub_filter_ != "adbe.pkcs7.s5")
    fail(Errc::unsupported, "PDF public-key security /SubFilter /" + sub_filter_ +
                                " is not supported (adbe.pkcs7.s3, s4 and s5 are)");
  if ((sub_filter_ == "adbe.pkcs7.s5") != (v_ >= 4))
    bad("adbe.pkcs7.s5 goes with /V 4 or 5, and s3/s4 with /V 1 or 2");
  if (const Object* em = enc.get("EncryptMetadata"); em && em->as_bool())
    encrypt_metadata_ = *em->as_bool();
  read_crypt_filters(enc);
  const Dict* holder = &enc;
  std::int64_t len = length_bits(enc);
  if (v_ >= 4) {
    const std::string name = name_or(enc, "StmF", "Identity") != "Identity"
                                 ? name_or(enc, "StmF", "Identity")
                                 : name_or(enc, "StrF", "Identity");
    const Object* cf = enc.get("CF");
    const Object* fd = cf && cf->as_dict() ? cf->as_dict()->get(name) : nullptr;
    if (!fd || !fd->as_dict()) bad("the crypt filter /" + name + " with the recipients is missing");
    holder = fd->as_dict();
    if (const Object* em = holder->get("EncryptMetadata"); em && em->as_bool())
      encrypt_metadata_ = *em->as_bool();
    if (holder->get("Length")) len = length_bits(*holder);
  }
  const Object* rs = holder->get("Recipients");
  if (rs && rs->as_string()) {
    recipients_.push_back(rs->as_string()->bytes);  // s4 writers sometimes give one string
  } else if (rs && rs->as_array()) {
    for (const Object& r : *rs->as_array())
      if (r.as_string()) recipients_.push_back(r.as_string()->bytes);
  }
  if (recipients_.empty()) bad("/Recipients is missing or empty");
  if (v_ == 5) {
    n_ = 32;
  } else if (v_ == 4) {
    n_ = stm_.method == CryptMethod::aesv2 || str_.method == CryptMethod::aesv2 ? 16
         : len ? static_cast<std::size_t>(len / 8)
               : 16;
  } else {
    n_ = v_ == 1 || !len ? 5 : static_cast<std::size_t>(len / 8);
  }
  if (n_ < 5 || n_ > 32) bad("/Length must be 40..256 bits");
}

// The file key: a digest of the seed, every recipient as stored, and four 0xFF bytes when the
// metadata stays in the clear; SHA-256 for AES-256, SHA-1 otherwise; cut to the key length.
SecureBytes DocumentSecurity::pubsec_key(ByteView seed) const {
  auto h = be_->hash(v_ == 5 ? HashAlg::sha256 : HashAlg::sha1);
  h->update(seed);
  for (const std::string& each : recipients_) h->update(bv(each));
  if (v_ >= 4 && !encrypt_metadata_) {
    const std::uint8_t ff[4] = {0xff, 0xff, 0xff, 0xff};
    h->update(ByteView(ff, 4));
  }
  SecureBytes k(v_ == 5 ? 32 : 20);
  h->finish(k);
  k.resize(n_);
  return k;
}

DocumentSecurity::DocumentSecurity(int revision, std::span<const Recipient> recipients,
                                   bool encrypt_metadata, const crypto::Backend& be)
    : be_(&be) {
  if (revision != 4 && revision != 6)
    fail(Errc::invalid_argument, "PDF encryption revision must be 4 (AES-128) or 6 (AES-256)");
  if (recipients.empty()) fail(Errc::invalid_argument, "no recipients to encrypt to");
  pubsec_ = true;
  sub_filter_ = "adbe.pkcs7.s5";
  v_ = revision == 6 ? 5 : 4;
  n_ = revision == 6 ? 32 : 16;
  encrypt_metadata_ = encrypt_metadata;
  CryptFilter f;
  f.method = revision == 6 ? CryptMethod::aesv3 : CryptMethod::aesv2;
  cf_["DefaultCryptFilter"] = f;
  stm_ = str_ = eff_ = f;
  std::map<std::uint32_t, std::vector<crypto::Certificate>> groups;
  for (const Recipient& r : recipients)
    groups[(static_cast<std::uint32_t>(r.permissions) | 0xfffff0c0u) & ~3u].push_back(
        r.certificate);
  SecureBytes content(24);
  be.random(MutableByteView(content.data(), 20));
  for (const auto& [p, certs] : groups) {
    for (int i = 0; i < 4; ++i) content[20 + i] = static_cast<std::uint8_t>(p >> (24 - 8 * i));
    Bytes env = crypto::seal_enveloped(content, certs);
    recipients_.emplace_back(env.begin(), env.end());
  }
  p_ = static_cast<std::int32_t>(groups.begin()->first);
  key_ = pubsec_key(ByteView(content.data(), 20));
}

bool DocumentSecurity::unlock(const crypto::RecipientKey& key) {
  for (const std::string& r : recipients_) {
    std::optional<SecureBytes> content;
    try {
      content = key.open_enveloped(bv(r));
    } catch (const Error& e) {
      if (e.code() != Errc::bad_format) throw;
      continue;  // a damaged entry for someone else must not hide ours
    }
    if (!content) continue;
    if (content->size() < 24) bad("a recipient's seed and permissions are shorter than 24 bytes");
    // Permissions: bytes 20..23, most significant first.
    p_ = static_cast<std::int32_t>((std::uint32_t{(*content)[20]} << 24) |
                                   (std::uint32_t{(*content)[21]} << 16) |
                                   (std::uint32_t{(*content)[22]} << 8) | (*content)[23]);
    key_ = pubsec_key(ByteView(content->data(), 20));
    return true;
  }
  return false;
}

CryptFilter DocumentSecurity::filter_named(const std::string& name) const {
  if (name == "Identity") return CryptFilter{};
  auto it = cf_.find(name);
  if (it == cf_.end() && v_ == 5) {
    CryptFilter f;  // V5 has one method; pdf.js also assumes it when /CF is unusable
    f.method = CryptMethod::aesv3;
    return f;
  }
  if (it == cf_.end()) bad("crypt filter /" + name + " is not defined in /CF");
  return it->second;
}

DocumentSecurity::DocumentSecurity(const Create& c, std::string id0, const crypto::Backend& be)
    : be_(&be), id0_(std::move(id0)) {
  if (c.revision != 4 && c.revision != 6)
    fail(Errc::invalid_argument, "PDF encryption revision must be 4 (AES-128) or 6 (AES-256)");
  r_ = c.revision;
  v_ = r_ == 6 ? 5 : 4;
  n_ = r_ == 6 ? 32 : 16;
  p_ = static_cast<std::int32_t>(static_cast<std::uint32_t>(c.permissions) | 0xfffff0c0u) &
       ~3;  // reserved bits as §7.6.4.2 Table 22 requires
  encrypt_metadata_ = c.encrypt_metadata;
  CryptFilter f;
  f.method = r_ == 6 ? CryptMethod::aesv3 : CryptMethod::aesv2;
  cf_["StdCF"] = f;
  stm_ = str_ = eff_ = f;
  if (r_ == 6) {
    auto prep = [](std::string_view pw) {
      std::optional<std::string> s = saslprep(pw);
      if (!s) fail(Errc::invalid_argument, "the password contains characters SASLprep prohibits");
      if (s->size() > 127) s->resize(127);
      return *s;
    };
    std::string upw = prep(c.user_password), opw = prep(c.owner_password);
    key_ = SecureBytes(32);
    be.random(key_);
    std::uint8_t salts[32];
    be.random(salts);
    std::uint8_t h[32];
    hash_2b(upw, ByteView(salts, 8), {}, h);
    u_.assign(reinterpret_cast<char*>(h), 32);
    u_.append(reinterpret_cast<char*>(salts), 16);
    std::uint8_t zero_iv[16] = {};
    hash_2b(upw, ByteView(salts + 8, 8), {}, h);
    ue_.resize(32);
    be.aes(ByteView(h, 32))
        ->cbc_encrypt(zero_iv, key_,
                      MutableByteView(reinterpret_cast<std::uint8_t*>(ue_.data()), 32));
    hash_2b(opw, ByteView(salts + 16, 8), bv(u_), h);
    o_.assign(reinterpret_cast<char*>(h), 32);
    o_.append(reinterpret_cast<char*>(salts + 16), 16);
    hash_2b(opw, ByteView(salts + 24, 8), bv(u_), h);
    oe_.resize(32);
    be.aes(ByteView(h, 32))
        ->cbc_encrypt(zero_iv, key_,
                      MutableByteView(reinterpret_cast<std::uint8_t*>(oe_.data()), 32));
    std::uint8_t perms[16];
    auto up = static_cast<std::uint32_t>(p_);
    for (int i = 0; i < 4; ++i) perms[i] = static_cast<std::uint8_t>(up >> (8 * i));
    std::memset(perms + 4, 0xff, 4);
    perms[8] = encrypt_metadata_ ? 'T' : 'F';
    std::memcpy(perms + 9, "adb", 3);
    be.random(MutableByteView(perms + 12, 4));
    perms_.resize(16);
    be.aes(key_)->ecb_encrypt(ByteView(perms, 16),
                              MutableByteView(reinterpret_cast<std::uint8_t*>(perms_.data()), 16));
    crypto::secure_wipe(h, sizeof h);
    crypto::secure_wipe(upw.data(), upw.size());
    crypto::secure_wipe(opw.data(), opw.size());
    return;
  }
  // R4 (Algorithms 3, 2 and 5) with PDFDocEncoding passwords.
  auto enc = [](std::string_view pw) {
    std::optional<std::string> l = utf8_to_latin1(pw);
    if (!l)
      fail(Errc::invalid_argument,
           "revision 4 passwords must be Latin-1 characters (use revision 6 for others)");
    return pad_password(*l);
  };
  std::string upw = enc(c.user_password);
  std::string opw = enc(c.owner_password.empty() ? c.user_password : c.owner_password);
  SecureBytes k = md5(be, bv(opw));
  for (int i = 0; i < 50; ++i) k = md5(be, ByteView(k.data(), n_));
  k.resize(n_);
  o_ = upw;
  for (int i = 0; i < 20; ++i) {
    SecureBytes ki(k);
    for (auto& b : ki) b ^= static_cast<std::uint8_t>(i);
    rc4_apply(be, ki, o_);
  }
  key_ = key_r4(upw, n_);
  // U (Algorithm 5): RC4 chain over MD5(PAD || ID0), then 16 arbitrary bytes.
  auto h = be.hash(HashAlg::md5);
  h->update(ByteView(kPad, 32));
  h->update(bv(id0_));
  Bytes x = h->finish();
  std::string xs(x.begin(), x.end());
  for (int i = 0; i < 20; ++i) {
    SecureBytes ki(key_);
    for (auto& b : ki) b ^= static_cast<std::uint8_t>(i);
    rc4_apply(be, ki, xs);
  }
  Bytes rnd = be.random_bytes(16);
  u_ = xs + std::string(rnd.begin(), rnd.end());
  crypto::secure_wipe(upw.data(), upw.size());
  crypto::secure_wipe(opw.data(), opw.size());
}

SecureBytes DocumentSecurity::key_r4(std::string_view padded_pw, std::size_t n) const {
  auto h = be_->hash(HashAlg::md5);
  h->update(bv(padded_pw));
  h->update(bv(o_.substr(0, 32)));
  std::uint8_t p[4];
  auto up = static_cast<std::uint32_t>(p_);
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(up >> (8 * i));
  h->update(ByteView(p, 4));
  h->update(bv(id0_));
  if (r_ >= 4 && !encrypt_metadata_) {
    const std::uint8_t ff[4] = {0xff, 0xff, 0xff, 0xff};
    h->update(ByteView(ff, 4));
  }
  SecureBytes k(16);
  h->finish(k);
  if (r_ >= 3) {
    for (int i = 0; i < 50; ++i) {
      h->update(ByteView(k.data(), n));
      h->finish(k);
    }
  }
  k.resize(n);
  return k;
}

bool DocumentSecurity::check_u_r4(const SecureBytes& key) const {
  if (r_ == 2) {
    std::string x(reinterpret_cast<const char*>(kPad), 32);
    rc4_apply(*be_, key, x);
    const std::size_t n = std::min<std::size_t>(32, u_.size());
    return crypto::ct_equal(bv(std::string_view(x).substr(0, n)),
                            bv(std::string_view(u_).substr(0, n)));
  }
  auto h = be_->hash(HashAlg::md5);
  h->update(ByteView(kPad, 32));
  h->update(bv(id0_));
  Bytes d = h->finish();
  std::string x(d.begin(), d.end());
  for (int i = 0; i < 20; ++i) {
    SecureBytes ki(key);
    for (auto& b : ki) b ^= static_cast<std::uint8_t>(i);
    rc4_apply(*be_, ki, x);
  }
  return crypto::ct_equal(bv(x), bv(std::string_view(u_).substr(0, 16)));
}

bool DocumentSecurity::try_r4(const std::string& pw, PasswordKind& kind) {
  std::vector<std::size_t> lengths{n_};
  if (!length_given_ && r_ >= 3 && n_ == 5) lengths.push_back(16);  // qpdf's guess for /Length
  for (std::size_t n : lengths) {
    // Owner (Algorithm 7): recover the padded user password from /O, then authenticate it.
    std::string opad = pad_password(pw);
    SecureBytes k = md5(*be_, bv(opad));
    if (r_ >= 3)
      for (int i = 0; i < 50; ++i) k = md5(*be_, ByteView(k.data(), n));
    k.resize(n);
    std::string upad = o_;
    if (r_ == 2) {
      rc4_apply(*be_, k, upad);
    } else {
      for (int i = 19; i >= 0; --i) {
        SecureBytes ki(k);
        for (auto& b : ki) b ^= static_cast<std::uint8_t>(i);
        rc4_apply(*be_, ki, upad);
      }
    }
    SecureBytes key = key_r4(upad, n);
    crypto::secure_wipe(upad.data(), upad.size());
    crypto::secure_wipe(opad.data(), opad.size());
    if (check_u_r4(key)) {
      key_ = std::move(key);
      n_ = n;
      kind = PasswordKind::owner;
      return true;
    }
    std::string ppad = pad_password(pw);
    key = key_r4(ppad, n);
    crypto::secure_wipe(ppad.data(), ppad.size());
    if (check_u_r4(key)) {
      key_ = std::move(key);
      n_ = n;
      kind = PasswordKind::user;
      return true;
    }
  }
  return false;
}

void pdf_hash_2b(const crypto::Backend& be, int revision, std::string_view pw, ByteView salt,
                 ByteView udata, std::uint8_t out[32]) {
  auto sha256 = be.hash(HashAlg::sha256);
  sha256->update(bv(pw));
  sha256->update(salt);
  sha256->update(udata);
  std::uint8_t k[64];
  sha256->finish(MutableByteView(k, 32));
  if (revision < 6) {
    std::memcpy(out, k, 32);
    return;
  }
  auto sha384 = be.hash(HashAlg::sha384);
  auto sha512 = be.hash(HashAlg::sha512);
  std::size_t klen = 32;
  const std::size_t unit = pw.size() + 64 + udata.size();
  crypto::SecureBytes k1(unit * 64), e(unit * 64);
  for (int i = 0;; ++i) {
    // K1 = (pw || K || udata) x 64; E = AES-128-CBC(K[0:16], IV K[16:32], K1).
    std::size_t one = pw.size() + klen + udata.size();
    std::uint8_t* q = k1.data();
    std::memcpy(q, pw.data(), pw.size());
    std::memcpy(q + pw.size(), k, klen);
    if (!udata.empty()) std::memcpy(q + pw.size() + klen, udata.data(), udata.size());
    for (int r = 1; r < 64; ++r) std::memcpy(q + r * one, q, one);
    const std::size_t total = one * 64;
    be.aes(ByteView(k, 16))
        ->cbc_encrypt(ByteView(k + 16, 16), ByteView(q, total), MutableByteView(e.data(), total));
    unsigned sum = 0;
    for (int b = 0; b < 16; ++b) sum += e[b];
    crypto::HashCtx* h = sum % 3 == 0 ? sha256.get() : sum % 3 == 1 ? sha384.get() : sha512.get();
    h->update(ByteView(e.data(), total));
    klen = h->size();
    h->finish(MutableByteView(k, klen));
    if (i >= 63 && e[total - 1] <= static_cast<unsigned>(i + 1 - 32)) break;
  }
  std::memcpy(out, k, 32);
  crypto::secure_wipe(k, sizeof k);
}

void DocumentSecurity::hash_2b(std::string_view pw, ByteView salt, ByteView udata,
                               std::uint8_t out[32]) const {
  pdf_hash_2b(*be_, r_, pw, salt, udata, out);
}

bool DocumentSecurity::try_r6(const std::string& pw, PasswordKind& kind, bool check) {
  std::uint8_t h[32];
  const auto* ou = reinterpret_cast<const std::uint8_t*>(o_.data());
  const auto* uu = reinterpret_cast<const std::uint8_t*>(u_.data());
  std::uint8_t zero_iv[16] = {};
  // Owner (Algorithm 12) first: it grants more.
  hash_2b(pw, ByteView(ou + 32, 8), ByteView(uu, 48), h);
  if (crypto::ct_equal(ByteView(h, 32), ByteView(ou, 32))) {
    hash_2b(pw, ByteView(ou + 40, 8), ByteView(uu, 48), h);
    key_ = SecureBytes(32);
    be_->aes(ByteView(h, 32))->cbc_decrypt(zero_iv, bv(oe_), key_);
    kind = PasswordKind::owner;
  } else {
    hash_2b(pw, ByteView(uu + 32, 8), {}, h);
    if (!crypto::ct_equal(ByteView(h, 32), ByteView(uu, 32))) return false;
    hash_2b(pw, ByteView(uu + 40, 8), {}, h);
    key_ = SecureBytes(32);
    be_->aes(ByteView(h, 32))->cbc_decrypt(zero_iv, bv(ue_), key_);
    kind = PasswordKind::user;
  }
  crypto::secure_wipe(h, sizeof h);
  if (check) check_perms();
  return true;
}

void DocumentSecurity::check_perms() const {
  if (perms_.size() < 16)
    fail(Errc::integrity, "PDF /Perms is missing: the encryption dictionary was altered");
  std::uint8_t p[16];
  be_->aes(key_)->ecb_decrypt(bv(std::string_view(perms_).substr(0, 16)), MutableByteView(p, 16));
  auto up = static_cast<std::uint32_t>(p_);
  bool ok = std::memcmp(p + 9, "adb", 3) == 0;
  for (int i = 0; i < 4; ++i) ok &= p[i] == static_cast<std::uint8_t>(up >> (8 * i));
  ok &= (p[8] == 'T') == encrypt_metadata_ || (p[8] != 'T' && p[8] != 'F');
  crypto::secure_wipe(p, sizeof p);
  if (!ok)
    fail(Errc::integrity,
         "PDF /Perms does not match /P and /EncryptMetadata: the permissions were altered");
}

PasswordKind DocumentSecurity::authenticate(std::string_view password, bool check) {
  PasswordKind kind = PasswordKind::none;
  if (r_ >= 5) {
    std::vector<std::string> candidates;
    if (r_ == 6) {
      if (std::optional<std::string> s = saslprep(password)) candidates.push_back(std::move(*s));
    }
    candidates.emplace_back(password);
    for (auto& c : candidates) {
      if (c.size() > 127) c.resize(127);
      bool ok = try_r6(c, kind, check);
      crypto::secure_wipe(c.data(), c.size());
      if (ok) return kind;
    }
    return PasswordKind::none;
  }
  std::vector<std::string> candidates{std::string(password)};
  if (std::optional<std::string> l = utf8_to_latin1(password); l && *l != password)
    candidates.push_back(std::move(*l));
  for (auto& c : candidates) {
    bool ok = try_r4(c, kind);
    crypto::secure_wipe(c.data(), c.size());
    if (ok) return kind;
  }
  return PasswordKind::none;
}

Dict DocumentSecurity::pubsec_dict() const {
  Dict d;
  d.set("Filter", make_name("Adobe.PubSec"));
  d.set("SubFilter", make_name(sub_filter_));
  d.set("V", make_int(v_));
  d.set("Length", make_int(static_cast<std::int64_t>(n_ * 8)));
  Dict fd;
  fd.set("CFM", make_name(std::string(to_string(stm_.method))));
  fd.set("Length", make_int(static_cast<std::int64_t>(n_ * 8)));
  Array rs;
  for (const std::string& r : recipients_) rs.push_back(make_string(r, true));
  fd.set("Recipients", Object{std::move(rs)});
  if (!encrypt_metadata_) fd.set("EncryptMetadata", Object{false});
  Dict cf;
  cf.set("DefaultCryptFilter", Object{std::move(fd)});
  d.set("CF", Object{std::move(cf)});
  d.set("StmF", make_name("DefaultCryptFilter"));
  d.set("StrF", make_name("DefaultCryptFilter"));
  return d;
}

Dict DocumentSecurity::to_dict() const {
  if (pubsec_) return pubsec_dict();
  Dict d;
  d.set("Filter", make_name("Standard"));
  d.set("V", make_int(v_));
  d.set("R", make_int(r_));
  d.set("Length", make_int(static_cast<std::int64_t>(n_ * 8)));
  if (v_ >= 4) {
    Dict cf;
    for (const auto& [name, f] : cf_) {
      Dict fd;
      fd.set("Type", make_name("CryptFilter"));
      fd.set("CFM", make_name(std::string(to_string(f.method))));
      fd.set("AuthEvent", make_name(f.auth_event));
      fd.set("Length", make_int(static_cast<std::int64_t>(n_)));
      cf.set(name, Object{std::move(fd)});
    }
    d.set("CF", Object{std::move(cf)});
    d.set("StmF", make_name("StdCF"));
    d.set("StrF", make_name("StdCF"));
    if (!encrypt_metadata_) d.set("EncryptMetadata", Object{false});
  }
  d.set("O", make_string(o_, true));
  d.set("U", make_string(u_, true));
  if (r_ >= 5) {
    d.set("OE", make_string(oe_, true));
    d.set("UE", make_string(ue_, true));
    d.set("Perms", make_string(perms_, true));
  }
  d.set("P", make_int(p_));
  return d;
}

CryptMethod DocumentSecurity::method_for_stream(const Dict& d) const {
  const Object* t = d.get("Type");
  if (t && t->is_name("XRef")) return CryptMethod::identity;
  const Object* f = d.get("Filter");
  const Object* first = nullptr;
  if (f && f->as_name()) first = f;
  if (f && f->as_array() && !f->as_array()->empty()) first = &f->as_array()->front();
  if (first && first->is_name("Crypt")) {
    const Object* dp = d.get("DecodeParms");
    const Dict* pd = nullptr;
    if (dp && dp->as_dict()) pd = dp->as_dict();
    if (dp && dp->as_array() && !dp->as_array()->empty()) pd = dp->as_array()->front().as_dict();
    const Object* name = pd ? pd->get("Name") : nullptr;
    return filter_named(name && name->as_name() ? name->as_name()->bytes : "Identity").method;
  }
  if (t && t->is_name("EmbeddedFile")) return eff_.method;
  if (!encrypt_metadata_ && t && t->is_name("Metadata")) return CryptMethod::identity;
  return stm_.method;
}

SecureBytes DocumentSecurity::object_key(Ref ref, CryptMethod m) const {
  if (m == CryptMethod::aesv3 || v_ >= 5) return key_;
  // Algorithm 1; for V4, a key shorter than 16 bytes is zero-padded first (Acrobat's rule).
  SecureBytes base(key_);
  if (v_ == 4 && base.size() < 16) base.resize(16, 0);
  auto h = be_->hash(HashAlg::md5);
  h->update(base);
  std::uint8_t nb[5] = {static_cast<std::uint8_t>(ref.num), static_cast<std::uint8_t>(ref.num >> 8),
                        static_cast<std::uint8_t>(ref.num >> 16),
                        static_cast<std::uint8_t>(ref.gen),
                        static_cast<std::uint8_t>(ref.gen >> 8)};
  h->update(ByteView(nb, 5));
  if (m == CryptMethod::aesv2) h->update(bv("sAlT"));
  SecureBytes k(16);
  h->finish(k);
  k.resize(std::min<std::size_t>(base.size() + 5, 16));
  return k;
}

crypto::Aes& DocumentSecurity::aes_for(const SecureBytes& key) const {
  if (!aes_ || aes_key_ != key) {
    aes_ = be_->aes(key);
    aes_key_ = key;
  }
  return *aes_;
}

void DocumentSecurity::next_iv(std::uint8_t iv[16]) const {
  if (iv_pos_ + 16 > iv_pool_.size()) {
    iv_pool_.resize(4096);
    be_->random(iv_pool_);
    iv_pos_ = 0;
  }
  std::memcpy(iv, iv_pool_.data() + iv_pos_, 16);
  iv_pos_ += 16;
}

std::string DocumentSecurity::decrypt(CryptMethod m, Ref ref, std::string data) const {
  if (m == CryptMethod::identity) return data;
  SecureBytes k = object_key(ref, m);
  if (m == CryptMethod::rc4) {
    rc4_apply(*be_, k, data);
    return data;
  }
  // AES-CBC: 16-byte IV then the PKCS#7-padded data. Readers tolerate a partial final block and
  // bad padding (they keep what decrypts), so do we.
  if (data.size() < 32) return {};
  const std::size_t body = (data.size() - 16) / 16 * 16;
  auto* p = reinterpret_cast<std::uint8_t*>(data.data());
  aes_for(k).cbc_decrypt(ByteView(p, 16), ByteView(p + 16, body), MutableByteView(p + 16, body));
  std::size_t pad = p[16 + body - 1];
  bool ok = pad >= 1 && pad <= 16;
  for (std::size_t i = 0; ok && i < pad; ++i) ok = p[16 + body - 1 - i] == pad;
  return data.substr(16, body - (ok ? pad : 0));
}

std::string DocumentSecurity::encrypt(CryptMethod m, Ref ref, std::string_view data) const {
  if (m == CryptMethod::identity) return std::string(data);
  SecureBytes k = object_key(ref, m);
  if (m == CryptMethod::rc4) {
    std::string out(data);
    rc4_apply(*be_, k, out);
    return out;
  }
  const std::size_t padded = (data.size() / 16 + 1) * 16;
  std::string out(16 + padded, '\0');
  auto* p = reinterpret_cast<std::uint8_t*>(out.data());
  next_iv(p);
  std::memcpy(p + 16, data.data(), data.size());
  std::memset(p + 16 + data.size(), static_cast<int>(padded - data.size()), padded - data.size());
  aes_for(k).cbc_encrypt(ByteView(p, 16), ByteView(p + 16, padded),
                         MutableByteView(p + 16, padded));
  return out;
}

}  // namespace openrms::formats::pdf
