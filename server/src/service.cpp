#include "openrms/server/service.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <ctime>
#include <mutex>
#include <optional>
#include <thread>

#include "metrics.hpp"

namespace openrms::server {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

// What every connection shares.
struct Service::Impl {
  Api& api;
  Authenticator* auth;
  TokenDirectory* directory;
  ServiceOptions opt;
  net::io_context ioc;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor{ioc};
  net::thread_pool workers;
  detail::Metrics metrics;
  detail::RateLimiter limiter;
  std::mutex log_mu;
  std::atomic<bool> draining{false};
  std::atomic<bool> stopped{false};

  Impl(Api& a, Authenticator* au, TokenDirectory* d, ServiceOptions o)
      : api(a),
        auth(au),
        directory(d),
        opt(std::move(o)),
        workers(opt.worker_threads ? opt.worker_threads : 32),
        limiter(opt.rate_per_client, opt.rate_burst) {}

  void log(const nlohmann::ordered_json& line) {
    if (!opt.access_log) return;
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    std::lock_guard lock(log_mu);
    std::fwrite(text.data(), 1, text.size(), opt.access_log);
    std::fflush(opt.access_log);
  }

  void accept();
  void begin_drain();

  // The client a request comes from: the peer, or, when the peer is a trusted proxy, the
  // address it appended last to X-Forwarded-For (entries before it come from the client and
  // prove nothing). A value that is not an IP address leaves the peer.
  template <class Request>
  std::string client_of(const std::string& peer, const Request& req) const {
    if (opt.trusted_proxies.empty() ||
        std::find(opt.trusted_proxies.begin(), opt.trusted_proxies.end(), peer) ==
            opt.trusted_proxies.end())
      return peer;
    std::string_view last;
    for (const auto& f : req)  // Beast has no enum value for this header
      if (beast::iequals(f.name_string(), "X-Forwarded-For")) last = f.value();
    if (const auto comma = last.rfind(','); comma != std::string_view::npos)
      last = last.substr(comma + 1);
    while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
    while (!last.empty() && (last.back() == ' ' || last.back() == '\t')) last.remove_suffix(1);
    boost::system::error_code ec;
    const auto addr = net::ip::make_address(std::string(last), ec);
    return ec || last.empty() ? peer : addr.to_string();
  }

  // Runs the I/O loop until stopped. An exception out of a completion handler (Beast's parser
  // throws length_error on some oversized fields, for one) loses that connection, not the
  // process.
  void serve() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        log({{"time", utc_now()}, {"event", "handler error"}, {"what", e.what()}});
      }
    }
  }
};

namespace {

using Req = http::request<http::string_body>;
using Res = http::response<http::string_body>;

// Takes the response by value: its body (a whole tracking log is ~21 MB) moves, not copies.
Res to_http(Response r, unsigned version) {
  Res res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "openrms");
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  if (!r.body.empty() || r.status != 204) res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.insert(k, v);
  res.body() = std::move(r.body);
  res.prepare_payload();
  return res;
}

// One HTTP/1.1 connection, over TLS or plain TCP (Derived supplies stream() and shutdown()).
template <class Derived>
class Session {
 public:
  Session(Service::Impl& svc, beast::flat_buffer buffer, std::string client)
      : svc_(svc), buffer_(std::move(buffer)), peer_(client), client_(std::move(client)) {
    svc_.metrics.connections.fetch_add(1);
  }
  ~Session() { svc_.metrics.connections.fetch_sub(1); }

