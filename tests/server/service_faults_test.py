#!/usr/bin/env python3
"""Two `openrms serve` nodes on one PostgreSQL, and PostgreSQL restarted under them.

Run under tests/licensing/with_postgres.sh (it provides the cluster and $OPENRMS_TEST_PG_CTL).
Everything listens on 127.0.0.1 with ports the OS picks, and stops by itself. Checks, with counts:
  - both nodes serve the same state: a license published on node A is acquired on node B, and a
    revocation on node A is refused on node B at the next request;
  - PostgreSQL stopped: both nodes answer 503 (code "unavailable") and /readyz says 503;
  - PostgreSQL started again: both nodes recover by themselves (no restart), every acquisition
    that got a use license has exactly one "granted" tracking row — none lost, none duplicated;
  - a template changed on node A holds on node B at the next request; tenant settings within 5 s.
Usage: service_faults_test.py OPENRMS_BINARY WORK_DIR
"""
import json, os, subprocess, sys, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_harness import Checks, Deployment, license_id, wait_for

check = Checks()
d = Deployment(os.path.abspath(sys.argv[1]), sys.argv[2], os.environ["OPENRMS_TEST_PG_URI"])
pg_ctl = os.environ["OPENRMS_TEST_PG_CTL"]
ctx, call, ready = d.ctx, d.call, d.ready
tokens = d.tokens
try:
    urls = [d.start_node(name).url for name in ("a", "b")]

    # Enrol on different nodes (key pairs made here), publish on A.
    rac = {}
    for user, url in (("alice", urls[0]), ("bob", urls[1])):
        status, rac[user] = d.enrol(url, user)
        check(f"{user} enrols on node {'ab'[urls.index(url)]}", status == 200, status)
    status, body = call(urls[0], "alice", "/v1/publish",
                        {"rac": rac["alice"], "policy": {"grants": ["bob@contoso.com:VIEW"]}})
    check("alice publishes on node a", status == 200, status)
    pl, cid = body["publishing_license"], body["content_id"]
    acquire = {"publishing_license": pl, "rac": rac["bob"]}

    received = []  # ids of the use licenses that reached this client
    def load(n):
        statuses = {}
        for i in range(n):
            status, body = call(urls[i % 2], "bob", "/v1/acquire", acquire)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                received.append(license_id(body["use_license"]))
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
    status, body = call(urls[0], "alice", f"/v1/track/{cid}")
    check("the tracking log answers 503 unavailable too",
          status == 503 and isinstance(body, dict) and body.get("code") == "unavailable", status)
    check("/healthz still answers (the process is alive)",
          all(urllib.request.urlopen(u + "/healthz", context=ctx).status == 200 for u in urls))

    # It comes back: the nodes recover without a restart.
    subprocess.run(pg_ctl + " start", shell=True, check=True, capture_output=True)
    t0 = time.time()
    wait_for(lambda: [ready(u) for u in urls] == [200, 200], 15, 0.2)
    check("both nodes ready again after the restart", [ready(u) for u in urls] == [200, 200],
          f"{time.time() - t0:.1f} s")
    s2 = load(60)
    check("60 more acquisitions after the restart all succeed", s2 == {200: 60}, s2)

    # One database: a revocation on A holds on B at the next request.
    status, _ = call(urls[0], "alice", "/v1/revoke", {"content_id": cid})
    check("alice revokes on node a", status == 204, status)
    status, body = call(urls[1], "bob", "/v1/acquire", acquire)
    check("node b refuses at once: revoked", status == 403 and body.get("code") == "revoked", status)

    # A template changed on A holds on B at the next request (templates are not cached).
    status, t = call(urls[0], "admin", "/v1/admin/templates",
                     {"name": "Finance", "policy": {"grants": ["bob@contoso.com:VIEW"]}})
    check("the admin creates a template on node a", status == 200, status)
    status, body = call(urls[1], "alice", "/v1/publish", {"rac": rac["alice"], "template_id": t["id"]})
    check("alice publishes with it on node b", status == 200, status)
    by_template = {"publishing_license": body["publishing_license"], "rac": rac["bob"]}
    status, _ = call(urls[1], "bob", "/v1/acquire", by_template)
    check("bob acquires under the template on node b", status == 200, status)
    status, _ = call(urls[0], "admin", f"/v1/admin/templates/{t['id']}",
                     {"policy": {"grants": ["carol@contoso.com:VIEW"]}}, method="PATCH")
    check("the admin takes bob out of the template on node a", status == 200, status)
    status, body = call(urls[1], "bob", "/v1/acquire", by_template)
    check("node b refuses bob at once: no_right", status == 403 and body.get("code") == "no_right",
          status)

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

    # Every license handed out has exactly one tracking row, found by its license id.
    status, log = call(urls[1], "alice", f"/v1/track/{cid}")
    rows = [e["license_id"] for e in log
            if e["user"] == "bob@contoso.com" and e["outcome"] == "granted"]
    check("each license received has exactly one tracking row, and no row is extra",
          sorted(rows) == sorted(received) and len(set(received)) == len(received),
          f"{len(rows)} rows, {len(received)} licenses")
finally:
    codes = d.stop()
check("both nodes drain and exit 0 on SIGTERM", codes == [0, 0], codes)
check.exit()
