// Bearer-token authentication for the licensing service: OAuth 2.0 access tokens that are OIDC
// JWTs (RFC 7519) signed with RS256 or ES256 (RFC 7518 §3.3, §3.4), verified against a JWKS
// (RFC 7517) read from a file or from the issuer's OpenID discovery document.
//
// A token is accepted only if all of these hold: compact JWS of at most kMaxToken bytes; "alg"
// is RS256 or ES256 (never "none", never an HMAC — an HS256 token "signed" with the public key
// is refused before any key is touched); the key chosen by "kid" (or, without a kid, each key
// of the algorithm's type) has the algorithm's type (RSA ≥ 2048 bits / EC P-256) and verifies
// the signature; "iss" equals the configured issuer; "aud" (a string or an array) holds the
// configured audience; "exp" is present and not past; "nbf" and "iat", when present, are not in
// the future — each time compared with `clock_skew` of tolerance; the identity claim is present.
// The JWS itself is checked by cjose (a maintained JOSE library from Debian); the claims here.
//
// Verified tokens are cached by their SHA-256 until their expiry (bounded; the cache is cleared
// when full), so a client that sends the same token on every request costs one signature
// verification. The cache holds the digest and the caller, never the token.
//
// Errors: Error{unauthenticated} with a message that says which rule failed (never the token),
// Error{io}/Error{bad_format} when the JWKS cannot be read at construction.
// Thread safety: verify() may be called concurrently; the JWKS is refreshed under a lock when a
// token names an unknown kid (at most once per minute, discovery-based key sets only).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/licensing/clock.hpp"
#include "openrms/licensing/directory.hpp"
#include "openrms/server/api.hpp"

namespace openrms::server {

inline constexpr std::size_t kMaxToken = 8192;

struct AuthOptions {
  std::string issuer;     ///< required: the "iss" every token must carry
  std::string audience;   ///< required: must appear in "aud"
  std::string jwks_file;  ///< a JWKS document on disk, or
  std::string jwks_uri;   ///< a JWKS at this https URL (refetched as for discovery), or
  /// the issuer's discovery: GET {issuer}/.well-known/openid-configuration → jwks_uri → JWKS,
  /// over TLS verified against `ca_file` (empty: the system's roots)
  bool discover = false;
  std::string ca_file;
  std::string identity_claim = "email";  ///< "email", "upn", "preferred_username" or "sub"
  std::string groups_claim = "groups";   ///< an array of group addresses (optional)
  std::string role_claim = "roles";      ///< a string or array of roles (optional)
  std::string admin_role = "openrms.admin";
  std::chrono::seconds clock_skew{60};
  std::size_t cache_entries = 100000;
  const licensing::Clock* clock = nullptr;  ///< nullptr: the system clock
};

class Authenticator {
 public:
  /// Loads the key set; throws Error{io|bad_format|invalid_argument} if it cannot.
  explicit Authenticator(AuthOptions options);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  /// The caller a token proves; Error{unauthenticated} otherwise.
  Caller verify(std::string_view token);
  /// The caller an OpenID Connect ID token names (OIDC Core §3.1.3.7): verify()'s rules (the
  /// audience is the relying party's client id), plus "nonce" equal to `nonce` (constant time)
  /// and, when the identity claim is "email", "email_verified" true. Never cached.
  Caller verify_id_token(std::string_view token, std::string_view nonce);
  /// The caller of an "Authorization" header value ("Bearer <token>"); Error{unauthenticated}.
  Caller verify_header(std::string_view authorization);

  /// Number of keys in the current key set; tokens verified by signature (not from the cache).
  std::size_t keys() const;
  std::uint64_t signature_checks() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Group membership as the tokens say it: the groups of each user's most recent verified token
/// (remember()), else those of `fallback` (a FileDirectory, say). Thread-safe.
class TokenDirectory final : public licensing::Directory {
 public:
  explicit TokenDirectory(const licensing::Directory* fallback = nullptr);
  ~TokenDirectory() override;
  void remember(const Caller& caller);
  std::vector<std::string> groups_of(std::string_view email) const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  const licensing::Directory* fallback_;
};

}  // namespace openrms::server
