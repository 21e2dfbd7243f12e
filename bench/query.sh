#!/usr/bin/env bash
# Index query speed (spec §8: <= 50 ms over 10,000 bundles / 10 M members).
# Fills an index through Index::record (bench/index_gen.cpp), then times `dropgate query`
# against an anchor run in the same job: the same question asked through the sqlite3 CLI.
# For `find` the anchor is the naive query, an unindexed GLOB over members.path; for
# bundles/members/stats it is the same SQL with the same indexes (so the ratio shows what the
# CLI adds: process start, config load, formatting).
# Wall time per command, best of 3, dropgate and anchor runs alternating.
#   bench/query.sh [BUILD_DIR] [--10m]     (default 10,000 bundles x 100 = ~1 M members)
set -euo pipefail

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

ms_now() { date +%s%N; }
# run_ms CMD...: wall milliseconds of one run, output discarded.
run_ms() {
    local start end
    start=$(ms_now)
    "$@" >/dev/null
    end=$(ms_now)
    echo $(((end - start) / 1000))  # microseconds
}

printf '%-34s %10s %10s %7s %s\n' measure dropgate anchor ratio 'target(<=50ms)'
# measure NAME ROWS_EXPECTED_HINT -- DROPGATE_ARGS... -- SQL
measure() {
    local name=$1 sql=$2
    shift 2
    local best_d=999999999 best_a=999999999 d a rows
    for _ in 1 2 3; do
        d=$(run_ms "$DROPGATE" query -c "$DIR/dropgate.toml" "$@")
        a=$(run_ms sqlite3 "$DB" "$sql")
        ((d < best_d)) && best_d=$d
        ((a < best_a)) && best_a=$a
    done
    rows=$("$DROPGATE" query -c "$DIR/dropgate.toml" "$@" --json | wc -l)
    awk -v n="$name ($rows rows)" -v d="$best_d" -v a="$best_a" 'BEGIN {
        verdict = (d / 1000 <= 50) ? "ok" : "MISS";
        printf "%-34s %8.1fms %8.1fms %6.2fx %s\n", n, d / 1000, a / 1000, d / a, verdict }'
}

FIND_COLS="u.customer, u.path, m.path, m.type, m.size"
measure "find '*/host-17/service-3.log.*'" \
    "SELECT $FIND_COLS FROM members m JOIN uploads u ON u.id = m.upload_id
     WHERE m.path GLOB '*/host-17/service-3.log.*' ORDER BY m.upload_id, m.header_offset" \
    find '*/host-17/service-3.log.*'
measure "find 'var/log/app/host-42/*'" \
    "SELECT $FIND_COLS FROM members m JOIN uploads u ON u.id = m.upload_id
     WHERE m.path GLOB 'var/log/app/host-42/*' ORDER BY m.upload_id, m.header_offset" \
    find 'var/log/app/host-42/*'
measure "find 'et?/h*' (no trigram)" \
    "SELECT $FIND_COLS FROM members m JOIN uploads u ON u.id = m.upload_id
     WHERE m.path GLOB 'et?/h*' AND u.customer = 'customer-3'
     ORDER BY m.upload_id, m.header_offset" \
    find 'et?/h*' --customer customer-3
measure "bundles --customer customer-7" \
    "SELECT * FROM uploads WHERE customer = 'customer-7' ORDER BY finished_at DESC" \
    bundles --customer customer-7
measure "bundles --since 7d --status rejected" \
    "SELECT * FROM uploads WHERE finished_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days')
     AND status = 'rejected' ORDER BY finished_at DESC" \
    bundles --since 7d --status rejected
measure "members customer-3/host-3/diag-3.tgz" \
    "SELECT m.* FROM members m JOIN uploads u ON u.id = m.upload_id
     WHERE u.customer = 'customer-3' AND u.path = 'host-3/diag-3.tgz' AND u.status = 'accepted'
     ORDER BY m.header_offset" \
    members customer-3/host-3/diag-3.tgz
measure "stats" \
    "SELECT customer, status, count(*), sum(bytes), sum(uncompressed_bytes), sum(member_count)
     FROM uploads GROUP BY customer, status" \
    stats
