// The license server's state in PostgreSQL (DESIGN.md §6: several service nodes over one
// database), through libpqxx. The same semantics as SqliteStore (store.hpp), so the server
// behaves the same on either:
//   - schema in the connection's current schema (search_path), versioned in store_info and
//     migrated forward on open under an advisory lock (two nodes starting at once migrate once);
//     a newer schema is refused (Error{unsupported}), a schema with someone else's tables too
//     (Error{bad_format});
//   - server private keys encrypted under the KEK exactly as in SqliteStore (AES-256-GCM, the
//     same associated data and check value): a wrong KEK is Error{wrong_password};
//   - every write is one statement in its own transaction, committed durably before the call
//     returns (synchronous_commit as the server has it; PostgreSQL's default is on). The
//     tracking log needs no group commit here: PostgreSQL flushes the WAL of concurrent
//     commits together.
// Connections: a pool of at most `pool_size`, opened on demand, each with its statements
// prepared; a connection that breaks is dropped and replaced on the next call. A tracking read
// streams (COPY) and holds its connection while the visitor runs; it may borrow a second one
// that is free at that moment, to fetch the parties of rows it has not seen, never waiting
// for one. A connection lost after rows were visited is Error{unavailable}, never a second
// pass over the same rows.
// Errors: Error{unavailable} when the database cannot be reached (the service answers 503 and
// /readyz goes false), Error{io} for a failed statement (PostgreSQL's message, never a key or a
// parameter value), plus those above.
// Thread safety: all members may be called concurrently.
#pragma once

#include <memory>
#include <string>

#include "openrms/licensing/store.hpp"

namespace openrms::licensing {

class PostgresStore final : public Store {
 public:
  /// `conninfo`: a libpq connection string or URI ("postgresql://host/db", "host=/run/pg
  /// dbname=openrms"). Connects once to migrate and check the KEK.
  PostgresStore(const std::string& conninfo, crypto::SecureBytes kek, std::size_t pool_size = 16);
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  static constexpr int kSchemaVersion = 6;
  int schema_version();

  void add_generation(const ServerGeneration& g) override;
  std::vector<ServerGeneration> generations() override;
  void put_template(const Template& t) override;
  std::optional<Template> get_template(const std::string& id) override;
  std::vector<Template> list_templates(bool include_archived) override;
  bool add_content(const ContentRecord& c) override;
  std::optional<ContentRecord> get_content(const std::string& content_id) override;
  void set_revoked(const std::string& content_id, Time when) override;
  void add_tracking(const TrackingEntry& e) override;
  void visit_tracking(const std::string& content_id, std::int64_t after_seq, std::size_t limit,
                      const TrackingVisitor& visit) override;
  void add_rac(const RacRecord& r) override;
  std::vector<RacRecord> racs(const std::string& user) override;
  std::optional<std::string> setting(const std::string& key) override;
  void set_setting(const std::string& key, const std::string& value) override;
  void put_portal_message(const PortalMessage& m) override;
  std::optional<PortalMessage> portal_message(const std::string& content_id) override;
  std::optional<PortalAccess> portal_access(const std::string& content_id,
                                            const std::string& address) override;
  void set_passcode(const std::string& content_id, const std::string& address,
                    const std::string& code_hash, Time expires) override;
  int passcode_failed(const std::string& content_id, const std::string& address, int limit,
                      Time lock_until) override;
  bool open_portal_session(const std::string& content_id, const std::string& address,
                           const std::string& code_hash, Time now, const std::string& session_hash,
                           Time session_expires) override;
  std::optional<PortalAccess> portal_session(const std::string& session_hash) override;
  void end_portal_session(const std::string& session_hash) override;
  bool take_rate(const std::string& key, int limit, Time now, std::chrono::seconds window) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// True for a --store value that names a PostgreSQL database ("postgresql://…", "postgres://…").
bool is_postgres_uri(const std::string& store);

}  // namespace openrms::licensing
