#include "openrms/licensing/postgres_store.hpp"

#include <libpq-fe.h>
#include <pqxx/pqxx>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <span>
#include <unordered_set>
#include <vector>

#include "copy_rows.hpp"
#include "key_wrap.hpp"
#include "openrms/error.hpp"
#include "portal_schema.hpp"
#include "tracking_layout.hpp"

namespace openrms::licensing {

namespace {

long long secs(Time t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
Time from_secs(long long s) {
  return Time(std::chrono::seconds(s));
}

// Schema versions; each step runs once, in order, in the migration transaction.
const char* const kMigrations[] = {
    "CREATE TABLE server_generation (generation INTEGER PRIMARY KEY, slc_xml TEXT NOT NULL,"
    "  signing_key BYTEA NOT NULL, sealing_key BYTEA NOT NULL);"
    "CREATE TABLE template (id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL,"
    "  policy_xml TEXT NOT NULL, archived BOOLEAN NOT NULL, version INTEGER NOT NULL,"
    "  created BIGINT NOT NULL, updated BIGINT NOT NULL);"
    "CREATE TABLE content (content_id TEXT PRIMARY KEY, issuer TEXT NOT NULL,"
    "  owner TEXT NOT NULL, template_id TEXT NOT NULL, license_hash TEXT NOT NULL,"
    "  published_at BIGINT NOT NULL, revoked_at BIGINT);"
    "CREATE TABLE tracking (seq BIGSERIAL PRIMARY KEY, time BIGINT NOT NULL,"
    "  user_email TEXT NOT NULL, content_id TEXT NOT NULL, rights TEXT NOT NULL,"
    "  issuer TEXT NOT NULL, owner TEXT NOT NULL, outcome TEXT NOT NULL);"
    "CREATE INDEX tracking_content ON tracking(content_id);"
    "CREATE TABLE rac (serial TEXT PRIMARY KEY, user_email TEXT NOT NULL, key_id TEXT NOT NULL,"
    "  issued_at BIGINT NOT NULL, valid_until BIGINT NOT NULL);"
    "CREATE INDEX rac_user ON rac(user_email);"
    "CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    "ALTER TABLE tracking ADD COLUMN license_id TEXT NOT NULL DEFAULT '';",
    ("ALTER TABLE server_generation ADD COLUMN signing_key_ref TEXT NOT NULL DEFAULT '',"
     "  ADD COLUMN sealing_key_ref TEXT NOT NULL DEFAULT '';"
     // Pages of one content id's log by seq, without a sort.
     "CREATE INDEX tracking_content_seq ON tracking(content_id, seq);"
     "DROP INDEX tracking_content;"),
    OPENRMS_PORTAL_SCHEMA("BIGINT", "BYTEA"),
    // The compact tracking log (tracking_layout.hpp); seq continues the old numbering.
    "CREATE TABLE tracking_content (id BIGSERIAL PRIMARY KEY, content_id TEXT NOT NULL UNIQUE);"
    "CREATE TABLE tracking_party (id BIGSERIAL PRIMARY KEY, user_email TEXT NOT NULL,"
    "  rights TEXT NOT NULL, issuer TEXT NOT NULL, owner TEXT NOT NULL, outcome TEXT NOT NULL,"
    "  UNIQUE (user_email, rights, issuer, owner, outcome));"
    "CREATE TABLE tracking_entry (content BIGINT NOT NULL, seq BIGINT NOT NULL,"
    "  time BIGINT NOT NULL, party BIGINT NOT NULL, license_id TEXT NOT NULL,"
    "  PRIMARY KEY (content, seq));"
    "INSERT INTO tracking_content (content_id) SELECT DISTINCT content_id FROM tracking;"
    "INSERT INTO tracking_party (user_email, rights, issuer, owner, outcome)"
    "  SELECT DISTINCT user_email, rights, issuer, owner, outcome FROM tracking;"
    "INSERT INTO tracking_entry SELECT c.id, t.seq, t.time, p.id, t.license_id FROM tracking t"
    "  JOIN tracking_content c ON c.content_id = t.content_id"
    "  JOIN tracking_party p ON (p.user_email, p.rights, p.issuer, p.owner, p.outcome) ="
    "   (t.user_email, t.rights, t.issuer, t.owner, t.outcome);"
    "CREATE SEQUENCE tracking_entry_seq;"
    "SELECT setval('tracking_entry_seq',"
    "  greatest((SELECT max(seq) FROM tracking), (SELECT last_value FROM tracking_seq_seq), 1));"
    "DROP TABLE tracking;"
    "ALTER TABLE tracking_entry RENAME TO tracking;"
    "ALTER TABLE tracking ALTER COLUMN seq SET DEFAULT nextval('tracking_entry_seq');"
    "ALTER SEQUENCE tracking_entry_seq OWNED BY tracking.seq;",
    // Rate windows every node shares (Store::take_rate).
    "CREATE TABLE rate_window (name TEXT PRIMARY KEY, closes BIGINT NOT NULL,"
    "  hits INTEGER NOT NULL);"
    "CREATE INDEX rate_window_closes ON rate_window(closes);",
};
static_assert(std::size(kMigrations) == PostgresStore::kSchemaVersion);

// Prepared on every connection of the pool.
const std::pair<const char*, const char*> kStatements[] = {
    {"add_generation", "INSERT INTO server_generation VALUES ($1, $2, $3, $4, $5, $6)"},
    {"generations",
     "SELECT generation, slc_xml, signing_key, sealing_key, signing_key_ref, sealing_key_ref "
     "FROM server_generation ORDER BY generation"},
    {"put_template",
     "INSERT INTO template VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE "
     "SET name = $2, description = $3, policy_xml = $4, archived = $5, version = $6, "
     "created = $7, updated = $8"},
    {"get_template",
     "SELECT id, name, description, policy_xml, archived, version, created, updated "
     "FROM template WHERE id = $1"},
    {"list_templates",
     "SELECT id, name, description, policy_xml, archived, version, created, updated "
     "FROM template WHERE $1 OR NOT archived ORDER BY name, id"},
    {"add_content",
     "INSERT INTO content VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7::BIGINT, -1)) "
     "ON CONFLICT (content_id) DO NOTHING"},
    {"get_content",
     "SELECT content_id, issuer, owner, template_id, license_hash, published_at, revoked_at "
     "FROM content WHERE content_id = $1"},
    {"set_revoked",
     "UPDATE content SET revoked_at = $1 WHERE content_id = $2 AND revoked_at IS NULL"},
    // A row whose content and party numbers this node knows.
    {"add_tracking_numbered",
     "INSERT INTO tracking (content, time, party, license_id) VALUES ($1, $2, $3, $4)"},
    // A row whose numbers it does not: they are made or found (DO UPDATE, unlike DO NOTHING,
    // returns the row another transaction has just committed) and returned.
    {"add_tracking",
     "WITH c AS (INSERT INTO tracking_content (content_id) VALUES ($2) ON CONFLICT (content_id) "
     "DO UPDATE SET content_id = EXCLUDED.content_id RETURNING id), "
     "p AS (INSERT INTO tracking_party (user_email, rights, issuer, owner, outcome) "
     "VALUES ($3, $4, $5, $6, $7) ON CONFLICT (user_email, rights, issuer, owner, outcome) "
     "DO UPDATE SET outcome = EXCLUDED.outcome RETURNING id) "
     "INSERT INTO tracking (content, time, party, license_id) "
     "SELECT c.id, $1::BIGINT, p.id, $8::TEXT FROM c, p RETURNING content, party"},
    {"tracking_content_number", "SELECT id FROM tracking_content WHERE content_id = $1"},
    {"tracking_parties",
     "SELECT id, user_email, rights, issuer, owner, outcome FROM tracking_party "
     "WHERE id = ANY($1::BIGINT[])"},
    {"add_rac",
     "INSERT INTO rac VALUES ($1, $2, $3, $4, $5) ON CONFLICT (serial) DO UPDATE "
     "SET user_email = $2, key_id = $3, issued_at = $4, valid_until = $5"},
    {"racs",
     "SELECT serial, user_email, key_id, issued_at, valid_until FROM rac WHERE user_email = $1 "
     "ORDER BY issued_at"},
    {"setting", "SELECT value FROM setting WHERE key = $1"},
    {"set_setting",
     "INSERT INTO setting VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2"},
    {"put_portal_message",
     "INSERT INTO portal_message VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (content_id) "
     "DO UPDATE SET sender = $2, recipients = $3, wrapper = $4, stored_at = $5, branding = $6"},
    {"portal_message",
     "SELECT content_id, sender, recipients, wrapper, stored_at, branding FROM portal_message "
     "WHERE content_id = $1"},
    {"portal_access",
     "SELECT content_id, address, code_hash, code_expires, failures, locked_until, session_hash, "
     "session_expires FROM portal_access WHERE content_id = $1 AND address = $2"},
    {"set_passcode",
     "INSERT INTO portal_access (content_id, address, code_hash, code_expires) "
     "VALUES ($1, $2, $3, $4) ON CONFLICT (content_id, address) DO UPDATE "
     "SET code_hash = $3, code_expires = $4"},
    // Every CASE sees the row as it was. The count stops at limit + 1: "over" without growing.
    {"take_rate",
     "INSERT INTO rate_window AS w (name, closes, hits) VALUES ($1, $2::BIGINT + $3::BIGINT, 1) "
     "ON CONFLICT (name) DO UPDATE SET "
     "hits = CASE WHEN w.closes <= $2 THEN 1 ELSE LEAST(w.hits + 1, $4::INTEGER + 1) END, "
     "closes = CASE WHEN w.closes <= $2 THEN $2::BIGINT + $3::BIGINT ELSE w.closes END "
     "RETURNING hits"},
    {"forget_rates", "DELETE FROM rate_window WHERE closes <= $1"},
    // Every CASE sees the row as it was: the limit-th failure locks, burns the code, resets.
    {"passcode_failed",
     "UPDATE portal_access SET "
     "locked_until = CASE WHEN failures + 1 >= $3 THEN $4 ELSE locked_until END, "
     "code_hash = CASE WHEN failures + 1 >= $3 THEN '' ELSE code_hash END, "
     "failures = CASE WHEN failures + 1 >= $3 THEN 0 ELSE failures + 1 END "
     "WHERE content_id = $1 AND address = $2 RETURNING failures"},
    {"open_portal_session",
     "UPDATE portal_access SET code_hash = '', failures = 0, session_hash = $5, "
     "session_expires = $6 WHERE content_id = $1 AND address = $2 AND code_hash = $3 "
     "AND code_hash <> '' AND code_expires > $4 AND (locked_until IS NULL OR locked_until <= $4)"},
    {"portal_session",
     "SELECT content_id, address, code_hash, code_expires, failures, locked_until, session_hash, "
     "session_expires FROM portal_access WHERE session_hash = $1 AND session_hash <> ''"},
    {"end_portal_session",
     "UPDATE portal_access SET session_hash = '', session_expires = 0 WHERE session_hash = $1 "
     "AND session_hash <> ''"},
};

// The first line of a PostgreSQL message (the rest repeats the statement).
std::string first_line(const char* what) {
  std::string s(what);
  return s.substr(0, s.find('\n'));
}

Template read_template(const pqxx::row& r) {
  Template t;
  t.id = r[0].as<std::string>();
  t.name = r[1].as<std::string>();
  t.description = r[2].as<std::string>();
  t.policy = policy_from_xml(r[3].as<std::string>());
  t.archived = r[4].as<bool>();
  t.version = r[5].as<int>();
  t.created = from_secs(r[6].as<long long>());
  t.updated = from_secs(r[7].as<long long>());
  return t;
}

crypto::Bytes bytes_of(const pqxx::field& f) {
  pqxx::binarystring b(f);
  return crypto::Bytes(b.data(), b.data() + b.size());
}

PortalAccess read_access(const pqxx::row& r) {
  PortalAccess a;
  a.content_id = r[0].as<std::string>();
  a.address = r[1].as<std::string>();
  a.code_hash = r[2].as<std::string>();
  a.code_expires = from_secs(r[3].as<long long>());
  a.failures = r[4].as<int>();
  if (!r[5].is_null()) a.locked_until = from_secs(r[5].as<long long>());
  a.session_hash = r[6].as<std::string>();
  a.session_expires = from_secs(r[7].as<long long>());
  return a;
}

}  // namespace

bool is_postgres_uri(const std::string& store) {
  return store.rfind("postgresql://", 0) == 0 || store.rfind("postgres://", 0) == 0;
}

struct PostgresStore::Impl {
  class TrackingStream;
  std::string conninfo;
  std::size_t max_connections;
  std::optional<detail::KeyWrap> keys;
  detail::TrackingNumbers numbers;  // of content ids and parties, shared by every connection
  std::atomic<std::uint64_t> rate_calls{0};  // take_rate prunes closed windows now and then
  std::mutex mu;
  std::condition_variable freed;
  std::vector<std::unique_ptr<pqxx::connection>> idle;
  std::size_t open = 0;  // connections made and not dropped (idle or leased)

