// The tracking log's row layout, shared by both stores (schema version 5).
//
// A log entry repeats little per row: most of an entry (who, with which rights, whose content,
// which outcome) is one of few combinations. So a row holds only the content's number, its seq,
// its time, a *party* number and the use license's id; a party (user, rights, issuer, owner,
// outcome) is stored once in tracking_party and a content id once in tracking_content. Rows are
// kept in (content, seq) order, so one content's log is one range of one index. Reading the
// 100,000 entries of one content id went from eight columns a row, five of them text, to four;
// see README "The whole log as the service answers it" for the figures.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "openrms/error.hpp"
#include "openrms/licensing/store.hpp"

namespace openrms::licensing::detail {

/// One party of the tracking log: everything of an entry but its content, time, seq and
/// license id.
struct TrackingParty {
  std::string user, rights, issuer, owner, outcome;
};

/// The numbers a store has given content ids and parties, and the parties by number. A number
/// never changes once its row is committed, so every node may keep them: a cache, never a
/// source of truth. A caller remembers a number only after the transaction that made it
/// committed. Bounded: a map that reaches kMax entries is emptied. Thread-safe.
class TrackingNumbers {
 public:
  static constexpr std::size_t kMax = 1 << 16;

  std::optional<std::int64_t> content(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = contents_.find(id);
    return it == contents_.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<std::int64_t> party(const TrackingEntry& e) const {
    const std::string key = party_key(e);
    std::lock_guard lock(mu_);
    auto it = parties_.find(key);
    return it == parties_.end() ? std::nullopt : std::optional(it->second);
  }
  void remember(const TrackingEntry& e, std::int64_t content, std::int64_t party) {
    std::string key = party_key(e);
    std::lock_guard lock(mu_);
    if (contents_.size() >= kMax) contents_.clear();
    if (parties_.size() >= kMax) parties_.clear();
    contents_.emplace(e.content_id, content);
    // A party already known is not copied again (SQLite remembers every committed entry).
    if (parties_.try_emplace(std::move(key), party).second && !named_.contains(party))
      name_locked(party, std::make_shared<const TrackingParty>(
                             TrackingParty{e.user, e.rights, e.issuer, e.owner, e.outcome}));
  }
  void remember_content(const std::string& id, std::int64_t content) {
    std::lock_guard lock(mu_);
    if (contents_.size() >= kMax) contents_.clear();
    contents_.emplace(id, content);
  }

  /// The party a number names, if this node has seen it (written or read).
  std::shared_ptr<const TrackingParty> named(std::int64_t party) const {
    std::lock_guard lock(mu_);
    auto it = named_.find(party);
    return it == named_.end() ? nullptr : it->second;
  }
  void name(std::int64_t party, std::shared_ptr<const TrackingParty> p) {
    std::lock_guard lock(mu_);
    name_locked(party, std::move(p));
  }

 private:
  // Each field with its length before it: no two parties share a key.
  static std::string party_key(const TrackingEntry& e) {
    std::string k;
    for (const std::string* f : {&e.user, &e.rights, &e.issuer, &e.owner, &e.outcome}) {
      k += std::to_string(f->size());
      k += ':';
      k += *f;
    }
    return k;
  }
  void name_locked(std::int64_t party, std::shared_ptr<const TrackingParty> p) {
    if (named_.size() >= kMax) named_.clear();
    named_.emplace(party, std::move(p));
  }
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::int64_t> contents_, parties_;
  std::unordered_map<std::int64_t, std::shared_ptr<const TrackingParty>> named_;
};

/// Party numbers as a list for SQL: "[1,2]" (SQLite's json_each) or "{1,2}" (a PostgreSQL
/// array).
inline std::string number_list(const std::unordered_set<std::int64_t>& numbers, char open,
                               char close) {
  std::string s(1, open);
  for (const std::int64_t n : numbers) {
    if (s.size() > 1) s += ',';
    s += std::to_string(n);
  }
  return s + close;
}

/// A row names a party the store does not hold: a broken store (io).
[[noreturn]] inline void missing_party(std::int64_t number) {
  fail(Errc::io, "store: tracking row names party " + std::to_string(number) +
                     ", which the store does not hold");
}

/// Sets the party's fields of `row` (views into `p`).
inline void set_party(TrackingRow& row, const TrackingParty& p) {
  row.user = p.user;
  row.rights = p.rights;
  row.issuer = p.issuer;
  row.owner = p.owner;
  row.outcome = p.outcome;
}

/// The parties one read needs: their numbers as the rows name them, then the parties found.
class PartyLookup {
 public:
  /// Notes a party number a row names.
  void need(std::int64_t party) {
    if (party != last_) wanted_.insert(party);  // rows in a row often name the same party
    last_ = party;
  }
  /// The distinct numbers noted, as a list for SQL: "[1,2]" (SQLite's json_each) or "{1,2}"
  /// (a PostgreSQL array).
  std::string list(char open, char close) const { return number_list(wanted_, open, close); }
  void found(std::int64_t number, TrackingParty p) { parties_.emplace(number, std::move(p)); }
  /// Sets the party's fields of `row` (views into this lookup); a number the store did not
  /// return is a broken store (io).
  void fill(TrackingRow& row, std::int64_t number) const {
    auto it = parties_.find(number);
    if (it == parties_.end()) missing_party(number);
    set_party(row, it->second);
  }

 private:
  std::unordered_set<std::int64_t> wanted_;
  std::int64_t last_ = -1;
  std::unordered_map<std::int64_t, TrackingParty> parties_;
};

}  // namespace openrms::licensing::detail
