// A private snapshot of a source that may change under its reader — internal.
//
// A container reader verifies the whole-file MAC and decrypts in two reads of the file. If
// another process rewrites the file between them, what was verified is not what is decrypted
// (the security review's finding 7). Readers therefore work on a PrivateCopy: one read of the
// source, kept in memory (up to `memory_limit`) or in an unlinked 0600 scratch file in TMPDIR,
// filled by a thread of its own while the reader parses, verifies and decrypts; read_at() waits
// until its range has been copied. A source that already lives in memory (a MemorySource over
// the caller's buffer) is used as it is: the caller owns those bytes.
// Errors: the source's read errors and the scratch file's io errors, from read_at().
// Thread safety: read_at() may be called from several threads at once.
#pragma once

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "openrms/formats/io.hpp"

namespace openrms::formats::detail {

class PrivateCopy final : public ByteSource {
 public:
  static constexpr std::size_t kMemoryLimit = 64u << 20;

  explicit PrivateCopy(const ByteSource& src, std::size_t memory_limit = kMemoryLimit);
  ~PrivateCopy() override;
  PrivateCopy(const PrivateCopy&) = delete;
  PrivateCopy& operator=(const PrivateCopy&) = delete;

  std::uint64_t size() const noexcept override { return size_; }
  void read_at(std::uint64_t offset, MutableByteView out) const override;
  ByteView memory() const noexcept override { return passthrough_ ? src_.memory() : ByteView{}; }

 private:
  void copy();

  const ByteSource& src_;
  const std::uint64_t size_;
  const bool passthrough_;
  std::unique_ptr<std::uint8_t[]> mem_;  // uninitialised: every byte is copied before it is read
  std::unique_ptr<TempFile> file_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::uint64_t copied_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace openrms::formats::detail
