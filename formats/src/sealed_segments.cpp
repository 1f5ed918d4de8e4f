#include "sealed_segments.hpp"

#include <algorithm>
#include <cstring>

#include "batch_pipeline.hpp"
#include "openrms/crypto/parallel.hpp"

namespace openrms::formats::detail {

using crypto::StreamingAead;

std::uint64_t batch_segments(std::uint32_t segment_size, unsigned threads) {
  const std::uint64_t t = std::min<std::uint64_t>(16, threads ? threads : crypto::parallelism());
  const std::uint64_t per_thread = segment_size <= (1u << 20) ? t : 1;
  return std::max<std::uint64_t>({1, per_thread, (8u << 20) / segment_size});
}

void seal_stream(const StreamingAead& sa, const ByteSource& plaintext, ByteSink& out,
                 unsigned threads, const Progress& progress) {
  const std::uint64_t total = plaintext.size();
  const std::uint64_t seg = sa.segment_size();
  const std::uint64_t per_batch = batch_segments(sa.segment_size(), threads);
  const std::uint64_t batches = (sa.segments_for(total) + per_batch - 1) / per_batch;
  const ByteView whole = plaintext.memory();
  BatchStages st;
  st.read = [&](std::uint64_t k, crypto::SecureBytes& buf) -> ByteView {
    const std::uint64_t at = k * per_batch * seg;
    const auto n = static_cast<std::size_t>(std::min(per_batch * seg, total - at));
    if (whole.size() == total) return whole.subspan(at, n);
    buf.resize(n);
    plaintext.read_at(at, buf);
    return buf;
  };
  st.transform = [&](std::uint64_t k, ByteView in, crypto::SecureBytes& buf) -> ByteView {
    const bool final = k + 1 == batches;
    buf.resize(in.size() + StreamingAead::kTagSize * sa.segments_for(in.size()));
    sa.seal(k * per_batch, final, in, buf, threads);
    if (progress) progress(std::min(total, (k + 1) * per_batch * seg), total);
    return buf;
  };
  st.write = [&](std::uint64_t, ByteView bytes) { out.write(bytes); };
  run_batches(batches, st);
}

std::uint64_t open_stream(const StreamingAead& sa, const SealedRegion& r, ByteSink& out,
                          unsigned threads, const Progress& progress, void (*altered)()) {
  const std::uint64_t sealed = sa.sealed_segment_size();
  const std::uint64_t per_batch = batch_segments(sa.segment_size(), threads);
  const std::uint64_t segments = std::max<std::uint64_t>(1, (r.size + sealed - 1) / sealed);
  const std::uint64_t batches = (segments + per_batch - 1) / per_batch;
  const ByteView whole = r.src.memory();
  std::uint64_t written = 0;
  BatchStages st;
  st.read = [&](std::uint64_t k, crypto::SecureBytes& buf) -> ByteView {
    const std::uint64_t at = k * per_batch * sealed;
    const auto n = static_cast<std::size_t>(std::min(per_batch * sealed, r.size - at));
    if (whole.size() == r.src.size()) return whole.subspan(r.offset + at, n);
    buf.resize(n);
    r.src.read_at(r.offset + at, buf);
    return buf;
  };
  st.transform = [&](std::uint64_t k, ByteView in, crypto::SecureBytes& buf) -> ByteView {
    const bool final = k + 1 == batches;
    if (in.size() < StreamingAead::kTagSize) altered();
    const std::uint64_t n =
        final ? in.size() - StreamingAead::kTagSize * ((in.size() + sealed - 1) / sealed)
              : in.size() / sealed * sa.segment_size();
    buf.resize(static_cast<std::size_t>(n));
    if (!sa.open(k * per_batch, final, in, buf, threads)) altered();
    if (progress) progress(std::min(r.size, (k + 1) * per_batch * sealed), r.size);
    return buf;
  };
  st.write = [&](std::uint64_t, ByteView bytes) {
    out.write(bytes);
    written += bytes.size();
  };
  run_batches(batches, st);
  return written;
}

std::size_t read_range(const StreamingAead& sa, const SealedRegion& r, std::uint64_t offset,
                       MutableByteView out, unsigned threads, void (*altered)()) {
  const std::uint64_t seg = sa.segment_size(), sealed = sa.sealed_segment_size();
  const std::uint64_t last_segment = (r.size - 1) / sealed;
  const std::uint64_t per_batch = batch_segments(sa.segment_size(), threads);
  crypto::SecureBytes in, plain;
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t pos = offset + done;
    const std::uint64_t a = pos / seg;
    const std::uint64_t b =
        std::min({(offset + out.size() - 1) / seg, a + per_batch - 1, last_segment});
    const bool final = b == last_segment;
    const std::uint64_t c_from = a * sealed, c_to = final ? r.size : (b + 1) * sealed;
    in.resize(static_cast<std::size_t>(c_to - c_from));
    r.src.read_at(r.offset + c_from, in);
    plain.resize(in.size() - StreamingAead::kTagSize * static_cast<std::size_t>(b - a + 1));
    if (!sa.open(a, final, in, plain, threads)) altered();
    const auto skip = static_cast<std::size_t>(pos - a * seg);
    const std::size_t take = std::min(plain.size() - skip, out.size() - done);
    std::memcpy(out.data() + done, plain.data() + skip, take);
    done += take;
  }
  return done;
}

}  // namespace openrms::formats::detail
