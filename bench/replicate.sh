#!/bin/bash
# Replication to object storage (issue 16), against one S3 API server on loopback for both sides
# (@20minutes/s3rver from tests/replicate/js: it checks SigV4 signatures; it is the bottleneck of
# both, being one Node process writing files).
#   (a) uncapped: the same set (the ~1 GiB bench bundle + SMALL x 250 KiB) copied by
#       `dropgate replicate` (reading through the store mount) vs `rclone copy` (Debian's rclone,
#       S3 backend, same concurrency and part size, reading the backing files directly): wall time
#       and client CPU per GiB (dropgate: the worker + the store serving its reads)
#   (b) the cap: rate = 40Mbit/s, bytes received by the server (its /proc rchar) over WINDOW s;
#       and a 1 GiB upload into the store during it vs the same upload with nothing replicating
#       (best of 3 each)
#   (c) read-through: first byte and sequential read of a remote-only bundle through the mount
#       (cold cache) vs a ranged GET with curl --aws-sigv4 straight from the server
# Prints RESULT lines (bench/lib.sh). Usage: bench/replicate.sh [path/to/dropgate or build dir]
set -euo pipefail

DROPGATE=$(readlink -f "${1:-build/cli/dropgate}")
[ -d "$DROPGATE" ] && DROPGATE=$DROPGATE/cli/dropgate
RUNS=${RUNS:-2}
SMALL=${SMALL:-200}
WINDOW=${WINDOW:-60}
PARTS=${PARTS:-abc}  # which of (a) (b) (c) to run
HERE=$(cd "$(dirname "$0")" && pwd)
S3JS=$HERE/../tests/replicate/js
source "$HERE/lib.sh"
[ -d "$S3JS/node_modules/@20minutes/s3rver" ] || npm ci --prefix "$S3JS" --no-audit --no-fund > /dev/null
unset AWS_CA_BUNDLE  # rclone 1.60 refuses to start with it set on a plain-HTTP endpoint

bench_work
bench_keys
big_bundle
CACHE=${BENCH_DIR:-/tmp/dropgate-bench}
specs=()
for i in $(seq "$SMALL"); do specs+=("$CACHE/small-$i.tgz:500"); done  # ~250 KiB compressed
make_bundles "${specs[@]}"

S3_PORT=$(free_port)
mkdir -p "$WORK/s3"
node "$S3JS/s3rver.js" -d "$WORK/s3" -a 127.0.0.1 -p "$S3_PORT" --configure-bucket bundles \
    > "$WORK/s3.log" 2>&1 &
S3_PID=$!; PIDS+=($S3_PID)
wait_port "$S3_PORT"
printf 'access_key_id = "S3RVER"\nsecret_access_key = "S3RVER"\n' > "$WORK/s3.toml"
chmod 600 "$WORK/s3.toml"
cat > "$WORK/rclone.conf" <<EOC
[s3]
type = s3
provider = Other
access_key_id = S3RVER
secret_access_key = S3RVER
endpoint = http://127.0.0.1:$S3_PORT
region = us-east-1
EOC

