#!/usr/bin/env bash
# Times openrms against qpdf and MuPDF encrypting (AES-256, R6) and decrypting the same PDF in
# one run and prints the ratios, plus peak RSS. Inputs: a 60 MB file of 400 incompressible image
# streams and a file of 100,000 small objects (both written by tests/formats/pdf/make_pdf.py).
# usage: bench/pdf_vs_peers.sh [OPENRMS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OPENRMS=${1:-$ROOT/build/default/cli/openrms}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
/usr/bin/python3 "$ROOT/tests/formats/pdf/make_pdf.py" images "$W/images.pdf" 400 150
/usr/bin/python3 "$ROOT/tests/formats/pdf/make_pdf.py" small "$W/small.pdf" 100000
# label, command...: best wall time of 3 runs (stdout), peak RSS (stderr line). Wall time from
# the nanosecond clock around the run: /usr/bin/time's %e counts in 10 ms steps, too coarse for
# a 60 ms run.
measure() {
  local label=$1; shift
  local best=999999 t rss t0 t1 _e
  for _ in 1 2 3; do
    t0=$(date +%s%N)
    /usr/bin/time -f "%e %M" -o "$W/time" "$@" >/dev/null 2>&1 || { echo "$label failed" >&2; exit 1; }
    t1=$(date +%s%N)
    read -r _e rss < "$W/time"
    t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    best=$(echo "$t $best" | awk '{print ($1 < $2) ? $1 : $2}')
  done
  printf '  %-28s %7.3f s   peak RSS %7d KiB\n' "$label" "$best" "$rss" >&2
  echo "$best"
}
ratio() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "  openrms is %.1fx faster than %s\n", a / (b > 0.001 ? b : 0.001), n }'; }
for f in images small; do
  in="$W/$f.pdf"
  echo "$f.pdf ($(du -m "$in" | cut -f1) MB), encrypt AES-256 (R6), page cache warm:" >&2
  tq=$(measure "qpdf --encrypt ... 256" qpdf --encrypt "" owner 256 -- "$in" "$W/q.pdf")
  tm=$(measure "mutool clean -E aes-256" mutool clean -E aes-256 -O owner "$in" "$W/m.pdf")
  to=$(measure "openrms pdf encrypt" "$OPENRMS" pdf encrypt "$in" "$W/o.pdf" --no-user-password \
         --owner-password owner --force -q --no-fsync)
  ratio "$tq" "$to" qpdf; ratio "$tm" "$to" mutool
  echo "$f.pdf, decrypt the R6 file:" >&2
  tq=$(measure "qpdf --decrypt" qpdf --decrypt "$W/o.pdf" "$W/qd.pdf")
  tm=$(measure "mutool clean -D" mutool clean -D "$W/o.pdf" "$W/md.pdf")
  to=$(measure "openrms pdf decrypt" "$OPENRMS" pdf decrypt "$W/o.pdf" "$W/od.pdf" --force -q --no-fsync)
  ratio "$tq" "$to" qpdf; ratio "$tm" "$to" mutool
done
