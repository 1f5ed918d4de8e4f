// The store the licensing, server and protect tests run on: SQLite in memory, or — when
// $OPENRMS_TEST_PG holds a libpq connection string (tests/licensing/with_postgres.sh sets it) —
// PostgreSQL, in a schema of its own that is dropped with the store. The same suites run on both
// stores (ctest runs them twice), so the two cannot drift apart.
#pragma once

#include <memory>

#include "openrms/licensing/store.hpp"

namespace openrms::licensing::testing {

/// True when the tests run against PostgreSQL.
bool testing_postgres();
/// A fresh, empty store (its own schema on PostgreSQL).
std::unique_ptr<Store> make_test_store(crypto::SecureBytes kek);

}  // namespace openrms::licensing::testing
