// PFile reader target: read_header(), decrypt() and the random-access Reader (with the key the
// seed corpus was written with, so mutations reach the cipher, MAC and segment paths) must
// succeed or throw openrms::Error, in bounded time and memory. A Reader that opens must serve
// read_at() anywhere consistently with its size.
#include "openrms/error.hpp"
#include "openrms/formats/pfile/pfile.hpp"

using namespace openrms::formats;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  MemorySource src(ByteView(data, size));
  const openrms::crypto::Bytes key(32, 0x42);  // fuzz/corpus/README.md: the seeds' content key
  try {
    (void)pfile::read_header(src);
  } catch (const openrms::Error&) {
  }
  for (bool strict : {true, false}) {
    try {
      openrms::crypto::Bytes out;
      MemorySink sink(out);
      pfile::ReadOptions o;
      o.require_integrity = strict;
      o.segments.threads = 1;
      (void)pfile::decrypt(src, sink, key, o);
    } catch (const openrms::Error&) {
    }
  }
  try {
    pfile::ReadOptions o;
    o.segments.threads = 1;
    pfile::Reader r(src, key, o);
    openrms::crypto::Bytes buf(4099);
    for (std::uint64_t off : {std::uint64_t{0}, r.size() / 2, r.size() - 1, r.size() + 1}) {
      const std::size_t n = r.read_at(off, buf);
      if (n > buf.size() || (off >= r.size() && n != 0)) __builtin_trap();
    }
  } catch (const openrms::Error&) {
  }
  return 0;
}
