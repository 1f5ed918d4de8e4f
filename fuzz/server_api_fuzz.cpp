// The licensing service's request handler (server/api.hpp) on arbitrary requests: byte 0 picks a
// route (or an arbitrary path), byte 1 the method (bit 0 POST, else GET; bit 3 with bits 4-5:
// PUT, PATCH, DELETE) and the caller (bit 1 authenticated, bit 2 admin), the rest is the body.
// Every request must end in a response with a 2xx/4xx/5xx status and, for errors, a problem
// document — never a crash, hang or unbounded allocation.
#include <cstdlib>
#include <string>

#include "fuzz_input.hpp"
#include "openrms/licensing/server.hpp"
#include "openrms/protect/mail_settings.hpp"
#include "openrms/server/api.hpp"

using namespace openrms;

namespace {
struct World {
  licensing::SqliteStore store{":memory:", crypto::SecureBytes(32, 1)};
  licensing::LicenseServer server{store};
  protect::mail::MailSettings mail{store};
  server::Api api{server, &mail};
  World() { server.activate(); }
};
World& world() {
  static World w;
  return w;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1u << 20)) return 0;
  fuzz::Input in(data, size);
  const auto routes = server::Api::routes();
  const std::uint8_t r = in.byte(), m = in.byte();
  server::Request req;
  if (r < routes.size()) {
    req.target = routes[r].second;
    if (auto b = req.target.find('{'); b != std::string::npos)
      req.target = req.target.substr(0, b) + "c0ffee";
  } else {
    auto t = in.take(r % 64);
    req.target = "/v1/" + std::string(t.begin(), t.end());
  }
  static const char* const kOther[] = {"PUT", "PATCH", "DELETE", "HEAD"};
  req.method = (m & 8) ? kOther[(m >> 4) & 3] : (m & 1) ? "POST" : "GET";
  auto body = in.rest();
  req.body.assign(body.begin(), body.end());
  std::optional<server::Caller> caller;
  if (m & 2) {
    caller.emplace();
    caller->email = "bob@contoso.com";
    caller->admin = (m & 4) != 0;
  }
  server::Response res = world().api.handle(req, caller);
  if (res.status < 200 || res.status > 599) std::abort();
  if (res.status >= 400 && res.content_type != "application/problem+json") std::abort();
  return 0;
}
