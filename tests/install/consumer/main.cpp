// Uses the installed openrms package: CBC4K round trip through the public headers.
#include <openrms/crypto/segment_cipher.hpp>

#include <cstdio>

int main() {
  using namespace openrms::crypto;
  Bytes key = default_backend().random_bytes(32);
  Bytes data = default_backend().random_bytes(10000);
  auto c = SegmentCipher::cbc4k(key);
  auto back = c.decrypt(c.encrypt(data));
  bool ok = Bytes(back.begin(), back.end()) == data;
  std::printf("%s\n", ok ? "roundtrip ok" : "roundtrip FAILED");
  return ok ? 0 : 1;
}
