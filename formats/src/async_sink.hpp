// Internal: hands bytes to a consumer running on its own thread, in order, so that a serial
// consumer (the whole-file HMAC) overlaps with the producer (reading and
// encrypting and writing) — DESIGN.md §4's MAC stays one serial HMAC, but no longer adds its
// time to the cipher's.
//
// write() copies into one of `depth` buffers of `buffer` bytes and queues full ones; the worker
// calls `consume` for each, in order. finish() drains the queue and rethrows the first error of
// the consumer (also thrown by a later write()). The destructor stops the worker without
// consuming what is left. Bounded memory: depth × buffer bytes.
// Thread safety: one producer thread; `consume` runs on the worker thread only.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "openrms/formats/io.hpp"

namespace openrms::formats::detail {

class AsyncSink final : public ByteSink {
 public:
  explicit AsyncSink(std::function<void(ByteView)> consume, std::size_t buffer = 256u << 10,
                     std::size_t depth = 4);
  ~AsyncSink() override;
  AsyncSink(const AsyncSink&) = delete;
  AsyncSink& operator=(const AsyncSink&) = delete;

  void write(ByteView data) override;
  /// Consumes everything written so far and stops the worker; rethrows the consumer's error.
  void finish();

 private:
  void run();
  void hand_off();  // queues the current buffer (producer side)
  void rethrow_locked();

  std::function<void(ByteView)> consume_;
  std::vector<Bytes> bufs_;
  std::vector<std::size_t> fill_;
  std::size_t cur_ = 0;     // producer's buffer
  std::size_t head_ = 0;    // next buffer the worker consumes
  std::size_t queued_ = 0;  // buffers waiting for the worker
  bool done_ = false, stop_ = false, finished_ = false;
  std::exception_ptr error_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread worker_;
};

}  // namespace openrms::formats::detail
