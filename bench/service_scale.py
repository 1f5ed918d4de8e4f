#!/usr/bin/env python3
"""Use-license acquisition through `openrms serve`, side by side in one run (issue 20):
  1. one node over an SQLite file store;
  2. one node over PostgreSQL;
  3. two nodes over PostgreSQL behind HAProxy (server/deploy/haproxy.cfg, unchanged).
Each: TLS, test tokens (tests/server/token_issuer.py), bob acquires one license again and again
with wrk (keep-alive, bench/service_acquire.lua), every request checked. Everything on 127.0.0.1.
Prints requests/s, p50/p99 latency and errors per setup, and the ratios to setup 1.

Run it under tests/licensing/with_postgres.sh (bench/store_scale.sh does):
  tests/licensing/with_postgres.sh python3 bench/service_scale.py [--seconds 15] [--connections 32]
      [--bin build/default/cli/openrms]
On a 2-core machine the two nodes, HAProxy, PostgreSQL and wrk share the same cores: the
two-node figure shows the cost of the extra hop and of sharing, not added capacity.
"""
import argparse, json, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "server"))
from service_harness import Deployment, wait_for

ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=int, default=15)
ap.add_argument("--connections", type=int, default=32)
ap.add_argument("--bin", default=os.path.join(ROOT, "build", "default", "cli", "openrms"))
args = ap.parse_args()
pg = os.environ.get("OPENRMS_TEST_PG_URI")
if not pg:
    sys.exit("run under tests/licensing/with_postgres.sh")
base = tempfile.mkdtemp(prefix="openrms-scale-")
serve_extra = ("--rate-limit", "0", "--max-connections", "1024", "--trusted-proxy", "127.0.0.1")


def setup(name, store, nodes, haproxy):
    d = Deployment(os.path.abspath(args.bin), os.path.join(base, name), store,
                   kek=os.path.join(base, "pg.kek") if store == pg else None)
    try:
        started = [d.start_node(f"n{i}", extra=serve_extra) for i in range(nodes)]
        url = started[0].url
        if haproxy:
            _, url, _ = d.start_haproxy(os.path.join(ROOT, "server", "deploy", "haproxy.cfg"),
                                        started[0], started[1])
            if not wait_for(lambda: d.ready(url) == 200, 10):
                raise RuntimeError("HAProxy did not come up: " + open("haproxy.log").read())
            time.sleep(1.5)  # both nodes pass their checks
        _, rac_a = d.enrol(url, "alice")
        _, rac_b = d.enrol(url, "bob")
        status, body = d.call(url, "alice", "/v1/publish",
                              {"rac": rac_a, "policy": {"grants": ["bob@contoso.com:VIEW"]}})
        assert status == 200, (status, body)
        req = {"publishing_license": body["publishing_license"], "rac": rac_b}
        assert d.call(url, "bob", "/v1/acquire", req)[0] == 200
        json.dump(req, open("body.json", "w"))
        open("bob.tok", "w").write(d.tokens["bob"])
        out = subprocess.run(
            ["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "5s", "-s",
             os.path.join(ROOT, "bench", "service_acquire.lua"), url + "/v1/acquire"],
            env=dict(os.environ, OPENRMS_BODY="body.json", OPENRMS_TOKEN_FILE="bob.tok"),
            capture_output=True, text=True).stdout
        line = next((l for l in out.splitlines() if l.startswith('{"requests"')), None)
        if line is None:
            raise RuntimeError("wrk gave no result:\n" + out)
        return json.loads(line)
    finally:
        d.stop()


results = []
for name, store, nodes, lb in (("sqlite, 1 node", "store.db", 1, False),
                               ("postgresql, 1 node", pg, 1, False),
                               ("postgresql, 2 nodes + HAProxy", pg, 2, True)):
    r = setup(name.replace(" ", "_").replace(",", "").replace("+", "lb"), store, nodes, lb)
    results.append((name, r))
print(f"use-license acquisition over HTTPS: wrk, {args.connections} connections, "
      f"{args.seconds} s each, {os.cpu_count()} cores shared by everything")
first = results[0][1]["rps"]
for name, r in results:
    errors = sum(r["errors"].values())
    print(f"  {name:32s} {r['rps']:7.0f}/s  p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  "
          f"errors {errors}  ({r['rps'] / first:.2f}x of SQLite)")
