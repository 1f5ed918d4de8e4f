#!/usr/bin/env bash
# Peak memory of encrypting and decrypting a large document (default 4096 MiB): both must stay
# far below the file size (goal: <= 64 MB peak RSS). Needs 3x the size in free disk space.
# usage: bench/office_memory.sh [OPENRMS] [SIZE_MIB]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OPENRMS=${1:-$ROOT/build/default/cli/openrms}
MIB=${2:-4096}
W=$(mktemp -d "${TMPDIR:-/tmp}/openrms-mem.XXXXXX")
trap 'rm -rf "$W"' EXIT
printf 'PK\003\004' > "$W/plain.docx"
head -c $((MIB * 1024 * 1024 - 4)) /dev/urandom >> "$W/plain.docx"
echo pw > "$W/pw"
for step in encrypt decrypt; do
  if [ $step = encrypt ]; then in=plain.docx out=enc.docx; else in=enc.docx out=back.docx; fi
  /usr/bin/time -f "%e %M" -o "$W/time" "$OPENRMS" office $step "$W/$in" "$W/$out" --password-file "$W/pw" -q
  read -r t rss < "$W/time"
  awk -v s=$step -v t="$t" -v r="$rss" -v m="$MIB" 'BEGIN { printf "%s %d MiB: %.2f s (%.0f MiB/s), peak RSS %.1f MiB\n", s, m, t, m / t, r / 1024 }'
done
cmp "$W/plain.docx" "$W/back.docx" && echo "round trip identical"
