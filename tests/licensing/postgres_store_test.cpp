// The Store contract on whichever store the tests run on (test_store.hpp: SQLite in memory, or
// PostgreSQL under with_postgres.sh), and what only the PostgreSQL store has: two nodes migrating
// one database at once, a wrong KEK across nodes, and an unreachable database.
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include "migrated_log.hpp"
#include "openrms/error.hpp"
#include "openrms/licensing/postgres_store.hpp"
#include "openrms/licensing/server.hpp"
#include "test_store.hpp"

using namespace openrms;
using namespace openrms::licensing;
using namespace openrms::licensing::testing;

namespace {

Time at(const char* iso) {
  return *parse_time(iso);
}

TEST(StoreContract, RecordsBehaveTheSameOnEveryStore) {
  auto store = make_test_store(crypto::SecureBytes(32, 3));
  // Content: registered once; revocation keeps its first time.
  ContentRecord c{"c1", "alice@x.com", "alice@x.com", "", "hash", at("2026-11-23T09:00:00Z"), {}};
  EXPECT_TRUE(store->add_content(c));
  c.issuer = "mallory@x.com";
  EXPECT_FALSE(store->add_content(c));
  EXPECT_EQ(store->get_content("c1")->issuer, "alice@x.com");
  EXPECT_FALSE(store->get_content("c2").has_value());
  store->set_revoked("c1", at("2026-11-24T00:00:00Z"));
  store->set_revoked("c1", at("2026-11-25T00:00:00Z"));
  EXPECT_EQ(*store->get_content("c1")->revoked_at, at("2026-11-24T00:00:00Z"));
  // Templates: replace by id, archived ones only when asked, ordered by name.
  Template t;
  t.id = "t1";
  t.name = "B";
  t.policy.grants.push_back(parse_grant("@x.com:Viewer"));
  t.created = t.updated = at("2026-11-23T09:00:00Z");
  store->put_template(t);
  t.version = 2;
  t.archived = true;
  store->put_template(t);
  Template u = t;
  u.id = "t2";
  u.name = "A";
  u.archived = false;
  store->put_template(u);
  EXPECT_EQ(store->get_template("t1")->version, 2);
  EXPECT_EQ(store->get_template("t1")->policy, t.policy);
  ASSERT_EQ(store->list_templates(false).size(), 1u);
  auto all = store->list_templates(true);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "A");
  // Tracking in insertion order; RACs by issue time; settings replaced.
  for (int i = 0; i < 5; ++i)
    store->add_tracking({at("2026-11-23T09:00:00Z"), "u@x.com", "c1", std::to_string(i),
                         "alice@x.com", "alice@x.com", "granted", "ul-" + std::to_string(i), 0});
  auto log = store->tracking("c1");
  ASSERT_EQ(log.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(log[i].rights, std::to_string(i));
    EXPECT_EQ(log[i].license_id, "ul-" + std::to_string(i));
    if (i > 0) {
      EXPECT_GT(log[i].seq, log[i - 1].seq);
    }
  }
  // Pages by seq: 2 + 2 + 1, then nothing; the same entries in the same order.
  std::vector<TrackingEntry> paged;
  std::int64_t after = 0;
  for (int page = 0; page < 4; ++page) {
    auto p = store->tracking("c1", after, 2);
    EXPECT_EQ(p.size(), page < 2 ? 2u : page == 2 ? 1u : 0u) << page;
    for (auto& e : p) paged.push_back(e);
    if (!p.empty()) after = p.back().seq;
  }
  ASSERT_EQ(paged.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(paged[i].license_id, log[i].license_id);
  EXPECT_TRUE(store->tracking("other", 0, 10).empty());
  // Visiting reads the same rows, viewed in place, with the id asked for.
  std::vector<TrackingEntry> visited;
  store->visit_tracking("c1", log[0].seq, 3, [&](const TrackingRow& r) {
    EXPECT_EQ(r.content_id, "c1");
    visited.push_back(r.entry());
  });
  ASSERT_EQ(visited.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(visited[i].seq, log[i + 1].seq);
    EXPECT_EQ(visited[i].rights, log[i + 1].rights);
    EXPECT_EQ(visited[i].user, "u@x.com");
    EXPECT_EQ(visited[i].issuer, "alice@x.com");
    EXPECT_EQ(visited[i].outcome, "granted");
    EXPECT_EQ(visited[i].time, at("2026-11-23T09:00:00Z"));
  }
  // A visitor's exception ends the read and reaches the caller; the store reads on afterwards.
  int seen = 0;
  EXPECT_THROW(store->visit_tracking("c1", 0, 0,
                                     [&](const TrackingRow&) {
                                       if (++seen == 2) throw std::runtime_error("stop");
                                     }),
               std::runtime_error);
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(store->tracking("c1").size(), 5u);
  store->add_rac({"s2", "u@x.com", "k", at("2026-11-24T00:00:00Z"), at("2026-12-24T00:00:00Z")});
  store->add_rac({"s1", "u@x.com", "k", at("2026-11-23T00:00:00Z"), at("2026-12-23T00:00:00Z")});
  auto racs = store->racs("u@x.com");
  ASSERT_EQ(racs.size(), 2u);
  EXPECT_EQ(racs[0].serial, "s1");
  EXPECT_FALSE(store->setting("k").has_value());
  store->set_setting("k", "v1");
  store->set_setting("k", "v2");
  EXPECT_EQ(*store->setting("k"), "v2");
}

TEST(StoreContract, PortalPasscodesAreSingleUseAndLockAfterTheLimit) {
  auto store = make_test_store(crypto::SecureBytes(32, 5));
  // Messages: bytes (NULs included) and recipients survive; a deposit replaces.
  PortalMessage m{"c1",
                  "alice@x.com",
                  {"bob@y.com", "carol@z.com"},
                  std::string("a\0b\r\n", 5),
                  at("2026-11-23T09:00:00Z"),
                  "Contoso"};
  store->put_portal_message(m);
  auto got = store->portal_message("c1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->wrapper, m.wrapper);
  EXPECT_EQ(got->recipients, m.recipients);
  EXPECT_EQ(got->stored_at, m.stored_at);
  EXPECT_EQ(got->branding, "Contoso");
  m.recipients = {"dave@y.com"};
  store->put_portal_message(m);
  EXPECT_EQ(store->portal_message("c1")->recipients, m.recipients);
  EXPECT_FALSE(store->portal_message("c2").has_value());

  const Time t0 = at("2026-11-23T10:00:00Z");
  const Time t15 = at("2026-11-23T10:15:00Z");
  EXPECT_EQ(store->passcode_failed("c1", "bob@y.com", 5, t15), 0);  // no row yet
  store->set_passcode("c1", "bob@y.com", "h1", t15);
  // Wrong tries count; a new code keeps the count.
  EXPECT_EQ(store->passcode_failed("c1", "bob@y.com", 5, t15), 1);
  EXPECT_EQ(store->passcode_failed("c1", "bob@y.com", 5, t15), 2);
  store->set_passcode("c1", "bob@y.com", "h2", t15);
  EXPECT_EQ(store->portal_access("c1", "bob@y.com")->failures, 2);
  // The old code is gone, the expired one does not open, the right one opens once.
  EXPECT_FALSE(store->open_portal_session("c1", "bob@y.com", "h1", t0, "s1", t15));
  EXPECT_FALSE(store->open_portal_session("c1", "bob@y.com", "h2", t15, "s1", t15));
  EXPECT_FALSE(store->open_portal_session("c1", "carol@z.com", "h2", t0, "s1", t15));
  EXPECT_TRUE(store->open_portal_session("c1", "bob@y.com", "h2", t0, "s1", t15));
  EXPECT_FALSE(store->open_portal_session("c1", "bob@y.com", "h2", t0, "s2", t15));
  auto a = store->portal_session("s1");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->address, "bob@y.com");
  EXPECT_EQ(a->content_id, "c1");
  EXPECT_EQ(a->failures, 0);
  EXPECT_EQ(a->code_hash, "");
  EXPECT_EQ(a->session_expires, t15);
  EXPECT_FALSE(store->portal_session("").has_value());
  EXPECT_FALSE(store->portal_session("s2").has_value());
  // The fifth wrong try locks the address out and burns the code.
  store->set_passcode("c1", "bob@y.com", "h3", t15);
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(store->passcode_failed("c1", "bob@y.com", 5, t15), i);
  EXPECT_EQ(store->passcode_failed("c1", "bob@y.com", 5, t15), 5);
  a = store->portal_access("c1", "bob@y.com");
  EXPECT_EQ(a->failures, 0);
  EXPECT_EQ(a->code_hash, "");
  EXPECT_EQ(a->locked_until, t15);
  // While locked even a fresh code does not open; after the lock it does.
  store->set_passcode("c1", "bob@y.com", "h4", at("2026-11-23T10:30:00Z"));
  EXPECT_FALSE(store->open_portal_session("c1", "bob@y.com", "h4", t0, "s3", t15));
  EXPECT_TRUE(store->open_portal_session("c1", "bob@y.com", "h4", t15, "s3", t15));
  // A new session replaces the old one; ending it leaves none.
  EXPECT_FALSE(store->portal_session("s1").has_value());
  store->end_portal_session("s3");
  EXPECT_FALSE(store->portal_session("s3").has_value());
}

TEST(StoreContract, ServerKeysRoundTripUnderTheKek) {
  auto store = make_test_store(crypto::SecureBytes(32, 4));
  ServerGeneration g;
  g.generation = 1;
  g.slc_xml = "<SLC/>";
  g.signing_key_pkcs8 = crypto::SecureBytes{1, 2, 3};
  g.sealing_key_pkcs8 = crypto::SecureBytes{4, 5, 6, 7};
  store->add_generation(g);
  auto gens = store->generations();
  ASSERT_EQ(gens.size(), 1u);
  EXPECT_EQ(gens[0].signing_key_pkcs8, g.signing_key_pkcs8);
  EXPECT_EQ(gens[0].sealing_key_pkcs8, g.sealing_key_pkcs8);
}

// A log longer than one read: every entry once, in order, with its own party, whether read
// whole, from the middle or up to a limit; a visitor failing midway stops the read.
TEST(StoreContract, LongLogsReadWholeAndInOrder) {
  auto store = make_test_store(crypto::SecureBytes(32, 6));
  constexpr int kEntries = 4500;  // more than the first pages of a long read
  for (int i = 0; i < kEntries; ++i)
    store->add_tracking({Time(std::chrono::seconds(i)), "u" + std::to_string(i % 37) + "@x.com",
                         "long", i % 3 ? "VIEW" : "VIEW,PRINT", "a@x.com", "a@x.com",
                         i % 11 ? "granted" : "refused: revoked", "ul-" + std::to_string(i), 0});
  store->add_tracking({Time(std::chrono::seconds(1)), "z@x.com", "other", "VIEW", "a@x.com",
                       "a@x.com", "granted", "ul-other", 0});
  auto check = [](const std::vector<TrackingEntry>& log, int first) {
    for (std::size_t k = 0; k < log.size(); ++k) {
      const int i = first + static_cast<int>(k);
      ASSERT_EQ(log[k].license_id, "ul-" + std::to_string(i));
      EXPECT_EQ(log[k].user, "u" + std::to_string(i % 37) + "@x.com");
      EXPECT_EQ(log[k].rights, i % 3 ? "VIEW" : "VIEW,PRINT");
      EXPECT_EQ(log[k].outcome, i % 11 ? "granted" : "refused: revoked");
      EXPECT_EQ(log[k].time, Time(std::chrono::seconds(i)));
      EXPECT_EQ(log[k].content_id, "long");
      if (k > 0) {
        EXPECT_GT(log[k].seq, log[k - 1].seq);
      }
    }
  };
  auto all = store->tracking("long");
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kEntries));
  check(all, 0);
  auto tail = store->tracking("long", all[1234].seq, 0);
  ASSERT_EQ(tail.size(), static_cast<std::size_t>(kEntries - 1235));
  check(tail, 1235);
  auto some = store->tracking("long", all[10].seq, 3000);
  ASSERT_EQ(some.size(), 3000u);
  check(some, 11);
  int seen = 0;
  EXPECT_THROW(store->visit_tracking("long", 0, 0,
                                     [&](const TrackingRow&) {
                                       if (++seen == 2500) throw std::runtime_error("stop");
                                     }),
               std::runtime_error);
  EXPECT_EQ(seen, 2500);
  EXPECT_EQ(store->tracking("long").size(), static_cast<std::size_t>(kEntries));
}

