// Scenario tests: the documentation's licensing rules (DESIGN.md §3) walked with a moving clock.
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "issue.hpp"
#include "licensing_fixture.hpp"
#include "openrms/crypto/ecies.hpp"

using namespace openrms;
using namespace openrms::licensing;
using namespace openrms::licensing::testing;

namespace {

class Scenario : public LicensingFixture {
 protected:
  Published publish_adhoc(User& issuer, Policy p, bool owner_license = true) {
    PublishRequest req;
    req.policy = std::move(p);
    return server->publish(issuer.id(), req, owner_license ? issuer.grant.rac_xml : "");
  }
  static Policy grant(const std::string& who, Rights r) {
    Policy p;
    p.grants.push_back({Principal::parse(who), r});
    return p;
  }
};

TEST_F(Scenario, RacIsValid31DaysAndRenews) {
  User& bob = user("bob@contoso.com");
  User& alice = user("alice@contoso.com");
  auto pub = publish_adhoc(alice, grant("bob@contoso.com", Rights{Right::view}));
  EXPECT_EQ(bob.grant.rac.valid_until - bob.grant.rac.valid_from, days(31));
  clock.advance(days(31) - Seconds(1));
  EXPECT_TRUE(open(bob, pub.license_xml).can(Right::view));
  clock.advance(Seconds(1));
  // The RAC lapsed: the server refuses, and an earlier license cannot be used offline either.
  EXPECT_EQ(code_of([&] { open(bob, pub.license_xml); }), Errc::rac_expired);
  // Renewal keeps the key pair; licenses bound to the key work with the new RAC.
  auto renewed = server->renew(bob.id(), bob.grant.rac_xml, false, &bob.grant.private_key);
  EXPECT_EQ(renewed.rac.key_id(), bob.grant.rac.key_id());
  bob.grant = renewed;
  EXPECT_TRUE(open(bob, pub.license_xml).can(Right::view));
  // Someone else cannot renew bob's RAC.
  EXPECT_EQ(code_of([&] { server->renew({"eve@contoso.com"}, bob.grant.rac_xml); }),
            Errc::no_right);
}

TEST_F(Scenario, AClockSetBackSaysSoInsteadOfAskingToRenew) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  auto pub = publish_adhoc(alice, grant("bob@contoso.com", Rights{Right::view}));
  auto ul = parse_use_license(server->acquire(bob.id(), pub.license_xml, bob.grant.rac_xml),
                              server->anchors());
  ManualClock behind(t0() - days(40));
  try {
    evaluate(ul, bob.grant.rac, bob.grant.private_key, behind);
    FAIL() << "a RAC from the future was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::rac_expired);
    EXPECT_NE(std::string(e.what()).find("not valid yet"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("check the clock"), std::string::npos) << e.what();
  }
  clock.advance(days(32));
  try {
    evaluate(ul, bob.grant.rac, bob.grant.private_key, clock);
    FAIL() << "a lapsed RAC was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expired on"), std::string::npos) << e.what();
  }
}

TEST_F(Scenario, UseLicenseValidityDefaultsTo30DaysAndIsCapped) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  auto pub = publish_adhoc(alice, grant("bob@contoso.com", Rights{Right::view}));
  auto d = open(bob, pub.license_xml);
  ASSERT_TRUE(d.valid_until);
  EXPECT_EQ(*d.valid_until - clock.now(), days(30));
  // Offline for N days below the cap.
  Policy p7 = grant("bob@contoso.com", Rights{Right::view});
  p7.offline = parse_offline("7");
  auto pub7 = publish_adhoc(alice, p7);
  EXPECT_EQ(*open(bob, pub7.license_xml).valid_until - clock.now(), days(7));
  // Tenant maximum lowered: caps "always" and larger N.
  TenantSettings s = server->settings();
  s.max_use_license_days = 5;
  server->set_settings(s);
  EXPECT_EQ(*open(bob, pub.license_xml).valid_until - clock.now(), days(5));
  EXPECT_EQ(*open(bob, pub7.license_xml).valid_until - clock.now(), days(5));
  // Offline use until valid-until, then re-acquire.
  auto ul_xml = server->acquire(bob.id(), pub7.license_xml, bob.grant.rac_xml);
  auto ul = parse_use_license(ul_xml, server->anchors());
  clock.advance(days(5) - Seconds(1));
  EXPECT_NO_THROW(evaluate(ul, bob.grant.rac, bob.grant.private_key, clock));
  clock.advance(Seconds(1));
  EXPECT_EQ(code_of([&] { evaluate(ul, bob.grant.rac, bob.grant.private_key, clock); }),
            Errc::license_expired);
}

