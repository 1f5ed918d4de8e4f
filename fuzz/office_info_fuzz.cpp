// EncryptionInfo parsers: the Agile XML descriptor (§2.3.4.10) and the Standard binary header
// (§2.3.4.6). First byte selects which; the rest is the stream body.
#include "office_internal.hpp"
#include "openrms/error.hpp"

using namespace openrms::formats;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  ByteView body(data + 1, size - 1);
  try {
    if (data[0] & 1) {
      auto a = office::detail::parse_agile(body);
      (void)office::detail::write_agile(a);
    } else {
      auto s = office::detail::parse_standard(body);
      (void)office::detail::write_standard(s);
    }
  } catch (const openrms::Error&) {
  }
  return 0;
}
