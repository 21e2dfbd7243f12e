#!/bin/bash
# Offline validation speed: `dropgate validate` (inflate + CRC/ISIZE + tar walk + SHA-256) against
# `gzip -t` (inflate + CRC only) and `tar tzf` on the same ~1 GiB-uncompressed bundle.
# Best of 3 per side, alternating runs so background noise hits both. Not run by ctest.
#
# usage: bench/validator.sh [BUILD_DIR]   (default: build)   env: BENCH_DIR, BENCH_MIB
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
DROPGATE=$BUILD/cli/dropgate
DIR=${BENCH_DIR:-/tmp/dropgate-bench}  # bundles shared with store.sh
MIB=${BENCH_MIB:-1024}
BUNDLE=$DIR/bundle-${MIB}m.tgz
source "$ROOT/bench/lib.sh"
[ -x "$DROPGATE" ] || { echo "no dropgate binary at $DROPGATE (build it first)" >&2; exit 1; }
mkdir -p "$DIR"

# A realistic bundle (bench/lib.sh make_bundles), made once and reused.
make_bundles "$BUNDLE:$((MIB * 1024))"

best() {  # best-of wall time in seconds of "$@" for this round, appended to a variable name
    local var=$1; shift
    local start end t
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc)
    if [ -z "${!var:-}" ] || (( $(echo "$t < ${!var}" | bc) )); then printf -v "$var" '%s' "$t"; fi
}

cat "$BUNDLE" >/dev/null  # warm the page cache for every contender
"$DROPGATE" validate "$BUNDLE" >&2
dg= gz= tz= ig=
for _ in 1 2 3; do
    best dg "$DROPGATE" validate "$BUNDLE"
    best gz gzip -t "$BUNDLE"
    best tz tar -tzf "$BUNDLE"
    best ig igzip -dc "$BUNDLE"
done

size=$(stat -c %s "$BUNDLE")
printf '# bundle %s: %d bytes compressed, %d MiB uncompressed\n' "$BUNDLE" "$size" "$MIB"
printf '%-28s %10s %10s %8s %8s\n' measure dropgate anchor ratio target
printf '%-28s %9.2fs %9.2fs %7.2fx %8s\n' "validate_vs_gzip_t" "$dg" "$gz" "$(echo "$gz / $dg" | bc -l)" ">=2.0x"
printf '%-28s %9.2fs %9.2fs %7.2fx %8s\n' "validate_vs_tar_tzf" "$dg" "$tz" "$(echo "$tz / $dg" | bc -l)" ">=2.0x"
# Reference only: ISA-L's own decompressor to /dev/null (inflate + CRC; no tar walk, no SHA-256).
printf '%-28s %9.2fs %9.2fs %7.2fx %8s\n' "validate_vs_igzip_dc" "$dg" "$ig" "$(echo "$ig / $dg" | bc -l)" "(info)"
for anchor in "gzip -t:$gz:>=2.0x" "tar tzf:$tz:>=2.0x" "igzip -dc:$ig:(info)"; do
    IFS=: read -r name t target <<< "$anchor"
    result "validate ${MIB} MiB bundle s (anchor: $name)" "$(printf %.2f "$dg")" "$(printf %.2f "$t")" \
        "$(printf %.2fx "$(echo "$t / $dg" | bc -l)")" "$target"
done
