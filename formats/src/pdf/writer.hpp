// Rewrites a PDF with a fresh cross-reference section, decrypting and/or encrypting every string
// and stream on the way (ISO 32000-2 §7.5, §7.6) — internal.
//
// Objects keep their numbers. Object streams are carried over whole (their data decrypted or
// encrypted as one stream; the objects inside are covered by that, §7.6.3.1) and the output then
// uses a cross-reference stream; otherwise a classic xref table. Dropped: the old /Encrypt
// dictionary, old xref streams, the linearization dictionary (its hints would be stale).
// Stream data is copied through without decoding. Streams are transformed on all cores in
// batches of about 4 MiB, each written in order while the next is transformed; streams above
// `chunk_threshold` (at most 8 MiB) flow in chunks, so memory stays bounded whatever their size.
#pragma once

#include <cstdint>

#include "document.hpp"
#include "security.hpp"

namespace openrms::formats::pdf {

struct RewriteOptions {
  const SecurityHandler* decrypt = nullptr;  ///< the input's handler (authenticated), or null
  const SecurityHandler* encrypt = nullptr;  ///< the output's handler, or null for plain output
  std::string id0, id1;                      ///< the /ID to write (id0 must match `encrypt`'s)
  /// Streams up to this size (and 8 MiB) are transformed in memory on the thread pool, a batch
  /// at a time, and written in order; larger ones flow in 4 MiB chunks on the calling thread.
  /// 0 = always chunk (one core; tests compare both paths).
  std::size_t chunk_threshold = 8u << 20;
  Progress progress;
  const crypto::Backend* backend = nullptr;  ///< AES of the stream transforms; null = default
};

struct RewriteStats {
  std::uint64_t objects = 0, streams = 0, bytes = 0;
};

RewriteStats rewrite(Document& doc, ByteSink& out, const RewriteOptions& opt);

}  // namespace openrms::formats::pdf
