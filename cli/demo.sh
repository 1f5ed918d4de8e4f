#!/usr/bin/env bash
# The main job (README): installs what is missing, builds the openrms command and runs its
# end-to-end demo. Extra arguments go to `openrms demo` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
source cmake/deps.sh
openrms_install_packages "${OPENRMS_BUILD_PACKAGES[@]}"
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=Release -DOPENRMS_BUILD_TESTS=OFF -DOPENRMS_BUILD_BENCH=OFF >/dev/null
cmake --build build/demo -j "$(nproc)" --target openrms_cli
exec build/demo/cli/openrms demo "$@"
