#include "test_store.hpp"

#include <pqxx/pqxx>

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <string>

#include "openrms/licensing/postgres_store.hpp"

namespace openrms::licensing::testing {

namespace {

const char* pg_conninfo() {
  const char* c = std::getenv("OPENRMS_TEST_PG");
  return c && *c ? c : nullptr;
}

// A PostgresStore in a schema made for it, dropped when the store goes.
class SchemaStore final : public Store {
 public:
  SchemaStore(const std::string& conninfo, crypto::SecureBytes kek) : conninfo_(conninfo) {
    static std::atomic<int> n{0};
    schema_ = "t" + std::to_string(::getpid()) + "_" + std::to_string(n++);
    {
      pqxx::connection c(conninfo_);
      pqxx::work w(c);
      w.exec("CREATE SCHEMA " + schema_);
      w.commit();
    }
    store_ = std::make_unique<PostgresStore>(
        conninfo_ + " options='-c search_path=" + schema_ + "'", std::move(kek), 8);
  }
  ~SchemaStore() override {
    store_.reset();
    try {
      pqxx::connection c(conninfo_);
      pqxx::work w(c);
      w.exec("DROP SCHEMA " + schema_ + " CASCADE");
      w.commit();
    } catch (...) {
    }
  }
  void add_generation(const ServerGeneration& g) override { store_->add_generation(g); }
  std::vector<ServerGeneration> generations() override { return store_->generations(); }
  void put_template(const Template& t) override { store_->put_template(t); }
  std::optional<Template> get_template(const std::string& id) override {
    return store_->get_template(id);
  }
  std::vector<Template> list_templates(bool all) override { return store_->list_templates(all); }
  bool add_content(const ContentRecord& c) override { return store_->add_content(c); }
  std::optional<ContentRecord> get_content(const std::string& id) override {
    return store_->get_content(id);
  }
  void set_revoked(const std::string& id, Time when) override { store_->set_revoked(id, when); }
  void add_tracking(const TrackingEntry& e) override { store_->add_tracking(e); }
  void visit_tracking(const std::string& id, std::int64_t after, std::size_t limit,
                      const TrackingVisitor& visit) override {
    store_->visit_tracking(id, after, limit, visit);
  }
  void add_rac(const RacRecord& r) override { store_->add_rac(r); }
  std::vector<RacRecord> racs(const std::string& user) override { return store_->racs(user); }
  std::optional<std::string> setting(const std::string& key) override {
    return store_->setting(key);
  }
  void set_setting(const std::string& key, const std::string& value) override {
    store_->set_setting(key, value);
  }
  void put_portal_message(const PortalMessage& m) override { store_->put_portal_message(m); }
  std::optional<PortalMessage> portal_message(const std::string& id) override {
    return store_->portal_message(id);
  }
  std::optional<PortalAccess> portal_access(const std::string& id,
                                            const std::string& address) override {
    return store_->portal_access(id, address);
  }
  void set_passcode(const std::string& id, const std::string& address, const std::string& hash,
                    Time expires) override {
    store_->set_passcode(id, address, hash, expires);
  }
  int passcode_failed(const std::string& id, const std::string& address, int limit,
                      Time lock_until) override {
    return store_->passcode_failed(id, address, limit, lock_until);
  }
  bool open_portal_session(const std::string& id, const std::string& address,
                           const std::string& hash, Time now, const std::string& session,
                           Time expires) override {
    return store_->open_portal_session(id, address, hash, now, session, expires);
  }
  std::optional<PortalAccess> portal_session(const std::string& session) override {
    return store_->portal_session(session);
  }
  void end_portal_session(const std::string& session) override {
    store_->end_portal_session(session);
  }
  bool take_rate(const std::string& key, int limit, Time now,
                 std::chrono::seconds window) override {
    return store_->take_rate(key, limit, now, window);
  }

 private:
  std::string conninfo_, schema_;
  std::unique_ptr<PostgresStore> store_;
};

}  // namespace

bool testing_postgres() {
  return pg_conninfo() != nullptr;
}

std::unique_ptr<Store> make_test_store(crypto::SecureBytes kek) {
  if (const char* c = pg_conninfo()) return std::make_unique<SchemaStore>(c, std::move(kek));
  return std::make_unique<SqliteStore>(":memory:", std::move(kek));
}

}  // namespace openrms::licensing::testing