// Rate windows: `limit` events per key and window, then refusals until the window closes; a
// window that closed (and was forgotten) starts again from one.
TEST(StoreContract, RateWindowsCountToTheLimitAndReopen) {
  auto store = make_test_store(crypto::SecureBytes(32, 7));
  const Time t0 = at("2026-11-23T09:00:00Z");
  const std::chrono::seconds minute(60);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(store->take_rate("k", 3, t0 + Seconds(i), minute)) << i;
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(store->take_rate("k", 3, t0 + Seconds(10), minute));
  EXPECT_TRUE(store->take_rate("other", 3, t0 + Seconds(10), minute));  // keys are apart
  EXPECT_FALSE(store->take_rate("k", 3, t0 + Seconds(59), minute));
  // The window closes 60 s after its first event; the next event opens a new one.
  EXPECT_TRUE(store->take_rate("k", 3, t0 + Seconds(60), minute));
  EXPECT_TRUE(store->take_rate("k", 3, t0 + Seconds(61), minute));
  EXPECT_TRUE(store->take_rate("k", 3, t0 + Seconds(119), minute));
  EXPECT_FALSE(store->take_rate("k", 3, t0 + Seconds(119), minute));
  // Many keys later (closed windows are forgotten on the way): the same rules.
  const Time t1 = t0 + std::chrono::hours(1);
  for (int i = 0; i < 2100; ++i)
    EXPECT_TRUE(store->take_rate("many" + std::to_string(i), 1, t1, minute));
  EXPECT_FALSE(store->take_rate("many7", 1, t1, minute));
  EXPECT_TRUE(store->take_rate("k", 1, t1, minute));
  EXPECT_FALSE(store->take_rate("k", 1, t1, minute));
}

