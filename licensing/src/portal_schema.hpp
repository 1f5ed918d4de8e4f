// The portal's tables (store.hpp: PortalMessage, PortalAccess), shared by SqliteStore and
// PostgresStore so the two schemas cannot drift: INT and BLOB are the store's 64-bit integer and
// byte-string types. A string-literal macro, because both stores build their migrations from
// literals.
#pragma once

#include <string>
#include <vector>

#define OPENRMS_PORTAL_SCHEMA(INT, BLOB)                                            \
  "CREATE TABLE portal_message (content_id TEXT PRIMARY KEY, sender TEXT NOT NULL," \
  "  recipients TEXT NOT NULL, wrapper " BLOB " NOT NULL, stored_at " INT           \
  " NOT NULL, branding TEXT NOT NULL);"                                             \
  "CREATE TABLE portal_access (content_id TEXT NOT NULL, address TEXT NOT NULL,"    \
  "  code_hash TEXT NOT NULL DEFAULT '', code_expires " INT                         \
  " NOT NULL DEFAULT 0,"                                                            \
  "  failures INTEGER NOT NULL DEFAULT 0, locked_until " INT                        \
  ","                                                                               \
  "  session_hash TEXT NOT NULL DEFAULT '', session_expires " INT                   \
  " NOT NULL DEFAULT 0,"                                                            \
  "  PRIMARY KEY (content_id, address));"                                           \
  "CREATE UNIQUE INDEX portal_session ON portal_access(session_hash) WHERE session_hash <> '';"

namespace openrms::licensing::detail {

/// PortalMessage::recipients as one column: an address per line.
inline std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += x + "\n";
  return out;
}

inline std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  for (std::size_t p = 0, n; p < s.size(); p = n + 1) {
    n = s.find('\n', p);
    if (n == std::string::npos) n = s.size();
    if (n > p) out.push_back(s.substr(p, n - p));
  }
  return out;
}

}  // namespace openrms::licensing::detail
