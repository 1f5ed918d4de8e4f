// The licensing service's JSON API, in process: what a remote client does (enrol with its own
// key, acquire, evaluate offline), the error mapping, and the OpenAPI document against the
// route table.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "licensing_fixture.hpp"
#include "openrms/protect/mail_settings.hpp"
#include "openrms/server/api.hpp"

using namespace openrms;
using namespace openrms::licensing;
using namespace openrms::licensing::testing;
using json = nlohmann::json;

namespace {

class ApiTest : public LicensingFixture {
 protected:
  server::Api api{*server};
  static server::Caller caller(std::string email, bool admin = false) {
    server::Caller c;
    c.email = std::move(email);
    c.admin = admin;
    return c;
  }
  server::Response call(const std::string& method, const std::string& target,
                        const json& body = json(), std::optional<std::string> who = {},
                        bool admin = false) {
    server::Request r{method, target, body.is_null() ? std::string() : body.dump()};
    return api.handle(r, who ? std::optional<server::Caller>(caller(*who, admin)) : std::nullopt);
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
  // A long log comes in pages: ?limit=N, then ?after=<the last entry's seq>.
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(call("POST", "/v1/acquire",
                   {{"publishing_license", pub.license_xml}, {"rac", rac_xml}}, "bob@contoso.com")
                  .status,
              200);
  std::vector<std::string> paged;
  std::int64_t cursor = 0;
  for (int page = 0; page < 10; ++page) {
    auto pg =
        call("GET", "/v1/track/" + pub.content_id + "?limit=2&after=" + std::to_string(cursor), {},
             "alice@contoso.com");
    ASSERT_EQ(pg.status, 200) << pg.body;
    const json entries = parsed(pg);
    EXPECT_LE(entries.size(), 2u);
    if (entries.empty()) break;
    for (const auto& entry : entries) {
      EXPECT_GT(entry["seq"].get<std::int64_t>(), cursor);
      cursor = entry["seq"].get<std::int64_t>();
      paged.push_back(entry["license_id"].get<std::string>());
    }
  }
  const json all = parsed(call("GET", "/v1/track/" + pub.content_id, {}, "alice@contoso.com"));
  ASSERT_EQ(all.size(), 5u);
  ASSERT_EQ(paged.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(paged[i], all[i]["license_id"]);
  EXPECT_EQ(
      call("GET", "/v1/track/" + pub.content_id + "?limit=-1", {}, "alice@contoso.com").status,
      400);
  EXPECT_EQ(call("GET", "/v1/track/" + pub.content_id + "?after=x", {}, "alice@contoso.com").status,
            400);
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

TEST_F(ApiTest, TheTrackingLogIsTheJsonNlohmannWrites) {
  // The log's body is written by hand (a long log is megabytes); nlohmann, given the same
  // entries, is the reference, byte for byte: quotes, backslashes, control characters, UTF-8,
  // invalid UTF-8 (replaced), an empty field, a long field.
  User& alice = user("alice@contoso.com");
  PublishRequest req;
  Policy p;
  p.grants.push_back(parse_grant("bob@contoso.com:VIEW"));
  req.policy = p;
  const auto pub = server->publish(alice.id(), req, alice.grant.rac_xml);
  std::vector<std::string> odd = {"plain@contoso.com",
                                  "say \"hi\"",
                                  "back\\slash",
                                  "tab\t nl\n bell\x07 del\x7f",
                                  "zo\xc3\xab \xe2\x82\xac \xf0\x9f\x94\x92",
                                  "",
                                  std::string(5000, 'x') + "\"" + std::string(70, '\\')};
  // PostgreSQL's text holds neither NUL nor invalid UTF-8; SQLite's holds both.
  if (dynamic_cast<SqliteStore*>(store.get())) {
    odd.push_back(std::string("nul\0 inside", 11));
    odd.push_back("bad \xff\xfe utf-8 \xc3");
  }
  for (std::size_t i = 0; i < odd.size(); ++i)
    store->add_tracking({clock.now() + Seconds(static_cast<long long>(i)), odd[i], pub.content_id,
                         odd[(i + 1) % odd.size()], odd[(i + 2) % odd.size()],
                         odd[(i + 3) % odd.size()], odd[(i + 4) % odd.size()],
                         odd[(i + 5) % odd.size()], 0});
  json want = json::array();
  for (const auto& e : server->track(alice.id(), pub.content_id))
    want.push_back({{"time", format_time(e.time)},
                    {"user", e.user},
                    {"rights", e.rights},
                    {"outcome", e.outcome},
                    {"issuer", e.issuer},
                    {"owner", e.owner},
                    {"license_id", e.license_id},
                    {"seq", e.seq}});
  ASSERT_EQ(want.size(), odd.size());
  for (const char* query : {"", "?limit=3", "?limit=100000"}) {
    auto t = call("GET", "/v1/track/" + pub.content_id + query, {}, "alice@contoso.com");
    ASSERT_EQ(t.status, 200) << t.body;
    const json expected = *query == '\0' || std::string(query) == "?limit=100000"
                              ? want
                              : json(std::vector<json>(want.begin(), want.begin() + 3));
    EXPECT_EQ(t.body, expected.dump(-1, ' ', false, json::error_handler_t::replace)) << query;
  }
  auto empty =
      call("GET", "/v1/track/" + pub.content_id + "?after=999999999", {}, "alice@contoso.com");
  EXPECT_EQ(empty.body, "[]");
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
  auto r = api.handle(bad, caller("bob@contoso.com"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parsed(r)["code"], "bad_format");
  EXPECT_EQ(call("POST", "/v1/acquire", {{"rac", 5}}, "bob@contoso.com").status, 400);
  EXPECT_EQ(call("POST", "/v1/acquire", json::array(), "bob@contoso.com").status, 400);
  server::Request huge{"POST", "/v1/acquire", std::string(server::kMaxBody + 1, ' ')};
  EXPECT_EQ(api.handle(huge, caller("bob@contoso.com")).status, 413);
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
    const bool body = m == "POST" || m == "PUT" || m == "PATCH";
    auto res = call(m, target, body ? json::object() : json(), "bob@contoso.com", true);
    EXPECT_EQ(res.body.find("no such route"), std::string::npos) << m << " " << path;
    EXPECT_NE(res.status, 405) << m << " " << path;
  }
}

TEST_F(ApiTest, PublishingOverTheApiSealsTheContentKeyToThePublishersRac) {
  const auto& be = crypto::default_backend();
  auto alice_key = be.generate_key(crypto::KeyType::ec_p256);
  auto e = call("POST", "/v1/racs", {{"public_key", alice_key.public_key().spki_pem()}},
                "alice@contoso.com");
  ASSERT_EQ(e.status, 200);
  const std::string alice_rac = parsed(e)["rac"];
  Policy p;
  p.grants.push_back(parse_grant("bob@contoso.com:VIEW"));
  auto pub = call("POST", "/v1/publish", {{"policy", policy_to_xml(p)}, {"rac", alice_rac}},
                  "alice@contoso.com");
  ASSERT_EQ(pub.status, 200) << pub.body;
  const json pj = parsed(pub);
  // No content key in the response: alice unseals it from the owner license with her own key.
  EXPECT_FALSE(pj.contains("content_key"));
  auto pl =
      parse_publishing_license(pj["publishing_license"].get<std::string>(), server->anchors());
  EXPECT_EQ(pl.content_id, pj["content_id"]);
  EXPECT_EQ(pl.issuer, "alice@contoso.com");
  auto rac = parse_certificate(alice_rac, server->anchors());
  auto key = open_as_issuer(pl, rac, alice_key, clock).content_key;
  // bob acquires and gets the same key: one content key, and only alice's key opened it.
  User& bob = user("bob@contoso.com");
  EXPECT_EQ(open(bob, pl.xml).content_key, key);
  // Another user's RAC cannot be used to publish (the owner license would be someone else's).
  EXPECT_EQ(call("POST", "/v1/publish", {{"policy", policy_to_xml(p)}, {"rac", alice_rac}},
                 "eve@contoso.com")
                .status,
            403);
  // The policy route: the issuer sees it, bob (VIEW only) does not.
  auto pol = call("POST", "/v1/policy", {{"publishing_license", pl.xml}}, "alice@contoso.com");
  ASSERT_EQ(pol.status, 200);
  EXPECT_EQ(policy_from_xml(parsed(pol)["policy"].get<std::string>()), p);
  EXPECT_EQ(call("POST", "/v1/policy", {{"publishing_license", pl.xml}}, "bob@contoso.com").status,
            403);
  // Exactly one of policy and template_id.
  EXPECT_EQ(call("POST", "/v1/publish", {{"rac", alice_rac}}, "alice@contoso.com").status, 400);
  EXPECT_EQ(call("POST", "/v1/publish",
                 {{"policy", policy_to_xml(p)}, {"template_id", "x"}, {"rac", alice_rac}},
                 "alice@contoso.com")
                .status,
            400);
}

TEST_F(ApiTest, AdminRoutesNeedTheAdminRoleAndChangeWhatUsersSee) {
  Policy p;
  p.grants.push_back(parse_grant("@contoso.com:Viewer"));
  const json tmpl = {{"name", "Contoso view"}, {"policy", policy_to_xml(p)}};
  auto denied = call("POST", "/v1/admin/templates", tmpl, "bob@contoso.com");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(parsed(denied)["code"], "no_right");
  EXPECT_EQ(call("POST", "/v1/admin/templates", tmpl).status, 401);
  EXPECT_TRUE(server->templates(true).empty());

  auto made = call("POST", "/v1/admin/templates", tmpl, "admin@contoso.com", true);
  ASSERT_EQ(made.status, 200) << made.body;
  const std::string id = parsed(made)["id"];
  EXPECT_EQ(server->get_template(id).policy, p);
  auto listed = parsed(call("GET", "/v1/templates", {}, "bob@contoso.com"));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["name"], "Contoso view");
  EXPECT_FALSE(listed[0].contains("policy"));  // users see names, not principals

  auto arch = call("PATCH", "/v1/admin/templates/" + id, {{"archived", true}, {"name", "Old"}},
                   "admin@contoso.com", true);
  ASSERT_EQ(arch.status, 200) << arch.body;
  EXPECT_EQ(parsed(arch)["name"], "Old");
  EXPECT_TRUE(parsed(call("GET", "/v1/templates", {}, "bob@contoso.com")).empty());
  EXPECT_EQ(
      call("PATCH", "/v1/admin/templates/" + id, {{"archived", "yes"}}, "admin@contoso.com", true)
          .status,
      400);

  auto set =
      call("PUT", "/v1/admin/settings", {{"max_use_license_days", 7}}, "admin@contoso.com", true);
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(server->settings().max_use_license_days, 7);
  EXPECT_EQ(parsed(call("GET", "/v1/discovery"))["settings"]["max_use_license_days"], 7);
  EXPECT_EQ(
      call("PUT", "/v1/admin/settings", {{"max_use_license_days", "7"}}, "admin@contoso.com", true)
          .status,
      400);
  EXPECT_EQ(call("PUT", "/v1/admin/settings", {{"rac_validity_days", 7}}, "bob@contoso.com").status,
            403);
  // Without mail settings the mail routes are 404, with them they work.
  EXPECT_EQ(call("GET", "/v1/admin/mail/irm", {}, "admin@contoso.com", true).status, 404);
}

TEST_F(ApiTest, MailSettingsRoutesReadAndReplaceTheStoredConfiguration) {
  protect::mail::MailSettings mail(*store);
  server::Api with_mail(*server, &mail);
  auto call_mail = [&](const std::string& m, const std::string& t, const json& body, bool admin) {
    return with_mail.handle({m, t, body.is_null() ? std::string() : body.dump()},
                            caller(admin ? "admin@contoso.com" : "bob@contoso.com", admin));
  };
  auto irm = call_mail("GET", "/v1/admin/mail/irm", json(), true);
  ASSERT_EQ(irm.status, 200) << irm.body;
  json changed = json::parse(irm.body);
  ASSERT_TRUE(changed.contains("decrypt_attachment_for_encrypt_only"));
  changed["decrypt_attachment_for_encrypt_only"] = !changed["decrypt_attachment_for_encrypt_only"];
  auto put = call_mail("PUT", "/v1/admin/mail/irm", changed, true);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(mail.irm().decrypt_attachment_for_encrypt_only,
            changed["decrypt_attachment_for_encrypt_only"].get<bool>());
  EXPECT_EQ(call_mail("PUT", "/v1/admin/mail/irm", changed, false).status, 403);

  auto br = call_mail("PUT", "/v1/admin/mail/branding/Finance",
                      {{"introduction_text", "From Finance"}}, true);
  ASSERT_EQ(br.status, 200) << br.body;
  EXPECT_EQ(mail.branding("Finance").introduction_text, "From Finance");
  EXPECT_EQ(json::parse(call_mail("GET", "/v1/admin/mail/branding", json(), true).body).size(), 2u);
  EXPECT_EQ(call_mail("DELETE", "/v1/admin/mail/branding/Finance", json(), true).status, 204);
  EXPECT_EQ(mail.branding().size(), 1u);

  EXPECT_EQ(call_mail("PUT", "/v1/admin/mail/rules", {{"rules", {{{"bogus", 1}}}}}, true).status,
            400);
  auto rules = call_mail("GET", "/v1/admin/mail/rules", json(), true);
  EXPECT_EQ(rules.status, 200);
}

TEST(ApiRoutes, LabelsAreRouteTemplatesSoMetricsStayBounded) {
  EXPECT_EQ(server::Api::route_label("/v1/track/123?x=1"), "/v1/track/{content_id}");
  EXPECT_EQ(server::Api::route_label("/v1/acquire"), "/v1/acquire");
  EXPECT_EQ(server::Api::route_label("/v1/whatever/else"), "other");
  EXPECT_EQ(server::http_status(Errc::unauthenticated), 401);
  EXPECT_EQ(server::http_status(Errc::unavailable), 503);
}

}  // namespace