TEST_F(Scenario, OfflineNeverGivesANoCacheLicense) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  Policy p = grant("bob@contoso.com", Rights{Right::view});
  p.offline = parse_offline("never");
  auto pub = publish_adhoc(alice, p);
  auto ul = parse_use_license(server->acquire(bob.id(), pub.license_xml, bob.grant.rac_xml),
                              server->anchors());
  EXPECT_FALSE(ul.cacheable);
  auto d = evaluate(ul, bob.grant.rac, bob.grant.private_key, clock);
  EXPECT_FALSE(d.cacheable);
  clock.advance(kNoCacheWindow);
  EXPECT_EQ(code_of([&] { evaluate(ul, bob.grant.rac, bob.grant.private_key, clock); }),
            Errc::license_expired);
  EXPECT_NO_THROW(open(bob, pub.license_xml));  // a fresh acquisition works
}

TEST_F(Scenario, ContentExpiryLimitsValidityAndRefusesAfterwardsButNotTheIssuer) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  Policy p = grant("bob@contoso.com", Rights{Right::view});
  p.expiry = parse_expiry("10d");
  auto pub = publish_adhoc(alice, p);
  clock.advance(days(4));
  auto d = open(bob, pub.license_xml);
  EXPECT_EQ(*d.valid_until, t0() + days(10));  // min(30 days, expiry)
  EXPECT_EQ(*d.content_expiry, t0() + days(10));
  auto ul = parse_use_license(server->acquire(bob.id(), pub.license_xml, bob.grant.rac_xml),
                              server->anchors());
  clock.advance(days(6));
  EXPECT_EQ(code_of([&] { evaluate(ul, bob.grant.rac, bob.grant.private_key, clock); }),
            Errc::expired);
  EXPECT_EQ(code_of([&] { open(bob, pub.license_xml); }), Errc::expired);
  // The issuer still opens, online and offline (owner license); RAC renewed for the test.
  auto d2 = open(alice, pub.license_xml);
  EXPECT_EQ(d2.role, Role::issuer);
  EXPECT_EQ(d2.rights, Rights::all());
  auto pl = parse_publishing_license(pub.license_xml, server->anchors());
  auto off = open_as_issuer(pl, alice.grant.rac, alice.grant.private_key, clock);
  EXPECT_EQ(off.content_key, pub.content_key);
  // A date expiry works the same way.
  Policy pd = grant("bob@contoso.com", Rights{Right::view});
  pd.expiry = parse_expiry(format_time(clock.now() + days(1)));
  auto pubd = publish_adhoc(alice, pd);
  EXPECT_NO_THROW(open(bob, pubd.license_xml));
  clock.advance(days(1));
  EXPECT_EQ(code_of([&] { open(bob, pubd.license_xml); }), Errc::expired);
}

