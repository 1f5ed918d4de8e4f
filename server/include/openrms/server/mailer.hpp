// Sending mail from the service (the portal's one-time passcodes and replies) through an SMTP
// relay, with libcurl's SMTP client: no hand-written SMTP.
//
// SmtpMailer guarantees:
//   - `smtp://host:port` with `starttls` = "required" upgrades with STARTTLS or fails; "off"
//     sends in the clear (a relay on the same host); `smtps://` is TLS from the first byte.
//     Certificates are verified (the system's roots, or ca_file).
//   - Credentials (AUTH) only over TLS unless `allow_plain_auth` (a loopback test relay).
//   - send() returns once the relay accepted the message (250 after DATA); otherwise it throws
//     Error{unavailable} (cannot connect, timeout, the relay refused) with the relay's reply code,
//     never the message or the password.
// Thread safety: send() may be called from many threads (one libcurl handle per call).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "openrms/crypto/secure.hpp"

namespace openrms::server {

class Mailer {
 public:
  virtual ~Mailer() = default;
  /// Hands `rfc5322` (CRLF line ends) to the relay for envelope sender `from` and recipient
  /// `to` (addr-specs).
  virtual void send(const std::string& from, const std::string& to, std::string_view rfc5322) = 0;
};

struct SmtpOptions {
  std::string url;                    ///< smtp://host:port or smtps://host:port
  std::string starttls = "required";  ///< "required" or "off" (smtp:// only)
  std::string username;
  crypto::SecureString password;
  std::string ca_file;  ///< PEM roots; empty: the system's
  bool allow_plain_auth = false;
  std::chrono::milliseconds timeout{15000};
};

class SmtpMailer final : public Mailer {
 public:
  /// Error{invalid_argument} for a URL that is not smtp:// or smtps://, or credentials that
  /// would travel in the clear.
  explicit SmtpMailer(SmtpOptions options);
  void send(const std::string& from, const std::string& to, std::string_view rfc5322) override;

 private:
  SmtpOptions opt_;
};

}  // namespace openrms::server
