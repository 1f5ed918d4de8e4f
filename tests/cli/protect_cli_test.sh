#!/usr/bin/env bash
# Rights-protected files from the command line, checked with independent tools where they exist:
# the PDF wrapper with qpdf --check, poppler (pdftotext, pdftoppm) and MuPDF; the Office IRM
# compound file with Python's olefile (the reader msoffcrypto-tool uses); the PFile layout with
# Python struct. Usage: protect_cli_test.sh OPENRMS_BINARY SHARED_DIR WORK_DIR
set -uo pipefail
lib=$(dirname "$(readlink -f "$0")")/cli_test_lib.sh
bin=$(readlink -f "$1")
shared=$(readlink -f "$2")
work=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
export OPENRMS_STORE="$work/srv/store.db"
PY=/usr/bin/python3
source "$lib"

"$bin" server init >/dev/null || exit 2
for u in alice@contoso.com bob@contoso.com carol@fabrikam.com; do "$bin" user enroll "$u" >/dev/null || exit 2; done
head -c 20000 /dev/urandom >data.bin
printf 'meeting notes: the launch is on Friday\n' >notes.txt
cp "$shared/corpus/office/expected/msoffcrypto__example.docx" report.docx || exit 2
$PY "$here/../formats/pdf/make_pdf.py" text plain.pdf 3 || exit 2

# --- PFile ---
run protect notes.txt --as alice@contoso.com -g bob@contoso.com:VIEW,PRINT
check "protect txt" rc 0
check "PFile name" [ -s notes.ptxt ]
check "PFile magic and version 3 (struct)" $PY -c '
import struct,sys
d=open("notes.ptxt","rb").read()
assert d[:6]==b".pfile", d[:6]
major,minor,r=struct.unpack_from("<III",d,6)
assert (major,minor)==(3,0)
h=18+r
size,eo,el,po,pl,co,orig,mo,ml=struct.unpack_from("<IIIIIIQII",d,h)
assert size==40 and d[eo:eo+el]==b".txt" and orig==39
assert d[po:po+3]==b"\xef\xbb\xbf" and b"PublishingLicense" in d[po:po+pl]
assert (len(d)-co)==39+16, len(d)-co  # one AES-GCM segment: the text and its tag
assert ml==58 and d[mo:mo+18]==b"openrms-stream-v2:" and d[mo+18]==20  # 1 MiB segments
'
check "plaintext not in PFile" bash -c '! grep -q launch notes.ptxt'
run open notes.ptxt --as bob@contoso.com --print
check "bob reads" cmp -s out.txt notes.txt
run open notes.ptxt --as bob@contoso.com --can EXTRACT
check "bob cannot EXTRACT: no_right" has "no_right" err.txt
run open notes.ptxt --as carol@fabrikam.com
check "carol refused" rc 1
check "carol: no_right" has "openrms: no_right" err.txt
run unprotect notes.ptxt --as bob@contoso.com -o leaked.txt
check "bob cannot unprotect" rc 1
check "nothing written" [ ! -e leaked.txt ]
mv notes.txt notes.orig
run unprotect notes.ptxt --as alice@contoso.com
check "issuer unprotects to the original name" cmp -s notes.txt notes.orig
run protect data.bin --as alice@contoso.com --encrypt-only
check "other extensions: NAME.EXT.pfile" [ -s data.bin.pfile ]
run protect notes.ptxt --as alice@contoso.com --encrypt-only
check "already protected is refused" has "already protected" err.txt
# random access: only the segments a range lies in are read and verified
head -c 3000000 /dev/urandom >big.dat
run protect big.dat --as alice@contoso.com -g bob@contoso.com:VIEW
run inspect big.dat.pfile --json
check "inspect names per-segment integrity" has '"integrity": "per-segment AES-256-GCM (1024 KiB segments)"'
run open big.dat.pfile --as bob@contoso.com --range 1048000:100000
check "open --range: exit 0" rc 0
check "open --range gives those bytes" $PY -c '
import sys
d=open("big.dat","rb").read()
assert open("out.txt","rb").read()==d[1048000:1148000]
'
run open big.dat.pfile --as bob@contoso.com --range 2999990:100
check "open --range stops at the end" $PY -c '
assert open("out.txt","rb").read()==open("big.dat","rb").read()[2999990:]
'
run open big.dat.pfile --as bob@contoso.com --range 12-40
check "open --range: a malformed range is invalid_argument" has "invalid_argument" err.txt

