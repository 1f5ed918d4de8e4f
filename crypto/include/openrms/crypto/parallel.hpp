// Data-parallel loops on openrms's process-wide thread pool (the one the segment ciphers use):
// hardware_concurrency() - 1 workers, the calling thread being the extra one.
//
// parallel_for runs fn(i) for every i in [0, n), each exactly once, on up to `max_threads`
// threads (0 = all), and returns when all have run; it rethrows the first exception fn threw
// (the other indices may or may not have run). Safe to call from several threads at once; fn
// must be safe to run concurrently with itself.
#pragma once

#include <cstddef>
#include <functional>

namespace openrms::crypto {

void parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn,
                  unsigned max_threads = 0);
/// Threads one parallel_for may use, the caller included.
unsigned parallelism() noexcept;

}  // namespace openrms::crypto
