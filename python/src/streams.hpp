// Python objects as openrms byte sources and sinks: a path, a bytes-like object, or a binary
// file object. Library work runs with the GIL released; these take it back only to call into
// Python, and keep the first Python exception a callback raised so the caller sees it again.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <mutex>
#include <optional>

#include "openrms/error.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::python {

namespace py = pybind11;

/// The first Python exception raised inside a callback during one call, raised again once the
/// library has returned (instead of the io error the library reports for it).
class PendingError {
 public:
  void keep(py::error_already_set& e);  // GIL held
  /// Raises the kept exception if there is one (GIL held).
  void rethrow_if_any();

 private:
  std::mutex mu_;
  std::optional<py::error_already_set> error_;
};

/// A source over a path (read with pread, no GIL), a bytes-like object (its buffer, held), or a
/// binary file object (seek + readinto under the GIL, one read at a time; one with a working
/// fileno() is read with pread instead).
std::unique_ptr<formats::ByteSource> make_source(py::handle obj, PendingError& pending);

/// Where output goes: a path (written atomically: commit() renames), a binary file object
/// (write() under the GIL), or, for None, bytes returned to the caller (allocated at
/// `expected_size`, the likely output size, and shrunk or grown at the end).
class Output {
 public:
  Output(py::handle obj, std::uint64_t expected_size, bool durable, PendingError& pending);
  ~Output();
  formats::ByteSink& sink();
  /// After success: renames a path into place; returns the bytes for None, else None.
  py::object finish();  // GIL held

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Runs `work` without the GIL and returns what it returns. A Python exception a callback
/// raised meanwhile is raised instead of the io error the library made of it.
template <class F>
auto without_gil(PendingError& pending, F&& work) {
  try {
    py::gil_scoped_release nogil;
    return work();
  } catch (const Error&) {
    pending.rethrow_if_any();
    throw;
  }
}

/// Runs `work` on `out`'s sink without the GIL, then finishes the output (see Output::finish).
template <class F>
py::object write_output(PendingError& pending, Output& out, F&& work) {
  without_gil(pending, [&] { work(out.sink()); });
  pending.rethrow_if_any();
  return out.finish();
}

/// True if `obj` is a str or os.PathLike (a file name).
bool is_path(py::handle obj);

}  // namespace openrms::python