 protected:
  Derived& self() { return static_cast<Derived&>(*this); }

  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(svc_.opt.max_header));
    // Beast checks a Content-Length against the limit as the header ends, before the route is
    // known: the header is read under the larger limit, and on_header() holds the body to its
    // route's.
    body_limit_ = std::max(svc_.opt.max_body, svc_.opt.max_deposit_body);
    parser_->body_limit(body_limit_);
    beast::get_lowest_layer(self().stream()).expires_after(svc_.opt.read_timeout);
    http::async_read_header(
        self().stream(), buffer_, *parser_,
        [s = self().shared_from_this()](beast::error_code ec, std::size_t) { s->on_header(ec); });
  }

 private:
  // The header decides the body's limit: only a portal deposit carries a whole message.
  void on_header(beast::error_code ec) {
    if (ec) return on_read(ec);
    const auto& h = parser_->get();
    const std::string_view target = h.target();
    const bool deposit = h.method() == http::verb::post &&
                         target.substr(0, target.find('?')) == "/v1/portal/messages";
    if (!deposit) body_limit_ = svc_.opt.max_body;
    if (const auto length = parser_->content_length(); length && *length > body_limit_)
      return on_read(http::error::body_limit);
    parser_->body_limit(body_limit_);  // a chunked body is held to it chunk by chunk
    if (!deposit) return read_body();
    // A deposit's body may be max_deposit_body (32 MiB): its token is verified (on the worker
    // pool, as every token) before the body is read, so only a caller who may deposit makes the
    // service receive and hold one. A refusal closes the connection, the body unread.
    std::string authz(h[http::field::authorization]);
    net::post(svc_.workers, [s = self().shared_from_this(), authz = std::move(authz)] {
      std::optional<Response> refusal;
      try {
        if (authz.empty()) fail(Errc::unauthenticated, "a portal deposit needs a bearer token");
        if (!s->svc_.auth) fail(Errc::unauthenticated, "this service accepts no tokens");
        s->svc_.auth->verify_header(authz);
      } catch (const Error& e) {
        refusal = problem(http_status(e.code()), to_string(e.code()), e.what());
      } catch (const std::exception&) {
        refusal = problem(500, "internal", "internal error");
      }
      net::post(s->self().stream().get_executor(), [s, refusal = std::move(refusal)] {
        if (refusal) return s->refuse(*refusal);
        s->read_body();
      });
    });
  }

  void read_body() {
    http::async_read(
        self().stream(), buffer_, *parser_,
        [s = self().shared_from_this()](beast::error_code e, std::size_t) { s->on_read(e); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::eof ||
        ec == net::error::connection_reset)
      return self().shutdown();
    if (ec == http::error::body_limit)
      return refuse(
          problem(413, "invalid_argument",
                  "the request body is larger than " + std::to_string(body_limit_) + " bytes"));
    if (ec == http::error::header_limit)
      return refuse(problem(431, "invalid_argument", "the request headers are too large"));
    if (ec) return refuse(problem(400, "bad_format", "malformed HTTP request"));

    start_ = Clock::now();
    svc_.metrics.in_flight.fetch_add(1);
    req_ = parser_->release();
    client_ = svc_.client_of(peer_, req_);
    method_ = std::string(req_.method_string());
    const std::string_view target = req_.target();
    path_ = std::string(target.substr(0, target.find('?')));
    portal_ = svc_.opt.portal && path_.rfind("/portal/", 0) == 0;
    route_ = path_ == "/healthz" || path_ == "/readyz" || path_ == "/metrics" ? path_
             : portal_ ? std::string(Portal::route_label(path_))
                       : std::string(Api::route_label(path_));

    if (!svc_.limiter.allow(client_)) {
      svc_.metrics.rate_limited.fetch_add(1);
      auto res = to_http(problem(429, "unavailable", "too many requests from this address"),
                         req_.version());
      res.set(http::field::retry_after, "1");
      return respond(std::move(res));
    }
    if (method_ == "GET" && path_ == "/healthz")
      return respond(to_http(Response{200, "text/plain", "ok\n"}, req_.version()));
    if (method_ == "GET" && path_ == "/readyz") {
      // The store check may block: run it with the handlers.
      return net::post(svc_.workers, [s = self().shared_from_this()] {
        const auto& probe = s->svc_.opt.ready_probe;
        const bool ready = !s->svc_.draining.load() && (probe ? probe() : s->svc_.api.ready());
        s->finish(ready ? Response{200, "text/plain", "ready\n"}
                        : Response{503, "text/plain",
                                   s->svc_.draining ? "draining\n" : "store unavailable\n"});
      });
    }
    if (method_ == "GET" && path_ == "/metrics") {
      std::string extra;
      if (svc_.auth)
        extra =
            "# TYPE openrms_token_signature_checks_total counter\n"
            "openrms_token_signature_checks_total " +
            std::to_string(svc_.auth->signature_checks()) + "\n";
      return respond(to_http(Response{200, "text/plain; version=0.0.4", svc_.metrics.text(extra)},
                             req_.version()));
    }
    net::post(svc_.workers, [s = self().shared_from_this()] { s->handle(); });
  }

  // On a worker thread: authenticate, run the handler, hand the response back to the I/O side.
  void handle() {
    if (portal_) return finish(handle_portal());
    Response r;
    try {
      std::optional<Caller> caller;
      const auto authz = req_[http::field::authorization];
      if (!authz.empty()) {
        if (!svc_.auth) fail(Errc::unauthenticated, "this service accepts no tokens");
        caller = svc_.auth->verify_header(authz);
        user_ = caller->email;
        if (svc_.directory) svc_.directory->remember(*caller);
      }
      r = svc_.api.handle(Request{method_, std::string(req_.target()), std::move(req_.body())},
                          caller);
    } catch (const Error& e) {
      r = problem(http_status(e.code()), to_string(e.code()), e.what());
    } catch (const std::exception&) {
      r = problem(500, "internal", "internal error");
    }
    finish(std::move(r));
  }

  // The portal authenticates by its own cookies, never by a bearer token; it sees the few
  // header fields it needs and the client's address (for its rate limits).
  Response handle_portal() {
    Request r{method_, std::string(req_.target()), std::move(req_.body())};
    for (auto f :
         {http::field::cookie, http::field::content_type, http::field::origin, http::field::host}) {
      const auto v = req_[f];
      if (!v.empty()) r.headers.emplace_back(lower_name(http::to_string(f)), std::string(v));
    }
    r.client = client_;
    return svc_.opt.portal->handle(r);
  }

  static std::string lower_name(std::string_view n) {
    std::string s(n);
    for (auto& c : s)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
  }

  void finish(Response r) {
    auto res = std::make_shared<Res>(to_http(std::move(r), req_.version()));
    net::post(self().stream().get_executor(),
              [s = self().shared_from_this(), res] { s->respond(std::move(*res)); });
  }

  void respond(Res res) {
    keep_alive_ = req_.keep_alive() && !svc_.draining.load();
    res.keep_alive(keep_alive_);
    res_ = std::move(res);
    http::async_write(self().stream(), res_,
                      [s = self().shared_from_this()](beast::error_code ec, std::size_t bytes) {
                        s->on_write(ec, bytes);
                      });
  }

  void on_write(beast::error_code ec, std::size_t bytes) {
    const double secs = std::chrono::duration<double>(Clock::now() - start_).count();
    const int status = res_.result_int();
    svc_.metrics.observe(route_, method_, status, secs);
    svc_.metrics.in_flight.fetch_sub(1);
    nlohmann::ordered_json line;
    line["time"] = utc_now();
    line["client"] = client_;
    line["method"] = method_;
    line["route"] = route_;
    line["path"] = path_.substr(0, 256);
    line["status"] = status;
    line["bytes"] = bytes;
    line["ms"] = static_cast<double>(static_cast<long>(secs * 1e4)) / 10;
    line["user"] = user_.empty() ? "-" : user_;
    svc_.log(line);
    user_.clear();
    if (!ec && refused_) return linger();
    if (ec || !keep_alive_) return self().shutdown();
    read();
  }

  // After refusing a request that was not read to its end: read and drop what the client still
  // sends (at most 8 MiB, 2 s), so it sees the answer instead of a connection reset.
  void linger() {
    beast::get_lowest_layer(self().stream()).expires_after(std::chrono::seconds(2));
    if (!scratch_) scratch_ = std::make_unique<std::array<char, 16384>>();
    self().stream().async_read_some(
        net::buffer(*scratch_),
        [s = self().shared_from_this()](beast::error_code ec, std::size_t n) {
          s->lingered_ += n;
          if (ec || s->lingered_ > (8u << 20)) return s->self().shutdown();
          s->linger();
        });
  }

  // An error before a request could be routed: answer and close.
  void refuse(const Response& r) {
    refused_ = true;
    start_ = Clock::now();
    svc_.metrics.in_flight.fetch_add(1);
    req_ = {};
    req_.version(11);
    req_.keep_alive(false);
    method_ = "-";
    route_ = "other";
    path_ = "-";
    respond(to_http(r, 11));
  }

 protected:
  Service::Impl& svc_;
  beast::flat_buffer buffer_;

 private:
  std::string peer_;    // the connection's peer address
  std::string client_;  // the request's client: the peer, or whom a trusted proxy names
  std::optional<http::request_parser<http::string_body>> parser_;
  std::size_t body_limit_ = 0;  // the limit the request being read is held to
  Req req_;
  Res res_;
  std::string method_, path_, route_, user_;
  bool keep_alive_ = false, refused_ = false, portal_ = false;
  Clock::time_point start_;
  std::unique_ptr<std::array<char, 16384>> scratch_;
  std::size_t lingered_ = 0;
};

