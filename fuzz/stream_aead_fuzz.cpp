// Streaming AEAD invariants on fuzzer-chosen plaintext, segment size, run split and damage:
// sealing in two runs equals sealing at once (any thread count), the stream opens to the
// plaintext, and one flipped or dropped byte anywhere makes open() fail with all-zero output
// — never a crash, never plaintext of a damaged stream.
#include <algorithm>
#include <cstdlib>

#include "fuzz_input.hpp"
#include "openrms/crypto/streaming_aead.hpp"

using namespace openrms::crypto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  openrms::fuzz::Input in(data, size);
  const std::uint8_t sel = in.byte();
  const std::uint32_t seg = StreamingAead::kMinSegment << (sel & 1);
  const Backend& be = (sel & 2) && has_botan() ? botan_backend() : openssl_backend();
  StreamingAead::Params p;
  p.segment_size = seg;
  p.salt[0] = in.byte();
  p.nonce_prefix[0] = in.byte();
  const std::size_t split_segments = in.byte() % 4;
  const std::size_t damage_at = (std::size_t{in.byte()} << 8) | in.byte();
  const std::uint8_t damage = in.byte();
  const Bytes ikm(32, sel);
  const StreamingAead sa(be, ikm, p, ByteView(data, std::min<std::size_t>(size, 8)));
  const auto pt = in.take(5 * seg);

  Bytes whole(sa.ciphertext_size(pt.size()));
  sa.seal(0, true, pt, whole, 1 + (sel >> 7));
  const std::size_t first = std::min<std::size_t>(split_segments * seg, pt.size());
  if (first > 0 && first < pt.size()) {  // two runs: whole segments, then the rest as final
    Bytes pieces(whole.size());
    const std::size_t k = first / seg;
    sa.seal(0, false, pt.first(first), MutableByteView(pieces).first(first + 16 * k));
    sa.seal(k, true, pt.subspan(first), MutableByteView(pieces).subspan(first + 16 * k));
    if (pieces != whole) std::abort();
  }
  auto n = sa.plaintext_size(whole.size());
  if (!n || *n != pt.size()) std::abort();
  Bytes out(*n);
  if (!sa.open(0, true, whole, out) || !std::equal(out.begin(), out.end(), pt.begin()))
    std::abort();

  Bytes bad = whole;
  if (damage & 1) {
    bad.erase(bad.begin() + static_cast<std::ptrdiff_t>(damage_at % bad.size()));
  } else {
    bad[damage_at % bad.size()] ^= static_cast<std::uint8_t>(damage | 1);
  }
  if (auto m = sa.plaintext_size(bad.size())) {
    Bytes o2(*m, 0xAA);
    if (sa.open(0, true, bad, o2)) std::abort();
    if (std::any_of(o2.begin(), o2.end(), [](std::uint8_t b) { return b != 0; })) std::abort();
  }
  return 0;
}