  std::unique_ptr<pqxx::connection> connect() {
    auto c = std::make_unique<pqxx::connection>(conninfo);
    // No JIT compilation: no statement here runs long enough for compiled expressions to repay
    // the compile. A long tracking log once made a read's cost estimate pass JIT's threshold,
    // and its plan was compiled on every run (100,000 rows: 120-155 ms with JIT, 65 without).
    c->set_variable("jit", "off");
    for (const auto& [name, sql] : kStatements) c->prepare(name, sql);
    return c;
  }

  // A connection for one call; given back (or dropped if it broke) when the lease ends.
  class Lease {
   public:
    explicit Lease(Impl& m) : Lease(m, true) {}
    // A connection only if one is idle or may be opened: never waits for another caller's.
    Lease(Impl& m, std::try_to_lock_t) : Lease(m, false) {}
    ~Lease() {
      if (!c_) return;
      if (!c_->is_open()) {
        drop();
        return;
      }
      std::lock_guard lock(m_.mu);
      m_.idle.push_back(std::move(c_));
      m_.freed.notify_one();
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    explicit operator bool() const { return c_ != nullptr; }
    pqxx::connection& operator*() { return *c_; }
    bool fresh() const { return fresh_; }
    // This connection broke: so did every idle one opened before the same restart.
    void broken() {
      c_.reset();
      std::vector<std::unique_ptr<pqxx::connection>> stale;
      {
        std::lock_guard lock(m_.mu);
        stale.swap(m_.idle);
        m_.open -= stale.size();
      }
      drop();
    }

   private:
    Lease(Impl& m, bool wait) : m_(m) {
      std::unique_lock lock(m_.mu);
      if (wait)
        m_.freed.wait(lock, [&] { return !m_.idle.empty() || m_.open < m_.max_connections; });
      if (!m_.idle.empty()) {
        c_ = std::move(m_.idle.back());
        m_.idle.pop_back();
        return;
      }
      if (m_.open >= m_.max_connections) return;
      ++m_.open;
      fresh_ = true;
      lock.unlock();
      try {
        c_ = m_.connect();
      } catch (...) {
        drop();
        throw;
      }
    }
    void drop() {
      std::lock_guard lock(m_.mu);
      --m_.open;
      m_.freed.notify_one();
    }
    Impl& m_;
    std::unique_ptr<pqxx::connection> c_;
    bool fresh_ = false;
  };

