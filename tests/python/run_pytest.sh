#!/usr/bin/env bash
# Installs the Python package from the checkout the way a user does (pip install . into a
# virtual environment that sees Debian's Python packages; nothing from a package registry),
# then runs the package's pytest suite against that installation.
#   run_pytest.sh SOURCE_DIR BUILD_DIR WORK_DIR SHARED_DIR OPENRMS_COMMAND
# BUILD_DIR is the CMake tree whose extension pip reuses (OPENRMS_CMAKE_BUILD_DIR).
set -euo pipefail
src=$1 build=$2 work=$3 shared=$4
export OPENRMS_CLI=$5  # sets up the store and users of the protect tests
[ -d "$shared/corpus" ] || { echo "the shared corpus is missing: $shared/corpus" >&2; exit 2; }
rm -rf "$work"
mkdir -p "$work"
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
# pip builds in a copy of the sources so parallel builds never share setuptools' build/ folder.
mkdir -p "$work/src"
tar -C "$src" --exclude=./build --exclude=./.git -cf - . | tar -C "$work/src" -xf -
# Exactly the README's command (plus --no-index: nothing may come from a registry).
OPENRMS_CMAKE_BUILD_DIR=$build "$work/venv/bin/pip" install --no-index --quiet "$work/src"
# Run from outside the sources: the installed package, not python/openrms, is what is tested.
cd "$work"
"$work/venv/bin/python" -c 'import openrms, openrms.office, openrms.pdf, openrms.msoffcrypto; print("openrms", openrms.__version__, "from", openrms.__file__)'
OPENRMS_SHARED_DIR=$shared "$work/venv/bin/python" -m pytest -q -p no:cacheprovider \
  --rootdir "$src/tests/python" "$src/tests/python"
