#!/bin/bash
# The store's write path against its bound (issue 13, spec §4, §8): one ~1 GiB bundle (the one
# bench/gateway.sh uploads) written into `dropgate serve`'s store by cp, by dd bs=1M and by
# OpenSSH sftp through the gateway, each against `dropgate validate` of the same file (the bound:
# the store checks every byte as it arrives), plus dd conv=fsync straight to the backing
# filesystem (is the disk the limit?) and OpenSSH sftp into OpenSSH's internal-sftp (the SFTP
# anchor). Rounds alternate the writers; best of RUNS (3). Also: server CPU of the sftp uploads
# (dropgate: serve and every process under it; OpenSSH: sshd and its children) and the close
# verdict of the store's uploads (the store's own flush_verdict times: worst of the round).
# Usage: bench/writers.sh [path/to/build]
set -euo pipefail

BUILD=$(readlink -f "${1:-build}")
DROPGATE=$BUILD/cli/dropgate
BENCH_MIB=${BENCH_MIB:-2816}
RUNS=${RUNS:-3}
source "$(dirname "$0")/lib.sh"
bench_work
bench_keys
big_bundle
MIB=$(($(stat -L -c %s "$BIG") >> 20))

mkdir -p "$WORK/sshd_up" "$WORK/raw"
start_sshd_anchor "$WORK" "$WORK/host" "$WORK/authorized_keys"; PIDS+=($SSHD_PID)
DG_PORT=$(free_port)
dropgate_config "$WORK/dg" "$DG_PORT"
export DROPGATE_LOG_LEVEL=debug  # the store logs each close's flush_verdict time
start_serve "$DROPGATE" "$WORK/dg/dropgate.toml" "$WORK/dg.log"
unset DROPGATE_LOG_LEVEL
STORE=$WORK/dg/store/acme

now() { date +%s.%N; }
declare -A BEST CPU
WRITERS=(validate disk cp dd sftp openssh)
for w in "${WRITERS[@]}"; do BEST[$w]=999; CPU[$w]=999999; done
run_writer() {  # WRITER RUN: sets T (seconds) and keeps the lowest server CPU in CPU[WRITER]
    local w=$1 r=$2 start end t0=0 t1=0
    case $w in sftp) t0=$(tree_ticks "$SERVE_PID") ;; openssh) t0=$(tree_ticks "$SSHD_PID") ;; esac
    start=$(now)
    case $w in
        validate) "$DROPGATE" validate "$BIG" > /dev/null ;;
        disk) dd if="$BIG" of="$WORK/raw/r$r" bs=1M conv=fsync status=none ;;
        cp) cp "$BIG" "$STORE/cp$r.tgz" ;;
        dd) dd if="$BIG" of="$STORE/dd$r.tgz" bs=1M status=none ;;
        sftp) sftp "${SFTP_OPTS[@]}" -P "$DG_PORT" -b - acme@127.0.0.1 <<< "put $BIG sftp$r.tgz" > /dev/null ;;
        openssh) sftp "${SFTP_OPTS[@]}" -P "$SSHD_PORT" -b - root@127.0.0.1 <<< "put $BIG $WORK/sshd_up/o$r.tgz" > /dev/null ;;
    esac
    end=$(now)
    case $w in
        sftp) sleep 0.3; t1=$(tree_ticks "$SERVE_PID") ;;
        openssh) sleep 0.3; t1=$(tree_ticks "$SSHD_PID") ;;
    esac
    [ $w = disk ] && rm -f "$WORK/raw/r$r"
    [ $w = openssh ] && rm -f "$WORK/sshd_up/o$r.tgz"
    local cpu=$(( (t1 - t0) * 1000 / HZ ))
    if [ "$cpu" -gt 0 ] && [ "$cpu" -lt "${CPU[$w]}" ]; then CPU[$w]=$cpu; fi
    T=$(echo "$end - $start" | bc -l)
}
for r in $(seq "$RUNS"); do
    for w in "${WRITERS[@]}"; do
        sync
        run_writer "$w" "$r"
        printf 'round %d %-8s %6.2f s\n' "$r" "$w" "$T"
        BEST[$w]=$(echo "if ($T < ${BEST[$w]}) $T else ${BEST[$w]}" | bc -l)
    done
done
for f in cp dd sftp; do
    for r in $(seq "$RUNS"); do
        cmp -s "$BIG" "$WORK/dg/data/bundles/acme/$f$r.tgz" || { echo "$f$r.tgz differs or is missing" >&2; exit 1; }
    done
done
CLOSE=$(grep -o '"event":"flush_verdict"[^}]*"ms":[0-9.]*' "$WORK/dg.log" | sed 's/.*"ms"://' | sort -n | tail -1)

rate() { echo "$MIB * 1.048576 / $1" | bc -l; }
ratio() { printf %.2f "$(echo "$1 / $2" | bc -l)"; }
f0() { printf %.0f "$1"; }
v=${BEST[validate]}
for w in cp dd sftp; do
    result "store write path: $w MB/s vs dropgate validate of the same ${MIB} MiB" \
        "$(f0 "$(rate ${BEST[$w]})")" "$(f0 "$(rate $v)")" "$(ratio $v ${BEST[$w]})x" ">= 0.85x"
done
result "store write path: dd conv=fsync to the backing disk MB/s vs validate (is the disk the limit?)" \
    "$(f0 "$(rate ${BEST[disk]})")" "$(f0 "$(rate $v)")" "$(ratio $v ${BEST[disk]})x" "(info)"
result "store write path: sftp into dropgate MB/s vs OpenSSH internal-sftp" \
    "$(f0 "$(rate ${BEST[sftp]})")" "$(f0 "$(rate ${BEST[openssh]})")" "$(ratio ${BEST[openssh]} ${BEST[sftp]})x" ">= 1.0x"
result "store write path: sftp server CPU ms, dropgate (validating) vs OpenSSH" "${CPU[sftp]}" \
    "${CPU[openssh]}" "$(ratio ${CPU[sftp]} ${CPU[openssh]})x" "(info, lower is better)"
result "store write path: worst close verdict ms of the store's uploads" "$CLOSE" "-" "-" "<= 50 ms"
