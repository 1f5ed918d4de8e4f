// The internal pipelining sink: bytes reach the consumer in order and complete whatever the
// write sizes; the consumer's error surfaces in the producer; destruction without finish() stops.
#include "async_sink.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <random>

#include "openrms/error.hpp"

namespace openrms::formats::detail {
namespace {

TEST(AsyncSink, DeliversEveryByteInOrder) {
  std::mt19937 rng(1);
  const std::pair<std::size_t, std::size_t> cases[] = {
      {1, 20000}, {7, 100000}, {4096, 3u << 20}, {256u << 10, 3u << 20}};
  for (auto [buffer, size] : cases) {
    Bytes in(size);
    for (auto& b : in) b = static_cast<std::uint8_t>(rng());
    Bytes out;
    AsyncSink s([&](ByteView d) { out.insert(out.end(), d.begin(), d.end()); }, buffer, 3);
    for (std::size_t at = 0; at < in.size();) {
      std::size_t n = std::min<std::size_t>(1 + rng() % (size / 20), in.size() - at);
      s.write(ByteView(in.data() + at, n));
      at += n;
    }
    s.finish();
    EXPECT_EQ(out, in) << "buffer " << buffer;
  }
}

TEST(AsyncSink, ConsumerErrorReachesTheProducer) {
  std::atomic<int> calls{0};
  AsyncSink s(
      [&](ByteView) {
        if (++calls == 2) fail(Errc::io, "disk full");
      },
      16, 2);
  Bytes chunk(16, 1);
  try {
    for (int i = 0; i < 100; ++i) s.write(chunk);
    s.finish();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::io);
  }
  EXPECT_EQ(calls.load(), 2);
}

TEST(AsyncSink, DestroyedWithoutFinishStopsQuietly) {
  std::atomic<std::size_t> consumed{0};
  {
    AsyncSink s([&](ByteView d) { consumed += d.size(); }, 1024, 2);
    Bytes chunk(10000, 2);
    s.write(chunk);
  }
  EXPECT_LE(consumed.load(), 10000u);
}

}  // namespace
}  // namespace openrms::formats::detail
