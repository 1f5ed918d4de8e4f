// Policies: principals, grants, expiry and offline settings, XML form, linter.
#include <gtest/gtest.h>

#include "openrms/error.hpp"
#include "openrms/licensing/policy.hpp"

using namespace openrms;
using namespace openrms::licensing;

namespace {

Time now() {
  return *parse_time("2026-11-23T09:00:00Z");
}

TEST(Principal, TextForms) {
  EXPECT_EQ(Principal::parse("Alice@Contoso.COM").to_string(), "alice@contoso.com");
  EXPECT_EQ(Principal::parse("group:Sales@contoso.com").kind, Principal::Kind::group);
  EXPECT_EQ(Principal::parse("@contoso.com").to_string(), "domain:contoso.com");
  EXPECT_EQ(Principal::parse("domain:contoso.com").kind, Principal::Kind::domain);
  EXPECT_EQ(Principal::parse("AuthenticatedUsers").kind, Principal::Kind::everyone);
  for (const char* bad :
       {"", "alice", "alice@", "@", "a@b@c.com", "group:sales", "domain:x",
        "alice smith@contoso.com", "user:group:sales@contoso.com", "a,b@contoso.com",
        "<a@contoso.com>", "\xff@contoso.com", "zo\xc3@contoso.com", "\xed\xa0\x80@contoso.com"})
    EXPECT_THROW(Principal::parse(bad), Error) << bad;
  EXPECT_EQ(Principal::parse("zo\xc3\xab@contoso.com").name, "zo\xc3\xab@contoso.com");  // UTF-8
  auto dom = Principal::parse("@contoso.com");
  EXPECT_TRUE(dom.matches("Bob@CONTOSO.com", {}));
  EXPECT_FALSE(dom.matches("bob@sub.contoso.com", {}));
  EXPECT_FALSE(dom.matches("bob@evilcontoso.com", {}));
  EXPECT_TRUE(
      Principal::parse("group:sales@contoso.com").matches("x@y.com", {"sales@contoso.com"}));
}

TEST(Policy, GrantExpiryOfflineSyntax) {
  auto g = parse_grant("bob@contoso.com:View,Print");
  EXPECT_EQ(g.who.name, "bob@contoso.com");
  EXPECT_EQ(g.rights, (Rights{Right::view, Right::print}));
  EXPECT_EQ(parse_grant("group:hr@contoso.com:Co-Author").rights,
            rights_of(PermissionLevel::editor));
  EXPECT_THROW(parse_grant("bob@contoso.com"), Error);
  EXPECT_THROW(parse_grant("bob@contoso.com:"), Error);
  EXPECT_EQ(parse_expiry("30d").days, 30);
  EXPECT_EQ(parse_expiry("7").kind, ContentExpiry::Kind::days_after_protection);
  EXPECT_EQ(parse_expiry("2027-01-31").date, *parse_time("2027-01-31T00:00:00Z"));
  EXPECT_EQ(parse_expiry("never").kind, ContentExpiry::Kind::never);
  EXPECT_THROW(parse_expiry("0"), Error);
  EXPECT_THROW(parse_expiry("soon"), Error);
  EXPECT_EQ(parse_offline("never").kind, OfflineAccess::Kind::never);
  EXPECT_EQ(parse_offline("7d").days, 7);
  EXPECT_EQ(parse_offline("Always").kind, OfflineAccess::Kind::always);
  EXPECT_THROW(parse_offline("-1"), Error);
  ContentExpiry e = parse_expiry("10");
  EXPECT_EQ(*e.resolve(now()), now() + days(10));
}

TEST(Policy, XmlRoundTripAndStrictness) {
  Policy p;
  p.grants.push_back(parse_grant("bob@contoso.com:VIEW,PRINT"));
  p.grants.push_back(parse_grant("everyone:VIEW"));
  p.grants.push_back(parse_grant("@fabrikam.com:Viewer"));
  p.expiry = parse_expiry("2027-01-31");
  p.offline = parse_offline("7");
  p.owner = "olga@contoso.com";
  p.app_data = {{"label", "Secret & <internal>"}, {"x", ""}};
  p.preset = Preset::none;
  EXPECT_EQ(policy_from_xml(policy_to_xml(p)), p);
  auto dnf = do_not_forward_policy("a@b.com", {"c@d.com", "A@B.com"});
  EXPECT_EQ(dnf.grants.size(), 2u);  // the sender once
  EXPECT_EQ(policy_from_xml(policy_to_xml(dnf)), dnf);
  const char* ns = "xmlns=\"urn:openrms:licensing:1\"";
  auto bad = [&](const std::string& body) {
    try {
      policy_from_xml("<Policy " + std::string(ns) + body);
    } catch (const Error& e) {
      return e.code();
    }
    return Errc::internal;
  };
  EXPECT_EQ(bad("><Grant principal='a@b.com' rights='FLY'/></Policy>"), Errc::bad_format);
  EXPECT_EQ(bad("><Grant principal='nobody' rights='VIEW'/></Policy>"), Errc::bad_format);
  EXPECT_EQ(bad("><Unknown/></Policy>"), Errc::bad_format);
  EXPECT_EQ(bad("><Expiry value='1'/><Expiry value='2'/></Policy>"), Errc::bad_format);
  EXPECT_EQ(bad(" preset='magic'/>"), Errc::bad_format);
  EXPECT_EQ(bad("><Grant principal='a@b.com' rights='VIEW' extra='1'/></Policy>"),
            Errc::bad_format);
  // Extension elements marked non-critical are skipped.
  EXPECT_EQ(
      policy_from_xml("<Policy " + std::string(ns) + "><Hint critical='false'>x</Hint></Policy>")
          .grants.size(),
      0u);
  EXPECT_THROW(policy_from_xml("<Policy><Grant principal='a@b.com' rights='VIEW'/></Policy>"),
               Error);
}

bool has_warning(const std::vector<std::string>& w, const std::string& part) {
  for (const auto& s : w)
    if (s.find(part) != std::string::npos) return true;
  return false;
}

TEST(Policy, LinterFollowsTheDocumentation) {
  Policy p;
  EXPECT_TRUE(has_warning(lint(p, now()), "no one is granted"));
  p.grants.push_back(parse_grant("bob@contoso.com:VIEW,FORWARD,REPLY"));
  auto w = lint(p, now());
  EXPECT_TRUE(has_warning(w, "without DOCEDIT and EDIT"));
  Policy viewer;  // the documented Viewer level (REPLY without EDIT) is not second-guessed
  viewer.grants.push_back(parse_grant("bob@contoso.com:Viewer"));
  EXPECT_TRUE(lint(viewer, now()).empty());
  p.grants[0] = parse_grant("bob@contoso.com:VIEW,FORWARD,REPLY,DOCEDIT,EDIT");
  EXPECT_TRUE(lint(p, now()).empty());
  p.grants.push_back(parse_grant("carol@contoso.com:PRINT"));
  EXPECT_TRUE(has_warning(lint(p, now()), "without VIEW"));
  p.grants.push_back(parse_grant("@contoso.com:OWNER"));
  EXPECT_TRUE(has_warning(lint(p, now()), "remove protection"));
  p.grants.push_back(parse_grant("carol@contoso.com:VIEW"));
  EXPECT_TRUE(has_warning(lint(p, now()), "more than once"));
  p.expiry = parse_expiry("2020-01-01");
  EXPECT_TRUE(has_warning(lint(p, now()), "in the past"));
  p.offline = parse_offline("never");
  EXPECT_TRUE(has_warning(lint(p, now()), "no caching"));
  // The presets themselves pass the DOCEDIT+EDIT advice.
  EXPECT_FALSE(has_warning(lint(do_not_forward_policy("a@b.com", {"c@d.com"}), now()), "DOCEDIT"));
  EXPECT_FALSE(has_warning(lint(encrypt_only_policy(), now()), "DOCEDIT"));
}

}  // namespace
