#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "key_wrap.hpp"
#include "openrms/crypto/backend.hpp"
#include "openrms/error.hpp"
#include "openrms/licensing/store.hpp"
#include "portal_schema.hpp"
#include "tracking_layout.hpp"

namespace openrms::licensing {
namespace {

long long secs(Time t) {
  return t.time_since_epoch().count();
}
Time from_secs(long long s) {
  return Time(Seconds(s));
}

constexpr const char* kPortalSchema = OPENRMS_PORTAL_SCHEMA("INTEGER", "BLOB");

// Schema history: each entry migrates from version i to i+1.
const char* const kMigrations[] = {
    // 0 -> 1
    "CREATE TABLE server_generation ("
    "  generation INTEGER PRIMARY KEY, slc_xml TEXT NOT NULL,"
    "  signing_key BLOB NOT NULL, sealing_key BLOB NOT NULL);"
    "CREATE TABLE template ("
    "  id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, policy_xml TEXT NOT "
    "NULL,"
    "  archived INTEGER NOT NULL, version INTEGER NOT NULL, created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL);"
    "CREATE TABLE content ("
    "  content_id TEXT PRIMARY KEY, issuer TEXT NOT NULL, owner TEXT NOT NULL,"
    "  template_id TEXT NOT NULL, license_hash TEXT NOT NULL, published_at INTEGER NOT NULL,"
    "  revoked_at INTEGER);"
    "CREATE TABLE tracking ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, user TEXT NOT NULL,"
    "  content_id TEXT NOT NULL, rights TEXT NOT NULL, issuer TEXT NOT NULL, owner TEXT NOT NULL,"
    "  outcome TEXT NOT NULL);"
    "CREATE INDEX tracking_content ON tracking(content_id);"
    "CREATE TABLE rac ("
    "  serial TEXT PRIMARY KEY, user TEXT NOT NULL, key_id TEXT NOT NULL,"
    "  issued_at INTEGER NOT NULL, valid_until INTEGER NOT NULL);"
    "CREATE INDEX rac_user ON rac(user);"
    "CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO store_info VALUES ('application', 'openrms');",
    // 1 -> 2: which use license a granted row stands for (a client can match its license to
    // the row; a retried request cannot be counted twice unnoticed).
    "ALTER TABLE tracking ADD COLUMN license_id TEXT NOT NULL DEFAULT '';",
    // 2 -> 3: server keys held in a PKCS#11 token are named, not stored.
    ("ALTER TABLE server_generation ADD COLUMN signing_key_ref TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE server_generation ADD COLUMN sealing_key_ref TEXT NOT NULL DEFAULT '';"),
    // 3 -> 4: the external-recipient portal's messages, passcodes and sessions.
    kPortalSchema,
    // 4 -> 5: the compact tracking log (tracking_layout.hpp). Rows are kept in (content, seq)
    // order (WITHOUT ROWID), so seq comes from tracking_seq, which continues the old numbering.
    // (SQLite keeps tables and indexes in one namespace: the old index goes first.)
    "DROP INDEX tracking_content;"
    "CREATE TABLE tracking_content (id INTEGER PRIMARY KEY, content_id TEXT NOT NULL UNIQUE);"
    "CREATE TABLE tracking_party (id INTEGER PRIMARY KEY, user TEXT NOT NULL,"
    "  rights TEXT NOT NULL, issuer TEXT NOT NULL, owner TEXT NOT NULL, outcome TEXT NOT NULL,"
    "  UNIQUE (user, rights, issuer, owner, outcome));"
    "CREATE TABLE tracking_entry (content INTEGER NOT NULL, seq INTEGER NOT NULL,"
    "  time INTEGER NOT NULL, party INTEGER NOT NULL, license_id TEXT NOT NULL,"
    "  PRIMARY KEY (content, seq)) WITHOUT ROWID;"
    "CREATE TABLE tracking_seq (last INTEGER NOT NULL);"
    "INSERT INTO tracking_content (content_id) SELECT DISTINCT content_id FROM tracking;"
    "INSERT INTO tracking_party (user, rights, issuer, owner, outcome)"
    "  SELECT DISTINCT user, rights, issuer, owner, outcome FROM tracking;"
    "INSERT INTO tracking_entry SELECT c.id, t.seq, t.time, p.id, t.license_id FROM tracking t"
    "  JOIN tracking_content c ON c.content_id = t.content_id"
    "  JOIN tracking_party p ON p.user = t.user AND p.rights = t.rights AND p.issuer = t.issuer"
    "   AND p.owner = t.owner AND p.outcome = t.outcome;"
    "INSERT INTO tracking_seq SELECT max(coalesce((SELECT max(seq) FROM tracking), 0),"
    "  coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'tracking'), 0));"
    "DROP TABLE tracking;"
    "ALTER TABLE tracking_entry RENAME TO tracking;",
    // 5 -> 6: rate windows every node shares (Store::take_rate).
    "CREATE TABLE rate_window (name TEXT PRIMARY KEY, closes INTEGER NOT NULL,"
    "  hits INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX rate_window_closes ON rate_window(closes);",
};

[[noreturn]] void db_fail(sqlite3* db, const std::string& what) {
  fail(Errc::io, "store: " + what + ": " + (db ? sqlite3_errmsg(db) : "cannot open"));
}

// Prepared statements kept for the connection's life: preparing costs more than running most
// of these queries (~10 us per use-license issuance). A statement already in use (never the case
// today: every SqliteStore call holds mu_ and runs one statement at a time) gets a fresh one.
class StmtCache {
 public:
  StmtCache() = default;
  StmtCache(const StmtCache&) = delete;
  StmtCache& operator=(const StmtCache&) = delete;
  ~StmtCache() { clear(); }
  void clear() {
    for (auto& [sql, e] : map_) sqlite3_finalize(e.stmt);
    map_.clear();
  }
  // Returns a reset statement for `sql`; `cached` says whether it must go back via release().
  sqlite3_stmt* acquire(sqlite3* db, const std::string& sql, bool& cached) {
    auto it = map_.find(sql);
    if (it != map_.end() && !it->second.in_use) {
      it->second.in_use = true;
      cached = true;
      return it->second.stmt;
    }
    sqlite3_stmt* st = nullptr;
    const bool keep = it == map_.end();
    // Not SQLITE_PREPARE_PERSISTENT: that moves the statement out of the connection's lookaside
    // memory onto SQLite's global allocator, and two threads issuing licenses then ran 15 %
    // slower than without the cache (measured: bench/licensing_bench UseLicense_Issue_warm).
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) db_fail(db, "prepare");
    cached = keep;
    if (keep) map_.emplace(sql, Entry{st, true});
    return st;
  }
  void release(const std::string& sql) {
    auto it = map_.find(sql);
    if (it != map_.end()) it->second.in_use = false;
  }

