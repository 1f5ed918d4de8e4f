#include "openrms/formats/io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(Errc::io, "cannot read " + name_ + ": " + errno_text());
    }
    if (n == 0) fail(Errc::io, "cannot read " + name_ + ": file shrank while being read");
    done += static_cast<std::size_t>(n);
  }
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

Bytes read_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  FileSource src(path);
  if (src.size() > max_bytes)
    fail(Errc::invalid_argument,
         path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
  Bytes out(static_cast<std::size_t>(src.size()));
  src.read_at(0, out);
  return out;
}

}  // namespace openrms::formats