TEST_F(Scenario, TemplateChangesApplyOnlyAfterCachedLicensesExpire) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  Policy p = grant("bob@contoso.com", Rights{Right::view, Right::print});
  p.offline = parse_offline("3");
  auto t = server->create_template("Confidential", "for staff", p);
  PublishRequest req;
  req.template_id = t.id;
  auto pub = server->publish(alice.id(), req, alice.grant.rac_xml);
  auto ul = parse_use_license(server->acquire(bob.id(), pub.license_xml, bob.grant.rac_xml),
                              server->anchors());
  EXPECT_TRUE(ul.rights.has(Right::print));
  // The administrator removes PRINT.
  Policy p2 = grant("bob@contoso.com", Rights{Right::view});
  p2.offline = parse_offline("3");
  EXPECT_EQ(server->update_template(t.id, std::nullopt, std::nullopt, p2).version, 2);
  // The cached license keeps its rights until it expires...
  clock.advance(days(2));
  EXPECT_TRUE(evaluate(ul, bob.grant.rac, bob.grant.private_key, clock).can(Right::print));
  clock.advance(days(1));
  EXPECT_EQ(code_of([&] { evaluate(ul, bob.grant.rac, bob.grant.private_key, clock); }),
            Errc::license_expired);
  // ...then the new rights apply.
  auto d = open(bob, pub.license_xml);
  EXPECT_TRUE(d.can(Right::view));
  EXPECT_FALSE(d.can(Right::print));
  // Archived: still honoured for old content, not offered for new.
  server->archive_template(t.id);
  EXPECT_NO_THROW(open(bob, pub.license_xml));
  EXPECT_EQ(code_of([&] { server->publish(alice.id(), req); }), Errc::invalid_argument);
  EXPECT_TRUE(server->templates(false).empty());
  EXPECT_EQ(server->templates(true).size(), 1u);
}

TEST_F(Scenario, AdHocPolicyIsFixedInTheLicense) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  auto pub = publish_adhoc(alice, grant("bob@contoso.com", Rights{Right::view}));
  // Nothing on the server can change it: bob's rights are what was sealed.
  EXPECT_EQ(open(bob, pub.license_xml).rights, Rights{Right::view});
  EXPECT_EQ(code_of([&] { open(user("carol@contoso.com"), pub.license_xml); }), Errc::no_right);
  // Only the server can read the policy; the issuer can ask for it.
  auto policy = server->view_policy(alice.id(), pub.license_xml);
  EXPECT_EQ(policy.grants.size(), 1u);
  EXPECT_EQ(code_of([&] { server->view_policy(bob.id(), pub.license_xml); }), Errc::no_right);
}

TEST_F(Scenario, RevocationRefusesEveryoneButTheIssuer) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  Policy p = grant("bob@contoso.com", Rights{Right::view});
  p.owner = "olga@contoso.com";
  auto pub = publish_adhoc(alice, p);
  auto ul = parse_use_license(server->acquire(bob.id(), pub.license_xml, bob.grant.rac_xml),
                              server->anchors());
  // Only the issuer revokes (not the owner, not a user).
  EXPECT_EQ(code_of([&] { server->revoke(bob.id(), pub.content_id); }), Errc::no_right);
  EXPECT_EQ(code_of([&] { server->revoke({"olga@contoso.com"}, pub.content_id); }), Errc::no_right);
  server->revoke(alice.id(), pub.content_id);
  EXPECT_EQ(code_of([&] { open(bob, pub.license_xml); }), Errc::revoked);
  EXPECT_EQ(code_of([&] { open(user("olga@contoso.com"), pub.license_xml); }), Errc::revoked);
  EXPECT_EQ(open(alice, pub.license_xml).role, Role::issuer);
  // A cached use license runs out at its valid-until.
  EXPECT_NO_THROW(evaluate(ul, bob.grant.rac, bob.grant.private_key, clock));
  clock.advance(days(30));
  EXPECT_EQ(code_of([&] { evaluate(ul, bob.grant.rac, bob.grant.private_key, clock); }),
            Errc::license_expired);
}

