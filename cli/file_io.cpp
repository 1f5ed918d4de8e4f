#include "file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "openrms/error.hpp"

namespace openrms::cli {

static std::string errno_text() {
  return std::strerror(errno);
}

AtomicOutput::AtomicOutput(std::filesystem::path target) : target_(std::move(target)) {
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
}

AtomicOutput::~AtomicOutput() {
  if (f_) std::fclose(f_);
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
  }
}

void AtomicOutput::write(crypto::ByteView data) {
  if (!data.empty() && std::fwrite(data.data(), 1, data.size(), f_) != data.size())
    fail(Errc::io, "cannot write " + target_.string() + ": " + errno_text());
}

void AtomicOutput::commit() {
  if (std::fflush(f_) != 0 || ::fsync(fileno(f_)) != 0)
    fail(Errc::io, "cannot write " + target_.string() + ": " + errno_text());
  int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) fail(Errc::io, "cannot write " + target_.string() + ": " + errno_text());
  std::error_code ec;
  std::filesystem::rename(temp_, target_, ec);
  if (ec) fail(Errc::io, "cannot rename onto " + target_.string() + ": " + ec.message());
  committed_ = true;
}

InputFile::InputFile(const std::filesystem::path& path) : name_(path.string()) {
  f_ = std::fopen(path.c_str(), "rb");
  if (f_ == nullptr) fail(Errc::io, "cannot open " + name_ + ": " + errno_text());
  std::error_code ec;
  size_ = std::filesystem::file_size(path, ec);
}

InputFile::~InputFile() {
  if (f_) std::fclose(f_);
}

std::size_t InputFile::read(crypto::MutableByteView buf) {
  std::size_t n = std::fread(buf.data(), 1, buf.size(), f_);
  if (n < buf.size() && std::ferror(f_))
    fail(Errc::io, "cannot read " + name_ + ": " + errno_text());
  return n;
}

}  // namespace openrms::cli
