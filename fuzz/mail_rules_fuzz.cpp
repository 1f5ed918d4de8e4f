// Mail flow rules target: rules_from_json() must accept or throw openrms::Error (never crash or
// let a JSON exception escape); accepted rules must survive a round trip unchanged.
#include <cstdlib>

#include "openrms/error.hpp"
#include "openrms/protect/mail_rules.hpp"

using namespace openrms::protect::mail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto rules = rules_from_json(text);
    if (rules_from_json(rules_to_json(rules)) != rules) std::abort();
  } catch (const openrms::Error&) {
  }
  return 0;
}
