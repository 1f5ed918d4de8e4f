// The tracking log both stores' migration tests start from, written in an old schema's one text
// row per entry, and what the migrated store must then hold.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "openrms/licensing/store.hpp"

namespace openrms::licensing::testing {

/// Four entries (c1, c2, c1, c1) with seq 1-4, the last deleted (an old table's sequence does
/// not reuse it); for an INSERT INTO tracking (time, user column, content_id, rights, issuer,
/// owner, outcome[, license_id]).
inline std::string old_log_values(bool with_license_ids) {
  auto lic = [&](const char* id) {
    return with_license_ids ? std::string(", '") + id + "'" : std::string();
  };
  return " VALUES (1, 'u@x.com', 'c1', 'VIEW', 'a@x.com', 'a@x.com', 'granted'" + lic("ul-1") +
         "), (2, 'w@x.com', 'c2', 'VIEW,EDIT', 'b@x.com', 'c@x.com', 'granted'" + lic("ul-2") +
         "), (3, 'u@x.com', 'c1', '', 'a@x.com', 'a@x.com', 'refused: revoked'" + lic("") +
         "), (4, 'u@x.com', 'c1', 'VIEW', 'a@x.com', 'a@x.com', 'granted'" + lic("ul-4") +
         "); DELETE FROM tracking WHERE time = 4;";
}

/// Every migrated entry keeps its fields, seq and order; a new entry comes after the old ones.
inline void expect_migrated_log(Store& s, const std::string& first_license_id) {
  using Seconds = std::chrono::seconds;
  s.add_tracking(
      {Time(Seconds(5)), "v@x.com", "c1", "VIEW", "a@x.com", "a@x.com", "granted", "ul-5", 0});
  auto log = s.tracking("c1");
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].user, "u@x.com");
  EXPECT_EQ(log[0].content_id, "c1");
  EXPECT_EQ(log[0].rights, "VIEW");
  EXPECT_EQ(log[0].issuer, "a@x.com");
  EXPECT_EQ(log[0].owner, "a@x.com");
  EXPECT_EQ(log[0].outcome, "granted");
  EXPECT_EQ(log[0].license_id, first_license_id);
  EXPECT_EQ(log[0].time, Time(Seconds(1)));
  EXPECT_EQ(log[0].seq, 1);
  EXPECT_EQ(log[1].outcome, "refused: revoked");
  EXPECT_EQ(log[1].rights, "");
  EXPECT_EQ(log[1].seq, 3);
  EXPECT_EQ(log[2].user, "v@x.com");
  EXPECT_EQ(log[2].license_id, "ul-5");
  EXPECT_GT(log[2].seq, 4);
  auto other = s.tracking("c2");
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].seq, 2);
  EXPECT_EQ(other[0].rights, "VIEW,EDIT");
  EXPECT_EQ(other[0].owner, "c@x.com");
}

}  // namespace openrms::licensing::testing
