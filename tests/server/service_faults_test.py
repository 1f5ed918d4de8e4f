#!/usr/bin/env python3
"""Two `openrms serve` nodes on one PostgreSQL, and PostgreSQL restarted under them.

Run under tests/licensing/with_postgres.sh (it provides the cluster and $OPENRMS_TEST_PG_CTL).
Everything listens on 127.0.0.1 with ports the OS picks, and stops by itself. Checks, with counts:
  - both nodes serve the same state: a license published on node A is acquired on node B, and a
    revocation on node A is refused on node B at the next request;
  - PostgreSQL stopped: both nodes answer 503 (code "unavailable") and /readyz says 503;
  - PostgreSQL started again: both nodes recover by themselves (no restart), every acquisition
    that got a use license has exactly one "granted" tracking row — none lost, none duplicated.
Usage: service_faults_test.py OPENRMS_BINARY WORK_DIR
"""
import json, os, shutil, ssl, subprocess, sys, time, urllib.error, urllib.request

BIN, WORK = os.path.abspath(sys.argv[1]), sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
os.chdir(WORK)
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + name + (f" ({detail})" if detail else ""), flush=True)
    failures += 0 if ok else 1


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


store, kek = os.environ["OPENRMS_TEST_PG_URI"], os.path.join(WORK, "pg.kek")
pg_ctl = os.environ["OPENRMS_TEST_PG_CTL"]
sh(BIN, "server", "init", "--store", store, "--kek-file", kek)
sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
   "-keyout", "tls.key", "-out", "tls.crt", "-days", "2", "-subj", "/CN=127.0.0.1",
   "-addext", "subjectAltName=IP:127.0.0.1")
issuer = [sys.executable, os.path.join(HERE, "token_issuer.py")]
sh(*issuer, "keys", "iss")
tokens = {u: sh(*issuer, "token", "iss", "--email", f"{u}@contoso.com").strip()
          for u in ("alice", "bob")}
tokens["admin"] = sh(*issuer, "token", "iss", "--email", "admin@contoso.com", "--roles",
                     "openrms.admin").strip()
ctx = ssl.create_default_context(cafile="tls.crt")

nodes = []
for name in ("a", "b"):
    p = subprocess.Popen([BIN, "serve", "--store", store, "--kek-file", kek, "--port", "0",
                          "--port-file", f"port-{name}", "--tls-cert", "tls.crt", "--tls-key",
                          "tls.key", "--issuer", "https://issuer.test", "--audience", "openrms",
                          "--jwks-file", "iss/jwks.json", "--access-log", f"access-{name}.log"],
                         stderr=open(f"serve-{name}.err", "w"))
    nodes.append(p)
