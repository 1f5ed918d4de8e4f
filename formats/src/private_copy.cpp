#include "private_copy.hpp"

#include <algorithm>
#include <cstring>

#include "huge_pages.hpp"
#include "openrms/error.hpp"

namespace openrms::formats::detail {

namespace {
constexpr std::size_t kChunk = 1u << 20;
}

PrivateCopy::PrivateCopy(const ByteSource& src, std::size_t memory_limit)
    : src_(src), size_(src.size()), passthrough_(!src.memory().empty() || src.size() == 0) {
  if (passthrough_) return;
  if (size_ <= memory_limit) {
    mem_.reset(new std::uint8_t[static_cast<std::size_t>(size_)]);
    advise_huge_pages(mem_.get(), static_cast<std::size_t>(size_));
  } else {
    file_ = std::make_unique<TempFile>();
  }
  thread_ = std::thread([this] { copy(); });
}

PrivateCopy::~PrivateCopy() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void PrivateCopy::copy() {
  try {
    crypto::Bytes buf;
    if (file_) buf.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size_)));
    for (std::uint64_t at = 0; at < size_;) {
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
      }
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size_ - at));
      if (file_) {
        src_.read_at(at, MutableByteView(buf.data(), n));
        file_->write(ByteView(buf.data(), n));
      } else {
        src_.read_at(at, MutableByteView(mem_.get() + at, n));
      }
      at += n;
      {
        std::lock_guard lock(mu_);
        copied_ = at;
      }
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard lock(mu_);
    error_ = std::current_exception();
  }
  cv_.notify_all();
}

void PrivateCopy::read_at(std::uint64_t offset, MutableByteView out) const {
  if (passthrough_) return src_.read_at(offset, out);
  if (offset > size_ || out.size() > size_ - offset)
    fail(Errc::bad_format, "input is truncated: needs bytes up to offset " +
                               std::to_string(offset + out.size()) + " but has only " +
                               std::to_string(size_));
  const std::uint64_t end = offset + out.size();
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return copied_ >= end || error_; });
    if (copied_ < end) std::rethrow_exception(error_);
  }
  if (file_)
    file_->read_at(offset, out);
  else if (!out.empty())
    std::memcpy(out.data(), mem_.get() + offset, out.size());
}

}  // namespace openrms::formats::detail
