// Private keys held in a PKCS#11 token (an HSM; SoftHSM2 in the tests) and used there.
//
// Signing (ECDSA, RSA) and key agreement (ECDH, for unsealing) run inside the token; the key
// never leaves it, and openrms never sees it: the keys are made in the token with its own tools
// (for SoftHSM2 or any module: `pkcs11-tool --keypairgen --key-type EC:prime256v1 --label L`),
// and openrms names them by label. The binding is libp11 (Debian libp11-3), the library under
// OpenSSL's pkcs11 engine: a key it loads is an OpenSSL key whose operations go to the token, so
// the returned PrivateKey works with the OpenSSL backend like any other (not with Botan's).
//
// Guarantees: the PIN is kept only in a wiping buffer until login; the token stays logged in
// while this object or any key from it is alive.
// Errors (Error): unavailable (the module cannot be loaded, or no token has the label);
// wrong_password (the PIN is wrong, or the token's user PIN is locked: the message says which);
// not_found (no private key with the label); unsupported (a key type openrms cannot use).
// Thread safety: keys may be used from several threads at once (libp11 gives each operation a
// session of its own from a per-slot pool); private_key() may be called concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/crypto/backend.hpp"
#include "openrms/crypto/secure.hpp"

namespace openrms::crypto {

struct Pkcs11Config {
  std::string module;  ///< path of the PKCS#11 module (.so), e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string token;   ///< the token's label
  SecureString pin;    ///< the user PIN
};

class Pkcs11Token {
 public:
  /// Loads the module, finds the token by label and logs in.
  explicit Pkcs11Token(const Pkcs11Config& config);
  ~Pkcs11Token();
  Pkcs11Token(const Pkcs11Token&) = delete;
  Pkcs11Token& operator=(const Pkcs11Token&) = delete;

  const std::string& label() const noexcept;
  /// The private key with this label (EC P-256/P-384 or RSA), for the OpenSSL backend.
  PrivateKey private_key(std::string_view key_label) const;
  /// Labels of the token's private keys.
  std::vector<std::string> private_key_labels() const;

  struct Session;  // pkcs11.cpp

 private:
  std::shared_ptr<Session> s_;
};

}  // namespace openrms::crypto
