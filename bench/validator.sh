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
DIR=${BENCH_DIR:-/tmp/dropgate-bench-validator}
MIB=${BENCH_MIB:-1024}
BUNDLE=$DIR/bundle-${MIB}m.tgz
[ -x "$DROPGATE" ] || { echo "no dropgate binary at $DROPGATE (build it first)" >&2; exit 1; }
mkdir -p "$DIR"

# A realistic bundle (docs: benchmarking.md): log lines sliced from one 16 MiB pool of generated
# text (compresses like fresh text: deflate only sees 32 KiB) plus ~12% random "core dumps".
if [ ! -s "$BUNDLE" ]; then
    echo "making $BUNDLE (${MIB} MiB uncompressed)..." >&2
    rm -rf "$DIR/tree"
    /usr/bin/python3 - "$DIR/tree" "$MIB" <<'EOF'
import os, random, sys
root, total = sys.argv[1], int(sys.argv[2]) << 20
rng = random.Random(42)
levels = ["INFO"] * 8 + ["WARN", "ERROR", "DEBUG"]
lines, size = [], 0
while size < 16 << 20:
    line = "2026-11-%02dT%02d:%02d:%02d.%03dZ host-%03d %-5s svc=%s req=%016x latency=%dms path=/api/v%d/%s\n" % (
        rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999),
        rng.randint(0, 200), rng.choice(levels), rng.choice(["auth", "db", "web", "queue", "cache"]),
        rng.getrandbits(64), rng.randint(1, 5000), rng.randint(1, 3), rng.choice(["users", "orders", "items", "health"]))
    lines.append(line)
    size += len(line)
pool = "".join(lines).encode()
written, n = 0, 0
while written < total:
    d = os.path.join(root, "host%02d" % (n % 16), "var/log")
    os.makedirs(d, exist_ok=True)
    if n % 8 == 7:
        chunk = min(16 << 20, total - written)
        with open(os.path.join(d, "core.%d" % n), "wb") as f:
            f.write(os.urandom(chunk))
    else:
        chunk = min(rng.randint(4, 24) << 20, total - written)
        with open(os.path.join(d, "app.log.%d" % n), "wb") as f:
            left = chunk
            while left > 0:
                start = rng.randrange(0, len(pool) - (1 << 20))
                piece = pool[start:start + min(left, 1 << 20)]
                f.write(piece)
                left -= len(piece)
    written += chunk
    n += 1
EOF
    tar -C "$DIR" -cf - tree | pigz -6 -p 2 > "$BUNDLE.tmp"
    mv "$BUNDLE.tmp" "$BUNDLE"
    rm -rf "$DIR/tree"
fi

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
