#include "openrms/licensing/certificate.hpp"

#include <charconv>

#include "issue.hpp"
#include "openrms/error.hpp"
#include "xml_util.hpp"

namespace openrms::licensing {
namespace detail {

std::string random_hex(const crypto::Backend& be, std::size_t bytes) {
  return crypto::to_hex(be.random_bytes(bytes));
}

std::string write_certificate(const Certificate& c, const Signer& signer,
                              const crypto::Backend& be) {
  Envelope env("Certificate");
  auto b = env.body;
  add_text(b, "Type", to_string(c.type));
  add_text(b, "Serial", c.serial);
  add_text(b, "Suite", to_string(c.suite));
  add_text(b, "Subject", c.subject);
  add_time(b, "IssuedAt", c.issued_at);
  add_time(b, "ValidFrom", c.valid_from);
  add_time(b, "ValidUntil", c.valid_until);
  add_base64(b, "PublicKey", c.public_key.spki_der());
  if (c.type == CertificateType::slc) {
    add_base64(b, "SealingKey", c.sealing_key.spki_der());
    add_text(b, "Generation", std::to_string(c.generation));
    add_text(b, "LicenseUrl", c.license_url);
  }
  if (c.type == CertificateType::clc) {
    add_text(b, "RacKey", c.rac_key_id);
    add_base64(b, "SealedPrivateKey", c.sealed_private_key);
  }
  auto msg = signed_bytes("Certificate", env.body);
  auto sig = sign(signer.suite, signer.key, crypto::as_bytes(msg), be);
  return env.finish(signature_alg(signer.suite), signer.key_id, sig);
}

namespace {

crypto::PublicKey read_key(const Children& c, std::string_view name, const crypto::Backend& be) {
  Bytes der = need_base64(c, name);
  try {
    return be.load_public_key(der);
  } catch (const Error&) {
    bad(name, "not a valid public key");
  }
}

// Reads the body of a verified certificate.
Certificate read_body(pugi::xml_node body, const crypto::Backend& be) {
  Children c(body,
             {"Type", "Serial", "Suite", "Subject", "IssuedAt", "ValidFrom", "ValidUntil",
              "PublicKey", "SealingKey", "Generation", "LicenseUrl", "RacKey", "SealedPrivateKey"});
  Certificate cert;
  std::string type = text(c.need("Type"));
  if (type == "SLC")
    cert.type = CertificateType::slc;
  else if (type == "RAC")
    cert.type = CertificateType::rac;
  else if (type == "CLC")
    cert.type = CertificateType::clc;
  else
    bad("Certificate", "unknown type");
  cert.serial = text(c.need("Serial"));
  auto suite = parse_suite(text(c.need("Suite")));
  if (!suite) fail(Errc::unsupported, "Certificate: unknown key suite");
  cert.suite = *suite;
  cert.subject = text(c.need("Subject"));
  cert.issued_at = need_time(c, "IssuedAt");
  cert.valid_from = need_time(c, "ValidFrom");
  cert.valid_until = need_time(c, "ValidUntil");
  if (cert.valid_until <= cert.valid_from) bad("Certificate", "validity ends before it starts");
  cert.public_key = read_key(c, "PublicKey", be);
  if (suite_of(cert.public_key) != cert.suite) bad("Certificate", "key does not match its suite");
  bool slc = cert.type == CertificateType::slc, clc = cert.type == CertificateType::clc;
  for (auto name : {"SealingKey", "Generation", "LicenseUrl"})
    if (!slc && c.opt(name)) bad("Certificate", std::string(name) + " belongs to an SLC");
  for (auto name : {"RacKey", "SealedPrivateKey"})
    if (!clc && c.opt(name)) bad("Certificate", std::string(name) + " belongs to a CLC");
  if (slc) {
    cert.sealing_key = read_key(c, "SealingKey", be);
    if (suite_of(cert.sealing_key) != cert.suite) bad("Certificate", "sealing key suite");
    std::string g = text(c.need("Generation"));
    auto [p, ec] = std::from_chars(g.data(), g.data() + g.size(), cert.generation);
    if (ec != std::errc() || p != g.data() + g.size() || cert.generation == 0)
      bad("Certificate", "bad generation");
    cert.license_url = text(c.need("LicenseUrl"));
  }
  if (clc) {
    cert.rac_key_id = text(c.need("RacKey"));
    cert.sealed_private_key = need_base64(c, "SealedPrivateKey");
  }
  return cert;
}

}  // namespace
}  // namespace detail

std::string_view to_string(CertificateType t) noexcept {
  switch (t) {
    case CertificateType::slc:
      return "SLC";
    case CertificateType::rac:
      return "RAC";
    case CertificateType::clc:
      return "CLC";
  }
  return "";
}

const Certificate& TrustAnchors::add(std::string_view xml, const crypto::Backend& be) {
  auto env = detail::parse_envelope(xml, "Certificate", XmlLimits{});
  // The key that must verify is the one inside the body: read just that (and the suite), verify,
  // then read the whole body strictly.
  if (detail::text(env.body.child("Type")) != "SLC")
    fail(Errc::invalid_argument, "a trust anchor must be an SLC");
  auto suite = parse_suite(detail::text(env.body.child("Suite")));
  if (!suite) fail(Errc::unsupported, "Certificate: unknown key suite");
  crypto::PublicKey key;
  try {
    key = be.load_public_key(crypto::from_base64(detail::text(env.body.child("PublicKey"))));
  } catch (const Error&) {
    detail::bad("Certificate", "not a valid public key");
  }
  auto msg = detail::signed_bytes("Certificate", env.body);
  if (env.alg != signature_alg(*suite) || env.key_id != key_id(key) ||
      !verify(*suite, key, crypto::as_bytes(msg), env.signature, be))
    fail(Errc::integrity, "Certificate: the signature does not verify");
  Certificate cert = detail::read_body(env.body, be);
  cert.issuer_key_id = env.key_id;
  cert.xml = std::string(xml);
  for (auto& existing : slcs_)
    if (existing.key_id() == cert.key_id()) return existing;
  slcs_.push_back(std::move(cert));
  return slcs_.back();
}

const Certificate* TrustAnchors::by_signing_key(std::string_view id) const noexcept {
  for (const auto& c : slcs_)
    if (c.key_id() == id) return &c;
  return nullptr;
}

const Certificate* TrustAnchors::by_sealing_key(std::string_view id) const noexcept {
  for (const auto& c : slcs_)
    if (key_id(c.sealing_key) == id) return &c;
  return nullptr;
}

const Certificate* TrustAnchors::current() const noexcept {
  const Certificate* best = nullptr;
  for (const auto& c : slcs_)
    if (!best || c.generation > best->generation) best = &c;
  return best;
}

Certificate parse_certificate(std::string_view xml, const TrustAnchors& anchors,
                              const crypto::Backend& be, const XmlLimits& limits) {
  auto env = detail::parse_envelope(xml, "Certificate", limits);
  const Certificate* slc = anchors.by_signing_key(env.key_id);
  auto msg = detail::signed_bytes("Certificate", env.body);
  if (!slc || env.alg != signature_alg(slc->suite) ||
      !verify(slc->suite, slc->public_key, crypto::as_bytes(msg), env.signature, be))
    fail(Errc::integrity,
         "Certificate: the signature does not verify against a trusted server key");
  Certificate cert = detail::read_body(env.body, be);
  if (cert.type == CertificateType::slc)
    fail(Errc::bad_format, "Certificate: an SLC is added to the trust anchors, not parsed here");
  cert.issuer_key_id = env.key_id;
  cert.xml = std::string(xml);
  return cert;
}

}  // namespace openrms::licensing
