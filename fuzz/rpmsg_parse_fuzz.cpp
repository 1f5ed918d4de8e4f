// message.rpmsg target: the block inflater, the binary-flavour IRM compound file, the attachment
// table and decrypt() (with the key the seeds were written with, so mutations reach the MAC and
// cipher paths) must succeed or throw openrms::Error, in bounded time and memory.
#include "openrms/error.hpp"
#include "openrms/formats/mail/rpmsg.hpp"

using namespace openrms::formats::mail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const openrms::crypto::Bytes key(16, 0x42);  // fuzz/corpus/README.md: the seeds' key
  try {
    rpmsg::Reader r(rpmsg::ByteView(data, size), 64u << 20);
    (void)r.info();
    (void)r.decrypt(key);
  } catch (const openrms::Error&) {
  }
  return 0;
}
