// EncryptionInfo parsing and writing: Agile XML (§2.3.4.10) and Standard binary (§2.3.4.5).
#include <pugixml.hpp>

#include <charconv>
#include <cstring>

#include "../cfb/cfb_constants.hpp"
#include "office_internal.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/cfb/compound_file.hpp"

namespace openrms::formats::office::detail {

using cfb::detail::le16;
using cfb::detail::le32;
using cfb::detail::put16;
using cfb::detail::put32;

namespace {

[[noreturn]] void bad(const std::string& what) {
  fail(Errc::bad_format, "EncryptionInfo is invalid: " + what);
}

std::string_view local_name(const char* n) {
  std::string_view s(n);
  auto c = s.find(':');
  return c == std::string_view::npos ? s : s.substr(c + 1);
}

pugi::xml_node child(pugi::xml_node parent, std::string_view name) {
  for (auto c : parent.children())
    if (c.type() == pugi::node_element && local_name(c.name()) == name) return c;
  return {};
}

const char* attr(pugi::xml_node n, std::string_view name, bool required = true) {
  for (auto a : n.attributes())
    if (local_name(a.name()) == name) return a.value();
  if (required)
    bad(std::string(local_name(n.name())) + " has no " + std::string(name) + " attribute");
  return nullptr;
}

std::uint32_t number(pugi::xml_node n, std::string_view name, std::uint32_t lo, std::uint32_t hi) {
  std::string_view v = attr(n, name);
  std::uint32_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < lo || out > hi)
    bad(std::string(name) + "=\"" + std::string(v.substr(0, 20)) + "\" is out of range");
  return out;
}

Bytes b64(pugi::xml_node n, std::string_view name) {
  try {
    return crypto::from_base64(attr(n, name));
  } catch (const Error&) {
    bad(std::string(name) + " is not valid base64");
  }
}

AgileParams parse_params(pugi::xml_node n) {
  AgileParams p;
  p.salt_size = number(n, "saltSize", 1, 65536);
  p.block_size = number(n, "blockSize", 2, 4096);
  p.key_bits = number(n, "keyBits", 8, 1u << 20);
  p.hash_size = number(n, "hashSize", 1, 65536);
  p.cipher = attr(n, "cipherAlgorithm");
  p.chaining = attr(n, "cipherChaining");
  p.hash_name = attr(n, "hashAlgorithm");
  p.salt = b64(n, "saltValue");
  if (p.cipher != "AES")
    fail(Errc::unsupported, "cipher '" + p.cipher.substr(0, 16) + "' is not supported (only AES)");
  if (p.chaining != "ChainingModeCBC")
    fail(Errc::unsupported, "cipher chaining '" + p.chaining.substr(0, 24) +
                                "' is not supported (only ChainingModeCBC)");
  p.hash = hash_from_name(p.hash_name);
  if (p.key_bits != 128 && p.key_bits != 192 && p.key_bits != 256)
    bad("keyBits " + std::to_string(p.key_bits) + " is not an AES key size");
  if (p.block_size != 16) bad("blockSize must be 16 for AES");
  if (p.hash_size != crypto::digest_size(p.hash))
    bad("hashSize " + std::to_string(p.hash_size) + " does not match " + p.hash_name);
  if (p.salt.size() != p.salt_size) bad("saltValue length does not match saltSize");
  return p;
}

void check_cipher_blob(const Bytes& b, const char* what, std::size_t min) {
  if (b.empty() || b.size() % 16 != 0 || b.size() < min)
    bad(std::string(what) + " has a bad length");
}

}  // namespace

