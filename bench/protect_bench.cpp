// Rights-protected files and mail, end to end through the protect facade, beside the raw segment
// cipher they are built from (the physical limit of the bulk path):
//   Raw/CBC4K/encrypt|decrypt/<MiB>        SegmentCipher on a memory buffer, every core
//   Protect/<container>/<MiB>              Client::protect file -> file (publish + write + MAC)
//   Open/<container>/<MiB>                 Client::open + Document::read to a null sink (the MAC
//                                          pass first: nothing reaches a streaming sink unchecked)
//   Export/<container>/<MiB>               Client::open + Document::export_to a file (temp file
//                                          renamed on success, so the MAC overlaps decryption)
//   OpenCached/<container>                 Client::open with a cached use license (latency)
//   Mail/Protect, Mail/Open                messages per second, 1 MiB attachment, Do Not Forward
//   Raw_GCM/<threads>                      AES-256-GCM of the default backend on 1 MiB messages,
//                                          one context per thread: the limit of the stream below
//   Stream_Protect|Open/<threads>/<MiB>    pfile::write / pfile::decrypt with per-segment
//                                          integrity, memory to a null sink (container work only)
//   Stream_FirstByte                       4 GiB protected file on disk: open a Reader and read
//                                          its first verified byte
//   Stream_ReadAt64K                       the same file: 64 KiB at a random offset
// Containers: 0 = PFile, 1 = Office IRM, 2 = rights-managed PDF. Files live in $TMPDIR (default
// /tmp); use a tmpfs to take the disk out. The 2 GiB / 4 GiB runs and peak RSS are in
// bench/protect_memory.sh.
#include <benchmark/benchmark.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>

#include "openrms/crypto/parallel.hpp"
#include "openrms/crypto/segment_cipher.hpp"
#include "openrms/formats/io.hpp"
#include "openrms/formats/pfile/pfile.hpp"
#include "openrms/protect/mail.hpp"
#include "openrms/protect/protect.hpp"

using namespace openrms;
using namespace openrms::protect;
namespace fs = std::filesystem;

