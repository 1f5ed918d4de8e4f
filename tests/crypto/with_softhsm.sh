#!/usr/bin/env bash
# Runs a command with a throwaway SoftHSM2 token (its own SOFTHSM2_CONF and token folder in a
# temporary directory, deleted at the end whatever the outcome). The key pairs are made inside
# the token by OpenSC's pkcs11-tool, an independent PKCS#11 client, as an operator would:
#   sign-1, seal-1, sign-2, seal-2   ECDSA/ECDH P-256
#   rsa-1                             RSA 2048 (a key type server custody refuses)
# Exported for the command: SOFTHSM2_CONF, OPENRMS_TEST_P11_MODULE, OPENRMS_TEST_P11_TOKEN,
# OPENRMS_TEST_P11_PIN_FILE (mode 0600), OPENRMS_TEST_P11_SO_PIN.
# Usage: with_softhsm.sh COMMAND [ARGS...]
set -uo pipefail
module=/usr/lib/softhsm/libsofthsm2.so
[ -f "$module" ] || { echo "with_softhsm: SoftHSM2 is not installed (apt-get install softhsm2)" >&2; exit 2; }
command -v pkcs11-tool >/dev/null || { echo "with_softhsm: pkcs11-tool is missing (apt-get install opensc)" >&2; exit 2; }
dir=$(mktemp -d /tmp/openrms-hsm-XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/tokens"
cat >"$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
export SOFTHSM2_CONF="$dir/softhsm2.conf"
pin=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
so_pin=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
softhsm2-util --init-token --free --label openrms-test --so-pin "$so_pin" --pin "$pin" >"$dir/init.log" 2>&1 ||
  { cat "$dir/init.log" >&2; exit 2; }
keygen() {  # keygen LABEL ID TYPE
  pkcs11-tool --module "$module" --token-label openrms-test --login --pin "$pin" --keypairgen \
    --key-type "$3" --label "$1" --id "$2" >>"$dir/keygen.log" 2>&1 || { cat "$dir/keygen.log" >&2; exit 2; }
}
keygen sign-1 01 EC:prime256v1
keygen seal-1 02 EC:prime256v1
keygen sign-2 03 EC:prime256v1
keygen seal-2 04 EC:prime256v1
keygen rsa-1 05 rsa:2048
umask 077
printf '%s\n' "$pin" >"$dir/pin"
export OPENRMS_TEST_P11_MODULE="$module" OPENRMS_TEST_P11_TOKEN=openrms-test
export OPENRMS_TEST_P11_PIN_FILE="$dir/pin" OPENRMS_TEST_P11_SO_PIN="$so_pin"
"$@"
