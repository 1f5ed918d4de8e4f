#!/usr/bin/env bash
# Times openrms against msoffcrypto-tool decrypting the same Agile file (AES-256, SHA-512,
# 100,000 spins) in one run and prints the ratio, plus peak RSS of each.
# Note: msoffcrypto does not verify the dataIntegrity HMAC by default; openrms always does, so
# openrms hashes the whole package with HMAC-SHA-512 (the floor is KDF + SHA-512 of the file).
# usage: bench/office_vs_msoffcrypto.sh [OPENRMS] [SIZE_MB]   (default build/default, 50 MB)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OPENRMS=${1:-$ROOT/build/default/cli/openrms}
MB=${2:-50}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
/usr/bin/python3 "$ROOT/tests/formats/office/make_package.py" "$W/plain.docx" $((MB * 1000 * 1000))
echo pw > "$W/pw"
"$OPENRMS" office encrypt "$W/plain.docx" "$W/enc.docx" --password-file "$W/pw" -q
measure() {  # label, command...: best wall time of 3 runs, peak RSS of the last
  local label=$1; shift
  local best=999999 t rss
  for _ in 1 2 3; do
    rm -f "$W/out.docx"
    /usr/bin/time -f "%e %M" -o "$W/time" "$@" >/dev/null 2>&1
    read -r t rss < "$W/time"
    best=$(echo "$t $best" | awk '{print ($1 < $2) ? $1 : $2}')
  done
  cmp -s "$W/out.docx" "$W/plain.docx" || { echo "$label: output differs!"; exit 1; }
  printf '%-34s %8.3f s   peak RSS %6d KiB\n' "$label" "$best" "$rss" >&2
  echo "$best"
}
echo "decrypting a $MB MB Agile document (same file, page cache warm):" >&2
t_peer=$(measure msoffcrypto /usr/bin/python3 -m msoffcrypto -p pw "$W/enc.docx" "$W/out.docx")
t_durable=$(measure "openrms" "$OPENRMS" office decrypt "$W/enc.docx" "$W/out.docx" --password-file "$W/pw" -q)
t_ours=$(measure "openrms (no fsync, like the peer)" "$OPENRMS" office decrypt "$W/enc.docx" "$W/out.docx" --password-file "$W/pw" -q --no-fsync)
awk -v a="$t_peer" -v b="$t_ours" 'BEGIN { printf "openrms is %.1fx faster than msoffcrypto-tool (%.3f s vs %.3f s)\n", a / (b > 0.001 ? b : 0.001), b, a }'
awk -v a="$t_peer" -v b="$t_durable" 'BEGIN { printf "with fsync before rename (the default): %.1fx\n", a / (b > 0.001 ? b : 0.001) }'
