#!/usr/bin/env python3
"""The portal's sign-in with an OpenID provider (authorisation code + PKCE), end to end without
a browser: `openrms serve --portal-signin-issuer` on 127.0.0.1 against the test provider
(oidc_provider.py, written here independently of openrms, HTTPS on loopback), an external
recipient following the redirects by hand. Checked: the request the portal sends to the
provider (S256 challenge, state, nonce, the registered redirect URI) and the token request the
provider received (client secret over HTTP Basic, the verifier matching the challenge); the
flow cookie's flags; a session only for a verified address the message was sent to; refusals
for a replayed code, a changed state, a changed flow cookie, a callback without the browser's
cookie (login CSRF), an unverified address, an ID token with the wrong nonce, audience, issuer,
signature or expiry, and a cancelled sign-in; a branding without SocialIDSignIn offers no
sign-in; passcodes off with sign-in on shows only sign-in; a provider that is down gives 503.
Usage: portal_signin_test.py OPENRMS_BINARY WORK_DIR
"""
import http.client, json, os, re, ssl, sys, urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_harness import Checks, Deployment, sh  # noqa: E402
from portal_client import Browser, start_portal  # noqa: E402

check = Checks()
binary = os.path.abspath(sys.argv[1])
d = Deployment(binary, sys.argv[2], "store.db", users=("alice",))
ctx = ssl.create_default_context(cafile="tls.crt")


def fetch(url, form=None):
    """(status, headers, text) of one request to the provider; no redirect is followed. The
    provider's browser-facing name idp.test is 127.0.0.1, as the browser test maps it."""
    u = urllib.parse.urlsplit(url)
    host = "127.0.0.1" if u.hostname == "idp.test" else u.hostname
    conn = http.client.HTTPSConnection(host, u.port, context=ctx, timeout=20)
    path = u.path + ("?" + u.query if u.query else "")
    body = urllib.parse.urlencode(form) if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
    conn.request("POST" if form is not None else "GET", path, body, headers)
    r = conn.getresponse()
    text = r.read().decode("utf-8", "replace")
    conn.close()
    return r.status, r.headers, text


def start_signin(b, cid):
    """The portal's redirect to the provider: (status, provider URL, its query)."""
    status, headers, _, _ = b.request("GET", "/portal/oidc/start?id=" + urllib.parse.quote(cid))
    loc = headers.get("Location", "")
    return status, loc, dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))


def at_provider(auth_url, email, verified=True, tamper="none", action="allow"):
    """Signs in at the provider's form; the callback path and query it redirects to."""
    status, _, page = fetch(auth_url)
    m = re.search(r"name=rid value=([\w-]+)", page)
    if status != 200 or not m:
        return None
    status, headers, _ = fetch(auth_url.split("?")[0], {
        "rid": m.group(1), "email": email, "verified": "1" if verified else "0",
        "tamper": tamper, "action": action})
    loc = urllib.parse.urlsplit(headers.get("Location", ""))
    return loc.path + "?" + loc.query if status == 302 else None


def sign_in(b, cid, email, **kw):
    """A whole sign-in in browser `b`: the callback's (status, page)."""
    _, loc, _ = start_signin(b, cid)
    back = at_provider(loc, email, **kw)
    if back is None:
        return None, ""
    status, _, _, page = b.request("GET", back)
    return status, page


def protect(name, to, how, branding=None):
    with open(name + ".eml", "wb") as f:
        f.write(f"From: Alice <alice@contoso.com>\r\nTo: {to}\r\nSubject: {name}\r\n"
                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                f"The text of {name}.\r\n".encode())
    extra = ["--branding", branding] if branding else []
    out = json.loads(sh(binary, "mail", "protect", name + ".eml", how, "--as",
                        "alice@contoso.com", "--json", *extra, *common))
    return out["content_id"]


def events():
    return [json.loads(line) for line in open("provider.jsonl")] if os.path.exists(
        "provider.jsonl") else []


