// Office IRM data-space reader target: read_info() (the \006Primary transform, the license, the
// package size), decrypt() and decrypt_binary_document() (which also parses the decrypted inner
// compound file) with the seeds' key must succeed or throw openrms::Error.
#include "openrms/error.hpp"
#include "openrms/formats/office/irm.hpp"

using namespace openrms::formats;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  MemorySource src(ByteView(data, size));
  const openrms::crypto::Bytes key(16, 0x42);  // fuzz/corpus/README.md: the seeds' content key
  try {
    (void)office::irm::read_info(src);
  } catch (const openrms::Error&) {
  }
  for (bool strict : {true, false}) {
    try {
      openrms::crypto::Bytes out;
      MemorySink sink(out);
      office::irm::ReadOptions o;
      o.require_integrity = strict;
      (void)office::irm::decrypt(src, sink, key, o);
    } catch (const openrms::Error&) {
    }
    try {
      openrms::crypto::Bytes out;
      MemorySink sink(out);
      office::irm::ReadOptions o;
      o.require_integrity = strict;
      (void)office::irm::decrypt_binary_document(src, sink, key, o);
    } catch (const openrms::Error&) {
    }
  }
  return 0;
}
