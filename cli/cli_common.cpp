#include "cli_common.hpp"

#include <filesystem>
#include <iostream>

#include "openrms/error.hpp"

namespace openrms::cli {

void check_output(const std::string& in, const std::string& out, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(out, ec) && !force)
    fail(Errc::invalid_argument, out + " exists; use --force to overwrite it");
  if (fs::weakly_canonical(in, ec) == fs::weakly_canonical(out, ec))
    fail(Errc::invalid_argument, "input and output are the same file");
}

void print_table(const nlohmann::ordered_json& j, std::size_t width) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string key = it.key();
    key.resize(width, ' ');
    if (it.value().is_array()) {
      for (const auto& e : it.value()) std::cout << key << " " << e.dump() << "\n";
    } else {
      std::cout << key << " "
                << (it.value().is_string() ? it.value().get<std::string>() : it.value().dump())
                << "\n";
    }
  }
}

}  // namespace openrms::cli
