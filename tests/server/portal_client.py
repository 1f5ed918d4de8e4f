"""A browser without a browser, for the portal's tests and benchmark: a cookie jar, the last
page's CSRF token and the Origin a browser sends; and the SMTP sink (aiosmtpd, Debian's
python3-aiosmtpd) the passcodes are read from. Loopback only; the sink is a process of the
Deployment (service_harness.py), stopped with it.
"""
import email, email.policy, glob, http.client, os, re, socket, ssl, sys, urllib.parse

from service_harness import free_port, sh, wait_for


class Browser:
    """Cookies, the last page's CSRF token and the Origin a browser would send."""

    def __init__(self, port):
        self.port, self.cookies, self.csrf = port, {}, ""
        self.ctx = ssl.create_default_context(cafile="tls.crt")
        self.set_cookie = []

    def request(self, method, path, form=None, origin=None, csrf=True):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=20)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = dict(form)
            if csrf:
                form["csrf"] = self.csrf
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = origin or f"https://127.0.0.1:{self.port}"
        conn.request(method, path, body, headers)
        r = conn.getresponse()
        data = r.read()
        for v in r.headers.get_all("Set-Cookie") or []:
            self.set_cookie.append(v)
            name, _, rest = v.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in v:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        text = data.decode("utf-8", "replace")
        m = re.search(r'name="csrf" value="([0-9a-f]+)"', text)
        if m:
            self.csrf = m.group(1)
        conn.close()
        return r.status, r.headers, data, text


def mails_to(addr, maildir="maildir"):
    out = []
    for f in sorted(glob.glob(os.path.join(maildir, "new", "*"))):
        with open(f, "rb") as fh:
            m = email.message_from_binary_file(fh, policy=email.policy.default)
        if addr in str(m["To"]):
            out.append(m)
    return out


def last_code(addr, count_before):
    wait_for(lambda: len(mails_to(addr)) > count_before, 10)
    ms = mails_to(addr)
    if len(ms) <= count_before:
        return None
    m = re.search(r"\b(\d{8})\b", ms[-1].get_body(("plain",)).get_content())
    return m.group(1) if m else None




def start_smtp_sink(deployment, maildir="maildir"):
    """Starts aiosmtpd on a free loopback port writing to `maildir`; its port, or None."""
    port = free_port()
    deployment.start(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                      "-c", "aiosmtpd.handlers.Mailbox", os.path.abspath(maildir)], "smtp.log")

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            return False
    return port if wait_for(up, 10) else None


def start_portal(d, binary, signin_name=None, decrypt_eo=False, secret="s3cret", extra=()):
    """A node with the portal (mailing through a sink), its IRM configuration pointing the
    wrappers' link at it and alice enrolled as a sender; with `signin_name`, also the test
    OpenID provider (oidc_provider.py; the browser sees its login page at idp.test) and the
    node's sign-in through it; `extra`: more `serve` options. Returns (node, mail protect's common arguments, provider):
    the provider's (process, issuer), or None."""
    smtp = start_smtp_sink(d)
    node_port = free_port()
    extra = ["--smtp-url", f"smtp://127.0.0.1:{smtp}", "--smtp-starttls", "off", *extra]
    provider = None
    if signin_name:
        redirect = f"https://127.0.0.1:{node_port}/portal/oidc/callback"
        proc = d.start([sys.executable, os.path.join(os.path.dirname(__file__), "oidc_provider.py"),
                 "--cert", "tls.crt", "--key", "tls.key", "--port-file", "provider.port",
                 "--client-id", "openrms-portal", "--client-secret", secret, "--redirect-uri",
                 redirect, "--browser-host", "idp.test", "--log", "provider.jsonl"],
                "provider.log")
        if not wait_for(lambda: os.path.exists("provider.port"), 15):
            raise RuntimeError("the test OpenID provider did not start")
        issuer = "https://127.0.0.1:" + open("provider.port").read().strip()
        provider = (proc, issuer)
        with open("client.secret", "w") as f:
            f.write(secret + "\n")
        os.chmod("client.secret", 0o600)
        extra += ["--portal-signin-issuer", issuer, "--portal-signin-client-id",
                  "openrms-portal", "--portal-signin-secret-file", "client.secret",
                  "--portal-signin-redirect-uri", redirect, "--portal-signin-name", signin_name,
                  "--portal-signin-ca-file", "tls.crt"]
    node = d.start_node("a", port=node_port, extra=extra)
    _, irm = d.call(node.url, "admin", "/v1/admin/mail/irm")
    irm["portal_url"] = node.url + "/portal/read"
    irm["decrypt_attachment_for_encrypt_only"] = decrypt_eo
    d.call(node.url, "admin", "/v1/admin/mail/irm", irm, method="PUT")
    with open("alice.token", "w") as f:
        f.write(d.tokens["alice"])
    os.chmod("alice.token", 0o600)
    common = ["--server", node.url, "--ca-file", "tls.crt", "--token-file", "alice.token",
              "--dir", "alice"]
    os.makedirs("alice", exist_ok=True)
    sh(binary, "user", "enroll", "alice@contoso.com", *common)
    return node, common, provider