TEST_F(Scenario, OwnerAssignedByAServiceHasFullControlWithoutLimits) {
  User& service = user("scanner@contoso.com");
  User& olga = user("olga@contoso.com");
  Policy p = grant("bob@contoso.com", Rights{Right::view});
  p.expiry = parse_expiry("1d");
  p.offline = parse_offline("never");
  PublishRequest req;
  req.policy = p;
  req.owner = "Olga@Contoso.com";
  auto pub = server->publish(service.id(), req);
  clock.advance(days(2));  // past expiry
  auto d = open(olga, pub.license_xml);
  EXPECT_EQ(d.role, Role::owner);
  EXPECT_EQ(d.rights, Rights::all());
  EXPECT_FALSE(d.valid_until.has_value());
  clock.advance(days(300));
  olga.grant = server->renew(olga.id(), olga.grant.rac_xml, false, &olga.grant.private_key);
  EXPECT_NO_THROW(open(olga, pub.license_xml));
}

TEST_F(Scenario, OnlyTheIssuerTracks) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  User& carol = user("carol@contoso.com");
  auto pub = publish_adhoc(alice, grant("bob@contoso.com", Rights{Right::view, Right::print}));
  open(bob, pub.license_xml);
  EXPECT_THROW(open(carol, pub.license_xml), Error);
  EXPECT_EQ(code_of([&] { server->track(bob.id(), pub.content_id); }), Errc::no_right);
  auto log = server->track(alice.id(), pub.content_id);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].user, "bob@contoso.com");
  EXPECT_EQ(log[0].rights, "VIEW,PRINT");
  EXPECT_EQ(log[0].outcome, "granted");
  EXPECT_EQ(log[0].issuer, "alice@contoso.com");
  EXPECT_EQ(log[0].owner, "alice@contoso.com");
  EXPECT_EQ(log[0].time, clock.now());
  EXPECT_EQ(log[1].user, "carol@contoso.com");
  EXPECT_EQ(log[1].outcome, "refused: no_right");
  EXPECT_TRUE(log[1].license_id.empty());
  // A granted row names the use license it stands for.
  auto ul = server->acquire(bob.id(), pub.license_xml, bob.grant.rac_xml);
  log = server->track(alice.id(), pub.content_id);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[2].license_id, parse_use_license(ul, server->anchors()).id);
  EXPECT_FALSE(log[0].license_id.empty());
  EXPECT_NE(log[0].license_id, log[2].license_id);
  EXPECT_EQ(code_of([&] { server->track(alice.id(), "no-such-content"); }), Errc::not_found);
}

TEST_F(Scenario, DoNotForwardLetsOnlyTheRecipientsIn) {
  User& alice = user("alice@contoso.com");
  auto p = do_not_forward_policy("alice@contoso.com", {"bob@contoso.com", "Carol@Fabrikam.com"});
  auto pub = publish_adhoc(alice, p);
  for (const char* who : {"bob@contoso.com", "carol@fabrikam.com"}) {
    auto d = open(user(who), pub.license_xml);
    EXPECT_EQ(d.rights, do_not_forward_rights()) << who;
    EXPECT_FALSE(d.can(Right::forward));
    EXPECT_FALSE(d.can(Right::print));
    EXPECT_TRUE(d.can(Right::reply));
  }
  EXPECT_EQ(code_of([&] { open(user("dave@contoso.com"), pub.license_xml); }), Errc::no_right);
}

TEST_F(Scenario, EncryptOnlyRights) {
  User& alice = user("alice@contoso.com");
  auto pub = publish_adhoc(alice, encrypt_only_policy());
  auto d = open(user("anyone@elsewhere.org"), pub.license_xml);
  EXPECT_EQ(d.rights, encrypt_only_rights());
  EXPECT_TRUE(d.can(Right::forward));
  EXPECT_TRUE(d.can(Right::print));
  EXPECT_FALSE(d.can(Right::export_));
  EXPECT_FALSE(d.can(Right::owner));
}

TEST_F(Scenario, GroupsAndDomainsFromTheDirectory) {
  User& alice = user("alice@contoso.com");
  directory.add_member("sales@contoso.com", "bob@contoso.com");
  directory.add_member("emea@contoso.com", "sales@contoso.com");  // nested
  Policy p;
  p.grants.push_back(parse_grant("group:emea@contoso.com:Viewer"));
  p.grants.push_back(parse_grant("@fabrikam.com:VIEW,PRINT"));
  auto pub = publish_adhoc(alice, p);
  EXPECT_EQ(open(user("bob@contoso.com"), pub.license_xml).rights,
            rights_of(PermissionLevel::viewer));
  EXPECT_EQ(open(user("zoe@fabrikam.com"), pub.license_xml).rights,
            (Rights{Right::view, Right::print}));
  EXPECT_EQ(code_of([&] { open(user("carl@contoso.com"), pub.license_xml); }), Errc::no_right);
}

