// PFile reader target: read_header() and decrypt() (with the key the seed corpus was written with,
// so mutations reach the cipher and MAC paths) must succeed or throw openrms::Error, in bounded
// time and memory.
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
  return 0;
}
