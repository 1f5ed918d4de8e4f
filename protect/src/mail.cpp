#include "openrms/protect/mail.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

#include "openrms/error.hpp"
#include "openrms/formats/container.hpp"
#include "openrms/formats/mail/rpmsg.hpp"
#include "openrms/formats/pfile/pfile.hpp"
#include "openrms/text.hpp"

namespace openrms::protect::mail {

namespace mime = formats::mail;
namespace rpmsg = formats::mail::rpmsg;
using licensing::Right;

namespace {

// The message limits of the tenant's configuration (the wrapper, the original, the rpmsg).
mime::ParseLimits limits_of(const IrmConfiguration& irm) {
  mime::ParseLimits l;
  l.max_size = irm.max_message_mb << 20;
  return l;
}

constexpr std::string_view kRpmsgName = "message.rpmsg";
constexpr std::string_view kRpmsgType = "application/x-microsoft-rpmsg-message";
constexpr std::string_view kLogoCid = "logo@openrms";

// The rpmsg content uses IRM's AES-128 (FORMATS.md B5), derived from the license's key.
crypto::SecureBytes rpmsg_key(const crypto::Backend& be, ByteView content_key) {
  return formats::ContentKey(content_key).derive(formats::ContentKey::Purpose::rpmsg_aes128, be);
}

const mime::Attachment* rpmsg_part(const mime::Message& m) {
  for (const auto& a : m.attachments)
    if (ascii_lower(a.filename) == kRpmsgName || a.content_type == kRpmsgType) return &a;
  return nullptr;
}

Container container_named(std::string_view s) {
  for (Container c : {Container::pfile, Container::office_irm, Container::pdf})
    if (s == formats::to_string(c)) return c;
  fail(Errc::bad_format, "the protected message names an unknown attachment container");
}

// What kind of attachment this is for the inheritance rules, and the container it would get.
licensing::AttachmentKind kind_of(ByteView data, Container& container) {
  formats::MemorySource src(data);
  container = Container::none;
  if (rpmsg::has_signature(data) || detect(src) != Container::none)
    return licensing::AttachmentKind::already_protected;
  try {
    container = container_for(src);
  } catch (const Error& e) {
    if (e.code() == Errc::invalid_argument)  // password-encrypted Office: protected by its own
      return licensing::AttachmentKind::already_protected;
    throw;
  }
  if (container == Container::office_irm) return licensing::AttachmentKind::office;
  if (container == Container::pdf) return licensing::AttachmentKind::pdf;
  return licensing::AttachmentKind::other;
}

bool image_magic(const Bytes& b) {
  auto starts = [&](std::initializer_list<std::uint8_t> m) {
    return b.size() >= m.size() && std::equal(m.begin(), m.end(), b.begin());
  };
  return starts({0x89, 'P', 'N', 'G'}) || starts({0xFF, 0xD8, 0xFF}) ||
         starts({'G', 'I', 'F', '8'});
}
std::string image_type(const Bytes& b) {
  if (b.size() >= 4 && b[0] == 0x89) return "image/png";
  if (b.size() >= 3 && b[0] == 0xFF) return "image/jpeg";
  return "image/gif";
}

void wrapper_body(mime::NewMessage& w, const OmeConfiguration& brand, const std::string& sender,
                  const std::string& url) {
  std::string intro = brand.introduction_text.empty()
                          ? sender + " has sent you a protected message."
                          : brand.introduction_text;
  std::string button = brand.read_button_text.empty() ? "Read the message" : brand.read_button_text;
  std::string text = intro + "\r\n\r\n" + button + ": " + url + "\r\n";
  if (!brand.email_text.empty()) text += "\r\n" + brand.email_text + "\r\n";
  text +=
      "\r\nThis message is protected with openrms. Open it with an openrms-aware client (openrms "
      "mail open) or the portal above.\r\n";
  if (!brand.disclaimer_text.empty()) text += "\r\n" + brand.disclaimer_text + "\r\n";
  if (!brand.privacy_statement_url.empty())
    text += "Privacy statement: " + brand.privacy_statement_url + "\r\n";

  std::string bg = brand.background_color.empty() ? "#ffffff" : brand.background_color;
  std::string h = "<!DOCTYPE html><html><body style=\"background-color:" + html_escape(bg) +
                  ";font-family:sans-serif\">";
  if (!brand.logo.empty()) h += "<p><img src=\"cid:" + std::string(kLogoCid) + "\" alt=\"\"></p>";
  h += "<p>" + html_escape(intro) + "</p>";
  h += "<p><a href=\"" + html_escape(url) +
       "\" style=\"display:inline-block;padding:8px 16px;background:#0b5cad;color:#fff;"
       "text-decoration:none\">" +
       html_escape(button) + "</a></p>";
  if (!brand.email_text.empty()) h += "<p>" + html_escape(brand.email_text) + "</p>";
  if (!brand.disclaimer_text.empty())
    h += "<p style=\"font-size:small\">" + html_escape(brand.disclaimer_text) + "</p>";
  if (!brand.privacy_statement_url.empty())
    h += "<p style=\"font-size:small\"><a href=\"" + html_escape(brand.privacy_statement_url) +
         "\">Privacy statement</a></p>";
  h += "</body></html>";
  w.text = text;
  w.html = h;
  if (!brand.logo.empty())
    w.related.push_back({"logo", image_type(brand.logo), std::string(kLogoCid), true, brand.logo});
}

const OmeConfiguration& builtin_default() {
  static const OmeConfiguration d;
  return d;
}

}  // namespace

bool IrmConfiguration::is_internal(std::string_view email) const {
  std::string d = email_domain(email);
  return std::any_of(accepted_domains.begin(), accepted_domains.end(),
                     [&](const std::string& a) { return ascii_lower(a) == d; });
}

void OmeConfiguration::validate() const {
  auto bad = [](const std::string& what) { fail(Errc::invalid_argument, what); };
  if (identity.empty() || identity.size() > 64)
    bad("a branding template needs a name of 1-64 characters");
  for (char c : identity)
    if (static_cast<unsigned char>(c) < 32)
      bad("the branding template name has control characters");
  auto limit = [&](const std::string& v, std::size_t n, const char* field) {
    if (v.size() > n)
      bad(std::string(field) + " is longer than " + std::to_string(n) + " characters");
  };
  limit(introduction_text, 1024, "IntroductionText");
  limit(read_button_text, 128, "ReadButtonText");
  limit(email_text, 1024, "EmailText");
  limit(portal_text, 128, "PortalText");
  limit(disclaimer_text, 1024, "DisclaimerText");
  if (!background_color.empty()) {
    bool ok = background_color[0] == '#' &&
              (background_color.size() == 7 || background_color.size() == 4) &&
              std::all_of(background_color.begin() + 1, background_color.end(),
                          [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    if (!ok) bad("BackgroundColor must be a colour like #RRGGBB");
  }
  if (!logo.empty()) {
    if (logo.size() > 40 * 1024) bad("the logo is larger than 40 KB");
    if (!image_magic(logo)) bad("the logo must be a PNG, JPEG or GIF image");
  }
  if (external_mail_expiry_days < 0 || external_mail_expiry_days > 730)
    bad("ExternalMailExpiryInDays must be between 0 (never) and 730");
  if (!privacy_statement_url.empty() && privacy_statement_url.rfind("https://", 0) != 0 &&
      privacy_statement_url.rfind("http://", 0) != 0)
    bad("PrivacyStatementUrl must be an http(s) URL");
}

MessageProtection MessageProtection::encrypt_only(std::string branding) {
  MessageProtection p;
  p.kind = Kind::encrypt_only;
  p.branding = std::move(branding);
  return p;
}
MessageProtection MessageProtection::do_not_forward(std::string branding) {
  MessageProtection p;
  p.kind = Kind::do_not_forward;
  p.branding = std::move(branding);
  return p;
}
MessageProtection MessageProtection::with_template(std::string id, std::string branding) {
  MessageProtection p;
  p.kind = Kind::template_id;
  p.template_id = std::move(id);
  p.branding = std::move(branding);
  return p;
}
std::string MessageProtection::describe() const {
  std::string s = kind == Kind::encrypt_only     ? "Encrypt-Only"
                  : kind == Kind::do_not_forward ? "Do Not Forward"
                                                 : "template " + template_id;
  if (!branding.empty()) s += " (branding \"" + branding + "\")";
  return s;
}

const crypto::SecureBytes& OpenedMessage::original() const {
  if (!can(Right::export_))
    fail(Errc::no_right,
         "the original message with its unprotected attachments needs the EXPORT or OWNER "
         "right, which you do not have on this message");
  return original_;
}

Bytes OpenedMessage::delivered() const {
  std::vector<mime::Replacement> repl;
  for (const auto& a : attachments_)
    if (a.protection != Container::none)
      repl.push_back(mime::Replacement{a.index, a.filename,
                                       a.protection == Container::office_irm ? a.content_type
                                       : a.protection == Container::pdf
                                           ? "application/pdf"
                                           : "application/octet-stream",
                                       a.data});
  return mime::replace_attachments(original_, repl, limits_, bcc_view_);
}

MailClient::MailClient(Client& client, IrmConfiguration irm, std::vector<OmeConfiguration> branding)
    : client_(client), irm_(std::move(irm)), branding_(std::move(branding)) {
  for (auto& d : irm_.accepted_domains) d = ascii_lower(d);
}

const OmeConfiguration& MailClient::branding(std::string_view identity) const {
  std::string want = identity.empty() ? builtin_default().identity : std::string(identity);
  for (const auto& b : branding_)
    if (ascii_lower(b.identity) == ascii_lower(want)) return b;
  if (identity.empty()) return builtin_default();
  fail(Errc::not_found, "no branding template named \"" + std::string(identity) + "\"");
}

ProtectedMessage MailClient::protect(ByteView eml, const MessageProtection& mp) {
  if (!irm_.service_enabled)
    fail(Errc::invalid_argument,
         "message encryption is turned off for this organisation (IRM configuration: service "
         "disabled)");
  mime::Message msg = mime::parse(eml, limits_of(irm_));
  if (rpmsg_part(msg))
    fail(Errc::invalid_argument, "this message is already protected (it carries message.rpmsg)");
  const OmeConfiguration& brand = branding(mp.branding);
  const crypto::Backend& be = client_.backend();
  const std::string sender = ascii_lower(client_.user().identity.email);

  std::vector<std::string> recipients = msg.recipients();
  if (msg.from.email != sender &&
      std::find(recipients.begin(), recipients.end(), msg.from.email) == recipients.end())
    recipients.push_back(msg.from.email);

  Protection prot;
  licensing::MessageProtection mkind = licensing::MessageProtection::encrypt_only;
  licensing::Rights message_rights = licensing::encrypt_only_rights();
  switch (mp.kind) {
    case MessageProtection::Kind::encrypt_only:
      prot = Protection::encrypt_only();
      break;
    case MessageProtection::Kind::do_not_forward:
      if (recipients.empty()) fail(Errc::invalid_argument, "the message has no recipients");
      prot = Protection::do_not_forward(recipients);
      mkind = licensing::MessageProtection::do_not_forward;
      message_rights = licensing::do_not_forward_rights();
      break;
    case MessageProtection::Kind::template_id:
      if (mp.template_id.empty()) fail(Errc::invalid_argument, "no template id given");
      prot = Protection::with_template(mp.template_id);
      mkind = licensing::MessageProtection::template_policy;
      break;
  }
  ProtectedMessage out;
  std::optional<licensing::Policy> policy = prot.policy_for(sender);
  if (policy && brand.external_mail_expiry_days > 0 &&
      std::any_of(recipients.begin(), recipients.end(),
                  [&](const std::string& r) { return !irm_.is_internal(r); })) {
    policy->expiry.kind = licensing::ContentExpiry::Kind::days_after_protection;
    policy->expiry.days = brand.external_mail_expiry_days;
    prot = Protection::with_policy(*policy);
  }

  // Attachments: licenses under which they are delivered protected.
  licensing::TenantMailSettings ts{irm_.enable_pdf_encryption,
                                   irm_.decrypt_attachment_for_encrypt_only};
  std::vector<rpmsg::AttachmentLicense> table;
  for (const auto& a : msg.attachments) {
    AttachmentOutcome o;
    o.index = a.index;
    o.filename = a.filename;
    if (a.is_inline) {
      o.action = AttachmentOutcome::Action::unprotected;  // part of the body
      out.attachments.push_back(o);
      continue;
    }
    Container c = Container::none;
    auto kind = kind_of(a.data, c);
    auto ap = licensing::attachment_protection(mkind, kind, message_rights, ts);
    using A = licensing::AttachmentProtection::Action;
    if (ap.action == A::keep_own) {
      o.action = AttachmentOutcome::Action::keep_own;
    } else if (ap.action == A::unprotected) {
      o.action = AttachmentOutcome::Action::unprotected;
    } else if (ap.deliver_unprotected) {
      o.action = AttachmentOutcome::Action::deliver_unprotected;
    } else {
      Protection aprot;
      if (policy) {
        licensing::Policy p = *policy;
        p.preset = licensing::Preset::none;
        for (auto& g : p.grants) g.rights = ap.rights;
        aprot = Protection::with_policy(std::move(p));
        o.rights = ap.rights;
      } else {
        aprot = Protection::with_template(mp.template_id);
      }
      auto pub = client_.publish(aprot);
      o.action = AttachmentOutcome::Action::protect;
      o.container = c;
      o.content_id = pub.content_id;
      table.push_back(rpmsg::AttachmentLicense{static_cast<std::uint32_t>(a.index),
                                               std::string(to_string(c)), pub.license_xml});
    }
    out.attachments.push_back(o);
  }

  licensing::Published pub = client_.publish(prot);
  out.content_id = pub.content_id;
  out.recipients = msg.recipients();
  if (auto* pol = prot.kind == Protection::Kind::policy ? &prot.policy : nullptr;
      pol && pol->expiry.kind == licensing::ContentExpiry::Kind::days_after_protection) {
    auto pl = licensing::parse_publishing_license(pub.license_xml, client_.source().anchors(), be);
    out.expires = pol->expiry.resolve(pl.issued_at);
  }
  Bytes rp = rpmsg::write(eml, pub.license_xml, rpmsg_key(be, pub.content_key), table, &be);

  mime::NewMessage w;
  w.from = msg.from;
  w.to = msg.to;
  w.cc = msg.cc;
  w.subject = msg.subject;
  w.date = msg.date;
  w.headers.emplace_back("Content-Class", "rpmsg.message");
  w.headers.emplace_back("X-OpenRMS-Content-Id", pub.content_id);
  std::string url = irm_.portal_url + (irm_.portal_url.find('?') == std::string::npos ? "?" : "&") +
                    "id=" + percent_encode(pub.content_id);
  wrapper_body(w, brand, msg.from.to_string(), url);
  w.attachments.push_back({std::string(kRpmsgName), std::string(kRpmsgType), {}, false, rp});
  out.message = mime::build(w);
  return out;
}

namespace {

struct Wrapper {
  std::string subject;
  std::unique_ptr<rpmsg::Reader> reader;
};

Wrapper read_wrapper(ByteView wrapper, const mime::ParseLimits& lim = {}) {
  mime::Message m = mime::parse(wrapper, lim);
  const mime::Attachment* a = rpmsg_part(m);
  if (!a)
    fail(Errc::bad_format, "this is not a protected message: it has no message.rpmsg attachment");
  // The inflated compound file holds the original (at most max_size) and its sector tables.
  const std::uint64_t cfb_max = lim.max_size + lim.max_size / 32 + (1u << 20);
  return Wrapper{m.subject, std::make_unique<rpmsg::Reader>(a->data, cfb_max)};
}

// The message's license, verified once, and what it says.
MessageInfo info_of(const Wrapper& w, const licensing::PublishingLicense& pl) {
  const rpmsg::Reader& r = *w.reader;
  MessageInfo i;
  i.content_id = pl.content_id;
  i.issuer = pl.issuer;
  i.owner = pl.owner;
  i.template_id = pl.template_id;
  i.template_name = pl.template_name;
  i.issued_at = pl.issued_at;
  i.subject = w.subject;
  i.protected_attachments = r.info().attachments.size();
  i.size = r.info().size;
  return i;
}

}  // namespace

static licensing::PublishingLicense license_of(const Wrapper& w, LicenseSource& source,
                                               const crypto::Backend& be) {
  return licensing::parse_publishing_license(w.reader->info().license, source.anchors(), be);
}

MessageInfo MailClient::inspect(ByteView wrapper) {
  Wrapper w = read_wrapper(wrapper, limits_of(irm_));
  return info_of(w, license_of(w, client_.source(), client_.backend()));
}

MessageInfo inspect_message(ByteView wrapper, LicenseSource& source, const crypto::Backend& be) {
  Wrapper w = read_wrapper(wrapper);
  return info_of(w, license_of(w, source, be));
}

OpenedMessage MailClient::open(ByteView wrapper) {
  const crypto::Backend& be = client_.backend();
  Wrapper w = read_wrapper(wrapper, limits_of(irm_));
  const rpmsg::Reader& r = *w.reader;
  OpenedMessage o;
  const licensing::PublishingLicense pl = license_of(w, client_.source(), be);
  o.info_ = info_of(w, pl);
  o.decision_ = client_.rights_for(pl);
  if (!o.can(Right::view)) fail(Errc::no_right, "you do not have the VIEW right on this message");
  o.original_ = r.decrypt(rpmsg_key(be, o.decision_.content_key), &be);
  o.message_ = mime::parse(o.original_, limits_of(irm_));
  o.limits_ = limits_of(irm_);
  // A recipient's copy never shows the blind copies, but a Bcc recipient sees themselves; the
  // sender (the issuer) sees their message as sent.
  const std::string reader = ascii_lower(o.decision_.user);
  if (reader != ascii_lower(o.info_.issuer)) {
    o.bcc_view_ = mime::BccView{false, reader};
    std::erase_if(o.message_.bcc,
                  [&](const mime::Address& a) { return ascii_lower(a.email) != reader; });
  }
  const auto& table = r.info().attachments;
  std::size_t t = 0;
  for (const auto& a : o.message_.attachments) {
    DeliveredAttachment d;
    d.index = a.index;
    d.filename = a.filename;
    d.content_type = a.content_type;
    d.is_inline = a.is_inline;
    d.data = a.data;
    if (t < table.size() && table[t].index == a.index) {
      Container c = container_named(table[t].container);
      licensing::Published pub;
      pub.license_xml = table[t].license;
      pub.content_key = client_.rights_for(table[t].license).content_key;
      Bytes protected_bytes;
      protected_bytes.reserve(a.data.size() + a.data.size() / 64 + (64u << 10));
      formats::MemorySink sink(protected_bytes);
      formats::MemorySource src(a.data);
      client_.write_container(c, src, sink, pub, a.filename.empty() ? "attachment" : a.filename);
      d.data = std::move(protected_bytes);
      d.protection = c;
      if (c == Container::pfile)
        d.filename =
            formats::writer_for(c)->output_name(a.filename.empty() ? "attachment" : a.filename);
      ++t;
    }
    o.attachments_.push_back(std::move(d));
  }
  if (t != table.size())
    fail(Errc::bad_format, "the protected message lists licenses for attachments it does not have");
  if (!o.info_.template_id.empty())
    o.protection_ = MessageProtection::with_template(o.info_.template_id);
  else if (!o.can(Right::forward))
    o.protection_ = MessageProtection::do_not_forward();
  else
    o.protection_ = MessageProtection::encrypt_only();
  return o;
}

crypto::SecureBytes MailClient::remove_protection(ByteView wrapper) {
  Wrapper w = read_wrapper(wrapper, limits_of(irm_));
  auto d = client_.rights_for(w.reader->info().license);
  if (!d.can(Right::export_))
    fail(Errc::no_right,
         "removing a message's protection needs the EXPORT or OWNER right, which you do not have "
         "on this message");
  const crypto::Backend& be = client_.backend();
  return w.reader->decrypt(rpmsg_key(be, d.content_key), &be);
}

void MailClient::revoke(ByteView wrapper) {
  const crypto::Backend& be = client_.backend();
  Wrapper w = read_wrapper(wrapper, limits_of(irm_));
  const rpmsg::Reader& r = *w.reader;
  const auto& anchors = client_.source().anchors();
  auto pl = licensing::parse_publishing_license(r.info().license, anchors, be);
  // The attachment table is trusted only once the message's MAC verified (decrypting checks it):
  // a crafted wrapper could otherwise list any of the issuer's other content for revocation.
  auto decision = client_.rights_for(pl);
  (void)r.decrypt(rpmsg_key(be, decision.content_key), &be);
  std::vector<std::string> ids{pl.content_id};
  for (const auto& a : r.info().attachments) {
    auto apl = licensing::parse_publishing_license(a.license, anchors, be);
    if (ascii_lower(apl.issuer) != ascii_lower(pl.issuer))
      fail(Errc::integrity, "an attachment license of this message names another issuer");
    ids.push_back(apl.content_id);
  }
  for (const auto& id : ids) client_.revoke(id);
}

ProtectedMessage MailClient::reply(const OpenedMessage& opened, ByteView reply, bool reply_all) {
  Right need = reply_all ? Right::replyall : Right::reply;
  if (!opened.can(need))
    fail(Errc::no_right, std::string("replying") + (reply_all ? " to all" : "") + " needs the " +
                             (reply_all ? "REPLYALL" : "REPLY") +
                             " right, which you do not have on this message");
  // Without FORWARD a reply goes back only to who was already in the conversation: the sender
  // (REPLY), or the sender and the recipients the reader saw (REPLYALL). Otherwise a "reply"
  // carrying the quoted original to someone new would be a forward.
  if (!opened.can(Right::forward)) {
    const auto& orig = opened.message();
    std::vector<std::string> allowed{ascii_lower(orig.from.email),
                                     ascii_lower(opened.decision().user)};
    if (reply_all)
      for (const auto& r : orig.recipients()) allowed.push_back(ascii_lower(r));
    for (const auto& r : mime::parse(reply, limits_of(irm_)).recipients())
      if (std::find(allowed.begin(), allowed.end(), ascii_lower(r)) == allowed.end())
        fail(Errc::no_right,
             r + " was not " + (reply_all ? "in this conversation" : "the sender") +
                 ": replying to someone new is forwarding, which this message does not allow");
  }
  return protect(reply, opened.protection_);
}

ProtectedMessage MailClient::forward(const OpenedMessage& opened, ByteView fwd) {
  if (!opened.can(Right::forward))
    fail(Errc::no_right,
         "this message may not be forwarded (you do not have the FORWARD right; Do Not Forward "
         "messages never grant it)");
  return protect(fwd, opened.protection_);
}

bool is_protected_message(ByteView rfc5322) {
  // A question about the message's shape, not a decision to process it: no size limit beyond
  // GByteArray's (the part and header limits still bound what the parse costs).
  mime::ParseLimits lim;
  lim.max_size = 0xFFFFFFFFu;
  try {
    return rpmsg_part(mime::parse(rfc5322, lim)) != nullptr;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace openrms::protect::mail
