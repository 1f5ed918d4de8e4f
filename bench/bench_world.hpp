// What the licensing benchmarks share: alice publishes one license that makes bob an Editor,
// on a server that is already activated, and bob acquires it once (the caches are then warm).
#pragma once

#include <string>

#include "openrms/licensing/server.hpp"

namespace openrms::bench {

struct Scenario {
  licensing::RacGrant alice, bob;
  licensing::Published pub;
  std::string use_license;

  explicit Scenario(licensing::LicenseServer& server) {
    using namespace licensing;
    alice = server.enroll({"alice@contoso.com"});
    bob = server.enroll({"bob@contoso.com"});
    PublishRequest r;
    Policy p;
    p.grants.push_back(parse_grant("bob@contoso.com:Editor"));
    r.policy = p;
    pub = server.publish({"alice@contoso.com"}, r, alice.rac_xml);
    use_license = server.acquire({"bob@contoso.com"}, pub.license_xml, bob.rac_xml);
  }
};

}  // namespace openrms::bench
