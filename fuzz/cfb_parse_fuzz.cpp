// Compound-file parser target: any input must parse or fail with openrms::Error, and every
// stream of a parsed file must read back (or fail the same way), in bounded time and memory.
#include "openrms/error.hpp"
#include "openrms/formats/cfb/compound_file.hpp"

using namespace openrms::formats;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  MemorySource src(ByteView(data, size));
  try {
    cfb::Reader r(src);
    std::size_t n = 0;
    for (const auto& e : r.entries()) {
      if (++n > 256) break;  // bounded work per input; each read is linear in the file
      (void)r.find(e.path);
      if (e.type == cfb::EntryType::storage) {
        (void)r.children(e);
        continue;
      }
      try {
        (void)r.read_stream(e, 1u << 24);
      } catch (const openrms::Error&) {
      }
    }
  } catch (const openrms::Error&) {
  }
  return 0;
}
