#include "async_sink.hpp"

#include <algorithm>
#include <cstring>

namespace openrms::formats::detail {

AsyncSink::AsyncSink(std::function<void(ByteView)> consume, std::size_t buffer, std::size_t depth)
    : consume_(std::move(consume)),
      bufs_(std::max<std::size_t>(depth, 2), Bytes(std::max<std::size_t>(buffer, 1))),
      fill_(bufs_.size(), 0),
      worker_([this] { run(); }) {}

AsyncSink::~AsyncSink() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void AsyncSink::rethrow_locked() {
  if (error_) std::rethrow_exception(error_);
}

void AsyncSink::run() {
  for (;;) {
    std::size_t i;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return queued_ > 0 || done_ || stop_; });
      if (stop_ || error_ || queued_ == 0) return;
      i = head_;
    }
    try {
      consume_(ByteView(bufs_[i].data(), fill_[i]));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = std::current_exception();
      cv_.notify_all();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      fill_[i] = 0;
      head_ = (head_ + 1) % bufs_.size();
      --queued_;
    }
    cv_.notify_all();
  }
}

void AsyncSink::hand_off() {
  std::unique_lock<std::mutex> lock(mu_);
  ++queued_;
  cv_.notify_all();
  // Wait for a free buffer: the one after ours must not be queued.
  cv_.wait(lock, [&] { return queued_ < bufs_.size() || error_; });
  rethrow_locked();
  cur_ = (cur_ + 1) % bufs_.size();
}

void AsyncSink::write(ByteView data) {
  if (finished_) throw std::logic_error("AsyncSink: write after finish");
  {
    std::lock_guard<std::mutex> lock(mu_);
    rethrow_locked();
  }
  while (!data.empty()) {
    Bytes& b = bufs_[cur_];
    std::size_t n = std::min(data.size(), b.size() - fill_[cur_]);
    std::memcpy(b.data() + fill_[cur_], data.data(), n);
    fill_[cur_] += n;
    data = data.subspan(n);
    if (fill_[cur_] == b.size()) hand_off();
  }
}

void AsyncSink::finish() {
  if (finished_) return;
  finished_ = true;
  if (fill_[cur_] > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    ++queued_;
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return queued_ == 0 || error_; });
    rethrow_locked();
  }
  cv_.notify_all();
  worker_.join();
}

}  // namespace openrms::formats::detail