try:
    urls = []
    for name in ("a", "b"):
        for _ in range(100):
            if os.path.exists(f"port-{name}") and open(f"port-{name}").read().strip():
                break
            time.sleep(0.1)
        urls.append("https://127.0.0.1:" + open(f"port-{name}").read().strip())

    def call(url, user, path, body=None):
        """(status, parsed body)"""
        req = urllib.request.Request(url + path, None if body is None else json.dumps(body).encode(),
                                     method="GET" if body is None else "POST",
                                     headers={"Authorization": "Bearer " + tokens[user],
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                data = r.read()
                return r.status, json.loads(data) if data else None
        except urllib.error.HTTPError as e:
            data = e.read()
            try:
                return e.code, json.loads(data)
            except ValueError:
                return e.code, data.decode(errors="replace")

    def ready(url):
        try:
            with urllib.request.urlopen(url + "/readyz", context=ctx, timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    # Enrol on different nodes (key pairs made here), publish on A.
    rac = {}
    for user, url in (("alice", urls[0]), ("bob", urls[1])):
        sh("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-out", f"{user}.key")
        pub = sh("openssl", "pkey", "-in", f"{user}.key", "-pubout")
        status, body = call(url, user, "/v1/racs", {"public_key": pub})
        check(f"{user} enrols on node {'ab'[urls.index(url)]}", status == 200, status)
        rac[user] = body["rac"]
    status, body = call(urls[0], "alice", "/v1/publish",
                        {"rac": rac["alice"], "policy": {"grants": ["bob@contoso.com:VIEW"]}})
    check("alice publishes on node a", status == 200, status)
    pl, cid = body["publishing_license"], body["content_id"]
    acquire = {"publishing_license": pl, "rac": rac["bob"]}

    granted = 0
    def load(n):
        global granted
        statuses = {}
        for i in range(n):
            status, _ = call(urls[i % 2], "bob", "/v1/acquire", acquire)
            statuses[status] = statuses.get(status, 0) + 1
            granted += status == 200
        return statuses

    s1 = load(60)
    check("60 acquisitions over both nodes all succeed", s1 == {200: 60}, s1)

    # PostgreSQL goes away.
    subprocess.run(pg_ctl + " -m fast stop", shell=True, check=True, capture_output=True)
    down = [call(u, "bob", "/v1/acquire", acquire) for u in urls]
    check("with PostgreSQL down both nodes answer 503 unavailable",
          all(s == 503 and isinstance(b, dict) and b.get("code") == "unavailable" for s, b in down),
          [s for s, _ in down])
    check("and /readyz says 503 on both", [ready(u) for u in urls] == [503, 503])
    check("/healthz still answers (the process is alive)",
          all(urllib.request.urlopen(u + "/healthz", context=ctx).status == 200 for u in urls))

    # It comes back: the nodes recover without a restart.
    subprocess.run(pg_ctl + " start", shell=True, check=True, capture_output=True)
    t0 = time.time()
    while time.time() - t0 < 15 and [ready(u) for u in urls] != [200, 200]:
        time.sleep(0.2)
    check("both nodes ready again after the restart", [ready(u) for u in urls] == [200, 200],
          f"{time.time() - t0:.1f} s")
    s2 = load(60)
    check("60 more acquisitions after the restart all succeed", s2 == {200: 60}, s2)

    # One database: a revocation on A holds on B at the next request.
    status, _ = call(urls[0], "alice", "/v1/revoke", {"content_id": cid})
    check("alice revokes on node a", status == 204, status)
    status, body = call(urls[1], "bob", "/v1/acquire", acquire)
    check("node b refuses at once: revoked", status == 403 and body.get("code") == "revoked", status)

    # Tenant settings changed on A reach B within the documented bound (5 s).
    req = urllib.request.Request(urls[0] + "/v1/admin/settings",
                                 json.dumps({"max_use_license_days": 7}).encode(), method="PUT",
                                 headers={"Authorization": "Bearer " + tokens["admin"],
                                          "Content-Type": "application/json"})
    check("the admin changes a tenant setting on node a",
          urllib.request.urlopen(req, context=ctx).status == 200)
    t0 = time.time()
    seen = None
    while time.time() - t0 < 8:
        with urllib.request.urlopen(urls[1] + "/v1/discovery", context=ctx) as r:
            seen = json.load(r)["settings"]["max_use_license_days"]
        if seen == 7:
            break
        time.sleep(0.25)
    check("node b applies it within 5 s (+ polling)", seen == 7 and time.time() - t0 <= 6.5,
          f"{time.time() - t0:.1f} s")

    # Every license handed out has exactly one tracking row.
    status, log = call(urls[1], "alice", f"/v1/track/{cid}")
    rows = [e for e in log if e["user"] == "bob@contoso.com" and e["outcome"] == "granted"]
    check("tracking rows of granted acquisitions = licenses received (none lost or duplicated)",
          len(rows) == granted, f"{len(rows)} rows, {granted} licenses")
finally:
    for p in nodes:
        p.terminate()
    codes = [p.wait(timeout=30) for p in nodes]
check("both nodes drain and exit 0 on SIGTERM", codes == [0, 0], codes)
print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
