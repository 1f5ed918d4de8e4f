// Group membership for policy evaluation. Authentication is the embedding application's job;
// the directory only answers "which groups is this (authenticated) user in".
// Thread safety: implementations must allow concurrent groups_of() calls.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace openrms::licensing {

class Directory {
 public:
  virtual ~Directory() = default;
  /// Group e-mail addresses (lower-case) the user belongs to, directly or through nested groups.
  virtual std::vector<std::string> groups_of(std::string_view email) const = 0;
};

/// In-memory directory; nested groups are followed (cycles are harmless).
class MemoryDirectory : public Directory {
 public:
  void add_member(std::string_view group, std::string_view member);
  std::vector<std::string> groups_of(std::string_view email) const override;

 private:
  std::map<std::string, std::vector<std::string>> member_of_;  // member -> groups
};

/// A text file of lines "group@domain: member@domain, other@domain" ('#' starts a comment).
/// Throws Error{io} if unreadable, Error{bad_format} naming the line that is wrong.
class FileDirectory final : public MemoryDirectory {
 public:
  explicit FileDirectory(const std::string& path);
};

}  // namespace openrms::licensing
