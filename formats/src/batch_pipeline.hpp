// A three-stage pipeline over numbered batches — internal.
//
// Bulk container work is read → transform (encrypt or verify-and-decrypt, spread over the thread
// pool) → write. Run in turn, the cores sit idle while the file is read and written. Here one I/O
// thread writes batch k−1 and reads batch k+1 while the pool transforms batch k, so the slowest
// stage sets the pace instead of the sum of all three (the pattern of qpdf's Pl_* pipelines,
// with the stages on different threads). Two input and two output buffers: memory is four
// batches whatever the file size.
//
// `read(k, buf)` returns batch k's input: a view into `buf` (which it fills, resizing as it
// needs) or into memory the source already holds. `transform(k, in, out)` returns batch k's
// output (a view into `out`, which it fills). `write(k, bytes)` consumes it, in order.
// read and write run on the I/O thread, transform on the calling thread (which uses the pool).
// Errors: the first exception of any stage is rethrown after the I/O thread has stopped; a batch
// is never written unless its transform returned, and nothing after a failed batch is written.
#pragma once

#include <cstdint>
#include <functional>
#include <future>

#include "openrms/crypto/secure.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::formats::detail {

struct BatchStages {
  std::function<ByteView(std::uint64_t k, crypto::SecureBytes& buf)> read;
  std::function<ByteView(std::uint64_t k, ByteView in, crypto::SecureBytes& out)> transform;
  std::function<void(std::uint64_t k, ByteView out)> write;
};

inline void run_batches(std::uint64_t batches, const BatchStages& s) {
  if (batches == 0) return;
  crypto::SecureBytes in_buf[2], out_buf[2];
  ByteView in[2];
  in[0] = s.read(0, in_buf[0]);
  std::future<void> io;
  auto join = [&] {
    if (io.valid()) io.get();
  };
  try {
    for (std::uint64_t k = 0; k < batches; ++k) {
      const int cur = static_cast<int>(k % 2), nxt = 1 - cur;
      if (k == 0 && batches > 1)  // nothing to write yet: read ahead while batch 0 transforms
        io = std::async(std::launch::async, [&] { in[nxt] = s.read(1, in_buf[nxt]); });
      ByteView out = s.transform(k, in[cur], out_buf[cur]);
      join();  // batch k−1 written, batch k+1 read
      io = std::async(std::launch::async, [&, k, cur, out] {
        s.write(k, out);
        if (k + 2 < batches) in[cur] = s.read(k + 2, in_buf[cur]);
      });
    }
    join();
  } catch (...) {
    if (io.valid()) io.wait();
    throw;
  }
}

}  // namespace openrms::formats::detail
