// Round-trip target: random plaintext through SegmentStream with fuzzer-chosen chunk sizes and
// batch size must equal the one-shot result and decrypt back exactly.
#include <cstdlib>

#include "fuzz_input.hpp"
#include "openrms/crypto/segment_cipher.hpp"

using namespace openrms::crypto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  openrms::fuzz::Input in(data, size);
  const std::uint8_t sel = in.byte();
  const std::size_t chunk = 1 + in.byte() * 37u;
  const std::size_t batch = 4096u * (1 + in.byte() % 4);
  const SegmentMode mode = static_cast<SegmentMode>(sel % 3);
  Bytes key(32, sel);
  auto c = mode == SegmentMode::cbc4k    ? SegmentCipher::cbc4k(key)
           : mode == SegmentMode::cbc512 ? SegmentCipher::cbc512(key)
                                         : SegmentCipher::agile(key, HashAlg::sha1, Bytes(16, 9));
  auto pt = in.take(1 << 16);
  if (mode == SegmentMode::cbc512) pt = pt.first(pt.size() - pt.size() % 16);
  Bytes ct, back;
  SegmentStream enc(
      c, SegmentStream::Direction::encrypt,
      [&](ByteView b) { ct.insert(ct.end(), b.begin(), b.end()); }, std::nullopt, batch);
  for (std::size_t off = 0; off < pt.size(); off += chunk)
    enc.update(pt.subspan(off, std::min(chunk, pt.size() - off)));
  enc.finish();
  if (ct != c.encrypt(pt)) std::abort();
  SegmentStream dec(
      c, SegmentStream::Direction::decrypt,
      [&](ByteView b) { back.insert(back.end(), b.begin(), b.end()); }, pt.size(), batch);
  for (std::size_t off = 0; off < ct.size(); off += chunk)
    dec.update(ByteView(ct).subspan(off, std::min(chunk, ct.size() - off)));
  dec.finish();
  if (back.size() != pt.size() || !std::equal(back.begin(), back.end(), pt.begin())) std::abort();
  return 0;
}
