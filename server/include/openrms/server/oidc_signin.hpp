// Signing in with an OpenID Connect provider, as a relying party (OIDC Core 1.0 §3.1, the
// authorisation-code flow, with PKCE, RFC 7636, S256): the portal's "Sign in with …" for
// recipients whose provider the tenant admin configured (a social identity, or a partner's
// tenant).
//
// The flow as this class sees it: authorization_url() is where the browser goes, carrying a
// state, a nonce and the S256 challenge of a verifier the caller keeps; the provider sends the
// browser back to `redirect_uri` with a code; redeem() trades the code and the verifier for an
// ID token at the provider's token endpoint (the client secret, if any, in HTTP Basic, RFC 6749
// §2.3.1) and returns the e-mail address the token proves. The caller owns state, nonce and
// verifier and checks the state (the portal derives all three from one random value and its
// secret).
//
// Guarantees: the provider is found by its discovery document (whose "issuer" must be the
// configured one, whose endpoints must be https, and which must offer S256 if it lists PKCE
// methods), fetched on first use, not at construction, so a provider that is down does not
// stop the service; after a failed discovery it is retried at most once a minute. The ID token
// is verified by Authenticator::verify_id_token: RS256/ES256 from the provider's JWKS, issuer,
// audience = client id, expiry, nonce, and email_verified true. The client secret lives in a
// wiping string and never reaches a log or an error message.
// Errors: Error{unavailable} (the provider cannot be reached or its discovery is unusable),
// Error{unauthenticated} (the provider refused the code, or the ID token fails a rule; the
// message says which, never the token), Error{invalid_argument} (options) at construction.
// Thread safety: both calls may be made concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "openrms/crypto/secure.hpp"
#include "openrms/licensing/clock.hpp"

namespace openrms::server {

struct OidcOptions {
  std::string issuer;                  ///< e.g. https://accounts.example.com (discovery base)
  std::string client_id;               ///< as registered with the provider
  crypto::SecureString client_secret;  ///< empty: a public client (PKCE alone)
  std::string redirect_uri;            ///< https://PORTAL/portal/oidc/callback, registered there
  std::string display_name = "your account";  ///< the button says "Sign in with NAME"
  std::string ca_file;  ///< roots for the provider's TLS (empty: the system's)
  std::chrono::seconds clock_skew{60};
  const licensing::Clock* clock = nullptr;  ///< nullptr: the system clock
};

class OidcSignIn {
 public:
  /// Checks the options (https issuer and redirect URI, a client id); does no network I/O.
  explicit OidcSignIn(OidcOptions options);
  ~OidcSignIn();
  OidcSignIn(const OidcSignIn&) = delete;
  OidcSignIn& operator=(const OidcSignIn&) = delete;

  /// The provider's authorisation URL for one sign-in (scope "openid email").
  std::string authorization_url(std::string_view state, std::string_view nonce,
                                std::string_view code_verifier);
  /// The lower-case e-mail address the provider vouches for, from the code it sent back.
  std::string redeem(std::string_view code, std::string_view code_verifier, std::string_view nonce);

  const std::string& display_name() const noexcept;

  /// RFC 7636 §4.2: BASE64URL(SHA-256(verifier)).
  static std::string s256_challenge(std::string_view code_verifier);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace openrms::server
