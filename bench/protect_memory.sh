#!/usr/bin/env bash
# Protect and open a large file (default 2048 MiB) with each container through the CLI: wall
# time, throughput and peak RSS (goal: a 4 GB file in <= 64 MB RSS), beside `openssl speed` for
# AES-256-CBC (the single-chain limit) as a reference. Needs ~3x the size in free space in
# $TMPDIR (use a tmpfs such as /dev/shm to take the disk out).
# usage: bench/protect_memory.sh [OPENRMS] [SIZE_MIB]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OPENRMS=${1:-$ROOT/build/default/cli/openrms}
MIB=${2:-2048}
W=$(mktemp -d "${TMPDIR:-/tmp}/openrms-pmem.XXXXXX")
trap 'rm -rf "$W"' EXIT
export OPENRMS_STORE="$W/store.db"
cd "$W"
"$OPENRMS" server init >/dev/null
"$OPENRMS" user enroll alice@contoso.com >/dev/null
"$OPENRMS" user enroll bob@contoso.com >/dev/null
head -c $((MIB * 1024 * 1024)) /dev/urandom > big.bin
{ printf 'PK\003\004'; head -c $((MIB * 1024 * 1024 - 4)) big.bin; } > big.docx
measure() {  # label, then the command
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o t "$@" >/dev/null
  read -r secs rss < t
  awk -v l="$label" -v t="$secs" -v r="$rss" -v m="$MIB" \
    'BEGIN { printf "%-28s %7.2f s  %7.0f MiB/s  peak RSS %6.1f MiB\n", l, t, m / t, r / 1024 }'
}
for f in big.bin big.docx; do
  out=$([ "$f" = big.bin ] && echo big.bin.pfile || echo prot.docx)
  measure "protect $f" "$OPENRMS" protect "$f" -o "$out" --as alice@contoso.com -g bob@contoso.com:Editor
  measure "open+read $out" "$OPENRMS" open "$out" --as bob@contoso.com --print
  measure "unprotect $out (issuer)" "$OPENRMS" unprotect "$out" -o "back-$f" --as alice@contoso.com
  cmp "$f" "back-$f" && echo "  round trip identical"
  rm -f "$out" "back-$f"
done
echo "reference: openssl speed -evp aes-256-cbc (one chain, 16 KiB blocks):"
openssl speed -evp aes-256-cbc -bytes 16384 -seconds 2 2>/dev/null | tail -1