# --- PDF wrapper ---
run protect plain.pdf -o prot.pdf --as alice@contoso.com --do-not-forward bob@contoso.com
check "protect pdf" rc 0
check "qpdf --check accepts the wrapper" qpdf --check prot.pdf
check "pdftotext shows the cover page" bash -c 'pdftotext prot.pdf - | grep -q "protected with openrms"'
check "pdftoppm renders the cover page" bash -c 'pdftoppm -r 20 -png prot.pdf cover && [ -s cover-1.png ]'
check "mutool sees one page" bash -c 'mutool info prot.pdf 2>/dev/null | grep -q "Pages: 1"'
check "payload text is not visible" bash -c '! pdftotext prot.pdf - | grep -qi "lorem\|page 2"'
run open prot.pdf --as bob@contoso.com --json
check "bob's Do Not Forward rights" bash -c 'grep -q "VIEW" out.txt && ! grep -q "FORWARD" out.txt'
run unprotect prot.pdf --as alice@contoso.com -o back.pdf
check "unprotected PDF passes qpdf --check" qpdf --check back.pdf
check "same text as the original" bash -c 'diff <(pdftotext plain.pdf -) <(pdftotext back.pdf -)'
check "the original file, byte for byte" cmp plain.pdf back.pdf
run open prot.pdf --as bob@contoso.com --range 100:50
check "bob reads a range of the PDF" bash -c 'cmp <(tail -c +101 plain.pdf | head -c 50) out.txt'

# --- Office IRM ---
run protect report.docx -o prot.docx --as alice@contoso.com -g '@contoso.com:Viewer'
check "protect docx" rc 0
check "IRM layout (olefile)" $PY -c '
import olefile,struct
o=olefile.OleFileIO("prot.docx")
names={"/".join(e) for e in o.listdir()}
for n in ["\x06DataSpaces/Version","\x06DataSpaces/DataSpaceMap","\x06DataSpaces/DataSpaceInfo/DRMEncryptedDataSpace",
          "\x06DataSpaces/TransformInfo/DRMEncryptedTransform/\x06Primary","EncryptedPackage","OpenRMS.Integrity"]:
    assert n in names, n
p=o.openstream("\x06DataSpaces/TransformInfo/DRMEncryptedTransform/\x06Primary").read()
n=struct.unpack_from("<I",p,172)[0]
lic=p[176:176+n]
assert lic.startswith(b"<?xml") and b"<PublishingLicense" in lic[:200], p[176:260]
m=o.openstream("\x06DataSpaces/DataSpaceMap").read().decode("utf-16le","ignore")
assert "DRMEncryptedDataSpace" in m and "EncryptedPackage" in m
e=o.openstream("EncryptedPackage").read()
assert struct.unpack_from("<Q",e,0)[0]==len(open("report.docx","rb").read())
'
run inspect prot.docx --json
check "inspect without rights" has '"container": "office-irm"'
run open prot.docx --as bob@contoso.com
check "domain grant: bob opens" has "VIEWRIGHTSDATA"
run inspect prot.docx --as bob@contoso.com --policy
check "Viewer may read the policy" has "@contoso.com"
run open prot.docx --as carol@fabrikam.com
check "other domain refused" rc 1
run unprotect prot.docx --as alice@contoso.com -o back.docx
check "docx round trip" cmp -s back.docx report.docx

