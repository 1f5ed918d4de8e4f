#!/usr/bin/env python3
"""A small OpenID Connect provider for the portal's sign-in tests, written here and independent
of openrms: discovery, a JWKS, the authorisation endpoint (a form: who signs in, and what to
get wrong on purpose) and the token endpoint, which checks the client's secret (HTTP Basic),
the code (single use, 60 s, bound to its redirect URI) and the PKCE verifier against the S256
challenge (RFC 7636) before it signs an ID token (RS256, python3-cryptography).

  oidc_provider.py --cert tls.crt --key tls.key --port-file F --client-id ID
                   --client-secret S --redirect-uri URI [--log events.jsonl]
                   [--browser-host NAME]

Serves HTTPS on 127.0.0.1 on a port the OS picks (written to --port-file); its issuer is
https://127.0.0.1:PORT. With --browser-host the authorisation endpoint (the only one a browser
visits) is advertised as https://NAME:PORT, so that a browser told to resolve NAME to
127.0.0.1 sees the provider as another site, as a real one is. Every token request is appended to --log as one JSON line: what was
checked and how it ended, so tests can see what the relying party sent.

The authorisation form's fields: email; verified ("1": email_verified true); tamper (none,
nonce, aud, iss, sig, expired: the ID token is wrong in that way); action (allow or deny).
"""
import argparse, base64, hashlib, html, json, os, secrets, ssl, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Provider:
    def __init__(self, a):
        self.a = a
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.requests, self.codes, self.lock = {}, {}, threading.Lock()
        self.issuer = self.browser_origin = ""

    def jwks(self):
        n = self.key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "kid": "p1", "use": "sig", "alg": "RS256",
                          "n": b64u(n.n.to_bytes(256, "big")), "e": b64u(n.e.to_bytes(3, "big"))}]}

    def id_token(self, grant):
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "u-" + hashlib.sha256(grant["email"].encode())
                  .hexdigest()[:16], "aud": self.a.client_id, "iat": now, "exp": now + 300,
                  "nonce": grant["nonce"], "email": grant["email"],
                  "email_verified": grant["verified"]}
        t = grant["tamper"]
        if t == "nonce":
            claims["nonce"] = "not-" + grant["nonce"]
        elif t == "aud":
            claims["aud"] = "someone-else"
        elif t == "iss":
            claims["iss"] = "https://elsewhere.test"
        elif t == "expired":
            claims["exp"] = now - 3600
        head = b64u(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "p1"}).encode())
        body = b64u(json.dumps(claims).encode())
        sig = self.key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        if t == "sig":
            sig = bytes([sig[0] ^ 1]) + sig[1:]
        return f"{head}.{body}.{b64u(sig)}"

    def log(self, event):
        if self.a.log:
            with self.lock, open(self.a.log, "a") as f:
                f.write(json.dumps(event) + "\n")


