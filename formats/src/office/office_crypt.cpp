// ECMA-376 password encryption of OOXML packages: Agile (§2.3.4.10–15) and Standard
// (§2.3.4.5–9). The package is processed in 4 MiB chunks; for Agile the dataIntegrity HMAC runs
// on a second thread, overlapped with the segment cipher.
#include <cstring>
#include <future>
#include <thread>

#include "../cfb/cfb_constants.hpp"
#include "data_spaces.hpp"
#include "legacy_formats.hpp"
#include "office_internal.hpp"
#include "openrms/crypto/segment_cipher.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/cfb/compound_file.hpp"
#include "openrms/formats/office/office_crypto.hpp"

namespace openrms::formats::office {

using namespace detail;
using crypto::SecureBytes;

namespace {

constexpr std::size_t kChunk = 1u << 20;  // multiple of 4096; fits a core's L2
constexpr char kDefaultPassword[] = "VelvetSweatshop";
constexpr std::uint64_t kDefaultPasswordMaxSpins = 1'000'000;

const crypto::Backend& backend_of(const crypto::SegmentOptions& s) {
  return s.backend ? *s.backend : crypto::default_backend();
}

Bytes pad16(ByteView v) {
  Bytes out((v.size() + 15) / 16 * 16, 0);
  if (!v.empty()) std::memcpy(out.data(), v.data(), v.size());
  return out;
}

SecureBytes cbc(const crypto::Backend& b, ByteView key, ByteView iv, ByteView in, bool enc) {
  SecureBytes out(in.size());
  auto aes = b.aes(key);
  if (enc)
    aes->cbc_encrypt(iv, in, out);
  else
    aes->cbc_decrypt(iv, in, out);
  return out;
}

/// IV for a keyData block key (§2.3.4.12).
Bytes keydata_iv(const crypto::Backend& b, const AgileParams& kd, ByteView block_key) {
  auto h = b.hash(kd.hash);
  h->update(kd.salt);
  h->update(block_key);
  return fix_size(h->finish(), kd.block_size);
}

struct Opened {
  std::unique_ptr<cfb::Reader> cfb;
  Bytes info;  // EncryptionInfo stream
  const cfb::Entry* package = nullptr;
  std::uint16_t vmajor = 0, vminor = 0;
  bool legacy = false;  // a .doc/.xls/.ppt (only when the caller accepts one): cfb alone is set
};

// The compound file of an encrypted OOXML document, or (with `accept_legacy`) of a legacy
// binary one; bad_format / unsupported for anything else.
Opened open_encrypted(const ByteSource& src, bool accept_legacy = false) {
  Bytes head(8, 0);
  if (src.size() >= 8) src.read_at(0, head);
  if (!cfb::Reader::has_signature(head)) {
    if (src.size() >= 4 && head[0] == 'P' && head[1] == 'K')
      fail(Errc::bad_format, "this is a plain (unencrypted) OOXML package, not an encrypted one");
    fail(Errc::bad_format, "not an encrypted Office document (no compound-file signature)");
  }
  Opened o;
  o.cfb = std::make_unique<cfb::Reader>(src);
  const cfb::Entry* info = o.cfb->find("EncryptionInfo");
  o.package = o.cfb->find("EncryptedPackage");
  if (info == nullptr || o.package == nullptr || info->type != cfb::EntryType::stream ||
      o.package->type != cfb::EntryType::stream) {
    if (o.cfb->find("WordDocument") || o.cfb->find("Workbook") || o.cfb->find("Book") ||
        o.cfb->find("PowerPoint Document")) {
      if (accept_legacy && !uses_drm_data_space(*o.cfb)) {
        o.legacy = true;
        return o;
      }
      fail(Errc::unsupported,
           "this is a legacy binary Office file (.doc/.xls/.ppt); only OOXML encryption is "
           "handled here");
    }
    fail(Errc::bad_format, "compound file has no EncryptionInfo/EncryptedPackage streams");
  }
  if (uses_drm_data_space(*o.cfb))
    fail(Errc::unsupported,
         "the document is protected with rights management (IRM), not a password");
  o.info = o.cfb->read_stream(*info, 1 << 20);
  if (o.info.size() < 8) fail(Errc::bad_format, "EncryptionInfo is invalid: stream too short");
  o.vmajor = cfb::detail::le16(o.info.data());
  o.vminor = cfb::detail::le16(o.info.data() + 2);
  return o;
}

std::uint64_t read_package_size(cfb::StreamReader& s) {
  std::uint8_t n[8];
  if (s.size() < 8)
    fail(Errc::bad_format, "EncryptedPackage is shorter than its 8-byte size field");
  s.read_exact(n);
  return cfb::detail::le64(n);
}

// ---- Agile ----------------------------------------------------------------------------------

struct AgileKeys {
  SecureBytes intermediate;
  SecureBytes hmac_key;
  SecureBytes hmac_value;
  bool has_integrity = false;
};

// Two password key encryptors with the same hash, salt and spin count derive the same hash
// from a password: it is computed, and counted against the work limit, once.
bool same_kdf(const AgilePasswordKey& x, const AgilePasswordKey& y) {
  return x.p.hash == y.p.hash && x.spin_count == y.spin_count && x.p.salt == y.p.salt;
}

// Spins one password try costs over all the file's password key encryptors.
std::uint64_t spin_work(const AgileInfo& info) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < info.passwords.size(); ++i) {
    bool repeat = false;
    for (std::size_t j = 0; j < i && !repeat; ++j)
      repeat = same_kdf(info.passwords[j], info.passwords[i]);
    if (!repeat) total += info.passwords[i].spin_count;
  }
  return total;
}

