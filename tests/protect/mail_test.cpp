// Protected mail end to end: MIME shapes, byte-for-byte round trip, Do Not Forward, Encrypt-Only,
// templates, attachment inheritance, replies and forwards, revocation and expiry, malformed MIME,
// the mail flow rule engine and the stored mail settings. The messages are written here by hand
// in the forms real clients produce (RFC 2047 headers, base64 and quoted-printable parts,
// multipart/alternative inside multipart/mixed, inline images by Content-ID), independent of the
// code under test; attachments are a real Word document (corpus), a hand-built PDF and random
// bytes.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "licensing_fixture.hpp"
#include "openrms/formats/mail/rpmsg.hpp"
#include "openrms/protect/mail.hpp"
#include "openrms/protect/mail_rules.hpp"
#include "openrms/protect/mail_settings.hpp"
#include "pdf_test_util.hpp"

namespace openrms::protect::mail {
namespace {

namespace fs = std::filesystem;
namespace mime = formats::mail;
using licensing::Right;
using licensing::Rights;
using licensing::testing::LicensingFixture;

std::string b64(crypto::ByteView d) {
  std::string s = crypto::to_base64(d), out;
  for (std::size_t i = 0; i < s.size(); i += 76) out += s.substr(i, 76) + "\n";  // crlf() later
  return out;
}
Bytes bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
std::string crlf(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '\n') o += '\r';
    o += c;
  }
  return o;
}

const char* kHeaders =
    "From: Alice Issuer <alice@contoso.com>\n"
    "To: bob@contoso.com, =?UTF-8?B?Q2zDqW1lbnQ=?= <clement@fabrikam.com>\n"
    "Cc: carol@contoso.com\n"
    "Bcc: dave@contoso.com\n"
    "Subject: =?UTF-8?Q?Quarterly_r=C3=A9sultats?=\n"
    "Date: Mon, 23 Nov 2026 09:00:00 +0000\n"
    "Message-ID: <q3@contoso.com>\n"
    "MIME-Version: 1.0\n";

class MailTest : public LicensingFixture {
 protected:
  MailTest() : source(*server) {
    fs::path docx_path =
        std::string(OPENRMS_SHARED_DIR) + "/corpus/office/expected/msoffcrypto__example.docx";
    if (!fs::exists(docx_path)) ADD_FAILURE() << "missing corpus file " << docx_path;
    docx = formats::read_file(docx_path);
    std::string p = formats::pdf::test::sample_document("Board minutes").build();
    pdf = Bytes(p.begin(), p.end());
    std::mt19937 rng(11);
    blob.resize(3000);
    for (auto& b : blob) b = static_cast<std::uint8_t>(rng());
    irm.accepted_domains = {"contoso.com"};
  }

  Client& client(const std::string& email) {
    auto it = clients.find(email);
    if (it != clients.end()) return *it->second;
    auto& u = user(email);
    ClientOptions o;
    o.clock = &clock;
    o.durable = false;
    auto c =
        std::make_unique<Client>(source, User{{email}, u.grant.rac_xml, u.grant.private_key}, o);
    return *clients.emplace(email, std::move(c)).first->second;
  }
  MailClient mail(const std::string& email) { return MailClient(client(email), irm, branding); }

  // A multipart/mixed message: alternative text+HTML body, then the attachments.
  std::string with_attachments(
      const std::vector<std::tuple<std::string, std::string, Bytes>>& atts) const {
    std::string m = std::string(kHeaders) +
                    "Content-Type: multipart/mixed; boundary=\"mixed-1\"\n\n"
                    "This is a multi-part message in MIME format.\n"
                    "--mixed-1\n"
                    "Content-Type: multipart/alternative; boundary=\"alt-1\"\n\n"
                    "--alt-1\n"
                    "Content-Type: text/plain; charset=utf-8\n"
                    "Content-Transfer-Encoding: quoted-printable\n\n"
                    "Les r=C3=A9sultats sont joints.\n"
                    "--alt-1\n"
                    "Content-Type: text/html; charset=utf-8\n"
                    "Content-Transfer-Encoding: quoted-printable\n\n"
                    "<p>Les r=C3=A9sultats sont joints.</p>\n"
                    "--alt-1--\n";
    for (const auto& [name, type, data] : atts)
      m += "--mixed-1\nContent-Type: " + type + "; name=\"" + name +
           "\"\nContent-Disposition: attachment; filename=\"" + name +
           "\"\nContent-Transfer-Encoding: base64\n\n" + b64(data);
    m += "--mixed-1--\n";
    return crlf(m);
  }

  static std::string plain_message(const std::string& headers = kHeaders) {
    return crlf(headers +
                "Content-Type: text/plain; charset=utf-8\n"
                "Content-Transfer-Encoding: 8bit\n\nHello Bob,\nsee you at 10.\n");
  }

  template <class F>
  static std::optional<Errc> code(F&& f) {
    return code_of(std::forward<F>(f));
  }

  // Opens a delivered attachment as `email` through the file API (an independent path).
  licensing::Rights attachment_rights(const std::string& email, const DeliveredAttachment& a) {
    fs::path p = fs::temp_directory_path() /
                 ("openrms-mail-att-" + std::to_string(::getpid()) + "-" + a.filename);
    formats::write_file(p, a.data, false);
    auto d = client(email).open(p);
    auto r = d.decision().rights;
    std::error_code ec;
    fs::remove(p, ec);
    return r;
  }

