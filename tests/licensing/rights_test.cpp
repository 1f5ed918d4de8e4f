// Usage rights: every name form from the product documentation, permission levels, presets.
#include <gtest/gtest.h>

#include "openrms/error.hpp"
#include "openrms/licensing/rights.hpp"

using namespace openrms::licensing;

namespace {

struct NameCase {
  const char* name;
  Right right;
};

// Written from the AIP "Configuring usage rights" table, the MSIPC rights reference and the MIP
// SDK Rights class, independently of the implementation's table.
const NameCase kCases[] = {
    {"VIEW", Right::view},
    {"view", Right::view},
    {"Open", Right::view},
    {"Read", Right::view},
    {"IPC_GENERIC_READ", Right::view},
    {"ipc_generic_read", Right::view},
    {"DOCEDIT", Right::docedit},
    {"Edit Content", Right::docedit},
    {"edit content", Right::docedit},
    {"DocumentEdit", Right::docedit},
    {"EDIT", Right::edit},
    {"Edit", Right::edit},
    {"Save", Right::edit},
    {"IPC_GENERIC_WRITE", Right::edit},
    {"COMMENT", Right::comment},
    {"IPC_GENERIC_COMMENT", Right::comment},
    {"EXPORT", Right::export_},
    {"Save As", Right::export_},
    {"Export (Save As)", Right::export_},
    {"IPC_GENERIC_EXPORT", Right::export_},
    {"FORWARD", Right::forward},
    {"IPC_EMAIL_FORWARD", Right::forward},
    {"OWNER", Right::owner},
    {"Full Control", Right::owner},
    {"IPC_GENERIC_ALL", Right::owner},
    {"PRINT", Right::print},
    {"IPC_GENERIC_PRINT", Right::print},
    {"REPLY", Right::reply},
    {"IPC_EMAIL_REPLY", Right::reply},
    {"REPLYALL", Right::replyall},
    {"Reply All", Right::replyall},
    {"ReplyAll", Right::replyall},
    {"IPC_EMAIL_REPLYALL", Right::replyall},
    {"EXTRACT", Right::extract},
    {"Copy", Right::extract},
    {"IPC_GENERIC_EXTRACT", Right::extract},
    {"VIEWRIGHTSDATA", Right::viewrightsdata},
    {"View Rights", Right::viewrightsdata},
    {"IPC_READ_RIGHTS", Right::viewrightsdata},
    {"ViewRightsData", Right::viewrightsdata},
    {"EDITRIGHTSDATA", Right::editrightsdata},
    {"Change Rights", Right::editrightsdata},
    {"IPC_WRITE_RIGHTS", Right::editrightsdata},
    {"EditRightsData", Right::editrightsdata},
    {"OBJMODEL", Right::objmodel},
    {"Allow Macros", Right::objmodel},
    {"ObjectModel", Right::objmodel},
    {"  allow macros ", Right::objmodel},
};

}  // namespace

TEST(Rights, EveryNameFormParses) {
  for (const auto& c : kCases) {
    auto r = parse_right(c.name);
    ASSERT_TRUE(r.has_value()) << c.name;
    EXPECT_EQ(*r, c.right) << c.name;
  }
}

TEST(Rights, UnknownNamesAreRejected) {
  for (const char* bad : {"", "VIEWX", "IPC_GENERIC", "Full", "AUDITEDEXTRACT", "Rights"})
    EXPECT_FALSE(parse_right(bad).has_value()) << bad;
  EXPECT_THROW(parse_rights("VIEW,FLY"), openrms::Error);
}

TEST(Rights, EncodingIsCanonicalAndFourteen) {
  const char* expected[] = {"VIEW",    "DOCEDIT",        "EDIT",           "COMMENT", "EXPORT",
                            "FORWARD", "OWNER",          "PRINT",          "REPLY",   "REPLYALL",
                            "EXTRACT", "VIEWRIGHTSDATA", "EDITRIGHTSDATA", "OBJMODEL"};
  ASSERT_EQ(kRightCount, 14);
  for (int i = 0; i < kRightCount; ++i) {
    EXPECT_EQ(to_string(static_cast<Right>(i)), expected[i]);
    EXPECT_EQ(parse_right(expected[i]), static_cast<Right>(i));
  }
  EXPECT_EQ(to_string(parse_rights("print; Copy, view")), "VIEW,PRINT,EXTRACT");
}

TEST(Rights, OwnerImpliesEverything) {
  Rights r{Right::owner};
  for (int i = 0; i < kRightCount; ++i) EXPECT_TRUE(r.has(static_cast<Right>(i)));
  EXPECT_TRUE(r.contains(Rights::all()));
  EXPECT_EQ(r.effective(), Rights::all());
  EXPECT_EQ(to_string(r), "OWNER");  // what was granted is kept as granted
  Rights v{Right::view};
  EXPECT_FALSE(v.has(Right::print));
  EXPECT_FALSE(v.contains(Rights{Right::view, Right::print}));
}