def handler(p):
    class H(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send(self, status, body, ctype="application/json", headers=()):
            data = body if isinstance(body, bytes) else body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def form(self):
            n = int(self.headers.get("Content-Length") or 0)
            return dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            if u.path == "/.well-known/openid-configuration":
                return self.send(200, json.dumps({
                    "issuer": p.issuer, "authorization_endpoint": p.browser_origin + "/authorize",
                    "token_endpoint": p.issuer + "/token", "jwks_uri": p.issuer + "/jwks",
                    "response_types_supported": ["code"], "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic"]}))
            if u.path == "/jwks":
                return self.send(200, json.dumps(p.jwks()))
            if u.path == "/authorize":
                return self.authorize(dict(urllib.parse.parse_qsl(u.query)))
            self.send(404, "{}")

        def authorize(self, q):
            # A bad client or redirect URI gets an error page, never a redirect (RFC 6749 §4.1.2.1).
            why = None
            if q.get("client_id") != p.a.client_id:
                why = "unknown client"
            elif q.get("redirect_uri") != p.a.redirect_uri:
                why = "redirect_uri is not registered"
            elif q.get("response_type") != "code" or "openid" not in q.get("scope", "").split():
                why = "not an OpenID authorisation-code request"
            elif q.get("code_challenge_method") != "S256" or len(q.get("code_challenge", "")) != 43:
                why = "PKCE with S256 is required"
            elif not q.get("state") or not q.get("nonce"):
                why = "state and nonce are required"
            if why:
                return self.send(400, f"<p>{html.escape(why)}</p>", "text/html")
            rid = secrets.token_urlsafe(16)
            with p.lock:
                p.requests[rid] = q
            self.send(200, (
                "<!DOCTYPE html><html><head><title>Test provider</title></head><body>"
                "<form method=post action=/authorize>"
                f"<input type=hidden name=rid value={rid}>"
                "<label>E-mail <input id=email name=email></label>"
                "<input type=hidden name=verified value=1><input type=hidden name=tamper value=none>"
                "<button id=allow name=action value=allow>Sign in</button>"
                "<button id=deny name=action value=deny>Cancel</button></form></body></html>"),
                "text/html")

        def do_POST(self):
            u = urllib.parse.urlsplit(self.path)
            f = self.form()
            if u.path == "/authorize":
                with p.lock:
                    q = p.requests.pop(f.get("rid", ""), None)
                if q is None:
                    return self.send(400, "<p>unknown request</p>", "text/html")
                back = q["redirect_uri"] + "?"
                if f.get("action") != "allow":
                    back += urllib.parse.urlencode({"error": "access_denied", "state": q["state"]})
                else:
                    code = secrets.token_urlsafe(24)
                    with p.lock:
                        p.codes[code] = {"challenge": q["code_challenge"], "nonce": q["nonce"],
                                         "redirect_uri": q["redirect_uri"],
                                         "email": f.get("email", ""),
                                         "verified": f.get("verified") == "1",
                                         "tamper": f.get("tamper", "none"),
                                         "expires": time.time() + 60, "used": False}
                    back += urllib.parse.urlencode({"code": code, "state": q["state"]})
                return self.send(302, "", "text/plain", [("Location", back)])
            if u.path == "/token":
                return self.token(f)
            self.send(404, "{}")

        def token(self, f):
            event = {"event": "token"}

            def refuse(error, why):
                event.update(ok=False, error=error, why=why)
                p.log(event)
                self.send(400, json.dumps({"error": error}))

            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Basic "):
                return refuse("invalid_client", "no HTTP Basic client authentication")
            cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            cid, secret = urllib.parse.unquote_plus(cid), urllib.parse.unquote_plus(secret)
            if cid != p.a.client_id or not secrets.compare_digest(secret, p.a.client_secret):
                return refuse("invalid_client", "wrong client id or secret")
            event["client_auth"] = "basic"
            if f.get("grant_type") != "authorization_code":
                return refuse("unsupported_grant_type", f.get("grant_type"))
            with p.lock:
                grant = p.codes.get(f.get("code", ""))
                reused = grant is not None and grant["used"]
                if grant is not None:
                    grant["used"] = True
            if grant is None or reused or time.time() > grant["expires"]:
                return refuse("invalid_grant", "reused" if reused else "unknown or expired code")
            if f.get("redirect_uri") != grant["redirect_uri"]:
                return refuse("invalid_grant", "redirect_uri differs")
            verifier = f.get("code_verifier", "")
            if not 43 <= len(verifier) <= 128 or \
                    b64u(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
                return refuse("invalid_grant", "PKCE verifier does not match the challenge")
            event.update(ok=True, pkce="S256 verified", email=grant["email"])
            p.log(event)
            self.send(200, json.dumps({"access_token": secrets.token_urlsafe(16),
                                       "token_type": "Bearer", "expires_in": 300,
                                       "id_token": p.id_token(grant)}))
    return H


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--cert", "--key", "--port-file", "--client-id", "--client-secret",
                "--redirect-uri"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--log")
    ap.add_argument("--browser-host")
    a = ap.parse_args()
    p = Provider(a)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(p))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    p.issuer = f"https://127.0.0.1:{port}"
    p.browser_origin = f"https://{a.browser_host}:{port}" if a.browser_host else p.issuer
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, a.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
