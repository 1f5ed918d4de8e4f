#include "integrity.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace openrms::formats::detail {

crypto::SecureBytes integrity_key(const crypto::Backend& be, ByteView content_key,
                                  std::string_view container) {
  std::string info = "openrms-integrity-v1|";
  info += container;
  crypto::SecureBytes key(kMacSize);
  be.hkdf(crypto::HashAlg::sha256, content_key, {}, crypto::as_bytes(info), key);
  return key;
}

HoleMac::HoleMac(const crypto::Backend& be, ByteView key, std::uint64_t hole, std::size_t hole_len,
                 std::uint8_t fill)
    : mac_(be.hmac(crypto::HashAlg::sha256, key)), hole_(hole), hole_len_(hole_len), fill_(fill) {}

void HoleMac::update(ByteView data) {
  const std::uint64_t begin = pos_, end = pos_ + data.size();
  const std::uint64_t hb = hole_, he = hole_ + hole_len_;
  if (end <= hb || begin >= he) {
    mac_->update(data);
  } else {
    std::uint8_t zeros[64];
    std::memset(zeros, fill_, sizeof zeros);
    std::uint64_t a = std::max(begin, hb), b = std::min(end, he);
    mac_->update(data.first(static_cast<std::size_t>(a - begin)));
    for (std::uint64_t left = b - a; left;) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, sizeof zeros));
      mac_->update(ByteView(zeros, n));
      left -= n;
    }
    mac_->update(data.subspan(static_cast<std::size_t>(b - begin)));
  }
  pos_ = end;
}

crypto::Bytes HoleMac::finish() {
  return mac_->finish();
}

void mac_range(HoleMac& mac, const ByteSource& src, std::uint64_t from, std::uint64_t to) {
  crypto::Bytes buf(std::min<std::uint64_t>(to - from, 1 << 20));
  while (from < to) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), to - from));
    src.read_at(from, MutableByteView(buf.data(), n));
    mac.update(ByteView(buf.data(), n));
    from += n;
  }
}

}  // namespace openrms::formats::detail
