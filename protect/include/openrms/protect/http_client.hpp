// A small HTTPS client over libcurl for talking to a licensing service or an OpenID issuer:
// TLS verified (the system's roots, or a CA file), proxies from the usual environment variables
// (https_proxy, no_proxy — libcurl's own handling), connections kept alive and reused.
//
// Contract: request() returns the response whatever its status (the caller interprets 4xx/5xx);
// it fails only when no response arrived: Error{unavailable} (cannot connect, timed out, the
// connection dropped), Error{integrity} (the server's certificate does not verify or does not
// name the host), Error{bad_format} (a response larger than max_response), Error{invalid_argument}
// (a URL that is not http(s)). `sent` tells the caller whether the request may have reached the
// server (false only when the connection was never made), so it can decide whether a retry is
// safe. Error messages carry the URL's origin, never headers (tokens) or bodies.
// Thread safety: one HttpClient may be used from many threads; each request takes one of a pool
// of libcurl handles (each keeps its own connection alive).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace openrms::protect {

struct HttpOptions {
  std::string ca_file;  ///< PEM roots to trust; empty: the system's
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};  ///< whole request
  std::size_t max_response = 16u << 20;
  std::string user_agent = "openrms/0.1";
};

struct HttpResponse {
  long status = 0;
  std::string content_type;
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// `headers` are "Name: value" lines. `sent` (optional) is set as described above.
  HttpResponse request(std::string_view method, const std::string& url,
                       const std::vector<std::string>& headers, std::string_view body = {},
                       bool* sent = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace openrms::protect
