// Usage rights, permission levels and the e-mail presets (DESIGN.md §3).
//
// The 14 rights of Azure RMS / Purview. Each right has one canonical *policy encoding* (the
// upper-case word stored in every license, e.g. "DOCEDIT") and several other names, all accepted
// on input, case-insensitively:
//   - the common names of the product documentation ("Edit Content", "Copy", "Full Control" …)
//   - the AD RMS template names ("Export (Save As)", "Allow Macros" …)
//   - the MSIPC constants ("IPC_GENERIC_READ" …; DOCEDIT and OBJMODEL have none)
//   - the MIP SDK names (Rights.DocumentEdit, Rights.ObjectModel …, written "DocumentEdit").
// One name is ambiguous: "Edit" is the policy encoding of EDIT (Save) and the common/AD RMS name
// of DOCEDIT (Edit Content). The policy encoding wins: "Edit" parses as EDIT; write
// "Edit Content" or "DOCEDIT" for the other.
//
// OWNER (Full Control) implies every other right: Rights::has() answers true for any right when
// OWNER is present. Rights is a value type (a 14-bit set); all functions are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace openrms::licensing {

enum class Right : std::uint8_t {
  view,            ///< VIEW — View, Open, Read
  docedit,         ///< DOCEDIT — Edit Content, Edit
  edit,            ///< EDIT — Save
  comment,         ///< COMMENT — Comment
  export_,         ///< EXPORT — Save As, Export
  forward,         ///< FORWARD — Forward
  owner,           ///< OWNER — Full Control (implies all)
  print,           ///< PRINT — Print
  reply,           ///< REPLY — Reply
  replyall,        ///< REPLYALL — Reply All
  extract,         ///< EXTRACT — Copy
  viewrightsdata,  ///< VIEWRIGHTSDATA — View Rights
  editrightsdata,  ///< EDITRIGHTSDATA — Change Rights (includes removing protection)
  objmodel,        ///< OBJMODEL — Allow Macros
};
inline constexpr int kRightCount = 14;

/// The names of one right in each naming scheme. Empty where a scheme has no name for it.
struct RightNames {
  std::string_view encoding;        ///< canonical policy encoding, e.g. "DOCEDIT"
  std::string_view common;          ///< the documentation's common name, e.g. "Edit Content"
  std::string_view common_alt;      ///< further common names, comma-separated ("Edit")
  std::string_view adrms_template;  ///< AD RMS template name
  std::string_view msipc;           ///< MSIPC constant
  std::string_view mip;             ///< MIP SDK Rights field name
};
const RightNames& names_of(Right r) noexcept;

/// The canonical policy encoding ("VIEW").
std::string_view to_string(Right r) noexcept;

/// Parses any name form, case-insensitively, surrounding blanks ignored. nullopt if unknown.
std::optional<Right> parse_right(std::string_view name) noexcept;

/// A set of rights. OWNER implies all rights for has()/contains(); the stored bits are kept as
/// given, so to_string() round-trips exactly what was granted.
class Rights {
 public:
  constexpr Rights() = default;
  Rights(std::initializer_list<Right> list) {
    for (Right r : list) add(r);
  }
  static constexpr Rights from_bits(std::uint16_t b) { return Rights(b & kAll); }
  static constexpr Rights all() { return Rights(kAll); }

  Rights& add(Right r) {
    bits_ |= bit(r);
    return *this;
  }
  Rights& remove(Right r) {
    bits_ &= static_cast<std::uint16_t>(~bit(r));
    return *this;
  }
  /// True if `r` is granted, directly or through OWNER.
  bool has(Right r) const noexcept { return (bits_ & bit(Right::owner)) || (bits_ & bit(r)); }
  /// True if every right of `o` is granted (OWNER implies all).
  bool contains(Rights o) const noexcept {
    return (bits_ & bit(Right::owner)) || (bits_ & o.bits_) == o.bits_;
  }
  /// The rights actually usable: all 14 when OWNER is present, else the set itself.
  Rights effective() const noexcept { return has_direct(Right::owner) ? all() : *this; }
  bool has_direct(Right r) const noexcept { return bits_ & bit(r); }
  bool empty() const noexcept { return bits_ == 0; }
  std::uint16_t bits() const noexcept { return bits_; }
  std::vector<Right> list() const;