  // Runs `f(connection)` and maps libpqxx's exceptions to the error model. A pooled connection
  // found broken (the database restarted since it was last used) is replaced and `f` tried once
  // more: the failure came when sending the first statement, so nothing of it ran.
  template <class F>
  auto run(const char* what, F&& f) {
    try {
      for (int attempt = 0;; ++attempt) {
        Lease lease(*this);
        const bool fresh = lease.fresh();
        try {
          return f(*lease);
        } catch (const pqxx::broken_connection&) {
          lease.broken();
          if (fresh || attempt > 0) throw;
        }
      }
    } catch (const pqxx::broken_connection& e) {
      fail(Errc::unavailable, std::string("store: PostgreSQL cannot be reached (") + what +
                                  "): " + first_line(e.what()));
    } catch (const pqxx::sql_error& e) {
      fail(Errc::io, std::string("store: ") + what + ": " + first_line(e.what()));
    } catch (const pqxx::failure& e) {
      fail(Errc::io, std::string("store: ") + what + ": " + first_line(e.what()));
    }
  }

  template <class... Args>
  pqxx::result exec(const char* name, Args&&... args) {
    return run(name, [&](pqxx::connection& c) {
      pqxx::work w(c);
      pqxx::result r = w.exec_prepared(name, std::forward<Args>(args)...);
      w.commit();
      return r;
    });
  }