 private:
  struct Entry {
    sqlite3_stmt* stmt;
    bool in_use;
  };
  std::unordered_map<std::string, Entry> map_;
};

class Stmt {
 public:
  Stmt(StmtCache& cache, sqlite3* db, std::string sql)
      : db_(db), cache_(cache), sql_(std::move(sql)) {
    s_ = cache_.acquire(db, sql_, cached_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() {
    if (!cached_) {
      sqlite3_finalize(s_);
      return;
    }
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    cache_.release(sql_);
  }
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, long long v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind_blob(int i, crypto::ByteView v) {
    static const std::uint8_t kNone = 0;  // SQLite binds a null pointer as NULL, not as empty
    sqlite3_bind_blob(s_, i, v.empty() ? &kNone : v.data(), static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    db_fail(db_, "query");
  }
  // Valid until the next step (SQLite's contract for column text without type conversion).
  std::string_view view(int i) {
    auto p = sqlite3_column_text(s_, i);
    return p ? std::string_view(reinterpret_cast<const char*>(p),
                                static_cast<std::size_t>(sqlite3_column_bytes(s_, i)))
             : std::string_view();
  }
  std::string text(int i) { return std::string(view(i)); }
  long long integer(int i) { return sqlite3_column_int64(s_, i); }
  bool is_null(int i) { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
  crypto::Bytes blob(int i) {
    auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, i));
    return crypto::Bytes(p, p + sqlite3_column_bytes(s_, i));
  }

 private:
  sqlite3* db_;
  StmtCache& cache_;
  std::string sql_;
  sqlite3_stmt* s_ = nullptr;
  bool cached_ = false;
};

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    fail(Errc::io, "store: " + msg);
  }
}

// The number of a content id in the tracking log, made if it has none. In the caller's write
// transaction.
std::int64_t content_number(StmtCache& stmts, sqlite3* db, const std::string& id) {
  {
    Stmt s(stmts, db, "SELECT id FROM tracking_content WHERE content_id=?");
    s.bind(1, id);
    if (s.step()) return s.integer(0);
  }
  Stmt s(stmts, db, "INSERT INTO tracking_content (content_id) VALUES (?) RETURNING id");
  s.bind(1, id);
  if (!s.step()) db_fail(db, "numbering a content id");
  return s.integer(0);
}

// The number of an entry's party (tracking_layout.hpp), made if new. In the caller's write
// transaction.
std::int64_t party_number(StmtCache& stmts, sqlite3* db, const TrackingEntry& e) {
  auto bind = [&e](Stmt& s) {
    s.bind(1, e.user).bind(2, e.rights).bind(3, e.issuer).bind(4, e.owner).bind(5, e.outcome);
  };
  {
    Stmt s(stmts, db,
           "SELECT id FROM tracking_party WHERE user=? AND rights=? AND issuer=? AND owner=? "
           "AND outcome=?");
    bind(s);
    if (s.step()) return s.integer(0);
  }
  Stmt s(stmts, db,
         "INSERT INTO tracking_party (user, rights, issuer, owner, outcome) VALUES (?,?,?,?,?) "
         "RETURNING id");
  bind(s);
  if (!s.step()) db_fail(db, "numbering a tracking party");
  return s.integer(0);
}

}  // namespace

