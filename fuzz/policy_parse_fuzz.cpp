// Policy parsers (openrms/licensing/policy.hpp, rights.hpp): <Policy> XML and the text forms of
// grants, rights, expiry and offline settings. Any bytes fail with openrms::Error or parse; a
// parsed policy written back as XML parses to the same policy (else abort).
// First byte: 0 = Policy XML, 1 = grant, 2 = rights list, 3 = expiry, 4 = offline, 5 = principal.
#include <cstdlib>

#include "openrms/error.hpp"
#include "openrms/licensing/policy.hpp"

using namespace openrms;
using namespace openrms::licensing;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 200000) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 6) {
      case 0: {
        Policy p = policy_from_xml(text);
        if (!(policy_from_xml(policy_to_xml(p)) == p)) std::abort();
        (void)lint(p, Time{});
        break;
      }
      case 1: {
        Grant g = parse_grant(text);
        if (!(parse_grant(g.who.to_string() + ":" + to_string(g.rights)) == g)) std::abort();
        break;
      }
      case 2: {
        Rights r = parse_rights(text);
        if (!(parse_rights(to_string(r)) == r)) std::abort();
        break;
      }
      case 3: {
        auto e = parse_expiry(text);
        if (!(parse_expiry(to_string(e)) == e)) std::abort();
        break;
      }
      case 4: {
        auto o = parse_offline(text);
        if (!(parse_offline(to_string(o)) == o)) std::abort();
        break;
      }
      default: {
        auto p = Principal::parse(text);
        if (!(Principal::parse(p.to_string()) == p)) std::abort();
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