class PlainSession : public Session<PlainSession>,
                     public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(Service::Impl& svc, beast::tcp_stream&& stream, beast::flat_buffer buffer,
               std::string client)
      : Session(svc, std::move(buffer), std::move(client)), stream_(std::move(stream)) {}
  void start() { read(); }
  beast::tcp_stream& stream() { return stream_; }
  void shutdown() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

 private:
  beast::tcp_stream stream_;
};

class TlsSession : public Session<TlsSession>, public std::enable_shared_from_this<TlsSession> {
 public:
  TlsSession(Service::Impl& svc, beast::tcp_stream&& stream, ssl::context& ctx,
             beast::flat_buffer buffer, std::string client)
      : Session(svc, std::move(buffer), std::move(client)), stream_(std::move(stream), ctx) {}
  void start() {
    beast::get_lowest_layer(stream_).expires_after(svc_.opt.read_timeout);
    // The bytes the detector already read are the start of the handshake.
    stream_.async_handshake(ssl::stream_base::server, buffer_.data(),
                            [s = shared_from_this()](beast::error_code ec, std::size_t used) {
                              if (ec) return;  // not a TLS client we can talk to: drop it
                              s->buffer_.consume(used);
                              s->read();
                            });
  }
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  void shutdown() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([s = shared_from_this()](beast::error_code) {});
  }

 private:
  beast::ssl_stream<beast::tcp_stream> stream_;
};

