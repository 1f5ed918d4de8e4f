#include "openrms/crypto/ecies.hpp"

#include "key_handle.hpp"
#include "openrms/error.hpp"

namespace openrms::crypto {
namespace {

constexpr std::uint8_t kVersion = 0x01;
constexpr std::string_view kInfo = "openrms-ecies-v1";

void derive(const Backend& be, ByteView z, ByteView eph_spki, ByteView rcpt_spki,
            MutableByteView okm) {
  Bytes info(kInfo.begin(), kInfo.end());
  info.insert(info.end(), eph_spki.begin(), eph_spki.end());
  info.insert(info.end(), rcpt_spki.begin(), rcpt_spki.end());
  be.hkdf(HashAlg::sha256, z, {}, info, okm);
}

bool is_ec(KeyType t) {
  return t == KeyType::ec_p256 || t == KeyType::ec_p384;
}

}  // namespace

Bytes seal_to(const Backend& be, const PublicKey& recipient, ByteView secret, ByteView aad) {
  if (recipient.type() == KeyType::rsa) {
    RsaEncParams p;
    p.label.assign(aad.begin(), aad.end());
    return be.rsa_encrypt(recipient, p, secret);
  }
  if (!is_ec(recipient.type()))
    fail(Errc::invalid_argument, "keys can be sealed to RSA or EC keys only");
  PrivateKey eph = be.generate_key(recipient.type());
  Bytes eph_spki = eph.handle().spki_der();  // not public_key(): that re-imports the point
  SecureBytes z = be.ecdh(eph, recipient);
  SecureBytes okm(44);
  derive(be, z, eph_spki, recipient.spki_der(), okm);
  Bytes box = be.gcm_seal(ByteView(okm).first(32), ByteView(okm).subspan(32, 12), aad, secret);
  Bytes out;
  out.reserve(3 + eph_spki.size() + box.size());
  out.push_back(kVersion);
  out.push_back(static_cast<std::uint8_t>(eph_spki.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(eph_spki.size()));
  out.insert(out.end(), eph_spki.begin(), eph_spki.end());
  out.insert(out.end(), box.begin(), box.end());
  return out;
}

SecureBytes open_sealed(const Backend& be, const PrivateKey& recipient, ByteView sealed,
                        ByteView aad) {
  if (recipient.type() == KeyType::rsa) {
    RsaEncParams p;
    p.label.assign(aad.begin(), aad.end());
    try {
      return be.rsa_decrypt(recipient, p, sealed);
    } catch (const Error& e) {
      if (e.code() == Errc::integrity)
        fail(Errc::integrity, "sealed key does not open with this key");
      throw;
    }
  }
  if (!is_ec(recipient.type()))
    fail(Errc::invalid_argument, "keys can be sealed to RSA or EC keys only");
  if (sealed.size() < 3 || sealed[0] != kVersion)
    fail(Errc::bad_format, "sealed key has an unknown format");
  std::size_t n = (std::size_t(sealed[1]) << 8) | sealed[2];
  if (sealed.size() < 3 + n + 16) fail(Errc::bad_format, "sealed key is truncated");
  ByteView eph_spki = sealed.subspan(3, n);
  PublicKey eph;
  try {
    eph = be.load_public_key(eph_spki);
  } catch (const Error&) {
    fail(Errc::bad_format, "sealed key has an invalid ephemeral key");
  }
  if (eph.type() != recipient.type()) fail(Errc::bad_format, "sealed key uses another curve");
  SecureBytes z = be.ecdh(recipient, eph);
  SecureBytes okm(44);
  derive(be, z, eph_spki, recipient.public_key().spki_der(), okm);
  try {
    return be.gcm_open(ByteView(okm).first(32), ByteView(okm).subspan(32, 12), aad,
                       sealed.subspan(3 + n));
  } catch (const Error&) {
    fail(Errc::integrity, "sealed key does not open with this key");
  }
}

}  // namespace openrms::crypto
