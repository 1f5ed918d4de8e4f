#!/usr/bin/env bash
# Times openrms against msoffcrypto-tool decrypting the same Agile file (AES-256, SHA-512,
# 100,000 spins) in one run and prints the ratios, plus peak RSS of each, doing the same work on
# both sides:
#   - with the dataIntegrity HMAC verified: openrms's default vs msoffcrypto's library with
#     verify_integrity=True (its command line cannot ask for it);
#   - without it: openrms --no-verify-integrity vs msoffcrypto's command line (its default).
# The verified floor is KDF + HMAC-SHA-512 of the whole file (~1 GB/s here, not splittable).
# usage: bench/office_vs_msoffcrypto.sh [OPENRMS] [SIZE_MB]   (default build/default, 50 MB)
# Fixed costs weigh at 50 MB (process start ~20 ms, the 100,000-spin KDF 15 ms); try 100 or 200.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OPENRMS=${1:-$ROOT/build/default/cli/openrms}
MB=${2:-50}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
/usr/bin/python3 "$ROOT/tests/formats/office/make_package.py" "$W/plain.docx" $((MB * 1000 * 1000))
echo pw > "$W/pw"
"$OPENRMS" office encrypt "$W/plain.docx" "$W/enc.docx" --password-file "$W/pw" -q
source "$ROOT/bench/bench_lib.sh"
measure() {  # label, command...: best wall time of 5 runs (ns clock), peak RSS of the last
  local label=$1 best rss; shift
  read -r best rss < <(best_of 5 "$W/out.docx" "$@")
  cmp -s "$W/out.docx" "$W/plain.docx" || { echo "$label: output differs!"; exit 1; }
  printf '%-34s %8.3f s   peak RSS %6d KiB\n' "$label" "$best" "$rss" >&2
  echo "$best"
}
echo "decrypting a $MB MB Agile document (same file, page cache warm, no fsync for anyone):" >&2
VERIFYING='import msoffcrypto, sys
f = msoffcrypto.OfficeFile(open(sys.argv[1], "rb"))
f.load_key(password="pw")
f.decrypt(open(sys.argv[2], "wb"), verify_integrity=True)'
t_peer_v=$(measure "msoffcrypto (HMAC verified)" /usr/bin/python3 -c "$VERIFYING" "$W/enc.docx" "$W/out.docx")
t_ours_v=$(measure "openrms (HMAC verified, default)" "$OPENRMS" office decrypt "$W/enc.docx" "$W/out.docx" --password-file "$W/pw" -q --no-fsync)
t_peer=$(measure "msoffcrypto (no HMAC, its default)" /usr/bin/python3 -m msoffcrypto -p pw "$W/enc.docx" "$W/out.docx")
t_ours=$(measure "openrms --no-verify-integrity" "$OPENRMS" office decrypt "$W/enc.docx" "$W/out.docx" --password-file "$W/pw" -q --no-fsync --no-verify-integrity)
t_durable=$(measure "openrms (default, with fsync)" "$OPENRMS" office decrypt "$W/enc.docx" "$W/out.docx" --password-file "$W/pw" -q)
ratio() { awk -v a="$2" -v b="$3" -v l="$1" 'BEGIN { printf "%-44s %5.1fx  (%.3f s vs %.3f s)\n", l, a / (b > 0.001 ? b : 0.001), b, a }'; }
ratio "HMAC verified on both sides:" "$t_peer_v" "$t_ours_v"
ratio "HMAC skipped on both sides:" "$t_peer" "$t_ours"
ratio "openrms default with fsync vs peer default:" "$t_peer" "$t_durable"
