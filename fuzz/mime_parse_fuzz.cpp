// MIME target (GMime underneath): parse() in strict and lenient mode must succeed or throw
// openrms::Error; when a message parses, swapping its first attachment and parsing the result
// again must too (the rebuild path mail delivery uses). Bounded time and memory.
#include "openrms/error.hpp"
#include "openrms/formats/mail/mime.hpp"

using namespace openrms::formats::mail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  for (bool strict : {true, false}) {
    try {
      ParseLimits lim;
      lim.strict = strict;
      lim.max_size = 4u << 20;
      lim.max_parts = 256;
      Message m = parse(in, lim);
      (void)m.recipients();
      if (strict && !m.attachments.empty()) {
        const std::uint8_t x[3] = {1, 2, 3};
        Bytes out = replace_attachments(in, {Replacement{0, "x.bin", "application/x-test", x}});
        (void)parse(out, lim);
      }
    } catch (const openrms::Error&) {
    }
  }
  return 0;
}
