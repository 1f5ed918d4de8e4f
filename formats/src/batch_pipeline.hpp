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

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "openrms/crypto/secure.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::formats::detail {

struct BatchStages {
  std::function<ByteView(std::uint64_t k, crypto::SecureBytes& buf)> read;
  std::function<ByteView(std::uint64_t k, ByteView in, crypto::SecureBytes& out)> transform;
  std::function<void(std::uint64_t k, ByteView out)> write;
};

// One persistent thread that runs one job at a time (thread creation per batch costs more than
// a small batch's I/O).
class IoThread {
 public:
  IoThread() : t_([this] { loop(); }) {}
  ~IoThread() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
    t_.join();
  }
  void submit(std::function<void()> job) {
    std::lock_guard<std::mutex> lk(m_);
    job_ = std::move(job);
    busy_ = true;
    cv_.notify_all();
  }
  /// Waits for the job submitted last; rethrows its exception.
  void wait() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [&] { return !busy_; });
    if (err_) std::rethrow_exception(std::exchange(err_, nullptr));
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      cv_.wait(lk, [&] { return stop_ || (busy_ && job_); });
      if (stop_) return;
      auto job = std::move(job_);
      job_ = nullptr;
      lk.unlock();
      std::exception_ptr err;
      try {
        job();
      } catch (...) {
        err = std::current_exception();
      }
      lk.lock();
      err_ = err;
      busy_ = false;
      cv_.notify_all();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool busy_ = false, stop_ = false;
  std::exception_ptr err_;
  std::thread t_;
};

inline void run_batches(std::uint64_t batches, const BatchStages& s) {
  if (batches == 0) return;
  crypto::SecureBytes in_buf[2], out_buf[2];
  ByteView in[2];
  in[0] = s.read(0, in_buf[0]);
  if (batches == 1) {
    s.write(0, s.transform(0, in[0], out_buf[0]));
    return;
  }
  IoThread io;
  try {
    io.submit([&] { in[1] = s.read(1, in_buf[1]); });  // read ahead while batch 0 transforms
    for (std::uint64_t k = 0; k < batches; ++k) {
      const int cur = static_cast<int>(k % 2);
      ByteView out = s.transform(k, in[cur], out_buf[cur]);
      io.wait();  // batch k−1 written, batch k+1 read
      io.submit([&, k, cur, out] {
        s.write(k, out);
        if (k + 2 < batches) in[cur] = s.read(k + 2, in_buf[cur]);
      });
    }
    io.wait();
  } catch (...) {
    try {
      io.wait();
    } catch (...) {
    }
    throw;
  }
}

}  // namespace openrms::formats::detail