  void migrate() {
    run("migrating the schema", [&](pqxx::connection& c) {
      pqxx::work w(c);
      // One node migrates; the others wait here and then find the work done.
      w.exec("SELECT pg_advisory_xact_lock(5179413)");
      w.exec("CREATE TABLE IF NOT EXISTS store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      auto app = w.exec("SELECT value FROM store_info WHERE key = 'application'");
      auto ver = w.exec("SELECT value FROM store_info WHERE key = 'schema_version'");
      int version = ver.empty() ? 0 : std::stoi(ver[0][0].as<std::string>());
      if (app.empty()) {
        auto others = w.exec(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_name <> 'store_info'");
        if (others[0][0].as<long long>() != 0)
          fail(Errc::bad_format, "store: the database schema holds another application's tables");
        w.exec("INSERT INTO store_info VALUES ('application', 'openrms')");
      } else if (app[0][0].as<std::string>() != "openrms") {
        fail(Errc::bad_format, "store: the database is not an openrms store");
      }
      if (version > kSchemaVersion)
        fail(Errc::unsupported, "store: schema version " + std::to_string(version) +
                                    " is newer than this openrms (" +
                                    std::to_string(kSchemaVersion) + "): upgrade openrms");
      for (int v = version; v < kSchemaVersion; ++v) w.exec(kMigrations[v]);
      w.exec_params(
          "INSERT INTO store_info VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE "
          "SET value = $1",
          std::to_string(kSchemaVersion));
      w.commit();
      return 0;
    });
  }

  // As SqliteStore: a recorded check value tells a wrong KEK at open; a store without one
  // records it once the first server key decrypts.
  void check_kek() {
    const std::string mine = keys->check_value();
    run("checking the key-encryption key", [&](pqxx::connection& c) {
      pqxx::work w(c);
      auto r = w.exec("SELECT value FROM store_info WHERE key = 'kek_check'");
      if (!r.empty()) {
        keys->kek_matches =
            crypto::ct_equal(crypto::as_bytes(r[0][0].as<std::string>()), crypto::as_bytes(mine));
        if (!*keys->kek_matches)
          fail(Errc::wrong_password,
               "store: this key-encryption key is not the store's (check --kek-file)");
        return 0;
      }
      auto g = w.exec(
          "SELECT generation, signing_key FROM server_generation WHERE signing_key_ref = '' "
          "ORDER BY generation LIMIT 1");
      if (!g.empty()) {
        try {
          (void)keys->unwrap(bytes_of(g[0][1]),
                             detail::KeyWrap::aad("sign", g[0][0].as<std::uint32_t>()));
        } catch (const Error&) {
          return 0;  // undecided: unwrap() reports a failure when the keys are used
        }
      }
      w.exec_params("INSERT INTO store_info VALUES ('kek_check', $1) ON CONFLICT DO NOTHING", mine);
      w.commit();
      keys->kek_matches = true;
      return 0;
    });
  }
};

PostgresStore::PostgresStore(const std::string& conninfo, crypto::SecureBytes kek,
                             std::size_t pool_size)
    : impl_(std::make_unique<Impl>()) {
  impl_->conninfo = conninfo;
  impl_->max_connections = pool_size == 0 ? 1 : pool_size;
  impl_->keys.emplace(std::move(kek));
  impl_->migrate();
  impl_->check_kek();
}

PostgresStore::~PostgresStore() = default;

int PostgresStore::schema_version() {
  return impl_->run("reading the schema version", [](pqxx::connection& c) {
    pqxx::nontransaction n(c);
    auto r = n.exec("SELECT value FROM store_info WHERE key = 'schema_version'");
    return r.empty() ? 0 : std::stoi(r[0][0].as<std::string>());
  });
}

void PostgresStore::add_generation(const ServerGeneration& g) {
  auto [a, b] = impl_->keys->wrap_generation(g);
  impl_->exec("add_generation", static_cast<long long>(g.generation), g.slc_xml,
              pqxx::binarystring(a.data(), a.size()), pqxx::binarystring(b.data(), b.size()),
              g.signing_key_ref, g.sealing_key_ref);
}

std::vector<ServerGeneration> PostgresStore::generations() {
  std::vector<ServerGeneration> out;
  for (const auto& r : impl_->exec("generations")) {
    ServerGeneration g;
    g.generation = r[0].as<std::uint32_t>();
    g.slc_xml = r[1].as<std::string>();
    g.signing_key_ref = r[4].as<std::string>();
    g.sealing_key_ref = r[5].as<std::string>();
    impl_->keys->unwrap_generation(g, bytes_of(r[2]), bytes_of(r[3]));
    out.push_back(std::move(g));
  }
  return out;
}

void PostgresStore::put_template(const Template& t) {
  impl_->exec("put_template", t.id, t.name, t.description, policy_to_xml(t.policy), t.archived,
              t.version, secs(t.created), secs(t.updated));
}

std::optional<Template> PostgresStore::get_template(const std::string& id) {
  auto r = impl_->exec("get_template", id);
  if (r.empty()) return std::nullopt;
  return read_template(r[0]);
}

std::vector<Template> PostgresStore::list_templates(bool include_archived) {
  std::vector<Template> out;
  for (const auto& r : impl_->exec("list_templates", include_archived))
    out.push_back(read_template(r));
  return out;
}

bool PostgresStore::add_content(const ContentRecord& c) {
  auto r =
      impl_->exec("add_content", c.content_id, c.issuer, c.owner, c.template_id, c.license_hash,
                  secs(c.published_at), c.revoked_at ? secs(*c.revoked_at) : -1LL);
  return r.affected_rows() == 1;
}

std::optional<ContentRecord> PostgresStore::get_content(const std::string& id) {
  auto r = impl_->exec("get_content", id);
  if (r.empty()) return std::nullopt;
  ContentRecord c;
  c.content_id = r[0][0].as<std::string>();
  c.issuer = r[0][1].as<std::string>();
  c.owner = r[0][2].as<std::string>();
  c.template_id = r[0][3].as<std::string>();
  c.license_hash = r[0][4].as<std::string>();
  c.published_at = from_secs(r[0][5].as<long long>());
  if (!r[0][6].is_null()) c.revoked_at = from_secs(r[0][6].as<long long>());
  return c;
}

void PostgresStore::set_revoked(const std::string& id, Time when) {
  impl_->exec("set_revoked", secs(when), id);
}

void PostgresStore::add_tracking(const TrackingEntry& e) {
  Impl& m = *impl_;
  const auto content = m.numbers.content(e.content_id);
  const auto party = m.numbers.party(e);
  if (content && party) {
    m.exec("add_tracking_numbered", *content, secs(e.time), *party, e.license_id);
    return;
  }
  const pqxx::result r = m.exec("add_tracking", secs(e.time), e.content_id, e.user, e.rights,
                                e.issuer, e.owner, e.outcome, e.license_id);
  m.numbers.remember(e, r[0][0].as<std::int64_t>(), r[0][1].as<std::int64_t>());
}

namespace {

// libpq's handle of a connection libpqxx holds: libpqxx 6 reads a COPY only as text lines, a
// string each. largeobject's accessor is protected, for classes that extend it, as this does.
struct RawConnection : pqxx::largeobject {
  static PGconn* of(const pqxx::dbtransaction& t) { return raw_connection(t); }
};

// One `COPY ... TO STDOUT` read message by message through libpq. Failures are libpqxx's
// exceptions, so Impl::run maps them as for any statement. Leaving before the end (an
// exception) cancels the COPY and drains it: the connection goes back to the pool idle.
class CopyOut {
 public:
  CopyOut(PGconn* c, const std::string& sql) : c_(c) {
    PGresult* r = PQexec(c_, sql.c_str());
    const bool copying = PQresultStatus(r) == PGRES_COPY_OUT;
    const std::string error = copying ? "" : PQresultErrorMessage(r);
    PQclear(r);
    if (!copying) {
      done_ = true;
      raise(error);
    }
  }
  ~CopyOut() {
    if (done_) return;
    // The server stops at once; a cancel that comes after it finished has no effect.
    if (PGcancel* k = PQgetCancel(c_)) {
      char ignored[256];
      PQcancel(k, ignored, sizeof ignored);
      PQfreeCancel(k);
    }
    char* b = nullptr;
    while (PQgetCopyData(c_, &b, 0) > 0) PQfreemem(b);
    while (PGresult* r = PQgetResult(c_)) PQclear(r);
  }
  CopyOut(const CopyOut&) = delete;
  CopyOut& operator=(const CopyOut&) = delete;

  /// The next message (valid until the next call), or an empty span once the COPY ended well.
  std::span<const char> next() {
    buffer_.reset();
    char* b = nullptr;
    const int n = PQgetCopyData(c_, &b, 0);
    if (n > 0) {
      buffer_.reset(b);
      return {b, static_cast<std::size_t>(n)};
    }
    done_ = true;
    std::string error = n == -1 ? "" : PQerrorMessage(c_);
    while (PGresult* r = PQgetResult(c_)) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK && error.empty()) error = PQresultErrorMessage(r);
      PQclear(r);
    }
    if (!error.empty()) raise(error);
    return {};
  }

 private:
  [[noreturn]] void raise(const std::string& error) const {
    if (PQstatus(c_) == CONNECTION_BAD) throw pqxx::broken_connection(error);
    throw pqxx::sql_error(error);
  }
  struct Free {
    void operator()(char* p) const { PQfreemem(p); }
  };
  PGconn* c_;
  std::unique_ptr<char, Free> buffer_;
  bool done_ = false;
};

}  // namespace

// One read of a log: rows go to the visitor in log order with their parties filled. A party
// this read or this node has seen is known at once. From the first row whose party is not on,
// rows wait (copied) while the COPY goes on, and their parties are fetched in one query: every
// kBatch rows on a second connection if the pool has one free at once, else on this connection
// when the COPY has ended. Rows are passed on only after their parties: never out of order.
class PostgresStore::Impl::TrackingStream {
 public:
  static constexpr std::size_t kBatch = 4096;

