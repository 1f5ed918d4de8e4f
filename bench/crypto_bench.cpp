// Bulk crypto throughput. Names put ours beside the baseline they are judged against:
//   CBC4K_Encrypt_*  vs  Baseline_AES256CBC_Encrypt (the backend's serial CBC over the same buffer)
//   CBC4K_Decrypt_*  vs  Baseline_AES256CBC_Decrypt
//   Limit_AES256CTR  — the practical ceiling (what `openssl speed -evp aes-256-ctr` measures)
//   SHA512_Spin100k_* vs Limit_SHA512_64B x 100,000 (one compression per round)
// Run: build/default/bench/crypto_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <openssl/evp.h>

#include "openrms/crypto/segment_cipher.hpp"

namespace {

using namespace openrms::crypto;

constexpr std::size_t kSize = 16 << 20;  // 16 MiB: past the caches, like real content

const Bytes& plaintext() {
  static const Bytes p = default_backend().random_bytes(kSize);
  return p;
}
const Bytes& key() {
  static const Bytes k = default_backend().random_bytes(32);
  return k;
}

SegmentCipher make(SegmentMode mode, SegmentOptions::Engine engine, unsigned threads) {
  SegmentOptions o{engine, threads, &openssl_backend()};
  if (mode == SegmentMode::agile)
    return SegmentCipher::agile(key(), HashAlg::sha512, Bytes(16, 1), o);
  return SegmentCipher::cbc4k(key(), o);
}

void encrypt(benchmark::State& st, SegmentMode mode, SegmentOptions::Engine engine) {
  auto c = make(mode, engine, static_cast<unsigned>(st.range(0)));
  Bytes out(kSize);
  for (auto _ : st) {
    c.encrypt_segments(0, plaintext(), out);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * kSize));
}

void decrypt(benchmark::State& st, SegmentMode mode, SegmentOptions::Engine engine) {
  auto c = make(mode, engine, static_cast<unsigned>(st.range(0)));
  Bytes ct(kSize), out(kSize);
  c.encrypt_segments(0, plaintext(), ct);
  for (auto _ : st) {
    c.decrypt_segments(0, ct, out);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * kSize));
}

// Arg = threads (1 = one core, 0 = all cores).
BENCHMARK_CAPTURE(encrypt, CBC4K_Encrypt_Auto, SegmentMode::cbc4k,
                  SegmentOptions::Engine::automatic)
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime();
BENCHMARK_CAPTURE(encrypt, CBC4K_Encrypt_Lanes128, SegmentMode::cbc4k,
                  SegmentOptions::Engine::lanes128)
    ->Arg(1)
    ->UseRealTime();
BENCHMARK_CAPTURE(encrypt, CBC4K_Encrypt_BackendPerSegment, SegmentMode::cbc4k,
                  SegmentOptions::Engine::backend)
    ->Arg(1)
    ->UseRealTime();
BENCHMARK_CAPTURE(decrypt, CBC4K_Decrypt_Auto, SegmentMode::cbc4k, SegmentOptions::Engine::lanes)
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime();
BENCHMARK_CAPTURE(decrypt, CBC4K_Decrypt_BackendPerSegment, SegmentMode::cbc4k,
                  SegmentOptions::Engine::backend)
    ->Arg(1)
    ->UseRealTime();
BENCHMARK_CAPTURE(encrypt, Agile_Encrypt_Auto, SegmentMode::agile,
                  SegmentOptions::Engine::automatic)
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime();
BENCHMARK_CAPTURE(decrypt, Agile_Decrypt_Auto, SegmentMode::agile,
                  SegmentOptions::Engine::automatic)
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime();

void evp_baseline(benchmark::State& st, const char* cipher, bool enc) {
  EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, cipher, nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  Bytes iv(16, 0), out(kSize + 16);
  for (auto _ : st) {
    int n = 0;
    EVP_CipherInit_ex(ctx, c, nullptr, key().data(), iv.data(), enc ? 1 : 0);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    EVP_CipherUpdate(ctx, out.data(), &n, plaintext().data(), static_cast<int>(kSize));
    benchmark::DoNotOptimize(out.data());
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * kSize));
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(c);
}
BENCHMARK_CAPTURE(evp_baseline, Baseline_AES256CBC_Encrypt, "AES-256-CBC", true)->UseRealTime();
BENCHMARK_CAPTURE(evp_baseline, Baseline_AES256CBC_Decrypt, "AES-256-CBC", false)->UseRealTime();
BENCHMARK_CAPTURE(evp_baseline, Limit_AES256CTR, "AES-256-CTR", true)->UseRealTime();

void spin(benchmark::State& st, BackendId id) {
  const Backend& be = backend(id);
  Bytes state(64, 7);
  for (auto _ : st) {
    be.hash_spin(HashAlg::sha512, state, 100000);
    benchmark::DoNotOptimize(state.data());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * 100000));
}
BENCHMARK_CAPTURE(spin, SHA512_Spin100k_OpenSSL, BackendId::openssl)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(spin, SHA512_Spin100k_Botan, BackendId::botan)->Unit(benchmark::kMillisecond);

// 100,000 independent one-block SHA-512 digests of 64 bytes: the raw compression-function cost
// (what `openssl speed -evp sha512 -bytes 64` reports per second).
void sha512_limit(benchmark::State& st) {
  const EVP_MD* md = EVP_sha512();
  std::uint8_t in[64] = {1}, out[64];
  for (auto _ : st) {
    for (int i = 0; i < 100000; ++i) {
      unsigned n = 0;
      EVP_Digest(in, 64, out, &n, md, nullptr);
      in[0] = out[0];
    }
    benchmark::DoNotOptimize(out);
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * 100000));
}
BENCHMARK(sha512_limit)->Name("Limit_SHA512_64B_x100k_EVPDigest")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
