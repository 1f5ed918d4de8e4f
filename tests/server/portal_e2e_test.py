#!/usr/bin/env python3
"""The external-recipient portal end to end, without a browser: `openrms serve --smtp-url` on
127.0.0.1 (ports the OS picks) with an SMTP sink the test runs (aiosmtpd, Debian's
python3-aiosmtpd), alice protecting a message through the real command (`mail protect --server`
deposits it), and an external recipient reading it over HTTPS with curl-level requests: the
wrapper's link, a passcode that really crossed SMTP (libcurl) into the sink, the session cookie's
flags, the message, an Encrypt-Only attachment compared byte for byte, the tracking row, a wrong
code locking the address, CSRF refusals and revocation. Everything stops by itself.
Usage: portal_e2e_test.py OPENRMS_BINARY WORK_DIR
"""
import email, email.policy, json, os, re, subprocess, sys, urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_harness import Checks, Deployment, sh
from portal_client import Browser, last_code, mails_to, start_smtp_sink

check = Checks()
binary = os.path.abspath(sys.argv[1])
d = Deployment(binary, sys.argv[2], "store.db", users=("alice",))

try:
    smtp_port = start_smtp_sink(d)
    check("the SMTP sink listens", smtp_port is not None)
    node = d.start_node("a", extra=["--smtp-url", f"smtp://127.0.0.1:{smtp_port}",
                                    "--smtp-starttls", "off", "--portal-from",
                                    "portal@contoso.com", "--max-deposit-body", str(16 << 20)])
    url, port = node.url, node.port
    check("the service says the portal is on",
          "portal answers on /portal/" in open("serve-a.err").read())

    # The tenant's IRM configuration points the wrappers' link at this portal.
    status, irm = d.call(url, "admin", "/v1/admin/mail/irm")
    irm["portal_url"] = url + "/portal/read"
    irm["decrypt_attachment_for_encrypt_only"] = True  # Encrypt-Only attachments arrive plain
    status, _ = d.call(url, "admin", "/v1/admin/mail/irm", irm, method="PUT")
    check("the admin sets the portal URL", status == 200, status)

    # alice enrols and protects a message through the service; it is deposited for the portal.
    with open("alice.token", "w") as f:
        f.write(d.tokens["alice"])
    os.chmod("alice.token", 0o600)
    common = ["--server", url, "--ca-file", "tls.crt", "--token-file", "alice.token", "--dir",
              "alice"]
    os.makedirs("alice", exist_ok=True)
    sh(binary, "user", "enroll", "alice@contoso.com", *common)
    attachment = b"region,revenue\r\nnorth,42\r\n"
    with open("q3.eml", "wb") as f:
        f.write(b"From: Alice <alice@contoso.com>\r\nTo: clement@fabrikam.com\r\n"
                b"Subject: Q3 <numbers>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
                b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
                b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe figures.\r\n"
                b"--b1\r\nContent-Type: text/csv; name=q3.csv\r\nContent-Disposition: attachment;"
                b" filename=q3.csv\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                __import__("base64").b64encode(attachment) + b"\r\n--b1--\r\n")
    out = json.loads(sh(binary, "mail", "protect", "q3.eml", "--encrypt-only", "--as",
                        "alice@contoso.com", "--json", *common))
    check("mail protect deposits the message for the portal", out.get("portal") == "deposited",
          out.get("portal"))
    with open("q3-protected.eml", "rb") as f:
        wrapper = email.message_from_binary_file(f, policy=email.policy.default)
    text = wrapper.get_body(("plain",)).get_content()
    m = re.search(re.escape(url) + r"/portal/read\?id=([0-9A-Za-z%_.-]+)", text)
    check("the wrapper links to the portal", m is not None)
    link = "/portal/read?id=" + m.group(1)
    cid = urllib.parse.unquote(m.group(1))

    # The recipient: start page, passcode by mail, session, message.
    b = Browser(port)
    status, headers, _, page = b.request("GET", link)
    check("the link opens the start page", status == 200 and "has sent you a protected message"
          in page, status)
    csp = headers.get("Content-Security-Policy", "")
    check("pages carry a strict CSP: scripts only from the portal, none inline",
          "default-src 'none'" in csp and "script-src 'self';" in csp and "unsafe" not in csp,
          csp)
    status, _, _, page = b.request("POST", "/portal/code",
                                   {"id": cid, "address": "clement@fabrikam.com"})
    check("asking for a passcode", status == 200 and "Enter your passcode" in page, status)
    code = last_code("clement@fabrikam.com", 0)
    check("the passcode arrives through SMTP", code is not None)
    status, headers, _, _ = b.request("POST", "/portal/verify",
                                      {"id": cid, "address": "clement@fabrikam.com",
                                       "code": code})
    check("the right passcode opens a session", status == 303 and
          headers.get("Location") == "/portal/message", status)
    session = [c for c in b.set_cookie if c.startswith("__Host-openrms_session=")]
    check("the session cookie is Secure, HttpOnly, SameSite=Strict, host-only",
          session and all(f in session[-1] for f in ("Secure", "HttpOnly", "SameSite=Strict",
                                                     "Path=/")) and "Domain" not in session[-1],
          session)
    status, _, _, page = b.request("GET", "/portal/message")
    check("the message shows, its subject escaped", status == 200 and "The figures." in page and
          "Q3 &lt;numbers&gt;" in page and "<numbers>" not in page, status)
    status, headers, data, _ = b.request("GET", "/portal/attachment?n=0")
    check("the Encrypt-Only attachment downloads as sent", status == 200 and data == attachment,
          (status, len(data)))
    status, log = d.call(url, "alice", "/v1/track/" + cid)
    mine = [e.get("outcome") for e in (log if isinstance(log, list) else [])
            if e.get("user") == "clement@fabrikam.com"]
    check("each portal view is in alice's tracking log: the page's use license granted, the "
          "download viewed under it", status == 200 and mine == ["granted", "viewed"],
          (status, mine))
    status, _, _, _ = b.request("POST", "/portal/code", {"id": cid,
                                                        "address": "clement@fabrikam.com"},
                                origin="https://evil.example")
    check("a POST from another origin is refused", status == 403, status)
    status, _, _, _ = b.request("POST", "/portal/code", {"id": cid,
                                                        "address": "clement@fabrikam.com"},
                                csrf=False)
    check("a POST without the CSRF token is refused", status == 403, status)

    # Five wrong codes lock the address (the code mailed last is refused too).
    other = Browser(port)
    other.request("GET", link)
    before = len(mails_to("clement@fabrikam.com"))
    other.request("POST", "/portal/code", {"id": cid, "address": "clement@fabrikam.com"})
    good = last_code("clement@fabrikam.com", before)
    wrong = "00000000" if good != "00000000" else "11111111"
    statuses = [other.request("POST", "/portal/verify", {"id": cid,
                                                         "address": "clement@fabrikam.com",
                                                         "code": wrong})[0] for _ in range(5)]
    check("four wrong codes say so, the fifth locks", statuses == [400, 400, 400, 400, 403],
          statuses)
    status = other.request("POST", "/portal/verify", {"id": cid, "address": "clement@fabrikam.com",
                                                      "code": good})[0]
    check("while locked the right code does not open", status == 403, status)

    # A message over the API's usual 4 MiB body limit is still deposited (its route has its own
    # limit, 16 MiB on this node: about a 6.5 MiB message) and read with its attachment intact.
    big = os.urandom(9 << 19)
    with open("big.eml", "wb") as f:
        f.write(b"From: Alice <alice@contoso.com>\r\nTo: erin@fabrikam.com\r\nSubject: Big\r\n"
                b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
                b"--b1\r\nContent-Type: text/plain\r\n\r\nLarge.\r\n--b1\r\n"
                b"Content-Type: application/octet-stream; name=big.bin\r\nContent-Disposition: "
                b"attachment; filename=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                __import__("base64").encodebytes(big).replace(b"\n", b"\r\n") + b"--b1--\r\n")
    out = json.loads(sh(binary, "mail", "protect", "big.eml", "--encrypt-only", "--as",
                        "alice@contoso.com", "--json", *common))
    check("a 4.5 MiB message is deposited", out.get("portal") == "deposited", out.get("portal"))
    e = Browser(port)
    e.request("GET", "/portal/read?id=" + urllib.parse.quote(out["content_id"]))
    n = len(mails_to("erin@fabrikam.com"))
    e.request("POST", "/portal/code", {"id": out["content_id"], "address": "erin@fabrikam.com"})
    e.request("POST", "/portal/verify", {"id": out["content_id"], "address": "erin@fabrikam.com",
                                         "code": last_code("erin@fabrikam.com", n)})
    status, _, data, _ = e.request("GET", "/portal/attachment?n=0")
    check("and its attachment downloads byte for byte", status == 200 and data == big,
          (status, len(data)))
    # A deposit the service refuses leaves the protected message written, with a warning.
    with open("huge.eml", "wb") as f:
        f.write(open("big.eml", "rb").read().replace(b"Subject: Big", b"Subject: Huge") +
                b"\r\n" * 3 + b"x" * (4 << 20))
    r = subprocess.run([binary, "mail", "protect", "huge.eml", "--encrypt-only", "--as",
                        "alice@contoso.com", "--json", *common], capture_output=True, text=True)
    out = json.loads(r.stdout or "{}")
    check("a deposit over the limit warns and still writes the protected message",
          r.returncode == 0 and out.get("portal", "").startswith("not deposited")
          and "warning" in r.stderr and os.path.getsize("huge-protected.eml") > (6 << 20),
          (r.returncode, out.get("portal"), r.stderr[-200:]))

    # Revocation: the open session sees the revoked page, nothing of the message.
    status, _ = d.call(url, "alice", "/v1/revoke", {"content_id": cid})
    check("alice revokes", status == 204, status)
    status, _, _, page = b.request("GET", "/portal/message")
    check("a revoked message shows the revoked page only", status == 403 and "revoked" in page
          and "The figures." not in page, status)
    check("the service is still serving", d.ready(url) == 200)
finally:
    d.stop()
check.exit()
