#include "openrms/licensing/license.hpp"

#include "issue.hpp"
#include "openrms/crypto/ecies.hpp"
#include "openrms/error.hpp"
#include "xml_util.hpp"

namespace openrms::licensing {
namespace detail {

namespace {
std::string hash_hex(std::string_view msg, const crypto::Backend& be) {
  return crypto::to_hex(be.digest(crypto::HashAlg::sha256, crypto::as_bytes(msg)));
}
// Length-prefixed, so no two field lists encode alike.
void put_field(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
}
}  // namespace

std::string license_binding(const PublishingLicense& pl, const crypto::Backend& be) {
  const std::string issued = format_time(pl.issued_at), issuer = lower(pl.issuer),
                    owner = lower(pl.owner);
  std::string m = "openrms-publishing-license-binding-v2";
  for (const std::string* f :
       {&pl.id, &pl.content_id, &issued, &issuer, &owner, &pl.server_key_id, &pl.license_url,
        &pl.template_id, &pl.template_name, &pl.owner_key_id, &pl.signer_key_id})
    put_field(m, *f);
  return hash_hex(m, be);
}

std::string aad_content_key(std::string_view binding, crypto::ByteView sealed_policy,
                            const crypto::Backend& be) {
  return "openrms-content-key-v2|" + std::string(binding) + "|" +
         hash_hex(std::string_view(reinterpret_cast<const char*>(sealed_policy.data()),
                                   sealed_policy.size()),
                  be);
}
std::string aad_policy(std::string_view binding) {
  return "openrms-policy-v2|" + std::string(binding);
}
std::string aad_owner(std::string_view binding) {
  return "openrms-owner-license-v2|" + std::string(binding);
}
std::string aad_use(std::string_view id, std::string_view user) {
  return "openrms-use-license-v1|" + std::string(id) + "|" + std::string(user);
}

std::string derive_content_id(std::string_view issuer, std::string_view license_id,
                              const crypto::Backend& be) {
  std::string m = "openrms-content-id-v2";
  put_field(m, lower(issuer));
  put_field(m, license_id);
  auto d = be.digest(crypto::HashAlg::sha256, crypto::as_bytes(m));
  return uuid_text(std::span<std::uint8_t>(d.data(), 16));
}

namespace {

// Verifies an envelope signed by an SLC signing key or by a CLC carried in <Chain>.
// Returns the CLC when one signed.
std::optional<Certificate> verify_envelope(const ParsedEnvelope& env, const TrustAnchors& anchors,
                                           const crypto::Backend& be, const XmlLimits& limits,
                                           bool allow_clc) {
  auto msg = signed_bytes(env.kind, env.body);
  const std::string unverified = env.kind + ": the signature does not verify against a trusted key";
  if (!env.chain) {
    const Certificate* slc = anchors.by_signing_key(env.key_id);
    if (!slc || env.alg != signature_alg(slc->suite) ||
        !verify(slc->suite, slc->public_key, crypto::as_bytes(msg), env.signature, be))
      fail(Errc::integrity, unverified);
    return std::nullopt;
  }
  if (!allow_clc) bad(env.kind, "unexpected <Chain>");
  Children cc(env.chain, {"Certificate"});
  std::string clc_xml = xml_string(cc.need("Certificate"));
  Certificate clc = parse_certificate(clc_xml, anchors, be, limits);
  if (clc.type != CertificateType::clc) bad(env.kind, "the chain must hold a CLC");
  if (env.key_id != clc.key_id() || env.alg != signature_alg(clc.suite) ||
      !verify(clc.suite, clc.public_key, crypto::as_bytes(msg), env.signature, be))
    fail(Errc::integrity, unverified);
  return clc;
}

}  // namespace

std::string write_publishing_license(PublishingLicense& pl, const Signer& signer,
                                     const std::string* clc_xml, const crypto::Backend& be) {
  Envelope env("PublishingLicense");
  auto b = env.body;
  add_text(b, "Id", pl.id);
  add_text(b, "ContentId", pl.content_id);
  add_time(b, "IssuedAt", pl.issued_at);
  add_text(b, "Issuer", pl.issuer);
  add_text(b, "Owner", pl.owner);
  auto srv = b.append_child("Server");
  srv.append_attribute("key") = pl.server_key_id.c_str();
  srv.append_attribute("url") = pl.license_url.c_str();
  if (pl.uses_template()) {
    auto t = b.append_child("Template");
    t.append_attribute("id") = pl.template_id.c_str();
    t.append_attribute("name") = pl.template_name.c_str();
  } else {
    add_base64(b, "SealedPolicy", pl.sealed_policy);
  }
  add_base64(b, "SealedContentKey", pl.sealed_content_key);
  if (!pl.owner_key_id.empty()) {
    auto o = add_text(b, "OwnerLicense", crypto::to_base64(pl.owner_sealed_key));
    o.append_attribute("key") = pl.owner_key_id.c_str();
  }
  if (clc_xml) {
    auto chain = env.root.append_child("Chain");
    auto tmp = parse_strict(*clc_xml, XmlLimits{}, "Certificate");
    chain.append_copy(tmp->document_element());
  }
  auto msg = signed_bytes("PublishingLicense", env.body);
  pl.hash = hash_hex(msg, be);
  auto sig = sign(signer.suite, signer.key, crypto::as_bytes(msg), be);
  pl.signer_key_id = signer.key_id;
  pl.xml = env.finish(signature_alg(signer.suite), signer.key_id, sig);
  return pl.xml;
}

std::string write_use_license(UseLicense& ul, const Signer& signer, const crypto::Backend& be) {
  Envelope env("UseLicense");
  auto b = env.body;
  add_text(b, "Id", ul.id);
  add_text(b, "ContentId", ul.content_id);
  add_text(b, "PublishingLicense", ul.publishing_license);
  add_text(b, "User", ul.user);
  add_text(b, "UserKey", ul.user_key_id);
  add_text(b, "Role", to_string(ul.role));
  add_text(b, "Rights", to_string(ul.rights));
  add_time(b, "IssuedAt", ul.issued_at);
  if (ul.valid_until) add_time(b, "ValidUntil", *ul.valid_until);
  if (ul.content_expiry) add_time(b, "ContentExpiry", *ul.content_expiry);
  add_text(b, "Caching", ul.cacheable ? "allowed" : "none");
  add_text(b, "Issuer", ul.issuer);
  add_text(b, "Owner", ul.owner);
  add_base64(b, "SealedContentKey", ul.sealed_content_key);
  for (const auto& [k, v] : ul.app_data) {
    auto a = add_text(b, "AppData", v);
    a.append_attribute("name") = k.c_str();
  }
  auto msg = signed_bytes("UseLicense", env.body);
  auto sig = sign(signer.suite, signer.key, crypto::as_bytes(msg), be);
  ul.signer_key_id = signer.key_id;
  ul.xml = env.finish(signature_alg(signer.suite), signer.key_id, sig);
  return ul.xml;
}

Published build_publishing_license(const std::string& issuer, const std::string& owner,
                                   const PublishRequest& req, const std::string& template_name,
                                   const Certificate& slc, const Certificate* issuer_rac,
                                   const Signer& signer, const std::string* clc_xml, Time now,
                                   const crypto::Backend& be) {
  if (req.policy.has_value() == !req.template_id.empty())
    fail(Errc::invalid_argument, "publish: give either a policy or a template id");
  Published out;
  out.content_key.resize(32);
  be.random(out.content_key);
  PublishingLicense pl;
  pl.id = random_hex(be);
  pl.content_id = derive_content_id(issuer, pl.id, be);
  out.content_id = pl.content_id;
  pl.issued_at = now;
  pl.issuer = issuer;
  pl.owner = owner;
  pl.server_key_id = key_id(slc.sealing_key);
  pl.license_url = slc.license_url;
  pl.signer_key_id = signer.key_id;
  if (issuer_rac) pl.owner_key_id = issuer_rac->key_id();
  if (!req.policy) {
    pl.template_id = req.template_id;
    pl.template_name = template_name;
  }
  const std::string binding = license_binding(pl, be);  // every field but the boxes is set
  if (req.policy) {
    std::string policy = policy_to_xml(*req.policy);
    pl.sealed_policy = crypto::seal_to(be, slc.sealing_key, crypto::as_bytes(policy),
                                       crypto::as_bytes(aad_policy(binding)));
  }
  // Sealed last: the content key's associated data also covers the sealed policy.
  pl.sealed_content_key =
      crypto::seal_to(be, slc.sealing_key, out.content_key,
                      crypto::as_bytes(aad_content_key(binding, pl.sealed_policy, be)));
  if (issuer_rac)
    pl.owner_sealed_key = crypto::seal_to(be, issuer_rac->public_key, out.content_key,
                                          crypto::as_bytes(aad_owner(binding)));
  out.license_xml = write_publishing_license(pl, signer, clc_xml, be);
  out.license_hash = pl.hash;
  return out;
}

}  // namespace detail

using namespace detail;

std::string_view to_string(Role r) noexcept {
  switch (r) {
    case Role::user:
      return "user";
    case Role::owner:
      return "owner";
    case Role::issuer:
      return "issuer";
  }
  return "user";
}

std::string detail::uuid_text(std::span<std::uint8_t> b) {
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  std::string h = crypto::to_hex(crypto::ByteView(b.data(), 16));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string new_content_id(const crypto::Backend& be) {
  auto b = be.random_bytes(16);
  return uuid_text(b);
}

PublishingLicense parse_publishing_license(std::string_view xml, const TrustAnchors& anchors,
                                           const crypto::Backend& be, const XmlLimits& limits) {
  auto env = parse_envelope(xml, "PublishingLicense", limits);
  auto clc = verify_envelope(env, anchors, be, limits, true);
  PublishingLicense pl;
  Children c(env.body, {"Id", "ContentId", "IssuedAt", "Issuer", "Owner", "Server", "Template",
                        "SealedPolicy", "SealedContentKey", "OwnerLicense"});
  pl.id = text(c.need("Id"));
  pl.content_id = text(c.need("ContentId"));
  pl.issued_at = need_time(c, "IssuedAt");
  pl.issuer = text(c.need("Issuer"));
  pl.owner = text(c.need("Owner"));
  auto srv = c.need("Server");
  only_attributes(srv, {"key", "url"});
  pl.server_key_id = need_attr(srv, "key");
  pl.license_url = srv.attribute("url").value();
  auto tpl = c.opt("Template");
  if (tpl.empty() == c.opt("SealedPolicy").empty())
    bad("PublishingLicense", "needs exactly one of <Template> and <SealedPolicy>");
  if (tpl) {
    only_attributes(tpl, {"id", "name"});
    pl.template_id = need_attr(tpl, "id");
    pl.template_name = tpl.attribute("name").value();
    if (pl.template_id.empty()) bad("PublishingLicense", "empty template id");
  } else {
    pl.sealed_policy = need_base64(c, "SealedPolicy");
  }
  pl.sealed_content_key = need_base64(c, "SealedContentKey");
  if (auto o = c.opt("OwnerLicense")) {
    only_attributes(o, {"key"});
    pl.owner_key_id = need_attr(o, "key");
    pl.owner_sealed_key = need_base64(c, "OwnerLicense");
  }
  if (clc) {
    if (clc->subject != lower(pl.issuer))
      fail(Errc::integrity, "PublishingLicense: signed by another user's CLC");
    if (!clc->valid_at(pl.issued_at))
      fail(Errc::expired, "PublishingLicense: published outside its CLC's validity");
  }
  pl.signer_key_id = env.key_id;
  if (pl.content_id != derive_content_id(pl.issuer, pl.id, be))
    fail(Errc::integrity,
         "PublishingLicense: the content id does not belong to its issuer (forged, or written "
         "by an openrms release before content ids were bound to their issuer)");
  pl.clc = std::move(clc);
  pl.hash = hash_hex(signed_bytes("PublishingLicense", env.body), be);
  pl.xml = std::string(xml);
  return pl;
}

UseLicense parse_use_license(std::string_view xml, const TrustAnchors& anchors,
                             const crypto::Backend& be, const XmlLimits& limits) {
  auto env = parse_envelope(xml, "UseLicense", limits);
  verify_envelope(env, anchors, be, limits, false);
  UseLicense ul;
  Children c(
      env.body,
      {"Id", "ContentId", "PublishingLicense", "User", "UserKey", "Role", "Rights", "IssuedAt",
       "ValidUntil", "ContentExpiry", "Caching", "Issuer", "Owner", "SealedContentKey"},
      {"AppData"});
  ul.id = text(c.need("Id"));
  ul.content_id = text(c.need("ContentId"));
  ul.publishing_license = text(c.need("PublishingLicense"));
  ul.user = text(c.need("User"));
  ul.user_key_id = text(c.need("UserKey"));
  std::string role = text(c.need("Role"));
  if (role == "user")
    ul.role = Role::user;
  else if (role == "owner")
    ul.role = Role::owner;
  else if (role == "issuer")
    ul.role = Role::issuer;
  else
    bad("UseLicense", "unknown role");
  try {
    ul.rights = parse_rights(text(c.need("Rights")));
  } catch (const Error&) {
    bad("UseLicense", "unknown right");
  }
  ul.issued_at = need_time(c, "IssuedAt");
  ul.valid_until = opt_time(c, "ValidUntil");
  ul.content_expiry = opt_time(c, "ContentExpiry");
  std::string caching = text(c.need("Caching"));
  if (caching != "allowed" && caching != "none") bad("UseLicense", "bad <Caching>");
  ul.cacheable = caching == "allowed";
  ul.issuer = text(c.need("Issuer"));
  ul.owner = text(c.need("Owner"));
  ul.sealed_content_key = need_base64(c, "SealedContentKey");
  for (auto a : c.all("AppData")) {
    only_attributes(a, {"name"});
    ul.app_data.emplace_back(need_attr(a, "name"), text(a));
  }
  ul.signer_key_id = env.key_id;
  ul.xml = std::string(xml);
  return ul;
}

namespace {
void check_rac(const Certificate& rac, const Clock& clock) {
  if (rac.type != CertificateType::rac)
    fail(Errc::invalid_argument, "a RAC is needed to open protected content");
  const Time now = clock.now();
  if (now < rac.valid_from)
    fail(Errc::rac_expired, "your rights account certificate (RAC) for " + rac.subject +
                                " is not valid yet (valid from " + format_time(rac.valid_from) +
                                ", and this computer's clock says " + format_time(now) +
                                "): check the clock");
  if (!rac.valid_at(now))
    fail(Errc::rac_expired, "your rights account certificate (RAC) for " + rac.subject +
                                " expired on " + format_time(rac.valid_until) + ": renew it");
}
}  // namespace

Decision evaluate(const UseLicense& ul, const Certificate& rac, const crypto::PrivateKey& rac_key,
                  const Clock& clock, const crypto::Backend& be) {
  check_rac(rac, clock);
  if (lower(ul.user) != rac.subject || ul.user_key_id != rac.key_id())
    fail(Errc::no_right, "this use license was issued to another user or key");
  Time now = clock.now();
  bool privileged = ul.role != Role::user;
  if (!privileged) {
    if (ul.content_expiry && now >= *ul.content_expiry)
      fail(Errc::expired, "the content expired at " + format_time(*ul.content_expiry));
    if (!ul.cacheable && now >= ul.issued_at + kNoCacheWindow)
      fail(Errc::license_expired,
           "this content's policy allows no offline access: acquire a new use license");
    if (ul.valid_until && now >= *ul.valid_until)
      fail(Errc::license_expired, "the use license's offline validity ended at " +
                                      format_time(*ul.valid_until) + ": acquire a new one");
  }
  Decision d;
  d.content_id = ul.content_id;
  d.user = rac.subject;
  d.role = ul.role;
  d.rights = privileged ? Rights::all() : ul.rights.effective();
  if (d.rights.empty()) fail(Errc::no_right, "the use license grants no rights");
  if (key_id(rac_key.public_key()) != rac.key_id())
    fail(Errc::invalid_argument, "the private key does not belong to this RAC");
  d.content_key = crypto::open_sealed(be, rac_key, ul.sealed_content_key,
                                      crypto::as_bytes(aad_use(ul.content_id, lower(ul.user))));
  d.content_expiry = ul.content_expiry;
  d.valid_until = ul.valid_until;
  d.cacheable = ul.cacheable;
  return d;
}

Decision open_as_issuer(const PublishingLicense& pl, const Certificate& rac,
                        const crypto::PrivateKey& rac_key, const Clock& clock,
                        const crypto::Backend& be) {
  check_rac(rac, clock);
  if (pl.owner_key_id.empty() || pl.owner_key_id != rac.key_id() || lower(pl.issuer) != rac.subject)
    fail(Errc::no_right, "only the issuer opens content with its owner license");
  if (key_id(rac_key.public_key()) != rac.key_id())
    fail(Errc::invalid_argument, "the private key does not belong to this RAC");
  Decision d;
  d.content_id = pl.content_id;
  d.user = rac.subject;
  d.role = Role::issuer;
  d.rights = Rights::all();
  d.content_key = crypto::open_sealed(be, rac_key, pl.owner_sealed_key,
                                      crypto::as_bytes(aad_owner(license_binding(pl, be))));
  return d;
}

Published publish_offline(const Certificate& clc, const Certificate& rac,
                          const crypto::PrivateKey& rac_key, const TrustAnchors& anchors,
                          const PublishRequest& request, const Clock& clock,
                          const crypto::Backend& be) {
  if (clc.type != CertificateType::clc) fail(Errc::invalid_argument, "not a CLC");
  check_rac(rac, clock);
  if (clc.rac_key_id != rac.key_id() || clc.subject != rac.subject)
    fail(Errc::invalid_argument, "the CLC belongs to another RAC");
  Time now = clock.now();
  if (!clc.valid_at(now))
    fail(Errc::expired, "the client licensor certificate (CLC) is not valid now: get a new one");
  const Certificate* slc = anchors.current();
  if (!slc) fail(Errc::invalid_argument, "no server certificate to publish to");
  auto der = crypto::open_sealed(be, rac_key, clc.sealed_private_key,
                                 crypto::as_bytes("openrms-clc-key-v1|" + clc.serial));
  Signer signer{clc.suite, be.load_private_key(der), clc.key_id()};
  std::string owner =
      request.owner.empty()
          ? (request.policy && !request.policy->owner.empty() ? request.policy->owner : rac.subject)
          : lower(request.owner);
  return build_publishing_license(rac.subject, owner, request, "", *slc, &rac, signer, &clc.xml,
                                  now, be);
}

}  // namespace openrms::licensing