  LocalLicenseSource source;
  std::map<std::string, std::unique_ptr<Client>> clients;
  IrmConfiguration irm;
  std::vector<OmeConfiguration> branding;
  Bytes docx, pdf, blob;
};

// ---- MIME -------------------------------------------------------------------------------------

TEST_F(MailTest, ParsesRealWorldShapes) {
  std::string m = with_attachments({{"report.docx",
                                     "application/vnd.openxmlformats-officedocument."
                                     "wordprocessingml.document",
                                     docx},
                                    {"minutes.pdf", "application/pdf", pdf}});
  mime::Message p = mime::parse(bytes(m));
  EXPECT_EQ(p.from.email, "alice@contoso.com");
  EXPECT_EQ(p.from.name, "Alice Issuer");
  EXPECT_EQ(p.subject, "Quarterly r\xC3\xA9sultats");
  ASSERT_EQ(p.to.size(), 2u);
  EXPECT_EQ(p.to[1].name, "Cl\xC3\xA9ment");
  EXPECT_EQ(p.recipients(), (std::vector<std::string>{"bob@contoso.com", "clement@fabrikam.com",
                                                      "carol@contoso.com", "dave@contoso.com"}));
  EXPECT_EQ(p.text, "Les r\xC3\xA9sultats sont joints.");  // the CRLF before "--" is the boundary's
  EXPECT_NE(p.html.find("<p>Les r\xC3\xA9sultats"), std::string::npos);
  ASSERT_EQ(p.attachments.size(), 2u);
  EXPECT_EQ(p.attachments[0].filename, "report.docx");
  EXPECT_EQ(p.attachments[0].data, docx);
  EXPECT_EQ(p.attachments[1].content_type, "application/pdf");
  EXPECT_EQ(p.attachments[1].data, pdf);
  EXPECT_EQ(p.file_attachment_count(), 2u);

  // An inline image by Content-ID inside multipart/related is body, not a file attachment.
  std::string rel = crlf(std::string(kHeaders) +
                         "Content-Type: multipart/related; boundary=r\n\n--r\n"
                         "Content-Type: text/html; charset=us-ascii\n\n<img src=\"cid:i1\">\n--r\n"
                         "Content-Type: image/png\nContent-ID: <i1>\n"
                         "Content-Transfer-Encoding: base64\n\n" +
                         b64(blob) + "--r--\n");
  mime::Message r = mime::parse(bytes(rel));
  ASSERT_EQ(r.attachments.size(), 1u);
  EXPECT_TRUE(r.attachments[0].is_inline);
  EXPECT_EQ(r.attachments[0].content_id, "i1");
  EXPECT_EQ(r.attachments[0].data, blob);
  EXPECT_EQ(r.file_attachment_count(), 0u);
}

