#!/usr/bin/env bash
# libopenrms.so.0 exports the C API and nothing else: every defined dynamic symbol is an
# openrms_* function of openrms.h (versioned OPENRMS_0), every function openrms.h declares is
# exported, and the soname is libopenrms.so.0.
#   symbols_test.sh LIBRARY HEADER
set -euo pipefail
lib=$1 header=$2
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = "libopenrms.so.0" ] || { echo "soname is '$soname', not libopenrms.so.0"; exit 1; }
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^OPENRMS_0$' | sed 's/@.*//' | sort)
stray=$(grep -v '^openrms_' <<<"$exported" || true)
[ -z "$stray" ] || { echo "symbols that are not the C API:"; echo "$stray" | head -20; exit 1; }
declared=$(grep -oE 'openrms_[a-z0-9_]+\(' "$header" | tr -d '(' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
[ -z "$missing" ] || { echo "declared in openrms.h but not exported:"; echo "$missing"; exit 1; }
unversioned=$(nm -D --defined-only "$lib" | awk '$3 ~ /^openrms_/ && $3 !~ /@@OPENRMS_0$/ {print $3}')
[ -z "$unversioned" ] || { echo "without the OPENRMS_0 version: $unversioned"; exit 1; }
echo "$(wc -l <<<"$exported") symbols, all openrms_*, soname $soname"