std::optional<AgileKeys> agile_unlock(const crypto::Backend& b, const AgileInfo& info,
                                      ByteView pw16) {
  struct Done {
    const AgilePasswordKey* key;
    SecureBytes hn;
  };
  std::vector<Done> done;
  for (const auto& pk : info.passwords) {
    const auto& p = pk.p;
    const Done* same = nullptr;
    for (const auto& d : done)
      if (same_kdf(*d.key, pk)) same = &d;
    SecureBytes hn = same ? same->hn : spin_hash(b, p.hash, p.salt, pw16, pk.spin_count);
    if (!same) done.push_back({&pk, hn});
    Bytes iv = fix_size(p.salt, p.block_size);
    std::size_t kb = p.key_bits / 8;
    SecureBytes k1 = agile_block_key(b, p.hash, hn, kBlockVerifierInput, kb);
    SecureBytes k2 = agile_block_key(b, p.hash, hn, kBlockVerifierValue, kb);
    SecureBytes input = cbc(b, k1, iv, pk.enc_verifier_input, false);
    SecureBytes value = cbc(b, k2, iv, pk.enc_verifier_value, false);
    input.resize(p.salt_size);
    value.resize(p.hash_size);  // truncate: SHA-1 values are stored padded to 32 bytes
    Bytes expect = b.digest(p.hash, input);
    if (!crypto::ct_equal(expect, value)) continue;
    SecureBytes k3 = agile_block_key(b, p.hash, hn, kBlockKeyValue, kb);
    AgileKeys keys;
    keys.intermediate = cbc(b, k3, iv, pk.enc_key_value, false);
    keys.intermediate.resize(info.key_data.key_bits / 8);
    if (info.integrity) {
      const auto& kd = info.key_data;
      keys.hmac_key =
          cbc(b, keys.intermediate, keydata_iv(b, kd, kBlockHmacKey), info.integrity->first, false);
      keys.hmac_value = cbc(b, keys.intermediate, keydata_iv(b, kd, kBlockHmacValue),
                            info.integrity->second, false);
      keys.hmac_key.resize(kd.hash_size);
      keys.hmac_value.resize(kd.hash_size);
      keys.has_integrity = true;
    }
    return keys;
  }
  return std::nullopt;
}