TEST_F(MailTest, MalformedMimeIsAClearError) {
  const std::vector<std::string> bad = {
      "",
      "no header here, just text\r\n",
      "Subject: no sender\r\n\r\nbody\r\n",
      crlf("From: a@b.com\nContent-Type: multipart/mixed\n\nno boundary\n"),
      crlf("From: a@b.com\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: "
           "text/plain\n\ntruncated, never closed\n"),
  };
  for (const auto& m : bad) {
    try {
      mime::parse(bytes(m));
      ADD_FAILURE() << "accepted: " << m;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::bad_format) << m;
      EXPECT_NE(std::string(e.what()).find("e-mail"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(code([&] { mail("alice@contoso.com").protect(bytes(bad[2]), {}); }), Errc::bad_format);
  EXPECT_EQ(code([&] { mail("bob@contoso.com").open(bytes(plain_message())); }), Errc::bad_format);
}

// ---- protect and open -------------------------------------------------------------------------

TEST_F(MailTest, OriginalRoundTripsByteForByte) {
  std::string big_headers = std::string(kHeaders);
  Bytes fifty(50u << 20);
  std::mt19937_64 rng(3);
  for (std::size_t i = 0; i < fifty.size(); i += 8) {
    std::uint64_t v = rng();
    std::memcpy(fifty.data() + i, &v, 8);
  }
  const std::vector<std::string> shapes = {
      with_attachments({{"large.bin", "application/octet-stream", fifty}}),
      plain_message(),
      with_attachments({{"notes.bin", "application/octet-stream", blob}}),
      with_attachments({{"report.docx", "application/octet-stream", docx},
                        {"minutes.pdf", "application/pdf", pdf}}),
  };
  // The 50 MB attachment makes a 68 MB message: over the default 64 MiB limit, refused...
  EXPECT_EQ(
      code([&] {
        mail("alice@contoso.com").protect(bytes(shapes[0]), MessageProtection::encrypt_only());
      }),
      Errc::bad_format);
  irm.max_message_mb = 128;  // ...and accepted by a gateway configured for it.
  for (const auto& kind :
       {MessageProtection::encrypt_only(), MessageProtection::do_not_forward()}) {
    for (const auto& m : shapes) {
      if (&m == &shapes[0] && kind.kind != MessageProtection::Kind::encrypt_only) continue;
      auto prot = mail("alice@contoso.com").protect(bytes(m), kind);
      EXPECT_TRUE(is_protected_message(prot.message));
      EXPECT_FALSE(is_protected_message(bytes(m)));
      // The wrapper shows neither the body nor the Bcc recipients.
      std::string w(prot.message.begin(), prot.message.end());
      EXPECT_EQ(w.find("dave@contoso.com"), std::string::npos);
      EXPECT_EQ(w.find("sont joints"), std::string::npos);
      EXPECT_NE(w.find("Content-Class: rpmsg.message"), std::string::npos);
      EXPECT_NE(w.find("Read the message"), std::string::npos);

      auto mine = mail("alice@contoso.com").open(prot.message);
      ASSERT_EQ(mine.original().size(), m.size());
      EXPECT_TRUE(std::equal(mine.original().begin(), mine.original().end(), m.begin()))
          << kind.describe();
      auto bobs = mail("bob@contoso.com").open(prot.message);
      EXPECT_EQ(bobs.message().subject, "Quarterly r\xC3\xA9sultats");
      EXPECT_EQ(code([&] { (void)bobs.original(); }), Errc::no_right);
      EXPECT_EQ(bobs.info().content_id, prot.content_id);
      EXPECT_EQ(bobs.info().issuer, "alice@contoso.com");
    }
  }
}

TEST_F(MailTest, OpeningParsesEachMessageOnce) {
  auto prot =
      mail("alice@contoso.com")
          .protect(bytes(with_attachments({{"report.docx", "application/octet-stream", docx}})),
                   MessageProtection::do_not_forward());
  auto bob = mail("bob@contoso.com");
  std::uint64_t before = mime::parse_count();
  auto opened = bob.open(prot.message);
  EXPECT_EQ(mime::parse_count() - before, 2u) << "the wrapper once, the original once";
  EXPECT_EQ(opened.message().attachments.size(), 1u);
  before = mime::parse_count();
  (void)bob.inspect(prot.message);
  EXPECT_EQ(mime::parse_count() - before, 1u) << "inspecting reads the wrapper only";
}

TEST_F(MailTest, DoNotForwardAuthorisesExactlyTheMessagesRecipients) {
  auto prot = mail("alice@contoso.com")
                  .protect(bytes(plain_message()), MessageProtection::do_not_forward());
  for (const char* r :
       {"bob@contoso.com", "clement@fabrikam.com", "carol@contoso.com", "dave@contoso.com"}) {
    auto o = mail(r).open(prot.message);
    EXPECT_TRUE(o.can(Right::view)) << r;
    EXPECT_TRUE(o.can(Right::reply)) << r;
    EXPECT_TRUE(o.can(Right::replyall)) << r;
    EXPECT_FALSE(o.can(Right::forward)) << r;
    EXPECT_FALSE(o.can(Right::print)) << r;
    EXPECT_FALSE(o.can(Right::extract)) << r;
    EXPECT_FALSE(o.can(Right::editrightsdata)) << r;
    EXPECT_EQ(o.message().text, "Hello Bob,\r\nsee you at 10.\r\n");
  }
  EXPECT_EQ(code([&] { mail("mallory@contoso.com").open(prot.message); }), Errc::no_right);

  // Forwarding is refused; a reply keeps Do Not Forward, for the reply's own recipients.
  auto bobs = mail("bob@contoso.com").open(prot.message);
  std::string fwd = plain_message(
      "From: bob@contoso.com\nTo: mallory@contoso.com\nSubject: Fwd: results\nMIME-Version: 1.0\n");
  EXPECT_EQ(code([&] { mail("bob@contoso.com").forward(bobs, bytes(fwd)); }), Errc::no_right);
  std::string re = plain_message(
      "From: bob@contoso.com\nTo: alice@contoso.com\nSubject: Re: results\nMIME-Version: 1.0\n");
  auto reply = mail("bob@contoso.com").reply(bobs, bytes(re), false);
  auto at_alice = mail("alice@contoso.com").open(reply.message);
  EXPECT_FALSE(at_alice.info().issuer.empty());
  EXPECT_EQ(at_alice.info().issuer, "bob@contoso.com");
  EXPECT_EQ(code([&] { mail("carol@contoso.com").open(reply.message); }), Errc::no_right);
  // A "reply" to someone new is a forward: refused without FORWARD. Reply-all reaches the
  // original recipients, a plain reply only the sender.
  std::string to_mallory = plain_message(
      "From: bob@contoso.com\nTo: alice@contoso.com, mallory@contoso.com\nSubject: Re: "
      "results\nMIME-Version: 1.0\n");
  EXPECT_EQ(code([&] { mail("bob@contoso.com").reply(bobs, bytes(to_mallory), true); }),
            Errc::no_right);
  std::string to_carol = plain_message(
      "From: bob@contoso.com\nTo: alice@contoso.com\nCc: carol@contoso.com\nSubject: Re: "
      "results\nMIME-Version: 1.0\n");
  EXPECT_EQ(code([&] { mail("bob@contoso.com").reply(bobs, bytes(to_carol), false); }),
            Errc::no_right);
  EXPECT_NO_THROW(mail("bob@contoso.com").reply(bobs, bytes(to_carol), true));
}

TEST_F(MailTest, RecipientsNeverSeeTheBlindCopies) {
  auto prot = mail("alice@contoso.com")
                  .protect(bytes(plain_message()), MessageProtection::do_not_forward());
  auto text = [](const Bytes& b) { return std::string(b.begin(), b.end()); };
  // To/Cc recipients: no Bcc header, no Bcc address in the parsed message.
  auto bob = mail("bob@contoso.com").open(prot.message);
  EXPECT_TRUE(bob.message().bcc.empty());
  EXPECT_EQ(text(bob.delivered()).find("dave@contoso.com"), std::string::npos);
  // The Bcc recipient sees themselves only.
  auto dave = mail("dave@contoso.com").open(prot.message);
  ASSERT_EQ(dave.message().bcc.size(), 1u);
  EXPECT_EQ(dave.message().bcc[0].email, "dave@contoso.com");
  EXPECT_NE(text(dave.delivered()).find("dave@contoso.com"), std::string::npos);
  // The sender's own copy is the message as sent.
  auto alice = mail("alice@contoso.com").open(prot.message);
  EXPECT_EQ(alice.message().bcc.size(), 1u);
  EXPECT_NE(text(alice.delivered()).find("Bcc: dave@contoso.com"), std::string::npos);
}

TEST_F(MailTest, EncryptOnlyAllowsForwardingButNotRemovingProtection) {
  auto prot = mail("alice@contoso.com").protect(bytes(plain_message()), {});
  auto o = mail("zoe@elsewhere.org").open(prot.message);  // any authenticated user
  EXPECT_TRUE(o.can(Right::forward));
  EXPECT_TRUE(o.can(Right::print));
  EXPECT_FALSE(o.can(Right::export_));
  EXPECT_FALSE(o.can(Right::owner));
  std::string fwd = plain_message(
      "From: zoe@elsewhere.org\nTo: yan@elsewhere.org\nSubject: Fwd\nMIME-Version: 1.0\n");
  auto f = mail("zoe@elsewhere.org").forward(o, bytes(fwd));
  EXPECT_TRUE(mail("yan@elsewhere.org").open(f.message).can(Right::view));
}

TEST_F(MailTest, TemplateProtection) {
  licensing::Policy p;
  p.grants.push_back(licensing::parse_grant("@contoso.com:Viewer"));
  auto t = server->create_template("Contoso - Confidential View Only", "", p);
  auto prot = mail("alice@contoso.com")
                  .protect(bytes(plain_message()), MessageProtection::with_template(t.id));
  auto o = mail("carol@contoso.com").open(prot.message);
  EXPECT_TRUE(o.can(Right::view));
  EXPECT_FALSE(o.can(Right::forward));
  EXPECT_EQ(o.info().template_id, t.id);
  EXPECT_EQ(code([&] { mail("clement@fabrikam.com").open(prot.message); }), Errc::no_right);
}

// ---- attachments --------------------------------------------------------------------------------

TEST_F(MailTest, AttachmentsInheritProtectionPerTheirType) {
  // An already-protected attachment: a PFile protected by Carol for herself.
  fs::path in = fs::temp_directory_path() / ("openrms-mail-own-" + std::to_string(::getpid()));
  formats::write_file(in.string() + ".txt", blob, false);
  auto pr = client("carol@contoso.com")
                .protect(in.string() + ".txt", in.string() + ".ptxt", Protection::with_policy([] {
                           licensing::Policy p;
                           p.grants.push_back(licensing::parse_grant("carol@contoso.com:Viewer"));
                           return p;
                         }()));
  Bytes own = formats::read_file(pr.output);
  fs::remove(in.string() + ".txt");
  fs::remove(pr.output);

  std::string m = with_attachments({{"report.docx", "application/octet-stream", docx},
                                    {"minutes.pdf", "application/pdf", pdf},
                                    {"data.bin", "application/octet-stream", blob},
                                    {"own.ptxt", "application/octet-stream", own}});
  auto prot = mail("alice@contoso.com").protect(bytes(m), MessageProtection::do_not_forward());
  ASSERT_EQ(prot.attachments.size(), 4u);
  EXPECT_EQ(prot.attachments[0].container, Container::office_irm);
  EXPECT_EQ(prot.attachments[1].container, Container::pdf);
  EXPECT_EQ(prot.attachments[2].container, Container::pfile);
  EXPECT_EQ(prot.attachments[3].action, AttachmentOutcome::Action::keep_own);

  auto o = mail("bob@contoso.com").open(prot.message);
  const auto& a = o.attachments();
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].protection, Container::office_irm);
  EXPECT_EQ(a[1].protection, Container::pdf);
  EXPECT_EQ(a[2].protection, Container::pfile);
  EXPECT_EQ(a[2].filename, "data.bin.pfile");
  EXPECT_EQ(a[3].protection, Container::none);
  EXPECT_EQ(a[3].data, own);  // keeps its own protection, untouched
  // Office under Do Not Forward: DOCEDIT, EDIT, VIEW, OBJMODEL exactly (Bob is not the issuer).
  EXPECT_EQ(attachment_rights("bob@contoso.com", a[0]),
            (Rights{Right::docedit, Right::edit, Right::view, Right::objmodel}));
  EXPECT_EQ(attachment_rights("bob@contoso.com", a[1]), licensing::do_not_forward_rights());
  EXPECT_EQ(attachment_rights("bob@contoso.com", a[2]), licensing::do_not_forward_rights());
  EXPECT_EQ(code([&] { attachment_rights("mallory@contoso.com", a[0]); }), Errc::no_right);
  // No inheriting attachment kind gives a recipient Change Rights (the re-protection escape).
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(attachment_rights("bob@contoso.com", a[i]).has(Right::editrightsdata)) << i;
  // The recovered attachment bytes are the originals.
  {
    fs::path p = fs::temp_directory_path() / ("openrms-mail-doc-" + std::to_string(::getpid()));
    formats::write_file(p, a[0].data, false);
    auto d = client("bob@contoso.com").open(p);
    auto plain = d.read_all();
    EXPECT_TRUE(std::equal(plain.begin(), plain.end(), docx.begin(), docx.end()));
    fs::remove(p);
  }
  // The delivered message carries the protected forms; parsing it finds them.
  mime::Message delivered = mime::parse(o.delivered());
  ASSERT_EQ(delivered.attachments.size(), 4u);
  EXPECT_EQ(delivered.attachments[0].data, a[0].data);
  EXPECT_EQ(delivered.attachments[2].filename, "data.bin.pfile");
  EXPECT_EQ(delivered.text, o.message().text);

  // EnablePdfEncryption off: the PDF is delivered as is.
  irm.enable_pdf_encryption = false;
  auto p2 = mail("alice@contoso.com").protect(bytes(m), MessageProtection::do_not_forward());
  EXPECT_EQ(p2.attachments[1].action, AttachmentOutcome::Action::unprotected);
  EXPECT_EQ(mail("bob@contoso.com").open(p2.message).attachments()[1].data, pdf);

  // Encrypt-Only with DecryptAttachmentForEncryptOnly: every attachment delivered unprotected.
  irm.decrypt_attachment_for_encrypt_only = true;
  auto p3 = mail("alice@contoso.com").protect(bytes(m), MessageProtection::encrypt_only());
  auto o3 = mail("bob@contoso.com").open(p3.message);
  EXPECT_EQ(o3.attachments()[0].data, docx);
  EXPECT_EQ(o3.attachments()[2].data, blob);
  // ... while without it Encrypt-Only attachments inherit the message's rights.
  irm.decrypt_attachment_for_encrypt_only = false;
  auto p4 = mail("alice@contoso.com").protect(bytes(m), MessageProtection::encrypt_only());
  auto o4 = mail("bob@contoso.com").open(p4.message);
  EXPECT_EQ(attachment_rights("bob@contoso.com", o4.attachments()[0]),
            licensing::encrypt_only_rights());
}

TEST_F(MailTest, NestedMultipartsInlineImagesAndAttachedMessages) {
  std::string m = crlf(std::string(kHeaders) +
                       "Content-Type: multipart/mixed; boundary=\"outer\"\n\n"
                       "--outer\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n"
                       "--alt\nContent-Type: text/plain; charset=us-ascii\n\nSee the chart.\n"
                       "--alt\nContent-Type: multipart/related; boundary=\"rel\"\n\n"
                       "--rel\nContent-Type: text/html; charset=us-ascii\n\n"
                       "<p>See the chart.</p><img src=\"cid:chart@x\">\n"
                       "--rel\nContent-Type: image/png\nContent-ID: <chart@x>\n"
                       "Content-Disposition: inline\nContent-Transfer-Encoding: base64\n\n" +
                       b64(blob) +
                       "--rel--\n--alt--\n"
                       "--outer\nContent-Type: multipart/mixed; boundary=\"inner\"\n\n"
                       "--inner\nContent-Type: application/pdf; name=\"minutes.pdf\"\n"
                       "Content-Disposition: attachment; filename=\"minutes.pdf\"\n"
                       "Content-Transfer-Encoding: base64\n\n" +
                       b64(pdf) +
                       "--inner\nContent-Type: message/rfc822\n"
                       "Content-Disposition: attachment; filename=\"earlier.eml\"\n\n"
                       "From: carol@contoso.com\nTo: alice@contoso.com\nSubject: earlier\n\n"
                       "the earlier message\n"
                       "--inner--\n--outer--\n");
  mime::Message p = mime::parse(bytes(m));
  EXPECT_EQ(p.text, "See the chart.");
  ASSERT_EQ(p.attachments.size(), 3u);
  EXPECT_TRUE(p.attachments[0].is_inline);
  EXPECT_EQ(p.attachments[0].data, blob);
  EXPECT_EQ(p.attachments[1].data, pdf);
  EXPECT_EQ(p.attachments[2].content_type, "message/rfc822");
  EXPECT_EQ(p.file_attachment_count(), 2u);

  auto prot = mail("alice@contoso.com").protect(bytes(m), MessageProtection::do_not_forward());
  EXPECT_EQ(prot.attachments[0].action, AttachmentOutcome::Action::unprotected);  // body image
  EXPECT_EQ(prot.attachments[1].container, Container::pdf);
  EXPECT_EQ(prot.attachments[2].container, Container::pfile);
  auto o = mail("carol@contoso.com").open(prot.message);
  EXPECT_EQ(o.attachments()[0].data, blob);
  EXPECT_EQ(o.attachments()[1].protection, Container::pdf);
  EXPECT_EQ(o.attachments()[2].filename, "earlier.eml.pfile");
  auto mine = mail("alice@contoso.com").open(prot.message);
  EXPECT_EQ(std::string(mine.original().begin(), mine.original().end()), m);
  auto removed = mail("alice@contoso.com").remove_protection(prot.message);
  EXPECT_EQ(std::string(removed.begin(), removed.end()), m);
  EXPECT_EQ(code([&] { mail("carol@contoso.com").remove_protection(prot.message); }),
            Errc::no_right);
}

// ---- revocation, expiry, tamper
// ------------------------------------------------------------------

TEST_F(MailTest, RevocationByTheSenderStopsMessageAndAttachments) {
  std::string m = with_attachments({{"data.bin", "application/octet-stream", blob}});
  auto prot = mail("alice@contoso.com").protect(bytes(m), MessageProtection::do_not_forward());
  EXPECT_EQ(code([&] { mail("bob@contoso.com").revoke(prot.message); }), Errc::no_right);
  mail("alice@contoso.com").revoke(prot.message);
  EXPECT_EQ(code([&] { mail("bob@contoso.com").open(prot.message); }), Errc::revoked);
  EXPECT_EQ(code([&] {
              client("bob@contoso.com").rights_for([&] {
                auto w = mime::parse(prot.message);
                formats::mail::rpmsg::Reader r(w.attachments.back().data);
                return r.info().attachments.at(0).license;
              }());
            }),
            Errc::revoked);
  // The sender still opens it.
  EXPECT_TRUE(mail("alice@contoso.com").open(prot.message).can(Right::view));
}

TEST_F(MailTest, RevokeTrustsTheAttachmentTableOnlyAfterTheMac) {
  // Someone without the message's key rebuilds its message.rpmsg with alice's license and an
  // attachment table listing another of her documents: alice's revoke must not touch it.
  auto prot = mail("alice@contoso.com")
                  .protect(bytes(plain_message()), MessageProtection::do_not_forward());
  std::string other_doc = with_attachments({{"data.bin", "application/octet-stream", blob}});
  auto other =
      mail("alice@contoso.com").protect(bytes(other_doc), MessageProtection::encrypt_only());
  auto w = mime::parse(prot.message);
  auto ow = mime::parse(other.message);
  formats::mail::rpmsg::Reader real(w.attachments.back().data), victim(ow.attachments.back().data);
  Bytes forged =
      formats::mail::rpmsg::write(bytes(plain_message()), real.info().license, Bytes(16, 0x77),
                                  {{0, "pfile", victim.info().attachments.at(0).license}});
  Bytes wrapper =
      mime::replace_attachments(prot.message, {{w.attachments.size() - 1, "message.rpmsg",
                                                "application/x-microsoft-rpmsg-message", forged}});
  EXPECT_EQ(code([&] { mail("alice@contoso.com").revoke(wrapper); }), Errc::integrity);
  EXPECT_TRUE(mail("bob@contoso.com").open(other.message).can(Right::view));
  EXPECT_NO_THROW(client("bob@contoso.com").rights_for(victim.info().attachments.at(0).license));
}

TEST_F(MailTest, ExternalMailExpiry) {
  OmeConfiguration b;
  b.identity = "External 7 days";
  b.external_mail_expiry_days = 7;
  branding.push_back(b);
  auto ext = mail("alice@contoso.com")
                 .protect(bytes(plain_message()), MessageProtection::encrypt_only(b.identity));
  ASSERT_TRUE(ext.expires.has_value());
  std::string internal_only = plain_message(
      "From: alice@contoso.com\nTo: bob@contoso.com\nSubject: internal\nMIME-Version: 1.0\n");
  auto in = mail("alice@contoso.com")
                .protect(bytes(internal_only), MessageProtection::encrypt_only(b.identity));
  EXPECT_FALSE(in.expires.has_value());
  EXPECT_TRUE(mail("clement@fabrikam.com").open(ext.message).can(Right::view));
  clock.advance(std::chrono::hours(24 * 8));
  EXPECT_EQ(code([&] { mail("bob@contoso.com").open(ext.message); }), Errc::expired);
  EXPECT_TRUE(mail("bob@contoso.com").open(in.message).can(Right::view));
  EXPECT_TRUE(mail("alice@contoso.com").open(ext.message).can(Right::view));  // the issuer
  EXPECT_EQ(code([&] {
              mail("alice@contoso.com")
                  .protect(bytes(plain_message()), MessageProtection::encrypt_only("nope"));
            }),
            Errc::not_found);
}

TEST_F(MailTest, AlteredProtectedMessagesAreRejected) {
  auto prot = mail("alice@contoso.com")
                  .protect(bytes(with_attachments({{"d.bin", "application/octet-stream", blob}})),
                           MessageProtection::do_not_forward());
  Bytes rp = mime::parse(prot.message).attachments.back().data;
  std::mt19937 rng(5);
  int checked = 0;
  for (int i = 0; i < 200; ++i) {
    Bytes t = rp;
    std::size_t at = 8 + rng() % (t.size() - 8);
    t[at] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    auto c = code([&] {
      formats::mail::rpmsg::Reader r(t);
      auto d = client("bob@contoso.com").rights_for(r.info().license);
      crypto::SecureBytes k(16);
      crypto::default_backend().hkdf(crypto::HashAlg::sha256, d.content_key, {},
                                     crypto::as_bytes("openrms-rpmsg-aes128-v1"), k);
      r.decrypt(k);
    });
    ASSERT_TRUE(c.has_value()) << "flip at " << at << " not detected";
    EXPECT_TRUE(*c == Errc::integrity || *c == Errc::bad_format) << static_cast<int>(*c);
    ++checked;
  }
  EXPECT_EQ(checked, 200);
  // Truncation
  Bytes cut(rp.begin(), rp.begin() + static_cast<std::ptrdiff_t>(rp.size() / 2));
  EXPECT_EQ(code([&] { formats::mail::rpmsg::Reader r(cut); }), Errc::bad_format);
  // A protected message cannot be protected again.
  EXPECT_EQ(code([&] { mail("alice@contoso.com").protect(prot.message, {}); }),
            Errc::invalid_argument);
  irm.service_enabled = false;
  EXPECT_EQ(code([&] { mail("alice@contoso.com").protect(bytes(plain_message()), {}); }),
            Errc::invalid_argument);
}

// ---- rules and settings ---------------------------------------------------------------------

TEST_F(MailTest, MailFlowRulesDecide) {
  auto rules = rules_from_json(R"([
    {"name": "Never encrypt newsletters", "conditions": {"from_domain": "news.contoso.com"},
     "actions": {"remove_encryption": true, "stop_processing": true}},
    {"name": "External confidential", "conditions": {"sent_to_scope": "NotInOrganization",
       "subject_or_body_contains": ["confidential", "secret"]},
     "actions": {"apply": {"kind": "DoNotForward", "branding": "Legal"}}},
    {"name": "Large attachments", "conditions": {"has_attachment": true, "size_over": "1KB"},
     "exceptions": {"from": "ceo@contoso.com"},
     "actions": {"apply": {"kind": "EncryptOnly"}}},
    {"name": "Disabled", "enabled": false, "actions": {"apply": {"kind": "EncryptOnly"}}}
  ])");
  ASSERT_EQ(rules.size(), 4u);
  std::vector<std::string> org = {"contoso.com"};
  auto msg = [](const std::string& from, const std::string& to, const std::string& subject,
                const std::string& body, bool attach) {
    std::string m =
        "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\n";
    if (attach)
      m += "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: "
           "text/plain\r\n\r\n" +
           body +
           "\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: "
           "attachment; filename=x.bin\r\n\r\n" +
           std::string(2000, 'x') + "\r\n--b--\r\n";
    else
      m += "\r\n" + body + "\r\n";
    return mime::parse(bytes(m));
  };
  auto d1 =
      evaluate(rules, msg("a@contoso.com", "x@fabrikam.com", "Top SECRET plan", "hi", false), org);
  EXPECT_EQ(d1.action, RuleDecision::Action::protect);
  EXPECT_EQ(d1.protection->kind, MessageProtection::Kind::do_not_forward);
  EXPECT_EQ(d1.protection->branding, "Legal");
  EXPECT_EQ(d1.deciding_rule, "External confidential");
  // Internal recipients only: the external rule does not match.
  auto d2 = evaluate(rules, msg("a@contoso.com", "b@contoso.com", "secret", "hi", false), org);
  EXPECT_EQ(d2.action, RuleDecision::Action::none);
  EXPECT_TRUE(d2.matched.empty());
  // Both the external and the attachment rule match: the later one's action stands.
  auto d3 = evaluate(rules, msg("a@contoso.com", "x@fabrikam.com", "confidential", "", true), org);
  EXPECT_EQ(d3.matched, (std::vector<std::string>{"External confidential", "Large attachments"}));
  EXPECT_EQ(d3.protection->kind, MessageProtection::Kind::encrypt_only);
  // The exception.
  auto d4 = evaluate(rules, msg("ceo@contoso.com", "b@contoso.com", "hello", "", true), org);
  EXPECT_EQ(d4.action, RuleDecision::Action::none);
  // Stop processing after removal.
  auto d5 = evaluate(rules, msg("n@news.contoso.com", "x@fabrikam.com", "secret", "", true), org);
  EXPECT_EQ(d5.action, RuleDecision::Action::remove_encryption);
  EXPECT_EQ(d5.matched, (std::vector<std::string>{"Never encrypt newsletters"}));
  // Round trip through JSON.
  EXPECT_EQ(rules_from_json(rules_to_json(rules)), rules);

  // Validation names the rule and the field.
  const std::pair<const char*, const char*> bad[] = {
      {R"({"x": 1})", "array"},
      {R"([{"actions": {"stop_processing": true}}])", "name"},
      {R"([{"name": "a"}])", "no action"},
      {R"([{"name": "a", "actions": {"apply": {"kind": "Template"}}}])", "template"},
      {R"([{"name": "a", "actions": {"apply": {"kind": "Rot13"}}}])", "kind"},
      {R"([{"name": "a", "conditions": {"colour": "red"}, "actions": {"stop_processing": true}}])",
       "colour"},
      {R"([{"name": "a", "conditions": {"size_over": "ten"}, "actions": {"stop_processing": true}}])",
       "size_over"},
      {R"([{"name": "a", "actions": {"apply": {"kind": "EncryptOnly"}, "remove_encryption": true}}])",
       "both"},
      {R"([{"name": "a", "actions": {"stop_processing": true}}, {"name": "A", "actions": {"stop_processing": true}}])",
       "another rule"},
      {"[{", "JSON"},
  };
  for (const auto& [text, hint] : bad) {
    try {
      rules_from_json(text);
      ADD_FAILURE() << "accepted " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::invalid_argument);
      EXPECT_NE(std::string(e.what()).find(hint), std::string::npos) << e.what();
    }
  }
}