# The store, filled once through its mount, then run alone (no front ends) with [replicate].
replicate_section() {  # RATE [RETENTION]
    printf '[index]\ndatabase = "data/index.sqlite3"\n[replicate]\nendpoint = "http://127.0.0.1:%s"\n' "$S3_PORT"
    printf 'bucket = "bundles"\nprefix = "dg/"\ncredentials_file = "%s"\nrate = "%s"\n' "$WORK/s3.toml" "$1"
    printf 'concurrency = 4\npart_size = "16MiB"\n%s\n' "${2:-}"
}
dropgate_config "$WORK/dg" "$(free_port)" "$(replicate_section off)"
CONFIG=$WORK/dg/dropgate.toml
DB=$WORK/dg/data/index.sqlite3
start_store() {
    "$DROPGATE" store -c "$CONFIG" 2>> "$WORK/store.log" &
    STORE_PID=$!; PIDS+=($STORE_PID)
    for _ in $(seq 100); do mountpoint -q "$WORK/dg/store" && return 0; sleep 0.1; done
    echo "the store did not mount" >&2; cat "$WORK/store.log" >&2; exit 1
}
stop_store() { kill "$STORE_PID"; wait "$STORE_PID" 2>/dev/null || true; }
start_store
cp "$BIG" "$WORK/dg/store/acme/big.tgz"
for i in $(seq "$SMALL"); do cp "$CACHE/small-$i.tgz" "$WORK/dg/store/acme/small-$i.tgz"; done
SET_MIB=$(($(du -sbL "$WORK/dg/data/bundles/acme" | cut -f1) >> 20))
requeue() { sqlite3 "$DB" "UPDATE replicas SET state='queued', tries=0, next_try_at=0, lease_until=0, replicated_at=NULL"; }
queued() { sqlite3 "$DB" "SELECT count(*) FROM replicas WHERE state='queued'"; }
clear_bucket() { rm -rf "$WORK/s3/bundles"/*; }

# replicate_once: prints "wall_seconds cpu_seconds" (worker + store) for the whole set.
copy_set() {
    local server=$1 start before after
    if [ "$server" = dropgate ]; then
        requeue
        before=$(($(ticks "$STORE_PID")))
        start=$(date +%s.%N)
        "$DROPGATE" replicate -c "$CONFIG" 2>> "$WORK/replicate.log" &
        local pid=$!
        while [ "$(queued)" != 0 ]; do sleep 0.05; done
        local wall=$(echo "$(date +%s.%N) - $start" | bc -l)
        local cpu=$(($(ticks $pid) + $(ticks "$STORE_PID") - before))
        kill $pid; wait $pid 2>/dev/null || true
        echo "$wall $(echo "$cpu / $HZ" | bc -l)"
    else
        /usr/bin/python3 -c '
import resource, subprocess, sys, time
t = time.time(); subprocess.run(sys.argv[1:], check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.time() - t, r.ru_utime + r.ru_stime)' \
            rclone --config "$WORK/rclone.conf" copy "$WORK/dg/data/bundles/acme" s3:bundles/rc/acme \
            --transfers 4 --s3-chunk-size 16M --s3-upload-cutoff 16M --s3-upload-concurrency 1 \
            --checkers 8 -q
    fi
}
if [[ $PARTS == *a* ]]; then
best_of copy_set clear_bucket rclone dropgate
result "replicate: ${SET_MIB} MiB set (1 + $SMALL bundles) to S3 uncapped, MiB/s (dropgate vs rclone copy)" \
    "$(f2 "$(echo "$SET_MIB / ${BEST[dropgate]}" | bc -l)")" "$(f2 "$(echo "$SET_MIB / ${BEST[rclone]}" | bc -l)")" \
    "$(ratio ${BEST[rclone]} ${BEST[dropgate]})x" ">= 1.0x"
result "replicate: client CPU seconds per GiB (dropgate worker + store reads vs rclone)" \
    "$(f2 "$(echo "${CPU[dropgate]} * 1024 / $SET_MIB" | bc -l)")" \
    "$(f2 "$(echo "${CPU[rclone]} * 1024 / $SET_MIB" | bc -l)")" \
    "$(ratio ${CPU[dropgate]} ${CPU[rclone]})x" "<= 1.0x"
fi

# (b) the cap, measured at the server.
upload_seconds() {
    local start=$(date +%s.%N) name=$1
    cp "$BIG" "$WORK/dg/store/acme/$name.tgz"
    echo "$(date +%s.%N) - $start" | bc -l
}
rchar() { awk '/^rchar/ {print $2}' "/proc/$S3_PID/io"; }
if [[ $PARTS == *b* ]]; then
best_upload() {  # PREFIX: the fastest of 3 uploads, seconds
    local best=999999 t i
    for i in 1 2 3; do
        t=$(upload_seconds "$1-$i")
        (($(echo "$t < $best" | bc -l))) && best=$t
    done
    echo "$best"
}
alone=$(best_upload alone)
stop_store
sed -i 's/^rate = "off"/rate = "40Mbit\/s"/' "$CONFIG"
start_store
clear_bucket
requeue
"$DROPGATE" replicate -c "$CONFIG" 2>> "$WORK/replicate.log" &
CAPPED=$!
sleep 5
r0=$(rchar); t0=$(date +%s.%N)
during=$(best_upload during)
sleep "$(echo "$WINDOW - ($(date +%s.%N) - $t0)" | bc -l)"
r1=$(rchar); t1=$(date +%s.%N)
kill $CAPPED; wait $CAPPED 2>/dev/null || true
rate=$(echo "($r1 - $r0) / ($t1 - $t0)" | bc -l)
result "replicate: cap 40Mbit/s (5.00 MB/s) over ${WINDOW}s, MB/s received by the server" \
    "$(f2 "$(echo "$rate / 1000000" | bc -l)")" "5.00" "$(ratio "$rate" 5000000)x" "1.00 +-0.05"
result "replicate: 1 GiB upload into the store during capped replication vs alone, s" \
    "$(f2 "$during")" "$(f2 "$alone")" "$(ratio "$alone" "$during")x" ">= 0.90x"
sed -i 's/^rate = "40Mbit\/s"/rate = "off"/' "$CONFIG"
fi

# (c) read-through of a remote-only bundle (retention removed the local copy), cold cache.
[[ $PARTS == *c* ]] || exit 0
stop_store
printf '[retention]\nkeep_local = "0s"\ncache_size = "2GiB"\n' >> "$CONFIG"
start_store
clear_bucket
requeue
"$DROPGATE" replicate -c "$CONFIG" 2>> "$WORK/replicate.log" &
READER=$!
while [ "$(sqlite3 "$DB" "SELECT local FROM replicas r JOIN uploads u ON u.id = r.upload_id WHERE u.path = 'big.tgz'")" != 0 ]; do sleep 0.2; done
kill $READER; wait $READER 2>/dev/null || true
stop_store
rm -rf "$WORK/dg/data/.remote-cache"/*
start_store  # a fresh mount: nothing of the bundle in the page cache either
first=$(/usr/bin/python3 -c '
import sys, time
t = time.time(); f = open(sys.argv[1], "rb"); f.read(1); print(time.time() - t)' "$WORK/dg/store/acme/big.tgz")
start=$(date +%s.%N)
cat "$WORK/dg/store/acme/big.tgz" > /dev/null  # to /dev/null, as curl's
mount_read=$(echo "$(date +%s.%N) - $start" | bc -l)
cmp "$WORK/dg/store/acme/big.tgz" "$BIG" || { echo "read-through bytes differ" >&2; exit 1; }
get() {
    curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
        -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
        "$@" "http://127.0.0.1:$S3_PORT/bundles/dg/acme/big.tgz"
}
curl_first=$(get -r 0-0 -o /dev/null -w '%{time_starttransfer}')
curl_read=$(get -o /dev/null -w '%{time_total}')
result "replicate: read-through first byte of a remote bundle, ms (mount vs curl ranged GET)" \
    "$(f2 "$(echo "$first * 1000" | bc -l)")" "$(f2 "$(echo "$curl_first * 1000" | bc -l)")" \
    "$(ratio "$first" "$curl_first")x" "(info)"
result "replicate: read-through sequential read, MiB/s (mount, cold cache vs curl GET)" \
    "$(mbps "$mount_read")" "$(mbps "$curl_read")" "$(ratio "$curl_read" "$mount_read")x" "(info)"
