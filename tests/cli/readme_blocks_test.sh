#!/usr/bin/env bash
# Every command block of the README's "in one minute" sections runs as written, in order, in one
# folder (with the files the blocks name: a .docx and a .xlsx from the shared corpus, PDFs from
# make_pdf.py, a message written by Python's email package, password files, certificates and a
# PKCS#12 key made by the openssl command). A block is run as a
# bash script with -e: any failing command fails the test and prints the block.
# Usage: readme_blocks_test.sh OPENRMS_BINARY SHARED_DIR WORK_DIR
set -uo pipefail
bin=$(readlink -f "$1")
shared=$(readlink -f "$2")
work=$3
here=$(cd "$(dirname "$0")" && pwd)
readme="$here/../../README.md"
rm -rf "$work" && mkdir -p "$work/bin" "$work/run" || exit 2
ln -s "$bin" "$work/bin/openrms"
export PATH="$work/bin:$PATH" OPENRMS_STORE="$work/srv/store.db"
cd "$work/run" || exit 2
PY=/usr/bin/python3

cp "$shared/corpus/office/expected/msoffcrypto__example.docx" report.docx || exit 2
cp "$shared/corpus/office/expected/msoffcrypto__example.xlsx" book.xlsx || exit 2
printf 'Secret-1\n' >pw.txt; printf 'user-pw\n' >u.txt; printf 'owner-pw\n' >o.txt
printf 'carol passphrase\n' >pass.txt
printf 'meeting notes\n' >notes.txt
$PY "$here/../formats/pdf/make_pdf.py" text in.pdf 2 || exit 2
cp in.pdf slides.pdf
mkdir -p share/sub && printf 'a\n' >share/a.txt && printf 'b\n' >share/sub/b.txt
printf 'key-pw\n' >kp.txt
for n in alice bob; do
  openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=$n" -days 2 -keyout $n.key -out $n.pem 2>/dev/null || exit 2
done
openssl pkcs12 -export -in alice.pem -inkey alice.key -passout pass:key-pw -out alice.p12 || exit 2
$PY - <<'PYEOF' || exit 2
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "alice@contoso.com"
m["To"] = "bob@contoso.com, partner@fabrikam.com"
m["Subject"] = "Q3"
m.set_content("The numbers.\n")
m.add_attachment(open("report.docx", "rb").read(), maintype="application",
                 subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                 filename="report.docx")
open("q3.eml", "wb").write(bytes(m))
PYEOF

# The blocks: runs of lines indented four spaces, before the set-up section.
$PY - "$readme" "$work" <<'PYEOF' || exit 2
import sys
text = open(sys.argv[1], encoding="utf-8").read().split("\n## Set-up")[0]
blocks, cur = [], []
for line in text.split("\n"):
    if line.startswith("    "):
        cur.append(line[4:])
    elif cur:
        blocks.append(cur); cur = []
if cur:
    blocks.append(cur)
for i, b in enumerate(blocks):
    open(f"{sys.argv[2]}/block{i:02d}.sh", "w").write("\n".join(b) + "\n")
print(len(blocks), "blocks")
PYEOF

failures=0
count=0
for block in "$work"/block*.sh; do
  count=$((count + 1))
  if bash -e -o pipefail "$block" >"$block.out" 2>&1; then
    echo "ok   README block $(basename "$block"): $(head -1 "$block" | cut -c1-70)"
  else
    echo "FAIL README block $(basename "$block"):"
    sed 's/^/       | /' "$block"
    echo "       output:"
    tail -5 "$block.out" | sed 's/^/       > /'
    failures=$((failures + 1))
  fi
done
[ "$count" -ge 5 ] || { echo "FAIL: only $count README blocks found"; failures=$((failures + 1)); }
echo "$failures failure(s)"
[ "$failures" -eq 0 ]
