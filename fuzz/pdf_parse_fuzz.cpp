// PDF lexer/parser (ISO 32000-2 §7.2–7.3): any bytes parse to an object or fail with
// Errc::bad_format; a parsed object serialises to text that parses back to the same object.
// The first byte chooses a final or a non-final window (which may ask for more data instead).
#include <cstdlib>

#include "openrms/error.hpp"
#include "parser.hpp"

using namespace openrms::formats::pdf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool final = data[0] & 1;
  try {
    Parser p(text, 0, final);
    Ref r;
    if (data[0] & 2) (void)parse_object_header(p, r);
    Object o = p.parse_object();
    std::string once;
    serialize(o, once);
    Parser again(once, 0, true);
    Object o2 = again.parse_object();
    std::string twice;
    serialize(o2, twice);
    if (once != twice) std::abort();  // serialisation must be a fixed point
  } catch (const openrms::Error&) {
  } catch (const NeedMore&) {
    if (final) std::abort();  // a final window never asks for more
  }
  return 0;
}
