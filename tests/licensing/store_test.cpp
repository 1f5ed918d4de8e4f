// SqliteStore: persistence, keys encrypted at rest, schema versioning, foreign files.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "migrated_log.hpp"
#include "openrms/error.hpp"
#include "openrms/licensing/server.hpp"

using namespace openrms;
using namespace openrms::licensing;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("openrms-store-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

crypto::SecureBytes kek(std::uint8_t v) {
  return crypto::SecureBytes(32, v);
}

TEST(SqliteStore, StatePersistsAcrossReopen) {
  TempDir dir;
  std::string db = (dir.path / "s.db").string();
  ManualClock clock(*parse_time("2026-11-23T09:00:00Z"));
  std::string pl, rac, content;
  crypto::PrivateKey key;
  {
    SqliteStore store(db, kek(1));
    EXPECT_EQ(store.schema_version(), SqliteStore::kSchemaVersion);
    ServerOptions o;
    o.clock = &clock;
    LicenseServer server(store, o);
    server.activate();
    auto t = server.create_template("Internal", "", [] {
      Policy p;
      p.grants.push_back(parse_grant("@contoso.com:Viewer"));
      return p;
    }());
    auto g = server.enroll({"bob@contoso.com"});
    rac = g.rac_xml;
    key = g.private_key;
    PublishRequest req;
    req.template_id = t.id;
    auto pub = server.publish({"alice@contoso.com"}, req);
    pl = pub.license_xml;
    content = pub.content_id;
    server.acquire({"bob@contoso.com"}, pl, rac);
  }
  SqliteStore store(db, kek(1));
  ServerOptions o;
  o.clock = &clock;
  LicenseServer server(store, o);
  EXPECT_TRUE(server.activated());
  EXPECT_EQ(server.templates().size(), 1u);
  EXPECT_NO_THROW(server.acquire({"bob@contoso.com"}, pl, rac));
  EXPECT_EQ(server.track({"alice@contoso.com"}, content).size(), 2u);
  EXPECT_EQ(store.racs("bob@contoso.com").size(), 1u);
  auto rec = store.get_content(content);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->issuer, "alice@contoso.com");
  EXPECT_EQ(rec->license_hash, parse_publishing_license(pl, server.anchors()).hash);
}

TEST(SqliteStore, ConcurrentTrackingRowsAreAllDurableInTheirOrder) {
  // Group commit: rows arriving together share a transaction. Each caller returns only once its
  // row is committed, so after every thread returned, a fresh connection sees all of them, and
  // each thread's rows in the order it wrote them.
  TempDir dir;
  std::string db = (dir.path / "s.db").string();
  constexpr int kThreads = 16, kRows = 40;
  {
    SqliteStore store(db, kek(1));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&store, t] {
        for (int i = 0; i < kRows; ++i)
          store.add_tracking({*parse_time("2026-11-23T09:00:00Z"),
                              "u" + std::to_string(t) + "@x.com", "content", std::to_string(i),
                              "issuer@x.com", "owner@x.com", "granted", "", 0});
      });
    for (auto& th : threads) th.join();
  }
  SqliteStore reopened(db, kek(1));
  auto rows = reopened.tracking("content");
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kThreads * kRows));
  std::map<std::string, int> next;
  for (const auto& r : rows) EXPECT_EQ(r.rights, std::to_string(next[r.user]++)) << r.user;
  EXPECT_EQ(next.size(), static_cast<std::size_t>(kThreads));
}

TEST(SqliteStore, PrivateKeysAreEncryptedAtRest) {
  TempDir dir;
  std::string db = (dir.path / "s.db").string();
  crypto::SecureBytes sign_der;
  {
    SqliteStore store(db, kek(1));
    LicenseServer server(store);
    server.activate();
    sign_der = store.generations().at(0).signing_key_pkcs8;
  }
  // The raw database bytes (and its WAL) do not contain the key.
  for (const auto& f : fs::directory_iterator(dir.path)) {
    std::ifstream in(f.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string needle(sign_der.begin() + 36, sign_der.begin() + 68);  // inside the private scalar
    EXPECT_EQ(bytes.find(needle), std::string::npos) << f.path();
  }
  // The wrong key-encryption key is its own error, from the moment the store is opened.
  try {
    SqliteStore wrong(db, kek(2));
    FAIL() << "a wrong KEK opened the store";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::wrong_password);
  }
  // A damaged key row with the right KEK is not blamed on the KEK.
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw,
                           "UPDATE server_generation SET signing_key = "
                           "zeroblob(length(signing_key))",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  SqliteStore damaged(db, kek(1));
  try {
    LicenseServer server(damaged);
    FAIL() << "a damaged key opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::integrity);
    EXPECT_NE(std::string(e.what()).find("restore the store from a backup"), std::string::npos)
        << e.what();
  }
}