void agile_decrypt_package(const crypto::Backend& b, const AgileInfo& info, const AgileKeys& keys,
                           const cfb::Reader& r, const cfb::Entry& pkg, ByteSink& out,
                           const DecryptOptions& opt, DecryptResult& result) {
  auto s = r.open(pkg);
  std::uint8_t prefix[8];
  s->read_exact(prefix);
  const std::uint64_t size = cfb::detail::le64(prefix);
  const std::uint64_t ct_needed = (size + 15) / 16 * 16;
  const bool verify = keys.has_integrity && opt.verify_integrity;
  if (ct_needed > s->size() - 8 || size > s->size()) {
    // With an HMAC, a size that does not fit is first checked as tampering: a changed size
    // field or a cut stream is an integrity failure; a consistent HMAC means a broken writer.
    if (verify) {
      auto mac = b.hmac(info.key_data.hash, keys.hmac_key);
      mac->update(prefix);
      Bytes buf(kChunk);
      for (std::uint64_t left = s->size() - 8; left > 0;) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, left));
        s->read_exact(MutableByteView(buf.data(), n));
        mac->update(ByteView(buf.data(), n));
        left -= n;
      }
      if (!crypto::ct_equal(mac->finish(), keys.hmac_value))
        fail(Errc::integrity,
             "the password is correct but the document's integrity check (dataIntegrity HMAC) "
             "failed: the encrypted package was altered or cut short");
    }
    fail(Errc::bad_format, "EncryptedPackage is truncated: it declares " + std::to_string(size) +
                               " bytes but holds " + std::to_string(s->size() - 8));
  }
  crypto::SegmentOptions so = opt.segments;
  so.backend = &b;
  if (verify && so.threads == 0) {
    unsigned hw = std::thread::hardware_concurrency();
    so.threads = hw > 1 ? hw - 1 : 1;  // one core hashes while the others decrypt
  }
  auto cipher =
      crypto::SegmentCipher::agile(keys.intermediate, info.key_data.hash, info.key_data.salt, so);
  std::unique_ptr<crypto::MacCtx> mac;
  if (verify) {
    mac = b.hmac(info.key_data.hash, keys.hmac_key);
    mac->update(prefix);
  }
  Bytes in[2] = {Bytes(kChunk), Bytes(kChunk)};
  SecureBytes plain(kChunk);
  std::future<void> hashing;
  std::uint64_t remaining_ct = s->size() - 8;  // HMAC covers the whole stored stream
  std::uint64_t produced = 0, seg = 0;
  int k = 0;
  while (remaining_ct > 0) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, remaining_ct));
    // in[k] was last hashed two rounds ago; the wait at the end of the previous round covered it.
    s->read_exact(MutableByteView(in[k].data(), n));
    remaining_ct -= n;
    // Decrypt only what carries plaintext; extra stream bytes are hashed but ignored.
    std::uint64_t want = size - produced;
    if (want > 0) {
      std::size_t ct = static_cast<std::size_t>(std::min<std::uint64_t>(n, (want + 15) / 16 * 16));
      std::size_t whole = ct / 4096 * 4096;
      if (whole)
        cipher.decrypt_segments(seg, ByteView(in[k].data(), whole),
                                MutableByteView(plain.data(), whole));
      std::size_t got = whole;
      if (ct > whole)
        got += cipher.decrypt_final(seg + whole / 4096, ByteView(in[k].data() + whole, ct - whole),
                                    MutableByteView(plain.data() + whole, ct - whole));
      seg += whole / 4096;
      std::size_t emit = static_cast<std::size_t>(std::min<std::uint64_t>(got, want));
      out.write(ByteView(plain.data(), emit));
      produced += emit;
      if (opt.progress) opt.progress(produced, size);
    }
    if (mac) {
      if (hashing.valid()) hashing.get();  // HMAC updates stay in order
      ByteView view(in[k].data(), n);
      hashing = std::async(std::launch::async, [&mac, view] { mac->update(view); });
    }
    k ^= 1;
  }
  if (hashing.valid()) hashing.get();
  if (mac) {
    Bytes actual = mac->finish();
    if (!crypto::ct_equal(actual, keys.hmac_value))
      fail(Errc::integrity,
           "the password is correct but the document's integrity check (dataIntegrity HMAC) "
           "failed: the encrypted package was altered or corrupted");
    result.integrity_verified = true;
  }
  result.size = produced;
}

// ---- Standard -------------------------------------------------------------------------------

std::optional<SecureBytes> standard_unlock(const crypto::Backend& b, const StandardInfo& si,
                                           ByteView pw16) {
  SecureBytes key = standard_key(b, si.salt, pw16, si.key_bits);
  auto aes = b.aes(key);
  SecureBytes verifier(16), vhash(32);
  aes->ecb_decrypt(si.enc_verifier, verifier);
  aes->ecb_decrypt(si.enc_verifier_hash, vhash);
  Bytes h = b.digest(crypto::HashAlg::sha1, verifier);
  if (!crypto::ct_equal(h, ByteView(vhash.data(), 20))) return std::nullopt;
  return key;
}

