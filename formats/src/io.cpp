#include "openrms/formats/io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

AtomicFileSink::AtomicFileSink(std::filesystem::path target, bool durable)
    : target_(std::move(target)), durable_(durable) {
  std::random_device rd;
  temp_ = target_;
  temp_ += ".openrms-tmp-" + std::to_string(rd());
  int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail(Errc::io, "cannot create " + temp_.string() + ": " + errno_text());
  f_ = ::fdopen(fd, "wb");
  if (f_ == nullptr) {
    ::close(fd);
    fail(Errc::io, "cannot open " + temp_.string());
  }
  std::setvbuf(f_, nullptr, _IOFBF, 1 << 16);
}

AtomicFileSink::~AtomicFileSink() {
  if (f_) std::fclose(f_);
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
  }
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
  if (std::fflush(f_) != 0 || (durable_ && ::fsync(fileno(f_)) != 0))
    fail(Errc::io, "cannot write " + target_.string() + ": " + errno_text());
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