// Looks at the first bytes of a connection to the TLS port: a TLS ClientHello goes on to a
// TlsSession; anything else (plain HTTP, most likely) gets a plain-text 400 and is closed.
class Detector : public std::enable_shared_from_this<Detector> {
 public:
  Detector(Service::Impl& svc, tcp::socket&& socket, std::string client)
      : svc_(svc), stream_(std::move(socket)), client_(std::move(client)) {}
  void start() {
    stream_.expires_after(svc_.opt.read_timeout);
    beast::async_detect_ssl(
        stream_, buffer_,
        [s = shared_from_this()](beast::error_code ec, bool tls) { s->on_detect(ec, tls); });
  }

 private:
  void on_detect(beast::error_code ec, bool tls) {
    if (ec) return;
    if (tls)
      return std::make_shared<TlsSession>(svc_, std::move(stream_), *svc_.tls, std::move(buffer_),
                                          client_)
          ->start();
    res_ = Res{http::status::bad_request, 11};
    res_.set(http::field::content_type, "text/plain");
    res_.body() = "This port speaks HTTPS: use https:// to reach it.\n";
    res_.keep_alive(false);
    res_.prepare_payload();
    http::async_write(stream_, res_, [s = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      s->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  Service::Impl& svc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::string client_;
  Res res_;
};

}  // namespace

void Service::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      beast::error_code ep_ec;
      auto ep = socket.remote_endpoint(ep_ec);
      std::string client = ep_ec ? "?" : ep.address().to_string();
      if (static_cast<std::size_t>(metrics.connections.load()) >= opt.max_connections) {
        metrics.refused_connections.fetch_add(1);
        socket.close(ep_ec);
      } else if (tls) {
        std::make_shared<Detector>(*this, std::move(socket), std::move(client))->start();
      } else {
        std::make_shared<PlainSession>(*this, beast::tcp_stream(std::move(socket)),
                                       beast::flat_buffer{}, std::move(client))
            ->start();
      }
    }
    accept();
  });
}

