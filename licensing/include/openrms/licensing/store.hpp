// The license server's persistent state, behind an interface (DESIGN.md §4 "Store").
//
// SqliteStore is the embedded default: one file, WAL journal, synchronous=FULL (a committed
// change survives power loss), schema version in PRAGMA user_version, migrated forward on open
// (a newer schema than this build knows is refused). Server private keys are stored encrypted
// under a 32-byte key-encryption key (AES-256-GCM, aad = key purpose and generation); a wrong
// KEK fails with Error{wrong_password} when the keys are read.
// Tracking rows are committed in groups (add_tracking returns once its row is durable; rows that
// arrive together share one transaction and fsync), on a second connection for a file store.
// PostgresStore (postgres_store.hpp) keeps the same contract in PostgreSQL.
// Thread safety: SqliteStore serialises its own calls (one main connection, one mutex).
// Errors: Error{io} for SQLite failures (message includes SQLite's text), Error{bad_format} for
// a file that is not an openrms store, Error{unsupported} for a newer schema.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/crypto/secure.hpp"
#include "openrms/licensing/clock.hpp"
#include "openrms/licensing/policy.hpp"

namespace openrms::licensing {

/// One generation of the server's keys (an SLC and its two private keys). The keys are either
/// here (PKCS#8, kept encrypted under the KEK) or held elsewhere, named by a KeyCustody
/// reference (a PKCS#11 URI), with the PKCS#8 fields empty.
struct ServerGeneration {
  std::uint32_t generation = 0;
  std::string slc_xml;
  crypto::SecureBytes signing_key_pkcs8;
  crypto::SecureBytes sealing_key_pkcs8;
  std::string signing_key_ref, sealing_key_ref;
  bool in_custody() const noexcept { return !signing_key_ref.empty(); }
};

struct ContentRecord {
  std::string content_id, issuer, owner, template_id, license_hash;
  Time published_at{};
  std::optional<Time> revoked_at;
};

struct TrackingEntry {
  Time time{};
  std::string user, content_id, rights, issuer, owner;
  /// "granted", "viewed" (read again under a use license granted before: the portal's later
  /// views of a session), or "refused: <reason code>"
  std::string outcome;
  std::string license_id;  ///< the use license's Id when granted, else empty
  std::int64_t seq = 0;    ///< its place in the store's log (set when read): a page cursor
};

/// One tracking row as a store reads it (Store::visit_tracking): the same fields as
/// TrackingEntry, viewed in the store's own buffers, valid only during the visitor's call. A
/// long log is read and rendered without a string allocated per field.
struct TrackingRow {
  Time time{};
  std::string_view user, content_id, rights, issuer, owner, outcome, license_id;
  std::int64_t seq = 0;

  TrackingEntry entry() const {
    return {time,
            std::string(user),
            std::string(content_id),
            std::string(rights),
            std::string(issuer),
            std::string(owner),
            std::string(outcome),
            std::string(license_id),
            seq};
  }
};
/// Called once per row, in log order. It must not call the store: the store may hold its lock.
using TrackingVisitor = std::function<void(const TrackingRow&)>;

struct RacRecord {
  std::string serial, user, key_id;
  Time issued_at{}, valid_until{};
};

/// A protected message deposited for the external-recipient portal: the wrapper as sent (its
/// content is encrypted: the store never holds a message in the clear) and who may ask for it.
struct PortalMessage {
  std::string content_id, sender;
  std::vector<std::string> recipients;  ///< lower-case addresses (To, Cc and Bcc)
  std::string wrapper;                  ///< the RFC 5322 wrapper message
  Time stored_at{};
  std::string branding;  ///< the branding template's identity (empty: the default)
};

/// One address's way into one portal message: its passcode (a keyed hash, never the code),
/// the wrong tries counted against it, the lock they caused and the session it opened.
struct PortalAccess {
  std::string content_id, address;
  std::string code_hash;  ///< empty: no passcode outstanding (none asked, used, or burnt)
  Time code_expires{};
  int failures = 0;
  std::optional<Time> locked_until;
  std::string session_hash;  ///< empty: no session
  Time session_expires{};
};

class Store {
 public:
  virtual ~Store() = default;

  virtual void add_generation(const ServerGeneration& g) = 0;
  /// Every generation, oldest first.
  virtual std::vector<ServerGeneration> generations() = 0;

