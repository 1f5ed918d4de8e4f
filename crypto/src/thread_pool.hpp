// A small process-wide thread pool for data-parallel loops (not installed).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace openrms::crypto {

class ThreadPool {
 public:
  /// The shared pool: hardware_concurrency() - 1 workers (the caller is the extra thread).
  static ThreadPool& global();
  explicit ThreadPool(unsigned workers);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Threads available to one loop, the caller included.
  unsigned concurrency() const noexcept { return static_cast<unsigned>(workers_.size()) + 1; }
  /// Runs fn(i) for every i in [0, n) on at most max_threads threads (the caller works too).
  /// Safe to call from several threads at once. Rethrows the first exception fn threw.
  void parallel_for(std::size_t n, unsigned max_threads,
                    const std::function<void(std::size_t)>& fn);

 private:
  struct Job;
  void worker();
  static void run(Job& job);
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace openrms::crypto