TEST(SqliteStore, RefusesForeignFilesAndNewerSchemas) {
  TempDir dir;
  std::string text = (dir.path / "notes.txt").string();
  std::ofstream(text) << "this is not a database, just some text that is long enough to matter";
  EXPECT_THROW(SqliteStore(text, kek(1)), Error);
  std::string other = (dir.path / "other.db").string();
  sqlite3* db = nullptr;
  sqlite3_open(other.c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    SqliteStore s(other, kek(1));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::bad_format);
  }
  std::string newer = (dir.path / "newer.db").string();
  { SqliteStore s(newer, kek(1)); }
  sqlite3_open(newer.c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    SqliteStore s(newer, kek(1));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::unsupported);
  }
  EXPECT_THROW(SqliteStore(":memory:", crypto::SecureBytes(16, 1)), Error);
}

// A store written by schema version 1 (one text row per tracking entry without license ids, no
// key references, no portal) is migrated forward on open: every row keeps its fields, its seq
// and its order, and new rows continue the numbering.
TEST(SqliteStore, MigratesAVersion1StoreForward) {
  TempDir dir;
  std::string path = (dir.path / "v1.db").string();
  { SqliteStore s(path, kek(1)); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string v1 =
      "DROP TABLE tracking; DROP TABLE tracking_content; DROP TABLE tracking_party;"
      "DROP TABLE tracking_seq;"
      "CREATE TABLE tracking (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
      "  time INTEGER NOT NULL, user TEXT NOT NULL, content_id TEXT NOT NULL,"
      "  rights TEXT NOT NULL, issuer TEXT NOT NULL, owner TEXT NOT NULL,"
      "  outcome TEXT NOT NULL);"
      "CREATE INDEX tracking_content ON tracking(content_id);"
      "ALTER TABLE server_generation DROP COLUMN signing_key_ref;"
      "ALTER TABLE server_generation DROP COLUMN sealing_key_ref;"
      "DROP TABLE portal_access; DROP TABLE portal_message; DROP TABLE rate_window;"
      "INSERT INTO tracking (time, user, content_id, rights, issuer, owner, outcome)" +
      openrms::licensing::testing::old_log_values(false) + "PRAGMA user_version=1;";
  ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  SqliteStore s(path, kek(1));
  openrms::licensing::testing::expect_migrated_log(s, "");
  s.put_portal_message({"c1", "a@x.com", {"u@x.com"}, "wrapper", Time(Seconds(3)), ""});
  EXPECT_EQ(s.portal_message("c1")->wrapper, "wrapper");
  EXPECT_TRUE(s.take_rate("r", 1, Time(Seconds(3)), Seconds(60)));
  EXPECT_FALSE(s.take_rate("r", 1, Time(Seconds(3)), Seconds(60)));
  EXPECT_EQ(s.schema_version(), SqliteStore::kSchemaVersion);
}

TEST(SqliteStore, KekFiles) {
  TempDir dir;
  std::string f = (dir.path / "kek").string();
  create_kek_file(f);
  EXPECT_EQ(load_kek_file(f).size(), 32u);
  EXPECT_EQ(fs::status(f).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_THROW(create_kek_file(f), Error);  // never overwrites
  std::ofstream(f + "2") << "abc";
  EXPECT_THROW(load_kek_file(f + "2"), Error);
}

TEST(Directory, FileFormat) {
  TempDir dir;
  std::string f = (dir.path / "groups.txt").string();
  std::ofstream(f) << "# groups\nsales@contoso.com: bob@contoso.com, Carol@contoso.com\n\n"
                      "all@contoso.com: sales@contoso.com\n";
  FileDirectory d(f);
  auto g = d.groups_of("carol@contoso.com");
  EXPECT_EQ(g.size(), 2u);
  EXPECT_TRUE(d.groups_of("zed@contoso.com").empty());
  std::ofstream(f) << "sales@contoso.com bob@contoso.com\n";
  EXPECT_THROW(FileDirectory{f}, Error);
}

}  // namespace
