// `openrms serve`: the licensing API (api.hpp) over HTTPS, on Boost.Beast (HTTP/1.1 parsing and
// writing) over Asio with OpenSSL (TLS 1.2 and 1.3 only).
//
// Besides the /v1/ routes it answers, without a token:
//   GET /healthz   200 while the process serves requests
//   GET /readyz    200 when the store answers and the service is not draining, else 503
//   GET /metrics   Prometheus text (metrics.hpp)
// and, with ServiceOptions::portal, the external-recipient portal under /portal/ (portal.hpp),
// which authenticates by its own session cookies.
// Guarantees:
//   - TLS from a PEM certificate chain and key; plain HTTP only with insecure_http (for a
//     reverse proxy on the same host). A client speaking plain HTTP to the TLS port gets a 400
//     that says so, in plain text, and the connection is closed.
//   - An exception escaping a handler on an I/O thread is logged and that thread goes on
//     serving: no request can stop the process.
//   - Limits: request headers (max_header: 431), body (max_body: 413; max_deposit_body for
//     POST /v1/portal/messages, whose body carries a whole message: its token is verified
//     from the header, before the body is read, and a refusal closes the connection), open
//     connections (max_connections: further ones are closed at once), a request rate per client
//     address (429 with Retry-After), and read_timeout: a connection that does not deliver a
//     complete request within it is closed (slow clients cannot hold connections).
//   - Bearer tokens are verified (auth.hpp) on the worker pool, never on the I/O threads; a bad
//     token is 401 whatever the route; the groups a token carries feed `directory`.
//   - An access log, one JSON object per line: time, client address, method, route, path,
//     status, bytes, milliseconds, user. Never a token, key, body or query string.
//   - stop() (also on SIGTERM/SIGINT while run() runs) closes the listener, lets requests in
//     flight finish (up to drain_timeout), answers /readyz with 503 meanwhile, and returns.
// Errors: the constructor throws Error{io} when it cannot listen or load the certificate/key,
// Error{invalid_argument} for contradictory options.
// Thread safety: stop() and metrics() may be called from any thread; run() once.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "openrms/server/api.hpp"
#include "openrms/server/auth.hpp"
#include "openrms/server/portal.hpp"

namespace openrms::server {

struct ServiceOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8443;  ///< 0: the OS picks one (see Service::port())
  std::string cert_file, key_file;
  bool insecure_http = false;
  std::size_t max_body = kMaxBody;
  /// The body limit of a portal deposit (at most kMaxDepositBody, which the API holds it to).
  std::size_t max_deposit_body = kMaxDepositBody;
  /// Beast keeps one field value in at most 64 KiB, so the headers' limit stays below that:
  /// a token over kMaxToken is 401, headers over this (a 100 KB token) 431.
  std::size_t max_header = 60u << 10;
  std::size_t max_connections = 512;
  double rate_per_client = 1000;  ///< requests/s per client address; 0: no limit
  /// Addresses of reverse proxies (HAProxy) whose X-Forwarded-For is believed: for a request
  /// from one of them the client is the address the proxy appended (the rightmost entry), for
  /// rate limits and the access log. From any other peer the header is ignored, so a client
  /// cannot choose its own address.
  std::vector<std::string> trusted_proxies;
  double rate_burst = 2000;
  std::chrono::milliseconds read_timeout{15000};
  std::chrono::milliseconds drain_timeout{15000};
  unsigned io_threads = 0;          ///< 0: one per core
  unsigned worker_threads = 32;     ///< handlers waiting on the store's group commit overlap
  std::FILE* access_log = nullptr;  ///< nullptr: no access log
  /// /readyz's check that the store answers (a read that reaches the database); empty:
  /// Api::ready().
  std::function<bool()> ready_probe;
  /// Serves /portal/ (portal.hpp) when set; it must outlive the service.
  Portal* portal = nullptr;
};

class Service {
 public:
  /// Binds and listens (so port() is known before run()). `auth` may be null only with
  /// `insecure_http` in tests: then no route that needs a caller can be used. `directory`
  /// (optional) learns each verified caller's groups.
  Service(Api& api, Authenticator* auth, TokenDirectory* directory, ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  std::uint16_t port() const;
  /// Serves until stop() (or SIGTERM/SIGINT when `handle_signals`), then drains and returns.
  void run(bool handle_signals = true);
  void stop();
  std::string metrics() const;

  struct Impl;  // the connections' shared state (service.cpp)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace openrms::server
