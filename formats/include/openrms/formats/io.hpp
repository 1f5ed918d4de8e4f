// Byte sources and sinks the format layer reads from and writes to.
//
// Contract: ByteSource is random-access and read-only; read_at() is const and safe to call from
// several threads at once on the same object (FileSource uses pread). A read past the end throws
// Errc::bad_format (the data claims more bytes than exist); an operating-system failure throws
// Errc::io. ByteSink is sequential and single-threaded. AtomicFileSink writes to a temporary file
// beside the target and renames it onto the target only in commit(): if commit() is never reached
// (an exception, a wrong password, an integrity failure) the target is untouched and the temporary
// file is removed, so no half-written output ever appears under the target's name.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "openrms/crypto/secure.hpp"

namespace openrms::formats {

using crypto::Bytes;
using crypto::ByteView;
using crypto::MutableByteView;

/// Progress callback for long operations: bytes done out of total (total may be 0 if unknown).
/// Called from the thread running the operation, at most every few MiB.
using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

/// Thread safety: read_at() is const and, for MemorySource and FileSource, safe to call from
/// several threads at once (overlapped integrity checks rely on it for the sources they get).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual std::uint64_t size() const noexcept = 0;
  /// Fills `out` with the bytes at [offset, offset + out.size()). Errc::bad_format if that range
  /// is not inside the source; Errc::io on a read failure.
  virtual void read_at(std::uint64_t offset, MutableByteView out) const = 0;
  /// A contiguous view of the whole source if it lives in memory (MemorySource), else empty.
  virtual ByteView memory() const noexcept { return {}; }
};

/// Views caller-owned memory; the memory must outlive the source.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(ByteView data) noexcept : data_(data) {}
  std::uint64_t size() const noexcept override { return data_.size(); }
  void read_at(std::uint64_t offset, MutableByteView out) const override;
  ByteView memory() const noexcept override { return data_; }

 private:
  ByteView data_;
};

/// A regular file opened read-only. Errc::io if it cannot be opened.
class FileSource final : public ByteSource {
 public:
  explicit FileSource(const std::filesystem::path& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  std::uint64_t size() const noexcept override { return size_; }
  void read_at(std::uint64_t offset, MutableByteView out) const override;
  const std::string& name() const noexcept { return name_; }

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::string name_;
};

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  /// Appends `data`. Errc::io on failure.
  virtual void write(ByteView data) = 0;
  /// Overwrites bytes already written, at `offset` counted from this sink's first byte (used to
  /// fill in a MAC after the data it covers). Errc::unsupported for sinks that cannot seek back
  /// (the default); Errc::invalid_argument if the range was not written yet.
  virtual void patch(std::uint64_t offset, ByteView data);
};

/// Appends to a caller-owned byte vector.
class MemorySink final : public ByteSink {
 public:
  explicit MemorySink(Bytes& out) noexcept : out_(out), base_(out.size()) {}
  void write(ByteView data) override { out_.insert(out_.end(), data.begin(), data.end()); }
  void patch(std::uint64_t offset, ByteView data) override;

 private:
  Bytes& out_;
  std::size_t base_;
};

/// Writes a file atomically: an anonymous file (O_TMPFILE, mode 0600) in the target's directory,
/// fsync, then linked under a temporary name and renamed onto the target. Until commit() nothing
/// is visible in the folder, so even a process killed with SIGKILL leaves no partial file (of
/// plaintext or anything else). On a file system without O_TMPFILE a named temporary
/// (TARGET.openrms-tmp-N, 0600) is used instead; it is removed on every error path and, in
/// processes that call remove_pending_temp_files() from their SIGINT/SIGTERM handler (the
/// `openrms` command does), on those signals; only SIGKILL can then leave it behind.
/// With `durable` false the fsync is skipped: the rename is still atomic, but after a power loss
/// the file may be empty (faster for bulk or temporary output).
/// A target that exists and is not a regular file (a device such as /dev/null or /dev/stdout, or
/// a FIFO) is written directly instead, as there is nothing to rename onto it: such a target may
/// receive part of the output before a failure.
/// Errc::io if the folder does not exist or cannot be written (the message says which), or the
/// target is a folder.
class AtomicFileSink final : public ByteSink {
 public:
  explicit AtomicFileSink(std::filesystem::path target, bool durable = true);
  ~AtomicFileSink() override;  // removes the temporary file unless commit() succeeded
  AtomicFileSink(const AtomicFileSink&) = delete;
  AtomicFileSink& operator=(const AtomicFileSink&) = delete;
  void write(ByteView data) override;
  void patch(std::uint64_t offset, ByteView data) override;
  /// Flushes, fsyncs, closes and renames onto the target. Errc::io on failure.
  void commit();
  std::uint64_t bytes_written() const noexcept { return written_; }

 private:
  std::filesystem::path target_, temp_;  // temp_ empty while the file is anonymous
  int slot_ = -1;                        // pending-temp registry slot (named temp only)
  std::FILE* f_ = nullptr;
  std::uint64_t written_ = 0;
  bool durable_ = true;
  bool committed_ = false;
  bool direct_ = false;  // a device or FIFO, written in place
};

/// An anonymous scratch file (unlinked at once, mode 0600) in `dir` (default: the system temp
/// directory): a sink first, then a random-access source for the bytes written. Used where a
/// container must hold a large intermediate result (the payload of a rights-managed PDF) without
/// keeping it in memory. Removed by the OS when closed, even after a crash.
/// Unlinks the named temporary files of every AtomicFileSink still open (O_TMPFILE files need
/// nothing). Async-signal-safe: call it from a SIGINT/SIGTERM handler before re-raising.
void remove_pending_temp_files() noexcept;

class TempFile final : public ByteSink, public ByteSource {
 public:
  explicit TempFile(const std::filesystem::path& dir = {});
  ~TempFile() override;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  void write(ByteView data) override;
  void patch(std::uint64_t offset, ByteView data) override;
  std::uint64_t size() const noexcept override { return size_.load(std::memory_order_acquire); }
  void read_at(std::uint64_t offset, MutableByteView out) const override;

 private:
  int fd_ = -1;
  // One writer may append while other threads read what was already written.
  std::atomic<std::uint64_t> size_{0};
};

/// Passes bytes through to another sink and counts them.
class CountingSink final : public ByteSink {
 public:
  explicit CountingSink(ByteSink& inner) noexcept : inner_(inner) {}
  void write(ByteView data) override {
    inner_.write(data);
    count_ += data.size();
  }
  std::uint64_t count() const noexcept { return count_; }

 private:
  ByteSink& inner_;
  std::uint64_t count_ = 0;
};

/// Reads a whole file into memory, refusing files larger than `max_bytes` (Errc::invalid_argument).
Bytes read_file(const std::filesystem::path& path, std::uint64_t max_bytes = 1ull << 30);
/// Writes `data` to `path` atomically (AtomicFileSink): the old file or the whole new one.
void write_file(const std::filesystem::path& path, ByteView data, bool durable = true);

}  // namespace openrms::formats
