// Hostile-input target for everything in crypto/ that reads attacker-controlled bytes: segment
// decryption of arbitrary ciphertext, PEM/DER key parsing, sealed-key opening, GCM opening and
// key unwrapping. Each must either succeed or throw openrms::Error — never crash or hang.
#include "fuzz_input.hpp"
#include "openrms/crypto/ecies.hpp"
#include "openrms/crypto/segment_cipher.hpp"
#include "openrms/error.hpp"

using namespace openrms::crypto;

namespace {
template <class F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const openrms::Error&) {
  }
}
const PrivateKey& ec_key() {
  static const PrivateKey k = openssl_backend().generate_key(KeyType::ec_p256);
  return k;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  openrms::fuzz::Input in(data, size);
  const std::uint8_t sel = in.byte();
  auto body = in.rest();
  std::vector<const Backend*> bes{&openssl_backend()};
  if (has_botan()) bes.push_back(&botan_backend());
  for (const Backend* be : bes) {
    switch (sel % 6) {
      case 0: {
        Bytes key(32, 1);
        auto c = SegmentCipher::cbc4k(key, {SegmentOptions::Engine::automatic, 1, be});
        expect_clean([&] { c.decrypt(body); });
        auto a = SegmentCipher::agile(key, HashAlg::sha512, key,
                                      {SegmentOptions::Engine::automatic, 1, be});
        expect_clean([&] { a.decrypt(body, body.size() / 2); });
        break;
      }
      case 1:
        expect_clean([&] { be->load_private_key(body); });
        break;
      case 2:
        expect_clean([&] { be->load_public_key(body); });
        break;
      case 3:
        expect_clean([&] { open_sealed(*be, ec_key(), body); });
        break;
      case 4:
        expect_clean([&] { be->gcm_open(Bytes(16, 2), Bytes(12, 3), {}, body); });
        break;
      case 5:
        expect_clean([&] { be->key_unwrap(Bytes(16, 4), body, sel & 0x40); });
        break;
    }
  }
  return 0;
}