  virtual void put_template(const Template& t) = 0;  ///< insert or replace by id
  virtual std::optional<Template> get_template(const std::string& id) = 0;
  virtual std::vector<Template> list_templates(bool include_archived) = 0;

  /// Registers content; returns false (and changes nothing) if the id is already known.
  virtual bool add_content(const ContentRecord& c) = 0;
  virtual std::optional<ContentRecord> get_content(const std::string& content_id) = 0;
  virtual void set_revoked(const std::string& content_id, Time when) = 0;

  virtual void add_tracking(const TrackingEntry& e) = 0;
  /// One content id's log in the order written: the entries after `after_seq` (0: from the
  /// start), at most `limit` of them (0: all), each passed to `visit` as it is read (a page is
  /// one index range in both stores). Pass the last entry's seq for the next page. An exception
  /// from `visit` ends the read and propagates.
  virtual void visit_tracking(const std::string& content_id, std::int64_t after_seq,
                              std::size_t limit, const TrackingVisitor& visit) = 0;
  /// The same entries, copied.
  std::vector<TrackingEntry> tracking(const std::string& content_id, std::int64_t after_seq,
                                      std::size_t limit) {
    std::vector<TrackingEntry> out;
    visit_tracking(content_id, after_seq, limit,
                   [&out](const TrackingRow& r) { out.push_back(r.entry()); });
    return out;
  }
  /// The whole log of one content id.
  std::vector<TrackingEntry> tracking(const std::string& content_id) {
    return tracking(content_id, 0, 0);
  }

  virtual void add_rac(const RacRecord& r) = 0;
  virtual std::vector<RacRecord> racs(const std::string& user) = 0;

  virtual std::optional<std::string> setting(const std::string& key) = 0;
  virtual void set_setting(const std::string& key, const std::string& value) = 0;

  /// Deposits a message for the portal (replaces one with the same content id).
  virtual void put_portal_message(const PortalMessage& m) = 0;
  virtual std::optional<PortalMessage> portal_message(const std::string& content_id) = 0;
  virtual std::optional<PortalAccess> portal_access(const std::string& content_id,
                                                    const std::string& address) = 0;
  /// A new passcode for the address: replaces an outstanding one, keeps the failures and lock.
  virtual void set_passcode(const std::string& content_id, const std::string& address,
                            const std::string& code_hash, Time expires) = 0;
  /// Counts one wrong passcode atomically. The `limit`-th failure burns the passcode, locks the
  /// address out until `lock_until` and starts the count again. Returns the failures counted,
  /// this one included (`limit` when it locked); 0 if the address has no access row.
  virtual int passcode_failed(const std::string& content_id, const std::string& address, int limit,
                              Time lock_until) = 0;
  /// Uses passcode `code_hash` once, atomically: only if it is still the outstanding one,
  /// unexpired and unlocked at `now`, it is cleared, the failures reset and the session
  /// recorded (replacing an earlier session of the address). False otherwise: of two requests
  /// with the same code, one wins.
  virtual bool open_portal_session(const std::string& content_id, const std::string& address,
                                   const std::string& code_hash, Time now,
                                   const std::string& session_hash, Time session_expires) = 0;
  /// The access row holding session `session_hash` (the caller checks its expiry).
  virtual std::optional<PortalAccess> portal_session(const std::string& session_hash) = 0;
  virtual void end_portal_session(const std::string& session_hash) = 0;

  /// Counts one event under `key` in its current fixed window, atomically, for every node of
  /// the store: true while the window has seen fewer than `limit` events before this one. A
  /// window opens with the first event after the last one closed and lasts `window`; windows
  /// that closed are forgotten. Keys are the caller's (no secrets: they are stored as given).
  virtual bool take_rate(const std::string& key, int limit, Time now,
                         std::chrono::seconds window) = 0;
};

class SqliteStore final : public Store {
 public:
  /// Opens or creates the store at `path` (":memory:" for a private in-memory store); a new
  /// file is created with mode 0600 (its -wal/-shm files inherit it). `kek` must be 32 bytes.
  SqliteStore(const std::string& path, crypto::SecureBytes kek);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

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
  void check_kek();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::mutex mu_;
};

/// Reads a 32-byte key-encryption key: 64 hex digits or 32 raw bytes in a file. Throws
/// Error{io} / Error{invalid_argument}.
crypto::SecureBytes load_kek_file(const std::string& path);
/// Creates a new random KEK file (mode 0600, hex); fails if it exists.
void create_kek_file(const std::string& path);

}  // namespace openrms::licensing
