// Certificates and licenses: canonical form, signatures, tamper detection, strict parsing.
#include <gtest/gtest.h>

#include <ctime>
#include <random>
#include <regex>

#include "licensing_fixture.hpp"
#include "openrms/licensing/canonical_xml.hpp"

using namespace openrms;
using namespace openrms::licensing;
using namespace openrms::licensing::testing;

namespace {

TEST(CanonicalXml, FollowsTheDocumentedRules) {
  // Attributes sorted, blanks-only text dropped, comments/PIs dropped, empty elements expanded,
  // escaping as documented.
  std::string in =
      "<?xml version=\"1.0\"?>\n<!-- c -->\n<R xmlns=\"urn:x\" b='2' a=\"1\">\n  <E/>\n"
      "  <?pi x?><T z=\"&lt;&amp;&quot;\" y=\"x&#9;y\">a &amp; b &gt; c&lt;d></T>\n</R>";
  EXPECT_EQ(canonical_xml(in),
            "<R a=\"1\" b=\"2\" xmlns=\"urn:x\"><E></E><T y=\"x&#x9;y\" z=\"&lt;&amp;&quot;\">"
            "a &amp; b &gt; c&lt;d&gt;</T></R>");
  // Reformatting does not change it.
  std::string re =
      "<R  a='1'\n b='2' xmlns='urn:x'><E></E><T z='&lt;&amp;\"' y='x&#9;y'>"
      "a &amp; b > c&lt;d></T></R>";
  EXPECT_EQ(canonical_xml(re), canonical_xml(in));
  // A text change does.
  EXPECT_NE(canonical_xml("<R>a</R>"), canonical_xml("<R>a </R>"));
}

TEST(CanonicalXml, StrictParsingRejectsHostileShapes) {
  auto code = [](const std::string& xml, XmlLimits lim = {}) -> std::optional<Errc> {
    try {
      canonical_xml(xml, lim);
    } catch (const Error& e) {
      return e.code();
    }
    return std::nullopt;
  };
  EXPECT_EQ(code("<!DOCTYPE r [<!ENTITY a \"aaaa\">]><r>&a;</r>"), Errc::bad_format);
  EXPECT_EQ(code("<r a='1' a='2'/>"), Errc::bad_format);
  EXPECT_EQ(code("<r b='1' a='2' c='3' a='4'/>"), Errc::bad_format);
  // CDATA and mixed content: what a reader takes must be exactly what is signed.
  EXPECT_EQ(code("<r><v>a<![CDATA[   ]]>b</v></r>"), Errc::bad_format);
  EXPECT_EQ(code("<r>text<a/></r>"), Errc::bad_format);
  // 95,000 attributes on one element (the security review's 31-45 s input): refused by the
  // node limit before any duplicate search.
  std::string many = "<r";
  for (int i = 0; i < 95000; ++i) many += " a" + std::to_string(i) + "='x'";
  many += "/>";
  XmlLimits big;
  big.max_bytes = 4u << 20;
  EXPECT_EQ(code(many, big), Errc::bad_format);
  EXPECT_EQ(code("<p:r xmlns:p='urn:x'/>"), Errc::bad_format);
  EXPECT_EQ(code("<r>"), Errc::bad_format);
  EXPECT_EQ(code(""), Errc::bad_format);
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  for (int i = 0; i < 100; ++i) deep += "</a>";
  EXPECT_EQ(code(deep), Errc::bad_format);
  std::string wide = "<r>";
  for (int i = 0; i < 30000; ++i) wide += "<a/>";
  wide += "</r>";
  EXPECT_EQ(code(wide), Errc::bad_format);
  XmlLimits small;
  small.max_bytes = 10;
  EXPECT_EQ(code("<r>0123456789</r>", small), Errc::bad_format);
  EXPECT_EQ(code("<r><a/></r>"), std::nullopt);
}

class Licenses : public LicensingFixture {
 protected:
  void SetUp() override {
    alice = &user("alice@contoso.com");
    bob = &user("bob@contoso.com");
    PublishRequest req;
    Policy p;
    p.grants.push_back(parse_grant("bob@contoso.com:VIEW"));
    p.app_data.push_back({"label", "Confidential"});
    req.policy = p;
    pub = server->publish(alice->id(), req, alice->grant.rac_xml);
    ul_xml = server->acquire(bob->id(), pub.license_xml, bob->grant.rac_xml);
  }
  User* alice = nullptr;
  User* bob = nullptr;
  Published pub;
  std::string ul_xml;
};

// Flips one bit of every byte between <Body> and </Body>: each must be rejected.
template <class Parse>
void every_body_byte_is_signed(const std::string& xml, Parse parse) {
  auto begin = xml.find("<Body>");
  auto end = xml.find("</Body>") + 7;
  ASSERT_NE(begin, std::string::npos);
  int accepted = 0;
  for (auto i = begin; i < end; ++i) {
    std::string t = xml;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    try {
      parse(t);
      ++accepted;
      ADD_FAILURE() << "flip at " << i << " accepted: ..." << xml.substr(i > 20 ? i - 20 : 0, 40);
    } catch (const Error& e) {
      EXPECT_TRUE(e.code() == Errc::bad_format || e.code() == Errc::integrity ||
                  e.code() == Errc::unsupported)
          << e.what();
    }
    if (accepted > 3) break;
  }
}

TEST_F(Licenses, EverySignedByteOfAUseLicenseMatters) {
  every_body_byte_is_signed(ul_xml,
                            [&](const std::string& t) { parse_use_license(t, server->anchors()); });
}

TEST_F(Licenses, EverySignedByteOfAPublishingLicenseMatters) {
  every_body_byte_is_signed(pub.license_xml, [&](const std::string& t) {
    parse_publishing_license(t, server->anchors());
  });
}

TEST_F(Licenses, EverySignedByteOfARacMatters) {
  every_body_byte_is_signed(bob->grant.rac_xml,
                            [&](const std::string& t) { parse_certificate(t, server->anchors()); });
}

TEST_F(Licenses, ChangingAMeaningfulFieldBreaksTheSignature) {
  // Re-serialised edits (well-formed XML, only the meaning changed).
  auto edit = [&](const std::string& from, const std::string& to) {
    std::string t = ul_xml;
    auto pos = t.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    t.replace(pos, from.size(), to);
    return t;
  };
  for (const auto& change : std::vector<std::pair<std::string, std::string>>{
           {"<Rights>VIEW</Rights>", "<Rights>VIEW,PRINT</Rights>"},
           {"<Role>user</Role>", "<Role>owner</Role>"},
           {"<User>bob@contoso.com</User>", "<User>eve@contoso.com</User>"},
           {"<Caching>allowed</Caching>", "<Caching>none</Caching>"},
           {"Confidential", "Public"}}) {
    std::string edited = edit(change.first, change.second);
    EXPECT_EQ(code_of([&] { parse_use_license(edited, server->anchors()); }), Errc::integrity)
        << change.first;
  }
  // Dropping ValidUntil (to get unlimited offline use) is caught too.
  std::string t = std::regex_replace(ul_xml, std::regex("<ValidUntil>[^<]*</ValidUntil>"), "");
  EXPECT_EQ(code_of([&] { parse_use_license(t, server->anchors()); }), Errc::integrity);
}

TEST_F(Licenses, ReformattingWhitespaceKeepsTheSignature) {
  // Collapse all indentation, swap attribute quote style, add a comment.
  std::string flat = std::regex_replace(ul_xml, std::regex(">\\s+<"), "><");
  flat = std::regex_replace(flat, std::regex("alg=\"([^\"]*)\" key=\"([^\"]*)\""),
                            "key='$2'   alg='$1'");
  flat.insert(flat.find("<Body>") + 6, "<!-- reformatted -->\n\n\t");
  auto ul = parse_use_license(flat, server->anchors());
  EXPECT_EQ(ul.user, "bob@contoso.com");
  EXPECT_EQ(evaluate(ul, bob->grant.rac, bob->grant.private_key, clock).content_key,
            pub.content_key);
  std::string pl_flat = std::regex_replace(pub.license_xml, std::regex(">\\s+<"), ">\r\n<");
  EXPECT_NO_THROW(parse_publishing_license(pl_flat, server->anchors()));
}

TEST_F(Licenses, ASignedValueIsReadExactlyAsSigned) {
  // Blank CDATA inside a signed value was dropped from the signed form but kept in the value.
  std::string pl = pub.license_xml;
  auto at = pl.find("<Issuer>alice@contoso.com</Issuer>");
  ASSERT_NE(at, std::string::npos);
  pl.replace(at, 34, "<Issuer>alice<![CDATA[   ]]>@contoso.com</Issuer>");
  EXPECT_EQ(code_of([&] { parse_publishing_license(pl, server->anchors()); }), Errc::bad_format);
  std::string split = pub.license_xml;
  split.replace(at, 34, "<Issuer>alice<!-- -->@contoso.com</Issuer>");
  EXPECT_EQ(code_of([&] { parse_publishing_license(split, server->anchors()); }), Errc::bad_format);
}

TEST_F(Licenses, UnknownOrDuplicateElementsAreRejectedEvenIfSigned) {
  // An added or duplicated element changes the signed bytes.
  std::string extra = ul_xml;
  extra.insert(extra.find("</Body>"), "<Bonus>OWNER</Bonus>");
  EXPECT_EQ(code_of([&] { parse_use_license(extra, server->anchors()); }), Errc::integrity);
  std::string dup = ul_xml;
  dup.insert(dup.find("<Body>") + 6, "<Rights>OWNER</Rights>");
  EXPECT_EQ(code_of([&] { parse_use_license(dup, server->anchors()); }), Errc::integrity);
  // Another server's licenses are not trusted.
  SqliteStore other_store(":memory:", crypto::SecureBytes(32, 9));
  ServerOptions o;
  o.clock = &clock;
  LicenseServer other(other_store, o);
  other.activate();
  EXPECT_EQ(code_of([&] { parse_use_license(ul_xml, other.anchors()); }), Errc::integrity);
  EXPECT_EQ(code_of([&] { parse_certificate(bob->grant.rac_xml, other.anchors()); }),
            Errc::integrity);
  // A certificate is not a use license.
  EXPECT_EQ(code_of([&] { parse_use_license(bob->grant.rac_xml, server->anchors()); }),
            Errc::bad_format);
}

TEST_F(Licenses, WhatTheyCarry) {
  auto ul = parse_use_license(ul_xml, server->anchors());
  EXPECT_EQ(ul.content_id, pub.content_id);
  EXPECT_EQ(ul.rights, Rights{Right::view});
  EXPECT_EQ(ul.role, Role::user);
  EXPECT_EQ(ul.issuer, "alice@contoso.com");
  EXPECT_EQ(ul.user_key_id, bob->grant.rac.key_id());
  ASSERT_EQ(ul.app_data.size(), 1u);
  EXPECT_EQ(ul.app_data[0].second, "Confidential");
  auto pl = parse_publishing_license(pub.license_xml, server->anchors());
  EXPECT_EQ(pl.issuer, "alice@contoso.com");
  EXPECT_EQ(pl.owner, "alice@contoso.com");
  EXPECT_FALSE(pl.uses_template());
  EXPECT_EQ(pl.owner_key_id, alice->grant.rac.key_id());
  EXPECT_EQ(ul.publishing_license, pl.hash);
  // The policy is sealed: no grantee, right or app data in the clear.
  EXPECT_EQ(pub.license_xml.find("bob@contoso.com"), std::string::npos);
  EXPECT_EQ(pub.license_xml.find("Confidential"), std::string::npos);
  // Times are UTC text.
  EXPECT_NE(ul_xml.find("<IssuedAt>2026-11-23T09:00:00Z</IssuedAt>"), std::string::npos);
  EXPECT_NE(ul_xml.find("<ValidUntil>2026-12-23T09:00:00Z</ValidUntil>"), std::string::npos);
}

TEST(Times, FormatAgreesWithTheCLibrary) {
  // gmtime_r + strftime are the reference, over 1970-9999 (format_time writes digits itself).
  std::mt19937_64 rng(20261201);
  std::uniform_int_distribution<long long> any(0, 253402300799LL);  // 9999-12-31T23:59:59Z
  std::vector<long long> secs = {0, 59, 86399, 86400, 951782400, 1795424400, 253402300799LL};
  for (int i = 0; i < 20000; ++i) secs.push_back(any(rng));
  for (const long long s : secs) {
    const std::time_t tt = static_cast<std::time_t>(s);
    std::tm tm{};
    ASSERT_NE(gmtime_r(&tt, &tm), nullptr);
    char want[32];
    ASSERT_EQ(std::strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm), 20u) << s;
    ASSERT_EQ(format_time(Time(Seconds(s))), want) << s;
    ASSERT_EQ(parse_time(want), Time(Seconds(s))) << want;
  }
  std::string out = "at ";
  append_time(out, Time(Seconds(0)));
  EXPECT_EQ(out, "at 1970-01-01T00:00:00Z");
  // Outside 0-9999 (never in a license) the year is printed as it is, not cut to four digits.
  EXPECT_EQ(format_time(Time(Seconds(253402300800LL))), "10000-01-01T00:00:00Z");
}

TEST(Times, ParseAndFormat) {
  EXPECT_EQ(format_time(*parse_time("2024-02-29T23:59:59Z")), "2024-02-29T23:59:59Z");
  EXPECT_EQ(parse_time("1970-01-01T00:00:00Z")->time_since_epoch().count(), 0);
  EXPECT_EQ(parse_time("2026-11-23T09:00:00Z")->time_since_epoch().count(), 1795424400);
  for (const char* bad :
       {"2023-02-29T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23 09:00:00Z",
        "2026-11-23T09:00:00+01:00", "2026-11-23T09:00:00", "1969-12-31T23:59:59Z"})
    EXPECT_FALSE(parse_time(bad).has_value()) << bad;
}

}  // namespace