try:
    node, common, (provider, issuer) = start_portal(d, binary, "Fabrikam ID",
                                                    secret="s3cr3t:with+odd&chars")
    url = node.url
    redirect = f"https://127.0.0.1:{node.port}/portal/oidc/callback"
    # Two more brandings: one without social sign-in, one with passcodes off.
    status, brands = d.call(url, "admin", "/v1/admin/mail/branding")
    base = dict(brands[0])
    for name, social, otp in (("NoSocial", False, True), ("SignInOnly", True, False)):
        b = dict(base, identity=name, social_id_signin=social, otp_enabled=otp)
        status, _ = d.call(url, "admin", "/v1/admin/mail/branding/" + name, b, method="PUT")
        check(f"the admin adds branding {name}", status == 200, status)
    cid = protect("memo", "clement@fabrikam.com, dora@fabrikam.com", "--encrypt-only")

    # The path that works.
    b = Browser(node.port)
    status, _, _, page = b.request("GET", "/portal/read?id=" + urllib.parse.quote(cid))
    check("the start page offers sign-in with the provider",
          status == 200 and "Sign in with Fabrikam ID" in page and "/portal/oidc/start?id=" in page,
          status)
    check("and passcodes too", 'action="/portal/code"' in page)
    status, loc, q = start_signin(b, cid)
    check("sign-in sends the browser to the provider's authorisation endpoint",
          status == 303 and loc.startswith(issuer.replace("127.0.0.1", "idp.test") + "/authorize?"), (status, loc[:60]))
    check("with PKCE S256, state, nonce and the registered redirect URI",
          q.get("code_challenge_method") == "S256" and len(q.get("code_challenge", "")) == 43
          and len(q.get("state", "")) == 43 and q.get("nonce") and q.get("redirect_uri") == redirect
          and q.get("response_type") == "code" and "openid" in q.get("scope", "").split()
          and "code_verifier" not in q, q)
    flow = [c for c in b.set_cookie if c.startswith("__Host-openrms_signin=")]
    check("the flow cookie is Secure, HttpOnly, SameSite=Lax, host-only, short-lived",
          flow and all(f in flow[-1] for f in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/",
                                               "Max-Age=600")) and "Domain" not in flow[-1], flow)
    check("the flow cookie does not carry the nonce", q.get("nonce", "x") not in flow[-1])
    back = at_provider(loc, "Clement@Fabrikam.com")
    check("the provider sends the browser back with a code and the state",
          back is not None and back.startswith("/portal/oidc/callback?code="), back)
    status, _, _, page = b.request("GET", back)
    check("the callback signs the recipient in", status == 200 and "Signed in" in page and
          "clement@fabrikam.com" in page, (status, page[:200]))
    session = [c for c in b.set_cookie if c.startswith("__Host-openrms_session=")]
    check("with a Secure, HttpOnly, SameSite=Strict session cookie",
          session and all(f in session[-1] for f in ("Secure", "HttpOnly", "SameSite=Strict")),
          session)
    check("and the flow cookie is cleared", "__Host-openrms_signin" not in b.cookies)
    ev = events()
    check("the provider saw the client secret over HTTP Basic and a matching PKCE verifier",
          ev and ev[-1].get("ok") and ev[-1].get("client_auth") == "basic"
          and ev[-1].get("pkce") == "S256 verified", ev[-1:])
    status, _, _, page = b.request("GET", "/portal/message")
    check("the message shows", status == 200 and "The text of memo." in page, status)
    status, log = d.call(url, "alice", "/v1/track/" + cid)
    check("the view is in the tracking log", status == 200 and any(
        e.get("user") == "clement@fabrikam.com" and e.get("outcome") == "granted" for e in log))

    # Replays and forgeries.
    status, _, _, page = b.request("GET", back)
    check("the same callback again (flow cookie gone) is not recognised",
          status == 400 and "not recognised" in page, status)
    b2 = Browser(node.port)
    _, loc2, q2 = start_signin(b2, cid)
    saved = dict(b2.cookies)
    back2 = at_provider(loc2, "dora@fabrikam.com")
    status, _, _, _ = b2.request("GET", back2)
    check("dora signs in", status == 200, status)
    b2.cookies.update(saved)
    b2.cookies.pop("__Host-openrms_session", None)
    status, _, _, page = b2.request("GET", back2)
    check("a replayed code is refused by the provider and opens nothing",
          status == 403 and "invalid_grant" in page and "__Host-openrms_session" not in b2.cookies,
          status)

    b3 = Browser(node.port)
    _, loc3, q3 = start_signin(b3, cid)
    back3 = at_provider(loc3, "clement@fabrikam.com")
    victim = Browser(node.port)
    status, _, _, _ = victim.request("GET", back3)
    check("a callback in a browser that did not start the sign-in is refused (login CSRF)",
          status == 400 and "__Host-openrms_session" not in victim.cookies, status)
    changed = back3.replace("state=" + urllib.parse.quote(q3["state"]),
                            "state=" + ("A" if q3["state"][0] != "A" else "B") + q3["state"][1:])
    status, _, _, _ = b3.request("GET", changed)
    check("a changed state is refused", status == 400 and changed != back3, status)
    b4 = Browser(node.port)
    _, loc4, _ = start_signin(b4, cid)
    parts = b4.cookies["__Host-openrms_signin"].split(".")
    other = protect("other", "clement@fabrikam.com", "--encrypt-only")
    parts[1] = __import__("base64").urlsafe_b64encode(other.encode()).decode().rstrip("=")
    b4.cookies["__Host-openrms_signin"] = ".".join(parts)
    status, _, _, _ = b4.request("GET", at_provider(loc4, "clement@fabrikam.com"))
    check("a flow cookie changed to name another message is refused", status == 400, status)

    for who, kw, want, label in (
            ("eve@fabrikam.com", {}, "Not a recipient", "an address the message was not sent to"),
            ("clement@fabrikam.com", {"verified": False}, "has not verified",
             "an address the provider has not verified"),
            ("clement@fabrikam.com", {"tamper": "nonce"}, "nonce", "an ID token of another nonce"),
            ("clement@fabrikam.com", {"tamper": "aud"}, "another audience",
             "an ID token for another client"),
            ("clement@fabrikam.com", {"tamper": "iss"}, "another issuer",
             "an ID token from another issuer"),
            ("clement@fabrikam.com", {"tamper": "sig"}, "signature", "a forged ID token"),
            ("clement@fabrikam.com", {"tamper": "expired"}, "expired", "an expired ID token"),
            ("clement@fabrikam.com", {"action": "deny"}, "cancelled", "a cancelled sign-in")):
        x = Browser(node.port)
        status, page = sign_in(x, cid, who, **kw)
        check(f"{label} opens nothing", status in (401, 403) and want in page and
              "__Host-openrms_session" not in x.cookies, (status, re.sub(r"\s+", " ", page)[-300:]))

    # Brandings.
    nosocial = protect("nosocial", "clement@fabrikam.com", "--encrypt-only", "NoSocial")
    x = Browser(node.port)
    status, _, _, page = x.request("GET", "/portal/read?id=" + urllib.parse.quote(nosocial))
    check("a branding without SocialIDSignIn offers no sign-in",
          status == 200 and "Sign in with" not in page and 'action="/portal/code"' in page, status)
    status, _, _ = start_signin(x, nosocial)
    check("and refuses to start one", status == 403, status)
    only = protect("only", "clement@fabrikam.com", "--encrypt-only", "SignInOnly")
    status, _, _, page = x.request("GET", "/portal/read?id=" + urllib.parse.quote(only))
    check("passcodes off, sign-in on: only sign-in is offered",
          status == 200 and "Sign in with Fabrikam ID" in page and
          'action="/portal/code"' not in page, status)
    status, page = sign_in(x, only, "clement@fabrikam.com")
    check("and it opens the message", status == 200 and
          x.request("GET", "/portal/message")[0] == 200, status)

    # The provider goes away: the portal says so instead of failing.
    provider.terminate()
    provider.wait()
    y = Browser(node.port)
    status, loc, q = start_signin(y, cid)  # the endpoints are known already
    status, _, _, page = y.request("GET", "/portal/oidc/callback?code=x&state=" +
                                   urllib.parse.quote(q.get("state", "")))
    check("a provider that cannot be reached gives 503 and a page that says so",
          status == 503 and "cannot be reached" in page, status)
    check("the service is still serving", d.ready(url) == 200)
    err = open("serve-a.err").read()
    check("the client secret never reaches the service's log", "s3cr3t" not in err)
finally:
    d.stop()
check.exit()
