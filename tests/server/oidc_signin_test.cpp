// The portal's OpenID relying party (oidc_signin.hpp) without a provider: the PKCE challenge
// against RFC 7636's own example, the options it refuses, and how it behaves when the provider
// cannot be reached. The whole flow against a provider is portal_signin_test.py.
#include "openrms/server/oidc_signin.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>

#include "openrms/error.hpp"

using namespace openrms;
using server::OidcOptions;
using server::OidcSignIn;

namespace {

OidcOptions good() {
  OidcOptions o;
  o.issuer = "https://127.0.0.1:1";  // nothing listens on port 1: refused at once
  o.client_id = "portal";
  o.redirect_uri = "https://portal.test/portal/oidc/callback";
  return o;
}

// The error a call fails with; nullopt if it succeeds.
std::optional<Errc> code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return std::nullopt;
}

}  // namespace

TEST(OidcSignIn, ChallengeIsRfc7636AppendixB) {
  EXPECT_EQ(OidcSignIn::s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(OidcSignIn, RefusesOptionsThatWouldLeakTheFlow) {
  auto with = [](auto change) {
    OidcOptions o = good();
    change(o);
    return code_of([&] { OidcSignIn s(std::move(o)); });
  };
  EXPECT_EQ(with([](OidcOptions&) {}), std::nullopt);
  EXPECT_EQ(with([](OidcOptions& o) { o.issuer = "http://login.test"; }), Errc::invalid_argument);
  EXPECT_EQ(with([](OidcOptions& o) { o.client_id.clear(); }), Errc::invalid_argument);
  EXPECT_EQ(with([](OidcOptions& o) { o.redirect_uri = "http://portal.test/cb"; }),
            Errc::invalid_argument);
}

// Construction does no I/O (a provider that is down does not stop the service); a failed
// discovery is retried at most once a minute, so a burst of sign-ins does not hammer it.
TEST(OidcSignIn, AnUnreachableProviderIsUnavailableAndNotHammered) {
  OidcSignIn s(good());
  EXPECT_EQ(code_of([&] { (void)s.authorization_url("s", "n", "v"); }), Errc::unavailable);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(code_of([&] { (void)s.redeem("code", "v", "n"); }), Errc::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200));
}
