// PDF standard security handler on arbitrary files: describe, then decrypt with the password
// "pw" (or none, by the last byte's low bit). Typed errors only; never a crash or a hang.
#include "openrms/error.hpp"
#include "openrms/formats/pdf/pdf_crypto.hpp"

using namespace openrms::formats;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  MemorySource src(ByteView(data, size));
  std::optional<std::string_view> pw;
  if (data[size - 1] & 1) pw = std::string_view("pw");
  try {
    (void)pdf::describe(src, pw);
  } catch (const openrms::Error&) {
  }
  try {
    Bytes out;
    MemorySink sink(out);
    (void)pdf::decrypt(src, sink, pw);
  } catch (const openrms::Error&) {
  }
  return 0;
}
