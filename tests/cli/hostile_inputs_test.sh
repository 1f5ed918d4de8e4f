#!/usr/bin/env bash
# The security review's small hostile inputs (../shared/hostile and generated ones) through every
# command that reaches them: each must end within 2 s and 256 MB of peak RSS (GNU time) with a
# typed error ("openrms: CODE: …", never "internal") or a correct result, and leave no output.
# Release builds only: sanitizers multiply the time. Usage: hostile_inputs_test.sh OPENRMS SHARED WORK
set -uo pipefail
lib=$(dirname "$(readlink -f "$0")")/cli_test_lib.sh
bin=$(readlink -f "$1")
shared=$(readlink -f "$2")
work=$3
hostile="$shared/hostile"
[ -d "$hostile" ] || { echo "FAIL: $hostile is missing"; exit 1; }
[ -x /usr/bin/time ] || { echo "FAIL: GNU time (/usr/bin/time) is not installed"; exit 1; }
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
export OPENRMS_STORE="$work/srv/store.db"
source "$lib"
"$bin" server init >/dev/null || exit 2
for u in alice@contoso.com bob@contoso.com; do "$bin" user enroll "$u" >/dev/null || exit 2; done
printf 'owner\n' >pw.txt

max_seconds=2.0
max_kb=$((256 * 1024))

# bounded NAME OUTPUT ARGS...: runs openrms ARGS under GNU time; OUTPUT must not exist afterwards
# unless the command succeeded.
bounded() {
  local name=$1 output=$2
  shift 2
  rm -f "$output"
  /usr/bin/time -f "%e %M" -o time.txt "$bin" "$@" >out.txt 2>err.txt </dev/null
  local code=$?
  read -r secs kb < <(tail -n 1 time.txt)
  local ok=1
  if ! awk -v s="$secs" -v m="$max_seconds" 'BEGIN { exit !(s <= m) }'; then
    echo "  $name: took ${secs} s (limit ${max_seconds} s)"; ok=0
  fi
  if [ "$kb" -gt "$max_kb" ]; then echo "  $name: peak RSS ${kb} KB (limit ${max_kb} KB)"; ok=0; fi
  if [ "$code" -ne 0 ]; then
    if [ "$code" -ne 1 ] || ! grep -Eq '^openrms: [a-z_]+: ' err.txt || grep -q '^openrms: internal' err.txt; then
      echo "  $name: exit $code, not a typed error: $(head -c 300 err.txt)"; ok=0
    fi
    if [ -n "$output" ] && [ -e "$output" ]; then echo "  $name: left $output behind"; ok=0; fi
  fi
  ls ./*.openrms-tmp-* >/dev/null 2>&1 && { echo "  $name: left a temporary file"; ok=0; }
  echo "       $name: exit $code, ${secs} s, ${kb} KB: $(head -c 160 err.txt | tr '\n' ' ')"
  check "$name bounded" [ "$ok" = 1 ]
}

# --- PDF: repair, predictor, object-stream cache (findings 2-4) ---
for f in predictor_bomb.pdf predictor_chain_64.pdf objstm_thrash_6.pdf repair_paren_20000.pdf; do
  cp "$hostile/$f" .
  bounded "pdf info $f" "" pdf info "$f"
  bounded "pdf encrypt $f" out.pdf pdf encrypt "$f" out.pdf --no-user-password --owner-password-file pw.txt
  bounded "pdf decrypt $f" out.pdf pdf decrypt "$f" out.pdf
  bounded "protect $f" out.ppdf protect "$f" -o out.ppdf --as alice@contoso.com -g bob@contoso.com:VIEW
  bounded "inspect $f" "" inspect "$f"
done

# --- Office: 64 encryptors x 10 million spins (finding 10) ---
cp "$hostile/office_spins_64.docx" .
bounded "office info spins" "" office info office_spins_64.docx
bounded "office decrypt spins (password)" out.docx office decrypt office_spins_64.docx out.docx --password-file pw.txt
bounded "office decrypt spins (default password)" out.docx office decrypt office_spins_64.docx out.docx
bounded "protect spins" out.pdocx protect office_spins_64.docx -o out.pdocx --as alice@contoso.com -g bob@contoso.com:VIEW

# --- License XML with 95,000 attributes (finding 11) ---
cp "$hostile/hostile_license.ptxt" .
bounded "inspect hostile license" "" inspect hostile_license.ptxt
bounded "open hostile license" "" open hostile_license.ptxt --as bob@contoso.com --print

# --- Mail (findings 3 via an attachment, 5, 12) ---
cp "$hostile/pdf_bomb_attachment.eml" .
bounded "mail protect PDF bomb" out.eml mail protect pdf_bomb_attachment.eml -o out.eml --as alice@contoso.com --encrypt-only
python3 - <<'PY' || exit 2
import base64, zlib
# 10 MB of 1,000,000 tiny parts.
with open("parts.eml", "w") as f:
    f.write("From: alice@contoso.com\r\nTo: bob@contoso.com\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n")
    f.write("--b\r\n\r\nx\r\n" * 1000000)
    f.write("--b--\r\n")
# 10 MB of header lines.
with open("headers.eml", "w") as f:
    f.write("From: alice@contoso.com\r\nTo: bob@contoso.com\r\n")
    for i in range(500000):
        f.write("X-H: %d\r\n" % i)
    f.write("\r\nbody\r\n")
# A protected-looking wrapper whose message.rpmsg declares 1 GiB in 4 KiB blocks of zeros.
z = zlib.compress(bytes(4096), 9)
block = (0x0FA0).to_bytes(4, "little") + (4096).to_bytes(4, "little") + len(z).to_bytes(4, "little") + z
first = bytes([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + bytes(4088)
zf = zlib.compress(first, 9)
head = (0x0FA0).to_bytes(4, "little") + (4096).to_bytes(4, "little") + len(zf).to_bytes(4, "little") + zf
rp = bytes([0x76, 0xE8, 0x04, 0x60, 0xC4, 0x11, 0xE3, 0x86]) + head + block * 262143
b64 = base64.encodebytes(rp).decode().replace("\n", "\r\n")
with open("rpmsg_bomb.eml", "w") as f:
    f.write("From: alice@contoso.com\r\nTo: bob@contoso.com\r\nSubject: bomb\r\nMIME-Version: 1.0\r\n"
            "Content-Class: rpmsg.message\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            "--b\r\nContent-Type: text/plain\r\n\r\nprotected\r\n--b\r\n"
            "Content-Type: application/x-microsoft-rpmsg-message; name=message.rpmsg\r\n"
            "Content-Disposition: attachment; filename=message.rpmsg\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "--b--\r\n")
PY
bounded "mail protect 1,000,000 parts" out.eml mail protect parts.eml -o out.eml --as alice@contoso.com --encrypt-only
bounded "mail protect 500,000 header lines" out.eml mail protect headers.eml -o out.eml --as alice@contoso.com --encrypt-only
bounded "mail open rpmsg inflating to 1 GiB" "" mail open rpmsg_bomb.eml --as bob@contoso.com
cli_test_done
