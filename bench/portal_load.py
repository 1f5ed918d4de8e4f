#!/usr/bin/env python3
"""The portal's message page under load (issue 21's benchmark).

Starts `openrms serve --smtp-url` on 127.0.0.1 (ports the OS picks) with an SMTP sink
(aiosmtpd), has alice protect and deposit one message to 32 external recipients through the
real command, signs each recipient in with a passcode read from the sink (32 sessions), then runs
wrk (keep-alive TLS, 32 connections, bench/portal_message.lua rotating the session cookies)
against GET /portal/message. A session's first view acquires its use license and opens the
message (32 of the run's views); every later one reads the session and the content's revocation
state from the store, commits a "viewed" tracking row and renders the page from the message the
first view opened. Prints
requests/s, p50/p90/p99 and non-2xx responses, and the passcode check rate (sequential
POST /portal/verify with wrong codes from one client, each answered in full).

usage: bench/portal_load.py [--seconds N] [--connections N] [--bin OPENRMS] [--smoke]
  --smoke: 5 s, 8 connections; exits 1 unless every response was 200 (what a CI could run).
"""
import argparse, os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "server"))
from service_harness import Deployment, sh  # noqa: E402
from portal_client import Browser, last_code, mails_to, start_smtp_sink  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=int, default=20)
ap.add_argument("--connections", type=int, default=32)
ap.add_argument("--bin", default=os.path.join(ROOT, "build", "default", "cli", "openrms"))
ap.add_argument("--smoke", action="store_true")
a = ap.parse_args()
if a.smoke:
    a.seconds, a.connections = 5, 8
binary = os.path.abspath(a.bin)
work = tempfile.mkdtemp(prefix="openrms-portal-bench-")
d = Deployment(binary, work, "store.db", users=("alice",))
ok = True
try:
    smtp = start_smtp_sink(d)
    node = d.start_node("a", extra=["--smtp-url", f"smtp://127.0.0.1:{smtp}", "--smtp-starttls",
                                    "off", "--rate-limit", "0", "--portal-client-limit",
                                    "100000"])
    url, port = node.url, node.port
    _, irm = d.call(url, "admin", "/v1/admin/mail/irm")
    irm["portal_url"] = url + "/portal/read"
    d.call(url, "admin", "/v1/admin/mail/irm", irm, method="PUT")
    with open("alice.token", "w") as f:
        f.write(d.tokens["alice"])
    common = ["--server", url, "--ca-file", "tls.crt", "--token-file", "alice.token", "--dir",
              "alice"]
    os.makedirs("alice", exist_ok=True)
    sh(binary, "user", "enroll", "alice@contoso.com", *common)
    readers = [f"reader{i}@fabrikam.com" for i in range(a.connections)]
    with open("m.eml", "w") as f:
        f.write("From: alice@contoso.com\r\nTo: " + ", ".join(readers) +
                "\r\nSubject: Quarterly figures\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n" + "The figures.\r\n" * 200)
    sh(binary, "mail", "protect", "m.eml", "--encrypt-only", "--as", "alice@contoso.com",
       *common)
    cid = re.search(r"X-OpenRMS-Content-Id: (\S+)", open("m-protected.eml").read()).group(1)
    cookies = []
    for r in readers:
        b = Browser(port)
        b.request("GET", "/portal/read?id=" + cid)
        before = len(mails_to(r))
        b.request("POST", "/portal/code", {"id": cid, "address": r})
        code = last_code(r, before)
        status = b.request("POST", "/portal/verify", {"id": cid, "address": r, "code": code})[0]
        if status != 303:
            sys.exit(f"signing in {r} failed: {status}")
        cookies.append("; ".join(f"{k}={v}" for k, v in b.cookies.items()))
    with open("sessions.txt", "w") as f:
        f.write("\n".join(cookies) + "\n")
    print(f"{len(cookies)} sessions signed in; wrk: {a.connections} connections, {a.seconds} s")
    out = subprocess.run(["wrk", "-t1", f"-c{a.connections}", f"-d{a.seconds}s", "--latency",
                          "-s", os.path.join(ROOT, "bench", "portal_message.lua"),
                          url + "/portal/message"], capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    lat = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    print(f"message page: {float(rps.group(1)):.0f} views/s, p50 {lat.get('50')}, "
          f"p90 {lat.get('90')}, p99 {lat.get('99')}, non-2xx {non2xx.group(1) if non2xx else 0}"
          f"{', socket errors ' + errors.group(1) if errors else ''}")
    ok = rps is not None and not non2xx and not errors
    # Passcode checks: one client, 4 wrong codes per reader (the fifth would lock it), each
    # answered in full (HMAC, constant-time compare, the failure counted in the store).
    b = Browser(port)
    b.request("GET", "/portal/read?id=" + cid)
    n, spent = 0, 0.0
    for r in readers:
        b.request("POST", "/portal/code", {"id": cid, "address": r})
        for _ in range(4):
            t0 = time.time()
            status = b.request("POST", "/portal/verify", {"id": cid, "address": r,
                                                         "code": "00000000"})[0]
            spent += time.time() - t0
            n += 1
            ok = ok and status == 400
    print(f"passcode checks: {n / spent:.0f}/s, {1000 * spent / n:.1f} ms each, sequentially "
          "from one client (a new TLS connection per request)")
finally:
    d.stop()
sys.exit(0 if ok else 1)