AgileInfo parse_agile(ByteView xml) {
  if (xml.size() > (1u << 20)) bad("descriptor is larger than 1 MiB");
  pugi::xml_document doc;
  auto res = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!res) bad(std::string("XML does not parse: ") + res.description());
  pugi::xml_node enc = doc.document_element();
  if (local_name(enc.name()) != "encryption") bad("root element is not <encryption>");
  AgileInfo info;
  pugi::xml_node kd = child(enc, "keyData");
  if (!kd) bad("no keyData element");
  info.key_data = parse_params(kd);
  if (pugi::xml_node di = child(enc, "dataIntegrity")) {
    Bytes k = b64(di, "encryptedHmacKey"), v = b64(di, "encryptedHmacValue");
    check_cipher_blob(k, "encryptedHmacKey", info.key_data.hash_size);
    check_cipher_blob(v, "encryptedHmacValue", info.key_data.hash_size);
    info.integrity.emplace(std::move(k), std::move(v));
  }
  pugi::xml_node kes = child(enc, "keyEncryptors");
  if (!kes) bad("no keyEncryptors element");
  for (auto ke : kes.children()) {
    if (ke.type() != pugi::node_element || local_name(ke.name()) != "keyEncryptor") continue;
    std::string_view uri = attr(ke, "uri");
    pugi::xml_node ek = child(ke, "encryptedKey");
    if (!ek) bad("keyEncryptor without encryptedKey");
    if (uri == "http://schemas.microsoft.com/office/2006/keyEncryptor/password") {
      AgilePasswordKey pk;
      pk.p = parse_params(ek);
      pk.spin_count = number(ek, "spinCount", 0, kMaxSpinCount);
      pk.enc_verifier_input = b64(ek, "encryptedVerifierHashInput");
      pk.enc_verifier_value = b64(ek, "encryptedVerifierHashValue");
      pk.enc_key_value = b64(ek, "encryptedKeyValue");
      check_cipher_blob(pk.enc_verifier_input, "encryptedVerifierHashInput", pk.p.salt_size);
      check_cipher_blob(pk.enc_verifier_value, "encryptedVerifierHashValue", pk.p.hash_size);
      check_cipher_blob(pk.enc_key_value, "encryptedKeyValue", info.key_data.key_bits / 8);
      info.passwords.push_back(std::move(pk));
      if (info.passwords.size() > 64) bad("more than 64 password key encryptors");
    } else if (uri == "http://schemas.microsoft.com/office/2006/keyEncryptor/certificate") {
      ++info.certificate_encryptors;
    } else {
      fail(Errc::unsupported,
           "key encryptor '" + std::string(uri.substr(0, 80)) + "' is not supported");
    }
  }
  if (info.passwords.empty() && info.certificate_encryptors == 0) bad("no key encryptors");
  return info;
}

namespace {
void params_attrs(std::string& s, const AgileParams& p) {
  s += " saltSize=\"" + std::to_string(p.salt_size) + "\" blockSize=\"" +
       std::to_string(p.block_size) + "\" keyBits=\"" + std::to_string(p.key_bits) +
       "\" hashSize=\"" + std::to_string(p.hash_size) + "\" cipherAlgorithm=\"" + p.cipher +
       "\" cipherChaining=\"" + p.chaining + "\" hashAlgorithm=\"" + p.hash_name +
       "\" saltValue=\"" + crypto::to_base64(p.salt) + "\"";
}
}  // namespace

std::string write_agile(const AgileInfo& info) {
  std::string s =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
      "<encryption xmlns=\"http://schemas.microsoft.com/office/2006/encryption\" "
      "xmlns:p=\"http://schemas.microsoft.com/office/2006/keyEncryptor/password\" "
      "xmlns:c=\"http://schemas.microsoft.com/office/2006/keyEncryptor/certificate\"><keyData";
  params_attrs(s, info.key_data);
  s += "/>";
  if (info.integrity) {
    s += "<dataIntegrity encryptedHmacKey=\"" + crypto::to_base64(info.integrity->first) +
         "\" encryptedHmacValue=\"" + crypto::to_base64(info.integrity->second) + "\"/>";
  }
  s += "<keyEncryptors>";
  for (const auto& pk : info.passwords) {
    s += "<keyEncryptor uri=\"http://schemas.microsoft.com/office/2006/keyEncryptor/password\">"
         "<p:encryptedKey spinCount=\"" +
         std::to_string(pk.spin_count) + "\"";
    params_attrs(s, pk.p);
    s += " encryptedVerifierHashInput=\"" + crypto::to_base64(pk.enc_verifier_input) +
         "\" encryptedVerifierHashValue=\"" + crypto::to_base64(pk.enc_verifier_value) +
         "\" encryptedKeyValue=\"" + crypto::to_base64(pk.enc_key_value) + "\"/></keyEncryptor>";
  }
  s += "</keyEncryptors></encryption>";
  return s;
}

