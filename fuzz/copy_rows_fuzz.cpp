// The tracking log's binary COPY reader (licensing/src/copy_rows.hpp) on arbitrary messages: the
// input is a sequence of messages, each a 2-byte big-endian length and that many bytes. The
// reader passes rows whose license id lies inside their message, or fails with Error{io};
// nothing else.
#include <cstdlib>
#include <span>

#include "copy_rows.hpp"
#include "fuzz_input.hpp"
#include "openrms/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  openrms::fuzz::Input in(data, size);
  openrms::licensing::detail::CopyRowReader reader;
  try {
    while (in.left() > 0) {
      const std::size_t n = static_cast<std::size_t>(in.byte()) << 8 | in.byte();
      const auto bytes = in.take(n);
      const std::span<const char> message(reinterpret_cast<const char*>(bytes.data()),
                                          bytes.size());
      reader.message(message, [&](const openrms::licensing::detail::CopyRow& r) {
        if (r.license_id.data() < message.data() ||
            r.license_id.data() + r.license_id.size() > message.data() + message.size())
          std::abort();
      });
    }
  } catch (const openrms::Error& e) {
    if (e.code() != openrms::Errc::io) std::abort();
  }
  return 0;
}
