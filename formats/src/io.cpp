#include "openrms/formats/io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include "openrms/error.hpp"

namespace openrms::formats {

namespace {
std::string errno_text() {
  return std::strerror(errno);
}

void check_range(std::uint64_t size, std::uint64_t offset, std::size_t n) {
  if (offset > size || n > size - offset)
    fail(Errc::bad_format, "input is truncated: needs bytes up to offset " +
                               std::to_string(offset + n) + " but has only " +
                               std::to_string(size));
}
}  // namespace

void ByteSink::patch(std::uint64_t, ByteView) {
  fail(Errc::unsupported, "this output cannot be rewritten in place (write to a file instead)");
}

void MemorySink::patch(std::uint64_t offset, ByteView data) {
  std::uint64_t have = out_.size() - base_;
  if (offset > have || data.size() > have - offset)
    fail(Errc::invalid_argument, "patch outside the bytes written");
  if (!data.empty()) std::memcpy(out_.data() + base_ + offset, data.data(), data.size());
}

namespace {
void pread_all(int fd, std::uint64_t offset, MutableByteView out, const std::string& name) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(Errc::io, "cannot read " + name + ": " + errno_text());
    }
    if (n == 0) fail(Errc::io, "cannot read " + name + ": it shrank while being read");
    done += static_cast<std::size_t>(n);
  }
}

void pwrite_all(int fd, std::uint64_t offset, ByteView data, const std::string& name) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n =
        ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(Errc::io, "cannot write " + name + ": " + errno_text());
    }
    done += static_cast<std::size_t>(n);
  }
}
}  // namespace

void MemorySource::read_at(std::uint64_t offset, MutableByteView out) const {
  check_range(data_.size(), offset, out.size());
  if (!out.empty()) std::memcpy(out.data(), data_.data() + offset, out.size());
}

FileSource::FileSource(const std::filesystem::path& path) : name_(path.string()) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail(Errc::io, "cannot open " + name_ + ": " + errno_text());
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    fail(Errc::io, "cannot read " + name_ + ": not a regular file");
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
}

FileSource::~FileSource() {
  if (fd_ >= 0) ::close(fd_);
}

void FileSource::read_at(std::uint64_t offset, MutableByteView out) const {
  check_range(size_, offset, out.size());
  pread_all(fd_, offset, out, name_);
}

namespace {

// Named temporary files of open AtomicFileSinks, for remove_pending_temp_files() in a signal
// handler: fixed slots of NUL-terminated paths, claimed and released with atomics.
constexpr int kPendingSlots = 64;
constexpr std::size_t kPendingPath = 4096;
std::atomic<bool> g_pending_used[kPendingSlots];
char g_pending_path[kPendingSlots][kPendingPath];

int claim_pending(const std::string& path) {
  if (path.size() >= kPendingPath) return -1;
  for (int i = 0; i < kPendingSlots; ++i) {
    bool expected = false;
    if (g_pending_used[i].load(std::memory_order_relaxed) ||
        !g_pending_used[i].compare_exchange_strong(expected, true))
      continue;
    std::memcpy(g_pending_path[i], path.c_str(), path.size() + 1);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    return i;
  }
  return -1;  // more than 64 at once: only the error paths remove it
}

void release_pending(int slot) {
  if (slot < 0) return;
  g_pending_path[slot][0] = '\0';
  std::atomic_signal_fence(std::memory_order_seq_cst);
  g_pending_used[slot].store(false);
}

std::filesystem::path folder_of(const std::filesystem::path& target) {
  std::filesystem::path dir = target.parent_path();
  return dir.empty() ? std::filesystem::path(".") : dir;
}

}  // namespace

void remove_pending_temp_files() noexcept {
  for (int i = 0; i < kPendingSlots; ++i)
    if (g_pending_used[i].load() && g_pending_path[i][0] != '\0') ::unlink(g_pending_path[i]);
}

AtomicFileSink::AtomicFileSink(std::filesystem::path target, bool durable)
    : target_(std::move(target)), durable_(durable) {
  const std::filesystem::path dir = folder_of(target_);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    fail(Errc::io,
         "cannot write " + target_.string() + ": the folder " + dir.string() + " does not exist");
  int fd = -1;
  struct stat st {};
  if (::stat(target_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // A device (/dev/null, /dev/stdout) or a FIFO: renaming onto it would replace it with a
    // file, so it is written directly.
    if (S_ISDIR(st.st_mode))
      fail(Errc::io, "cannot write " + target_.string() + ": it is a folder");
    direct_ = true;
    fd = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) fail(Errc::io, "cannot write " + target_.string() + ": " + errno_text());
  }
#ifdef O_TMPFILE
  if (fd < 0) fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT)
    fail(Errc::io, "cannot write into " + dir.string() + ": " + errno_text());
