#include "key_wrap.hpp"

#include "openrms/error.hpp"

namespace openrms::licensing::detail {

KeyWrap::KeyWrap(crypto::SecureBytes kek) : kek_(std::move(kek)) {
  if (kek_.size() != 32)
    fail(Errc::invalid_argument, "store: the key-encryption key must be 32 bytes");
}

crypto::Bytes KeyWrap::wrap(crypto::ByteView secret, const std::string& aad) const {
  auto nonce = be_.random_bytes(12);
  auto box = be_.gcm_seal(kek_, nonce, crypto::as_bytes(aad), secret);
  crypto::Bytes out(nonce);
  out.insert(out.end(), box.begin(), box.end());
  return out;
}

std::string KeyWrap::check_value() const {
  return crypto::to_hex(
      be_.mac(crypto::HashAlg::sha256, kek_, crypto::as_bytes("openrms-kek-check-v1")));
}

crypto::SecureBytes KeyWrap::unwrap(crypto::ByteView blob, const std::string& aad) const {
  if (blob.size() < 12 + 16) fail(Errc::bad_format, "store: a stored key is truncated");
  try {
    return be_.gcm_open(kek_, blob.first(12), crypto::as_bytes(aad), blob.subspan(12));
  } catch (const Error& e) {
    if (e.code() != Errc::integrity) throw;
    if (kek_matches.value_or(false))
      fail(Errc::integrity,
           "store: a server key is damaged (the key-encryption key is right, but the key does "
           "not decrypt): restore the store from a backup");
    fail(Errc::wrong_password,
         "store: the key-encryption key does not open this store's server keys (a wrong key "
         "file, or damaged key rows)");
  }
}

std::pair<crypto::Bytes, crypto::Bytes> KeyWrap::wrap_generation(const ServerGeneration& g) const {
  if (g.in_custody()) return {};
  return {wrap(g.signing_key_pkcs8, aad("sign", g.generation)),
          wrap(g.sealing_key_pkcs8, aad("seal", g.generation))};
}

void KeyWrap::unwrap_generation(ServerGeneration& g, crypto::ByteView signing,
                                crypto::ByteView sealing) const {
  if (g.in_custody()) return;
  g.signing_key_pkcs8 = unwrap(signing, aad("sign", g.generation));
  g.sealing_key_pkcs8 = unwrap(sealing, aad("seal", g.generation));
}

}  // namespace openrms::licensing::detail