TEST_F(MailTest, SettingsLiveInTheStore) {
  MailSettings s(*store);
  EXPECT_EQ(s.branding().size(), 1u);
  EXPECT_EQ(s.branding().front().identity, "OME Configuration");
  OmeConfiguration legal;
  legal.identity = "Legal";
  legal.introduction_text = "Contoso Legal sent you a protected message.";
  legal.background_color = "#003366";
  legal.logo = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0};
  legal.external_mail_expiry_days = 30;
  s.add_branding(legal);
  EXPECT_EQ(code([&] { s.add_branding(legal); }), Errc::invalid_argument);
  legal.disclaimer_text = "Privileged and confidential.";
  s.set_branding(legal);
  MailSettings again(*store);
  EXPECT_EQ(again.branding("legal"), legal);
  EXPECT_EQ(again.branding().size(), 2u);
  EXPECT_EQ(code([&] { s.remove_branding("OME Configuration"); }), Errc::invalid_argument);
  OmeConfiguration bad = legal;
  bad.background_color = "blue-ish";
  EXPECT_EQ(code([&] { s.set_branding(bad); }), Errc::invalid_argument);
  bad = legal;
  bad.external_mail_expiry_days = 1000;
  EXPECT_EQ(code([&] { s.set_branding(bad); }), Errc::invalid_argument);
  bad = legal;
  bad.logo = bytes("not an image");
  EXPECT_EQ(code([&] { s.set_branding(bad); }), Errc::invalid_argument);

  IrmConfiguration c;
  c.enable_pdf_encryption = false;
  c.decrypt_attachment_for_encrypt_only = true;
  c.accepted_domains = {"Contoso.com"};
  s.set_irm(c);
  auto got = again.irm();
  EXPECT_FALSE(got.enable_pdf_encryption);
  EXPECT_TRUE(got.decrypt_attachment_for_encrypt_only);
  EXPECT_TRUE(got.is_internal("x@CONTOSO.com"));
  EXPECT_EQ(code([&] { irm_from_json(R"({"portal_url": "ftp://x"})"); }), Errc::invalid_argument);
  EXPECT_EQ(code([&] { irm_from_json(R"({"enable_pdf": true})"); }), Errc::invalid_argument);

  Rule r = rule_from_json(
      R"({"name": "Legal mail", "conditions": {"from_domain": "legal.contoso.com"},
          "actions": {"apply": {"kind": "DoNotForward", "branding": "Legal"}}})");
  s.add_rule(r);
  Rule first = rule_from_json(R"({"name": "First", "actions": {"stop_processing": true}})");
  s.add_rule(first, 0);
  EXPECT_EQ(again.rules(), (std::vector<Rule>{first, r}));
  EXPECT_EQ(code([&] { s.remove_branding("Legal"); }), Errc::invalid_argument);  // in use
  Rule dangling = r;
  dangling.name = "Dangling";
  dangling.apply->branding = "Nobody";
  EXPECT_EQ(code([&] { s.add_rule(dangling); }), Errc::invalid_argument);
  s.remove_rule("legal mail");
  s.remove_branding("Legal");
  EXPECT_EQ(again.rules(), std::vector<Rule>{first});
  EXPECT_EQ(code([&] { s.remove_rule("nope"); }), Errc::not_found);
}

TEST_F(MailTest, WrapperCarriesTheBranding) {
  OmeConfiguration b;
  b.identity = "Contoso";
  b.introduction_text = "Contoso sent you a secure message.";
  b.read_button_text = "Open securely";
  b.disclaimer_text = "Do not share.";
  b.logo = {0x89, 'P', 'N', 'G', 1, 2, 3};
  branding.push_back(b);
  irm.portal_url = "https://mail.contoso.com/read";
  auto prot = mail("alice@contoso.com")
                  .protect(bytes(plain_message()), MessageProtection::do_not_forward("Contoso"));
  mime::Message w = mime::parse(prot.message);
  EXPECT_EQ(w.subject, "Quarterly r\xC3\xA9sultats");
  EXPECT_TRUE(w.bcc.empty());
  EXPECT_NE(w.text.find("Contoso sent you a secure message."), std::string::npos);
  EXPECT_NE(w.text.find("Open securely: https://mail.contoso.com/read?id=" + prot.content_id),
            std::string::npos);
  EXPECT_NE(w.html.find("cid:logo@openrms"), std::string::npos);
  EXPECT_NE(w.html.find("Do not share."), std::string::npos);
  ASSERT_EQ(w.attachments.size(), 2u);  // the logo (inline) and message.rpmsg
  EXPECT_TRUE(w.attachments[0].is_inline);
  EXPECT_EQ(w.attachments[0].data, b.logo);
  EXPECT_EQ(w.attachments[1].filename, "message.rpmsg");
  EXPECT_TRUE(formats::mail::rpmsg::has_signature(w.attachments[1].data));
}

}  // namespace
}  // namespace openrms::protect::mail