  TrackingStream(Impl& m, const std::string& content_id, const TrackingVisitor& visit,
                 std::size_t& visited)
      : m_(m), visit_(visit), visited_(visited) {
    row_.content_id = content_id;
  }

  void message(std::span<const char> bytes) {
    reader_.message(bytes, [this](const detail::CopyRow& r) { add(r); });
  }

  /// After the COPY: the waiting rows' parties through `w` (this read's connection), then them.
  void finish(pqxx::dbtransaction& w) {
    if (!reader_.ended()) fail(Errc::io, "store: the tracking log's COPY ended without its end");
    if (!unknown_.empty()) fetch(w);
    flush();
  }

 private:
  struct Waiting {
    std::int64_t seq, time, party;
    std::string license_id;
  };

  void add(const detail::CopyRow& r) {
    const detail::TrackingParty* p = known(r.party);
    if (p && waiting_.empty()) return emit(r.seq, r.time, *p, r.license_id);
    if (!p) unknown_.insert(r.party);
    waiting_.push_back({r.seq, r.time, r.party, std::string(r.license_id)});
    if (waiting_.size() % kBatch == 0 && !unknown_.empty()) fetch_aside();
    if (unknown_.empty()) flush();
  }

  const detail::TrackingParty* known(std::int64_t number) {
    if (number == last_number_) return last_;
    auto it = parties_.find(number);
    if (it == parties_.end()) {
      auto p = m_.numbers.named(number);
      if (!p) return nullptr;
      it = parties_.emplace(number, std::move(p)).first;
    }
    last_number_ = number;
    last_ = it->second.get();
    return last_;
  }

