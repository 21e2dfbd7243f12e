#!/bin/bash
# Inside bundles (issue 17), anchors in the same run:
#   (a) first byte of the last member of the ~1 GiB bench bundle through a fresh read-only mount
#       (`<bundle>.d/`: tree and seek index loaded cold) vs Debian's archivemount (mount + read)
#       and `tar -xzOf` of that member
#   (b) p50 / p99 of 1,000 random 4 KiB preads across that bundle's members (fresh mount)
#   (c) `find | wc -l` of a 100,000-member bundle's view, fresh mount (target <= 300 ms)
#   (d) `dropgate grep` for a rare string in `*.log*` members of GREP_BUNDLES x 50 MiB bundles vs
#       `for b in ...; do tar -xzOf "$b" --wildcards '*.log*' | grep -c ...; done`
#   (e) seek index size as % of the bundle
# Prints RESULT lines (bench/lib.sh). Usage: bench/inside.sh [path/to/dropgate or build dir]
set -euo pipefail

GREP_BUNDLES=${GREP_BUNDLES:-100}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
DROPGATE=$(dropgate_binary "${1:-}")

bench_work
# The mounts of this bench first, so the cleanup never walks into them.
trap 'for m in "$WORK/ro" "$WORK/am"; do mountpoint -q "$m" && fusermount3 -u -z "$m"; done; bench_cleanup' EXIT
bench_keys
big_bundle
CACHE=${BENCH_DIR:-/tmp/dropgate-bench}
specs=()
for i in $(seq "$GREP_BUNDLES"); do specs+=("$CACHE/grep-$i.tgz:51200"); done
make_bundles "${specs[@]}"
[ -s "$CACHE/many-100k.tgz" ] ||
    /usr/bin/python3 "$HERE/../tests/inside/make_bundles.py" many "$CACHE/many-100k.tgz" 100000 100

dropgate_config "$WORK/dg" "$(free_port)" "$(printf '[index]\ndatabase = "data/index.sqlite3"\n')"
CONFIG=$WORK/dg/dropgate.toml
printf '[[user]]\nname = "logs"\nrole = "customer"\nkeys = ["%s"]\n' "$(cat "$WORK/client.pub")" >> "$CONFIG"
"$DROPGATE" store -c "$CONFIG" 2>> "$WORK/store.log" &
PIDS+=($!)
for _ in $(seq 100); do mountpoint -q "$WORK/dg/store" && break; sleep 0.1; done
cp "$BIG" "$WORK/dg/store/acme/big.tgz"
cp "$CACHE/many-100k.tgz" "$WORK/dg/store/acme/many.tgz"
for i in $(seq "$GREP_BUNDLES"); do cp "$CACHE/grep-$i.tgz" "$WORK/dg/store/logs/grep-$i.tgz"; done
echo "waiting for the seek indexes..." >&2
want=$((GREP_BUNDLES + 2))
for _ in $(seq 1200); do
    [ "$(ls "$WORK/dg/data/.seek" 2>/dev/null | grep -c '\.seek$')" -ge "$want" ] && break
    sleep 0.5
done

SHA=$(sha256sum "$BIG" | cut -d' ' -f1)
SEEK_BYTES=$(stat -c %s "$WORK/dg/data/.seek/$SHA.seek")
result "seek index size, % of the bundle" "$(f2 "$(echo "100 * $SEEK_BYTES / $(stat -c %s "$BIG")" | bc -l)")" \
    "-" "-" "<= 2"

