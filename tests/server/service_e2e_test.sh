#!/usr/bin/env bash
# The licensing service end to end, through the real command: `openrms serve` on 127.0.0.1 (a
# port the OS picks) with TLS and a test OIDC issuer (tests/server/token_issuer.py, Python's
# cryptography: an independent JWT implementation); alice and bob in separate data folders, as
# on two machines, with no store of their own. Token refusals, TLS, hostile requests, metrics
# and the graceful drain are checked with curl and Python sockets.
# Usage: service_e2e_test.sh OPENRMS_BINARY SHARED_DIR WORK_DIR
set -uo pipefail
lib=$(dirname "$(readlink -f "$0")")/../cli/cli_test_lib.sh
bin=$(readlink -f "$1")
shared=$(readlink -f "$2")
work=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
PY=/usr/bin/python3
ISSUER="$PY $here/token_issuer.py"
source "$lib"
unset OPENRMS_STORE OPENRMS_SERVER OPENRMS_TOKEN

# --- the service: store, TLS certificate, issuer keys ---
# The store: SQLite, or PostgreSQL when run under tests/licensing/with_postgres.sh.
store=srv/store.db kek=srv/store.db.kek
if [ -n "${OPENRMS_TEST_PG_URI:-}" ]; then
  store=$OPENRMS_TEST_PG_URI kek=$work/pg.kek
  echo "store: PostgreSQL"
fi
mkdir -p srv
"$bin" server init --store "$store" --kek-file "$kek" >/dev/null || exit 2
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key \
  -out tls.crt -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null || exit 2
