// A license server on a test store (test_store.hpp) with a manual clock, and enrolled users.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "openrms/error.hpp"
#include "openrms/licensing/server.hpp"
#include "test_store.hpp"

namespace openrms::licensing::testing {

inline Time t0() {
  return *parse_time("2026-11-23T09:00:00Z");
}

struct User {
  std::string email;
  RacGrant grant;
  Identity id() const { return {email}; }
};

class LicensingFixture : public ::testing::Test {
 protected:
  explicit LicensingFixture(Suite suite = Suite::ecdsa_p256) : clock(t0()) {
    store = make_test_store(crypto::SecureBytes(32, 7));
    ServerOptions o;
    o.clock = &clock;
    o.directory = &directory;
    o.suite = suite;
    server = std::make_unique<LicenseServer>(*store, o);
    server->activate();
  }

  User& user(const std::string& email) {
    auto it = users.find(email);
    if (it != users.end()) return it->second;
    User u{email, server->enroll({email})};
    return users.emplace(email, std::move(u)).first->second;
  }

  /// Acquires and evaluates as `u`; returns the decision.
  Decision open(User& u, const std::string& pl_xml) {
    auto ul_xml = server->acquire(u.id(), pl_xml, u.grant.rac_xml);
    auto ul = parse_use_license(ul_xml, server->anchors());
    auto rac = parse_certificate(u.grant.rac_xml, server->anchors());
    return evaluate(ul, rac, u.grant.private_key, clock);
  }

  /// The error code of `f`, or nullopt if it succeeded.
  template <class F>
  static std::optional<Errc> code_of(F&& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.code();
    }
    return std::nullopt;
  }

  ManualClock clock;
  MemoryDirectory directory;
  std::unique_ptr<Store> store;  ///< SQLite in memory, or PostgreSQL (test_store.hpp)
  std::unique_ptr<LicenseServer> server;
  std::map<std::string, User> users;
};

}  // namespace openrms::licensing::testing
