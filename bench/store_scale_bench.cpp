// The licensing store at scale (issue 20), in one process, beside each other:
//   Issue/<store>/empty      use-license issuance (acquire) on a store with no tracking rows
//   Issue/<store>/<N> rows   the same after N tracking rows (one per use license issued before,
//                            100 per content id) were bulk-inserted with SQL
//   Track/<store>/100000/…   the tracking log of one content id that has 100,000 entries, whole:
//     bare     the rows as one SELECT run on the database directly, every column read (the
//              parties the rows name are a second, small query): the floor on SQLite
//     libpq-text, libpq-binary   PostgreSQL: the same SELECT through libpq alone (results as
//              text or binary): a result that arrives whole
//     copy-binary   PostgreSQL: the store's COPY of the rows through libpq alone, every column
//              read, no parties: the floor under the store's read
//     read     LicenseServer::visit_track (the store's read, each row viewed, nothing copied)
//     read-cold, answer-cold   PostgreSQL: the store's read, and the service's answer, on a
//              node that has not seen the log's parties yet (a new PostgresStore per run, one
//              connection open)
//     copied   LicenseServer::track (every entry copied into a vector)
//     answer   what the service sends for GET /v1/track/{id}: server::Api, store read and JSON
//              body, in process
//   Track/<store>/100000/page/<at>   one page of 1,000 of them (?after=SEQ&limit=1000), at the
//                            start and in the middle
//   Issue/keys-in-memory, Issue/keys-in-pkcs11   issuance with the server's keys in memory, or
//                            in a PKCS#11 token (SoftHSM2): the token signs and unseals
// Stores: an SQLite file (WAL, synchronous=FULL) and, when $OPENRMS_TEST_PG_URI is set
// (tests/licensing/with_postgres.sh), PostgreSQL. The token runs when $OPENRMS_TEST_P11_MODULE is
// set (tests/crypto/with_softhsm.sh). Run by bench/store_scale.sh.
//   $OPENRMS_BENCH_ROWS   tracking rows inserted before the second issuance run (10,000,000)
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <pqxx/pqxx>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "bench_world.hpp"
#include "copy_rows.hpp"
#include "openrms/licensing/key_custody.hpp"
#include "openrms/licensing/postgres_store.hpp"
#include "openrms/licensing/server.hpp"
#include "openrms/server/api.hpp"

using namespace openrms;
using namespace openrms::licensing;
namespace fs = std::filesystem;

namespace {

long long rows_wanted() {
  const char* v = std::getenv("OPENRMS_BENCH_ROWS");
  return v && *v ? std::atoll(v) : 10'000'000;
}

// One store with a server, two users and one published license for bob.
struct World {
  std::string kind;
  std::unique_ptr<Store> store;
  std::unique_ptr<Pkcs11Custody> custody;
  std::unique_ptr<LicenseServer> server;
  RacGrant alice, bob;
  Published pub;
  Published tracked;                                 // content whose log only the bulk insert fills
  std::function<void(const std::string& sql)> exec;  // raw SQL on the store's database
  // The store's tracking query run directly on the database, every column of every row read
  // (integers as integers, text as text): the floor under the store's own read.
  std::function<std::size_t(const std::string& content_id)> bare_track;
  // More floors, by name (PostgreSQL: libpq without libpqxx, JIT left on).
  std::map<std::string, std::function<std::size_t(const std::string& content_id)>> floors;
  // Another store on the same database, as a node that has just started (PostgreSQL only).
  std::function<std::unique_ptr<Store>()> fresh_store;

