#include "openrms/licensing/rights.hpp"

#include <array>
#include <cctype>

#include "openrms/error.hpp"
#include "text.hpp"

namespace openrms::licensing {

using detail::trim;

namespace {

// Sources: Azure Information Protection "Configuring usage rights" (common names, AD RMS
// template names, API constants), MSIPC rights reference (IPC_* constants), MIP SDK
// Microsoft.InformationProtection.Protection.Rights (field names).
constexpr std::array<RightNames, kRightCount> kNames{{
    {"VIEW", "View", "Open,Read", "View", "IPC_GENERIC_READ", "View"},
    {"DOCEDIT", "Edit Content", "Edit", "Edit", "", "DocumentEdit"},
    {"EDIT", "Save", "", "Save", "IPC_GENERIC_WRITE", "Edit"},
    {"COMMENT", "Comment", "", "", "IPC_GENERIC_COMMENT", "Comment"},
    {"EXPORT", "Save As", "Export", "Export (Save As)", "IPC_GENERIC_EXPORT", "Export"},
    {"FORWARD", "Forward", "", "Forward", "IPC_EMAIL_FORWARD", "Forward"},
    {"OWNER", "Full Control", "", "Full Control", "IPC_GENERIC_ALL", "Owner"},
    {"PRINT", "Print", "", "Print", "IPC_GENERIC_PRINT", "Print"},
    {"REPLY", "Reply", "", "Reply", "IPC_EMAIL_REPLY", "Reply"},
    {"REPLYALL", "Reply All", "", "Reply All", "IPC_EMAIL_REPLYALL", "ReplyAll"},
    {"EXTRACT", "Copy", "", "Extract", "IPC_GENERIC_EXTRACT", "Extract"},
    {"VIEWRIGHTSDATA", "View Rights", "", "View Rights", "IPC_READ_RIGHTS", "ViewRightsData"},
    {"EDITRIGHTSDATA", "Change Rights", "", "", "IPC_WRITE_RIGHTS", "EditRightsData"},
    {"OBJMODEL", "Allow Macros", "", "Allow Macros", "", "ObjectModel"},
}};

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool in_list(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    auto comma = list.find(',');
    if (iequal(list.substr(0, comma), name)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// Removes blanks, '-' and '_' and lower-cases, for permission-level names.
std::string squash(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '-' || c == '_' || c == '\t') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

const RightNames& names_of(Right r) noexcept {
  return kNames[static_cast<std::size_t>(r)];
}

std::string_view to_string(Right r) noexcept {
  return names_of(r).encoding;
}

std::optional<Right> parse_right(std::string_view name) noexcept {
  name = trim(name);
  if (name.empty()) return std::nullopt;
  // The policy encoding first (it wins the one ambiguity, "Edit").
  for (int i = 0; i < kRightCount; ++i)
    if (iequal(kNames[i].encoding, name)) return static_cast<Right>(i);
  for (int i = 0; i < kRightCount; ++i) {
    const RightNames& n = kNames[i];
    if (iequal(n.common, name) || in_list(n.common_alt, name) || iequal(n.adrms_template, name) ||
        (!n.msipc.empty() && iequal(n.msipc, name)) || iequal(n.mip, name))
      return static_cast<Right>(i);
  }
  return std::nullopt;
}

std::vector<Right> Rights::list() const {
  std::vector<Right> out;
  for (int i = 0; i < kRightCount; ++i)
    if (bits_ & (1u << i)) out.push_back(static_cast<Right>(i));
  return out;
}

std::string to_string(Rights r) {
  std::string out;
  for (Right x : r.list()) {
    if (!out.empty()) out += ',';
    out += to_string(x);
  }
  return out;
}

Rights parse_rights(std::string_view text) {
  Rights out;
  while (true) {
    auto sep = text.find_first_of(",;");
    std::string_view word = trim(text.substr(0, sep));
    if (!word.empty()) {
      if (auto r = parse_right(word)) {
        out.add(*r);
      } else if (auto level = parse_permission_level(word)) {
        out = out | rights_of(*level);
      } else {
        std::string shown(word.substr(0, 64));
        fail(Errc::invalid_argument,
             "unknown usage right or permission level '" + shown +
                 "' (use a policy encoding such as VIEW, EDIT, DOCEDIT, PRINT, EXTRACT, OWNER, "
                 "or a level: Viewer, Restricted Editor, Editor, Co-Owner)");
      }
    }
    if (sep == std::string_view::npos) break;
    text.remove_prefix(sep + 1);
  }
  return out;
}

Rights rights_of(PermissionLevel level) noexcept {
  using R = Right;
  Rights viewer{R::view, R::viewrightsdata, R::reply, R::replyall, R::objmodel};
  Rights restricted = viewer | Rights{R::edit, R::docedit, R::forward};
  Rights editor = restricted | Rights{R::extract, R::export_, R::print};
  Rights owner = editor | Rights{R::editrightsdata, R::owner};
  switch (level) {
    case PermissionLevel::viewer:
      return viewer;
    case PermissionLevel::restricted_editor:
      return restricted;
    case PermissionLevel::editor:
      return editor;
    case PermissionLevel::co_owner:
      return owner;
  }
  return {};
}

std::string_view to_string(PermissionLevel level) noexcept {
  switch (level) {
    case PermissionLevel::viewer:
      return "Viewer";
    case PermissionLevel::restricted_editor:
      return "Restricted Editor";
    case PermissionLevel::editor:
      return "Editor";
    case PermissionLevel::co_owner:
      return "Co-Owner";
  }
  return "";
}

std::optional<PermissionLevel> parse_permission_level(std::string_view name) noexcept {
  std::string s = squash(name);
  if (s == "viewer") return PermissionLevel::viewer;
  if (s == "restrictededitor" || s == "reviewer") return PermissionLevel::restricted_editor;
  if (s == "editor" || s == "coauthor") return PermissionLevel::editor;
  if (s == "coowner" || s == "owner") return PermissionLevel::co_owner;
  return std::nullopt;
}

Rights do_not_forward_rights() noexcept {
  Rights r = Rights::all();
  // Change Rights would let a recipient re-protect the content to anyone or remove protection.
  for (Right x : {Right::forward, Right::print, Right::extract, Right::export_, Right::owner,
                  Right::editrightsdata})
    r.remove(x);
  return r;
}

Rights encrypt_only_rights() noexcept {
  Rights r = Rights::all();
  for (Right x : {Right::export_, Right::owner, Right::editrightsdata}) r.remove(x);
  return r;
}

AttachmentProtection attachment_protection(MessageProtection kind, AttachmentKind attachment,
                                           Rights message_rights,
                                           const TenantMailSettings& settings) noexcept {
  using A = AttachmentProtection::Action;
  AttachmentProtection out;
  switch (attachment) {
    case AttachmentKind::already_protected:
      out.action = A::keep_own;
      return out;
    case AttachmentKind::pdf:
      if (!settings.enable_pdf_encryption) {
        out.action = A::unprotected;
        return out;
      }
      out.rights = message_rights;
      break;
    case AttachmentKind::office:
      out.rights = kind == MessageProtection::do_not_forward
                       ? Rights{Right::docedit, Right::edit, Right::view, Right::objmodel}
                       : message_rights;
      break;
    case AttachmentKind::other:
      out.rights = message_rights;
      break;
  }
  out.action = A::protect;
  out.deliver_unprotected =
      kind == MessageProtection::encrypt_only && settings.decrypt_attachment_for_encrypt_only;
  return out;
}

}  // namespace openrms::licensing
