// The seam between the C API and the C++ library: status mapping, the thread's last error,
// callback sources and sinks, and options structs read up to the caller's struct_size.
#pragma once

#include <algorithm>
#include <cstring>
#include <new>
#include <optional>
#include <string_view>

#include "openrms.h"
#include "openrms/error.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::capi {

void set_last_error(std::string_view message) noexcept;

/// Runs `body`, turning every exception into a status and the thread's last error: no C++
/// exception leaves the C API.
template <class F>
openrms_status guard(F&& body) noexcept {
  try {
    body();
    set_last_error("");
    return OPENRMS_OK;
  } catch (const Error& e) {
    set_last_error(e.what());
    return static_cast<openrms_status>(e.code());
  } catch (const std::bad_alloc&) {
    set_last_error("out of memory");
    return OPENRMS_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    set_last_error(std::string("internal error: ") + e.what());
    return OPENRMS_INTERNAL;
  } catch (...) {
    set_last_error("internal error: an unknown exception");
    return OPENRMS_INTERNAL;
  }
}

/// Errc::invalid_argument naming the parameter when `p` is null.
void need(const void* p, const char* what);

/// An optional C string as the library takes it.
inline std::optional<std::string_view> opt_text(const char* s) {
  return s ? std::optional<std::string_view>(s) : std::nullopt;
}

/// A caller's options struct as this library's version of it: defaults from `init`, then the
/// first struct_size bytes the caller set (a caller built against an older header sets fewer).
template <class T>
T read_options(const T* given, void (*init)(T*)) {
  T o;
  init(&o);
  if (!given) return o;
  if (given->struct_size < sizeof(std::uint32_t))
    fail(Errc::invalid_argument, "an options struct's struct_size is not set: call its _init");
  std::memcpy(&o, given, std::min<std::size_t>(given->struct_size, sizeof(T)));
  o.struct_size = sizeof(T);
  return o;
}

/// Refuses a result struct whose struct_size was not set, before any work is done.
template <class T>
void check_result(const T* out) {
  if (out && out->struct_size < sizeof(std::uint32_t))
    fail(Errc::invalid_argument, "a result struct's struct_size is not set: call its _init");
}

/// Copies a result into the caller's struct (may be null), up to its struct_size.
template <class T>
void write_result(T* out, T value) {
  if (!out) return;
  check_result(out);
  const std::uint32_t size = out->struct_size;
  value.struct_size = size;
  std::memcpy(out, &value, std::min<std::size_t>(size, sizeof(T)));
}

class CallbackSource final : public formats::ByteSource {
 public:
  explicit CallbackSource(const openrms_source* s);
  std::uint64_t size() const noexcept override { return s_.size; }
  void read_at(std::uint64_t offset, formats::MutableByteView out) const override;

 private:
  openrms_source s_;
};

class CallbackSink final : public formats::ByteSink {
 public:
  explicit CallbackSink(const openrms_sink* s);
  void write(formats::ByteView data) override;

 private:
  openrms_sink s_;
};

/// A library Progress that calls the caller's callback (empty when there is none).
formats::Progress progress_of(openrms_progress_fn fn, void* ctx);

}  // namespace openrms::capi

namespace openrms::capi {
/// `text` in memory from malloc (freed by openrms_free). out_of_memory as bad_alloc.
char* malloc_copy(std::string_view text);
}  // namespace openrms::capi