TEST_F(Scenario, UseLicensesAreBoundToTheUserAndKey) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  User& mallory = user("mallory@contoso.com");
  auto pub = publish_adhoc(alice, grant("bob@contoso.com", Rights{Right::view}));
  // Mallory presenting bob's RAC is refused (the identity is authenticated by the embedder).
  EXPECT_EQ(code_of([&] { server->acquire(mallory.id(), pub.license_xml, bob.grant.rac_xml); }),
            Errc::no_right);
  auto ul = parse_use_license(server->acquire(bob.id(), pub.license_xml, bob.grant.rac_xml),
                              server->anchors());
  EXPECT_EQ(code_of([&] { evaluate(ul, mallory.grant.rac, mallory.grant.private_key, clock); }),
            Errc::no_right);
  // Bob's content key is recovered exactly.
  EXPECT_EQ(evaluate(ul, bob.grant.rac, bob.grant.private_key, clock).content_key, pub.content_key);
}

TEST_F(Scenario, OfflinePublishingWithAClc) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  auto clc_xml = server->issue_clc(alice.id(), alice.grant.rac_xml);
  auto clc = parse_certificate(clc_xml, server->anchors());
  EXPECT_EQ(clc.type, CertificateType::clc);
  // The client, offline, holds only the SLC anchors.
  TrustAnchors client;
  for (const auto& slc : server->anchors().all()) client.add(slc.xml);
  PublishRequest req;
  req.policy = grant("bob@contoso.com", Rights{Right::view, Right::edit});
  auto pub = publish_offline(clc, alice.grant.rac, alice.grant.private_key, client, req, clock);
  auto pl = parse_publishing_license(pub.license_xml, client);
  ASSERT_TRUE(pl.clc.has_value());
  EXPECT_EQ(open_as_issuer(pl, alice.grant.rac, alice.grant.private_key, clock).content_key,
            pub.content_key);
  // The server honours it and registers the content on first acquisition.
  auto d = open(bob, pub.license_xml);
  EXPECT_EQ(d.content_key, pub.content_key);
  EXPECT_EQ(d.rights, (Rights{Right::view, Right::edit}));
  EXPECT_EQ(server->track(alice.id(), pub.content_id).size(), 1u);
  // Another user's CLC cannot publish in alice's name: bob's RAC does not open alice's CLC.
  EXPECT_THROW(publish_offline(clc, bob.grant.rac, bob.grant.private_key, client, req, clock),
               Error);
}

TEST_F(Scenario, KeyRotationKeepsOldContentOpen) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  auto old_pub = publish_adhoc(alice, grant("bob@contoso.com", Rights{Right::view}));
  auto gen2 = server->rotate_keys();
  EXPECT_EQ(gen2.generation, 2u);
  auto new_pub = publish_adhoc(alice, grant("bob@contoso.com", Rights{Right::view}));
  EXPECT_NE(parse_publishing_license(old_pub.license_xml, server->anchors()).server_key_id,
            parse_publishing_license(new_pub.license_xml, server->anchors()).server_key_id);
  EXPECT_EQ(open(bob, old_pub.license_xml).content_key, old_pub.content_key);
  EXPECT_EQ(open(bob, new_pub.license_xml).content_key, new_pub.content_key);
  // A server reopened from the same store has both generations.
  ServerOptions o;
  o.clock = &clock;
  LicenseServer again(*store, o);
  EXPECT_EQ(again.anchors().all().size(), 2u);
  auto ul = again.acquire(bob.id(), old_pub.license_xml, bob.grant.rac_xml);
  EXPECT_NO_THROW(parse_use_license(ul, server->anchors()));
}

