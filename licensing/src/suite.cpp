#include "openrms/licensing/suite.hpp"

#include "openrms/error.hpp"

namespace openrms::licensing {

std::string_view to_string(Suite s) noexcept {
  return s == Suite::ecdsa_p256 ? "ecdsa-p256" : "rsa-3072";
}

std::optional<Suite> parse_suite(std::string_view s) noexcept {
  if (s == "ecdsa-p256") return Suite::ecdsa_p256;
  if (s == "rsa-3072") return Suite::rsa_3072;
  return std::nullopt;
}

std::string_view signature_alg(Suite s) noexcept {
  return s == Suite::ecdsa_p256 ? "ecdsa-p256-sha256" : "rsa-pss-sha256";
}

namespace {
crypto::SigParams params(Suite s) {
  crypto::SigParams p;
  p.hash = crypto::HashAlg::sha256;
  if (s == Suite::ecdsa_p256) {
    p.scheme = crypto::SigScheme::ecdsa_der;
  } else {
    p.scheme = crypto::SigScheme::rsa_pss;
    p.pss_salt_len = 32;
  }
  return p;
}
bool fits(Suite s, crypto::KeyType t, std::size_t bits) {
  return s == Suite::ecdsa_p256 ? t == crypto::KeyType::ec_p256
                                : (t == crypto::KeyType::rsa && bits >= 3072 && bits <= 4096);
}
}  // namespace

crypto::PrivateKey generate_key(Suite s, const crypto::Backend& be) {
  return s == Suite::ecdsa_p256 ? be.generate_key(crypto::KeyType::ec_p256)
                                : be.generate_key(crypto::KeyType::rsa, 3072);
}

Suite suite_of(const crypto::PublicKey& key) {
  if (key.empty()) fail(Errc::invalid_argument, "no key");
  auto t = key.type();
  if (t == crypto::KeyType::ec_p256) return Suite::ecdsa_p256;
  if (fits(Suite::rsa_3072, t, key.bits())) return Suite::rsa_3072;
  fail(Errc::invalid_argument, "key type " + std::string(crypto::to_string(t)) +
                                   " fits no license suite (ecdsa-p256 or rsa-3072..4096)");
}

crypto::Bytes sign(Suite s, const crypto::PrivateKey& key, crypto::ByteView message,
                   const crypto::Backend& be) {
  if (!fits(s, key.type(), key.bits()))
    fail(Errc::invalid_argument, "signing key does not fit suite " + std::string(to_string(s)));
  return be.sign(key, params(s), message);
}

bool verify(Suite s, const crypto::PublicKey& key, crypto::ByteView message,
            crypto::ByteView signature, const crypto::Backend& be) noexcept {
  try {
    if (key.empty() || !fits(s, key.type(), key.bits())) return false;
    return be.verify(key, params(s), message, signature);
  } catch (...) {
    return false;
  }
}

std::string key_id(const crypto::PublicKey& key) {
  auto d = crypto::default_backend().digest(crypto::HashAlg::sha256, key.spki_der());
  d.resize(16);
  return crypto::to_hex(d);
}

}  // namespace openrms::licensing
