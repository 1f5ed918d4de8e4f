#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL 15 cluster: initdb in a temporary folder, the server
# listening only on a Unix socket in that folder (no TCP port at all), trust authentication for
# its one role. $OPENRMS_TEST_PG holds the libpq connection string for the command; the cluster is
# stopped and deleted when the command ends, whatever its outcome.
# As root the cluster runs as the "postgres" user (PostgreSQL refuses to run as root).
# Usage: with_postgres.sh COMMAND [ARGS...]
set -uo pipefail
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "with_postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 2; }
dir=$(mktemp -d /tmp/openrms-pg-XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
"${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -U openrms -A trust --no-sync >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 2; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
  -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=200" start \
  >/dev/null || { cat "$dir/server.log" >&2; exit 2; }
export OPENRMS_TEST_PG="host=$dir user=openrms dbname=postgres"
export OPENRMS_TEST_PG_DIR="$dir"
# For fault tests: stop and start this cluster ("$OPENRMS_TEST_PG_CTL" stop|start).
export OPENRMS_TEST_PG_CTL="${as_pg[*]} $pgbin/pg_ctl -D $dir/data -l $dir/server.log -w -t 30 -o \"-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=200\""
export OPENRMS_TEST_PG_URI="postgresql:///postgres?host=$dir&user=openrms"
"$@"
