#!/usr/bin/env bash
# What every command owes its user (issue 17): no overwritten outputs without --force and never
# the input, checked writes to standard output, nothing left behind by an interrupted command,
# usage errors that exit 2 with the "openrms:" prefix.
# Usage: cli_conventions_test.sh OPENRMS_BINARY WORK_DIR
set -uo pipefail
lib=$(dirname "$(readlink -f "$0")")/cli_test_lib.sh
bin=$(readlink -f "$1")
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
export OPENRMS_STORE="$work/srv/store.db"
source "$lib"
"$bin" server init >/dev/null || exit 2
for u in alice@contoso.com bob@contoso.com; do "$bin" user enroll "$u" >/dev/null || exit 2; done

# --- usage errors ---
run
check "no arguments: exit 2" rc 2
check "no arguments: the help" has "Subcommands:"
run --no-such-flag
check "unknown flag: exit 2" rc 2
check "unknown flag: openrms: usage:" has "^openrms: usage: " err.txt
run protect
check "missing argument: exit 2" rc 2
run mail
check "command group without its subcommand: exit 2 with its help" rc 2
check "command group help" has "protect" err.txt

# --- outputs: never the input, an existing file only with --force ---
printf 'the plan\n' >plan.txt
run protect plan.txt --as alice@contoso.com -g bob@contoso.com:VIEW
check "protect" rc 0
run protect plan.txt --as alice@contoso.com -g bob@contoso.com:VIEW
check "protect refuses an existing output" rc 1
check "and says --force" has "force" err.txt
run protect plan.txt --as alice@contoso.com -g bob@contoso.com:VIEW --force
check "protect --force overwrites" rc 0
run unprotect plan.ptxt --as alice@contoso.com
check "unprotect refuses to overwrite the plaintext original" rc 1
check "the original is intact" grep -qx "the plan" plan.txt
run unprotect plan.ptxt --as alice@contoso.com -o plan.ptxt --force
check "unprotect never writes onto its input" rc 1
run inspect plan.ptxt
check "the protected file is intact" rc 0
printf 'From: alice@contoso.com\r\nTo: bob@contoso.com\r\nSubject: q3\r\n\r\nnumbers\r\n' >q3.eml
cp q3.eml q3.orig
run mail protect q3.eml -o q3.eml --as alice@contoso.com --encrypt-only --force
check "mail protect never replaces its input" rc 1
check "the message is intact" cmp -s q3.eml q3.orig
run mail protect q3.eml --as alice@contoso.com --encrypt-only --json
check "mail protect" rc 0
check "mail protect --json" python3 -c 'import json; json.load(open("out.txt"))' 
run mail protect q3.eml --as alice@contoso.com --encrypt-only
check "mail protect refuses an existing output" rc 1
run protect plan.txt -o new/folder/plan.ptxt --as alice@contoso.com -g bob@contoso.com:VIEW
check "protect creates a missing output folder (as folder mode does)" test -s new/folder/plan.ptxt
run mail protect q3.eml -o no/such/folder/q3.eml --as alice@contoso.com --encrypt-only
check "elsewhere a missing output folder is named" has "folder no/such/folder does not exist" err.txt

mkdir -p tree && printf 'one\n' >tree/one.txt
run protect tree -o tree-out --as alice@contoso.com -g bob@contoso.com:VIEW
check "folder mode" rc 0
run protect tree -o tree-out --as alice@contoso.com -g bob@contoso.com:VIEW
check "folder mode refuses to replace existing outputs" rc 1
check "folder mode says --force" has "force" err.txt
run protect tree -o tree-out --as alice@contoso.com -g bob@contoso.com:VIEW --force
check "folder mode --force replaces them" rc 0

# --- standard output: every write checked ---
head -c 3000000 /dev/urandom >big.bin
"$bin" protect big.bin --as alice@contoso.com -g bob@contoso.com:VIEW >/dev/null 2>&1
"$bin" open big.bin.pfile --as bob@contoso.com --print >/dev/full 2>err.txt
echo $? >rc.txt
check "--print to a full disk: exit 1" rc 1
check "--print to a full disk: an io error" has "^openrms: io: " err.txt
"$bin" server info >/dev/full 2>err.txt
echo $? >rc.txt
check "a table to a full disk: exit 1" rc 1

