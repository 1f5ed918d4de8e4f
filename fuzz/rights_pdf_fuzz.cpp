// Rights-managed PDF target: wrapper detection; version 1's payload license handler (/Encrypt
// with /Filter /OpenRMS) and per-object CBC4K decryption; version 2's /EP parameters, header MAC,
// sealed segments and random access — with the seeds' key, each must succeed or throw
// openrms::Error; is_protected() must never throw.
#include "openrms/error.hpp"
#include "openrms/formats/pdf/rights_pdf.hpp"

using namespace openrms::formats;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  MemorySource src(ByteView(data, size));
  const openrms::crypto::Bytes key(32, 0x42);  // fuzz/corpus/README.md: the seeds' content key
  (void)pdf::rights::is_protected(src);
  try {
    (void)pdf::rights::read_info(src);
  } catch (const openrms::Error&) {
  }
  try {
    openrms::crypto::Bytes out;
    MemorySink sink(out);
    pdf::rights::ReadOptions o;
    o.require_integrity = false;  // let mutations reach the license handler
    o.segments.threads = 1;
    (void)pdf::rights::decrypt(src, sink, key, o);
  } catch (const openrms::Error&) {
  }
  try {
    pdf::rights::ReadOptions o;
    o.segments.threads = 1;
    const pdf::rights::Reader r(src, key, o);
    openrms::crypto::Bytes part(64);
    (void)r.read_at(r.size() / 2, part);
  } catch (const openrms::Error&) {
  }
  return 0;
}