namespace {

struct World {
  std::unique_ptr<licensing::SqliteStore> store;
  std::unique_ptr<licensing::LicenseServer> server;
  std::unique_ptr<LocalLicenseSource> source;
  MemoryUseLicenseCache cache;
  std::unique_ptr<Client> alice, bob;
  fs::path dir;
  World() {
    store = std::make_unique<licensing::SqliteStore>(":memory:", crypto::SecureBytes(32, 1));
    server = std::make_unique<licensing::LicenseServer>(*store, licensing::ServerOptions{});
    server->activate();
    source = std::make_unique<LocalLicenseSource>(*server);
    auto a = server->enroll({"alice@contoso.com"});
    auto b = server->enroll({"bob@contoso.com"});
    ClientOptions o;
    o.durable = false;
    alice =
        std::make_unique<Client>(*source, User{{"alice@contoso.com"}, a.rac_xml, a.private_key}, o);
    o.cache = &cache;
    bob = std::make_unique<Client>(*source, User{{"bob@contoso.com"}, b.rac_xml, b.private_key}, o);
    const char* tmp = std::getenv("TMPDIR");
    dir = fs::path(tmp ? tmp : "/tmp") / ("openrms-protect-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir);
  }
  ~World() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  Protection protection() const {
    licensing::Policy p;
    p.grants.push_back(licensing::parse_grant("bob@contoso.com:Editor"));
    return Protection::with_policy(p);
  }
};

World& world() {
  static World w;
  return w;
}

crypto::Bytes random_bytes(std::size_t n, unsigned seed) {
  crypto::Bytes b(n);
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::uint64_t v = rng();
    std::memcpy(b.data() + i, &v, 8);
  }
  return b;
}

// An input of the kind container `c` takes: a ZIP-signed blob (IRM), a PDF with one big stream,
// or random bytes.
fs::path input_for(int c, std::size_t mib) {
  World& w = world();
  const char* ext = c == 0 ? ".bin" : c == 1 ? ".docx" : ".pdf";
  fs::path p = w.dir / ("in-" + std::to_string(mib) + ext);
  if (fs::exists(p)) return p;
  crypto::Bytes body = random_bytes(mib << 20, static_cast<unsigned>(mib));
  crypto::Bytes data;
  if (c == 1) {
    data = {'P', 'K', 3, 4};
    data.insert(data.end(), body.begin(), body.end());
  } else if (c == 2) {
    std::string head =
        "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages "
        "/Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 "
        "612 792] /Contents 4 0 R >>\nendobj\n4 0 obj\n<< /Length " +
        std::to_string(body.size()) + " >>\nstream\n";
    data.assign(head.begin(), head.end());
    std::size_t off4 = head.rfind("4 0 obj");
    data.insert(data.end(), body.begin(), body.end());
    std::string tail = "\nendstream\nendobj\n";
    std::size_t xref = data.size() + tail.size();
    std::size_t o1 = head.find("1 0 obj"), o2 = head.find("2 0 obj"), o3 = head.find("3 0 obj");
    char line[32];
    std::string x = "xref\n0 5\n0000000000 65535 f \n";
    for (std::size_t o : {o1, o2, o3, off4}) {
      std::snprintf(line, sizeof line, "%010zu 00000 n \n", o);
      x += line;
    }
    tail +=
        x + "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
    data.insert(data.end(), tail.begin(), tail.end());
  } else {
    data = std::move(body);
  }
  formats::write_file(p, data, false);
  return p;
}

const char* container_name(int c) {
  return c == 0 ? "pfile" : c == 1 ? "office-irm" : "pdf";
}

void Raw_CBC4K(benchmark::State& st) {
  auto key = random_bytes(32, 9);
  auto sc = crypto::SegmentCipher::cbc4k(key);
  std::size_t n = static_cast<std::size_t>(st.range(1)) << 20;
  auto buf = random_bytes(n, 2);
  for (auto _ : st) {
    if (st.range(0) == 0)
      sc.encrypt_segments(0, buf, buf);
    else
      sc.decrypt_segments(0, buf, buf);
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(n));
  st.SetLabel(st.range(0) == 0 ? "encrypt" : "decrypt");
}

// The input of container `c`, `mib` MiB, protected once (by alice, for bob) and reused.
fs::path protected_input(World& w, int c, std::size_t mib) {
  fs::path prot = w.dir / ("prot-" + std::to_string(c) + "-" + std::to_string(mib));
  if (!fs::exists(prot)) w.alice->protect(input_for(c, mib), prot, w.protection());
  return prot;
}

void report(benchmark::State& st, int c, std::size_t mib) {
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) *
                       static_cast<std::int64_t>(mib << 20));
  st.SetLabel(container_name(c));
}

void Protect(benchmark::State& st) {
  World& w = world();
  int c = static_cast<int>(st.range(0));
  std::size_t mib = static_cast<std::size_t>(st.range(1));
  fs::path in = input_for(c, mib);
  fs::path out = w.dir / ("out-" + std::to_string(c) + "-" + std::to_string(mib));
  auto prot = w.protection();
  for (auto _ : st) benchmark::DoNotOptimize(w.alice->protect(in, out, prot, false, true));
  report(st, c, mib);
}

void Open(benchmark::State& st) {
  World& w = world();
  int c = static_cast<int>(st.range(0));
  std::size_t mib = static_cast<std::size_t>(st.range(1));
  fs::path prot = protected_input(w, c, mib);
  struct Null final : formats::ByteSink {
    void write(crypto::ByteView) override {}
  } sink;
  for (auto _ : st) {
    auto d = w.bob->open(prot);
    benchmark::DoNotOptimize(d.read(sink));
  }
  report(st, c, mib);
}