// Two servers over one store, as two service nodes: a rotation on one is accepted by the other
// at once (without a restart) and used by it for new licenses within shared_state_ttl.
TEST_F(Scenario, KeyRotationOnAnotherServerHoldsWithoutRestart) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  ServerOptions o;
  o.clock = &clock;
  o.shared_state_ttl = std::chrono::milliseconds(300);
  LicenseServer node_b(*store, o);
  LicenseServer node_c(*store, o);
  ASSERT_EQ(node_b.anchors().all().size(), 1u);
  const TrustAnchors& before = node_b.anchors();

  auto gen2 = server->rotate_keys();
  ASSERT_EQ(gen2.generation, 2u);
  // Content published under generation 2 on A opens through B at once.
  auto pub = publish_adhoc(alice, grant("bob@contoso.com", Rights{Right::view}));
  auto ul = node_b.acquire(bob.id(), pub.license_xml, bob.grant.rac_xml);
  EXPECT_EQ(node_b.anchors().all().size(), 2u);
  EXPECT_EQ(parse_use_license(ul, server->anchors()).signer_key_id, gen2.key_id());
  // A RAC signed by generation 2 is accepted by C, which has not seen it yet.
  User carol{"carol@contoso.com", server->enroll({"carol@contoso.com"})};
  EXPECT_NO_THROW(node_c.issue_clc(carol.id(), carol.grant.rac_xml));
  // The snapshot B handed out before stays as it was and valid.
  EXPECT_EQ(before.all().size(), 1u);

  // A third generation made on B is used by C for new content once the bound has passed.
  auto gen3 = node_b.rotate_keys();
  ASSERT_EQ(gen3.generation, 3u);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  PublishRequest req;
  req.policy = grant("bob@contoso.com", Rights{Right::view});
  auto on_c = node_c.publish(alice.id(), req, alice.grant.rac_xml);
  EXPECT_EQ(parse_publishing_license(on_c.license_xml, node_c.anchors()).server_key_id,
            key_id(gen3.sealing_key));
  EXPECT_EQ(open(bob, on_c.license_xml).content_key, on_c.content_key);
}

TEST_F(Scenario, ContentKeyCacheIsBounded) {
  ServerOptions o;
  o.clock = &clock;
  o.key_cache_entries = 3;
  LicenseServer small(*store, o);
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  for (int i = 0; i < 6; ++i) {
    auto pub = publish_adhoc(alice, grant("bob@contoso.com", Rights{Right::view}));
    small.acquire(bob.id(), pub.license_xml, bob.grant.rac_xml);
  }
  EXPECT_EQ(small.cached_keys(), 3u);
}

// Security review finding 1: a user with a CLC copies another issuer's sealed content key (and
// content id) into a publishing license he signs himself. Every variant must be refused, and
// the victim's content key must never reach him.
class Forgery : public Scenario {
 protected:
  struct Clc {
    Certificate cert;
    detail::Signer signer;
  };
  // What a client that holds only the server's certificates trusts.
  TrustAnchors client_anchors() const {
    TrustAnchors a;
    for (const auto& slc : server->anchors().all()) a.add(slc.xml);
    return a;
  }
  Clc clc_of(User& u) {
    auto xml = server->issue_clc(u.id(), u.grant.rac_xml);
    auto cert = parse_certificate(xml, server->anchors());
    auto der =
        crypto::open_sealed(crypto::default_backend(), u.grant.private_key, cert.sealed_private_key,
                            crypto::as_bytes("openrms-clc-key-v1|" + cert.serial));
    return {cert, {cert.suite, crypto::default_backend().load_private_key(der), cert.key_id()}};
  }
  // Bob's own offline license, re-signed by his CLC after `edit` changed it.
  std::string resigned(User& bob, const std::function<void(PublishingLicense&)>& edit) {
    Clc clc = clc_of(bob);
    TrustAnchors client = client_anchors();
    PublishRequest req;
    req.policy = grant("bob@contoso.com", Rights{Right::view});
    auto own = publish_offline(clc.cert, bob.grant.rac, bob.grant.private_key, client, req, clock);
    auto pl = parse_publishing_license(own.license_xml, client);
    edit(pl);
    return detail::write_publishing_license(pl, clc.signer, &clc.cert.xml,
                                            crypto::default_backend());
  }
};

