// The whole Office path on hostile files: detect, describe and decrypt (with the password
// "pw", with none = VelvetSweatshop) must succeed or throw openrms::Error. The spin-count limit
// keeps each input fast; the seeds are files encrypted with "pw" and a low spin count.
#include "openrms/error.hpp"
#include "openrms/formats/office/office_crypto.hpp"

using namespace openrms::formats;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  MemorySource src(ByteView(data, size));
  (void)office::detect(src);
  try {
    (void)office::describe(src);
  } catch (const openrms::Error&) {
  }
  office::DecryptOptions opt;
  opt.max_spin_count = 2000;
  opt.segments.threads = 1;
  // Odd-sized inputs also try the default password (each try costs a KDF run).
  for (int i = 0; i < (size % 2 ? 2 : 1); ++i) {
    Bytes out;
    MemorySink sink(out);
    try {
      (void)office::decrypt(src, sink,
                            i == 0 ? std::optional<std::string_view>("pw") : std::nullopt, opt);
    } catch (const openrms::Error&) {
    }
  }
  return 0;
}