TEST(StoreContract, ConcurrentTrackingIsAllDurable) {
  auto store = make_test_store(crypto::SecureBytes(32, 5));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 25; ++i)
        store->add_tracking({at("2026-11-23T09:00:00Z"), "u" + std::to_string(t) + "@x.com", "c",
                             std::to_string(i), "i@x.com", "o@x.com", "granted", "", 0});
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(store->tracking("c").size(), 200u);
}

// --- PostgreSQL only ---

std::string pg() {
  const char* c = std::getenv("OPENRMS_TEST_PG");
  return c ? c : "";
}

// A schema for the PostgreSQL-only tests, dropped at the end.
struct Schema {
  std::string name, conninfo;
  explicit Schema(const std::string& n) : name(n) {
    conninfo = pg() + " options='-c search_path=" + name + "'";
    run("CREATE SCHEMA " + name);
  }
  ~Schema() {
    try {
      run("DROP SCHEMA " + name + " CASCADE");
    } catch (...) {
    }
  }
  static void run(const std::string& sql) {
    pqxx::connection c(pg());
    pqxx::work w(c);
    w.exec(sql);
    w.commit();
  }
};

#define NEEDS_POSTGRES()   \
  if (!testing_postgres()) \
  GTEST_SKIP() << "runs under tests/licensing/with_postgres.sh (ctest *_postgres)"

