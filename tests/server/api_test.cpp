// The licensing service's JSON API, in process: what a remote client does (enrol with its own
// key, acquire, evaluate offline), the error mapping, and the OpenAPI document against the
// route table.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "licensing_fixture.hpp"
#include "openrms/server/api.hpp"

using namespace openrms;
using namespace openrms::licensing;
using namespace openrms::licensing::testing;
using json = nlohmann::json;

namespace {

class ApiTest : public LicensingFixture {
 protected:
  server::Api api{*server};
  server::Response call(const std::string& method, const std::string& target,
                        const json& body = json(), std::optional<std::string> who = {}) {
    server::Request r{method, target, body.is_null() ? std::string() : body.dump()};
    return api.handle(
        r, who ? std::optional<server::Caller>(server::Caller{*who, false}) : std::nullopt);
  }
  static json parsed(const server::Response& r) { return json::parse(r.body); }
};

TEST_F(ApiTest, AClientEnrolsWithItsOwnKeyAcquiresAndEvaluatesOffline) {
  // Discovery needs no caller and gives the anchors a client trusts.
  auto d = call("GET", "/v1/discovery");
  ASSERT_EQ(d.status, 200);
  TrustAnchors client;
  const json disc = parsed(d);
  for (const auto& x : disc["slcs"]) client.add(x.get<std::string>());
  // bob makes his key pair; only the public key travels.
  const auto& be = crypto::default_backend();
  auto bob_key = be.generate_key(crypto::KeyType::ec_p256);
  auto e = call("POST", "/v1/racs", {{"public_key", bob_key.public_key().spki_pem()}},
                "bob@contoso.com");
  ASSERT_EQ(e.status, 200) << e.body;
  const std::string rac_xml = parsed(e)["rac"];
  ASSERT_EQ(client.all().size(), 1u);
  auto rac = parse_certificate(rac_xml, client);
  EXPECT_EQ(rac.subject, "bob@contoso.com");
  EXPECT_EQ(rac.key_id(), key_id(bob_key.public_key()));
  // alice publishes (in process); bob acquires through the API and opens offline.
  User& alice = user("alice@contoso.com");
  PublishRequest req;
  Policy p;
  p.grants.push_back(parse_grant("bob@contoso.com:VIEW"));
  req.policy = p;
  auto pub = server->publish(alice.id(), req, alice.grant.rac_xml);
  auto a = call("POST", "/v1/acquire", {{"publishing_license", pub.license_xml}, {"rac", rac_xml}},
                "bob@contoso.com");
  ASSERT_EQ(a.status, 200) << a.body;
  auto ul = parse_use_license(parsed(a)["use_license"].get<std::string>(), client);
  EXPECT_EQ(evaluate(ul, rac, bob_key, clock).content_key, pub.content_key);
  // eve with bob's RAC, or with her own, gets 403 and a problem document.
  auto eve = call("POST", "/v1/acquire",
                  {{"publishing_license", pub.license_xml}, {"rac", rac_xml}}, "eve@contoso.com");
  EXPECT_EQ(eve.status, 403);
  EXPECT_EQ(eve.content_type, "application/problem+json");
  EXPECT_EQ(parsed(eve)["code"], "no_right");
  // Tracking and revocation: the issuer only.
  EXPECT_EQ(call("GET", "/v1/track/" + pub.content_id, {}, "bob@contoso.com").status, 403);
  auto t = call("GET", "/v1/track/" + pub.content_id, {}, "alice@contoso.com");
  ASSERT_EQ(t.status, 200);
  const json log = parsed(t);
  ASSERT_EQ(log.size(), 1u);  // eve never got past the RAC check (bob's RAC is not hers)
  EXPECT_EQ(log[0]["user"], "bob@contoso.com");
  EXPECT_EQ(log[0]["outcome"], "granted");
  EXPECT_EQ(call("POST", "/v1/revoke", {{"content_id", pub.content_id}}, "bob@contoso.com").status,
            403);
  EXPECT_EQ(
      call("POST", "/v1/revoke", {{"content_id", pub.content_id}}, "alice@contoso.com").status,
      204);
  auto after = call("POST", "/v1/acquire",
                    {{"publishing_license", pub.license_xml}, {"rac", rac_xml}}, "bob@contoso.com");
  EXPECT_EQ(after.status, 403);
  EXPECT_EQ(parsed(after)["code"], "revoked");
}

TEST_F(ApiTest, RequestsThatCannotBeServedGetTheRightStatus) {
  EXPECT_EQ(call("POST", "/v1/acquire", {{"publishing_license", "x"}, {"rac", "y"}}).status, 401);
  EXPECT_EQ(call("GET", "/v1/nowhere").status, 404);
  // Bytes that are not UTF-8 in a path are quoted in the problem document, replaced (the fuzz
  // target's first find: the JSON writer threw on them).
  auto odd = call("GET", "/v1/\xff\xfe");
  EXPECT_EQ(odd.status, 404);
  EXPECT_NO_THROW(parsed(odd));
  EXPECT_EQ(call("GET", "/v1/acquire", {}, "bob@contoso.com").status, 405);
  server::Request bad{"POST", "/v1/acquire", "{not json"};
  auto r = api.handle(bad, server::Caller{"bob@contoso.com", false});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parsed(r)["code"], "bad_format");
  EXPECT_EQ(call("POST", "/v1/acquire", {{"rac", 5}}, "bob@contoso.com").status, 400);
  EXPECT_EQ(call("POST", "/v1/acquire", json::array(), "bob@contoso.com").status, 400);
  server::Request huge{"POST", "/v1/acquire", std::string(server::kMaxBody + 1, ' ')};
  EXPECT_EQ(api.handle(huge, server::Caller{"bob@contoso.com", false}).status, 413);
  // A forged publishing license is 422 (integrity), a junk one 400.
  User& alice = user("alice@contoso.com");
  PublishRequest req;
  req.policy = Policy{};
  auto pub = server->publish(alice.id(), req);
  std::string forged = pub.license_xml;
  forged.replace(forged.find("<Owner>") + 7, 5, "mallo");
  auto f =
      call("POST", "/v1/acquire", {{"publishing_license", forged}, {"rac", alice.grant.rac_xml}},
           "alice@contoso.com");
  EXPECT_EQ(f.status, 422) << f.body;
  EXPECT_EQ(call("GET", "/v1/templates/none", {}, "bob@contoso.com").status, 404);
  EXPECT_EQ(server::http_status(Errc::internal), 500);
}

TEST_F(ApiTest, TheOpenApiDocumentListsExactlyTheRoutes) {
  auto r = call("GET", "/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  json doc = parsed(r);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  std::set<std::pair<std::string, std::string>> documented, routed;
  for (const auto& [path, ops] : doc["paths"].items())
    for (const auto& [method, op] : ops.items()) {
      std::string m = method;
      for (auto& c : m) c = static_cast<char>(c - 'a' + 'A');
      documented.emplace(m, path);
    }
  for (const auto& r2 : server::Api::routes()) routed.insert(r2);
  EXPECT_EQ(documented, routed);
  // Every documented route is routed (with a caller where one is needed): no "no such route"
  // and no 405; a 404 may only be the handler's own (no such content or template).
  for (const auto& [m, path] : routed) {
    std::string target = path;
    if (auto b = target.find('{'); b != std::string::npos) target = target.substr(0, b) + "x";
    auto res = call(m, target, m == "POST" ? json::object() : json(), "bob@contoso.com");
    EXPECT_EQ(res.body.find("no such route"), std::string::npos) << m << " " << path;
    EXPECT_NE(res.status, 405) << m << " " << path;
  }
}

}  // namespace
