// PDF benchmarks: end-to-end encrypt/decrypt (R6 AES-256) of (a) a 60 MB file of 400
// incompressible image streams and (b) a file of 100,000 small objects; parsing alone; and the
// R6 password check (Algorithm 2.B) against the raw cost of its AES-CBC + SHA-2 work done
// directly with OpenSSL on preallocated buffers (the physical limit of the algorithm).
// Inputs are generated in memory; output goes to a counting sink (no disk I/O measured).
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>
#include <random>

#include "document.hpp"
#include "openrms/formats/pdf/pdf_crypto.hpp"
#include "security.hpp"

using namespace openrms;
using namespace openrms::formats;

namespace {

class CountingSink final : public ByteSink {
 public:
  void write(ByteView d) override { n += d.size(); }
  std::uint64_t n = 0;
};

struct Builder {
  std::string out = "%PDF-1.5\n%\xe2\xe3\xcf\xd3\n";
  std::vector<std::size_t> offs;
  void obj(std::size_t num, const std::string& body) {
    if (offs.size() <= num) offs.resize(num + 1, 0);
    offs[num] = out.size();
    out += std::to_string(num) + " 0 obj\n" + body + "\nendobj\n";
  }
  std::string finish() {
    std::size_t x = out.size();
    out += "xref\n0 " + std::to_string(offs.size()) + "\n";
    char line[32];
    for (std::size_t n = 0; n < offs.size(); ++n) {
      if (offs[n])
        std::snprintf(line, sizeof line, "%010zu 00000 n\r\n", offs[n]);
      else
        std::snprintf(line, sizeof line, "0000000000 %05d f\r\n", n == 0 ? 65535 : 0);
      out += line;
    }
    out += "trailer\n<</Size " + std::to_string(offs.size()) +
           " /Root 1 0 R /ID "
           "[<0123456789abcdef0123456789abcdef><0123456789abcdef0123456789abcdef>]>>\nstartxref\n" +
           std::to_string(x) + "\n%%EOF\n";
    return std::move(out);
  }
};

const std::string& images_pdf() {
  static const std::string pdf = [] {
    Builder b;
    std::mt19937_64 rng(1);
    std::string xobjs;
    for (int i = 0; i < 400; ++i) {
      std::string data(150 * 1024, '\0');
      for (std::size_t k = 0; k + 8 <= data.size(); k += 8) {
        std::uint64_t r = rng();
        std::memcpy(data.data() + k, &r, 8);
      }
      b.obj(10 + i,
            "<</Type /XObject /Subtype /Image /Width 221 /Height 221 /ColorSpace /DeviceRGB "
            "/BitsPerComponent 8 /Length " +
                std::to_string(data.size()) + ">>\nstream\n" + data + "\nendstream");
      xobjs += "/Im" + std::to_string(i) + " " + std::to_string(10 + i) + " 0 R ";
    }
    b.obj(1, "<</Type /Catalog /Pages 2 0 R>>");
    b.obj(2, "<</Type /Pages /Kids [3 0 R] /Count 1>>");
    b.obj(3, "<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources <</XObject <<" +
                 xobjs + ">>>>>>");
    return b.finish();
  }();
  return pdf;
}

const std::string& small_objects_pdf() {
  static const std::string pdf = [] {
    Builder b;
    std::string arr = "[";
    for (int i = 0; i < 100000; ++i) {
      b.obj(10 + i, "<</Kind /Entry /Index " + std::to_string(i) + " /Label (entry number " +
                        std::to_string(i) + ") /Value [" + std::to_string(i) + " 0.5 true]>>");
      arr += std::to_string(10 + i) + " 0 R ";
    }
    b.obj(4, arr + "]");
    b.obj(1, "<</Type /Catalog /Pages 2 0 R /Private 4 0 R>>");
    b.obj(2, "<</Type /Pages /Kids [3 0 R] /Count 1>>");
    b.obj(3, "<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]>>");
    return b.finish();
  }();
  return pdf;
}

MemorySource src_of(const std::string& s) {
  return MemorySource(ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

void encrypt_bench(benchmark::State& st, const std::string& (*input)(), int revision) {
  const std::string& in = input();
  MemorySource src = src_of(in);
  pdf::EncryptOptions o;
  o.revision = revision;
  o.owner_password = "owner";
  for (auto _ : st) {
    CountingSink sink;
    pdf::encrypt(src, sink, o);
    benchmark::DoNotOptimize(sink.n);
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * in.size()));
}

void decrypt_bench(benchmark::State& st, const std::string& (*input)(), int revision) {
  const std::string& in = input();
  MemorySource plain = src_of(in);
  pdf::EncryptOptions o;
  o.revision = revision;
  o.owner_password = "owner";
  Bytes enc;
  MemorySink es(enc);
  pdf::encrypt(plain, es, o);
  MemorySource src(enc);
  for (auto _ : st) {
    CountingSink sink;
    pdf::decrypt(src, sink, std::nullopt);
    benchmark::DoNotOptimize(sink.n);
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * enc.size()));
}

BENCHMARK_CAPTURE(encrypt_bench, PDF_Encrypt_R6_60MB_400Images, &images_pdf, 6)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(decrypt_bench, PDF_Decrypt_R6_60MB_400Images, &images_pdf, 6)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(encrypt_bench, PDF_Encrypt_R4_60MB_400Images, &images_pdf, 4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(encrypt_bench, PDF_Encrypt_R6_100k_Objects, &small_objects_pdf, 6)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(decrypt_bench, PDF_Decrypt_R6_100k_Objects, &small_objects_pdf, 6)
    ->Unit(benchmark::kMillisecond);

void parse_bench(benchmark::State& st) {
  const std::string& in = small_objects_pdf();
  MemorySource src = src_of(in);
  for (auto _ : st) {
    pdf::Document doc(src);
    std::size_t n = 0;
    for (std::uint32_t num : doc.object_numbers()) n += doc.load(num).value.as_dict() ? 1 : 0;
    benchmark::DoNotOptimize(n);
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * in.size()));
}
BENCHMARK(parse_bench)->Name("PDF_Parse_100k_Objects")->Unit(benchmark::kMillisecond);

// --- R6 password check vs its raw cost
// ------------------------------------------------------------
const std::uint8_t kSalt[8] = {0x53, 0xf5, 0x92, 0x65, 0xc6, 0xf7, 0x22, 0xc6};

void r6_hash(benchmark::State& st) {
  std::uint8_t out[32];
  for (auto _ : st) {
    pdf::pdf_hash_2b(crypto::default_backend(), 6, "user", ByteView(kSalt, 8), {}, out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(r6_hash)->Name("PDF_R6_Algorithm2B_user")->Unit(benchmark::kMicrosecond);

// The same rounds done with raw OpenSSL calls and no allocation: the floor for Algorithm 2.B.
void r6_raw_limit(benchmark::State& st) {
  const std::string pw = "user";
  std::vector<std::uint8_t> k1(64 * (pw.size() + 64)), e(k1.size());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  for (auto _ : st) {
    std::uint8_t k[64];
    SHA256_CTX s;
    SHA256_Init(&s);
    SHA256_Update(&s, pw.data(), pw.size());
    SHA256_Update(&s, kSalt, 8);
    SHA256_Final(k, &s);
    std::size_t klen = 32;
    for (int i = 0;; ++i) {
      const std::size_t one = pw.size() + klen, total = one * 64;
      std::memcpy(k1.data(), pw.data(), pw.size());
      std::memcpy(k1.data() + pw.size(), k, klen);
      for (int r = 1; r < 64; ++r) std::memcpy(k1.data() + r * one, k1.data(), one);
      int n = 0;
      EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), nullptr, k, k + 16);
      EVP_CIPHER_CTX_set_padding(ctx, 0);
      EVP_EncryptUpdate(ctx, e.data(), &n, k1.data(), static_cast<int>(total));
      unsigned sum = 0;
      for (int b = 0; b < 16; ++b) sum += e[b];
      if (sum % 3 == 0) {
        SHA256(e.data(), total, k);
        klen = 32;
      } else if (sum % 3 == 1) {
        SHA384(e.data(), total, k);
        klen = 48;
      } else {
        SHA512(e.data(), total, k);
        klen = 64;
      }
      if (i >= 63 && e[total - 1] <= static_cast<unsigned>(i + 1 - 32)) break;
    }
    benchmark::DoNotOptimize(k);
  }
  EVP_CIPHER_CTX_free(ctx);
}
BENCHMARK(r6_raw_limit)->Name("Limit_R6_Algorithm2B_raw_OpenSSL")->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