TEST(PostgresStore, TwoNodesStartingAtOnceMigrateOnceAndShareState) {
  NEEDS_POSTGRES();
  Schema s("two_nodes");
  std::unique_ptr<PostgresStore> a, b;
  std::thread ta(
      [&] { a = std::make_unique<PostgresStore>(s.conninfo, crypto::SecureBytes(32, 1)); });
  std::thread tb(
      [&] { b = std::make_unique<PostgresStore>(s.conninfo, crypto::SecureBytes(32, 1)); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->schema_version(), PostgresStore::kSchemaVersion);
  // One server activates on node a; node b sees the same keys and revocations at once.
  LicenseServer server_a(*a);
  server_a.activate();
  LicenseServer server_b(*b);
  EXPECT_TRUE(server_b.activated());
  auto alice = server_a.enroll({"alice@contoso.com"});
  auto bob = server_b.enroll({"bob@contoso.com"});
  PublishRequest req;
  Policy p;
  p.grants.push_back(parse_grant("bob@contoso.com:VIEW"));
  req.policy = p;
  auto pub = server_a.publish({"alice@contoso.com"}, req, alice.rac_xml);
  EXPECT_NO_THROW(server_b.acquire({"bob@contoso.com"}, pub.license_xml, bob.rac_xml));
  server_a.revoke({"alice@contoso.com"}, pub.content_id);
  try {
    server_b.acquire({"bob@contoso.com"}, pub.license_xml, bob.rac_xml);
    FAIL() << "node b issued a license for content revoked on node a";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::revoked);
  }
  EXPECT_EQ(server_b.track({"alice@contoso.com"}, pub.content_id).size(), 3u);
}