StandardInfo parse_standard(ByteView d) {
  StandardInfo s;
  if (d.size() < 12) bad("stream too short");
  s.version_major = le16(d.data());
  s.version_minor = le16(d.data() + 2);
  s.flags = le32(d.data() + 4);
  std::uint32_t header_size = le32(d.data() + 8);
  if (header_size < 32 || header_size > d.size() - 12) bad("EncryptionHeader size is out of range");
  const std::uint8_t* h = d.data() + 12;
  std::uint32_t hflags = le32(h);
  if ((hflags & 0x10) || (s.flags & 0x10))
    fail(Errc::unsupported, "extensible encryption (fExternal) is not supported");
  if (!(hflags & 0x04)) bad("fCryptoAPI is not set");
  s.alg_id = le32(h + 8);
  s.alg_id_hash = le32(h + 12);
  s.key_bits = le32(h + 16);
  s.provider_type = le32(h + 20);
  s.csp_name.clear();
  for (std::uint32_t i = 32; i + 1 < header_size; i += 2) {
    char16_t c = static_cast<char16_t>(le16(h + i));
    if (c == 0) break;
    s.csp_name.push_back(c);
  }
  if (!(hflags & 0x20)) {
    if (s.alg_id == 0x6801 || s.alg_id == 0)
      fail(Errc::unsupported, "Standard encryption with RC4 is not valid for OOXML packages");
  }
  if (s.alg_id == 0) s.alg_id = 0x660E;
  unsigned want_bits = s.alg_id == 0x660E   ? 128
                       : s.alg_id == 0x660F ? 192
                       : s.alg_id == 0x6610 ? 256
                                            : 0;
  if (want_bits == 0)
    fail(Errc::unsupported, "cipher AlgID 0x" +
                                crypto::to_hex(Bytes{static_cast<std::uint8_t>(s.alg_id >> 8),
                                                     static_cast<std::uint8_t>(s.alg_id)}) +
                                " is not AES");
  if (s.key_bits != want_bits) bad("KeySize does not match the AES AlgID");
  if (s.alg_id_hash != 0x8004 && s.alg_id_hash != 0)
    fail(Errc::unsupported, "hash AlgIDHash is not SHA-1");
  const std::uint8_t* v = h + header_size;
  std::size_t vlen = d.size() - 12 - header_size;
  if (vlen < 4 + 16 + 16 + 4 + 32) bad("EncryptionVerifier is truncated");
  if (le32(v) != 16) bad("SaltSize is not 16");
  s.salt.assign(v + 4, v + 20);
  s.enc_verifier.assign(v + 20, v + 36);
  s.verifier_hash_size = le32(v + 36);
  if (s.verifier_hash_size != 20) bad("VerifierHashSize is not 20");
  s.enc_verifier_hash.assign(v + 40, v + 72);
  return s;
}

Bytes write_standard(const StandardInfo& s) {
  const std::size_t header = 32 + (s.csp_name.size() + 1) * 2;
  Bytes out(12 + header + 4 + 16 + 16 + 4 + s.enc_verifier_hash.size(), 0);
  std::uint8_t* p = out.data();
  put16(p, s.version_major);
  put16(p + 2, s.version_minor);
  put32(p + 4, s.flags);
  put32(p + 8, static_cast<std::uint32_t>(header));
  std::uint8_t* h = p + 12;
  put32(h, s.flags);
  put32(h + 8, s.alg_id);
  put32(h + 12, s.alg_id_hash);
  put32(h + 16, s.key_bits);
  put32(h + 20, s.provider_type);
  for (std::size_t i = 0; i < s.csp_name.size(); ++i) put16(h + 32 + 2 * i, s.csp_name[i]);
  std::uint8_t* v = h + header;
  put32(v, 16);
  std::memcpy(v + 4, s.salt.data(), 16);
  std::memcpy(v + 20, s.enc_verifier.data(), 16);
  put32(v + 36, s.verifier_hash_size);
  std::memcpy(v + 40, s.enc_verifier_hash.data(), s.enc_verifier_hash.size());
  return out;
}

}  // namespace openrms::formats::office::detail
