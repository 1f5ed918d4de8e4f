// Splits a fuzzer input into typed pieces (no allocation beyond what the caller keeps).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace openrms::fuzz {

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
  std::uint8_t byte() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  std::span<const std::uint8_t> take(std::size_t k) {
    k = k < n_ ? k : n_;
    std::span<const std::uint8_t> s(p_, k);
    p_ += k;
    n_ -= k;
    return s;
  }
  std::span<const std::uint8_t> rest() { return take(n_); }
  std::size_t left() const { return n_; }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

}  // namespace openrms::fuzz
