#include "streams.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "huge_pages.hpp"  // formats/src: internal to openrms, shared with the extension
#include "openrms/error.hpp"

namespace openrms::python {

void PendingError::keep(py::error_already_set& e) {
  std::lock_guard lock(mu_);
  if (!error_) error_.emplace(std::move(e));
}

void PendingError::rethrow_if_any() {
  std::optional<py::error_already_set> e;
  {
    std::lock_guard lock(mu_);
    e.swap(error_);
  }
  if (e) throw std::move(*e);
}

bool is_path(py::handle obj) {
  return py::isinstance<py::str>(obj) ||
         py::isinstance(obj, py::module_::import("os").attr("PathLike"));
}

namespace {

std::string fspath(py::handle obj) {
  return py::str(py::module_::import("os").attr("fspath")(obj));
}

// A bytes-like object: its buffer stays acquired (and the object alive) while the source lives.
class BufferSource final : public formats::ByteSource {
 public:
  explicit BufferSource(py::handle obj) : view_(py::reinterpret_borrow<py::object>(obj)) {
    info_ = py::buffer(view_).request();
    if (!PyBuffer_IsContiguous(info_.view(), 'C'))
      fail(Errc::invalid_argument, "the input buffer must be contiguous");
    inner_ = std::make_unique<formats::MemorySource>(
        formats::ByteView(static_cast<const std::uint8_t*>(info_.ptr),
                          static_cast<std::size_t>(info_.size * info_.itemsize)));
  }
  ~BufferSource() override {
    py::gil_scoped_acquire gil;
    info_ = py::buffer_info();
    view_ = py::object();
  }
  std::uint64_t size() const noexcept override { return inner_->size(); }
  void read_at(std::uint64_t offset, formats::MutableByteView out) const override {
    inner_->read_at(offset, out);
  }
  formats::ByteView memory() const noexcept override { return inner_->memory(); }

 private:
  py::object view_;
  py::buffer_info info_;
  std::unique_ptr<formats::MemorySource> inner_;
};

// A file object with a real descriptor: pread at absolute offsets, no GIL, no shared position.
class DescriptorSource final : public formats::ByteSource {
 public:
  DescriptorSource(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~DescriptorSource() override { ::close(fd_); }
  std::uint64_t size() const noexcept override { return size_; }
  void read_at(std::uint64_t offset, formats::MutableByteView out) const override {
    if (offset > size_ || out.size() > size_ - offset)
      fail(Errc::bad_format, "the data ends before the structure it describes");
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n =
          ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n <= 0) fail(Errc::io, "reading the input file object failed");
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_;
  std::uint64_t size_;
};

// Any other binary file object: seek + readinto, one call at a time. The lock is taken before
// the GIL so a worker waiting for it never holds the GIL.
class FileObjectSource final : public formats::ByteSource {
 public:
  FileObjectSource(py::handle f, PendingError& pending)
      : file_(py::reinterpret_borrow<py::object>(f)), pending_(pending) {
    const py::object end = file_.attr("seek")(0, 2);
    size_ = end.cast<std::uint64_t>();
  }
  ~FileObjectSource() override {
    py::gil_scoped_acquire gil;
    file_ = py::object();
  }
  std::uint64_t size() const noexcept override { return size_; }
  void read_at(std::uint64_t offset, formats::MutableByteView out) const override {
    if (offset > size_ || out.size() > size_ - offset)
      fail(Errc::bad_format, "the data ends before the structure it describes");
    std::lock_guard lock(mu_);
    py::gil_scoped_acquire gil;
    try {
      file_.attr("seek")(offset);
      std::size_t done = 0;
      while (done < out.size()) {
        py::memoryview into = py::memoryview::from_memory(
            out.data() + done, static_cast<py::ssize_t>(out.size() - done));
        const py::object n = file_.attr("readinto")(into);
        into.attr("release")();
        const auto got = n.is_none() ? 0 : n.cast<std::size_t>();
        if (got == 0) fail(Errc::io, "the input file object ended early");
        done += got;
      }
    } catch (py::error_already_set& e) {
      pending_.keep(e);
      fail(Errc::io, "reading the input file object raised an exception");
    }
  }

 private:
  py::object file_;
  PendingError& pending_;
  std::uint64_t size_ = 0;
  mutable std::mutex mu_;
};

std::optional<int> regular_file_descriptor(py::handle f) {
  if (!py::hasattr(f, "fileno")) return std::nullopt;
  try {
    const int fd = f.attr("fileno")().cast<int>();
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return fd;
  } catch (py::error_already_set&) {
    return std::nullopt;  // io.BytesIO and friends have no descriptor
  }
}

}  // namespace

std::unique_ptr<formats::ByteSource> make_source(py::handle obj, PendingError& pending) {
  if (is_path(obj)) return std::make_unique<formats::FileSource>(fspath(obj));
  if (PyObject_CheckBuffer(obj.ptr())) return std::make_unique<BufferSource>(obj);
  if (!py::hasattr(obj, "read") || !py::hasattr(obj, "seek"))
    fail(Errc::invalid_argument,
         "the input must be a path, a bytes-like object or a seekable binary file object");
  if (const auto fd = regular_file_descriptor(obj)) {
    const int own = ::dup(*fd);
    if (own < 0) fail(Errc::io, "cannot duplicate the input file's descriptor");
    struct stat st {};
    ::fstat(own, &st);
    return std::make_unique<DescriptorSource>(own, static_cast<std::uint64_t>(st.st_size));
  }
  if (!py::hasattr(obj, "readinto"))
    fail(Errc::invalid_argument, "the input file object needs readinto() (open it in binary mode)");
  return std::make_unique<FileObjectSource>(obj, pending);
}

namespace {

class FileObjectSink final : public formats::ByteSink {
 public:
  FileObjectSink(py::handle f, PendingError& pending)
      : file_(py::reinterpret_borrow<py::object>(f)), pending_(pending) {}
  ~FileObjectSink() override {
    py::gil_scoped_acquire gil;
    file_ = py::object();
  }
  void write(formats::ByteView data) override {
    py::gil_scoped_acquire gil;
    try {
      // A copy: the file object may keep what it is given (io.BytesIO does).
      file_.attr("write")(py::bytes(reinterpret_cast<const char*>(data.data()), data.size()));
    } catch (py::error_already_set& e) {
      pending_.keep(e);
      fail(Errc::io, "writing to the output file object raised an exception");
    }
  }