  // On a second connection, if there is one to be had without waiting; a failure there only
  // leaves the rows waiting for the end.
  void fetch_aside() {
    try {
      Lease other(m_, std::try_to_lock);
      if (!other) return;
      pqxx::nontransaction n(*other);
      fetch(n);
    } catch (const pqxx::failure&) {
    }
  }

  void fetch(pqxx::transaction_base& t) {
    const std::string list = detail::number_list(unknown_, '{', '}');
    for (const auto& r : t.exec_prepared("tracking_parties", list)) {
      auto p = std::make_shared<const detail::TrackingParty>(detail::TrackingParty{
          r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>(),
          r[4].as<std::string>(), r[5].as<std::string>()});
      const auto number = r[0].as<std::int64_t>();
      m_.numbers.name(number, p);
      parties_.insert_or_assign(number, std::move(p));
    }
    unknown_.clear();
  }

  void flush() {
    for (const Waiting& w : waiting_) {
      const detail::TrackingParty* p = known(w.party);
      if (!p) detail::missing_party(w.party);
      emit(w.seq, w.time, *p, w.license_id);
    }
    waiting_.clear();
  }

  void emit(std::int64_t seq, std::int64_t time, const detail::TrackingParty& p,
            std::string_view license_id) {
    row_.seq = seq;
    row_.time = from_secs(time);
    detail::set_party(row_, p);
    row_.license_id = license_id;
    visit_(row_);
    ++visited_;
  }

