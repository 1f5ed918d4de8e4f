"""What the multi-node service tests share: checks with counts, a store, TLS files, tokens from
the independent issuer (token_issuer.py), `openrms serve` nodes and an HTTPS client.

Everything listens on 127.0.0.1 on ports the OS picks; every process started here is stopped by
Deployment.stop() (call it from a finally block).
"""
import json, os, re, shutil, socket, ssl, subprocess, sys, time, urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


class Checks:
    def __init__(self):
        self.failures = 0

    def __call__(self, name, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + name + (f" ({detail})" if detail != "" else ""),
              flush=True)
        self.failures += 0 if ok else 1

    def exit(self):
        print(f"{self.failures} failure(s)")
        sys.exit(1 if self.failures else 0)


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def free_port():
    """A loopback port that was free a moment ago (for programs that cannot report their own)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds, step=0.1):
    t0 = time.time()
    while time.time() - t0 < seconds:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def license_id(use_license_xml):
    m = re.search(r"<Id>([^<]+)</Id>", use_license_xml)
    return m.group(1) if m else None


class Node:
    def __init__(self, name, proc, port):
        self.name, self.proc, self.port = name, proc, port
        self.url = f"https://127.0.0.1:{port}"


class Deployment:
    """A store initialised for the service, TLS files, an issuer and tokens, in WORK (cwd)."""

    def __init__(self, binary, work, store, users=("alice", "bob"), kek=None):
        self.bin, self.store = binary, store
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        os.chdir(work)
        self.kek = kek or os.path.join(work, "store.kek")  # share one to reuse a store
        self.procs = []
        sh(binary, "server", "init", "--store", store, "--kek-file", self.kek)
        sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", "tls.key", "-out", "tls.crt", "-days", "2", "-subj",
           "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")
        issuer = [sys.executable, os.path.join(HERE, "token_issuer.py")]
        sh(*issuer, "keys", "iss")
        self.tokens = {u: sh(*issuer, "token", "iss", "--email", f"{u}@contoso.com").strip()
                       for u in users}
        self.tokens["admin"] = sh(*issuer, "token", "iss", "--email", "admin@contoso.com",
                                  "--roles", "openrms.admin").strip()
        self.ctx = ssl.create_default_context(cafile="tls.crt")

    def start_node(self, name, port=0, extra=()):
        port_file = f"port-{name}"
        if os.path.exists(port_file):
            os.remove(port_file)
        p = subprocess.Popen([self.bin, "serve", "--store", self.store, "--kek-file", self.kek,
                              "--port", str(port), "--port-file", port_file, "--tls-cert",
                              "tls.crt", "--tls-key", "tls.key", "--issuer", "https://issuer.test",
                              "--audience", "openrms", "--jwks-file", "iss/jwks.json",
                              "--access-log", f"access-{name}.log", *extra],
                             stderr=open(f"serve-{name}.err", "a"))
        self.procs.append(p)
        if not wait_for(lambda: os.path.exists(port_file) and open(port_file).read().strip(), 10):
            raise RuntimeError(f"node {name} did not start: " + open(f"serve-{name}.err").read())
        return Node(name, p, int(open(port_file).read()))

    def start(self, args, log):
        p = subprocess.Popen(args, stdout=open(log, "a"), stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def start_haproxy(self, cfg, n1, n2):
        """HAProxy running `cfg` (server/deploy/haproxy.cfg) before nodes n1 and n2, with its
        settings in the environment as the file expects: (process, url, port). The config is
        checked first (haproxy -c)."""
        with open("lb.pem", "w") as f:
            f.write(open("tls.crt").read() + open("tls.key").read())
        port = free_port()
        env = dict(os.environ, OPENRMS_LB_BIND=f"127.0.0.1:{port}", OPENRMS_LB_PEM="lb.pem",
                   OPENRMS_NODE_CA="tls.crt", OPENRMS_NODE1=f"127.0.0.1:{n1.port}",
                   OPENRMS_NODE2=f"127.0.0.1:{n2.port}",
                   OPENRMS_LB_STATS=os.path.abspath("haproxy.sock"))
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"  # sbin may not be on PATH
        subprocess.run([haproxy, "-c", "-q", "-f", cfg], env=env, check=True)
        lb = subprocess.Popen([haproxy, "-db", "-f", cfg], env=env,
                              stdout=open("haproxy.log", "w"), stderr=subprocess.STDOUT)
        self.procs.append(lb)
        return lb, f"https://127.0.0.1:{port}", port

    def call(self, url, user, path, body=None, method=None):
        """(status, parsed body) of one request as `user`."""
        req = urllib.request.Request(
            url + path, None if body is None else json.dumps(body).encode(),
            method=method or ("GET" if body is None else "POST"),
            headers={"Authorization": "Bearer " + self.tokens[user],
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
                data = r.read()
                return r.status, json.loads(data) if data else None
        except urllib.error.HTTPError as e:
            data = e.read()
            try:
                return e.code, json.loads(data)
            except ValueError:
                return e.code, data.decode(errors="replace")

    def ready(self, url):
        try:
            with urllib.request.urlopen(url + "/readyz", context=self.ctx, timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return None

    def enrol(self, url, user):
        """A RAC for `user`, for a key pair made here (the private key stays in this folder)."""
        sh("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-out", f"{user}.key")
        pub = sh("openssl", "pkey", "-in", f"{user}.key", "-pubout")
        status, body = self.call(url, user, "/v1/racs", {"public_key": pub})
        return status, (body or {}).get("rac") if isinstance(body, dict) else None

    def stop(self, timeout=30):
        """SIGTERM to every process still running; their exit codes, in start order."""
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        codes = []
        for p in self.procs:
            try:
                codes.append(p.wait(timeout=timeout))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(p.wait())
        return codes
