// Where the license server's private keys live when they are not in its store: a PKCS#11 token
// (an HSM) that signs and unseals with them, so the keys never leave it (DESIGN.md §4 "Key
// custody"). The store keeps a reference per key (an RFC 7512 PKCS#11 URI naming the token and
// the key's label); every node that serves the store resolves it in its own session with the
// token. A generation's SLC still holds the public keys, and LicenseServer checks each resolved
// key against it, so a reference changed in the store cannot substitute another key.
// Errors: those of the token (Error{unavailable} token absent, Error{wrong_password} PIN wrong or
// locked, Error{not_found} no such key); Error{invalid_argument} for a reference to another
// token or not a PKCS#11 URI.
// Thread safety: key() and reference() may be called concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "openrms/crypto/backend.hpp"
#include "openrms/crypto/pkcs11.hpp"

namespace openrms::licensing {

class KeyCustody {
 public:
  virtual ~KeyCustody() = default;
  /// The reference under which the key labelled `label` is recorded in the store.
  virtual std::string reference(std::string_view label) const = 0;
  /// The key a recorded reference names, usable with the OpenSSL backend.
  virtual crypto::PrivateKey key(std::string_view reference) const = 0;
};

/// An RFC 7512 PKCS#11 URI naming a key in a token, the form key references take in the store:
/// "pkcs11:token=<label>;object=<key label>", each value percent-encoded outside RFC 3986's
/// unreserved characters (§2.3). Plain data; no token is needed to parse or format one.
struct Pkcs11KeyRef {
  std::string token, object;
  std::string to_uri() const;
  /// Other path attributes and the query (pin-source, ...) are ignored. Errc::invalid_argument
  /// for another scheme, a broken %-escape, or no object.
  static Pkcs11KeyRef parse(std::string_view uri);
  bool operator==(const Pkcs11KeyRef&) const = default;
};

/// Keys in one PKCS#11 token, referenced as "pkcs11:token=<label>;object=<key label>".
class Pkcs11Custody final : public KeyCustody {
 public:
  /// Opens the token (see crypto::Pkcs11Token for how it fails).
  explicit Pkcs11Custody(const crypto::Pkcs11Config& config);
  std::string reference(std::string_view label) const override;
  crypto::PrivateKey key(std::string_view reference) const override;
  const crypto::Pkcs11Token& token() const noexcept { return token_; }

 private:
  crypto::Pkcs11Token token_;
};

}  // namespace openrms::licensing