  void start(const ServerOptions& o, const CustodyKeys* held = nullptr) {
    server = std::make_unique<LicenseServer>(*store, o);
    if (held)
      server->activate(*held);
    else
      server->activate();
    bench::Scenario s(*server);
    alice = s.alice;
    bob = s.bob;
    pub = s.pub;
    PublishRequest r;
    r.policy = Policy{};
    r.policy->grants.push_back(parse_grant("bob@contoso.com:Viewer"));
    tracked = server->publish({"alice@contoso.com"}, r, alice.rac_xml);
  }
  void issue() { server->acquire({"bob@contoso.com"}, pub.license_xml, bob.rac_xml); }
};

fs::path scratch() {
  static const fs::path dir = [] {
    auto d = fs::temp_directory_path() / ("openrms-store-scale-" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::atexit([] {
      fs::remove_all(fs::temp_directory_path() /
                     ("openrms-store-scale-" + std::to_string(::getpid())));
    });
    return d;
  }();
  return dir;
}

std::unique_ptr<World> sqlite_world() {
  auto w = std::make_unique<World>();
  w->kind = "sqlite";
  const std::string path = (scratch() / "store.db").string();
  w->store = std::make_unique<SqliteStore>(path, crypto::SecureBytes(32, 1));
  w->exec = [path](const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_busy_timeout(db, 60000);
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::fprintf(stderr, "sqlite: %s\n", err ? err : "?");
      std::exit(2);
    }
    sqlite3_close(db);
  };
  w->bare_track = [path, db = std::shared_ptr<sqlite3>()](const std::string& id) mutable {
    if (!db) {
      sqlite3* raw = nullptr;
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
      db.reset(raw, sqlite3_close);
      sqlite3_exec(raw, "PRAGMA mmap_size=268435456", nullptr, nullptr, nullptr);  // as the store
    }
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db.get(),
                       "SELECT seq, time, party, license_id FROM tracking WHERE content = "
                       "(SELECT id FROM tracking_content WHERE content_id=?) AND seq>0 "
                       "ORDER BY seq",
                       -1, &st, nullptr);
    sqlite3_bind_text(st, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
    std::size_t rows = 0, sum = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int i = 0; i < 3; ++i) sum += static_cast<std::size_t>(sqlite3_column_int64(st, i));
      benchmark::DoNotOptimize(sqlite3_column_text(st, 3));
      sum += static_cast<std::size_t>(sqlite3_column_bytes(st, 3));
      ++rows;
    }
    sqlite3_finalize(st);
    benchmark::DoNotOptimize(sum);
    return rows;
  };
  w->start({});
  return w;
}

std::unique_ptr<World> postgres_world(const std::string& uri) {
  auto w = std::make_unique<World>();
  w->kind = "postgresql";
  w->store = std::make_unique<PostgresStore>(uri, crypto::SecureBytes(32, 1));
  w->exec = [uri](const std::string& sql) {
    pqxx::connection c(uri);
    pqxx::nontransaction n(c);
    n.exec(sql);
  };
  w->bare_track = [uri, c = std::shared_ptr<pqxx::connection>()](const std::string& id) mutable {
    if (!c) {
      c = std::make_shared<pqxx::connection>(uri);
      c->set_variable("jit", "off");  // as the store's connections
    }
    pqxx::nontransaction n(*c);
    const pqxx::result r = n.exec_params(
        "SELECT seq, time, party, license_id FROM tracking WHERE content = "
        "(SELECT id FROM tracking_content WHERE content_id = $1) AND seq > 0 ORDER BY seq",
        id);
    std::size_t sum = 0;
    for (const auto& row : r) {
      for (int i = 0; i < 3; ++i) sum += static_cast<std::size_t>(row[i].as<long long>());
      sum += row[3].size() + static_cast<unsigned char>(*row[3].c_str());
    }
    benchmark::DoNotOptimize(sum);
    return r.size();
  };
  // A libpq connection of its own, made on first use, JIT off as the store's.
  auto libpq = [uri](std::shared_ptr<PGconn>& c) {
    if (c) return false;
    c.reset(PQconnectdb((uri + "&options=-c%20jit%3Doff").c_str()), PQfinish);
    if (PQstatus(c.get()) != CONNECTION_OK) std::exit(2);
    return true;
  };
  // The same rows through libpq alone, results as text or binary: libpqxx's share of the read.
  constexpr const char* kRows =
      "SELECT seq, time, party, license_id FROM tracking WHERE content = "
      "(SELECT id FROM tracking_content WHERE content_id = $1) AND seq > 0 ORDER BY seq "
      "LIMIT NULLIF($2::BIGINT, 0)";
  for (const int format : {0, 1})
    w->floors[format ? "libpq-binary" : "libpq-text"] =
        [libpq, format, c = std::shared_ptr<PGconn>()](const std::string& id) mutable {
          if (libpq(c)) PQclear(PQprepare(c.get(), "rows", kRows, 0, nullptr));
          const char* params[2] = {id.c_str(), "0"};
          PGresult* r = PQexecPrepared(c.get(), "rows", 2, params, nullptr, nullptr, format);
          if (PQresultStatus(r) != PGRES_TUPLES_OK) std::exit(2);
          const int n = PQntuples(r);
          std::size_t sum = 0;
          for (int i = 0; i < n; ++i)
            for (int f = 0; f < 4; ++f)
              sum += static_cast<std::size_t>(PQgetlength(r, i, f)) +
                     static_cast<unsigned char>(*PQgetvalue(r, i, f));
          benchmark::DoNotOptimize(sum);
          PQclear(r);
          return static_cast<std::size_t>(n);
        };
  // The store's own COPY (licensing/src/copy_rows.hpp), through libpq alone.
  w->floors["copy-binary"] = [libpq, c = std::shared_ptr<PGconn>()](const std::string& id) mutable {
    libpq(c);
    const std::string sql =
        "COPY (SELECT seq, time, party, license_id FROM tracking WHERE content = (SELECT id FROM "
        "tracking_content WHERE content_id = '" +
        id + "') AND seq > 0 ORDER BY seq) TO STDOUT (FORMAT binary)";
    PGresult* r = PQexec(c.get(), sql.c_str());
    if (PQresultStatus(r) != PGRES_COPY_OUT) std::exit(2);
    PQclear(r);
    openrms::licensing::detail::CopyRowReader reader;
    std::size_t rows = 0, sum = 0;
    char* b = nullptr;
    for (int n; (n = PQgetCopyData(c.get(), &b, 0)) > 0; PQfreemem(b))
      reader.message(std::span<const char>(b, static_cast<std::size_t>(n)),
                     [&](const openrms::licensing::detail::CopyRow& row) {
                       sum += static_cast<std::size_t>(row.seq + row.time + row.party) +
                              row.license_id.size();
                       ++rows;
                     });
    while ((r = PQgetResult(c.get()))) PQclear(r);
    benchmark::DoNotOptimize(sum);
    return rows;
  };
  w->fresh_store = [uri] {
    auto s = std::make_unique<PostgresStore>(uri, crypto::SecureBytes(32, 1));
    s->setting("warm");  // the pool's first connection, as a running node has it
    return std::unique_ptr<Store>(std::move(s));
  };
  w->start({});
  return w;
}