TEST_F(Forgery, ACopiedSealedContentKeyDoesNotOpenInAnotherLicense) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  auto victim = publish_adhoc(alice, grant("carol@contoso.com", Rights{Right::view}));
  auto vpl = parse_publishing_license(victim.license_xml, server->anchors());
  // Before the fix the server unsealed this key and sealed it to bob as "issuer".
  auto same_id = resigned(bob, [&](PublishingLicense& pl) {
    pl.content_id = vpl.content_id;
    pl.sealed_content_key = vpl.sealed_content_key;
  });
  EXPECT_EQ(code_of([&] { open(bob, same_id); }), Errc::integrity);
  // His own content id, the victim's box: the box is bound to the license it came in.
  auto own_id =
      resigned(bob, [&](PublishingLicense& pl) { pl.sealed_content_key = vpl.sealed_content_key; });
  EXPECT_EQ(code_of([&] { open(bob, own_id); }), Errc::integrity);
  // The victim's whole body under bob's CLC: a CLC signs only for its own subject.
  auto whole = resigned(bob, [&](PublishingLicense& pl) { pl = vpl; });
  EXPECT_EQ(code_of([&] { open(bob, whole); }), Errc::integrity);
  // Nothing of it reached the tracking log as a grant, and bob is still refused the real one.
  EXPECT_EQ(code_of([&] { open(bob, victim.license_xml); }), Errc::no_right);
  for (const auto& t : server->track(alice.id(), victim.content_id))
    EXPECT_NE(t.outcome, "granted") << t.user;
}

TEST_F(Forgery, ASealedPolicyOrOwnerLicenseDoesNotMoveEither) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  auto victim = publish_adhoc(alice, grant("bob@contoso.com", Rights{Right::view}));
  auto vpl = parse_publishing_license(victim.license_xml, server->anchors());
  // The victim's policy box in bob's license does not open (a policy is bound to its license).
  auto swapped =
      resigned(bob, [&](PublishingLicense& pl) { pl.sealed_policy = vpl.sealed_policy; });
  EXPECT_EQ(code_of([&] { open(bob, swapped); }), Errc::integrity);
  // The owner license is bound too: alice's owner box under a changed issuer does not open.
  PublishingLicense moved = vpl;
  moved.owner = "bob@contoso.com";
  EXPECT_THROW(open_as_issuer(moved, alice.grant.rac, alice.grant.private_key, clock), Error);
  EXPECT_EQ(open_as_issuer(vpl, alice.grant.rac, alice.grant.private_key, clock).content_key,
            victim.content_key);
}

