#!/usr/bin/env bash
# Index query speed (spec §8: <= 50 ms over 10,000 bundles / 10 M members).
# Fills an index through Index::record (bench/index_gen.cpp), then times `dropgate query`
# against an anchor run in the same job: the same question asked through the sqlite3 CLI.
# For `find` the anchor is the naive query, an unindexed GLOB over members.path; for
# bundles/members/stats it is the same SQL with the same indexes (so the ratio shows what the
# CLI adds: process start, config load, formatting).
# Wall time per command, best of 3, dropgate and anchor runs alternating. The CLI lines include
# starting the binary (measured on its own in the first line); bench/index_query.cpp then times
# the same queries in-process (the index's own cost), against the naive SQL via the SQLite API.
#   bench/query.sh [BUILD_DIR] [--10m]     (default 10,000 bundles x 100 = ~1 M members)
set -euo pipefail
# Prints RESULT lines (bench/lib.sh result) at the end for bench/run.

BUILD=build
MEMBERS=100
for arg in "$@"; do
    case "$arg" in
        --10m) MEMBERS=1000 ;;
        *) BUILD=$arg ;;
    esac
done
DROPGATE=$(realpath "$BUILD/cli/dropgate")
GEN=$(realpath "$BUILD/bench/index_gen")
QUERY=$(realpath "$BUILD/bench/index_query")

DIR=$(mktemp -d /tmp/dropgate-bench-query.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
mkdir -p "$DIR/data"
DB=$DIR/data/index.sqlite3
ssh-keygen -q -t ed25519 -N '' -C bench -f "$DIR/key"
cat > "$DIR/dropgate.toml" <<TOML
[store]
root = "data"
mount = "mnt"

[index]
database = "data/index.sqlite3"

[[user]]
name = "customer-3"
role = "customer"
keys = ["$(cat "$DIR/key.pub")"]
TOML

"$GEN" "$DB" --bundles 10000 --members "$MEMBERS"
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
echo "index: $(sqlite3 "$DB" 'SELECT count(*) FROM uploads') uploads, \
$(sqlite3 "$DB" 'SELECT count(*) FROM members') members, \
$(sqlite3 "$DB" 'SELECT count(*) FROM member_paths') distinct member paths, \
$(du -h "$DB" | cut -f1)"

# run_us CMD...: "wall_us cpu_us" of one run (CPU = user+sys, less sensitive to a busy box),
# output discarded.
run_us() {
    /usr/bin/time -f '%e %U %S' -o "$DIR/time" "$@" >/dev/null
    awk '{ printf "%d %d\n", $1 * 1e6, ($2 + $3) * 1e6 }' "$DIR/time"
}

printf '%-50s %9s %9s %6s %-15s %s\n' measure dropgate anchor ratio 'target(<=50ms)' \
    'cpu: dropgate anchor'
# measure NAME SQL DROPGATE_ARGS...: wall time (best of 3, alternating), ratio
# dropgate/anchor (lower is better), verdict against 50 ms, and the CPU times (best of 3).
measure() {
    local name=$1 sql=$2
    shift 2
    local bd=999999999 ba=999999999 cd=999999999 ca=999999999 w c rows
    for _ in 1 2 3; do
        read -r w c < <(run_us "$DROPGATE" "$@")
        ((w < bd)) && bd=$w
        ((c < cd)) && cd=$c
        read -r w c < <(run_us sqlite3 "$DB" "$sql")
        ((w < ba)) && ba=$w
        ((c < ca)) && ca=$c
    done
    rows=$("$DROPGATE" "$@" --json 2>/dev/null | wc -l)
    awk -v n="$name ($rows rows)" -v d="$bd" -v a="$ba" -v cd="$cd" -v ca="$ca" 'BEGIN {
        verdict = (d / 1000 <= 50) ? "ok" : "MISS";
        printf "%-50s %7.1fms %7.1fms %5.2fx %-15s %5.1fms %5.1fms\n", n, d / 1000, a / 1000,
            d / (a > 0 ? a : 1), verdict, cd / 1000, ca / 1000 }'
    awk -v n="query $name ($rows rows) ms" -v d="$bd" -v a="$ba" 'BEGIN {
        r = a > 0 ? sprintf("%.2fx", d / a) : "-"  # /usr/bin/time counts in 10 ms steps
        printf "RESULT\t%s\t%.1f\t%.1f\t%s\t<= 50 ms\n", n, d / 1000, a / 1000, r }' \
        >> "$DIR/results"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
# The floor every CLI call pays: starting the dropgate binary (vs starting sqlite3).
Q=(query -c "$DIR/dropgate.toml")
measure "process start (--version / SELECT 1)" "SELECT 1" --version

FIND_COLS="u.customer, u.path, m.path, m.type, m.size"
measure "find '*/host-17/service-3.log.*'" \
    "SELECT $FIND_COLS FROM members m JOIN uploads u ON u.id = m.upload_id
     WHERE m.path GLOB '*/host-17/service-3.log.*' ORDER BY m.upload_id, m.header_offset" \
    "${Q[@]}" find '*/host-17/service-3.log.*'
measure "find 'var/log/app/host-42/*'" \
    "SELECT $FIND_COLS FROM members m JOIN uploads u ON u.id = m.upload_id
     WHERE m.path GLOB 'var/log/app/host-42/*' ORDER BY m.upload_id, m.header_offset" \
    "${Q[@]}" find 'var/log/app/host-42/*'
measure "find 'et?/h*' (no trigram)" \
    "SELECT $FIND_COLS FROM members m JOIN uploads u ON u.id = m.upload_id
     WHERE m.path GLOB 'et?/h*' AND u.customer = 'customer-3'
     ORDER BY m.upload_id, m.header_offset" \
    "${Q[@]}" find 'et?/h*' --customer customer-3
measure "bundles --customer customer-7" \
    "SELECT * FROM uploads WHERE customer = 'customer-7' ORDER BY finished_at DESC" \
    "${Q[@]}" bundles --customer customer-7
measure "bundles --since 7d --status rejected" \
    "SELECT * FROM uploads WHERE finished_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days')
     AND status = 'rejected' ORDER BY finished_at DESC" \
    "${Q[@]}" bundles --since 7d --status rejected
measure "members customer-3/host-3/diag-3.tgz" \
    "SELECT m.* FROM members m JOIN uploads u ON u.id = m.upload_id
     WHERE u.customer = 'customer-3' AND u.path = 'host-3/diag-3.tgz' AND u.status = 'accepted'
     ORDER BY m.header_offset" \
    "${Q[@]}" members customer-3/host-3/diag-3.tgz
measure "stats" \
    "SELECT customer, status, count(*), sum(bytes), sum(uncompressed_bytes), sum(member_count)
     FROM uploads GROUP BY customer, status" \
    "${Q[@]}" stats

echo
"$QUERY" "$DB"
cat "$DIR/results"
