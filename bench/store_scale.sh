#!/usr/bin/env bash
# Issue 20's figures in one run, on a throwaway PostgreSQL cluster and a throwaway SoftHSM2 token:
#   1. bench/store_scale_bench: issuance on SQLite and PostgreSQL, empty and after N tracking rows
#      (default 10,000,000, bulk-inserted with SQL), the ratio full/empty per thread count; the
#      tracking log of one content id with 100,000 entries; issuance with the server keys in the
#      token beside keys in memory;
#   2. bench/service_scale.py: acquisition over HTTPS on one SQLite node, one PostgreSQL node and
#      two PostgreSQL nodes behind HAProxy.
# usage: bench/store_scale.sh [--rows N] [--seconds S]   (S: wrk seconds per service setup, 15)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=10000000 SECS=15
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift ;;
    --seconds) SECS=$2; shift ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
OPENRMS_BENCH_ROWS=$ROWS bash "$ROOT/tests/licensing/with_postgres.sh" \
  bash "$ROOT/tests/crypto/with_softhsm.sh" \
  "$ROOT/build/default/bench/store_scale_bench" --benchmark_min_time=2 \
  --benchmark_out="$out" --benchmark_out_format=json || exit 1
python3 - "$out" "$ROWS" <<'PYEOF'
import json, sys
b = {x["name"]: x for x in json.load(open(sys.argv[1]))["benchmarks"]}
rows = sys.argv[2]
print("\nsummary")
for store in ("sqlite", "postgresql"):
    for t in (1, 16):
        e = b.get(f"Issue/{store}/empty/real_time/threads:{t}")
        f = b.get(f"Issue/{store}/{rows} rows/real_time/threads:{t}")
        if e and f:
            print(f"  {store:10s} {t:2d} thread(s): empty {e['real_time'] / 1e3:7.0f} us/issuance, "
                  f"{int(rows):,} rows {f['real_time'] / 1e3:7.0f} us -> {f['real_time'] / e['real_time']:.2f}x "
                  f"(goal <= 1.2x)")
    tr = {k: b.get(f"Track/{store}/100000/{k}") for k in ("bare", "read", "copied", "answer")}
    if all(tr.values()):
        print(f"  {store:10s} tracking log, 100,000 entries of one content id, whole: the service's "
              f"answer {tr['answer']['real_time']:.0f} ms (goal <= 50 ms); the store's read "
              f"{tr['read']['real_time']:.0f} ms, the same query run bare on the database "
              f"{tr['bare']['real_time']:.0f} ms, copied into a vector {tr['copied']['real_time']:.0f} ms"
              + "".join(f"; a page of 1,000 at entry {at:,} {b[f'Track/{store}/100000/page/{at}']['real_time']:.2f} ms"
                        for at in (0, 50000) if f"Track/{store}/100000/page/{at}" in b))
    cold = b.get(f"Track/{store}/100000/read-cold")
    cold_answer = b.get(f"Track/{store}/100000/answer-cold")
    if cold and cold_answer:
        print(f"  {store:10s} on a node that has not seen the log's parties (a new store, one "
              f"connection open): the answer {cold_answer['real_time']:.0f} ms, the store's read "
              f"{cold['real_time']:.0f} ms")
    floors = {k: b.get(f"Track/{store}/100000/{k}/real_time") for k in ("libpq-text", "libpq-binary", "copy-binary")}
    if any(floors.values()):
        print(f"  {store:10s} through libpq alone, no parties: one SELECT, " +
              ", ".join(f"{k[6:]} results {floors[k]['real_time']:.0f} ms" for k in ("libpq-text", "libpq-binary") if floors[k]) +
              (f"; the store's COPY {floors['copy-binary']['real_time']:.0f} ms" if floors["copy-binary"] else ""))
for kind in ("warm", "cold"):
    m = b.get(f"Issue/keys-in-memory/{kind}" + ("/real_time/threads:1" if kind == "warm" else ""))
    p = b.get(f"Issue/keys-in-pkcs11/{kind}" + ("/real_time/threads:1" if kind == "warm" else ""))
    if m and p:
        print(f"  issuance {kind}: keys in memory {m['items_per_second']:.0f}/s, in the PKCS#11 token "
              f"{p['items_per_second']:.0f}/s ({p['items_per_second'] / m['items_per_second']:.2f}x)")
PYEOF
echo
bash "$ROOT/tests/licensing/with_postgres.sh" python3 "$ROOT/bench/service_scale.py" --seconds "$SECS"