$ISSUER keys iss || exit 2
mkdir -p tokens && chmod 700 tokens
token() { $ISSUER token iss "$@"; }
token --email alice@contoso.com >tokens/alice || exit 2
token --email bob@contoso.com --alg ES256 --groups finance@contoso.com >tokens/bob || exit 2
token --email eve@fabrikam.com >tokens/eve || exit 2
token --email admin@contoso.com --roles openrms.admin >tokens/admin || exit 2
chmod 600 tokens/*
cat >serve.json <<EOF
{"store": "$store", "kek-file": "$kek", "tls-cert": "tls.crt", "tls-key": "tls.key",
 "issuer": "https://issuer.test", "audience": "openrms", "jwks-file": "iss/jwks.json",
 "port": 0, "port-file": "port", "access-log": "access.log", "read-timeout-ms": 2000}
EOF
"$bin" serve --config serve.json >serve.out 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || { cat serve.out; exit 2; }
url="https://127.0.0.1:$(cat port)"
echo "service at $url"
as() {  # as USER ARGS...: openrms ARGS as USER (--as), with USER's data folder and token
  local u=$1 who="" dir=$1
  shift
  mkdir -p "$u"
  case "$1" in user) ;; template) dir="" ;; *) who="--as $(email_of "$u")" ;; esac
  run "$@" $who --server "$url" --ca-file tls.crt --token-file "tokens/$u" ${dir:+--dir "$dir"}
}
email_of() { case "$1" in eve) echo eve@fabrikam.com ;; *) echo "$1@contoso.com" ;; esac; }
api() {  # api USER METHOD PATH [JSON]: the HTTP status in code.txt, the body in body.txt
  local u=$1 m=$2 p=$3
  curl -s -o body.txt -w '%{http_code}' --cacert tls.crt -X "$m" -H "Authorization: Bearer $(cat tokens/$u)" \
    -H 'Content-Type: application/json' ${4:+--data "$4"} "$url$p" >code.txt
}
code() { [ "$(cat code.txt)" = "$1" ]; }

check "the service says where it listens" grep -q "listening on https://127.0.0.1" serve.out
run serve --config "$here/../../server/deploy/serve.example.json"
check "the example config parses (it fails only on its missing store)" has "no license server store" err.txt
run serve --config serve.json --port "$(cat port)" --port-file port2
check "a second service on a used port fails with a clear error" has "cannot listen" err.txt

# --- TLS ---
check "curl --cacert reaches /healthz" bash -c "curl -sf --cacert tls.crt $url/healthz | grep -q ok"
check "without the CA, curl refuses the certificate" bash -c "! curl -sf $url/healthz"
check "plain HTTP to the TLS port gets a clean 400" bash -c \
  "curl -s -w ' %{http_code}' http://127.0.0.1:$(cat port)/healthz | tr '\n' ' ' | grep -q 'speaks HTTPS.* 400'"
check "/readyz is ready" bash -c "curl -sf --cacert tls.crt $url/readyz | grep -q ready"
check "the served OpenAPI document is JSON" bash -c \
  "curl -sf --cacert tls.crt $url/v1/openapi.json | $PY -c 'import json,sys; assert json.load(sys.stdin)[\"openapi\"].startswith(\"3.\")'"

# --- users enrol through the service: the key pair is made on their side ---
as alice user enroll alice@contoso.com
check "alice enrols through the service" rc 0
check "alice has her key and RAC" test -s alice/alice@contoso.com.key.pem -a -s alice/alice@contoso.com.rac.xml
as bob user enroll bob@contoso.com
check "bob enrols" rc 0
as eve user enroll eve@fabrikam.com
check "eve enrols" rc 0
as bob user enroll alice@contoso.com
check "bob's token cannot enrol alice" has "the token is for bob@contoso.com" err.txt
cp bob/bob@contoso.com.rac.xml bob/rac-before.xml
as bob user renew bob@contoso.com --json
check "bob renews through the service (same key pair)" has '"new_key_pair": false'
check "the renewed RAC is a new certificate" bash -c '! cmp -s bob/rac-before.xml bob/bob@contoso.com.rac.xml'
check "no store was made on the clients" test ! -e alice/store.db -a ! -e "$HOME/.local/share/openrms/store.db.kek.never"

# --- protect a .docx, a .pdf and a .txt through the service; bob opens them ---
cp "$shared/corpus/office/expected/msoffcrypto__example.docx" alice/report.docx || exit 2
$PY "$here/../formats/pdf/make_pdf.py" text alice/plain.pdf 3 || exit 2
printf 'meeting notes: the launch is on Friday\n' >alice/notes.txt
as alice protect alice/report.docx -o alice/report-protected.docx -g bob@contoso.com:VIEW,PRINT
check "alice protects a .docx through the service" rc 0
as alice protect alice/plain.pdf -o alice/plain-protected.pdf -g bob@contoso.com:VIEW,PRINT
check "alice protects a .pdf through the service" rc 0
as alice protect alice/notes.txt -g bob@contoso.com:VIEW,PRINT
check "alice protects a .txt through the service" rc 0
for f in alice/report-protected.docx alice/plain-protected.pdf alice/notes.ptxt; do
  as bob open "$f" --json
  check "bob opens $(basename "$f") (another machine, another folder)" rc 0
  check "bob has VIEW and PRINT, not EXPORT" $PY -c '
import json; d = json.load(open("out.txt")); r = set(d["rights"].split(","))
assert {"VIEW", "PRINT"} <= r and "EXPORT" not in r, r'
  as eve open "$f"
  check "eve is refused $(basename "$f")" has "no_right" err.txt
done
as bob open alice/notes.ptxt --print
check "bob reads the text" has "launch is on Friday"
as bob inspect alice/notes.ptxt --json
check "inspect through the service names the issuer" has '"issuer": "alice@contoso.com"'
as bob unprotect alice/notes.ptxt -o bob/notes.txt
check "bob may not unprotect (no EXPORT)" has "no_right" err.txt
as alice unprotect alice/notes.ptxt -o alice/back.txt
check "alice (the issuer) unprotects" cmp alice/back.txt alice/notes.txt

# --- a template made through the admin API; groups from the token ---
api alice POST /v1/admin/templates '{"name":"x","policy":"<Policy/>"}'
check "a user cannot create templates (403)" code 403
api admin POST /v1/admin/templates \
  '{"name":"Finance view","policy":{"grants":["group:finance@contoso.com:VIEW"],"offline":"3"}}'
check "the admin creates a template" code 200
tid=$($PY -c 'import json; print(json.load(open("body.txt")).get("id",""))')
as alice template list --json
check "users see the template" has "Finance view"
as alice protect alice/notes.txt -o alice/fin.ptxt --template "$tid"
check "alice protects with the template" rc 0
as bob open alice/fin.ptxt --json
check "bob's token says finance: VIEW" has VIEW
as eve open alice/fin.ptxt
check "eve is not in finance" has "no_right" err.txt
# The template commands over the admin API, with the admin's token.
as admin template add "Board only" -g board@contoso.com:Viewer --offline 7 --json
check "template add through the service (admin)" rc 0
board=$($PY -c 'import json; print(json.load(open("out.txt"))["id"])')
as alice template add "Mine" -g alice@contoso.com:Viewer
check "a user's token cannot add templates" has "no_right" err.txt
as admin template update "$board" --grant board@contoso.com:Editor --json
check "template update through the service" has "board@contoso.com: .*EDIT"
as admin template archive "$board"
check "template archive through the service" rc 0
as alice template list --json
check "an archived template is not offered" bash -c '! grep -q "Board only" out.txt'
as admin template list --all --json
check "the admin sees it with --all, archived, with its grants" $PY -c '
import json; t = [x for x in json.load(open("out.txt")) if x["name"] == "Board only"][0]
assert t["archived"] and t["offline_access"] == "7d" and t["grants"], t'

# --- Do Not Forward mail through the service ---
$PY - <<'PYEOF' || exit 2
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "alice@contoso.com"
m["To"] = "bob@contoso.com"
m["Subject"] = "Q3"
m.set_content("Numbers attached.\n")
m.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="data.csv")
open("alice/q3.eml", "wb").write(bytes(m))
PYEOF
as alice mail protect alice/q3.eml --do-not-forward -o alice/q3-dnf.eml
check "alice protects mail Do Not Forward" rc 0
as bob mail open alice/q3-dnf.eml --body
check "bob reads it" has "Numbers attached."
check "bob may not forward" has "forward .*no"
printf 'From: bob@contoso.com\r\nTo: eve@fabrikam.com\r\nSubject: Fw\r\n\r\nFYI.\r\n' >bob/fw.eml
as bob mail forward alice/q3-dnf.eml --message bob/fw.eml -o bob/fwd.eml
check "bob's forward is refused" has "no_right" err.txt
printf 'From: bob@contoso.com\r\nTo: alice@contoso.com\r\nSubject: Re: Q3\r\n\r\nThanks.\r\n' >bob/re.eml
as bob mail reply alice/q3-dnf.eml --message bob/re.eml -o bob/re-protected.eml
check "bob replies through the service" rc 0
as alice mail open bob/re-protected.eml --body
check "alice reads the protected reply" has "Thanks."
as eve mail open alice/q3-dnf.eml
check "eve cannot open it" has "no_right" err.txt

# --- tracking and revocation ---
as alice track alice/notes.ptxt --json
check "the tracking log shows bob's acquisition" has "bob@contoso.com"
check "and eve's refusal" has "eve@fabrikam.com"
cp out.txt track-all.json
as alice track alice/notes.ptxt --json --limit 1
cp out.txt track-page1.json
seq=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["seq"])' track-page1.json)
as alice track alice/notes.ptxt --json --after "$seq"
check "the service pages the log: --limit 1, then --after its seq, is the whole log" python3 -c '
import json
whole, one, rest = (json.load(open(f)) for f in ("track-all.json", "track-page1.json", "out.txt"))
assert len(one) == 1 and len(whole) >= 2 and one + rest == whole, (len(whole), len(one), len(rest))'
as bob track alice/notes.ptxt
check "bob cannot read the tracking log" has "no_right" err.txt
as bob revoke alice/notes.ptxt
check "bob cannot revoke" has "no_right" err.txt
as alice revoke alice/notes.ptxt
check "alice revokes" rc 0
as bob open alice/notes.ptxt
check "bob's cached license still opens it offline (until it runs out)" rc 0
as bob open alice/notes.ptxt --no-cache
check "bob asking the service is refused: revoked" has "revoked" err.txt
# Content whose use licenses may not be kept (offline "never"): revocation stops bob at once.
cp alice/notes.txt alice/online.txt
as alice protect alice/online.txt -g bob@contoso.com:VIEW --offline never
as bob open alice/online.ptxt
check "bob opens online-only content" rc 0
as alice revoke alice/online.ptxt
as bob open alice/online.ptxt
check "and after its revocation his next open is refused (nothing cached)" has "revoked" err.txt

# --- tokens: every bad one is 401 and nothing is issued ---
before=$(curl -s --cacert tls.crt "$url/metrics" | awk '/^openrms_use_licenses_issued_total/ {print $2}')
bad=0
for t in "--exp -120" "--nbf 600" "--iss https://evil.test" "--aud another" "--key other" \
  "--alg none" "--alg HS256-pub" "--truncate" "--no-exp" "--pad 6000" "--pad 40000" "--pad 75000"; do
  token --email bob@contoso.com $t >bad.tok
  printf 'Authorization: Bearer %s\n' "$(cat bad.tok)" >bad.hdr
  status=$(curl -s -o bad.txt -w '%{http_code}' --cacert tls.crt -H @bad.hdr \
    -H 'Content-Type: application/json' --data @<(printf '{"public_key":"x"}') "$url/v1/racs")
  # Over 8 KiB a token is refused unread (401); headers over 60 KiB (a 100 KB token) are
  # refused before parsing (431): Beast keeps a field value in at most 64 KiB.
  want=401 want_code=unauthenticated
  [ "$t" = "--pad 75000" ] && want=431 want_code=invalid_argument
  if [ "$status" = $want ] && grep -q "\"code\":\"$want_code\"" bad.txt; then
    echo "ok   token $t ($(wc -c <bad.tok) bytes): $status"
  else
    echo "FAIL token $t: $status $(head -c 200 bad.txt)"
    bad=$((bad + 1))
  fi
done
failures=$((failures + bad))
after=$(curl -s --cacert tls.crt "$url/metrics" | awk '/^openrms_use_licenses_issued_total/ {print $2}')
check "no license issued by a refused token" [ "$before" = "$after" ]
check "no RAC issued to a refused token: the tracking log and RACs are unchanged" \
  bash -c "! grep -q '\"status\":200.*\"/v1/racs\".*bob' <(tail -n 10 access.log)"

# --- hostile requests: clear 4xx, and the service keeps serving ---
api bob POST /v1/acquire '{not json'
check "malformed JSON: 400" code 400
api bob POST /v1/acquire '{"publishing_license": 5, "rac": []}'
check "wrong types: 400" code 400
head -c 5000000 /dev/zero | tr '\0' ' ' >big.json
status=$(curl -s -o /dev/null -w '%{http_code}' --cacert tls.crt -H "Authorization: Bearer $(cat tokens/bob)" \
  -H 'Content-Type: application/json' --data-binary @big.json "$url/v1/acquire")
check "a 5 MB body: 413" [ "$status" = 413 ]
check "a portal deposit with no token or a bad one is refused (401) before its body is sent" \
  $PY - "$(cat port)" <<'PYEOF'
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile="tls.crt")
for auth in ("", "Authorization: Bearer not.a.token\r\n"):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                        server_hostname="127.0.0.1")
    # The header announces 30 MB (under the deposit limit) and no body follows: the answer
    # must come from the header alone, not after a read timeout.
    s.sendall(("POST /v1/portal/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               + auth + "Content-Length: 30000000\r\n\r\n").encode())
    s.settimeout(5)
    t0, data = time.time(), b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data.startswith(b"HTTP/1.1 401"), (auth, data[:200])
    assert b"Connection: close" in data, data[:400]
    assert time.time() - t0 < 2, time.time() - t0
    s.close()
PYEOF
check "slow clients are cut off after the read timeout" $PY - "$(cat port)" <<'PYEOF'
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile="tls.crt")
socks = []
for _ in range(20):  # twenty slowloris connections that send a byte a second
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="127.0.0.1")
    s.sendall(b"POST /v1/acquire HTTP/1.1\r\nHost: x\r\n")
    socks.append(s)
t0 = time.time()
closed = 0
while time.time() - t0 < 8 and closed < len(socks):
    closed = 0
    for s in socks:
        try:
            s.sendall(b"X")
            s.settimeout(0.01)
            if s.recv(1) == b"":
                closed += 1
        except (ssl.SSLError, OSError, socket.timeout) as e:
            if not isinstance(e, socket.timeout):
                closed += 1
    time.sleep(0.5)
assert closed == len(socks), closed
assert time.time() - t0 < 6, time.time() - t0
PYEOF
check "still serving after all that" bash -c "curl -sf --cacert tls.crt $url/healthz | grep -q ok"
check "metrics count requests by route template" bash -c \
  "curl -s --cacert tls.crt $url/metrics | grep -q 'openrms_http_requests_total{route=\"/v1/acquire\",method=\"POST\",status=\"200\"}'"
check "the access log is JSON lines with users and no tokens" $PY - <<'PYEOF'
import json
lines = [json.loads(l) for l in open("access.log")]
assert any(l.get("user") == "bob@contoso.com" and l.get("route") == "/v1/acquire" for l in lines)
text = open("access.log").read()
for t in ("alice", "bob", "eve", "admin"):
    tok = open("tokens/" + t).read().strip()
    assert tok[:40] not in text and tok[-40:] not in text
PYEOF

check "verified tokens are cached: far fewer signature checks than requests" bash -c "
  m=\$(curl -s --cacert tls.crt $url/metrics)
  checks=\$(echo \"\$m\" | awk '/^openrms_token_signature_checks_total/ {print \$2}')
  reqs=\$(echo \"\$m\" | awk '/^openrms_http_requests_total/ {n += \$2} END {print n}')
  echo \"signature checks \$checks, requests \$reqs\"
  [ \"\$checks\" -gt 0 ] && [ \$((checks * 3)) -lt \"\$reqs\" ]"

curl -s -o /dev/null --cacert tls.crt -H 'X-Forwarded-For: 203.0.113.9' "$url/healthz"
check "X-Forwarded-For from a peer that is not a trusted proxy is ignored" bash -c \
  "tail -n 1 access.log | grep -q '\"client\":\"127.0.0.1\"' && ! grep -q 203.0.113.9 access.log"

# --- SIGTERM drains and exits 0 ---
kill -TERM $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
wait $pid
check "SIGTERM: the service exits 0" [ $? -eq 0 ]
check "and says it drained" grep -q '"event":"stopped"' access.log
# --- keys from the issuer's OpenID discovery document (over TLS, on loopback) ---
mkdir -p oidc/.well-known
$PY - >oidc.port <<'PYEOF' &
import http.server, json, os, socket, ssl, sys, threading
os.chdir("oidc")
srv = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
srv.RequestHandlerClass.log_message = lambda *a: None
port = srv.server_address[1]
issuer = f"https://127.0.0.1:{port}"
json.dump({"issuer": issuer, "jwks_uri": issuer + "/jwks.json"},
          open(".well-known/openid-configuration", "w"))
open("jwks.json", "w").write(open("../iss/jwks.json").read())
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("../tls.crt", "../tls.key")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(port, flush=True)
threading.Timer(60, srv.shutdown).start()  # never outlives the test
srv.serve_forever()
PYEOF
oidc_pid=$!
trap 'kill -9 $pid $oidc_pid 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s oidc.port ] && break; sleep 0.1; done
oidc="https://127.0.0.1:$(cat oidc.port)"
rm -f port
"$bin" serve --store "$store" --kek-file "$kek" --tls-cert tls.crt --tls-key tls.key --port 0 --port-file port \
  --issuer "$oidc" --audience openrms --oidc-discovery --ca-file tls.crt \
  --trusted-proxy 127.0.0.1 --access-log access2.log >serve2.out 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
check "the service starts with keys from discovery" grep -q "2 signing key" serve2.out
token --email bob@contoso.com --iss "$oidc" >tokens/bob-oidc
status=$(curl -s -o body.txt -w '%{http_code}' --cacert tls.crt -H "Authorization: Bearer $(cat tokens/bob-oidc)" \
  "https://127.0.0.1:$(cat port)/v1/templates")
check "a token of the discovered issuer is accepted" [ "$status" = 200 ]
status=$(curl -s -o body.txt -w '%{http_code}' --cacert tls.crt -H "Authorization: Bearer $(cat tokens/bob)" \
  "https://127.0.0.1:$(cat port)/v1/templates")
check "one of the first issuer is not" [ "$status" = 401 ]
curl -s -o /dev/null --cacert tls.crt -H 'X-Forwarded-For: 198.51.100.7, 203.0.113.9' \
  "https://127.0.0.1:$(cat port)/healthz"
check "behind a trusted proxy the client is the address the proxy appended" bash -c \
  "tail -n 1 access2.log | grep -q '\"client\":\"203.0.113.9\"' && ! grep -q 198.51.100.7 access2.log"
kill -TERM $pid
wait $pid
check "and it drains on SIGTERM too" [ $? -eq 0 ]
kill $oidc_pid 2>/dev/null
cli_test_done