// Tracking rows that commit together: one transaction, one fsync of the WAL.
struct TrackingBatch {
  std::vector<TrackingEntry> entries;
  bool done = false;
  std::exception_ptr error;
};

struct SqliteStore::Impl {
  sqlite3* db = nullptr;
  StmtCache stmts;
  std::uint64_t rate_calls = 0;  // take_rate prunes closed windows every 1,024th call
  // Group commit of the tracking log (add_tracking): the batch new rows join, whether a thread
  // is committing one now, and the signal that it finished.
  std::mutex group_mu;
  std::condition_variable group_done;
  std::shared_ptr<TrackingBatch> open_batch = std::make_shared<TrackingBatch>();
  bool committing = false;
  // A file store commits tracking rows on a connection of their own, so the fsync of one batch
  // does not hold up the reads of the issuances that form the next (WAL: readers go on while
  // one connection writes). Used only by the thread that leads a batch.
  sqlite3* track_db = nullptr;
  StmtCache track_stmts;
  std::optional<detail::KeyWrap> keys;  // set once the KEK is known to be 32 bytes
  detail::TrackingNumbers numbers;      // of content ids and parties, for the committer

  ~Impl() {
    stmts.clear();
    track_stmts.clear();
    if (track_db) sqlite3_close_v2(track_db);
    if (db) sqlite3_close_v2(db);
  }
};