// A schema version 4 store (one text row per tracking entry) is migrated to the compact log on
// open: every entry keeps its fields, seq and order, and new entries continue the numbering.
TEST(PostgresStore, MigratesAVersion4TrackingLogForward) {
  NEEDS_POSTGRES();
  Schema s("v4_log");
  { PostgresStore store(s.conninfo, crypto::SecureBytes(32, 1)); }
  Schema::run(
      "SET search_path = v4_log;"
      "DROP TABLE tracking; DROP TABLE tracking_content; DROP TABLE tracking_party;"
      "DROP TABLE rate_window;"
      "CREATE TABLE tracking (seq BIGSERIAL PRIMARY KEY, time BIGINT NOT NULL,"
      "  user_email TEXT NOT NULL, content_id TEXT NOT NULL, rights TEXT NOT NULL,"
      "  issuer TEXT NOT NULL, owner TEXT NOT NULL, outcome TEXT NOT NULL,"
      "  license_id TEXT NOT NULL DEFAULT '');"
      "CREATE INDEX tracking_content_seq ON tracking(content_id, seq);"
      "INSERT INTO tracking (time, user_email, content_id, rights, issuer, owner, outcome,"
      "  license_id)" +
      openrms::licensing::testing::old_log_values(true) +
      "UPDATE store_info SET value = '4' WHERE key = 'schema_version';");
  PostgresStore store(s.conninfo, crypto::SecureBytes(32, 1));
  EXPECT_EQ(store.schema_version(), PostgresStore::kSchemaVersion);
  openrms::licensing::testing::expect_migrated_log(store, "ul-1");
  EXPECT_TRUE(store.take_rate("r", 1, Time(Seconds(3)), Seconds(60)));
  EXPECT_FALSE(store.take_rate("r", 1, Time(Seconds(3)), Seconds(60)));
}

