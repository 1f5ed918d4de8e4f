#include "cli_common.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "openrms/error.hpp"

namespace openrms::cli {

void check_output(const std::string& in, const std::string& out, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec, ec2;
  if (fs::equivalent(in, out, ec) || fs::weakly_canonical(in, ec) == fs::weakly_canonical(out, ec2))
    fail(Errc::invalid_argument, "input and output are the same file: choose another output");
  if (fs::exists(out, ec) && !force)
    fail(Errc::invalid_argument, out + " exists; use --force to overwrite it");
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

void StdoutSink::write(crypto::ByteView data) {
  if (data.empty()) return;
  if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::ferror(stdout))
    fail(Errc::io, std::string("cannot write to standard output: ") + std::strerror(errno));
}

void StdoutSink::finish() {
  if (std::fflush(stdout) != 0 || std::ferror(stdout))
    fail(Errc::io, std::string("cannot write to standard output: ") + std::strerror(errno));
}

void close_stdout() {
  std::cout.flush();
  const bool lost = !std::cout || std::fflush(stdout) != 0 || std::ferror(stdout);
  const int saved = errno;
  if (std::fclose(stdout) != 0 || lost)
    fail(Errc::io,
         std::string("cannot write to standard output: ") + std::strerror(lost ? saved : errno));
}

}  // namespace openrms::cli
