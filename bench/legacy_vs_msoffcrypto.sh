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
source "$ROOT/bench/bench_lib.sh"
measure() {  # label, output, command...: best wall time of 3 runs, peak RSS of the last
  local label=$1 out=$2 best rss; shift 2
  read -r best rss < <(best_of 3 "$out" "$@")
  printf '%-30s %8.3f s   peak RSS %7d KiB\n' "$label" "$best" "$rss" >&2
  echo "$best"
}
ours=$(measure "openrms office decrypt" "$W/ours.xls" "$OPENRMS" office decrypt "$W/big.xls" "$W/ours.xls" --password pw --no-fsync -q)
theirs=$(measure "msoffcrypto-tool" "$W/theirs.xls" /usr/bin/python3 -m msoffcrypto -p pw "$W/big.xls" "$W/theirs.xls")
/usr/bin/python3 "$ROOT/tests/formats/office/same_streams.py" "$W/ours.xls" "$W/theirs.xls"
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "openrms is %.1fx faster (goal >= 20x); every stream equal\n", b / a }'
