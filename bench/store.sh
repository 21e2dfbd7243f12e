#!/bin/bash
# Store write path: a ~1 GiB bundle written through the FUSE store vs straight into the backing
# directory (same disk, with fsync, as the store makes it durable before close returns), and the
# close() latency of that upload (the verdict) vs `gzip -t` of the same file (what a re-read
# validation at close would cost). Also, for reading the first ratio: `dropgate validate` of the
# same file from the page cache, the in-process bound of any store that validates every byte.
# Best of RUNS (default 3) for throughput, the worst close() latency; store and anchor alternating. Prints `measure dropgate anchor ratio
# target` lines.
# Usage: bench/store.sh [BUILD_DIR]   (needs root and /dev/fuse)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dropgate=${1:-$here/build}/cli/dropgate
source "$here/bench/lib.sh"
cache=${BENCH_DIR:-/tmp/dropgate-bench}  # bundles shared with validator.sh
mib=${BENCH_MIB:-2816}  # uncompressed; ~1 GiB compressed: the "1 GiB bundle" of spec §8
bundle=$cache/bundle-${mib}m.tgz
mkdir -p "$cache"
make_bundles "$bundle:$((mib * 1024))"  # realistic: logs + 1/8 random, made once and reused
size=$(stat -c %s "$bundle")

work=$(mktemp -d /tmp/dropgate-bench-store.XXXXXX)
store_pid=
cleanup() {
    [ -n "$store_pid" ] && kill "$store_pid" 2>/dev/null && wait "$store_pid" 2>/dev/null
    mountpoint -q "$work/mnt" && fusermount3 -u "$work/mnt"
    rm -rf "$work"
}
trap cleanup EXIT
[ -n "${DROPGATE_BENCH_KEEP_LOG:-}" ] && trap "cp \"\$work/store.log\" \"$DROPGATE_BENCH_KEEP_LOG\"; cleanup" EXIT
ssh-keygen -q -t ed25519 -N '' -f "$work/key"
cat > "$work/dropgate.toml" <<TOML
[server]
host_key_dir = "keys"
[store]
root = "root"
mount = "mnt"
[index]
database = "root/index.sqlite3"
[[user]]
name = "bench"
role = "customer"
keys = ["$(cat "$work/key.pub")"]
TOML
"$dropgate" store -c "$work/dropgate.toml" ${DROPGATE_STORE_ARGS:-} 2> "$work/store.log" &
store_pid=$!
for _ in $(seq 100); do mountpoint -q "$work/mnt" && break; sleep 0.1; done
mountpoint -q "$work/mnt"

cat "$bundle" > /dev/null  # page cache: both runs read from memory
cpu_ticks() { awk '{print $14 + $15}' "/proc/$store_pid/stat"; }
min() { echo "if ($1 < $2) $1 else $2" | bc -l; }
anchor_total=999999 store_total=999999 store_close=0 store_cpu=999999 validate_total=999999
for run in $(seq "${RUNS:-3}"); do
    sync
    read -r t _ < <(write_timed "$bundle" "$work/root/anchor.tgz" fsync)
    anchor_total=$(min "$anchor_total" "$t")
    rm -f "$work/root/anchor.tgz"
    sync
    cpu_before=$(cpu_ticks)
    read -r t c < <(write_timed "$bundle" "$work/mnt/bench/bundle$run.tgz")
    cpu=$(( $(cpu_ticks) - cpu_before ))
    [ "$(min "$store_total" "$t")" = "$store_total" ] || store_cpu=$cpu
    store_total=$(min "$store_total" "$t")
    store_close=$(echo "if ($store_close > $c) $store_close else $c" | bc -l)  # the worst close
    start=$(date +%s.%N)
    "$dropgate" validate "$bundle" > /dev/null
    validate_total=$(min "$validate_total" "$(echo "$(date +%s.%N) - $start" | bc -l)")
done
start=$(date +%s.%N)
gzip -t "$bundle"
end=$(date +%s.%N)
gzip_t=$(echo "$end - $start" | bc -l)

grep -q upload_accepted "$work/store.log" || { echo "bundle was not accepted:" >&2; cat "$work/store.log" >&2; exit 1; }
mib=$((size >> 20))
awk -v s="$store_total" -v a="$anchor_total" -v m="$mib" -v c="$store_close" -v g="$gzip_t" -v v="$validate_total" 'BEGIN {
    printf "RESULT\twrite %d MiB bundle MB/s (anchor: ext4+fsync)\t%.0f\t%.0f\t%.2fx\t>= 0.5x\n", m, m*1.048576/s, m*1.048576/a, a/s
    printf "RESULT\tclose() verdict ms, %d MiB bundle (anchor: gzip -t)\t%.1f\t%.1f\t%.3fx\t<= 50 ms\n", m, c*1000, g*1000, c/g
    printf "RESULT\twrite %d MiB bundle MB/s (anchor: dropgate validate alone)\t%.0f\t%.0f\t%.2fx\t(info: the validation bound)\n", m, m*1.048576/s, m*1.048576/v, v/s
}'
awk -v s="$store_total" -v a="$anchor_total" -v m="$mib" -v c="$store_close" -v g="$gzip_t" 'BEGIN {
    printf "%-44s %10s %10s %7s %s\n", "measure", "dropgate", "anchor", "ratio", "target"
    printf "%-44s %10.0f %10.0f %7.2f %s\n", "write " m " MiB bundle, MB/s (anchor: ext4+fsync)", m*1.048576/s, m*1.048576/a, a/s, ">= 0.5"
    printf "%-44s %10.1f %10.1f %7.3f %s\n", "close() verdict ms (anchor: gzip -t)", c*1000, g*1000, c/g, "<= 50 ms"
}'
grep -h '"verdict_timing"\|"publish_timing"' "$work/store.log" >&2 || true
echo "store CPU for the best upload: $(echo "$store_cpu / $(getconf CLK_TCK)" | bc -l | cut -c1-5) s (wall $store_total s)" >&2