// SQL that appends `n` granted entries to the log in the store's layout, 5,000 users taking
// turns: entry i belongs to the content id `content_of_i` (an SQL expression of i), and
// `contents` (a SELECT) lists those content ids.
std::string fill_sql(const std::string& kind, long long n, const std::string& content_of_i,
                     const std::string& contents) {
  const std::string rows = std::to_string(n);
  const std::string party =
      "'user' || (i % 5000) || '@contoso.com' AND rights = 'VIEW' AND issuer = "
      "'alice@contoso.com' AND owner = 'alice@contoso.com' AND outcome = 'granted'";
  if (kind == "sqlite")
    return "INSERT OR IGNORE INTO tracking_party (user, rights, issuer, owner, outcome) "
           "WITH RECURSIVE u(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM u WHERE k < 4999) "
           "SELECT 'user' || k || '@contoso.com', 'VIEW', 'alice@contoso.com', "
           "'alice@contoso.com', 'granted' FROM u;"
           "INSERT OR IGNORE INTO tracking_content (content_id) " +
           contents +
           ";"
           "INSERT INTO tracking (content, seq, time, party, license_id) "
           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
           rows + ") SELECT (SELECT id FROM tracking_content WHERE content_id = " + content_of_i +
           "), (SELECT last FROM tracking_seq) + i, 1764000000 + i, "
           "(SELECT id FROM tracking_party WHERE user = " +
           party +
           "), printf('%032x', i) FROM n;"
           "UPDATE tracking_seq SET last = last + " +
           rows + ";";
  return "INSERT INTO tracking_party (user_email, rights, issuer, owner, outcome) "
         "SELECT 'user' || k || '@contoso.com', 'VIEW', 'alice@contoso.com', "
         "'alice@contoso.com', 'granted' FROM generate_series(0, 4999) AS k "
         "ON CONFLICT DO NOTHING;"
         "INSERT INTO tracking_content (content_id) " +
         contents +
         " ON CONFLICT DO NOTHING;"
         "INSERT INTO tracking (content, time, party, license_id) "
         "SELECT c.id, 1764000000 + i, p.id, lpad(to_hex(i), 32, '0') "
         "FROM generate_series(1, " +
         rows + ") AS i JOIN tracking_content c ON c.content_id = " + content_of_i +
         " JOIN tracking_party p ON p.user_email = " + party + " ORDER BY i;";
}

// `n` granted rows, 100 per content id, none for the benchmark's own content.
std::string bulk_rows_sql(const std::string& kind, long long n) {
  const std::string last = std::to_string(n / 100);
  return fill_sql(kind, n, "'bulk-' || (i / 100)",
                  kind == "sqlite"
                      ? "WITH RECURSIVE c(k) AS (SELECT 0 UNION ALL SELECT k + 1 "
                        "FROM c WHERE k < " +
                            last + ") SELECT 'bulk-' || k FROM c"
                      : "SELECT 'bulk-' || k FROM generate_series(0, " + last + ") AS k");
}

