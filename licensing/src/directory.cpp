#include "openrms/licensing/directory.hpp"

#include <algorithm>
#include <fstream>

#include "openrms/error.hpp"
#include "openrms/licensing/policy.hpp"
#include "text.hpp"

namespace openrms::licensing {

void MemoryDirectory::add_member(std::string_view group, std::string_view member) {
  auto g = Principal::parse(group).name;
  auto m = Principal::parse(member).name;
  auto& v = member_of_[m];
  if (std::find(v.begin(), v.end(), g) == v.end()) v.push_back(g);
}

std::vector<std::string> MemoryDirectory::groups_of(std::string_view email) const {
  std::vector<std::string> out, todo{detail::lower(email)};
  while (!todo.empty()) {
    std::string cur = todo.back();
    todo.pop_back();
    auto it = member_of_.find(cur);
    if (it == member_of_.end()) continue;
    for (const auto& g : it->second) {
      if (std::find(out.begin(), out.end(), g) != out.end()) continue;
      out.push_back(g);
      todo.push_back(g);
    }
  }
  return out;
}

FileDirectory::FileDirectory(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(Errc::io, "cannot read the directory file '" + path + "'");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto colon = line.find(':');
    if (colon == std::string::npos)
      fail(Errc::bad_format, path + ":" + std::to_string(n) + ": expected 'group: member, member'");
    std::string group = line.substr(0, colon);
    std::string rest = line.substr(colon + 1);
    try {
      std::size_t pos = 0;
      while (pos <= rest.size()) {
        auto comma = rest.find(',', pos);
        std::string m =
            rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (m.find_first_not_of(" \t\r") != std::string::npos) add_member(group, m);
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    } catch (const Error& e) {
      fail(Errc::bad_format, path + ":" + std::to_string(n) + ": " + e.what());
    }
  }
}

}  // namespace openrms::licensing
