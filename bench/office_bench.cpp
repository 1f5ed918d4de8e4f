// Office password encryption: end to end on a 100 MB package (in memory: compound-file writer,
// Agile segment cipher, dataIntegrity HMAC, EncryptionInfo), and the password KDF alone next to
// the physical limit of a SHA-512 chain (one compression function call per spin).
#include <benchmark/benchmark.h>
#include <openssl/sha.h>

#include <cstring>

#include "office_internal.hpp"
#include "openrms/formats/office/office_crypto.hpp"

using namespace openrms;
using namespace openrms::formats;

namespace {

constexpr std::size_t kSize = 100'000'000;

class NullSink final : public ByteSink {
 public:
  void write(ByteView d) override { n += d.size(); }
  std::uint64_t n = 0;
};

const Bytes& package() {
  static const Bytes p = [] {
    Bytes b = crypto::default_backend().random_bytes(kSize);
    b[0] = 'P';
    b[1] = 'K';
    b[2] = 3;
    b[3] = 4;
    return b;
  }();
  return p;
}

const Bytes& encrypted(office::Method m) {
  static Bytes agile, standard;
  Bytes& e = m == office::Method::agile ? agile : standard;
  if (e.empty()) {
    office::EncryptOptions o;
    o.method = m;
    MemorySink s(e);
    office::encrypt(MemorySource(package()), s, "benchmark", o);
  }
  return e;
}

void encrypt(benchmark::State& st, office::Method m) {
  office::EncryptOptions o;
  o.method = m;
  for (auto _ : st) {
    NullSink s;
    office::encrypt(MemorySource(package()), s, "benchmark", o);
    benchmark::DoNotOptimize(s.n);
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * kSize));
}

void decrypt(benchmark::State& st, office::Method m) {
  const Bytes& e = encrypted(m);
  for (auto _ : st) {
    NullSink s;
    office::decrypt(MemorySource(e), s, std::string_view("benchmark"));
    benchmark::DoNotOptimize(s.n);
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * kSize));
}

BENCHMARK_CAPTURE(encrypt, Office_Agile_Encrypt_100MB, office::Method::agile)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(decrypt, Office_Agile_Decrypt_100MB, office::Method::agile)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(encrypt, Office_Standard_Encrypt_100MB, office::Method::standard)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(decrypt, Office_Standard_Decrypt_100MB, office::Method::standard)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void kdf(benchmark::State& st, crypto::HashAlg h, std::uint32_t spins) {
  Bytes salt(16, 7);
  auto pw = office::password_utf16le("benchmark");
  for (auto _ : st) {
    auto hn = office::detail::spin_hash(crypto::default_backend(), h, salt, pw, spins);
    benchmark::DoNotOptimize(hn.data());
  }
}
BENCHMARK_CAPTURE(kdf, Office_KDF_Agile_SHA512_100k, crypto::HashAlg::sha512, 100000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kdf, Office_KDF_Standard_SHA1_50k, crypto::HashAlg::sha1, 50000)
    ->Unit(benchmark::kMillisecond);

// The limit: 100,000 calls of the bare SHA-512 compression function on one pre-padded block,
// which is all one spin (68 bytes: LE32(i) || H) can cost.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
void sha512_compress_limit(benchmark::State& st) {
  unsigned char block[128] = {};
  block[68] = 0x80;
  block[126] = (68 * 8) >> 8;  // message length in bits, big-endian
  block[127] = (68 * 8) & 0xFF;
  for (auto _ : st) {
    SHA512_CTX c;
    for (std::uint32_t i = 0; i < 100000; ++i) {
      SHA512_Init(&c);
      std::memcpy(block, &i, 4);
      SHA512_Transform(&c, block);
      for (int k = 0; k < 8; ++k) {  // feed the state back as the next H, as the KDF does
        std::uint64_t v = c.h[k];
        std::memcpy(block + 4 + 8 * k, &v, 8);
      }
    }
    benchmark::DoNotOptimize(block);
  }
}
#pragma GCC diagnostic pop
BENCHMARK(sha512_compress_limit)
    ->Name("Limit_SHA512_Compress_x100k")
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
