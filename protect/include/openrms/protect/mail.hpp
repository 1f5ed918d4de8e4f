// Protected e-mail (Purview Message Encryption's model, DESIGN.md §3, FORMATS.md B5).
//
// protect(): the original RFC 5322 message, byte for byte, is encrypted under a publishing
// license into message.rpmsg (formats/mail/rpmsg.hpp). The output is a wrapper message (same
// From, To, Cc, Subject, Date; no Bcc; Content-Class: rpmsg.message) whose readable body comes
// from a branding template (OmeConfiguration) with a "Read the message" link to the portal, and
// whose attachment is message.rpmsg.
//   - Encrypt-Only: every authenticated user who receives it gets encrypt_only_rights().
//   - Do Not Forward: the message's own From, To, Cc and Bcc (and the sender) get
//     do_not_forward_rights(); nobody else.
//   - A template: its rights, resolved by the server when a use license is issued.
// Attachments (licensing::attachment_protection): each file attachment that is not protected
// yet gets its own publishing license at protect time — Office documents DOCEDIT, EDIT, VIEW,
// OBJMODEL under Do Not Forward, else the message's rights; PDFs only if EnablePdfEncryption;
// others as PFile; already-protected attachments keep their own protection; Encrypt-Only with
// DecryptAttachmentForEncryptOnly leaves them unprotected. The recipient's client delivers the
// attachment in its container (Office IRM, rights-managed PDF, PFile) under that license, so an
// attachment saved from the message stays protected; inline parts belong to the body.
// ExternalMailExpiryInDays (from the branding template): when a recipient is outside the
// organisation's accepted domains, the message (Encrypt-Only / Do Not Forward) expires that many
// days after protection for every recipient but the sender (per-recipient expiry is not
// modelled; documented limit).
//
// open(): the recipient's rights come from a use license (Client::rights_for: cache, source, or
// the issuer's owner license); VIEW is needed to read anything. The OpenedMessage reports REPLY,
// REPLYALL, FORWARD, PRINT, EXTRACT; original() (the exact original bytes, unprotected
// attachments included) needs EXPORT or OWNER; reply()/forward() check REPLY/REPLYALL/FORWARD
// and protect the new message the same way (Do Not Forward recomputed for its recipients).
//
// Errors (openrms::Error): bad_format (not a message / not a protected message / malformed
// MIME), integrity, no_right, expired, revoked, rac_expired (from the licensing layer),
// invalid_argument (an already-protected message, IRM disabled for the tenant, a bad branding
// template), not_found (unknown branding template).
// Thread safety: a MailClient is as thread-safe as its Client; OpenedMessage is a value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/formats/mail/mime.hpp"
#include "openrms/protect/protect.hpp"

namespace openrms::protect::mail {

using formats::mail::Bytes;
using formats::mail::ByteView;

/// The tenant's IRM configuration (Set-IRMConfiguration) and the organisation facts mail needs.
struct IrmConfiguration {
  bool service_enabled = true;                       ///< AzureRMSLicensingEnabled
  bool automatic_service_update_enabled = true;      ///< AutomaticServiceUpdateEnabled (recorded)
  bool enable_pdf_encryption = true;                 ///< EnablePdfEncryption
  bool decrypt_attachment_for_encrypt_only = false;  ///< DecryptAttachmentForEncryptOnly
  std::vector<std::string> accepted_domains;         ///< inside the organisation (lower-case)
  std::string portal_url = "https://localhost/openrms/read";  ///< "Read the message" target
  /// The largest message protected or opened, in MiB (1..1024; like a gateway's receive
  /// limit). Larger messages, and wrappers whose message.rpmsg inflates past it, are
  /// bad_format before they are parsed or inflated.
  std::uint64_t max_message_mb = 64;

  bool is_internal(std::string_view email) const;
};

/// A branding template (New/Set/Get/Remove-OMEConfiguration).
struct OmeConfiguration {
  std::string identity = "OME Configuration";  ///< the default template's name
  std::string introduction_text;  ///< empty: "<sender> has sent you a protected message."
  std::string read_button_text;   ///< empty: "Read the message"
  std::string email_text;         ///< below the button
  std::string portal_text;        ///< shown on the portal (recorded)
  std::string disclaimer_text;    ///< footer
  std::string privacy_statement_url;
  std::string background_color;       ///< "#RRGGBB" or empty
  Bytes logo;                         ///< PNG, JPEG or GIF, at most 40 KB; empty: none
  bool social_id_signin = true;       ///< SocialIdSignIn (recorded; portal policy)
  bool otp_enabled = true;            ///< OTPEnabled (recorded; portal policy)
  int external_mail_expiry_days = 0;  ///< ExternalMailExpiryInDays: 0 = never, 1..730