namespace {

// Before SQLite touches the file: a read-only store (or folder) would make SQLite create -wal
// and -shm files that block every later writer, and an empty file would silently become a new,
// empty store. A new store file is created 0600: SQLite gives its -wal and -shm files the
// database file's mode, so none of the three is readable by other users.
void check_store_file(const std::string& path) {
  struct stat st {};
  const std::string dir = [&] {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash + 1);
  }();
  struct stat dst {};
  if (::stat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode))
    fail(Errc::io, "store: the folder " + dir + " does not exist");
  if ((dst.st_mode & 0200) == 0)
    fail(Errc::io, "store: the folder " + dir +
                       " is read-only; the store needs to create its -wal and -shm files there "
                       "(chmod u+w it)");
  if (::stat(path.c_str(), &st) != 0) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) fail(Errc::io, "store: cannot create " + path + ": " + std::strerror(errno));
    ::close(fd);
    return;
  }
  if (!S_ISREG(st.st_mode)) fail(Errc::bad_format, "store: " + path + " is not a file");
  if ((st.st_mode & 0200) == 0)
    fail(Errc::io, "store: " + path +
                       " is read-only; openrms writes to its store on every license it issues "
                       "(the tracking log): make it writable (chmod 600)");
  if (st.st_size == 0)
    fail(Errc::bad_format,
         "store: " + path +
             " is empty (damaged or truncated): restore it from your backup; a new server "
             "('server init') would have new keys that cannot open the existing content");
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path, crypto::SecureBytes kek)
    : impl_(std::make_unique<Impl>()) {
  impl_->keys.emplace(std::move(kek));
  if (path != ":memory:" && path.rfind("file:", 0) != 0) check_store_file(path);
  // NOMUTEX: every use of a connection is already serialised here (mu_, or the one committer
  // of a tracking batch), and SQLite's own per-call mutex cost ~10 % of reading a long log.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &impl_->db, flags, nullptr) != SQLITE_OK)
    db_fail(impl_->db, "cannot open '" + path + "'");
  sqlite3* db = impl_->db;
  sqlite3_busy_timeout(db, 5000);
  sqlite3_extended_result_codes(db, 1);
  // A non-database file fails here with "file is not a database".
  char* err = nullptr;
  // Pages read through a memory map, not copied by read(2) (a 100,000-entry tracking log reads
  // ~15 MB), and a 32 MiB page cache instead of 2 MiB.
  if (sqlite3_exec(db,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                   "PRAGMA mmap_size=268435456; PRAGMA cache_size=-32768;",
                   nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    fail(Errc::bad_format, "store: '" + path + "' is not an openrms store (" + msg + ")");
  }
  int version = schema_version();
  if (version > kSchemaVersion)
    fail(Errc::unsupported, "store: schema version " + std::to_string(version) +
                                " is newer than this openrms (" + std::to_string(kSchemaVersion) +
                                "): upgrade openrms");
  if (version == 0) {
    // An empty database, or someone else's: refuse a database with foreign tables.
    Stmt s(impl_->stmts, db, "SELECT count(*) FROM sqlite_master");
    s.step();
    if (s.integer(0) != 0)
      fail(Errc::bad_format, "store: '" + path + "' is an SQLite database of another application");
  } else {
    Stmt s(impl_->stmts, db, "SELECT value FROM store_info WHERE key='application'");
    if (!s.step() || s.text(0) != "openrms")
      fail(Errc::bad_format, "store: '" + path + "' is not an openrms store");
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    exec(db, "BEGIN IMMEDIATE");
    try {
      exec(db, kMigrations[v]);
      exec(db, ("PRAGMA user_version=" + std::to_string(v + 1)).c_str());
      exec(db, "COMMIT");
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }
  check_kek();
  if (path != ":memory:" && path.rfind("file:", 0) != 0) {
    if (sqlite3_open_v2(path.c_str(), &impl_->track_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK)
      db_fail(impl_->track_db, "cannot open '" + path + "' a second time");
    sqlite3_busy_timeout(impl_->track_db, 5000);
    exec(impl_->track_db, "PRAGMA synchronous=FULL");
  }
}

void SqliteStore::check_kek() {
  sqlite3* db = impl_->db;
  detail::KeyWrap& keys = *impl_->keys;
  const std::string mine = keys.check_value();
  Stmt s(impl_->stmts, db, "SELECT value FROM store_info WHERE key='kek_check'");
  if (s.step()) {
    const std::string stored = s.text(0);
    keys.kek_matches = crypto::ct_equal(crypto::as_bytes(stored), crypto::as_bytes(mine));
    if (!*keys.kek_matches)
      fail(Errc::wrong_password,
           "store: this key-encryption key is not the store's (check --kek-file)");
    return;
  }
  // A new store, or one from before the check: record it if the KEK is shown to be right.
  Stmt g(impl_->stmts, db,
         "SELECT generation, signing_key FROM server_generation WHERE signing_key_ref = '' "
         "ORDER BY generation LIMIT 1");
  if (g.step()) {
    try {
      (void)keys.unwrap(g.blob(1),
                        detail::KeyWrap::aad("sign", static_cast<std::uint32_t>(g.integer(0))));
    } catch (const Error&) {
      return;  // undecided: unwrap() reports a failure when the keys are used
    }
  }
  Stmt ins(impl_->stmts, db, "INSERT OR IGNORE INTO store_info VALUES ('kek_check', ?)");
  ins.bind(1, mine);
  ins.step();
  keys.kek_matches = true;
}

SqliteStore::~SqliteStore() = default;

int SqliteStore::schema_version() {
  Stmt s(impl_->stmts, impl_->db, "PRAGMA user_version");
  s.step();
  return static_cast<int>(s.integer(0));
}

void SqliteStore::add_generation(const ServerGeneration& g) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db, "INSERT INTO server_generation VALUES (?,?,?,?,?,?)");
  s.bind(1, static_cast<long long>(g.generation)).bind(2, g.slc_xml);
  auto [a, b] = impl_->keys->wrap_generation(g);
  s.bind_blob(3, a).bind_blob(4, b).bind(5, g.signing_key_ref).bind(6, g.sealing_key_ref);
  s.step();
}

std::vector<ServerGeneration> SqliteStore::generations() {
  std::lock_guard lock(mu_);
  std::vector<ServerGeneration> out;
  Stmt s(impl_->stmts, impl_->db,
         "SELECT generation, slc_xml, signing_key, sealing_key, signing_key_ref, sealing_key_ref "
         "FROM server_generation ORDER BY generation");
  while (s.step()) {
    ServerGeneration g;
    g.generation = static_cast<std::uint32_t>(s.integer(0));
    g.slc_xml = s.text(1);
    g.signing_key_ref = s.text(4);
    g.sealing_key_ref = s.text(5);
    impl_->keys->unwrap_generation(g, s.blob(2), s.blob(3));
    out.push_back(std::move(g));
  }
  return out;
}

namespace {
Template read_template(Stmt& s) {
  Template t;
  t.id = s.text(0);
  t.name = s.text(1);
  t.description = s.text(2);
  t.policy = policy_from_xml(s.text(3));
  t.archived = s.integer(4) != 0;
  t.version = static_cast<int>(s.integer(5));
  t.created = from_secs(s.integer(6));
  t.updated = from_secs(s.integer(7));
  return t;
}
constexpr const char* kTemplateCols =
    "SELECT id, name, description, policy_xml, archived, version, created, updated FROM template";
}  // namespace

void SqliteStore::put_template(const Template& t) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db, "INSERT OR REPLACE INTO template VALUES (?,?,?,?,?,?,?,?)");
  s.bind(1, t.id).bind(2, t.name).bind(3, t.description).bind(4, policy_to_xml(t.policy));
  s.bind(5, static_cast<long long>(t.archived)).bind(6, static_cast<long long>(t.version));
  s.bind(7, secs(t.created)).bind(8, secs(t.updated));
  s.step();
}

