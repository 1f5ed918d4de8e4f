// Status names, the per-thread last error, memory sources and sinks.
#include <cstdlib>
#include <string>

#include "bridge.hpp"
#include "openrms/crypto/secure.hpp"

namespace openrms::capi {

namespace {
thread_local std::string last_error;
}

void set_last_error(std::string_view message) noexcept {
  try {
    last_error.assign(message);
  } catch (...) {
    last_error.clear();
  }
}

void need(const void* p, const char* what) {
  if (!p) fail(Errc::invalid_argument, std::string(what) + " must not be NULL");
}

CallbackSource::CallbackSource(const openrms_source* s) {
  need(s, "the source");
  if (!s->read_at) fail(Errc::invalid_argument, "the source has no read_at callback");
  s_ = *s;
}

void CallbackSource::read_at(std::uint64_t offset, formats::MutableByteView out) const {
  if (offset > s_.size || out.size() > s_.size - offset)
    fail(Errc::bad_format, "the data ends before the structure it describes");
  if (out.empty()) return;
  if (s_.read_at(s_.ctx, offset, out.data(), out.size()) != 0)
    fail(Errc::io, "the caller's source failed to read " + std::to_string(out.size()) +
                       " bytes at offset " + std::to_string(offset));
}

CallbackSink::CallbackSink(const openrms_sink* s) {
  need(s, "the sink");
  if (!s->write) fail(Errc::invalid_argument, "the sink has no write callback");
  s_ = *s;
}

void CallbackSink::write(formats::ByteView data) {
  if (data.empty()) return;
  if (s_.write(s_.ctx, data.data(), data.size()) != 0)
    fail(Errc::io, "the caller's sink failed to write " + std::to_string(data.size()) + " bytes");
}

char* malloc_copy(std::string_view text) {
  auto* p = static_cast<char*>(std::malloc(text.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, text.data(), text.size());
  p[text.size()] = '\0';
  return p;
}

formats::Progress progress_of(openrms_progress_fn fn, void* ctx) {
  if (!fn) return {};
  return [fn, ctx](std::uint64_t done, std::uint64_t total) { fn(ctx, done, total); };
}

namespace {

int read_memory(void* ctx, std::uint64_t offset, void* buf, std::size_t len) {
  const auto* m = static_cast<const std::uint8_t*>(ctx);
  std::memcpy(buf, m + offset, len);
  return 0;
}

// Grows like a vector but wipes every block it gives up: the bytes may be plaintext.
int write_buffer(void* ctx, const void* data, std::size_t len) {
  auto* b = static_cast<openrms_buffer*>(ctx);
  if (len > SIZE_MAX - b->size) return 1;
  if (b->size + len > b->capacity) {
    std::size_t cap = std::max<std::size_t>(b->capacity, 4096);
    while (cap < b->size + len) cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    auto* grown = static_cast<std::uint8_t*>(std::malloc(cap));
    if (!grown) return 1;
    if (b->size) std::memcpy(grown, b->data, b->size);
    if (b->data) {
      crypto::secure_wipe(b->data, b->capacity);
      std::free(b->data);
    }
    b->data = grown;
    b->capacity = cap;
  }
  std::memcpy(b->data + b->size, data, len);
  b->size += len;
  return 0;
}

}  // namespace

}  // namespace openrms::capi

using namespace openrms;

extern "C" {

const char* openrms_version(void) {
  return OPENRMS_VERSION_STRING;
}

const char* openrms_status_name(openrms_status status) {
  if (status == OPENRMS_OK) return "ok";
  if (status == OPENRMS_OUT_OF_MEMORY) return "out_of_memory";
  if (status < 1 || status > static_cast<int>(Errc::unavailable)) return "unknown";
  return to_string(static_cast<Errc>(status)).data();
}

const char* openrms_last_error(void) {
  return capi::last_error.c_str();
}

void openrms_free(void* p) {
  std::free(p);
}

openrms_source openrms_source_from_memory(const void* data, size_t size) {
  return openrms_source{const_cast<void*>(data), size, &capi::read_memory};
}

openrms_sink openrms_sink_to_buffer(openrms_buffer* buffer) {
  return openrms_sink{buffer, buffer ? &capi::write_buffer : nullptr};
}

void openrms_buffer_free(openrms_buffer* buffer) {
  if (!buffer) return;
  if (buffer->data) {
    crypto::secure_wipe(buffer->data, buffer->capacity);
    std::free(buffer->data);
  }
  *buffer = openrms_buffer{nullptr, 0, 0};
}

}  // extern "C"
