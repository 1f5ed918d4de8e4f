#!/usr/bin/env bash
# Interop for PDF encryption against the peers (all from Debian, installed by tests/run.sh):
#  1. corpus: openrms's decryption equals `qpdf --decrypt` object by object (both normalised with
#     `qpdf --qdf`); for the files qpdf cannot open (MANIFEST notes), the text equals what
#     pdftotext / mutool extract from the original.
#  2. openrms-encrypted files (R4/R6 × user password or none × EncryptMetadata, on plain, object-
#     stream, xref-stream and incrementally updated inputs) pass `qpdf --check`, open in
#     `pdfinfo -upw/-opw` and `mutool info -p`, and their pdftotext equals the original's.
#  3. files encrypted by `qpdf --encrypt` and `mutool clean -E` decrypt with openrms to the same
#     objects as `qpdf --decrypt` gives.
#  3b. an encrypted file whose xref offsets and /Encrypt reference are damaged decrypts to the
#     undamaged file's text.
#  4. public-key security (Adobe.PubSec) against Apache PDFBox 2 (the only peer here that has it):
#     the corpus's PubSec files decrypt with their keys to the text PDFBox extracts; files PDFBox
#     encrypts to three certificates (s4 RC4-40/128, s5 AES-256; one recipient without
#     permissions) decrypt with each recipient's key, as PEM and as PKCS#12; files openrms
#     encrypts to one and three certificates open in PDFBox with each key and its permissions.
# usage: interop_test.sh OPENRMS SHARED_DIR WORK_DIR
set -euo pipefail
OPENRMS=$1 SHARED=$2 WORK=$3
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
for tool in qpdf pdfinfo pdftotext mutool; do
  command -v $tool >/dev/null || { echo "FAIL: $tool missing (run tests/run.sh, which installs it)"; exit 1; }
done
fails=0 checks=0
ok() { checks=$((checks + 1)); echo "ok    $1"; }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL  $1"; }
qdf() {  # normalised form of a PDF for object-by-object comparison; /ID lines masked
  qpdf --qdf --object-streams=disable --static-id --no-original-object-ids "$1" "$2.qdf" >/dev/null 2>&1 || [ $? -eq 3 ]
  grep -av '^ */ID \[' "$2.qdf" > "$2"
}
same_objects() {  # name, ours, reference
  qdf "$2" a.norm && qdf "$3" b.norm && cmp -s a.norm b.norm && ok "$1" || bad "$1"
}
same_text() {  # name, pdf-a [password], pdf-b [password]
  pdftotext ${3:+-upw "$3"} "$2" a.txt 2>/dev/null; pdftotext ${5:+-upw "$5"} "$4" b.txt 2>/dev/null
  [ -s a.txt ] && cmp -s a.txt b.txt && ok "$1" || bad "$1"
}

# --- 1. corpus ----------------------------------------------------------------------------------
while IFS=$'\t' read -r file _src fmt scheme user owner expected _oracle notes _rest; do
  [ "$fmt" = pdf ] || continue
  case "$scheme" in pdf-pubsec*) continue ;; esac
  case "$expected" in *"must fail"*) continue ;; esac
  pw="$user"
  case "$pw" in "?"* | "-"*) pw="$owner" ;; esac
  [ "$pw" = "<empty>" ] && pw=""
  pw="${pw%% (*}"
  name=$(basename "$file" .pdf)
  printf '%s' "$pw" > pw.txt
  if ! "$OPENRMS" pdf decrypt "$SHARED/corpus/$file" "$name.ours.pdf" --password-file pw.txt -q; then
    bad "corpus decrypt $name"; continue
  fi
  if qpdf --decrypt --password-file=pw.txt "$SHARED/corpus/$file" "$name.qpdf.pdf" >/dev/null 2>&1 || [ $? -eq 3 ]; then
    shown=$(qpdf --show-encryption "$name.qpdf.pdf" 2>/dev/null || true)
    if grep -q "File is not encrypted" <<<"$shown" &&
       ! grep -q "qpdf reconstructs and loses" <<<"$expected"; then
      same_objects "corpus $name == qpdf --decrypt" "$name.ours.pdf" "$name.qpdf.pdf"
      continue
    fi
  fi
  # qpdf cannot handle it (see MANIFEST notes): compare extracted text with MuPDF's.
  mutool draw -q -F txt -o b.mu.txt ${pw:+-p "$pw"} "$SHARED/corpus/$file" 2>/dev/null || true
  pdftotext "$name.ours.pdf" a.txt 2>/dev/null || true
  mutool draw -q -F txt -o a.mu.txt "$name.ours.pdf" 2>/dev/null || true
  if [ -s a.txt ] && { cmp -s a.mu.txt b.mu.txt || grep -q "only Acrobat" a.txt; }; then
    ok "corpus $name text (qpdf cannot open it)"
  else
    bad "corpus $name text (qpdf cannot open it)"
  fi
