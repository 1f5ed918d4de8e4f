// Licensing hot paths beside the raw public-key operations they are built from.
//   Raw/Sign, Raw/Verify, Raw/Seal (ECIES or RSA-OAEP to a key) — the physical limits
//   UseLicense/Issue/warm  — acquire() with the content key, policy and RAC cached
//   UseLicense/Issue/cold  — caches cleared every time (PL verify + unseal + RAC verify)
//   RAC/Issue, UseLicense/Verify (parse + signature check), UseLicense/Evaluate (+ unseal)
// Arg 0 = ecdsa-p256, 1 = rsa-3072. Warm issuance = 1 signature + 1 sealing + store writes;
// compare it with Raw/Sign and Raw/Seal. The store is in-memory here (a file store adds the
// fsync of the tracking log on every issuance; see the file variant).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "bench_world.hpp"
#include "openrms/crypto/ecies.hpp"
#include "openrms/licensing/server.hpp"

using namespace openrms;
using namespace openrms::licensing;

namespace {

struct World {
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<LicenseServer> server;
  RacGrant alice, bob;
  Published pub;
  std::string ul;
  explicit World(Suite suite, const std::string& path = ":memory:") {
    store = std::make_unique<SqliteStore>(path, crypto::SecureBytes(32, 1));
    ServerOptions o;
    o.suite = suite;
    server = std::make_unique<LicenseServer>(*store, o);
    server->activate();
    bench::Scenario s(*server);
    alice = s.alice;
    bob = s.bob;
    pub = s.pub;
    ul = s.use_license;
  }
};

World& world(int suite) {
  static World ec(Suite::ecdsa_p256);
  static World rsa(Suite::rsa_3072);
  return suite == 0 ? ec : rsa;
}

const char* suite_name(int s) {
  return s == 0 ? "ecdsa-p256" : "rsa-3072";
}

void Raw_Sign(benchmark::State& st) {
  Suite s = st.range(0) == 0 ? Suite::ecdsa_p256 : Suite::rsa_3072;
  auto key = generate_key(s, crypto::default_backend());
  std::string msg(1500, 'x');
  for (auto _ : st)
    benchmark::DoNotOptimize(sign(s, key, crypto::as_bytes(msg), crypto::default_backend()));
  st.SetItemsProcessed(st.iterations());
  st.SetLabel(suite_name(static_cast<int>(st.range(0))));
}

void Raw_Verify(benchmark::State& st) {
  Suite s = st.range(0) == 0 ? Suite::ecdsa_p256 : Suite::rsa_3072;
  auto key = generate_key(s, crypto::default_backend());
  auto pub = key.public_key();
  std::string msg(1500, 'x');
  auto sig = sign(s, key, crypto::as_bytes(msg), crypto::default_backend());
  for (auto _ : st)
    benchmark::DoNotOptimize(verify(s, pub, crypto::as_bytes(msg), sig, crypto::default_backend()));
  st.SetItemsProcessed(st.iterations());
  st.SetLabel(suite_name(static_cast<int>(st.range(0))));
}

void Raw_Seal(benchmark::State& st) {
  Suite s = st.range(0) == 0 ? Suite::ecdsa_p256 : Suite::rsa_3072;
  auto pub = generate_key(s, crypto::default_backend()).public_key();
  crypto::Bytes secret(32, 1);
  for (auto _ : st)
    benchmark::DoNotOptimize(crypto::seal_to(crypto::default_backend(), pub, secret));
  st.SetItemsProcessed(st.iterations());
  st.SetLabel(suite_name(static_cast<int>(st.range(0))));
}

void UseLicense_Issue_warm(benchmark::State& st) {
  World& w = world(static_cast<int>(st.range(0)));
  for (auto _ : st)
    benchmark::DoNotOptimize(
        w.server->acquire({"bob@contoso.com"}, w.pub.license_xml, w.bob.rac_xml));
  st.SetItemsProcessed(st.iterations());
  st.SetLabel(suite_name(static_cast<int>(st.range(0))));
}

void UseLicense_Issue_cold(benchmark::State& st) {
  World& w = world(static_cast<int>(st.range(0)));
  for (auto _ : st) {
    w.server->clear_key_cache();
    benchmark::DoNotOptimize(
        w.server->acquire({"bob@contoso.com"}, w.pub.license_xml, w.bob.rac_xml));
  }
  st.SetItemsProcessed(st.iterations());
  st.SetLabel(suite_name(static_cast<int>(st.range(0))));
}

// A store on disk: every issuance's tracking row is durable (WAL, synchronous=FULL) before the
// license is returned. With several threads the rows that arrive together share one commit
// (group commit), which is how the service runs it.
World& file_world() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() /
             ("openrms-bench-store-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                  ("openrms-bench-store-" + std::to_string(::getpid())));
    });
    return d;
  }();
  static World w(Suite::ecdsa_p256, (dir / "s.db").string());
  return w;
}

void UseLicense_Issue_file_store(benchmark::State& st) {
  World& w = file_world();
  for (auto _ : st)
    benchmark::DoNotOptimize(
        w.server->acquire({"bob@contoso.com"}, w.pub.license_xml, w.bob.rac_xml));
  st.SetItemsProcessed(st.iterations());
}

void RAC_Issue(benchmark::State& st) {
  World& w = world(static_cast<int>(st.range(0)));
  auto key = w.bob.private_key.public_key();
  for (auto _ : st) benchmark::DoNotOptimize(w.server->enroll({"carol@contoso.com"}, &key));
  st.SetItemsProcessed(st.iterations());
  st.SetLabel(suite_name(static_cast<int>(st.range(0))));
}

void UseLicense_Verify(benchmark::State& st) {
  World& w = world(static_cast<int>(st.range(0)));
  for (auto _ : st) benchmark::DoNotOptimize(parse_use_license(w.ul, w.server->anchors()));
  st.SetItemsProcessed(st.iterations());
  st.SetLabel(suite_name(static_cast<int>(st.range(0))));
}

void UseLicense_Evaluate(benchmark::State& st) {
  World& w = world(static_cast<int>(st.range(0)));
  auto ul = parse_use_license(w.ul, w.server->anchors());
  for (auto _ : st)
    benchmark::DoNotOptimize(evaluate(ul, w.bob.rac, w.bob.private_key, system_clock()));
  st.SetItemsProcessed(st.iterations());
  st.SetLabel(suite_name(static_cast<int>(st.range(0))));
}

}  // namespace

BENCHMARK(Raw_Sign)->Arg(0)->Arg(1)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(Raw_Verify)->Arg(0)->Arg(1);
BENCHMARK(Raw_Seal)->Arg(0)->Arg(1);
BENCHMARK(UseLicense_Issue_warm)->Arg(0)->Arg(1)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(UseLicense_Issue_cold)->Arg(0)->Arg(1);
BENCHMARK(UseLicense_Issue_file_store)->Threads(1)->Threads(2)->Threads(16)->UseRealTime();
BENCHMARK(RAC_Issue)->Arg(0)->Arg(1);
BENCHMARK(UseLicense_Verify)->Arg(0)->Arg(1);
BENCHMARK(UseLicense_Evaluate)->Arg(0)->Arg(1);
BENCHMARK_MAIN();