  /// Checks the fields (invalid_argument naming the field).
  void validate() const;
  friend bool operator==(const OmeConfiguration&, const OmeConfiguration&) = default;
};

/// How a message is protected (an encryption action of a mail flow rule).
struct MessageProtection {
  enum class Kind { encrypt_only, do_not_forward, template_id };
  Kind kind = Kind::encrypt_only;
  std::string template_id;
  std::string branding;  ///< OmeConfiguration identity; empty = the default one
  static MessageProtection encrypt_only(std::string branding = {});
  static MessageProtection do_not_forward(std::string branding = {});
  static MessageProtection with_template(std::string id, std::string branding = {});
  std::string describe() const;
  friend bool operator==(const MessageProtection&, const MessageProtection&) = default;
};

struct AttachmentOutcome {
  std::size_t index = 0;
  std::string filename;
  enum class Action { protect, keep_own, unprotected, deliver_unprotected } action{};
  Container container = Container::none;  ///< Action::protect
  licensing::Rights rights;               ///< Action::protect (empty for a template)
  std::string content_id;                 ///< Action::protect
};

struct ProtectedMessage {
  Bytes message;  ///< the wrapper message (RFC 5322)
  std::string content_id;
  /// Who it was sent to: To, Cc and Bcc, lower-case (the wrapper keeps no Bcc).
  std::vector<std::string> recipients;
  std::vector<AttachmentOutcome> attachments;
  std::optional<licensing::Time> expires;  ///< content expiry set on the message
};

/// An attachment as the recipient receives it.
struct DeliveredAttachment {
  std::size_t index = 0;
  std::string filename;  ///< the delivered name (a PFile gets its protected name)
  std::string content_type;
  bool is_inline = false;
  Container protection = Container::none;  ///< none: delivered as is
  Bytes data;
};

/// What a protected message says without opening it.
struct MessageInfo {
  std::string content_id, issuer, owner, template_id, template_name;
  std::string subject;  ///< the wrapper's subject (the original's)
  licensing::Time issued_at{};
  std::size_t protected_attachments = 0;
  std::uint64_t size = 0;  ///< bytes of the protected original
};

class OpenedMessage {
 public:
  const licensing::Decision& decision() const noexcept { return decision_; }
  bool can(licensing::Right r) const noexcept { return decision_.can(r); }
  /// The parsed message. For anyone but the sender, bcc holds at most the reader themselves.
  const formats::mail::Message& message() const noexcept { return message_; }
  const MessageInfo& info() const noexcept { return info_; }
  const std::vector<DeliveredAttachment>& attachments() const noexcept { return attachments_; }
  /// The original message exactly as protected. Needs EXPORT or OWNER (no_right).
  const crypto::SecureBytes& original() const;
  /// The message as delivered to this user: the original with each protected attachment
  /// replaced by its protected form (an attachment saved from it stays protected), and no Bcc
  /// header but the reader's own address (the sender's copy keeps it).
  Bytes delivered() const;

 private:
  friend class MailClient;
  licensing::Decision decision_;
  formats::mail::Message message_;
  MessageInfo info_;
  std::vector<DeliveredAttachment> attachments_;
  crypto::SecureBytes original_;
  MessageProtection protection_;
  formats::mail::ParseLimits limits_;
  formats::mail::BccView bcc_view_;
};

class MailClient {
 public:
  /// `branding` holds the tenant's branding templates (the default is used when none matches
  /// the empty identity; an empty list means the built-in default).
  MailClient(Client& client, IrmConfiguration irm, std::vector<OmeConfiguration> branding = {});

  ProtectedMessage protect(ByteView rfc5322, const MessageProtection& protection);
  OpenedMessage open(ByteView wrapper);
  /// Reads the license of a protected message (verified against the anchors); no rights needed.
  MessageInfo inspect(ByteView wrapper);
  /// The original message, unprotected (a mail flow rule's "remove encryption", or the sender
  /// taking back their own message). Needs EXPORT or OWNER on it (no_right).
  crypto::SecureBytes remove_protection(ByteView wrapper);
  /// Revokes a protected message and its protected attachments (issuer only).
  void revoke(ByteView wrapper);
  /// Protects `reply` (a message the application wrote) after checking REPLY (or REPLYALL when
  /// `reply_all`) on `opened`; the reply keeps the original's kind of protection.
  ProtectedMessage reply(const OpenedMessage& opened, ByteView reply, bool reply_all);
  /// Protects a forward of `opened` after checking FORWARD (no_right without it).
  ProtectedMessage forward(const OpenedMessage& opened, ByteView forward);

  const OmeConfiguration& branding(std::string_view identity) const;

 private:
  Client& client_;
  IrmConfiguration irm_;
  std::vector<OmeConfiguration> branding_;
};

/// What a protected message's license says, without a user (the license is verified against the
/// source's anchors: integrity if forged; bad_format if not a protected message).
MessageInfo inspect_message(ByteView wrapper, LicenseSource& source,
                            const crypto::Backend& be = crypto::default_backend());

/// True if `rfc5322` is a protected wrapper message (has a message.rpmsg attachment).
bool is_protected_message(ByteView rfc5322);

}  // namespace openrms::protect::mail
