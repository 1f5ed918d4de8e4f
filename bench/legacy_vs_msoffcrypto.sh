#!/usr/bin/env bash
# Times openrms against msoffcrypto-tool decrypting the same Excel 97-2003 workbook (RC4
# CryptoAPI, written by Apache POI's HSSF) in one run, and prints the ratio and each side's peak
# RSS. Both write the decrypted compound file; the outputs are compared stream by stream.
# usage: bench/legacy_vs_msoffcrypto.sh [OPENRMS] [ROWS]   (default: build/default, 65,000 rows
# of 40 numbers, a ~50 MB workbook)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OPENRMS=${1:-$ROOT/build/default/cli/openrms}
ROWS=${2:-65000}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
CP=/usr/share/java/poi.jar:/usr/share/java/commons-collections4.jar:/usr/share/java/commons-codec.jar:/usr/share/java/commons-math3.jar
javac -cp "$CP" -d "$W" "$ROOT/tests/formats/office/PoiOracle.java"
java -Xmx8g -cp "$CP:$W" PoiOracle xls-big "$W/big.xls" pw "$ROWS"
echo "workbook: $(stat -c %s "$W/big.xls") bytes, RC4 CryptoAPI (POI HSSF)" >&2
measure() {  # label, output, command...: best wall time of 3 runs, peak RSS of the last
  local label=$1 out=$2; shift 2
  local best=999999 t rss t0 t1 _e
  for _ in 1 2 3; do
    rm -f "$out"
    t0=$(date +%s%N)
    /usr/bin/time -f "%e %M" -o "$W/time" "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    read -r _e rss < "$W/time"
    t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    best=$(echo "$t $best" | awk '{print ($1 < $2) ? $1 : $2}')
  done
  printf '%-30s %8.3f s   peak RSS %7d KiB\n' "$label" "$best" "$rss" >&2
  echo "$best"
}
ours=$(measure "openrms office decrypt" "$W/ours.xls" "$OPENRMS" office decrypt "$W/big.xls" "$W/ours.xls" --password pw --no-fsync -q)
theirs=$(measure "msoffcrypto-tool" "$W/theirs.xls" /usr/bin/python3 -m msoffcrypto -p pw "$W/big.xls" "$W/theirs.xls")
/usr/bin/python3 - "$W/ours.xls" "$W/theirs.xls" <<'PY'
import olefile, sys
a, b = olefile.OleFileIO(sys.argv[1]), olefile.OleFileIO(sys.argv[2])
for p in b.listdir():
    assert a.openstream(p).read() == b.openstream(p).read(), "/".join(p)
PY
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "openrms is %.1fx faster (goal >= 20x); every stream equal\n", b / a }'
