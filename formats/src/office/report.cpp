// What `office info` (the command, the C API and the Python package) reports, in one place.
#include <nlohmann/json.hpp>

#include "openrms/formats/office/office_crypto.hpp"

namespace openrms::formats::office {

std::string describe_json(const ByteSource& source) {
  const Detection d = detect(source);
  nlohmann::ordered_json j;
  j["container"] = to_string(d.container);
  j["application"] = d.application;
  j["encryption"] = to_string(d.scheme);
  const bool ecma = d.scheme == Scheme::agile || d.scheme == Scheme::standard;
  if (d.container != Container::ooxml_encrypted || !ecma) return j.dump();
  const EncryptionDescription e = describe(source);
  j["version"] = std::to_string(e.version_major) + "." + std::to_string(e.version_minor);
  j["cipher"] = e.cipher + "-" + std::to_string(e.key_bits);
  j["chaining"] = e.chaining;
  j["hash"] = e.hash;
  j["salt_size"] = e.salt_size;
  if (e.scheme == Scheme::agile) j["data_integrity"] = e.data_integrity;
  if (!e.csp_name.empty()) j["csp"] = e.csp_name;
  auto& encryptors = j["key_encryptors"] = nlohmann::ordered_json::array();
  for (const auto& k : e.key_encryptors) {
    nlohmann::ordered_json one;
    one["kind"] = k.kind;
    if (k.kind == "password") {
      one["cipher"] = k.cipher + "-" + std::to_string(k.key_bits);
      one["hash"] = k.hash;
      one["spin_count"] = k.spin_count;
    }
    encryptors.push_back(std::move(one));
  }
  j["package_size"] = e.package_size;
  j["compound_file_version"] = e.cfb_version;
  return j.dump();
}

}  // namespace openrms::formats::office
