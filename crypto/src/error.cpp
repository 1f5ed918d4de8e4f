#include "openrms/error.hpp"

namespace openrms {

std::string_view to_string(Errc code) noexcept {
  switch (code) {
    case Errc::bad_format:
      return "bad_format";
    case Errc::unsupported:
      return "unsupported";
    case Errc::wrong_password:
      return "wrong_password";
    case Errc::integrity:
      return "integrity";
    case Errc::no_right:
      return "no_right";
    case Errc::expired:
      return "expired";
    case Errc::revoked:
      return "revoked";
    case Errc::rac_expired:
      return "rac_expired";
    case Errc::license_expired:
      return "license_expired";
    case Errc::io:
      return "io";
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::crypto:
      return "crypto";
    case Errc::not_found:
      return "not_found";
    case Errc::internal:
      return "internal";
    case Errc::unauthenticated:
      return "unauthenticated";
    case Errc::unavailable:
      return "unavailable";
  }
  return "unknown";
}

std::optional<Errc> errc_from_string(std::string_view name) noexcept {
  for (int i = static_cast<int>(Errc::bad_format); i <= static_cast<int>(Errc::unavailable); ++i)
    if (to_string(static_cast<Errc>(i)) == name) return static_cast<Errc>(i);
  return std::nullopt;
}

Error::Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}

void fail(Errc code, const std::string& message) {
  throw Error(code, message);
}

}  // namespace openrms
