#!/usr/bin/env bash
# The licensing commands end to end: server init, user enroll/renew, template add/list/archive,
# license show (human and --json), and their errors (exit code 1, "openrms: <code>: ...").
# Usage: licensing_cli_test.sh OPENRMS_BINARY WORK_DIR
set -uo pipefail
lib=$(dirname "$(readlink -f "$0")")/cli_test_lib.sh
bin=$(readlink -f "$1")
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
export OPENRMS_STORE="$work/srv/store.db"
source "$lib"

run server info
check "no store yet: not_found" rc 1
check "no store yet: says how to create one" has "openrms server init" err.txt

run server init --suite ecdsa-p256 --name "Contoso RMS"
check "init" rc 0
check "init prints the SLC" has "SLC"
check "key-encryption key file is private" [ "$(stat -c %a "$OPENRMS_STORE.kek")" = 600 ]
run server init
check "init twice is harmless" has "already initialised"

run user enroll alice@contoso.com
check "enroll" rc 0
check "RAC written" [ -s alice@contoso.com.rac.xml ]
check "key is private" [ "$(stat -c %a alice@contoso.com.key.pem)" = 600 ]
check "key is PEM" grep -q "BEGIN PRIVATE KEY" alice@contoso.com.key.pem
run user enroll alice@contoso.com
check "enroll refuses to overwrite" rc 1

# File names made from addresses stay in --dir; the store and its folder are private.
mkdir -p deep/er && cd deep/er || exit 2
run user enroll "../../evil@x.com"
check "a path in the address is refused" rc 1
check "nothing written outside --dir" test ! -e ../../evil@x.com.key.pem -a ! -e ../../evil@x.com.rac.xml
cd ../.. || exit 2
check "store folder is 0700" [ "$(stat -c %a "$work/srv")" = 700 ]
check "store file is 0600" [ "$(stat -c %a "$OPENRMS_STORE")" = 600 ]
chmod 644 alice@contoso.com.key.pem
printf 'x\n' >note.txt
run protect note.txt --as alice@contoso.com -g alice@contoso.com:VIEW
check "a readable private key is warned about" has "warning: .*chmod 600" err.txt
chmod 600 alice@contoso.com.key.pem

# A user key under a passphrase: standard encrypted PKCS#8 (OpenSSL reads it), needed to act.
printf 'tr0ub4dor&3\n' >pass.txt
printf 'wrong\n' >wrong.txt
run user enroll erin@contoso.com --passphrase-file pass.txt
check "enroll with a passphrase" rc 0
check "the key is encrypted PKCS#8" grep -q "BEGIN ENCRYPTED PRIVATE KEY" erin@contoso.com.key.pem
check "openssl opens it with the passphrase" openssl pkey -in erin@contoso.com.key.pem -passin file:pass.txt -noout
run protect note.txt -o erin.ptxt --as erin@contoso.com -g erin@contoso.com:VIEW </dev/null
check "without the passphrase: refused" has "wrong_password" err.txt
run protect note.txt -o erin.ptxt --as erin@contoso.com -g erin@contoso.com:VIEW --passphrase-file wrong.txt
check "a wrong passphrase: wrong_password" has "wrong_password" err.txt
run protect note.txt -o erin.ptxt --as erin@contoso.com -g erin@contoso.com:VIEW --passphrase-file pass.txt
check "with the passphrase file" rc 0
OPENRMS_KEY_PASSPHRASE_FILE=pass.txt run open erin.ptxt --as erin@contoso.com --print
check "with \$OPENRMS_KEY_PASSPHRASE_FILE" has "^x$"

run license show alice@contoso.com.rac.xml --json
check "show RAC" rc 0
check "show RAC json subject" python3 -c 'import json,sys; j=json.load(open("out.txt")); sys.exit(0 if j["subject"]=="alice@contoso.com" and j["type"]=="RAC" and j["signature"]=="verified" else 1)'
sed 's/alice@contoso.com/mallory@contoso.com/' alice@contoso.com.rac.xml >forged.xml
run license show forged.xml
check "forged RAC: integrity error" rc 1
check "forged RAC: message" has "openrms: integrity:" err.txt

keyid() { "$bin" license show alice@contoso.com.rac.xml --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])'; }
serial() { "$bin" license show alice@contoso.com.rac.xml --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])'; }
k1=$(keyid); s1=$(serial)
run user renew alice@contoso.com
check "renew" rc 0
check "renew issues a new RAC" [ "$(serial)" != "$s1" ]
check "renew keeps the key" [ "$(keyid)" = "$k1" ]
run user renew alice@contoso.com --rotate-key
check "renew --rotate-key changes the key" [ "$(keyid)" != "$k1" ]

run template add "Confidential" -g "@contoso.com:Viewer" -g "bob@contoso.com:VIEW,FORWARD" --offline 7 --expiry 30d --json
check "template add" rc 0
check "template lint warning" has "without DOCEDIT and EDIT" err.txt
id=$(python3 -c 'import json; print(json.load(open("out.txt"))["id"])')
run template add "Bad" -g "bob@contoso.com:FLY"
check "unknown right rejected" rc 1
check "unknown right named" has "FLY" err.txt
run template list --json
check "list has one" python3 -c 'import json,sys; sys.exit(0 if len(json.load(open("out.txt")))==1 else 1)'
run template archive "$id"
check "archive" rc 0
run template list
check "archived hidden" has "No templates"
run template list --all --json
check "archived listed with --all" python3 -c 'import json,sys; j=json.load(open("out.txt")); sys.exit(0 if len(j)==1 and j[0]["archived"] else 1)'
run template archive no-such-id
check "archive unknown: not_found" has "openrms: not_found:" err.txt

# template update: the change reaches users when they next get a use license.
run template add "Team" -g "bob@contoso.com:Viewer" --json
tid=$(python3 -c 'import json; print(json.load(open("out.txt"))["id"])')
run user enroll bob@contoso.com
run user enroll carol@contoso.com
printf 'team notes\n' >team.txt
run protect team.txt --as alice@contoso.com -t "$tid"
check "protect with the template" rc 0
run open team.ptxt --as bob@contoso.com --print
check "bob reads under the template" has "team notes"
run open team.ptxt --as carol@contoso.com --no-cache
check "carol not yet" has "no_right" err.txt
run template update "$tid" -g "carol@contoso.com:Viewer" --description "carol only" --json
check "template update" rc 0
check "update bumps the version" python3 -c 'import json,sys; j=json.load(open("out.txt")); sys.exit(0 if j["version"]==2 and j["description"]=="carol only" else 1)'
run open team.ptxt --as carol@contoso.com --no-cache --print
check "carol reads after the update" has "team notes"
run open team.ptxt --as bob@contoso.com --print
check "bob keeps his cached use license until it runs out" has "team notes"
run open team.ptxt --as bob@contoso.com --no-cache
check "bob is refused a new one" has "no_right" err.txt
run template update "$tid"
check "update without a change: usage of the command explained" has "nothing to change" err.txt

run server settings --max-use-license-days 10
check "settings" rc 0
run server info --json
check "settings persisted" python3 -c 'import json,sys; sys.exit(0 if json.load(open("out.txt"))["max_use_license_days"]==10 else 1)'
run server rotate-keys
check "rotate" has "generation 2"
run license show alice@contoso.com.rac.xml
check "old RAC still verifies after rotation" rc 0

run --help
check "help lists licensing commands" has "template"

cli_test_done