# --- binary Office (.xls from msoffcrypto-tool's suite): IRM binary layout, streams restored ---
cp "$shared/corpus/office/expected/msoffcrypto__rc4cryptoapi_password_plain.xls" book.xls || exit 2
run protect book.xls -o prot.xls --as alice@contoso.com -g bob@contoso.com:VIEW
check "protect xls" rc 0
check "binary IRM layout (olefile)" $PY -c '
import olefile
o=olefile.OleFileIO("prot.xls")
names=["/".join(e) for e in o.listdir(streams=True, storages=True)]
assert "\tDRMContent" in names, names
assert "\x06DataSpaces/TransformInfo/\tDRMTransform/\x06Primary" in names, names
assert "Workbook" not in names, names
p=o.openstream(["\x06DataSpaces","TransformInfo","\tDRMTransform","\x06Primary"]).read()
assert b"PublishingLicense" in p[176:], p[170:200]
'
run unprotect prot.xls -o back.xls --as alice@contoso.com
check "unprotect xls" rc 0
check "every stream restored byte for byte (olefile)" $PY -c '
import olefile
a=olefile.OleFileIO("book.xls"); b=olefile.OleFileIO("back.xls")
sa=sorted(a.listdir()); sb=sorted(b.listdir())
assert sa==sb, (sa, sb)
for s in sa: assert a.openstream(s).read()==b.openstream(s).read(), s
'
check "unprotect gives back the original file byte for byte" cmp -s book.xls back.xls

# --- tamper: a flipped byte is an integrity error, and no output appears ---
cp notes.ptxt bad.ptxt
# Flip the bits of one ciphertext byte (setting it to a fixed value left it unchanged 1 time in 256).
/usr/bin/python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-20] ^= 0xFF; open(sys.argv[1], "wb").write(b)' bad.ptxt
run unprotect bad.ptxt --as alice@contoso.com -o bad.txt
check "tampered PFile: integrity" has "openrms: integrity" err.txt
check "tampered PFile: no output" [ ! -e bad.txt ]

# --- revoke and track ---
run revoke prot.docx --as bob@contoso.com
check "only the issuer revokes" has "no_right" err.txt
run revoke prot.docx --as alice@contoso.com
check "issuer revokes" rc 0
run open prot.docx --as bob@contoso.com --no-cache
check "revoked for bob" has "openrms: revoked" err.txt
run open prot.docx --as alice@contoso.com
check "issuer still opens" rc 0
run track prot.docx --as alice@contoso.com
check "track shows grants and refusals" bash -c 'grep -q "bob@contoso.com.*granted" out.txt && grep -q "refused: revoked" out.txt && grep -q "carol@fabrikam.com.*refused" out.txt'
# The log in pages: --limit, then --after the last seq, gives the rest and nothing twice.
run track prot.docx --as alice@contoso.com --json
cp out.txt track-all.json
run track prot.docx --as alice@contoso.com --json --limit 2
cp out.txt track-page1.json
seq=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[-1]["seq"])' track-page1.json)
run track prot.docx --as alice@contoso.com --json --after "$seq"
check "track pages: --limit 2 then --after gives the whole log once, in order" /usr/bin/python3 -c '
import json
whole, one, two = (json.load(open(f)) for f in ("track-all.json", "track-page1.json", "out.txt"))
assert len(whole) >= 3 and len(one) == 2, (len(whole), len(one))
assert one + two == whole, "pages differ from the whole log"
assert all(a["seq"] < b["seq"] for a, b in zip(whole, whole[1:]))'
run track prot.docx --as alice@contoso.com --limit 2
check "track text output says how to get the next page" has "more: --after $seq"

# --- bulk ---
mkdir -p tree/sub && cp report.docx tree/ && cp plain.pdf tree/sub/ && cp data.bin tree/sub/ && cp notes.ptxt tree/
run protect tree -o tree-out --as alice@contoso.com --encrypt-only
check "bulk summary" bash -c 'grep -q "protected *3" out.txt && grep -q "skipped *1" out.txt'
check "bulk outputs" bash -c '[ -s tree-out/report.docx ] && [ -s tree-out/sub/plain.pdf ] && [ -s tree-out/sub/data.bin.pfile ]'

cli_test_done
