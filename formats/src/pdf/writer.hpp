// Rewrites a PDF with a fresh cross-reference section, decrypting and/or encrypting every string
// and stream on the way (ISO 32000-2 §7.5, §7.6) — internal.
//
// Objects keep their numbers. Object streams are carried over whole (their data decrypted or
// encrypted as one stream; the objects inside are covered by that, §7.6.3.1) and the output then
// uses a cross-reference stream; otherwise a classic xref table. Dropped: the old /Encrypt
// dictionary, old xref streams, the linearization dictionary (its hints would be stale).
// Stream data is copied through without decoding; streams above `chunk_threshold` bytes flow in
// chunks, so memory stays bounded whatever their size.
#pragma once

#include <cstdint>

#include "document.hpp"
#include "security.hpp"

namespace openrms::formats::pdf {

struct RewriteOptions {
  const SecurityHandler* decrypt = nullptr;  ///< the input's handler (authenticated), or null
  const SecurityHandler* encrypt = nullptr;  ///< the output's handler, or null for plain output
  std::string id0, id1;                      ///< the /ID to write (id0 must match `encrypt`'s)
  /// Streams up to this size are transformed whole in memory (the simple path, kept for tests
  /// that cross-check both); larger ones flow in 4 MiB chunks through reused buffers. 0 = always
  /// chunk, the fastest (no per-stream allocation).
  std::size_t chunk_threshold = 0;
  Progress progress;
};

struct RewriteStats {
  std::uint64_t objects = 0, streams = 0, bytes = 0;
};

RewriteStats rewrite(Document& doc, ByteSink& out, const RewriteOptions& opt);

}  // namespace openrms::formats::pdf
