// openrms error model — one for the whole public API.
//
// Contract: every public openrms function reports failure by throwing openrms::Error (a
// std::runtime_error) carrying a stable Errc code and a message meant for people. No other
// exception type crosses the public API, with one exception: std::bad_alloc may escape when the
// process is out of memory. Functions documented `noexcept` never throw. Messages never contain
// key bytes, passwords or plaintext. Cryptographic failures (bad tag, bad padding, wrong key) use
// Errc::integrity or Errc::wrong_password without saying which internal check failed.
//
// The numeric values of Errc are stable across releases (new codes are appended).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace openrms {

enum class Errc : int {
  bad_format = 1,       ///< input is not what it claims to be, or is corrupt / truncated
  unsupported = 2,      ///< well-formed, but uses a feature or algorithm openrms does not implement
  wrong_password = 3,   ///< the password (or key) does not open this content
  integrity = 4,        ///< authentication failed: tampered data, bad MAC/tag/padding/signature
  no_right = 5,         ///< the user lacks the usage right the operation needs
  expired = 6,          ///< the content has expired
  revoked = 7,          ///< the content was revoked by its issuer
  rac_expired = 8,      ///< the user's Rights Account Certificate has lapsed: renew it
  license_expired = 9,  ///< the use license's offline validity ended: re-acquire it
  io = 10,              ///< reading or writing a file or stream failed
  invalid_argument = 11,  ///< the caller passed a value outside the documented contract
  crypto = 12,            ///< the crypto backend failed for a reason other than the above
  not_found = 13,         ///< a named object (key, template, user, content) does not exist
  internal = 14,          ///< a bug in openrms: please report it
  unauthenticated = 15,   ///< a service caller's credentials (bearer token) are missing or invalid
  unavailable = 16,       ///< a service is unreachable, overloaded or shutting down: retry later
};

/// Stable, lower-case identifier of a code ("bad_format", "wrong_password", ...).
std::string_view to_string(Errc code) noexcept;
/// The code whose identifier is `name` (the inverse of to_string); nullopt for any other text.
std::optional<Errc> errc_from_string(std::string_view name) noexcept;

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& message);
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

/// Throws Error{code, message}. Use for every failure path in the library.
[[noreturn]] void fail(Errc code, const std::string& message);

}  // namespace openrms