TEST(Rights, PermissionLevelsMatchTheDocumentation) {
  EXPECT_EQ(to_string(rights_of(PermissionLevel::viewer)),
            "VIEW,REPLY,REPLYALL,VIEWRIGHTSDATA,OBJMODEL");
  EXPECT_EQ(to_string(rights_of(PermissionLevel::restricted_editor)),
            "VIEW,DOCEDIT,EDIT,FORWARD,REPLY,REPLYALL,VIEWRIGHTSDATA,OBJMODEL");
  EXPECT_EQ(
      to_string(rights_of(PermissionLevel::editor)),
      "VIEW,DOCEDIT,EDIT,EXPORT,FORWARD,PRINT,REPLY,REPLYALL,EXTRACT,VIEWRIGHTSDATA,OBJMODEL");
  EXPECT_EQ(to_string(rights_of(PermissionLevel::co_owner)),
            "VIEW,DOCEDIT,EDIT,EXPORT,FORWARD,OWNER,PRINT,REPLY,REPLYALL,EXTRACT,VIEWRIGHTSDATA,"
            "EDITRIGHTSDATA,OBJMODEL");
  EXPECT_EQ(rights_of(PermissionLevel::co_owner).effective(), Rights::all());  // through OWNER
  // Old and new names.
  EXPECT_EQ(parse_permission_level("Reviewer"), PermissionLevel::restricted_editor);
  EXPECT_EQ(parse_permission_level("restricted editor"), PermissionLevel::restricted_editor);
  EXPECT_EQ(parse_permission_level("Co-Author"), PermissionLevel::editor);
  EXPECT_EQ(parse_permission_level("CO_OWNER"), PermissionLevel::co_owner);
  EXPECT_EQ(parse_permission_level("Owner"), PermissionLevel::co_owner);
  EXPECT_FALSE(parse_permission_level("Boss").has_value());
  EXPECT_EQ(parse_rights("Viewer, PRINT"),
            rights_of(PermissionLevel::viewer) | Rights{Right::print});
}

TEST(Rights, Presets) {
  Rights dnf = do_not_forward_rights();
  for (Right r : {Right::forward, Right::print, Right::extract, Right::export_, Right::owner,
                  Right::editrightsdata})
    EXPECT_FALSE(dnf.has(r)) << to_string(r);
  for (Right r : {Right::view, Right::docedit, Right::edit, Right::reply, Right::replyall,
                  Right::comment, Right::viewrightsdata, Right::objmodel})
    EXPECT_TRUE(dnf.has(r)) << to_string(r);
  Rights eo = encrypt_only_rights();
  for (Right r : {Right::export_, Right::owner, Right::editrightsdata}) EXPECT_FALSE(eo.has(r));
  for (Right r : {Right::extract, Right::print, Right::forward, Right::view, Right::edit})
    EXPECT_TRUE(eo.has(r));
}

TEST(Rights, AttachmentInheritance) {
  using A = AttachmentProtection::Action;
  TenantMailSettings on{true, false}, off{false, false}, decrypt{true, true};
  auto office_dnf = attachment_protection(MessageProtection::do_not_forward, AttachmentKind::office,
                                          do_not_forward_rights(), on);
  EXPECT_EQ(office_dnf.action, A::protect);
  EXPECT_EQ(office_dnf.rights, (Rights{Right::docedit, Right::edit, Right::view, Right::objmodel}));
  auto office_eo = attachment_protection(MessageProtection::encrypt_only, AttachmentKind::office,
                                         encrypt_only_rights(), on);
  EXPECT_EQ(office_eo.rights, encrypt_only_rights());
  EXPECT_FALSE(office_eo.deliver_unprotected);
  EXPECT_TRUE(attachment_protection(MessageProtection::encrypt_only, AttachmentKind::office,
                                    encrypt_only_rights(), decrypt)
                  .deliver_unprotected);
  EXPECT_FALSE(attachment_protection(MessageProtection::do_not_forward, AttachmentKind::office,
                                     do_not_forward_rights(), decrypt)
                   .deliver_unprotected);
  EXPECT_EQ(attachment_protection(MessageProtection::do_not_forward, AttachmentKind::pdf,
                                  do_not_forward_rights(), off)
                .action,
            A::unprotected);
  auto pdf = attachment_protection(MessageProtection::do_not_forward, AttachmentKind::pdf,
                                   do_not_forward_rights(), on);
  EXPECT_EQ(pdf.action, A::protect);
  EXPECT_EQ(pdf.rights, do_not_forward_rights());
  EXPECT_EQ(attachment_protection(MessageProtection::template_policy,
                                  AttachmentKind::already_protected, Rights::all(), on)
                .action,
            A::keep_own);
}