void Export(benchmark::State& st) {
  World& w = world();
  int c = static_cast<int>(st.range(0));
  std::size_t mib = static_cast<std::size_t>(st.range(1));
  fs::path prot = protected_input(w, c, mib);
  fs::path out = w.dir / ("exported-" + std::to_string(c));
  for (auto _ : st) {
    fs::remove(out);
    auto d = w.alice->open(prot);
    benchmark::DoNotOptimize(d.export_to(out));
  }
  fs::remove(out);
  report(st, c, mib);
}

void OpenCached(benchmark::State& st) {
  World& w = world();
  int c = static_cast<int>(st.range(0));
  fs::path prot = w.dir / ("cached-" + std::to_string(c));
  // Replaced when a repetition protects it again (--benchmark_repetitions).
  w.alice->protect(input_for(c, 1), prot, w.protection(), false, /*overwrite=*/true);
  (void)w.bob->open(prot);  // acquires and caches
  for (auto _ : st) {
    auto d = w.bob->open(prot);
    if (!d.from_cache()) st.SkipWithError("not served from the cache");
    benchmark::DoNotOptimize(d.decision().rights);
  }
  st.SetLabel(container_name(c));
}

crypto::Bytes mail_with_attachment() {
  std::string att = crypto::to_base64(random_bytes(1 << 20, 5)), wrapped;
  for (std::size_t i = 0; i < att.size(); i += 76) wrapped += att.substr(i, 76) + "\r\n";
  std::string m =
      "From: alice@contoso.com\r\nTo: bob@contoso.com\r\nSubject: numbers\r\nMIME-Version: "
      "1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: "
      "text/plain\r\n\r\nattached\r\n--b\r\nContent-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment; filename=data.bin\r\nContent-Transfer-Encoding: "
      "base64\r\n\r\n" +
      wrapped + "--b--\r\n";
  return crypto::Bytes(m.begin(), m.end());
}

void Mail_Protect(benchmark::State& st) {
  World& w = world();
  auto eml = mail_with_attachment();
  mail::MailClient mc(*w.alice, {});
  for (auto _ : st)
    benchmark::DoNotOptimize(mc.protect(eml, mail::MessageProtection::do_not_forward()));
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * eml.size()));
}

void Mail_Open(benchmark::State& st) {
  World& w = world();
  auto eml = mail_with_attachment();
  auto prot =
      mail::MailClient(*w.alice, {}).protect(eml, mail::MessageProtection::do_not_forward());
  mail::MailClient mc(*w.bob, {});
  for (auto _ : st) benchmark::DoNotOptimize(mc.open(prot.message));
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * eml.size()));
}

struct NullSink final : formats::ByteSink {
  void write(crypto::ByteView) override {}
};

// 1 MiB messages over a buffer of <MiB> per thread: 1 stays in the core's cache (what
// `openssl speed` measures), 1024 streams from memory as a file's content does.
void Raw_GCM(benchmark::State& st) {
  const unsigned threads = static_cast<unsigned>(st.range(0));
  const std::size_t mib = static_cast<std::size_t>(st.range(1));
  const auto key = random_bytes(32, 9);
  std::vector<crypto::Bytes> bufs(threads, random_bytes(mib << 20, 3));
  std::vector<std::unique_ptr<crypto::AesGcm>> gcm;
  for (unsigned t = 0; t < threads; ++t) gcm.push_back(crypto::default_backend().aes_gcm(key));
  std::uint8_t nonce[12] = {}, tag[16];
  const std::size_t rounds = std::max<std::size_t>(1, 64 / mib);
  for (auto _ : st) {
    crypto::parallel_for(
        threads,
        [&](std::size_t t) {
          for (std::size_t r = 0; r < rounds; ++r)
            for (std::size_t i = 0; i < mib; ++i) {
              auto m = crypto::MutableByteView(bufs[t]).subspan(i << 20, 1 << 20);
              gcm[t]->seal(nonce, {}, m, m, tag);
            }
        },
        threads);
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * threads * rounds * (mib << 20)));
}

