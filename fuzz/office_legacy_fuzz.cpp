// Legacy binary Office decryption (Word, Excel and PowerPoint; RC4, RC4 CryptoAPI, XOR) on hostile
// files: decrypt must succeed or throw openrms::Error. The seeds are the corpus's encrypted .doc,
// .xls and .ppt files, and the target tries each of their passwords, so mutations get past the
// password check into the stream decryption (persist objects, pictures, the encrypted summary)
// and the compound-file rewrite. Each try costs one SHA-1 or MD5 key
// derivation.
#include "openrms/error.hpp"
#include "openrms/formats/office/office_crypto.hpp"

using namespace openrms::formats;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  MemorySource src(ByteView(data, size));
  for (const char* password :
       {"Password1234_", "password", "tika", "VelvetSweatshop", "hello", "123456789012345"}) {
    Bytes out;
    MemorySink sink(out);
    try {
      (void)office::decrypt(src, sink, std::string_view(password));
      return 0;
    } catch (const openrms::Error&) {
    }
  }
  return 0;
}