  friend Rights operator|(Rights a, Rights b) { return Rights(a.bits_ | b.bits_); }
  friend Rights operator&(Rights a, Rights b) { return Rights(a.bits_ & b.bits_); }
  friend bool operator==(Rights a, Rights b) = default;

 private:
  static constexpr std::uint16_t kAll = (1u << kRightCount) - 1;
  static constexpr std::uint16_t bit(Right r) {
    return static_cast<std::uint16_t>(1u << static_cast<unsigned>(r));
  }
  constexpr explicit Rights(unsigned b) : bits_(static_cast<std::uint16_t>(b)) {}
  std::uint16_t bits_ = 0;
};

/// Canonical text: encodings in enum order, comma-separated ("VIEW,PRINT"); "" for none.
std::string to_string(Rights r);

/// Parses a list of right names and permission-level names separated by commas, semicolons or
/// whitespace-free commas ("VIEW, Print, Copy" or "Viewer,PRINT"). Multi-word names ("Full
/// Control") are allowed between separators. Throws Error{invalid_argument} naming the first
/// unknown word.
Rights parse_rights(std::string_view text);

/// Permission levels of the documentation (old names in parentheses are accepted on input).
enum class PermissionLevel {
  viewer,             ///< VIEW, VIEWRIGHTSDATA, REPLY, REPLYALL, OBJMODEL
  restricted_editor,  ///< (Reviewer) Viewer + EDIT, DOCEDIT, FORWARD
  editor,             ///< (Co-Author) Restricted Editor + EXTRACT, EXPORT, PRINT
  co_owner,           ///< (Owner / Co-Owner) Editor + EDITRIGHTSDATA, OWNER
};
Rights rights_of(PermissionLevel level) noexcept;
std::string_view to_string(PermissionLevel level) noexcept;
/// "Viewer", "Restricted Editor", "Reviewer", "Editor", "Co-Author", "Co-Owner", "Owner"
/// (case-insensitive; blanks, '-' and '_' ignored).
std::optional<PermissionLevel> parse_permission_level(std::string_view name) noexcept;

/// Do Not Forward: every right except FORWARD, PRINT, EXTRACT, EXPORT, OWNER and EDITRIGHTSDATA
/// (Change Rights would let a recipient re-protect the content to anyone; DESIGN.md §3).
Rights do_not_forward_rights() noexcept;
/// Encrypt-Only: every right except EXPORT, OWNER and EDITRIGHTSDATA (EDITRIGHTSDATA also removes
/// protection, which Encrypt-Only forbids; a documented choice, DESIGN.md §3).
Rights encrypt_only_rights() noexcept;

/// How a message's protection applies to one attachment (DESIGN.md §3; issue 7 uses it).
enum class MessageProtection { do_not_forward, encrypt_only, template_policy };
enum class AttachmentKind { office, pdf, other, already_protected };
struct TenantMailSettings {
  bool enable_pdf_encryption = true;                 ///< EnablePdfEncryption
  bool decrypt_attachment_for_encrypt_only = false;  ///< DecryptAttachmentForEncryptOnly
};
struct AttachmentProtection {
  enum class Action {
    keep_own,    ///< already protected: keep its own protection
    protect,     ///< protect with `rights`
    unprotected  ///< leave as is (only the message's own encryption covers it)
  } action = Action::protect;
  Rights rights;
  /// Encrypt-Only with DecryptAttachmentForEncryptOnly: protected in transit, handed to an
  /// authenticated recipient without protection.
  bool deliver_unprotected = false;
};
AttachmentProtection attachment_protection(MessageProtection kind, AttachmentKind attachment,
                                           Rights message_rights,
                                           const TenantMailSettings& settings) noexcept;

}  // namespace openrms::licensing
