// License and certificate XML (openrms/licensing/canonical_xml.hpp, license.hpp): any bytes
// fail with an openrms::Error or parse; never a crash, hang or unbounded allocation.
// To reach the field readers behind the signature check, the target re-signs the fuzzed <Body>
// with a server key made at start-up (the anchors trust it) and parses the result as the
// document kind the root names. The first byte picks: bit 0 = re-sign, bit 1 = also canonical.
#include <cstdlib>
#include <memory>

#include "openrms/error.hpp"
#include "openrms/licensing/license.hpp"
#include "openrms/licensing/server.hpp"
#include "xml_util.hpp"

using namespace openrms;
using namespace openrms::licensing;

namespace {

struct World {
  SqliteStore store{":memory:", crypto::SecureBytes(32, 1)};
  LicenseServer server{store};
  crypto::PrivateKey key;
  std::string key_id;
  World() {
    server.activate();
    auto gens = store.generations();
    key = crypto::default_backend().load_private_key(gens.at(0).signing_key_pkcs8);
    key_id = licensing::key_id(key.public_key());
  }
};

World& world() {
  static World w;
  return w;
}

void parse_as(std::string_view kind, std::string_view text, const TrustAnchors& anchors) {
  if (kind == "Certificate") {
    if (text.find("<Type>SLC</Type>") != std::string_view::npos) {
      TrustAnchors fresh;
      fresh.add(text);
    } else {
      parse_certificate(text, anchors);
    }
  } else if (kind == "PublishingLicense") {
    parse_publishing_license(text, anchors);
  } else if (kind == "UseLicense") {
    parse_use_license(text, anchors);
  } else if (kind == "Policy") {
    policy_from_xml(text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 200000) return 0;
  World& w = world();
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool resign = data[0] & 1;
  try {
    if (data[0] & 2) (void)canonical_xml(text);
    auto doc = detail::parse_strict(text, XmlLimits{}, "fuzz");
    std::string kind = doc->document_element().name();
    parse_as(kind, text, w.server.anchors());
    if (!resign) return 0;
    auto root = doc->document_element();
    auto body = root.child("Body");
    if (!body) return 0;
    while (auto s = root.child("Signature")) root.remove_child(s);
    auto msg = detail::signed_bytes(kind, body);
    auto sig = sign(Suite::ecdsa_p256, w.key, crypto::as_bytes(msg), crypto::default_backend());
    auto s = detail::add_text(root, "Signature", crypto::to_base64(sig));
    s.append_attribute("alg") = "ecdsa-p256-sha256";
    s.append_attribute("key") = w.key_id.c_str();
    std::string signed_text = detail::xml_string(doc->document_element());
    parse_as(kind, signed_text, w.server.anchors());
  } catch (const Error&) {
  }
  return 0;
}