 private:
  py::object file_;
  PendingError& pending_;
};

}  // namespace

// Output returned as bytes: written straight into a bytes object allocated (with the GIL) at
// the expected size, so the result is never copied; what does not fit goes to wiping chunks
// joined at the end. Memory is wiped when the result is not handed over.
class BytesSink final : public formats::ByteSink {
 public:
  explicit BytesSink(std::uint64_t expected) {
    capacity_ = static_cast<std::size_t>(std::min<std::uint64_t>(expected, PY_SSIZE_T_MAX));
    object_ = PyBytes_FromStringAndSize(nullptr, static_cast<py::ssize_t>(capacity_));
    if (!object_) throw py::error_already_set();
    // A fault per 2 MiB instead of per 4 KiB while it fills: on VMs the faults cost as much as
    // the decryption.
    formats::detail::advise_huge_pages(PyBytes_AS_STRING(object_), capacity_);
    // Fault the pages in on another thread meanwhile: the first write comes only after the
    // key derivation (tens of milliseconds for an Office file), which this hides.
    if (capacity_ >= (8u << 20))
      prefault_ = std::thread([p = PyBytes_AS_STRING(object_), n = capacity_] {
        for (std::size_t i = 0; i < n; i += 4096) static_cast<volatile char*>(p)[i] = 0;
      });
  }
  ~BytesSink() override {
    settle();
    if (!object_) return;
    crypto::secure_wipe(PyBytes_AS_STRING(object_), capacity_);
    py::gil_scoped_acquire gil;
    Py_DECREF(object_);
  }
  void write(formats::ByteView data) override {
    settle();
    std::size_t n = 0;
    if (overflow_.empty() && size_ < capacity_) {
      n = std::min(data.size(), capacity_ - size_);
      std::memcpy(PyBytes_AS_STRING(object_) + size_, data.data(), n);
      size_ += n;
    }
    if (n < data.size()) {
      overflow_.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(n), data.end());
      extra_ += data.size() - n;
    }
  }
  void patch(std::uint64_t offset, formats::ByteView data) override {
    settle();
    if (!overflow_.empty() || offset > size_ || data.size() > size_ - offset)
      fail(Errc::unsupported, "patching returned bytes past their expected size");
    std::memcpy(PyBytes_AS_STRING(object_) + offset, data.data(), data.size());
  }
  py::object finish() {  // GIL held
    settle();
    if (overflow_.empty()) {
      if (_PyBytes_Resize(&object_, static_cast<py::ssize_t>(size_)) != 0) {
        object_ = nullptr;  // freed by the failed resize
        throw py::error_already_set();
      }
      capacity_ = size_;
      return py::reinterpret_steal<py::object>(std::exchange(object_, nullptr));
    }
    PyObject* joined = PyBytes_FromStringAndSize(nullptr, static_cast<py::ssize_t>(size_ + extra_));
    if (!joined) throw py::error_already_set();
    char* at = PyBytes_AS_STRING(joined);
    std::memcpy(at, PyBytes_AS_STRING(object_), size_);
    at += size_;
    for (const auto& chunk : overflow_) {
      std::memcpy(at, chunk.data(), chunk.size());
      at += chunk.size();
    }
    overflow_.clear();
    return py::reinterpret_steal<py::object>(joined);
  }

 private:
  void settle() {
    if (prefault_.joinable()) prefault_.join();
  }

  PyObject* object_ = nullptr;
  std::size_t capacity_ = 0, size_ = 0, extra_ = 0;
  std::thread prefault_;
  std::vector<crypto::SecureBytes> overflow_;
};

struct Output::Impl {
  std::unique_ptr<formats::AtomicFileSink> file;
  std::unique_ptr<FileObjectSink> object;
  std::unique_ptr<BytesSink> bytes;
};

Output::Output(py::handle obj, std::uint64_t expected_size, bool durable, PendingError& pending)
    : impl_(std::make_unique<Impl>()) {
  if (obj.is_none()) {
    impl_->bytes = std::make_unique<BytesSink>(expected_size);
  } else if (is_path(obj)) {
    impl_->file = std::make_unique<formats::AtomicFileSink>(fspath(obj), durable);
  } else if (py::hasattr(obj, "write")) {
    impl_->object = std::make_unique<FileObjectSink>(obj, pending);
  } else {
    fail(Errc::invalid_argument, "the output must be None, a path or a binary file object");
  }
}

Output::~Output() = default;

formats::ByteSink& Output::sink() {
  if (impl_->file) return *impl_->file;
  if (impl_->object) return *impl_->object;
  return *impl_->bytes;
}

py::object Output::finish() {
  if (impl_->file) {
    py::gil_scoped_release nogil;
    impl_->file->commit();
    return py::none();
  }
  if (impl_->object) return py::none();
  return impl_->bytes->finish();
}

}  // namespace openrms::python
