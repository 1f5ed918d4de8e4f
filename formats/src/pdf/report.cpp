// What `pdf info` (the command, the C API and the Python package) reports, in one place.
#include <nlohmann/json.hpp>

#include "openrms/formats/pdf/pdf_crypto.hpp"

namespace openrms::formats::pdf {

namespace {

std::string algorithm_of(const Description& d) {
  return d.stream_method == "RC4"     ? "RC4-" + std::to_string(d.key_bits)
         : d.stream_method == "AESV2" ? std::string("AES-128")
         : d.stream_method == "AESV3" ? std::string("AES-256")
                                      : d.stream_method;
}

void add_standard(nlohmann::ordered_json& j, const Description& d, bool password_given) {
  j["revision"] = d.r;
  j["version_v"] = d.v;
  j["algorithm"] = algorithm_of(d);
  j["key_bits"] = d.key_bits;
  j["streams"] = d.stream_method;
  j["strings"] = d.string_method;
  j["embedded_files"] = d.embedded_file_method;
  j["encrypt_metadata"] = d.encrypt_metadata;
  j["permissions"] = d.permissions;
  j["permits"] = describe_permissions(d.flags);
  j["password_matched"] = to_string(d.matched);
  if (!password_given) j["opens_without_password"] = d.matched == PasswordMatch::user;
}

void add_pubsec(nlohmann::ordered_json& j, const Description& d, bool key_given) {
  j["sub_filter"] = d.sub_filter;
  j["version_v"] = d.v;
  j["algorithm"] = algorithm_of(d);
  j["key_bits"] = d.key_bits;
  j["encrypt_metadata"] = d.encrypt_metadata;
  auto& recipients = j["recipients"] = nlohmann::ordered_json::array();
  for (const auto& r : d.recipients) {
    nlohmann::ordered_json one;
    one["kind"] = r.kind;
    if (!r.issuer.empty()) one["issuer"] = r.issuer;
    if (!r.serial_hex.empty()) one["serial"] = r.serial_hex;
    if (!r.key_id_hex.empty()) one["key_id"] = r.key_id_hex;
    recipients.push_back(std::move(one));
  }
  if (!key_given) return;
  j["key_opens_it"] = d.matched == PasswordMatch::recipient;
  if (d.matched != PasswordMatch::recipient) return;
  j["permissions"] = d.permissions;
  j["permits"] = describe_permissions(d.flags);
}

}  // namespace

std::string describe_permissions(const PermissionFlags& f) {
  std::string s;
  auto add = [&s](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ",";
    s += name;
  };
  add(f.print, "print");
  add(f.print_high_quality, "print-high");
  add(f.modify, "modify");
  add(f.copy, "copy");
  add(f.annotate, "annotate");
  add(f.fill_forms, "fill-forms");
  add(f.accessibility, "accessibility");
  add(f.assemble, "assemble");
  return s.empty() ? "none" : s;
}

std::string describe_json(const ByteSource& pdf, std::optional<std::string_view> password,
                          const crypto::RecipientKey* key) {
  const Description d = describe(pdf, password, key);
  nlohmann::ordered_json j;
  j["version"] = d.version;
  j["encrypted"] = d.encrypted;
  if (d.encrypted) {
    j["filter"] = d.filter;
    if (d.filter == "Standard") add_standard(j, d, password.has_value());
    if (d.filter == "Adobe.PubSec") add_pubsec(j, d, key != nullptr);
  }
  j["xref_stream"] = d.xref_stream;
  j["repaired"] = d.repaired;
  j["objects"] = d.objects;
  return j.dump();
}

}  // namespace openrms::formats::pdf
