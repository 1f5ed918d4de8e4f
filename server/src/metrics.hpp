// The service's Prometheus metrics (text exposition format 0.0.4): requests by route, method
// and status; latency histograms by route; licenses issued; connections and requests in flight.
// Routes are path templates (Api::route_label), so label cardinality stays bounded whatever
// clients send. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace openrms::server::detail {

class Metrics {
 public:
  void observe(std::string_view route, std::string_view method, int status, double seconds);
  std::atomic<std::int64_t> connections{0}, in_flight{0};
  std::atomic<std::uint64_t> refused_connections{0}, rate_limited{0};
  /// Prometheus text; `extra` lines (already formatted) are appended.
  std::string text(std::string_view extra = {}) const;

  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> counts{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram, std::less<>> latency_;
  std::uint64_t licenses_ = 0;
};

/// Per-client request rate: a token bucket per client address. Thread-safe; memory bounded
/// (idle buckets are dropped when the table grows past 65,536 addresses).
class RateLimiter {
 public:
  RateLimiter(double per_second, double burst) : rate_(per_second), burst_(burst) {}
  /// False when `client` has used up its budget (the request gets 429).
  bool allow(const std::string& client);

 private:
  struct Bucket {
    double tokens;
    double last;  // seconds on the steady clock
  };
  double rate_, burst_;
  std::mutex mu_;
  std::map<std::string, Bucket, std::less<>> buckets_;
};

}  // namespace openrms::server::detail
