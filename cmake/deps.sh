#!/usr/bin/env bash
# Installs the Debian 12 packages openrms needs, only those that are missing.
# Sourced by cli/demo.sh and tests/run.sh; safe to run repeatedly.
set -euo pipefail

OPENRMS_BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libssl-dev openssl libbotan-2-dev zlib1g-dev libsqlite3-dev libpugixml-dev libidn-dev
  libcli11-dev nlohmann-json3-dev libgmime-3.0-dev libgtest-dev libgmock-dev libbenchmark-dev
  libboost1.81-dev libcurl4-openssl-dev libcjose-dev libjansson-dev libpqxx-dev libpq-dev libp11-dev
  libxml2-dev pybind11-dev python3-dev python3-venv python3-pip python3-setuptools python3-wheel
)
# Test tools, including the independent oracles the interop tests run (msoffcrypto-tool,
# Apache POI + a JDK to compile the tiny driver, olefile + python3-cryptography for the
# spec-derived reference decryptor).
OPENRMS_TEST_PACKAGES=(clang-14 libclang-rt-14-dev llvm-14 clang-format time
  python3-msoffcrypto-tool python3-olefile python3-cryptography libapache-poi-java default-jdk-headless
  qpdf poppler-utils mupdf-tools curl wrk postgresql-15 haproxy softhsm2 opensc
  libpdfbox2-java libbcprov-java libbcpkix-java libbcutil-java openssl python3-aiosmtpd
  chromium chromium-driver python3-selenium fonts-liberation python3-pytest)

openrms_install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "openrms: installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}
