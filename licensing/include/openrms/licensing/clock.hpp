// Time for licensing decisions: UTC seconds and a clock interface tests can move.
//
// Every licensing decision (certificate validity, use-license validity, content expiry) asks a
// Clock, never the system time directly. Times are UTC, whole seconds; their text form is
// ISO 8601 "YYYY-MM-DDTHH:MM:SSZ" (the only form accepted in licenses).
// Thread safety: SystemClock and ManualClock are safe to share between threads.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace openrms::licensing {

using Time = std::chrono::sys_seconds;
using Seconds = std::chrono::seconds;
inline constexpr Seconds days(long long n) {
  return Seconds(n * 86400);
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time now() const = 0;
};

/// The system's UTC clock.
class SystemClock final : public Clock {
 public:
  Time now() const override;
};
/// A process-wide SystemClock.
const Clock& system_clock();

/// A clock that stands still until told to move (tests, demos, "what if" evaluation).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Time start) : t_(start.time_since_epoch().count()) {}
  Time now() const override { return Time(Seconds(t_.load())); }
  void set(Time t) { t_.store(t.time_since_epoch().count()); }
  void advance(Seconds d) { t_.fetch_add(d.count()); }

 private:
  std::atomic<long long> t_;
};

/// "2026-11-23T10:00:00Z".
std::string format_time(Time t);
/// The same text appended to `out` (no allocation of its own: for logs of many entries).
void append_time(std::string& out, Time t);
/// Parses exactly "YYYY-MM-DDTHH:MM:SSZ" (years 1970–9999, real calendar dates); nullopt else.
std::optional<Time> parse_time(std::string_view text) noexcept;

}  // namespace openrms::licensing