void standard_decrypt_package(const crypto::Backend& b, ByteView key, const cfb::Reader& r,
                              const cfb::Entry& pkg, ByteSink& out, const DecryptOptions& opt,
                              DecryptResult& result) {
  auto s = r.open(pkg);
  std::uint64_t size = read_package_size(*s);
  // (A size near 2^64 would wrap the rounding below: check it against the stream first.)
  if (size > s->size() - 8)
    fail(Errc::bad_format, "EncryptedPackage is truncated: it declares " + std::to_string(size) +
                               " bytes but holds " + std::to_string(s->size() - 8));
  std::uint64_t ct_needed = (size + 15) / 16 * 16;
  if (ct_needed > s->size() - 8)
    fail(Errc::bad_format, "EncryptedPackage is truncated: it declares " + std::to_string(size) +
                               " bytes but holds " + std::to_string(s->size() - 8));
  auto aes = b.aes(key);
  Bytes in(kChunk);
  SecureBytes plain(kChunk);
  std::uint64_t done = 0;
  while (done < size) {
    std::size_t ct = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, ct_needed - done));
    s->read_exact(MutableByteView(in.data(), ct));
    aes->ecb_decrypt(ByteView(in.data(), ct), MutableByteView(plain.data(), ct));
    std::size_t emit = static_cast<std::size_t>(std::min<std::uint64_t>(ct, size - done));
    out.write(ByteView(plain.data(), emit));
    done += emit;
    if (opt.progress) opt.progress(done, size);
  }
  result.size = done;
}

void check_password(ByteView pw16) {
  if (pw16.size() / 2 > kMaxPasswordUnits)
    fail(Errc::invalid_argument, "Office passwords are at most 255 characters");
}

// Office 97–2003: per format (legacy_formats.hpp); the default password as for OOXML.
DecryptResult decrypt_legacy(const cfb::Reader& r, ByteSink& out,
                             std::optional<std::string_view> password, const DecryptOptions& opt) {
  const Detection what = detect_in(r);
  if (what.scheme == Scheme::none)
    fail(Errc::invalid_argument, "this " + what.application + " document is not encrypted");
  const bool rc4 = what.scheme == Scheme::rc4_cryptoapi || what.scheme == Scheme::rc4_binary;
  const bool xor_excel = what.scheme == Scheme::xor_obfuscation && what.application == "Excel";
  if (!rc4 && !xor_excel)
    fail(Errc::unsupported, std::string(what.application.empty() ? "this" : what.application) +
                                " document is encrypted with " +
                                std::string(to_string(what.scheme)) +
                                ", which openrms does not decrypt yet (RC4 and RC4 CryptoAPI "
                                "are, and XOR obfuscation in Excel workbooks)");
  const bool use_default = !password.has_value();
  SecureBytes pw16 = password_utf16le(use_default ? std::string_view(kDefaultPassword) : *password);
  check_password(pw16);
  const crypto::Backend& b = backend_of(opt.segments);
  LegacyDecrypted d = what.application == "Word"    ? decrypt_word(b, r, pw16)
                      : what.application == "Excel" ? decrypt_excel(b, r, pw16)
                                                    : decrypt_powerpoint(b, r, pw16);
  if (!d.unlocked)
    fail(Errc::wrong_password, use_default ? "this document needs a password"
                                           : "the password is not correct for this document");
  CountingSink counted(out);
  write_with_streams(r, d, counted);
  DecryptResult result;
  result.scheme = d.scheme;
  result.used_default_password = use_default;
  result.size = counted.count();
  return result;
}

}  // namespace

std::string_view to_string(Container c) noexcept {
  switch (c) {
    case Container::not_office:
      return "not-office";
    case Container::ooxml:
      return "ooxml";
    case Container::ooxml_encrypted:
      return "ooxml-encrypted";
    case Container::legacy_binary:
      return "legacy-binary";
    case Container::compound_other:
      return "compound-file";
  }
  return "?";
}

std::string_view to_string(Scheme s) noexcept {
  switch (s) {
    case Scheme::none:
      return "none";
    case Scheme::agile:
      return "agile";
    case Scheme::standard:
      return "standard";
    case Scheme::extensible:
      return "extensible";
    case Scheme::irm:
      return "irm";
    case Scheme::rc4_cryptoapi:
      return "rc4-cryptoapi";
    case Scheme::rc4_binary:
      return "rc4-binary";
    case Scheme::xor_obfuscation:
      return "xor-obfuscation";
    case Scheme::unknown:
      return "unknown";
  }
  return "?";
}

