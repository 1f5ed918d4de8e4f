#!/usr/bin/env python3
"""Two `openrms serve` nodes behind HAProxy (server/deploy/haproxy.cfg, run unchanged), one
killed with SIGKILL under a steady stream of acquisitions (issue 20, fault test 1).

Run under tests/licensing/with_postgres.sh. Everything listens on 127.0.0.1; every process stops
by itself. CLIENTS threads acquire use licenses through HAProxy, each retrying a failed request
(connection lost, 502/503/504) up to 4 times. Midway node 1 gets SIGKILL. Checks, with counts:
  - both nodes served requests before the kill (HAProxy balanced them);
  - clients see no failure after their retries (at most one in flight per client could fail);
  - HAProxy marks node 1 DOWN by its /readyz checks, and node 2 serves everything after;
  - every use license a client received has exactly one tracking row (by license id): none lost,
    none duplicated; rows without a received license (issued by node 1, or by HAProxy's resend,
    for a request whose answer was lost in the kill) are counted, and at most one per client;
  - node 1 started again on its port rejoins the pool by itself;
  - the surviving nodes and HAProxy stop cleanly.
Usage: haproxy_failover_test.py OPENRMS_BINARY WORK_DIR HAPROXY_CFG
"""
import http.client, json, os, signal, socket, ssl, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_harness import Checks, Deployment, license_id, wait_for

CLIENTS, PER_CLIENT, KILL_AFTER = 4, 150, 200
check = Checks()
cfg = os.path.abspath(sys.argv[3])
d = Deployment(os.path.abspath(sys.argv[1]), sys.argv[2], os.environ["OPENRMS_TEST_PG_URI"])
proxy = ("--trusted-proxy", "127.0.0.1")
try:
    n1, n2 = d.start_node("n1", extra=proxy), d.start_node("n2", extra=proxy)
    lb, url, lb_port = d.start_haproxy(cfg, n1, n2)

    def servers():
        """{server name: status} from HAProxy's admin socket."""
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect("haproxy.sock")
                s.sendall(b"show stat\n")
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
        except OSError:
            return {}
        out = {}
        for line in data.decode().splitlines():
            f = line.split(",")
            if len(f) > 17 and f[0] == "openrms_nodes" and f[1].startswith("node"):
                out[f[1]] = f[17]
        return out

    check("HAProxy starts and both nodes pass their /readyz checks",
          wait_for(lambda: servers() == {"node1": "UP", "node2": "UP"}, 10), servers())

    status, rac_alice = d.enrol(url, "alice")
    status2, rac_bob = d.enrol(url, "bob")
    check("alice and bob enrol through HAProxy", (status, status2) == (200, 200))
    status, body = d.call(url, "alice", "/v1/publish",
                          {"rac": rac_alice, "policy": {"grants": ["bob@contoso.com:VIEW"]}})
    check("alice publishes through HAProxy", status == 200, status)
    cid = body["content_id"]
    request = json.dumps({"publishing_license": body["publishing_license"], "rac": rac_bob})
    headers = {"Authorization": "Bearer " + d.tokens["bob"], "Content-Type": "application/json"}

    lock = threading.Lock()
    received, failed, retried = [], [], [0]

    def client():
        conn = None
        for _ in range(PER_CLIENT):
            for attempt in range(5):
                try:
                    if conn is None:
                        conn = http.client.HTTPSConnection("127.0.0.1", lb_port, context=d.ctx,
                                                           timeout=10)
                    conn.request("POST", "/v1/acquire", request, headers)
                    r = conn.getresponse()
                    data = r.read()
                    if r.status == 200:
                        with lock:
                            received.append(license_id(json.loads(data)["use_license"]))
                        break
                    if r.status not in (502, 503, 504):
                        with lock:
                            failed.append(r.status)
                        break
                except (OSError, http.client.HTTPException, ssl.SSLError):
                    conn = None
                if attempt == 4:
                    with lock:
                        failed.append("gave up")
                    break
                with lock:
                    retried[0] += 1
                time.sleep(0.05)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    t0 = time.time()
    for t in threads:
        t.start()
    wait_for(lambda: len(received) >= KILL_AFTER, 60, 0.01)
    before_kill = len(received)
    served_by_1 = sum(1 for _ in open("access-n1.log"))
    n1.proc.kill()
    n1.proc.wait()
    killed_at = time.time()
    check("node 1 killed with SIGKILL midway", True, f"after {before_kill} licenses")
    down = wait_for(lambda: servers().get("node1", "").startswith("DOWN"), 10, 0.05)
    check("HAProxy marks node 1 DOWN by its health checks", down,
          f"{time.time() - killed_at:.1f} s after the kill")
    for t in threads:
        t.join(timeout=120)
    elapsed = time.time() - t0
    total = CLIENTS * PER_CLIENT
    check("both nodes served requests before the kill",
          served_by_1 > 0 and sum(1 for _ in open("access-n2.log")) > 0, f"node 1: {served_by_1}")
    check(f"all {total} acquisitions succeed for the clients (with their retries)",
          len(received) == total and not failed,
          f"{len(received)} licenses, failures {failed}, {retried[0]} retries, "
          f"{total / elapsed:.0f}/s")

    # Every license received has exactly one tracking row; extra rows only from the kill.
    status, log = d.call(url, "alice", f"/v1/track/{cid}")
    rows = [e["license_id"] for e in log if e["outcome"] == "granted"]
    row_set, got = set(rows), set(received)
    lost = got - row_set
    duplicated = len(rows) - len(row_set)
    extra = row_set - got
    check("every license received has its tracking row (none lost)", not lost,
          f"{len(lost)} lost of {len(got)}")
    check("no license has two rows (none duplicated)", duplicated == 0 and len(got) == len(received),
          f"{duplicated} duplicated")
    check("rows of licenses no client received: at most one per client (answers lost in the kill)",
          len(extra) <= CLIENTS, f"{len(extra)} such rows")

    # Node 1 comes back on its port and HAProxy takes it back by itself.
    d.start_node("n1", port=n1.port, extra=proxy)
    check("node 1 restarted rejoins the pool", wait_for(
        lambda: servers() == {"node1": "UP", "node2": "UP"}, 10), servers())
    lines_before = sum(1 for _ in open("access-n1.log"))
    for _ in range(20):
        d.call(url, "bob", "/v1/acquire", json.loads(request))
    check("and serves requests again", sum(1 for _ in open("access-n1.log")) > lines_before)
finally:
    if "lb" in globals() and lb.poll() is None:
        lb.send_signal(signal.SIGUSR1)  # soft stop: HAProxy finishes its connections, exits 0
        try:
            lb.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    codes = d.stop()
# In start order: node 1 (killed), node 2, HAProxy, node 1 again; the rest drain on SIGTERM.
check("node 2, the new node 1 and HAProxy stop cleanly",
      len(codes) == 4 and codes[1:] == [0, 0, 0], codes)
check.exit()