done < "$SHARED/corpus/MANIFEST.tsv"

# --- 2. openrms encrypts, the peers open ------------------------------------------------------------
$PY "$HERE/make_pdf.py" text plain.pdf 3
qpdf --object-streams=generate plain.pdf objstm.pdf
qpdf --qdf plain.pdf qdf.pdf
$PY "$HERE/make_pdf.py" update plain.pdf updated.pdf
qpdf --linearize plain.pdf linearized.pdf
for input in plain.pdf objstm.pdf qdf.pdf updated.pdf linearized.pdf; do
  for rev in 4 6; do
    for user in "" "us€r"; do
      [ "$rev" = 4 ] && [ -n "$user" ] && user="user"
      for meta in enc clear; do
        out="enc-r$rev-${user:+u}-$meta-$input"
        args=(--revision "$rev" --owner-password "own€r" --permissions print,copy -q)
        [ "$rev" = 4 ] && args=(--revision 4 --owner-password owner --permissions print,copy -q)
        if [ -n "$user" ]; then args+=(--user-password "$user"); else args+=(--no-user-password); fi
        [ "$meta" = clear ] && args+=(--clear-metadata)
        "$OPENRMS" pdf encrypt "$input" "$out" "${args[@]}"
        opw=$([ "$rev" = 4 ] && echo owner || echo "own€r")
        qpdf --check --password="$user" "$out" >check.log 2>&1 && grep -q "No syntax or stream encoding errors" check.log \
          && ok "qpdf --check $out" || { bad "qpdf --check $out"; cat check.log; }
        # (output captured first: grep -q closing the pipe early would SIGPIPE qpdf under pipefail)
        enc_info=$(qpdf --show-encryption --password="$opw" "$out" 2>/dev/null || true)
        grep -q "R = $rev" <<<"$enc_info" && ok "qpdf owner pw $out" || bad "qpdf owner pw $out"
        pdfinfo -upw "$user" "$out" >/dev/null 2>&1 && ok "pdfinfo -upw $out" || bad "pdfinfo -upw $out"
        pdfinfo -opw "$opw" "$out" >/dev/null 2>&1 && ok "pdfinfo -opw $out" || bad "pdfinfo -opw $out"
        mutool info -p "${user:-$opw}" "$out" >/dev/null 2>&1 && ok "mutool info $out" || bad "mutool info $out"
        same_text "pdftotext $out" "$out" "$user" "$input" ""
        if [ "$meta" = clear ]; then
          grep -aq "openrms test</dc:title>" "$out" && ok "clear metadata $out" || bad "clear metadata $out"
        else
          ! grep -aq "openrms test</dc:title>" "$out" && ok "encrypted metadata $out" || bad "encrypted metadata $out"
        fi
        # Round trip back through openrms equals qpdf's decryption of the same file.
        printf '%s' "$user" > pw.txt
        "$OPENRMS" pdf decrypt "$out" back.pdf --password-file pw.txt -q --force
        qpdf --decrypt --password-file=pw.txt "$out" back.qpdf.pdf
        same_objects "decrypt $out == qpdf --decrypt" back.pdf back.qpdf.pdf
      done
    done
  done
done

