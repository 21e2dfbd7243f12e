#!/bin/bash
# What the background seek indexer costs uploads (issue 17; spec §13: <= 5 %). UPLOADS (default 3)
# distinct bundles like the ~1 GiB bench bundle are written back to back through the store
# (1 MiB writes, as bench/store.sh) by two stores alike but for `[store] seek_index`: on (the
# default: each accepted bundle is indexed in the background while the next one arrives) and off
# (the anchor). Rounds alternate; before each round the indexer has finished the last one, so an
# "off" round never shares the machine with it, and every round starts synced and settled.
# RESULT lines: MiB/s over a round (best of RUNS, default 3) and the median close() verdict.
# Usage: bench/indexing.sh [path/to/dropgate or build dir]
set -euo pipefail

UPLOADS=${UPLOADS:-3}
RUNS=${RUNS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
DROPGATE=$(dropgate_binary "${1:-}")

bench_work
trap 'for m in on off; do mountpoint -q "$WORK/$m/store" && fusermount3 -u -z "$WORK/$m/store"; done; bench_cleanup' EXIT
bench_keys
CACHE=${BENCH_DIR:-/tmp/dropgate-bench}
BUNDLES=()
for i in $(seq "$UPLOADS"); do BUNDLES+=("$CACHE/indexing-$i-${BENCH_MIB:-2816}m.tgz"); done
specs=()
for b in "${BUNDLES[@]}"; do specs+=("$b:$((${BENCH_MIB:-2816} * 1024))"); done
make_bundles "${specs[@]}"
cat "${BUNDLES[@]}" > /dev/null
BIG_MIB=$(($(stat -c %s "${BUNDLES[0]}") >> 20))
for mode in on off; do
    flag=true
    [ $mode = on ] || flag=false
    dropgate_config "$WORK/$mode" "$(free_port)" "$(printf 'seek_index = %s\n[index]\ndatabase = "data/index.sqlite3"\n' $flag)"
    "$DROPGATE" store -c "$WORK/$mode/dropgate.toml" 2>> "$WORK/$mode.log" &
    PIDS+=($!)
    for _ in $(seq 100); do mountpoint -q "$WORK/$mode/store" && break; sleep 0.1; done
    mountpoint -q "$WORK/$mode/store"
done

indexes() { ls "$WORK/on/data/.seek" 2>/dev/null | grep -c '\.seek$' || true; }
declare -A RATE CLOSES
RATE[on]=0 RATE[off]=0 CLOSES[on]= CLOSES[off]=
last=
for run in $(seq "$RUNS"); do
    for mode in on off; do
        # Every round starts alike: the "on" store's indexer done with the last round (its
        # indexes removed: they are per content), the disk synced, the machine settled.
        if [ "$last" = on ]; then
            for _ in $(seq 1200); do [ "$(indexes)" -ge "$UPLOADS" ] && break; sleep 0.5; done
            [ "$(indexes)" -ge "$UPLOADS" ] || { echo "the indexer never finished" >&2; exit 1; }
            rm -f "$WORK/on/data/.seek/"*.seek
        fi
        last=$mode
        sync
        sleep 3
        total=0 worst=0
        for i in $(seq "$UPLOADS"); do
            read -r t c < <(write_timed "${BUNDLES[$((i - 1))]}" "$WORK/$mode/store/acme/r$run-$i.tgz")
            total=$(echo "$total + $t" | bc -l)
            worst=$(echo "if ($c > $worst) $c else $worst" | bc -l)
            CLOSES[$mode]+="$c "
        done
        rate=$(echo "$UPLOADS * $BIG_MIB / $total" | bc -l)
        echo "run $run indexer $mode: $(f2 "$rate") MiB/s, worst close $(f2 "$(echo "$worst * 1000" | bc -l)") ms" >&2
        (($(echo "$rate > ${RATE[$mode]}" | bc -l))) && RATE[$mode]=$rate
    done
done
accepted=$(grep -c upload_accepted "$WORK/on.log" "$WORK/off.log" | awk -F: '{ s += $2 } END { print s }')
[ "$accepted" = $((2 * RUNS * UPLOADS)) ] || { echo "only $accepted uploads accepted" >&2; exit 1; }
result "$UPLOADS x $BIG_MIB MiB back to back, MiB/s, seek indexer on vs off" "$(f2 "${RATE[on]}")" \
    "$(f2 "${RATE[off]}")" "$(ratio "${RATE[on]}" "${RATE[off]}")" ">= 0.95"
median_ms() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", 1000 * (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ON_MS=$(median_ms "${CLOSES[on]}")
OFF_MS=$(median_ms "${CLOSES[off]}")
result "close() verdict, median of $((RUNS * UPLOADS)) uploads, ms, indexer on vs off" "$ON_MS" \
    "$OFF_MS" "$(ratio "$ON_MS" "$OFF_MS")" "<= 1.05"