// Nodes that number the same new content and parties at once agree on one number each, and
// every entry is kept.
TEST(PostgresStore, TwoNodesNumberNewPartiesOnce) {
  NEEDS_POSTGRES();
  Schema s("numbering");
  PostgresStore a(s.conninfo, crypto::SecureBytes(32, 1));
  PostgresStore b(s.conninfo, crypto::SecureBytes(32, 1));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      Store& node = t % 2 ? static_cast<Store&>(a) : b;
      for (int i = 0; i < 25; ++i)
        node.add_tracking({Time(Seconds(i)), "u" + std::to_string(i % 5) + "@x.com", "shared",
                           "VIEW", "a@x.com", "a@x.com", "granted", "ul", 0});
    });
  for (auto& th : threads) th.join();
  auto log = a.tracking("shared");
  EXPECT_EQ(log.size(), 200u);
  for (const auto& e : log) EXPECT_EQ(e.user.substr(0, 1), "u");
  pqxx::connection c(s.conninfo);
  pqxx::work w(c);
  EXPECT_EQ(w.exec("SELECT count(*) FROM tracking_party")[0][0].as<int>(), 5);
  EXPECT_EQ(w.exec("SELECT count(*) FROM tracking_content")[0][0].as<int>(), 1);
}

// A node reads a log that another node wrote. The parties it has not seen are fetched while
// the rows stream in: on a second connection, or at the end when the pool has only one. Either
// way the rows come in order with their own parties. A visitor that fails midway leaves the
// connection fit for the next read.
TEST(PostgresStore, ANodeReadsALogAnotherNodeWrote) {
  NEEDS_POSTGRES();
  Schema s("cold_read");
  constexpr int kEntries = 9000;  // over two of the reader's batches (4,096 rows)
  auto user = [](int i) {
    // 3,000 parties first; later, a party never seen before every seventh row.
    return i >= 6000 && i % 7 == 0 ? "late" + std::to_string(i) + "@x.com"
                                   : "u" + std::to_string(i % 3000) + "@x.com";
  };
  {
    PostgresStore writer(pg() + " options='-c search_path=cold_read -c synchronous_commit=off'",
                         crypto::SecureBytes(32, 1));
    for (int i = 0; i < kEntries; ++i)
      writer.add_tracking({Time(Seconds(i)), user(i), "cold", i % 2 ? "VIEW" : "EDIT", "a@x.com",
                           "o@x.com", i % 13 ? "granted" : "refused: expired",
                           "ul-" + std::to_string(i), 0});
  }
  auto check = [&](const std::vector<TrackingEntry>& log, int first, std::size_t size) {
    ASSERT_EQ(log.size(), size);
    for (std::size_t k = 0; k < log.size(); ++k) {
      const int i = first + static_cast<int>(k);
      ASSERT_EQ(log[k].license_id, "ul-" + std::to_string(i));
      ASSERT_EQ(log[k].user, user(i));
      ASSERT_EQ(log[k].rights, i % 2 ? "VIEW" : "EDIT");
      ASSERT_EQ(log[k].outcome, i % 13 ? "granted" : "refused: expired");
      ASSERT_EQ(log[k].issuer, "a@x.com");
      ASSERT_EQ(log[k].owner, "o@x.com");
      ASSERT_EQ(log[k].time, Time(Seconds(i)));
    }
  };
  for (const std::size_t pool : {std::size_t{4}, std::size_t{1}}) {
    SCOPED_TRACE("pool of " + std::to_string(pool));
    PostgresStore node(s.conninfo, crypto::SecureBytes(32, 1), pool);
    const auto log = node.tracking("cold");
    check(log, 0, kEntries);
    PostgresStore paging(s.conninfo, crypto::SecureBytes(32, 1), pool);
    check(paging.tracking("cold", log[99].seq, 50), 100, 50);
    check(paging.tracking("cold", log[5999].seq, 2500), 6000, 2500);
    int seen = 0;
    EXPECT_THROW(node.visit_tracking("cold", 0, 0,
                                     [&](const TrackingRow&) {
                                       if (++seen == 5000) throw std::runtime_error("stop");
                                     }),
                 std::runtime_error);
    EXPECT_EQ(seen, 5000);
    check(node.tracking("cold"), 0, kEntries);
    EXPECT_TRUE(node.tracking("no such content").empty());
  }
  // The database lost in the middle of a read (its server process terminated while it still
  // has most of the ~500 KB to send): Error{unavailable}, no row passed twice, and the next
  // read works on a new connection.
  PostgresStore node(s.conninfo, crypto::SecureBytes(32, 1));
  check(node.tracking("cold"), 0, kEntries);  // every party known: rows pass as they arrive
  std::vector<std::int64_t> seqs;
  try {
    node.visit_tracking("cold", 0, 0, [&](const TrackingRow& r) {
      seqs.push_back(r.seq);
      if (seqs.size() == 10)
        Schema::run(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE "
            "'COPY (SELECT seq, time, party%' AND pid <> pg_backend_pid()");
    });
    ADD_FAILURE() << "the read ended normally";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::unavailable) << e.what();
  }
  EXPECT_GE(seqs.size(), 10u);
  EXPECT_LT(seqs.size(), static_cast<std::size_t>(kEntries));
  for (std::size_t k = 1; k < seqs.size(); ++k) EXPECT_GT(seqs[k], seqs[k - 1]);
  check(node.tracking("cold"), 0, kEntries);
}