const crypto::Bytes& stream_plaintext(std::size_t mib) {
  static std::map<std::size_t, crypto::Bytes> cache;
  auto& b = cache[mib];
  if (b.empty()) b = random_bytes(mib << 20, 4);
  return b;
}

crypto::Bytes stream_protected(std::size_t mib) {
  crypto::Bytes out;
  out.reserve((mib << 20) + (mib << 6) + 4096);
  formats::MemorySink sink(out);
  formats::pfile::write(formats::MemorySource(stream_plaintext(mib)), sink, "license",
                        random_bytes(32, 5));
  return out;
}

void Stream_Protect(benchmark::State& st) {
  const std::size_t mib = static_cast<std::size_t>(st.range(1));
  const auto& plain = stream_plaintext(mib);
  formats::pfile::WriteOptions o;
  o.segments.threads = static_cast<unsigned>(st.range(0));
  const auto key = random_bytes(32, 5);
  NullSink sink;
  for (auto _ : st) formats::pfile::write(formats::MemorySource(plain), sink, "license", key, o);
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) *
                       static_cast<std::int64_t>(mib << 20));
}

void Stream_Open(benchmark::State& st) {
  const std::size_t mib = static_cast<std::size_t>(st.range(1));
  static std::map<std::size_t, crypto::Bytes> cache;
  auto& file = cache[mib];
  if (file.empty()) file = stream_protected(mib);
  formats::pfile::ReadOptions o;
  o.segments.threads = static_cast<unsigned>(st.range(0));
  const auto key = random_bytes(32, 5);
  NullSink sink;
  for (auto _ : st) formats::pfile::decrypt(formats::MemorySource(file), sink, key, o);
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) *
                       static_cast<std::int64_t>(mib << 20));
}

// A 4 GiB protected file on disk, written once from a generated source (no 4 GiB in memory).
const fs::path& big_stream_file() {
  static fs::path p = [] {
    fs::path f = world().dir / "big-4g.pfile";
    struct Gen final : formats::ByteSource {
      std::uint64_t size() const noexcept override { return 4ull << 30; }
      void read_at(std::uint64_t off, crypto::MutableByteView out) const override {
        for (std::size_t i = 0; i < out.size(); ++i)
          out[i] = static_cast<std::uint8_t>((off + i) * 2654435761u >> 13);
      }
    } gen;
    formats::AtomicFileSink sink(f, false);
    formats::pfile::write(gen, sink, "license", random_bytes(32, 5));
    sink.commit();
    return f;
  }();
  return p;
}

void Stream_FirstByte(benchmark::State& st) {
  const fs::path& f = big_stream_file();
  const auto key = random_bytes(32, 5);
  for (auto _ : st) {
    formats::FileSource src(f);
    formats::pfile::Reader r(src, key);
    std::uint8_t b;
    benchmark::DoNotOptimize(r.read_at(0, crypto::MutableByteView(&b, 1)));
  }
}

void Stream_ReadAt64K(benchmark::State& st) {
  const fs::path& f = big_stream_file();
  const auto key = random_bytes(32, 5);
  formats::FileSource src(f);
  formats::pfile::Reader r(src, key);
  crypto::Bytes buf(64 << 10);
  std::mt19937_64 rng(1);
  for (auto _ : st) benchmark::DoNotOptimize(r.read_at(rng() % (r.size() - buf.size()), buf));
}

}  // namespace

BENCHMARK(Raw_GCM)->ArgsProduct({{1, 2}, {1, 1024}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(Stream_Protect)
    ->ArgsProduct({{1, 2}, {1024}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(Stream_Open)->ArgsProduct({{1, 2}, {1024}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(Stream_FirstByte)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(Stream_ReadAt64K)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(Raw_CBC4K)->ArgsProduct({{0, 1}, {1, 100}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(Protect)
    ->ArgsProduct({{0, 1, 2}, {1, 100}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(Open)->ArgsProduct({{0, 1, 2}, {1, 100}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(Export)->ArgsProduct({{0, 1, 2}, {100}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(OpenCached)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK(Mail_Protect)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(Mail_Open)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