std::optional<Template> SqliteStore::get_template(const std::string& id) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db, (std::string(kTemplateCols) + " WHERE id=?").c_str());
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_template(s);
}

std::vector<Template> SqliteStore::list_templates(bool include_archived) {
  std::lock_guard lock(mu_);
  std::string sql = std::string(kTemplateCols) + (include_archived ? "" : " WHERE archived=0") +
                    " ORDER BY name, id";
  Stmt s(impl_->stmts, impl_->db, sql.c_str());
  std::vector<Template> out;
  while (s.step()) out.push_back(read_template(s));
  return out;
}

bool SqliteStore::add_content(const ContentRecord& c) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db, "INSERT OR IGNORE INTO content VALUES (?,?,?,?,?,?,?)");
  s.bind(1, c.content_id).bind(2, c.issuer).bind(3, c.owner).bind(4, c.template_id);
  s.bind(5, c.license_hash).bind(6, secs(c.published_at));
  if (c.revoked_at)
    s.bind(7, secs(*c.revoked_at));
  else
    s.bind_null(7);
  s.step();
  return sqlite3_changes(impl_->db) == 1;
}

std::optional<ContentRecord> SqliteStore::get_content(const std::string& id) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db,
         "SELECT content_id, issuer, owner, template_id, license_hash, published_at, "
         "revoked_at FROM content WHERE content_id=?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  ContentRecord c;
  c.content_id = s.text(0);
  c.issuer = s.text(1);
  c.owner = s.text(2);
  c.template_id = s.text(3);
  c.license_hash = s.text(4);
  c.published_at = from_secs(s.integer(5));
  if (!s.is_null(6)) c.revoked_at = from_secs(s.integer(6));
  return c;
}

void SqliteStore::set_revoked(const std::string& id, Time when) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db,
         "UPDATE content SET revoked_at=? WHERE content_id=? AND revoked_at IS NULL");
  s.bind(1, secs(when)).bind(2, id);
  s.step();
}

