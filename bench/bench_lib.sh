# Shared by the peer-comparison scripts (sourced).
# best_of RUNS OUTPUT COMMAND...: runs COMMAND RUNS times (OUTPUT removed before each, all output
# discarded) and prints "<best wall seconds> <peak RSS in KiB of the last run>".
best_of() {
  local runs=$1 out=$2
  shift 2
  local best=999999 t rss t0 t1 _e timing
  timing=$(mktemp)
  for _ in $(seq "$runs"); do
    rm -f "$out"
    t0=$(date +%s%N)
    /usr/bin/time -f "%e %M" -o "$timing" "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    read -r _e rss <"$timing"
    t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    best=$(echo "$t $best" | awk '{print ($1 < $2) ? $1 : $2}')
  done
  rm -f "$timing"
  echo "$best $rss"
}
