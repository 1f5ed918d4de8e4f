// Internal: a streaming-AEAD stream (crypto/streaming_aead.hpp) laid out in a container — the
// one home of sealing, opening and reading ranges of it, for every container whose content is
// such a stream (PFile integrity version 2, the rights-managed PDF version 2).
//
// Work goes in batches of whole segments through the three-stage pipeline (batch_pipeline.hpp):
// each batch is read once, verified and decrypted (or sealed) on the thread pool from those
// bytes, and only then written. A segment that fails to verify calls `altered` (which throws);
// nothing of that batch or after it reaches the sink.
#pragma once

#include <cstdint>

#include "openrms/crypto/streaming_aead.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::formats::detail {

/// Segments per batch: enough for every thread, and at least 8 MiB of them.
std::uint64_t batch_segments(std::uint32_t segment_size, unsigned threads);

/// Seals all of `plaintext` and writes the stream (StreamingAead::ciphertext_size bytes).
void seal_stream(const crypto::StreamingAead& sa, const ByteSource& plaintext, ByteSink& out,
                 unsigned threads, const Progress& progress);

/// Where a sealed stream sits: `size` ciphertext bytes from `offset` of `src`.
struct SealedRegion {
  const ByteSource& src;
  std::uint64_t offset = 0, size = 0;
};

/// Opens the whole stream into `out`; returns the plaintext bytes written.
std::uint64_t open_stream(const crypto::StreamingAead& sa, const SealedRegion& region,
                          ByteSink& out, unsigned threads, const Progress& progress,
                          void (*altered)());

/// Plaintext [pos, pos + out.size()) (the caller keeps it inside the plaintext size), reading
/// and verifying only the segments it touches. Returns out.size().
std::size_t read_range(const crypto::StreamingAead& sa, const SealedRegion& region,
                       std::uint64_t pos, MutableByteView out, unsigned threads, void (*altered)());

}  // namespace openrms::formats::detail