// Group commit: a row that arrives while another thread commits joins the next batch; the first
// thread to find no commit running commits the whole batch in one transaction (one fsync) and
// wakes the rest. Every caller returns only once its own row is durable, or throws the batch's
// error: nothing reported as logged can be lost, and concurrent issuances share the fsync.
void SqliteStore::add_tracking(const TrackingEntry& e) {
  Impl& m = *impl_;
  std::unique_lock group(m.group_mu);
  std::shared_ptr<TrackingBatch> mine = m.open_batch;
  mine->entries.push_back(e);
  while (!mine->done) {
    if (m.committing) {
      m.group_done.wait(group);
      continue;
    }
    // No commit running: then `mine` is still the open batch; close it and commit it.
    m.committing = true;
    m.open_batch = std::make_shared<TrackingBatch>();
    group.unlock();
    try {
      std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
      if (!m.track_db) lock.lock();  // in memory: one connection, shared with everything else
      sqlite3* db = m.track_db ? m.track_db : m.db;
      StmtCache& stmts = m.track_db ? m.track_stmts : m.stmts;
      exec(db, "BEGIN IMMEDIATE");
      // Numbers made in this transaction are remembered only once it has committed.
      std::vector<std::pair<std::int64_t, std::int64_t>> numbered;
      try {
        const auto n = static_cast<long long>(mine->entries.size());
        long long seq = 0;
        {
          Stmt s(stmts, db, "UPDATE tracking_seq SET last = last + ? RETURNING last");
          s.bind(1, n);
          if (!s.step()) fail(Errc::io, "store: the tracking log has lost its sequence row");
          seq = s.integer(0) - n;
        }
        for (const auto& x : mine->entries) {
          const auto known_content = m.numbers.content(x.content_id);
          const std::int64_t content =
              known_content ? *known_content : content_number(stmts, db, x.content_id);
          const auto known_party = m.numbers.party(x);
          const std::int64_t party = known_party ? *known_party : party_number(stmts, db, x);
          numbered.emplace_back(content, party);
          Stmt s(stmts, db,
                 "INSERT INTO tracking (content, seq, time, party, license_id) "
                 "VALUES (?,?,?,?,?)");
          s.bind(1, content).bind(2, ++seq).bind(3, secs(x.time)).bind(4, party);
          s.bind(5, x.license_id);
          s.step();
        }
        exec(db, "COMMIT");
      } catch (...) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
      for (std::size_t i = 0; i < numbered.size(); ++i)
        m.numbers.remember(mine->entries[i], numbered[i].first, numbered[i].second);
    } catch (...) {
      mine->error = std::current_exception();
    }
    group.lock();
    mine->done = true;
    m.committing = false;
    m.group_done.notify_all();
  }
  if (mine->error) std::rethrow_exception(mine->error);
}

void SqliteStore::visit_tracking(const std::string& id, std::int64_t after, std::size_t limit,
                                 const TrackingVisitor& visit) {
  // The page is read under the lock into `rows` (license ids into one buffer), its parties
  // next, and the visitor runs after the lock is released.
  struct Row {
    std::int64_t seq, time, party;
    std::size_t at, size;  // the license id in `licenses`
  };
  std::vector<Row> rows;
  std::string licenses;
  detail::PartyLookup parties;
  {
    std::lock_guard lock(mu_);
    // One range of the (content, seq) key: no sort, no lookup per row.
    Stmt s(impl_->stmts, impl_->db,
           "SELECT seq, time, party, license_id FROM tracking WHERE content = "
           "(SELECT id FROM tracking_content WHERE content_id=?) AND seq>? ORDER BY seq LIMIT ?");
    s.bind(1, id).bind(2, static_cast<long long>(after));
    s.bind(3, limit == 0 ? -1LL : static_cast<long long>(limit));
    while (s.step()) {
      const std::string_view license = s.view(3);
      rows.push_back({s.integer(0), s.integer(1), s.integer(2), licenses.size(), license.size()});
      licenses.append(license);
      parties.need(rows.back().party);
    }
    if (rows.empty()) return;
    Stmt p(impl_->stmts, impl_->db,
           "SELECT id, user, rights, issuer, owner, outcome FROM tracking_party "
           "WHERE id IN (SELECT value FROM json_each(?))");
    p.bind(1, parties.list('[', ']'));
    while (p.step())
      parties.found(p.integer(0), {p.text(1), p.text(2), p.text(3), p.text(4), p.text(5)});
  }
  TrackingRow row;
  row.content_id = id;
  const std::string_view all(licenses);
  for (const Row& r : rows) {
    row.seq = r.seq;
    row.time = from_secs(r.time);
    parties.fill(row, r.party);
    row.license_id = all.substr(r.at, r.size);
    visit(row);
  }
}