// `n` rows for one content id.
std::string one_content_sql(const std::string& kind, const std::string& cid, long long n) {
  return fill_sql(kind, n, "'" + cid + "'", "SELECT '" + cid + "'");
}

void timed(const std::string& what, const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "%s: %.1f s\n", what.c_str(), s);
}

void register_store(World* w) {
  const std::string k = w->kind;
  auto issue = [w](benchmark::State& st) {
    for (auto _ : st) w->issue();
    st.SetItemsProcessed(st.iterations());
  };
  benchmark::RegisterBenchmark(("Issue/" + k + "/empty").c_str(), issue)
      ->Threads(1)
      ->Threads(16)
      ->UseRealTime();
  const long long rows = rows_wanted();
  static std::map<std::string, std::once_flag> filled;
  auto full = [w, rows, issue](benchmark::State& st) {
    std::call_once(filled[w->kind], [&] {
      timed("bulk insert of " + std::to_string(rows) + " tracking rows into " + w->kind,
            [&] { w->exec(bulk_rows_sql(w->kind, rows)); });
      if (w->kind == "postgresql") w->exec("ANALYZE");
    });
    issue(st);
  };
  benchmark::RegisterBenchmark(("Issue/" + k + "/" + std::to_string(rows) + " rows").c_str(), full)
      ->Threads(1)
      ->Threads(16)
      ->UseRealTime();
  static std::map<std::string, std::once_flag> tracked;
  auto fill = [w] {
    std::call_once(tracked[w->kind], [&] {
      w->exec(one_content_sql(w->kind, w->tracked.content_id, 100000));
      if (w->kind == "postgresql") w->exec("ANALYZE");
    });
  };
  const Identity alice{"alice@contoso.com"};
  benchmark::RegisterBenchmark(("Track/" + k + "/100000/bare").c_str(), [w, fill](
                                                                            benchmark::State& st) {
    fill();
    std::size_t n = 0;
    for (auto _ : st) n = w->bare_track(w->tracked.content_id);
    st.counters["entries"] = static_cast<double>(n);
  })->Unit(benchmark::kMillisecond);
  for (const auto& [name, floor] : w->floors)
    benchmark::RegisterBenchmark(("Track/" + k + "/100000/" + name).c_str(),
                                 [fill, w, f = floor](benchmark::State& st) {
                                   fill();
                                   std::size_t n = 0;
                                   for (auto _ : st) n = f(w->tracked.content_id);
                                   st.counters["entries"] = static_cast<double>(n);
                                 })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  benchmark::RegisterBenchmark(("Track/" + k + "/100000/read").c_str(), [w, fill, alice](
                                                                            benchmark::State& st) {
    fill();
    std::size_t n = 0;
    for (auto _ : st) {
      n = 0;
      w->server->visit_track(alice, w->tracked.content_id, 0, 0, [&n](const TrackingRow& r) {
        benchmark::DoNotOptimize(r.user.data());
        ++n;
      });
    }
    st.counters["entries"] = static_cast<double>(n);
  })->Unit(benchmark::kMillisecond);
  if (w->fresh_store)
    benchmark::RegisterBenchmark(("Track/" + k + "/100000/read-cold").c_str(),
                                 [w, fill](benchmark::State& st) {
                                   fill();
                                   std::size_t n = 0;
                                   for (auto _ : st) {
                                     st.PauseTiming();
                                     auto store = w->fresh_store();
                                     st.ResumeTiming();
                                     n = 0;
                                     store->visit_tracking(
                                         w->tracked.content_id, 0, 0, [&n](const TrackingRow& r) {
                                           benchmark::DoNotOptimize(r.user.data());
                                           ++n;
                                         });
                                     st.PauseTiming();
                                     store.reset();
                                     st.ResumeTiming();
                                   }
                                   st.counters["entries"] = static_cast<double>(n);
                                 })
        ->Unit(benchmark::kMillisecond);
  if (w->fresh_store)
    benchmark::RegisterBenchmark(
        ("Track/" + k + "/100000/answer-cold").c_str(),
        [w, fill](benchmark::State& st) {
          fill();
          const server::Request req{"GET", "/v1/track/" + w->tracked.content_id, ""};
          server::Caller caller;
          caller.email = "alice@contoso.com";
          for (auto _ : st) {
            st.PauseTiming();
            auto store = w->fresh_store();
            auto node = std::make_unique<LicenseServer>(*store, ServerOptions{});
            node->activate();
            server::Api api(*node);
            st.ResumeTiming();
            if (api.handle(req, caller).status != 200) {
              st.SkipWithError("not 200");
              break;
            }
            st.PauseTiming();
            node.reset();
            store.reset();
            st.ResumeTiming();
          }
        })
        ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("Track/" + k + "/100000/copied").c_str(),
                               [w, fill, alice](benchmark::State& st) {
                                 fill();
                                 std::size_t n = 0;
                                 for (auto _ : st)
                                   n = w->server->track(alice, w->tracked.content_id).size();
                                 st.counters["entries"] = static_cast<double>(n);
                               })
      ->Unit(benchmark::kMillisecond);
  // What the service sends for GET /v1/track/{id}: the store read and the JSON body, in
  // process (no TLS or socket: those scale with bytes, not entries).
  benchmark::RegisterBenchmark(
      ("Track/" + k + "/100000/answer").c_str(),
      [w, fill](benchmark::State& st) {
        fill();
        server::Api api(*w->server);
        const server::Request req{"GET", "/v1/track/" + w->tracked.content_id, ""};
        server::Caller caller;
        caller.email = "alice@contoso.com";
        std::size_t bytes = 0;
        for (auto _ : st) {
          auto r = api.handle(req, caller);
          if (r.status != 200) {
            st.SkipWithError(("status " + std::to_string(r.status)).c_str());
            break;
          }
          bytes = r.body.size();
        }
        st.counters["body_bytes"] = static_cast<double>(bytes);
      })
      ->Unit(benchmark::kMillisecond);
  for (std::size_t at : {std::size_t{0}, std::size_t{50000}})
    benchmark::RegisterBenchmark(
        ("Track/" + k + "/100000/page/" + std::to_string(at)).c_str(),
        [w, fill, alice, at](benchmark::State& st) {
          fill();
          const std::int64_t after =
              at == 0 ? 0 : w->server->track(alice, w->tracked.content_id, 0, at).back().seq;
          std::size_t n = 0;
          for (auto _ : st) n = w->server->track(alice, w->tracked.content_id, after, 1000).size();
          st.counters["entries"] = static_cast<double>(n);
        })
        ->Unit(benchmark::kMillisecond);
}

