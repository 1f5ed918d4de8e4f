// Bearer-token verification (server/auth.hpp) on arbitrary bytes, as the value of an
// Authorization header. The key set is one fixed P-256 key; the seed corpus has a token it
// signed (identity a@b.c), and the classic attacks (alg none, HS256 keyed with the public key).
// Every input must end in a caller or Error{unauthenticated}: never a crash, and never a caller
// other than the one the signed seed names (anything else would be a forgery).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "openrms/error.hpp"
#include "openrms/server/auth.hpp"

using namespace openrms;

namespace {

constexpr const char* kJwks =
    R"({"keys":[{"kty":"EC","kid":"ec1","use":"sig","alg":"ES256","crv":"P-256",)"
    R"("x":"geiTxQh1Id5ohm_twvzmUgie3wupy3FUMzVUH8I8dhY",)"
    R"("y":"o7z6sUPxWV3ODaIjhvtZMp9kwws-ILajqCf6OUWREkU"}]})";

server::Authenticator& authenticator() {
  static server::Authenticator* a = [] {
    char path[] = "/tmp/openrms-fuzz-jwks-XXXXXX";
    int fd = ::mkstemp(path);
    if (fd < 0) std::abort();
    const std::string text = kJwks;
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::abort();
    ::close(fd);
    server::AuthOptions o;
    o.issuer = "https://issuer.test";
    o.audience = "openrms";
    o.jwks_file = path;
    o.cache_entries = 64;
    auto* made = new server::Authenticator(o);
    ::unlink(path);
    return made;
  }();
  return *a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 200000) return 0;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto caller = text.rfind("Bearer ", 0) == 0 ? authenticator().verify_header(text)
                                                : authenticator().verify(text);
    if (caller.email != "a@b.c") std::abort();
  } catch (const Error& e) {
    if (e.code() != Errc::unauthenticated) std::abort();
  }
  return 0;
}