  Impl& m_;
  const TrackingVisitor& visit_;
  std::size_t& visited_;
  TrackingRow row_;
  detail::CopyRowReader reader_;
  std::unordered_map<std::int64_t, std::shared_ptr<const detail::TrackingParty>> parties_;
  std::int64_t last_number_ = -1;
  const detail::TrackingParty* last_ = nullptr;
  std::vector<Waiting> waiting_;
  std::unordered_set<std::int64_t> unknown_;
};

void PostgresStore::visit_tracking(const std::string& id, std::int64_t after, std::size_t limit,
                                   const TrackingVisitor& visit) {
  // Through COPY, so rows reach the visitor while the database is still sending the rest
  // (copy_rows.hpp). COPY takes no parameters: the statement holds only numbers.
  Impl& m = *impl_;
  std::size_t visited = 0;
  m.run("tracking", [&](pqxx::connection& c) {
    pqxx::read_transaction w(c);
    auto content = m.numbers.content(id);
    if (!content) {
      const pqxx::result r = w.exec_prepared("tracking_content_number", id);
      if (r.empty()) return;
      content = r[0][0].as<std::int64_t>();
      m.numbers.remember_content(id, *content);
    }
    const std::string sql =
        "COPY (SELECT seq, time, party, license_id FROM tracking WHERE content = " +
        std::to_string(*content) + " AND seq > " + std::to_string(after) + " ORDER BY seq" +
        (limit != 0 ? " LIMIT " + std::to_string(limit) : "") + ") TO STDOUT (FORMAT binary)";
    Impl::TrackingStream stream(m, id, visit, visited);
    try {
      {
        CopyOut copy(RawConnection::of(w), sql);
        for (auto bytes = copy.next(); !bytes.empty(); bytes = copy.next()) stream.message(bytes);
      }
      stream.finish(w);
      w.commit();
    } catch (const pqxx::broken_connection& e) {
      // Rows were passed on: a second try would pass them again.
      if (visited != 0)
        fail(Errc::unavailable,
             "store: PostgreSQL was lost in the middle of a tracking log: " + first_line(e.what()));
      throw;
    }
  });
}

void PostgresStore::add_rac(const RacRecord& r) {
  impl_->exec("add_rac", r.serial, r.user, r.key_id, secs(r.issued_at), secs(r.valid_until));
}

std::vector<RacRecord> PostgresStore::racs(const std::string& user) {
  std::vector<RacRecord> out;
  for (const auto& r : impl_->exec("racs", user))
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   from_secs(r[3].as<long long>()), from_secs(r[4].as<long long>())});
  return out;
}

std::optional<std::string> PostgresStore::setting(const std::string& key) {
  auto r = impl_->exec("setting", key);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

void PostgresStore::set_setting(const std::string& key, const std::string& value) {
  impl_->exec("set_setting", key, value);
}

void PostgresStore::put_portal_message(const PortalMessage& m) {
  const crypto::ByteView w = crypto::as_bytes(m.wrapper);
  impl_->exec("put_portal_message", m.content_id, m.sender, detail::join_lines(m.recipients),
              pqxx::binarystring(w.data(), w.size()), secs(m.stored_at), m.branding);
}

std::optional<PortalMessage> PostgresStore::portal_message(const std::string& content_id) {
  auto r = impl_->exec("portal_message", content_id);
  if (r.empty()) return std::nullopt;
  crypto::Bytes w = bytes_of(r[0][3]);
  return PortalMessage{r[0][0].as<std::string>(),
                       r[0][1].as<std::string>(),
                       detail::split_lines(r[0][2].as<std::string>()),
                       std::string(w.begin(), w.end()),
                       from_secs(r[0][4].as<long long>()),
                       r[0][5].as<std::string>()};
}

std::optional<PortalAccess> PostgresStore::portal_access(const std::string& content_id,
                                                         const std::string& address) {
  auto r = impl_->exec("portal_access", content_id, address);
  if (r.empty()) return std::nullopt;
  return read_access(r[0]);
}

void PostgresStore::set_passcode(const std::string& content_id, const std::string& address,
                                 const std::string& code_hash, Time expires) {
  impl_->exec("set_passcode", content_id, address, code_hash, secs(expires));
}

int PostgresStore::passcode_failed(const std::string& content_id, const std::string& address,
                                   int limit, Time lock_until) {
  auto r = impl_->exec("passcode_failed", content_id, address, limit, secs(lock_until));
  if (r.empty()) return 0;
  const int f = r[0][0].as<int>();
  return f == 0 ? limit : f;
}

bool PostgresStore::take_rate(const std::string& key, int limit, Time now,
                              std::chrono::seconds window) {
  Impl& m = *impl_;
  if (m.rate_calls.fetch_add(1) % 1024 == 1023) m.exec("forget_rates", secs(now));
  const auto r = m.exec("take_rate", key, secs(now), static_cast<long long>(window.count()), limit);
  return r[0][0].as<int>() <= limit;
}

bool PostgresStore::open_portal_session(const std::string& content_id, const std::string& address,
                                        const std::string& code_hash, Time now,
                                        const std::string& session_hash, Time session_expires) {
  auto r = impl_->exec("open_portal_session", content_id, address, code_hash, secs(now),
                       session_hash, secs(session_expires));
  return r.affected_rows() == 1;
}

std::optional<PortalAccess> PostgresStore::portal_session(const std::string& session_hash) {
  auto r = impl_->exec("portal_session", session_hash);
  if (r.empty()) return std::nullopt;
  return read_access(r[0]);
}

void PostgresStore::end_portal_session(const std::string& session_hash) {
  impl_->exec("end_portal_session", session_hash);
}

}  // namespace openrms::licensing