LAST=$("$DROPGATE" ls -c "$CONFIG" acme/big.tgz | awk '$1 == "0" { m = $4 } END { print m }')
RO=$WORK/ro
mkdir -p "$RO"
fresh_mount() { mountpoint -q "$RO" && fusermount3 -u "$RO"; "$DROPGATE" mount -c "$CONFIG" --read-only "$RO" 2> /dev/null; }
first_byte_ms() {  # FILE: ms from open to the first byte
    /usr/bin/python3 -c 'import sys,time; t=time.perf_counter(); f=open(sys.argv[1],"rb"); f.read(1); print("%.1f" % ((time.perf_counter()-t)*1000))' "$1"
}
fb=()
for _ in 1 2 3; do fresh_mount; fb+=("$(first_byte_ms "$RO/acme/big.tgz.d/$LAST")"); done
DG_FB=$(printf '%s\n' "${fb[@]}" | sort -n | head -1)
t0=$(date +%s.%N)
tar -xzOf "$BIG" "$LAST" | head -c1 > /dev/null || true  # tar dies of SIGPIPE: that is the point
TAR_FB=$(echo "($(date +%s.%N) - $t0) * 1000" | bc -l)
AM=$WORK/am
mkdir -p "$AM"
t0=$(date +%s.%N)
archivemount -o readonly "$BIG" "$AM"
head -c1 "$AM/$LAST" > /dev/null
AM_FB=$(echo "($(date +%s.%N) - $t0) * 1000" | bc -l)
fusermount3 -u "$AM"
result "first byte of the last member ($LAST), fresh mount, ms, vs archivemount mount+read" \
    "$DG_FB" "$(f2 "$AM_FB")" "$(ratio "$DG_FB" "$AM_FB")" "<= 20 ms"
result "the same vs tar -xzOf, ms" "$DG_FB" "$(f2 "$TAR_FB")" "$(ratio "$DG_FB" "$TAR_FB")" "info"

fresh_mount
/usr/bin/python3 - "$RO/acme/big.tgz.d" <<'PY' > "$WORK/random.txt"
import os, random, sys, time
files = []
for d, _, names in os.walk(sys.argv[1]):
    files += [os.path.join(d, n) for n in names if os.path.getsize(os.path.join(d, n)) > 4096]
rng = random.Random(7)
times = []
for _ in range(1000):
    f = rng.choice(files)
    fd = os.open(f, os.O_RDONLY)
    off = rng.randrange(0, os.path.getsize(f) - 4096)
    t = time.perf_counter(); os.pread(fd, 4096, off); times.append((time.perf_counter() - t) * 1000)
    os.close(fd)
times.sort()
print("%.2f %.2f" % (times[499], times[989]))
PY
read -r P50 P99 < "$WORK/random.txt"
result "1,000 random 4 KiB reads across members, p50 ms" "$P50" "-" "-" "info"
result "1,000 random 4 KiB reads across members, p99 ms" "$P99" "-" "-" "info"

fresh_mount
t0=$(date +%s.%N)
N=$(find "$RO/acme/many.tgz.d" | wc -l)
LIST_MS=$(echo "($(date +%s.%N) - $t0) * 1000" | bc -l)
result "find | wc -l of a 100,000-member view ($N entries), fresh mount, ms" "$(f2 "$LIST_MS")" "-" "-" "<= 300"
fusermount3 -u "$RO"

NEEDLE=latency=4999ms
t0=$(date +%s.%N)
DG_HITS=$("$DROPGATE" grep -c "$CONFIG" "$NEEDLE" --member '*.log*' --customer logs | wc -l) || true
DG_GREP=$(echo "$(date +%s.%N) - $t0" | bc -l)
t0=$(date +%s.%N)
TAR_HITS=0
for i in $(seq "$GREP_BUNDLES"); do
    n=$(tar -xzOf "$CACHE/grep-$i.tgz" --wildcards '*.log*' | grep -c "$NEEDLE" || true)
    TAR_HITS=$((TAR_HITS + n))
done
TAR_GREP=$(echo "$(date +%s.%N) - $t0" | bc -l)
result "grep $NEEDLE in *.log* of $GREP_BUNDLES x 50 MiB bundles, s ($DG_HITS vs $TAR_HITS lines)" \
    "$(f2 "$DG_GREP")" "$(f2 "$TAR_GREP")" "$(ratio "$TAR_GREP" "$DG_GREP")x faster" ">= 3"