#endif
  if (fd < 0) {
    std::random_device rd;
    temp_ = target_;
    temp_ += ".openrms-tmp-" + std::to_string(rd());
    slot_ = claim_pending(temp_.string());
    fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      int e = errno;
      release_pending(slot_);
      fail(Errc::io, "cannot write into " + dir.string() + ": " + std::strerror(e));
    }
  }
  f_ = ::fdopen(fd, "wb");
  if (f_ == nullptr) {
    ::close(fd);
    if (!temp_.empty()) ::unlink(temp_.c_str());
    release_pending(slot_);
    fail(Errc::io, "cannot open an output file in " + dir.string());
  }
  std::setvbuf(f_, nullptr, _IOFBF, 1 << 16);
}

AtomicFileSink::~AtomicFileSink() {
  if (f_) std::fclose(f_);
  if (!committed_ && !temp_.empty()) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
  }
  release_pending(slot_);
}

void AtomicFileSink::write(ByteView data) {
  if (f_ == nullptr) fail(Errc::invalid_argument, "write after commit");
  if (!data.empty() && std::fwrite(data.data(), 1, data.size(), f_) != data.size())
    fail(Errc::io, "cannot write " + target_.string() + ": " + errno_text());
  written_ += data.size();
}

void AtomicFileSink::patch(std::uint64_t offset, ByteView data) {
  if (f_ == nullptr) fail(Errc::invalid_argument, "patch after commit");
  if (offset > written_ || data.size() > written_ - offset)
    fail(Errc::invalid_argument, "patch outside the bytes written");
  if (std::fflush(f_) != 0)
    fail(Errc::io, "cannot write " + target_.string() + ": " + errno_text());
  pwrite_all(fileno(f_), offset, data, target_.string());
}

void AtomicFileSink::commit() {
  if (f_ == nullptr) fail(Errc::invalid_argument, "commit called twice");
  if (std::fflush(f_) != 0 || (durable_ && !direct_ && ::fsync(fileno(f_)) != 0))
    fail(Errc::io, "cannot write " + target_.string() + ": " + errno_text());
  if (direct_) {
    const int rc = std::fclose(f_);
    f_ = nullptr;
    if (rc != 0) fail(Errc::io, "cannot write " + target_.string() + ": " + errno_text());
    committed_ = true;
    return;
  }
  if (temp_.empty()) {
    // The anonymous file gets a name only now, complete: a unique temporary one (linkat cannot
    // replace an existing target), then the atomic rename.
    std::random_device rd;
    std::filesystem::path named = target_;
    named += ".openrms-tmp-" + std::to_string(rd());
    const std::string proc = "/proc/self/fd/" + std::to_string(fileno(f_));
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, named.c_str(), AT_SYMLINK_FOLLOW) != 0)
      fail(Errc::io, "cannot write " + target_.string() + ": " + errno_text());
    temp_ = named;
    slot_ = claim_pending(temp_.string());
  }
  int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) fail(Errc::io, "cannot write " + target_.string() + ": " + errno_text());
  std::error_code ec;
  std::filesystem::rename(temp_, target_, ec);
  if (ec) fail(Errc::io, "cannot rename onto " + target_.string() + ": " + ec.message());
  committed_ = true;
}

TempFile::TempFile(const std::filesystem::path& dir) {
  std::filesystem::path d = dir;
  if (d.empty()) {
    const char* t = std::getenv("TMPDIR");
    d = (t && *t) ? t : "/tmp";
  }
#ifdef O_TMPFILE
  fd_ = ::open(d.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
  if (fd_ < 0) {
    std::string tmpl = (d / "openrms-scratch-XXXXXX").string();
    fd_ = ::mkstemp(tmpl.data());
    if (fd_ < 0)
      fail(Errc::io, "cannot create a scratch file in " + d.string() + ": " + errno_text());
    ::unlink(tmpl.c_str());
  }
}

TempFile::~TempFile() {
  if (fd_ >= 0) ::close(fd_);
}

void TempFile::write(ByteView data) {
  const std::uint64_t at = size_.load(std::memory_order_relaxed);
  pwrite_all(fd_, at, data, "a scratch file");
  size_.store(at + data.size(), std::memory_order_release);
}

void TempFile::patch(std::uint64_t offset, ByteView data) {
  const std::uint64_t n = size();
  if (offset > n || data.size() > n - offset)
    fail(Errc::invalid_argument, "patch outside the bytes written");
  pwrite_all(fd_, offset, data, "a scratch file");
}

void TempFile::read_at(std::uint64_t offset, MutableByteView out) const {
  check_range(size(), offset, out.size());
  pread_all(fd_, offset, out, "a scratch file");
}

Bytes read_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  FileSource src(path);
  if (src.size() > max_bytes)
    fail(Errc::invalid_argument,
         path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
  Bytes out(static_cast<std::size_t>(src.size()));
  src.read_at(0, out);
  return out;
}

void write_file(const std::filesystem::path& path, ByteView data, bool durable) {
  AtomicFileSink sink(path, durable);
  sink.write(data);
  sink.commit();
}

}  // namespace openrms::formats
