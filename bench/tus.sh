#!/bin/bash
# tus uploads: dropgate's front end against @tus/server (npm, Node, with @tus/file-store), both
# started here on loopback over TLS with the same certificate, the same ~1 GiB bundle and the
# same client: tus-js-client under Node with its default chunkSize, one streamed PATCH (bench/js,
# pinned by its lock file).
#   (a) dropgate http whose mount is a plain directory vs @tus/server into a directory
#   (b) (info) dropgate serve with [http]: the tus upload through the store (validated,
#       fsynced, published, indexed)
# Wall time and the server's own CPU (from /proc); best of RUNS (3), servers alternating, one
# unmeasured upload each first. Prints RESULT lines (bench/lib.sh).
# Usage: bench/tus.sh [path/to/dropgate or build dir]
set -euo pipefail

DROPGATE=$(readlink -f "${1:-build/cli/dropgate}")
[ -d "$DROPGATE" ] && DROPGATE=$DROPGATE/cli/dropgate  # a build dir works too
BENCH_MIB=${BENCH_MIB:-2816}
RUNS=${RUNS:-3}
CHUNK=${CHUNK:-Infinity}  # tus-js-client's default: one PATCH (a plain dir has no partials between PATCHes)
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
[ -d "$HERE/js/node_modules/@tus/server" ] ||
    npm ci --prefix "$HERE/js" --no-audit --no-fund > /dev/null

bench_work
bench_keys
big_bundle
https_setup "$DROPGATE"
export NODE_EXTRA_CA_CERTS=$CERT

ANCHOR_PORT=$(free_port)
mkdir -p "$WORK/anchor"
node "$HERE/js/tus_anchor.mjs" "$ANCHOR_PORT" "$CERT" "$KEY" "$WORK/anchor" > "$WORK/anchor.log" 2>&1 &
ANCHOR_PID=$!; PIDS+=($ANCHOR_PID)
wait_port $ANCHOR_PORT

start_plain_http "$DROPGATE" "$WORK/plain"
DG_PORT=$(free_port)
http_config "$WORK/dg" "$DG_PORT"
start_serve "$DROPGATE" "$WORK/dg/dropgate.toml" "$WORK/dg.log"
DG_PID=$SERVE_PID

# upload SERVER NAME: prints "wall_seconds server_cpu_seconds"
upload() {
    local server=$1 name=$2 pid endpoint token="" before after wall
    case $server in
        anchor) pid=$ANCHOR_PID; endpoint="https://localhost:$ANCHOR_PORT/files" ;;
        plain) pid=$PLAIN_PID; endpoint="https://localhost:$PLAIN_PORT/files/"; token=$TOKEN ;;
        store) pid=$DG_PID; endpoint="https://localhost:$DG_PORT/files/"; token=$TOKEN ;;
    esac
    before=$(tree_ticks "$pid")
    wall=$(node "$HERE/js/tus_upload.mjs" "$endpoint" "$BIG" "r$name.tgz" "$CHUNK" $token)
    after=$(tree_ticks "$pid")
    echo "$wall $(echo "($after - $before) / $HZ" | bc -l)"
}
clean() { rm -rf "$WORK/anchor"/* "$WORK/plain/up/acme"/*; }

for server in anchor plain store; do upload $server warm > /dev/null; done
clean
best_of upload clean anchor plain store
cmp "$BIG" "$WORK/dg/data/bundles/acme/r1.tgz" || { echo "the stored bundle differs" >&2; exit 1; }

result "tus: ${BIG_MIB} MiB tus upload over TLS into a plain dir, MiB/s (dropgate http vs @tus/server)" \
    "$(mbps ${BEST[plain]})" "$(mbps ${BEST[anchor]})" \
    "$(ratio ${BEST[anchor]} ${BEST[plain]})x" ">= 1.0x"
result "tus: server CPU seconds for that upload (dropgate http vs @tus/server)" \
    "$(f2 ${CPU[plain]})" "$(f2 ${CPU[anchor]})" \
    "$(ratio ${CPU[plain]} ${CPU[anchor]})x" "(info)"
result "tus: the same through the store (serve: http + store), MiB/s and server CPU s" \
    "$(mbps ${BEST[store]}) / $(f2 ${CPU[store]})" "-" "-" "(info)"