void SqliteStore::add_rac(const RacRecord& r) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db, "INSERT OR REPLACE INTO rac VALUES (?,?,?,?,?)");
  s.bind(1, r.serial).bind(2, r.user).bind(3, r.key_id).bind(4, secs(r.issued_at));
  s.bind(5, secs(r.valid_until));
  s.step();
}

std::vector<RacRecord> SqliteStore::racs(const std::string& user) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db,
         "SELECT serial, user, key_id, issued_at, valid_until FROM rac WHERE user=? "
         "ORDER BY issued_at");
  s.bind(1, user);
  std::vector<RacRecord> out;
  while (s.step())
    out.push_back(
        {s.text(0), s.text(1), s.text(2), from_secs(s.integer(3)), from_secs(s.integer(4))});
  return out;
}

std::optional<std::string> SqliteStore::setting(const std::string& key) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db, "SELECT value FROM setting WHERE key=?");
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void SqliteStore::set_setting(const std::string& key, const std::string& value) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db, "INSERT OR REPLACE INTO setting VALUES (?,?)");
  s.bind(1, key).bind(2, value);
  s.step();
}

namespace {

constexpr const char* kAccessColumns =
    "content_id, address, code_hash, code_expires, failures, locked_until, session_hash, "
    "session_expires";

PortalAccess read_access(Stmt& s) {
  PortalAccess a;
  a.content_id = s.text(0);
  a.address = s.text(1);
  a.code_hash = s.text(2);
  a.code_expires = from_secs(s.integer(3));
  a.failures = static_cast<int>(s.integer(4));
  if (!s.is_null(5)) a.locked_until = from_secs(s.integer(5));
  a.session_hash = s.text(6);
  a.session_expires = from_secs(s.integer(7));
  return a;
}

}  // namespace

void SqliteStore::put_portal_message(const PortalMessage& m) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db, "INSERT OR REPLACE INTO portal_message VALUES (?,?,?,?,?,?)");
  s.bind(1, m.content_id).bind(2, m.sender).bind(3, detail::join_lines(m.recipients));
  s.bind_blob(4, crypto::as_bytes(m.wrapper)).bind(5, secs(m.stored_at)).bind(6, m.branding);
  s.step();
}

std::optional<PortalMessage> SqliteStore::portal_message(const std::string& content_id) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db,
         "SELECT content_id, sender, recipients, wrapper, stored_at, branding FROM portal_message "
         "WHERE content_id=?");
  s.bind(1, content_id);
  if (!s.step()) return std::nullopt;
  crypto::Bytes w = s.blob(3);
  return PortalMessage{s.text(0),
                       s.text(1),
                       detail::split_lines(s.text(2)),
                       std::string(w.begin(), w.end()),
                       from_secs(s.integer(4)),
                       s.text(5)};
}

std::optional<PortalAccess> SqliteStore::portal_access(const std::string& content_id,
                                                       const std::string& address) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db,
         std::string("SELECT ") + kAccessColumns +
             " FROM portal_access WHERE content_id=? AND address=?");
  s.bind(1, content_id).bind(2, address);
  if (!s.step()) return std::nullopt;
  return read_access(s);
}

void SqliteStore::set_passcode(const std::string& content_id, const std::string& address,
                               const std::string& code_hash, Time expires) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db,
         "INSERT INTO portal_access (content_id, address, code_hash, code_expires) "
         "VALUES (?1,?2,?3,?4) ON CONFLICT (content_id, address) DO UPDATE "
         "SET code_hash=?3, code_expires=?4");
  s.bind(1, content_id).bind(2, address).bind(3, code_hash).bind(4, secs(expires));
  s.step();
}

int SqliteStore::passcode_failed(const std::string& content_id, const std::string& address,
                                 int limit, Time lock_until) {
  std::lock_guard lock(mu_);
  // Every CASE sees the row as it was: the limit-th failure locks, burns the code, resets.
  Stmt s(impl_->stmts, impl_->db,
         "UPDATE portal_access SET "
         "locked_until = CASE WHEN failures + 1 >= ?3 THEN ?4 ELSE locked_until END, "
         "code_hash = CASE WHEN failures + 1 >= ?3 THEN '' ELSE code_hash END, "
         "failures = CASE WHEN failures + 1 >= ?3 THEN 0 ELSE failures + 1 END "
         "WHERE content_id=?1 AND address=?2 RETURNING failures");
  s.bind(1, content_id).bind(2, address).bind(3, static_cast<long long>(limit));
  s.bind(4, secs(lock_until));
  if (!s.step()) return 0;
  const int f = static_cast<int>(s.integer(0));
  while (s.step()) {
  }
  return f == 0 ? limit : f;
}

