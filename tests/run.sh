#!/usr/bin/env bash
# The test command (README): installs what is missing, builds, runs every test.
#   1. GCC release build (warnings are errors): unit tests (both crypto backends, Wycheproof,
#      differential), fuzz-corpus replays, find_package install test.
#   2. clang ASan+UBSan build with the libFuzzer targets: the same tests under sanitizers, then
#      each fuzzer for OPENRMS_FUZZ_SECONDS (default 30) seconds.
# Set OPENRMS_SKIP_SANITIZERS=1 to run only step 1 (quick local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
source cmake/deps.sh
openrms_install_packages "${OPENRMS_BUILD_PACKAGES[@]}" "${OPENRMS_TEST_PACKAGES[@]}"

jobs=$(nproc)
echo "== release build (gcc) =="
cmake --preset default -DOPENRMS_BUILD_TESTS=ON >/dev/null
cmake --build --preset default -j "$jobs"
ctest --preset default -j "$jobs" --label-exclude fuzz-run

if [ "${OPENRMS_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== sanitizer build (clang, ASan+UBSan, libFuzzer) =="
  cmake --preset asan -DOPENRMS_FUZZ_SECONDS="${OPENRMS_FUZZ_SECONDS:-30}" >/dev/null
  cmake --build --preset asan -j "$jobs"
  export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export LSAN_OPTIONS="suppressions=$PWD/tests/lsan_suppressions.txt:print_suppressions=0"
  ctest --preset asan -j "$jobs" --label-exclude "install|fuzz-run"
  echo "== fuzzing (${OPENRMS_FUZZ_SECONDS:-30} s per target) =="
  ctest --preset asan -j "$jobs" --label-regex fuzz-run
fi