# --- --json on the commands scripts drive, errors included ---
for cmd in "mail inspect q3-protected.eml" "mail open q3-protected.eml --as bob@contoso.com" \
           "unprotect plan.ptxt --as alice@contoso.com -o plan-copy.txt" \
           "rules test q3.eml" "branding list" "user renew bob@contoso.com" \
           "revoke plan.ptxt --as alice@contoso.com"; do
  # shellcheck disable=SC2086
  run $cmd --json
  check "--json: $cmd" python3 -c 'import json; json.load(open("out.txt"))'
done
run open no-such.ptxt --as bob@contoso.com --json
check "--json errors are JSON" python3 -c 'import json; e=json.load(open("out.txt"))["error"]; assert e["code"] == "usage", e'
run open plan.ptxt --as bob@contoso.com --print --json
check "--json: a refused open is JSON with its code" python3 -c 'import json; e=json.load(open("out.txt"))["error"]; assert e["code"] == "revoked", e'

# --- license show and track say what they hold ---
ul=$(ls -d bob@contoso.com.licenses/*.xml | head -1)
run license show "$ul"
check "license show decodes a use license (it contains <PublishingLicense> as text)" has "use license"
run track big.bin.pfile --as alice@contoso.com --json
check "the tracking log carries the issuer and the owner" has '"owner": "alice@contoso.com"'

# --- the store: read-only or empty stores are refused clearly, and leave nothing behind ---
cp "$OPENRMS_STORE" ro.db && cp "$OPENRMS_STORE.kek" ro.db.kek && chmod 444 ro.db
run template list --store ro.db
check "a read-only store: an io error that says so" has "read-only" err.txt
check "a read-only store: no -wal/-shm left" test ! -e ro.db-wal -a ! -e ro.db-shm
: >empty.db && cp "$OPENRMS_STORE.kek" empty.db.kek
run template list --store empty.db
check "an empty store: says it is damaged, points to the backup" has "restore it from your backup" err.txt
run server init --store empty.db
check "server init does not paper over an empty store" rc 1

mkdir -p rodir && cp "$OPENRMS_STORE" rodir/s.db && cp "$OPENRMS_STORE.kek" rodir/s.db.kek && chmod 555 rodir
run template list --store rodir/s.db
check "a read-only store folder is named as such (not bad_format/internal)" has "^openrms: io: .*read-only" err.txt
chmod 755 rodir
cp "$OPENRMS_STORE" wrongkek.db && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >wrongkek.db.kek
run template list --store wrongkek.db
check "a wrong KEK is wrong_password" has "^openrms: wrong_password: " err.txt

# --- passwords without a terminal: say how to give one ---
printf 'pw\n' >pw.txt
run office encrypt plan.txt plan.docx --password-file pw.txt
check "office encrypt of a non-OOXML file points to protect" has "openrms protect" err.txt

# --- interrupted commands leave nothing behind ---
head -c 500000000 /dev/zero >huge.bin
"$bin" protect huge.bin --as alice@contoso.com -g alice@contoso.com:OWNER >/dev/null 2>&1
rm -f huge.bin
for sig in INT TERM KILL; do
  "$bin" unprotect huge.bin.pfile --as alice@contoso.com >/dev/null 2>&1 &
  pid=$!
  sleep 0.25
  kill -s "$sig" "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  status=$?
  if [ "$status" -ne 0 ]; then
    check "SIG$sig during unprotect: no temporary file" test -z "$(ls -A | grep openrms-tmp)"
    check "SIG$sig during unprotect: no partial plaintext" test ! -e huge.bin
  else
    # The machine was fast enough to finish first: then the output must be whole.
    check "unprotect finished before SIG$sig: the whole output" test "$(stat -c %s huge.bin)" = 500000000
  fi
  rm -f huge.bin
done
cli_test_done
