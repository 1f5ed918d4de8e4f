// A progress line on stderr for long operations (only when stderr is a terminal, or forced).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include <unistd.h>

namespace openrms::cli {

class ProgressLine {
 public:
  ProgressLine(std::string label, bool enabled)
      : label_(std::move(label)), enabled_(enabled), t0_(std::chrono::steady_clock::now()) {}
  static bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) != 0; }
  void operator()(std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    double s = std::chrono::duration<double>(now - t0_).count();
    double mib = static_cast<double>(done) / (1 << 20);
    std::fprintf(stderr, "\r%s: %5.1f%%  %.0f MiB  %.0f MiB/s   ", label_.c_str(),
                 total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0,
                 mib, s > 0 ? mib / s : 0.0);
    if (done >= total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  std::string label_;
  bool enabled_;
  std::chrono::steady_clock::time_point t0_, last_{};
};

}  // namespace openrms::cli