# --- 3. the peers encrypt, openrms opens ------------------------------------------------------------
openrms_opens() {  # file, passwords...: each decrypts to the same objects as qpdf --decrypt gives
  local out=$1 pw; shift
  for pw in "$@"; do
    printf '%s' "$pw" > pw.txt
    "$OPENRMS" pdf decrypt "$out" ours.pdf --password-file pw.txt -q --force && \
      qpdf --decrypt --password="$pw" "$out" ref.pdf && same_objects "openrms decrypts $out ($pw)" ours.pdf ref.pdf \
      || bad "openrms decrypts $out ($pw)"
  done
}
for input in plain.pdf objstm.pdf; do
  for bits in 40 128 256; do
    out="qpdf-$bits-$input"
    extra=()
    [ "$bits" = 128 ] && extra=(--use-aes=y)
    [ "$bits" = 40 ] && extra=(--allow-weak-crypto)
    qpdf "${extra[@]:0:1}" --encrypt quser qowner "$bits" "${extra[@]:1}" -- "$input" "$out" 2>/dev/null \
      || qpdf --allow-weak-crypto --encrypt quser qowner "$bits" -- "$input" "$out"
    openrms_opens "$out" quser qowner
  done
  for method in aes-256 aes-128 rc4-128 rc4-40; do
    out="mutool-$method-$input"
    mutool clean -E "$method" -U muser -O mowner "$input" "$out"
    openrms_opens "$out" muser mowner
  done
done
# A 100 MB file of large image streams (the benchmark input kind): round trip and qpdf --check.
$PY "$HERE/make_pdf.py" images big.pdf 680 150
"$OPENRMS" pdf encrypt big.pdf big-enc.pdf --user-password big -q
qpdf --check --password=big big-enc.pdf >check.log 2>&1 && grep -q "No syntax or stream encoding errors" check.log \
  && ok "qpdf --check 100 MB" || bad "qpdf --check 100 MB"
"$OPENRMS" pdf decrypt big-enc.pdf big-back.pdf --password big -q
python3 - big.pdf big-back.pdf <<'PYEOF' && ok "100 MB round trip keeps every stream" || bad "100 MB round trip keeps every stream"
import re, sys
def streams(p):
    d = open(p, "rb").read()
    return sorted(m.group(1) for m in re.finditer(rb"stream\n(.*?)\nendstream", d, re.S))
sys.exit(0 if streams(sys.argv[1]) == streams(sys.argv[2]) else 1)
PYEOF
rm -f big*.pdf

# Wrong password → exit 1 with the wrong_password code, no output file.
if "$OPENRMS" pdf decrypt qpdf-256-plain.pdf nope.pdf --password wrong 2>err.txt; then bad "wrong password accepted"; else
  grep -q "wrong_password" err.txt && [ ! -e nope.pdf ] && ok "wrong password -> wrong_password, no output" || bad "wrong password error"
fi

# --- 3b. a damaged encrypted file: every xref offset and the /Encrypt reference wrong ----------------
# (qpdf's AES-128 test file with an xref table; it opens without a password): openrms rebuilds
# the table, finds the encryption dictionary by what it is, and decrypts to the text pdftotext
# reads from the undamaged file.
$PY - "$SHARED/corpus/pdf/qpdf__V4-aes.pdf" damaged.pdf <<'PYEOF'
import re, sys
d = open(sys.argv[1], 'rb').read()
d = re.sub(rb'(\d{10}) 00000 n', lambda m: b'%010d 00000 n' % (int(m.group(1)) + 7), d)
d = re.sub(rb'/Encrypt (\d+) 0 R', lambda m: b'/Encrypt ' + str(int(m.group(1)) - 1).encode() + b' 0 R', d)
open(sys.argv[2], 'wb').write(d)
PYEOF
if "$OPENRMS" pdf decrypt damaged.pdf undamaged-ours.pdf -q </dev/null &&
   "$OPENRMS" pdf info damaged.pdf --json | grep -q '"repaired": true'; then
  same_text "damaged xref + /Encrypt reference: decrypts to the undamaged text" undamaged-ours.pdf "" "$SHARED/corpus/pdf/qpdf__V4-aes.pdf" ""