EncryptionDescription describe(const ByteSource& src) {
  Opened o = open_encrypted(src);
  EncryptionDescription d;
  d.version_major = o.vmajor;
  d.version_minor = o.vminor;
  d.cfb_version = o.cfb->major_version();
  d.package_stream_size = o.package->size;
  {
    auto s = o.cfb->open(*o.package);
    d.package_size = read_package_size(*s);
  }
  std::uint32_t flags = cfb::detail::le32(o.info.data() + 4);
  d.scheme = scheme_of(o.vmajor, o.vminor, flags);
  if (d.scheme == Scheme::agile) {
    AgileInfo a = parse_agile(ByteView(o.info).subspan(8));
    const auto& kd = a.key_data;
    d.cipher = kd.cipher;
    d.chaining = kd.chaining;
    d.hash = kd.hash_name;
    d.key_bits = kd.key_bits;
    d.block_size = kd.block_size;
    d.hash_size = kd.hash_size;
    d.salt_size = kd.salt_size;
    d.data_integrity = a.integrity.has_value();
    for (const auto& pk : a.passwords) {
      KeyEncryptorInfo k{"password",     pk.p.cipher,    pk.p.chaining,
                         pk.p.hash_name, pk.p.key_bits,  pk.p.block_size,
                         pk.p.hash_size, pk.p.salt_size, pk.spin_count};
      d.key_encryptors.push_back(k);
    }
    for (unsigned i = 0; i < a.certificate_encryptors; ++i)
      d.key_encryptors.push_back(KeyEncryptorInfo{"certificate", "", "", "", 0, 0, 0, 0, 0});
  } else if (d.scheme == Scheme::standard) {
    StandardInfo si = parse_standard(o.info);
    d.cipher = "AES";
    d.chaining = "ECB";
    d.hash = "SHA1";
    d.key_bits = si.key_bits;
    d.block_size = 16;
    d.hash_size = 20;
    d.salt_size = static_cast<unsigned>(si.salt.size());
    d.csp_name = cfb::utf16_to_utf8(si.csp_name);
    d.key_encryptors.push_back(KeyEncryptorInfo{"password", "AES", "ECB", "SHA1", si.key_bits, 16,
                                                20, 16, kStandardSpinCount});
  } else if (d.scheme == Scheme::extensible) {
    fail(Errc::unsupported, "extensible encryption (EncryptionInfo " + std::to_string(o.vmajor) +
                                "." + std::to_string(o.vminor) + ") is not supported");
  } else {
    fail(Errc::unsupported, "EncryptionInfo version " + std::to_string(o.vmajor) + "." +
                                std::to_string(o.vminor) + " is not a known encryption scheme");
  }
  return d;
}

DecryptResult decrypt(const ByteSource& src, ByteSink& out,
                      std::optional<std::string_view> password, const DecryptOptions& opt) {
  Opened o = open_encrypted(src, /*accept_legacy=*/true);
  if (o.legacy) return decrypt_legacy(*o.cfb, out, password, opt);
  const crypto::Backend& b = backend_of(opt.segments);
  std::uint32_t flags = cfb::detail::le32(o.info.data() + 4);
  DecryptResult result;
  result.scheme = scheme_of(o.vmajor, o.vminor, flags);
  const bool use_default = !password.has_value();
  SecureBytes pw16 = password_utf16le(use_default ? std::string_view(kDefaultPassword) : *password);
  check_password(pw16);
  auto wrong = [&]() -> void {
    if (use_default)
      fail(Errc::wrong_password,
           "this document needs a password (the Excel default "
           "'VelvetSweatshop' does not open it)");
    fail(Errc::wrong_password, "the password is not correct for this document");
  };
  if (result.scheme == Scheme::agile) {
    AgileInfo a = parse_agile(ByteView(o.info).subspan(8));
    if (a.passwords.empty())
      fail(Errc::unsupported,
           "the document is encrypted to a certificate only; no password can open it");
    // The work of one password try is bounded for the whole file, not per encryptor: 64
    // encryptors of 10,000,000 spins each would cost minutes per try.
    const std::uint64_t total = spin_work(a);
    if (total > opt.max_spin_count)
      fail(Errc::unsupported, "the document asks for " + std::to_string(total) +
                                  " password hash iterations per password tried, over the "
                                  "configured limit of " +
                                  std::to_string(opt.max_spin_count));
    // Excel's default password comes with Excel's default cost (100,000 spins); a file that
    // asks for far more is not worth a speculative try.
    if (use_default && total > kDefaultPasswordMaxSpins) wrong();
    auto keys = agile_unlock(b, a, pw16);
    if (!keys) wrong();
    agile_decrypt_package(b, a, *keys, *o.cfb, *o.package, out, opt, result);
  } else if (result.scheme == Scheme::standard) {
    StandardInfo si = parse_standard(o.info);
    auto key = standard_unlock(b, si, pw16);
    if (!key) wrong();
    standard_decrypt_package(b, *key, *o.cfb, *o.package, out, opt, result);
  } else {
    describe(src);  // throws the precise unsupported error
    fail(Errc::unsupported, "unsupported encryption scheme");
  }
  result.used_default_password = use_default;
  return result;
}

