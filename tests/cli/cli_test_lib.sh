# Shared helpers of the CLI tests (sourced). Expects $bin (the openrms binary) and counts
# failures in $failures; finish with `cli_test_done`.
#   check NAME CONDITION...   runs CONDITION, prints ok/FAIL
#   run ARGS...               runs openrms ARGS: stdout in out.txt, stderr in err.txt, code in rc.txt
#   rc N                      the last run exited with N
#   has TEXT [FILE]           FILE (default out.txt) contains TEXT
failures=0
check() {
  local name=$1
  shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}
run() { "$bin" "$@" >out.txt 2>err.txt; echo $? >rc.txt; }
rc() { [ "$(cat rc.txt)" = "$1" ]; }
has() { grep -q -- "$1" "${2:-out.txt}"; }
cli_test_done() {
  echo "$failures failure(s)"
  [ "$failures" -eq 0 ]
}
