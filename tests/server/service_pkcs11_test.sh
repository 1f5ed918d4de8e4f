#!/usr/bin/env bash
# The licensing service with its keys in a PKCS#11 token (issue 20, fault test 4), through the
# real command, on the throwaway SoftHSM2 token of tests/crypto/with_softhsm.sh: `server init`
# with key pairs made in the token by pkcs11-tool; `openrms serve` signing and unsealing there
# while alice and bob protect and open through it; then starts that must fail at once with a
# clear error and no crash: wrong PIN, no such token, no module, no token configured at all.
# Usage: with_softhsm.sh service_pkcs11_test.sh OPENRMS_BINARY WORK_DIR
set -uo pipefail
lib=$(dirname "$(readlink -f "$0")")/../cli/cli_test_lib.sh
bin=$(readlink -f "$1")
work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
source "$lib"
unset OPENRMS_STORE OPENRMS_SERVER OPENRMS_TOKEN OPENRMS_PKCS11_MODULE OPENRMS_PKCS11_TOKEN OPENRMS_PKCS11_PIN_FILE
: "${OPENRMS_TEST_P11_MODULE:?run under tests/crypto/with_softhsm.sh}"
PY=/usr/bin/python3
ISSUER="$PY $here/token_issuer.py"
p11=(--pkcs11-module "$OPENRMS_TEST_P11_MODULE" --pkcs11-token "$OPENRMS_TEST_P11_TOKEN"
  --pkcs11-pin-file "$OPENRMS_TEST_P11_PIN_FILE")

run server init --store srv/store.db "${p11[@]}" --signing-key sign-1 --sealing-key seal-1 --json
check "server init with key pairs in the token" rc 0
check "the store holds references, not keys" $PY -c '
import sqlite3
rows = sqlite3.connect("srv/store.db").execute(
    "SELECT length(signing_key), length(sealing_key), signing_key_ref FROM server_generation").fetchall()
assert rows == [(0, 0, "pkcs11:token=openrms-test;object=sign-1")], rows' 
run server info --store srv/store.db
check "without the token the server does not open: unavailable, says what to configure" \
  bash -c "[ \$(cat rc.txt) = 1 ] && grep -q 'unavailable: .*PKCS#11 token.*--pkcs11-module' err.txt"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key \
  -out tls.crt -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null || exit 2
$ISSUER keys iss || exit 2
mkdir -p tokens && chmod 700 tokens
for u in alice bob; do $ISSUER token iss --email $u@contoso.com >tokens/$u || exit 2; done
serve_args=(serve --store srv/store.db --tls-cert tls.crt --tls-key tls.key --port 0
  --issuer https://issuer.test --audience openrms --jwks-file iss/jwks.json)
"$bin" "${serve_args[@]}" "${p11[@]}" --port-file port >serve.out 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
check "openrms serve starts with its keys in the token" test -s port
url="https://127.0.0.1:$(cat port)"
as() {
  local u=$1
  shift
  mkdir -p "$u"
  run "$@" --server "$url" --ca-file tls.crt --token-file "tokens/$u" --dir "$u"
}
as alice user enroll alice@contoso.com
as bob user enroll bob@contoso.com
echo "signed and unsealed in the token" >doc.txt
as alice protect doc.txt -o doc.pfile --as alice@contoso.com --grant bob@contoso.com:VIEW
check "alice protects through the service" rc 0
as bob open doc.pfile --print --as bob@contoso.com
check "bob opens through the service (use license signed in the token)" has "signed and unsealed in the token"
kill -TERM $pid
wait $pid
check "the service drains and exits 0" [ $? -eq 0 ]

# Starts that must fail at once, clearly, without a crash (exit 1, not a signal).
fails_with() {  # fails_with NAME PATTERN ARGS...: openrms serve ARGS exits 1 within 10 s, PATTERN on stderr
  local name=$1 pattern=$2
  shift 2
  timeout 10 "$bin" "${serve_args[@]}" "$@" >out.txt 2>err.txt
  local code=$?
  check "$name" exited_1_with "$code" "$pattern"
}
exited_1_with() { [ "$1" = 1 ] && grep -qF -- "$2" err.txt || { cat err.txt; false; }; }
echo 00000000 >wrong.pin && chmod 600 wrong.pin
fails_with "a wrong PIN: wrong_password at start" "wrong_password: PKCS#11: wrong PIN for token 'openrms-test'" \
  --pkcs11-module "$OPENRMS_TEST_P11_MODULE" --pkcs11-token "$OPENRMS_TEST_P11_TOKEN" --pkcs11-pin-file wrong.pin
check "and the PIN is not printed" bash -c "! grep -q 00000000 err.txt"
fails_with "a token that is not there: unavailable at start" "unavailable: PKCS#11: no token labelled 'hsm-2'" \
  --pkcs11-module "$OPENRMS_TEST_P11_MODULE" --pkcs11-token hsm-2 --pkcs11-pin-file "$OPENRMS_TEST_P11_PIN_FILE"
fails_with "a module that cannot be loaded: unavailable at start" "unavailable: PKCS#11: cannot load the module" \
  --pkcs11-module /nonexistent/pkcs11.so --pkcs11-token "$OPENRMS_TEST_P11_TOKEN" --pkcs11-pin-file "$OPENRMS_TEST_P11_PIN_FILE"
fails_with "no token configured: unavailable at start" "are held in a PKCS#11 token"
fails_with "a module without its PIN file: a usage error" "needs --pkcs11-pin-file" \
  --pkcs11-module "$OPENRMS_TEST_P11_MODULE" --pkcs11-token "$OPENRMS_TEST_P11_TOKEN"
cli_test_done