void Service::Impl::begin_drain() {
  if (draining.exchange(true)) return;
  beast::error_code ec;
  acceptor.close(ec);
  log({{"time", utc_now()}, {"event", "draining"}, {"in_flight", metrics.in_flight.load()}});
  // Poll until the requests in flight are answered (or the drain time is up), then stop.
  auto deadline = Clock::now() + opt.drain_timeout;
  auto timer = std::make_shared<net::steady_timer>(ioc);
  auto tick = std::make_shared<std::function<void()>>();
  *tick = [this, timer, deadline, tick] {
    if (metrics.in_flight.load() == 0 || Clock::now() >= deadline) {
      log({{"time", utc_now()}, {"event", "stopped"}, {"in_flight", metrics.in_flight.load()}});
      stopped = true;
      ioc.stop();
      *tick = nullptr;  // breaks the cycle
      return;
    }
    timer->expires_after(std::chrono::milliseconds(20));
    timer->async_wait([tick](beast::error_code) {
      if (*tick) (*tick)();
    });
  };
  (*tick)();
}

Service::Service(Api& api, Authenticator* auth, TokenDirectory* directory, ServiceOptions options)
    : impl_(std::make_unique<Impl>(api, auth, directory, std::move(options))) {
  auto& m = *impl_;
  for (auto& proxy : m.opt.trusted_proxies) {
    beast::error_code bad;
    const auto addr = net::ip::make_address(proxy, bad);
    if (bad) fail(Errc::invalid_argument, "a trusted proxy is an IP address, not '" + proxy + "'");
    proxy = addr.to_string();  // the form peers are compared in
  }
  if (!m.opt.insecure_http) {
    if (m.opt.cert_file.empty() || m.opt.key_file.empty())
      fail(Errc::invalid_argument,
           "HTTPS needs a certificate and a key (--tls-cert, --tls-key); plain HTTP only with "
           "--insecure-http");
    m.tls.emplace(ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(m.tls->native_handle(), TLS1_2_VERSION);
    m.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
    beast::error_code ec;
    m.tls->use_certificate_chain_file(m.opt.cert_file, ec);
    if (ec) fail(Errc::io, "cannot load the TLS certificate chain " + m.opt.cert_file);
    m.tls->use_private_key_file(m.opt.key_file, ssl::context::pem, ec);
    if (ec) fail(Errc::io, "cannot load the TLS private key " + m.opt.key_file);
  }
  beast::error_code ec;
  auto addr = net::ip::make_address(m.opt.address, ec);
  if (ec) fail(Errc::invalid_argument, "not an IP address to listen on: " + m.opt.address);
  tcp::endpoint ep{addr, m.opt.port};
  m.acceptor.open(ep.protocol(), ec);
  if (!ec) m.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(ep, ec);
  if (!ec) m.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    fail(Errc::io, "cannot listen on " + m.opt.address + ":" + std::to_string(m.opt.port) + ": " +
                       ec.message());
}

Service::~Service() {
  impl_->ioc.stop();
  impl_->workers.join();
}

std::uint16_t Service::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void Service::run(bool handle_signals) {
  auto& m = *impl_;
  std::optional<net::signal_set> signals;
  if (handle_signals) {
    signals.emplace(m.ioc, SIGINT, SIGTERM);
    signals->async_wait([&m](beast::error_code ec, int) {
      if (!ec) m.begin_drain();
    });
  }
  m.accept();
  unsigned n = m.opt.io_threads ? m.opt.io_threads : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < n; ++i) threads.emplace_back([&m] { m.serve(); });
  m.serve();
  for (auto& t : threads) t.join();
  m.workers.join();
}

void Service::stop() {
  net::post(impl_->ioc, [m = impl_.get()] { m->begin_drain(); });
}

std::string Service::metrics() const {
  return impl_->metrics.text();
}

}  // namespace openrms::server