TEST_F(Forgery, AContentIdBelongsToItsFirstLicense) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  // Content ids are derived from the issuer: publishing never takes a caller's id, and two
  // licenses of one issuer never share one.
  auto a = publish_adhoc(alice, grant("bob@contoso.com", Rights{Right::view}));
  auto b = publish_adhoc(alice, grant("bob@contoso.com", Rights{Right::view}));
  EXPECT_NE(a.content_id, b.content_id);
  EXPECT_EQ(a.content_id,
            detail::derive_content_id("alice@contoso.com",
                                      parse_publishing_license(a.license_xml, server->anchors()).id,
                                      crypto::default_backend()));
  // A second license for a registered content id (here: bob re-signing his own license with a
  // wider policy after it was registered) is not honoured; the registered one still is.
  Clc clc = clc_of(bob);
  TrustAnchors client = client_anchors();
  PublishRequest req;
  req.policy = grant("carol@contoso.com", Rights{Right::view});
  auto first = publish_offline(clc.cert, bob.grant.rac, bob.grant.private_key, client, req, clock);
  User& carol = user("carol@contoso.com");
  EXPECT_NO_THROW(open(carol, first.license_xml));
  auto pl = parse_publishing_license(first.license_xml, client);
  // A complete, correctly sealed second license with another owner.
  pl.owner = "dave@contoso.com";
  pl.owner_key_id.clear();
  pl.owner_sealed_key.clear();
  const auto& be = crypto::default_backend();
  const Certificate& slc = *client.current();
  pl.sealed_policy =
      crypto::seal_to(be, slc.sealing_key, crypto::as_bytes(policy_to_xml(*req.policy)),
                      crypto::as_bytes(detail::aad_policy(detail::license_binding(pl, be))));
  pl.sealed_content_key =
      crypto::seal_to(be, slc.sealing_key, first.content_key,
                      crypto::as_bytes(detail::aad_content_key(detail::license_binding(pl, be),
                                                               pl.sealed_policy, be)));
  auto second =
      detail::write_publishing_license(pl, clc.signer, &clc.cert.xml, crypto::default_backend());
  EXPECT_EQ(code_of([&] { open(user("dave@contoso.com"), second); }), Errc::integrity);
  EXPECT_NO_THROW(open(carol, first.license_xml));
}

TEST_F(Forgery, ABackdatedOfflineLicenseDoesNotOutliveItsClc) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  Clc clc = clc_of(alice);
  TrustAnchors client = client_anchors();
  PublishRequest req;
  req.policy = grant("bob@contoso.com", Rights{Right::view});
  clock.advance(days(40));  // the CLC (31 days) lapsed
  ManualClock backdated(t0() + days(1));
  auto alice_rac = alice.grant.rac;
  auto pub = publish_offline(clc.cert, alice_rac, alice.grant.private_key, client, req, backdated);
  bob.grant = server->renew(bob.id(), bob.grant.rac_xml, false, &bob.grant.private_key);
  EXPECT_EQ(code_of([&] { open(bob, pub.license_xml); }), Errc::expired);
}

TEST_F(Forgery, RevocationHoldsForEveryRoleButTheRecordedIssuer) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  User& olga = user("olga@contoso.com");
  Policy p = grant("bob@contoso.com", Rights{Right::owner});
  p.owner = "olga@contoso.com";
  auto pub = publish_adhoc(alice, p);
  server->revoke(alice.id(), pub.content_id);
  EXPECT_EQ(code_of([&] { open(bob, pub.license_xml); }), Errc::revoked);
  EXPECT_EQ(code_of([&] { open(olga, pub.license_xml); }), Errc::revoked);
  EXPECT_EQ(open(alice, pub.license_xml).role, Role::issuer);
  EXPECT_EQ(code_of([&] { server->revoke(olga.id(), pub.content_id); }), Errc::no_right);
  EXPECT_EQ(code_of([&] { server->track(bob.id(), pub.content_id); }), Errc::no_right);
}

class RsaScenario : public LicensingFixture {
 protected:
  RsaScenario() : LicensingFixture(Suite::rsa_3072) {}
};

TEST_F(RsaScenario, TheRsaSuiteWorksEndToEnd) {
  User& alice = user("alice@contoso.com");
  User& bob = user("bob@contoso.com");
  EXPECT_EQ(server->anchors().current()->suite, Suite::rsa_3072);
  EXPECT_EQ(bob.grant.rac.suite, Suite::rsa_3072);
  PublishRequest req;
  Policy p;
  p.grants.push_back(parse_grant("bob@contoso.com:Editor"));
  req.policy = p;
  auto pub = server->publish(alice.id(), req, alice.grant.rac_xml);
  auto d = open(bob, pub.license_xml);
  EXPECT_EQ(d.rights, rights_of(PermissionLevel::editor));
  EXPECT_EQ(d.content_key, pub.content_key);
  EXPECT_NE(pub.license_xml.find("rsa-pss-sha256"), std::string::npos);
}

}  // namespace