std::unique_ptr<World> keys_world(const crypto::Pkcs11Config* token) {
  auto w = std::make_unique<World>();
  w->kind = token ? "keys-in-pkcs11" : "keys-in-memory";
  w->store = std::make_unique<SqliteStore>(":memory:", crypto::SecureBytes(32, 1));
  ServerOptions o;
  CustodyKeys held{"sign-1", "seal-1"};
  if (token) {
    w->custody = std::make_unique<Pkcs11Custody>(*token);
    o.custody = w->custody.get();
  }
  w->start(o, token ? &held : nullptr);
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::vector<std::unique_ptr<World>> worlds;
  worlds.push_back(sqlite_world());
  if (const char* pg = std::getenv("OPENRMS_TEST_PG_URI"); pg && *pg)
    worlds.push_back(postgres_world(pg));
  for (auto& w : worlds) register_store(w.get());

  auto issue_cold = [](World* w) {
    return [w](benchmark::State& st) {
      for (auto _ : st) {
        w->server->clear_key_cache();  // every issuance unseals the content key again
        w->issue();
      }
      st.SetItemsProcessed(st.iterations());
    };
  };
  std::vector<std::unique_ptr<World>> key_worlds;
  key_worlds.push_back(keys_world(nullptr));
  if (const char* m = std::getenv("OPENRMS_TEST_P11_MODULE"); m && *m) {
    crypto::Pkcs11Config c;
    c.module = m;
    c.token = std::getenv("OPENRMS_TEST_P11_TOKEN");
    std::string pin;
    std::getline(std::ifstream(std::getenv("OPENRMS_TEST_P11_PIN_FILE")), pin);
    c.pin.assign(pin.begin(), pin.end());
    key_worlds.push_back(keys_world(&c));
  }
  for (auto& w : key_worlds) {
    World* p = w.get();
    benchmark::RegisterBenchmark(("Issue/" + p->kind + "/warm").c_str(),
                                 [p](benchmark::State& st) {
                                   for (auto _ : st) p->issue();
                                   st.SetItemsProcessed(st.iterations());
                                 })
        ->Threads(1)
        ->Threads(2)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("Issue/" + p->kind + "/cold").c_str(), issue_cold(p));
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