// ---- encryption -------------------------------------------------------------------------------

namespace {

struct Prepared {
  Bytes info;                        // EncryptionInfo stream
  std::uint64_t package_stream = 0;  // EncryptedPackage stream size
  cfb::Writer::Producer package;
  std::function<Bytes()> final_info;  // called after the package was produced
};

void add_common_streams(cfb::Writer& w) {
  w.add_stream(
      "\x06"
      "DataSpaces/Version",
      data_space_version());
  w.add_stream(
      "\x06"
      "DataSpaces/DataSpaceMap",
      data_space_map(u"StrongEncryptionDataSpace"));
  w.add_stream(
      "\x06"
      "DataSpaces/DataSpaceInfo/StrongEncryptionDataSpace",
      data_space_definition(u"StrongEncryptionTransform"));
  w.add_stream(
      "\x06"
      "DataSpaces/TransformInfo/StrongEncryptionTransform/\x06"
      "Primary",
      strong_encryption_primary());
}

void write_le64(ByteSink& s, std::uint64_t v, std::uint8_t (&buf)[8]) {
  cfb::detail::put64(buf, v);
  s.write(buf);
}

}  // namespace

void encrypt(const ByteSource& src, ByteSink& out, std::string_view password,
             const EncryptOptions& opt) {
  SecureBytes pw16 = password_utf16le(password);
  if (pw16.empty()) fail(Errc::invalid_argument, "an empty password cannot protect a document");
  check_password(pw16);
  {
    std::uint8_t head[8] = {};
    src.read_at(0, MutableByteView(head, std::min<std::uint64_t>(8, src.size())));
    if (cfb::Reader::has_signature(ByteView(head, 8)))
      fail(Errc::bad_format,
           "the input is a compound file (already encrypted, or a legacy binary "
           "document); only OOXML packages can be encrypted");
    if (opt.require_ooxml &&
        !(src.size() >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5)))
      fail(Errc::bad_format,
           "the input is not an OOXML package (ZIP); set require_ooxml = false "
           "to encrypt arbitrary bytes");
  }
  const crypto::Backend& b = backend_of(opt.segments);
  const std::uint64_t size = src.size();
  unsigned key_bits = opt.key_bits ? opt.key_bits : (opt.method == Method::agile ? 256 : 128);
  if (key_bits != 128 && key_bits != 192 && key_bits != 256)
    fail(Errc::invalid_argument, "AES key size must be 128, 192 or 256 bits");
  std::uint16_t cfbv = opt.cfb_version ? opt.cfb_version : (size >= (256ull << 20) ? 4 : 3);
  cfb::Writer w(cfb::WriterOptions{cfbv});
  const std::uint64_t pkg_stream = 8 + (size + 15) / 16 * 16;
  auto report = [&](std::uint64_t done) {
    if (opt.progress) opt.progress(done, size);
  };

  if (opt.method == Method::standard) {
    StandardInfo si;
    si.alg_id = key_bits == 128 ? 0x660E : key_bits == 192 ? 0x660F : 0x6610;
    si.key_bits = key_bits;
    si.salt = b.random_bytes(16);
    SecureBytes key = standard_key(b, si.salt, pw16, key_bits);
    auto aes = b.aes(key);
    SecureBytes verifier(16);
    b.random(verifier);
    si.enc_verifier.resize(16);
    aes->ecb_encrypt(verifier, si.enc_verifier);
    Bytes vh = pad16(b.digest(crypto::HashAlg::sha1, verifier));
    si.enc_verifier_hash.resize(32);
    aes->ecb_encrypt(vh, si.enc_verifier_hash);
    std::shared_ptr<crypto::Aes> shared_aes(std::move(aes));
    w.add_stream("EncryptedPackage", pkg_stream, [&, shared_aes](ByteSink& s) {
      std::uint8_t n[8];
      write_le64(s, size, n);
      Bytes in(kChunk);
      Bytes ct(kChunk);
      for (std::uint64_t off = 0; off < size;) {
        std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - off));
        src.read_at(off, MutableByteView(in.data(), len));
        std::size_t padded = (len + 15) / 16 * 16;
        std::memset(in.data() + len, 0, padded - len);
        shared_aes->ecb_encrypt(ByteView(in.data(), padded), MutableByteView(ct.data(), padded));
        s.write(ByteView(ct.data(), padded));
        off += len;
        report(off);
      }
      crypto::secure_wipe(in.data(), in.size());
    });
    w.add_stream("EncryptionInfo", write_standard(si));
    add_common_streams(w);
    w.write(out);
    return;
  }

  // Agile.
  if (opt.salt_size < 16 || opt.salt_size > 64)
    fail(Errc::invalid_argument, "salt size must be 16..64 bytes");
  if (opt.spin_count > kMaxSpinCount)
    fail(Errc::invalid_argument, "spin count must be at most 10,000,000");
  for (const crypto::HashAlg h : {opt.hash, opt.password_hash.value_or(opt.hash)})
    if (h == crypto::HashAlg::md5 || h == crypto::HashAlg::sha224)
      fail(Errc::invalid_argument,
           "Agile encryption hashes with SHA-1, SHA-256, SHA-384 or SHA-512");
  AgileInfo info;
  AgileParams& kd = info.key_data;
  kd.hash = opt.hash;
  kd.hash_name = std::string(hash_name(opt.hash));
  kd.hash_size = static_cast<unsigned>(crypto::digest_size(opt.hash));
  kd.key_bits = key_bits;
  kd.salt_size = static_cast<unsigned>(opt.salt_size);
  kd.salt = b.random_bytes(opt.salt_size);
  AgilePasswordKey pk;
  pk.p = kd;
  pk.p.salt = b.random_bytes(opt.salt_size);
  pk.spin_count = opt.spin_count;
  if (opt.password_hash) {
    pk.p.hash = *opt.password_hash;
    pk.p.hash_name = std::string(hash_name(pk.p.hash));
    pk.p.hash_size = static_cast<unsigned>(crypto::digest_size(pk.p.hash));
  }
  if (opt.password_key_bits) {
    if (opt.password_key_bits != 128 && opt.password_key_bits != 192 &&
        opt.password_key_bits != 256)
      fail(Errc::invalid_argument, "password key size must be 128, 192 or 256 bits");
    pk.p.key_bits = opt.password_key_bits;
  }
  const std::size_t kb = key_bits / 8;        // the package (intermediate) key
  const std::size_t pkb = pk.p.key_bits / 8;  // the password-derived keys
  auto keys = std::make_shared<AgileKeys>();
  keys->intermediate.resize(kb);
  b.random(keys->intermediate);
  keys->hmac_key.resize(kd.hash_size);
  b.random(keys->hmac_key);
  {
    const HashAlg ph = pk.p.hash;
    SecureBytes hn = spin_hash(b, ph, pk.p.salt, pw16, pk.spin_count);
    Bytes iv = fix_size(pk.p.salt, 16);
    SecureBytes verifier(opt.salt_size);
    b.random(verifier);
    SecureBytes k1 = agile_block_key(b, ph, hn, kBlockVerifierInput, pkb);
    SecureBytes k2 = agile_block_key(b, ph, hn, kBlockVerifierValue, pkb);
    SecureBytes k3 = agile_block_key(b, ph, hn, kBlockKeyValue, pkb);
    auto e1 = cbc(b, k1, iv, pad16(verifier), true);
    auto e2 = cbc(b, k2, iv, pad16(b.digest(ph, verifier)), true);
    SecureBytes ik = keys->intermediate;
    ik.resize((kb + 15) / 16 * 16, 0);
    auto e3 = cbc(b, k3, iv, ik, true);
    pk.enc_verifier_input.assign(e1.begin(), e1.end());
    pk.enc_verifier_value.assign(e2.begin(), e2.end());
    pk.enc_key_value.assign(e3.begin(), e3.end());
  }
  info.passwords.push_back(pk);
  SecureBytes hk_padded = keys->hmac_key;
  hk_padded.resize((hk_padded.size() + 15) / 16 * 16, 0);
  auto ehk = cbc(b, keys->intermediate, keydata_iv(b, kd, kBlockHmacKey), hk_padded, true);
  // The HMAC value is known only after the package is written; its encrypted form has a fixed
  // length, so the EncryptionInfo size is known now.
  info.integrity.emplace(Bytes(ehk.begin(), ehk.end()), Bytes((kd.hash_size + 15) / 16 * 16, 0));
  const std::size_t info_size = 8 + write_agile(info).size();

  crypto::SegmentOptions so = opt.segments;
  so.backend = &b;
  if (so.threads == 0) {
    unsigned hw = std::thread::hardware_concurrency();
    so.threads = hw > 1 ? hw - 1 : 1;
  }
  auto cipher = std::make_shared<crypto::SegmentCipher>(
      crypto::SegmentCipher::agile(keys->intermediate, kd.hash, kd.salt, so));
  auto mac = std::shared_ptr<crypto::MacCtx>(b.hmac(kd.hash, keys->hmac_key));

  w.add_stream("EncryptedPackage", pkg_stream, [&, cipher, mac](ByteSink& s) {
    std::uint8_t n[8];
    write_le64(s, size, n);
    mac->update(n);
    Bytes in(kChunk);
    Bytes ct[2] = {Bytes(kChunk), Bytes(kChunk)};
    std::future<void> hashing;
    std::uint64_t seg = 0;
    int k = 0;
    for (std::uint64_t off = 0; off < size;) {
      std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - off));
      src.read_at(off, MutableByteView(in.data(), len));
      std::size_t whole = len / 4096 * 4096;
      if (whole)
        cipher->encrypt_segments(seg, ByteView(in.data(), whole),
                                 MutableByteView(ct[k].data(), whole));
      std::size_t produced = whole;
      if (len > whole)
        produced +=
            cipher->encrypt_final(seg + whole / 4096, ByteView(in.data() + whole, len - whole),
                                  MutableByteView(ct[k].data() + whole, kChunk - whole));
      seg += whole / 4096;
      ByteView view(ct[k].data(), produced);
      if (hashing.valid()) hashing.get();  // the previous chunk (ct[k ^ 1]); keeps HMAC order
      hashing = std::async(std::launch::async, [mac, view] { mac->update(view); });
      s.write(view);
      off += len;
      report(off);
      k ^= 1;
    }
    if (hashing.valid()) hashing.get();
    crypto::secure_wipe(in.data(), in.size());
  });
  w.add_stream("EncryptionInfo", info_size, [&, keys, mac](ByteSink& s) {
    Bytes value = mac->finish();
    auto ehv = cbc(b, keys->intermediate, keydata_iv(b, kd, kBlockHmacValue), pad16(value), true);
    info.integrity->second.assign(ehv.begin(), ehv.end());
    std::string xml = write_agile(info);
    Bytes head = {4, 0, 4, 0, 0x40, 0, 0, 0};
    s.write(head);
    s.write(ByteView(reinterpret_cast<const std::uint8_t*>(xml.data()), xml.size()));
  });
  add_common_streams(w);
  if (pkg_stream < 4096 && info_size >= 4096)
    fail(Errc::internal, "EncryptionInfo unexpectedly large");
  w.write(out);
}

void encrypt_file(const std::filesystem::path& in, const std::filesystem::path& out,
                  std::string_view password, const EncryptOptions& opt) {
  FileSource src(in);
  AtomicFileSink sink(out, opt.durable);
  encrypt(src, sink, password, opt);
  sink.commit();
}

DecryptResult decrypt_file(const std::filesystem::path& in, const std::filesystem::path& out,
                           std::optional<std::string_view> password, const DecryptOptions& opt) {
  FileSource src(in);
  AtomicFileSink sink(out, opt.durable);
  DecryptResult r = decrypt(src, sink, password, opt);
  sink.commit();
  return r;
}

}  // namespace openrms::formats::office
