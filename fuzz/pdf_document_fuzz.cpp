// PDF document loading: xref tables/streams, /Prev chains, object streams, repair scan, stream
// length correction, and the rewriting writer — on arbitrary bytes. Must end in an object or a
// typed error, in bounded time and memory.
#include "document.hpp"
#include "openrms/error.hpp"
#include "writer.hpp"

using namespace openrms::formats;
using namespace openrms::formats::pdf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  MemorySource src(ByteView(data, size));
  try {
    DocumentLimits lim;
    lim.max_decoded_stream = 8u << 20;
    Document doc(src, lim);
    int n = 0;
    for (std::uint32_t num : doc.object_numbers()) {
      if (++n > 500) break;
      try {
        IndirectObject io = doc.load(num);
        if (io.is_stream) (void)doc.read_stream_decoded(io);
      } catch (const openrms::Error&) {
      }
    }
    doc.validate_offsets();
    doc.index_object_streams();
    Bytes out;
    MemorySink sink(out);
    RewriteOptions ro;
    (void)rewrite(doc, sink, ro);
  } catch (const openrms::Error&) {
  }
  return 0;
}
