#include "openrms/licensing/key_custody.hpp"

#include "openrms/error.hpp"

namespace openrms::licensing {

Pkcs11Custody::Pkcs11Custody(const crypto::Pkcs11Config& config) : token_(config) {}

std::string Pkcs11Custody::reference(std::string_view label) const {
  return Pkcs11KeyRef{token_.label(), std::string(label)}.to_uri();
}

crypto::PrivateKey Pkcs11Custody::key(std::string_view ref) const {
  const Pkcs11KeyRef r = Pkcs11KeyRef::parse(ref);
  if (r.token != token_.label())
    fail(Errc::invalid_argument, "this server key is in PKCS#11 token '" + r.token +
                                     "', not in the configured token '" + token_.label() + "'");
  return token_.private_key(r.object);
}

}  // namespace openrms::licensing
