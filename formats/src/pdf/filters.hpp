// Stream filters the object engine must read itself (ISO 32000-2 §7.4) — internal.
//
// Only what cross-reference streams and object streams use in practice: FlateDecode with the PNG
// and TIFF predictors (§7.4.4.4) and ASCIIHexDecode. Page content and images are never decoded:
// they are copied through as bytes. Every decoder bounds its output (`max_out`): a "zip bomb" gives
// Errc::bad_format, not an allocation of its expanded size. Truncated deflate data yields what
// could be decoded, as mature readers do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "object.hpp"

namespace openrms::formats::pdf {

/// Decodes `raw` through the /Filter chain of `dict` (with /DecodeParms). A /Crypt filter must
/// have been handled by the caller (it is skipped here). Errc::unsupported for other filters.
/// `produced` (if given) grows by every byte each stage wrote, also when a stage fails: the
/// caller charges a bomb that hit `max_out` for the work it cost, not only for what succeeded.
std::string decode_stream(std::string raw, const Dict& dict, std::size_t max_out,
                          std::uint64_t* produced = nullptr);

/// zlib (RFC 1950) compression at the given level, for streams openrms writes.
std::string flate_encode(std::string_view in, int level = 6);

}  // namespace openrms::formats::pdf
