#include "metrics.hpp"

#include <chrono>
#include <cstdio>

namespace openrms::server::detail {

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// A label value as the exposition format wants it (route templates are plain ASCII, but a
// backslash, quote or newline must never break a line).
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

}  // namespace

void Metrics::observe(std::string_view route, std::string_view method, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{std::string(route), std::string(method), status}];
  auto it = latency_.find(route);
  if (it == latency_.end()) it = latency_.emplace(std::string(route), Histogram{}).first;
  Histogram& h = it->second;
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.counts[i];
  ++h.count;
  h.sum += seconds;
  if (route == "/v1/acquire" && status == 200) ++licenses_;
}

std::string Metrics::text(std::string_view extra) const {
  std::string out;
  std::lock_guard lock(mu_);
  out += "# HELP openrms_http_requests_total Requests answered, by route, method and status.\n";
  out += "# TYPE openrms_http_requests_total counter\n";
  for (const auto& [k, n] : requests_)
    out += "openrms_http_requests_total{route=\"" + label(std::get<0>(k)) + "\",method=\"" +
           label(std::get<1>(k)) + "\",status=\"" + std::to_string(std::get<2>(k)) + "\"} " +
           std::to_string(n) + "\n";
  out +=
      "# HELP openrms_http_request_duration_seconds Time from a complete request to its "
      "response being written.\n";
  out += "# TYPE openrms_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    const std::string r = label(route);
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      out += "openrms_http_request_duration_seconds_bucket{route=\"" + r + "\",le=\"" +
             number(kBuckets[i]) + "\"} " + std::to_string(h.counts[i]) + "\n";
    out += "openrms_http_request_duration_seconds_bucket{route=\"" + r + "\",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    out += "openrms_http_request_duration_seconds_sum{route=\"" + r + "\"} " + number(h.sum) + "\n";
    out += "openrms_http_request_duration_seconds_count{route=\"" + r + "\"} " +
           std::to_string(h.count) + "\n";
  }
  out += "# HELP openrms_use_licenses_issued_total Use licenses handed out.\n";
  out += "# TYPE openrms_use_licenses_issued_total counter\n";
  out += "openrms_use_licenses_issued_total " + std::to_string(licenses_) + "\n";
  out += "# TYPE openrms_connections gauge\nopenrms_connections " +
         std::to_string(connections.load()) + "\n";
  out += "# TYPE openrms_requests_in_flight gauge\nopenrms_requests_in_flight " +
         std::to_string(in_flight.load()) + "\n";
  out += "# TYPE openrms_connections_refused_total counter\nopenrms_connections_refused_total " +
         std::to_string(refused_connections.load()) + "\n";
  out += "# TYPE openrms_rate_limited_total counter\nopenrms_rate_limited_total " +
         std::to_string(rate_limited.load()) + "\n";
  out += extra;
  return out;
}

bool RateLimiter::allow(const std::string& client) {
  if (rate_ <= 0) return true;
  const double now =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= 65536)
      std::erase_if(buckets_, [&](const auto& kv) {
        return kv.second.tokens + (now - kv.second.last) * rate_ >= burst_;
      });
    it = buckets_.emplace(client, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + (now - b.last) * rate_);
  b.last = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace openrms::server::detail