else
  bad "damaged xref + /Encrypt reference"
fi

# --- 4. public-key security: PDFBox ----------------------------------------------------------------
CP=/usr/share/java/pdfbox2.jar:/usr/share/java/fontbox2.jar:/usr/share/java/commons-logging.jar
CP=$CP:/usr/share/java/bcprov.jar:/usr/share/java/bcpkix.jar:/usr/share/java/bcutil.jar
for jar in ${CP//:/ }; do
  [ -r "$jar" ] || { echo "FAIL: $jar missing (run tests/run.sh, which installs PDFBox)"; exit 1; }
done
javac -cp "$CP" -d . "$HERE/PdfBoxOracle.java"
PDFBOX() { java -cp "$CP:." PdfBoxOracle "$@" 2>/dev/null; }
KEYS=$SHARED/corpus/pdf/keys
for spec in "AESkeylength128:PDFBOX-4421-keystore.pfx:w!z%C*F-JaNdRgUk" \
            "AESkeylength256:PDFBOX-4421-keystore.pfx:w!z%C*F-JaNdRgUk" \
            "AES128ExposedMeta:PDFBOX-5249.p12:"; do
  IFS=: read -r name p12 kpw <<< "$spec"
  printf '%s' "$kpw" > kpw.txt
  rm -f "$name.ours.pdf"
  if "$OPENRMS" pdf decrypt "$SHARED/corpus/pdf/pdfbox__$name.pdf" "$name.ours.pdf" --key-file "$KEYS/$p12" \
       --key-password-file kpw.txt -q &&
     PDFBOX text "$SHARED/corpus/pdf/pdfbox__$name.pdf" "$KEYS/$p12" "$kpw" > a.txt &&
     PDFBOX text "$name.ours.pdf" > b.txt && grep -q 'length' a.txt && cmp -s a.txt b.txt; then
    ok "pubsec corpus $name: the text PDFBox extracts with the key == from openrms's output"
  else
    bad "pubsec corpus $name"
  fi
done
"$OPENRMS" pdf decrypt "$SHARED/corpus/pdf/pdfbox__AESkeylength128.pdf" source.pdf --key-file "$KEYS/PDFBOX-4421-keystore.pfx" \
  --key-password 'w!z%C*F-JaNdRgUk' -q
PDFBOX text source.pdf > source.txt
for n in alice bob carol; do
  openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=$n" -days 2 -keyout $n.key -out $n.pem 2>/dev/null
  cat $n.pem $n.key > $n.both.pem
  openssl pkcs12 -export -in $n.pem -inkey $n.key -passout pass:pw-$n -out $n.p12
done
for bits in 40 128 256; do
  PDFBOX encrypt source.pdf pdfbox-$bits.pdf $bits alice.pem bob.pem=none carol.pem
  for n in alice bob carol; do
    rm -f out.pdf
    if "$OPENRMS" pdf decrypt pdfbox-$bits.pdf out.pdf --key-file $n.both.pem -q && PDFBOX text out.pdf > b.txt &&
       cmp -s source.txt b.txt && rm -f out.pdf &&
       "$OPENRMS" pdf decrypt pdfbox-$bits.pdf out.pdf --key-file $n.p12 --key-password pw-$n -q &&
       PDFBOX text out.pdf > c.txt && cmp -s source.txt c.txt; then
      ok "pubsec PDFBox $bits-bit, 3 recipients -> openrms opens it with $n's key (PEM and PKCS#12)"
    else
      bad "pubsec PDFBox $bits-bit for $n"
    fi
  done
  permits=$("$OPENRMS" pdf info pdfbox-$bits.pdf --key-file bob.p12 --key-password pw-bob --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["permits"])')
  alice=$("$OPENRMS" pdf info pdfbox-$bits.pdf --key-file alice.p12 --key-password pw-alice --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["permits"])')
  [ "$permits" = none ] && [[ "$alice" == print,*copy* ]] && ok "pubsec PDFBox $bits-bit: bob's envelope carries no permissions, alice's all" ||
    bad "pubsec PDFBox $bits-bit permissions: bob '$permits', alice '$alice'"
done
# openrms encrypts to one and to three certificates (bob: print only); PDFBox opens each with
# that recipient's PKCS#12 key, extracts the source's text and sees that recipient's permissions.
for rev in 6 4; do
  "$OPENRMS" pdf encrypt source.pdf ours-1-$rev.pdf --recipient alice.pem --revision $rev -q
  "$OPENRMS" pdf encrypt source.pdf ours-3-$rev.pdf --recipient alice.pem --recipient bob.pem=print \
    --recipient carol.pem --revision $rev --clear-metadata -q
  for spec in 1:alice 3:alice 3:bob 3:carol; do
    count=${spec%%:*} n=${spec#*:}
    want="print=true modify=true extract=true"
    [ "$n" = bob ] && want="print=true modify=false extract=false"
    if PDFBOX text ours-$count-$rev.pdf $n.p12 pw-$n > b.txt && cmp -s source.txt b.txt &&
       [ "$(PDFBOX perms ours-$count-$rev.pdf $n.p12 pw-$n)" = "$want" ]; then
      ok "pubsec openrms R$rev, $count recipient(s) -> PDFBox opens it with $n's key ($want)"
    else
      bad "pubsec openrms R$rev, $count recipient(s) -> PDFBox with $n's key"
    fi
  done
done
# Key agreement (EC) recipients: no PDF tool in Debian writes or reads them (PDFBox 2 handles RSA
# key transport only), so BouncyCastle checks the envelope openrms writes: it opens it with
# the recipient's EC key and finds the seed and that recipient's permissions; openrms opens the
# file with the same key to the source's text.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=erin" -days 2 \
  -keyout erin.key -out erin.pem 2>/dev/null
cat erin.pem erin.key > erin.both.pem
openssl pkcs12 -export -in erin.pem -inkey erin.key -passout pass:pw-erin -out erin.p12
"$OPENRMS" pdf encrypt source.pdf ours-ec.pdf --recipient erin.pem=print --recipient alice.pem -q
$PY - ours-ec.pdf <<'PYEOF'
import re, sys
data = open(sys.argv[1], "rb").read()
block = data[data.index(b"/Recipients"):]
block = block[:block.index(b"]")]
for i, h in enumerate(re.findall(rb"<([0-9A-Fa-f]+)>", block)):
    open(f"envelope-{i}.der", "wb").write(bytes.fromhex(h.decode()))
PYEOF
got=""
for f in envelope-*.der; do
  out=$(java -cp "$CP:." PdfBoxOracle envelope "$f" erin.p12 pw-erin 2>/dev/null) && got="$out"
done
if [ "$got" = "key-agreement 24 print=true modify=false" ] &&
   "$OPENRMS" pdf decrypt ours-ec.pdf ours-ec-plain.pdf --key-file erin.both.pem -q &&
   PDFBOX text ours-ec-plain.pdf > b.txt && cmp -s source.txt b.txt &&
   PDFBOX text ours-ec.pdf alice.p12 pw-alice > c.txt && cmp -s source.txt c.txt; then
  ok "pubsec EC recipient: BouncyCastle opens openrms's key-agreement envelope ($got); openrms decrypts with the EC key, PDFBox with the RSA recipient's"
else
  bad "pubsec EC recipient: BouncyCastle said '$got'"
fi
openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=mallory" -days 2 -keyout mallory.key -out mallory.pem 2>/dev/null
cat mallory.pem mallory.key > mallory.both.pem
if ! "$OPENRMS" pdf decrypt pdfbox-256.pdf nope.pdf --key-file mallory.both.pem 2>err.txt &&
   grep -q "wrong_password: no recipient of this PDF is the certificate CN=mallory" err.txt && [ ! -e nope.pdf ]; then
  ok "pubsec: a key no recipient names -> wrong_password naming the certificate, no output"
else
  bad "pubsec wrong key: $(cat err.txt)"
fi

echo "$checks checks, $fails failures"
[ "$fails" -eq 0 ]