// Two nodes count one rate window: concurrent events across both get `limit` yeses in all.
TEST(PostgresStore, TwoNodesShareRateWindows) {
  NEEDS_POSTGRES();
  Schema s("rates");
  PostgresStore a(s.conninfo, crypto::SecureBytes(32, 1));
  PostgresStore b(s.conninfo, crypto::SecureBytes(32, 1));
  const Time t0 = at("2026-11-23T09:00:00Z");
  std::atomic<int> yes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      Store& node = t % 2 ? static_cast<Store&>(a) : b;
      for (int i = 0; i < 25; ++i)
        if (node.take_rate("shared", 50, t0, std::chrono::seconds(60))) ++yes;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(yes.load(), 50);
  EXPECT_FALSE(a.take_rate("shared", 50, t0, std::chrono::seconds(60)));
  EXPECT_TRUE(b.take_rate("shared", 50, t0 + Seconds(60), std::chrono::seconds(60)));
}

TEST(PostgresStore, AnotherKekIsRefusedAtOpen) {
  NEEDS_POSTGRES();
  Schema s("other_kek");
  {
    PostgresStore store(s.conninfo, crypto::SecureBytes(32, 1));
    LicenseServer(store).activate();
  }
  try {
    PostgresStore store(s.conninfo, crypto::SecureBytes(32, 2));
    FAIL() << "opened with another KEK";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::wrong_password);
  }
}

TEST(PostgresStore, ForeignTablesAndNewerSchemasAreRefused) {
  NEEDS_POSTGRES();
  Schema foreign("foreign_tables");
  Schema::run("CREATE TABLE foreign_tables.invoices (id INT)");
  try {
    PostgresStore store(foreign.conninfo, crypto::SecureBytes(32, 1));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::bad_format);
  }
  Schema newer("newer_schema");
  { PostgresStore store(newer.conninfo, crypto::SecureBytes(32, 1)); }
  Schema::run("UPDATE newer_schema.store_info SET value = '99' WHERE key = 'schema_version'");
  try {
    PostgresStore store(newer.conninfo, crypto::SecureBytes(32, 1));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::unsupported);
  }
}

TEST(PostgresStore, AnUnreachableDatabaseIsUnavailable) {
  // Needs no server: a socket folder where none listens.
  try {
    PostgresStore store("host=/nonexistent-openrms dbname=x connect_timeout=2",
                        crypto::SecureBytes(32, 1));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::unavailable);
    EXPECT_NE(std::string(e.what()).find("cannot be reached"), std::string::npos);
  }
}

}  // namespace