bool SqliteStore::open_portal_session(const std::string& content_id, const std::string& address,
                                      const std::string& code_hash, Time now,
                                      const std::string& session_hash, Time session_expires) {
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db,
         "UPDATE portal_access SET code_hash='', failures=0, session_hash=?5, session_expires=?6 "
         "WHERE content_id=?1 AND address=?2 AND code_hash=?3 AND code_hash<>'' "
         "AND code_expires>?4 AND (locked_until IS NULL OR locked_until<=?4)");
  s.bind(1, content_id).bind(2, address).bind(3, code_hash).bind(4, secs(now));
  s.bind(5, session_hash).bind(6, secs(session_expires));
  s.step();
  return sqlite3_changes(impl_->db) == 1;
}

std::optional<PortalAccess> SqliteStore::portal_session(const std::string& session_hash) {
  if (session_hash.empty()) return std::nullopt;
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db,
         std::string("SELECT ") + kAccessColumns + " FROM portal_access WHERE session_hash=?");
  s.bind(1, session_hash);
  if (!s.step()) return std::nullopt;
  return read_access(s);
}

void SqliteStore::end_portal_session(const std::string& session_hash) {
  if (session_hash.empty()) return;
  std::lock_guard lock(mu_);
  Stmt s(impl_->stmts, impl_->db,
         "UPDATE portal_access SET session_hash='', session_expires=0 WHERE session_hash=?");
  s.bind(1, session_hash);
  s.step();
}

crypto::SecureBytes load_kek_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(Errc::io, "cannot read the key-encryption key file '" + path + "'");
  crypto::SecureString text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() == 32) return crypto::SecureBytes(text.begin(), text.end());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  if (text.size() == 64) {
    try {
      auto b = crypto::from_hex(std::string_view(text.data(), text.size()));
      crypto::SecureBytes out(b.begin(), b.end());
      crypto::secure_wipe(b.data(), b.size());
      return out;
    } catch (const Error&) {
    }
  }
  fail(Errc::invalid_argument,
       "the key-encryption key file '" + path + "' must hold 64 hex digits or 32 raw bytes");
}

void create_kek_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    fail(Errc::io,
         "cannot create the key-encryption key file '" + path + "': " + std::strerror(errno));
  auto key = crypto::default_backend().random_bytes(32);
  std::string hex = crypto::to_hex(key) + "\n";
  crypto::secure_wipe(key.data(), key.size());
  bool ok = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  crypto::secure_wipe(hex.data(), hex.size());
  if (!ok) {
    ::unlink(path.c_str());
    fail(Errc::io, "cannot write the key-encryption key file '" + path + "'");
  }
}

bool SqliteStore::take_rate(const std::string& key, int limit, Time now,
                            std::chrono::seconds window) {
  std::lock_guard lock(mu_);
  const long long t = secs(now);
  if (++impl_->rate_calls % 1024 == 0) {  // windows that closed, now and then
    Stmt d(impl_->stmts, impl_->db, "DELETE FROM rate_window WHERE closes <= ?1");
    d.bind(1, t);
    d.step();
  }
  // Every CASE sees the row as it was. The count stops at limit + 1: it says "over" without
  // growing.
  Stmt s(impl_->stmts, impl_->db,
         "INSERT INTO rate_window (name, closes, hits) VALUES (?1, ?2 + ?3, 1) "
         "ON CONFLICT (name) DO UPDATE SET "
         "hits = CASE WHEN closes <= ?2 THEN 1 ELSE min(hits + 1, ?4 + 1) END, "
         "closes = CASE WHEN closes <= ?2 THEN ?2 + ?3 ELSE closes END RETURNING hits");
  s.bind(1, key).bind(2, t).bind(3, static_cast<long long>(window.count()));
  s.bind(4, static_cast<long long>(limit));
  if (!s.step()) db_fail(impl_->db, "counting a rate window");
  const long long count = s.integer(0);
  while (s.step()) {
  }
  return count <= limit;
}

}  // namespace openrms::licensing
