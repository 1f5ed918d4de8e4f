#include "rsa_oaep.hpp"

#include "openrms/error.hpp"

namespace openrms::crypto {
namespace {

void mgf1_xor(const Backend& be, HashAlg h, ByteView seed, MutableByteView target) {
  auto ctx = be.hash(h);
  Bytes block(digest_size(h));
  std::size_t off = 0;
  for (std::uint32_t counter = 0; off < target.size(); ++counter) {
    std::uint8_t c[4] = {std::uint8_t(counter >> 24), std::uint8_t(counter >> 16),
                         std::uint8_t(counter >> 8), std::uint8_t(counter)};
    ctx->update(seed);
    ctx->update(c);
    ctx->finish(block);
    for (std::size_t i = 0; i < block.size() && off < target.size(); ++i) target[off++] ^= block[i];
  }
}

}  // namespace

Bytes oaep_encode(const Backend& be, HashAlg h, HashAlg mgf, ByteView label, ByteView msg,
                  std::size_t k) {
  std::size_t hlen = digest_size(h);
  if (k < 2 * hlen + 2 || msg.size() > k - 2 * hlen - 2)
    fail(Errc::invalid_argument, "message too long for RSA-OAEP");
  Bytes em(k, 0);
  MutableByteView seed(em.data() + 1, hlen);
  MutableByteView db(em.data() + 1 + hlen, k - hlen - 1);
  Bytes lhash = be.digest(h, label);
  std::copy(lhash.begin(), lhash.end(), db.begin());
  db[db.size() - msg.size() - 1] = 0x01;
  std::copy(msg.begin(), msg.end(), db.end() - static_cast<std::ptrdiff_t>(msg.size()));
  be.random(seed);
  mgf1_xor(be, mgf, seed, db);
  mgf1_xor(be, mgf, db, seed);
  return em;
}

std::optional<SecureBytes> oaep_decode(const Backend& be, HashAlg h, HashAlg mgf, ByteView label,
                                       ByteView em_in) {
  std::size_t hlen = digest_size(h), k = em_in.size();
  if (k < 2 * hlen + 2) return std::nullopt;
  SecureBytes em(em_in.begin(), em_in.end());
  MutableByteView seed(em.data() + 1, hlen);
  MutableByteView db(em.data() + 1 + hlen, k - hlen - 1);
  mgf1_xor(be, mgf, db, seed);
  mgf1_xor(be, mgf, seed, db);
  Bytes lhash = be.digest(h, label);
  // bad != 0 on any error; all bytes are visited whatever their values.
  unsigned bad = em[0];
  for (std::size_t i = 0; i < hlen; ++i) bad |= static_cast<unsigned>(db[i] ^ lhash[i]);
  unsigned found = 0;  // becomes 1 at the 0x01 separator
  std::size_t msg_start = 0;
  for (std::size_t i = hlen; i < db.size(); ++i) {
    unsigned is_one = static_cast<unsigned>(((db[i] ^ 1u) - 1u) >> 31) & 1u;  // db[i] == 1
    unsigned is_zero = static_cast<unsigned>((db[i] - 1u) >> 31) & 1u;        // db[i] == 0
    unsigned take = is_one & (found ^ 1u);
    msg_start |= (0u - take) & (i + 1);
    bad |=
        (found ^ 1u) & (is_one ^ 1u) & (is_zero ^ 1u);  // a non-zero, non-one byte before separator
    found |= is_one;
  }
  bad |= found ^ 1u;
  if (bad != 0) return std::nullopt;
  return SecureBytes(db.begin() + static_cast<std::ptrdiff_t>(msg_start), db.end());
}

}  // namespace openrms::crypto
