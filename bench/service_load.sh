#!/usr/bin/env bash
# Use-license acquisition through `openrms serve` under load, beside the in-process rate.
#
# Starts the service on 127.0.0.1 (a port the OS picks) over TLS with a file store and a test
# token issuer (tests/server/token_issuer.py), enrols alice and bob through the API (their key
# pairs made here), publishes one license for bob, then runs wrk (keep-alive, TLS) with
# bench/service_acquire.lua against POST /v1/acquire. Prints requests/s, p50/p90/p99 latency,
# errors, the service's peak RSS, and licensing_bench's in-process issuance rates from the same
# run (memory store, 2 threads; file store with group commit, 16 threads), and the ratios.
#
# usage: bench/service_load.sh [--seconds N] [--connections N] [--threads N] [--smoke]
#                              [--bin OPENRMS] [--bench LICENSING_BENCH]
#   defaults: 20 s, 32 connections, 1 wrk thread, build/default binaries.
#   $OPENRMS_SERVE_ARGS: more options for `openrms serve` (e.g. "--workers 8").
#   --smoke: 10 s, 8 connections, no in-process run; exits 1 unless there were zero errors and
#   at least one license (what CI runs: it asserts correctness under load, not a speed).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/default/cli/openrms
BENCH=$ROOT/build/default/bench/licensing_bench
SECONDS_=20 CONNS=32 WRK_THREADS=1 SMOKE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_=$2; shift ;;
    --connections) CONNS=$2; shift ;;
    --threads) WRK_THREADS=$2; shift ;;
    --smoke) SMOKE=1 SECONDS_=10 CONNS=8 ;;
    --bin) BIN=$2; shift ;;
    --bench) BENCH=$2; shift ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
PY=/usr/bin/python3
W=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$W"' EXIT
cd "$W" || exit 2

"$BIN" server init --store store.db >/dev/null || exit 2
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key \
  -out tls.crt -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null || exit 2
$PY "$ROOT/tests/server/token_issuer.py" keys iss || exit 2
for u in alice bob; do
  $PY "$ROOT/tests/server/token_issuer.py" token iss --email $u@contoso.com >$u.tok || exit 2
done
"$BIN" serve --store store.db --port 0 --port-file port --tls-cert tls.crt --tls-key tls.key \
  --issuer https://issuer.test --audience openrms --jwks-file iss/jwks.json --rate-limit 0 \
  --max-connections 1024 ${OPENRMS_SERVE_ARGS:-} 2>serve.err &
pid=$!
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || { cat serve.err; exit 2; }
URL="https://127.0.0.1:$(cat port)"

# Enrol both through the API with keys made here, publish for bob, build the request body.
$PY - "$URL" <<'PYEOF' || exit 2
import json, ssl, subprocess, sys, urllib.request
url = sys.argv[1]
ctx = ssl.create_default_context(cafile="tls.crt")
def call(user, path, body):
    req = urllib.request.Request(url + path, json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + open(user + ".tok").read().strip(),
                 "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, context=ctx))
rac = {}
for u in ("alice", "bob"):
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-out", u + ".key"], check=True)
    pub = subprocess.run(["openssl", "pkey", "-in", u + ".key", "-pubout"], check=True,
                         capture_output=True, text=True).stdout
    rac[u] = call(u, "/v1/racs", {"public_key": pub})["rac"]
pl = call("alice", "/v1/publish", {"rac": rac["alice"],
          "policy": {"grants": ["bob@contoso.com:VIEW,PRINT"]}})["publishing_license"]
body = {"publishing_license": pl, "rac": rac["bob"]}
call("bob", "/v1/acquire", body)  # warm: the service's key and RAC caches
json.dump(body, open("body.json", "w"))
PYEOF

echo "service: $URL, store on disk ($(df -T . | awk 'NR==2 {print $2}')), $(nproc) cores shared with wrk"
echo "load: wrk, $CONNS connections, $WRK_THREADS thread(s), ${SECONDS_} s, keep-alive, TLS"
OPENRMS_BODY=body.json OPENRMS_TOKEN_FILE=bob.tok \
  wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECONDS_}s" --timeout 5s -s "$ROOT/bench/service_acquire.lua" \
  "$URL/v1/acquire" >wrk.out 2>&1
result=$(grep '^{"requests"' wrk.out)
[ -n "$result" ] || { cat wrk.out; exit 2; }
rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
issued=$(curl -s --cacert tls.crt "$URL/metrics" | awk '/^openrms_use_licenses_issued_total/ {print $2}')
kill -TERM $pid
wait $pid
pid=""

inproc="{}"
if [ "$SMOKE" = 0 ]; then
  inproc=$("$BENCH" --benchmark_filter='UseLicense_Issue_(warm/0/real_time/threads:2|file_store/real_time/threads:16)' \
    --benchmark_min_time=1 --benchmark_format=json 2>/dev/null |
    $PY -c 'import json,sys; print(json.dumps({b["name"]: b["items_per_second"] for b in json.load(sys.stdin)["benchmarks"]}))')
fi
$PY - "$result" "$rss_kb" "$issued" "$inproc" "$SMOKE" <<'PYEOF'
import json, sys
r, rss_kb, issued, inproc, smoke = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5] == "1"
errors = sum(r["errors"].values())
print(f"acquire over HTTPS: {r['rps']:.0f} use licenses/s, p50 {r['p50_ms']:.2f} ms, p90 {r['p90_ms']:.2f} ms, "
      f"p99 {r['p99_ms']:.2f} ms, max {r['max_ms']:.1f} ms")
print(f"requests {r['requests']}, errors {errors} {r['errors']}, licenses counted by the service {issued}")
print(f"service peak RSS {rss_kb / 1024:.0f} MB")
for name, rate in inproc.items():
    label = "memory store, 2 threads" if "warm" in name else "file store + group commit, 16 threads"
    print(f"in-process issuance ({label}): {rate:.0f}/s -> service/in-process = {r['rps'] / rate:.2f}")
if not smoke:
    print(f"goal: >= 4000/s with p99 <= 25 ms, zero errors, >= 60 % of in-process, RSS <= 200 MB")
if smoke and (errors or r["requests"] == 0 or issued < r["requests"]):
    sys.exit("smoke load FAILED: every request must succeed")
PYEOF
