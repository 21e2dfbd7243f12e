#!/bin/bash
# Benchmarks dropgate's SFTP service against its anchors, all started here on loopback in the
# same run (docs: /work/shared/notes/benchmarking.md, spec §8):
#   OpenSSH sshd with internal-sftp, and `rclone serve sftp` (Go's x/crypto/ssh + pkg/sftp).
# dropgate runs as `dropgate serve`: gateway + FUSE store + index, so every upload is validated,
# fsynced, published and indexed on the same 2 cores; the anchors write the same valid bundles
# into plain directories.
#   (a) upload throughput of one ~1 GiB realistic bundle (BENCH_MIB uncompressed, default 2816)
#   (b) 8 parallel clients x 10 connect+upload of a 250 KiB bundle: uploads/s and server CPU per
#       upload (dropgate: serve + store + gateway + its session workers, from /proc)
#   (c) Pss of one uploading session's processes (/proc/<pid>/smaps_rollup)
# For reading (a): `dropgate gateway` alone into a plain directory ("gateway-only"), the same
# bundle, to separate the SFTP side's cost from the store's validation.
# Prints "measure  dropgate  anchor  ratio  target" lines. Best of RUNS (3), servers alternating.
# Usage: bench/gateway.sh [path/to/dropgate]
set -euo pipefail

DROPGATE=$(readlink -f "${1:-build/cli/dropgate}")
BENCH_MIB=${BENCH_MIB:-2816}  # uncompressed; ~1 GiB compressed (the bundle bench/store.sh uses)
RUNS=${RUNS:-3}
source "$(dirname "$0")/lib.sh"  # free_port wait_port ticks tree_ticks descendants pss_kib HZ, anchors

bench_work

# --- keys, bundles ---------------------------------------------------------------------------
bench_keys
CACHE=${BENCH_DIR:-/tmp/dropgate-bench}
mkdir -p "$CACHE"
make_bundles "$CACHE/bundle-${BENCH_MIB}m.tgz:$((BENCH_MIB * 1024))" "$CACHE/small-250k.tgz:500"
ln -s "$CACHE/bundle-${BENCH_MIB}m.tgz" "$WORK/big.tgz"
ln -s "$CACHE/small-250k.tgz" "$WORK/small.tgz"
cat "$WORK/big.tgz" "$WORK/small.tgz" > /dev/null  # page cache: clients read from memory
BIG_MIB=$(($(stat -L -c %s "$WORK/big.tgz") >> 20))

# --- servers -----------------------------------------------------------------------------
mkdir -p "$WORK/sshd_up" "$WORK/rclone_up"
start_sshd_anchor "$WORK" "$WORK/host" "$WORK/authorized_keys"; PIDS+=($SSHD_PID)
start_rclone_anchor "$WORK" "$WORK/rclone_up" "$WORK/host" "$WORK/client.pub"; PIDS+=($RCLONE_PID)

DG_PORT=$(free_port)
dropgate_config "$WORK/dg" "$DG_PORT" "[index]
database = \"data/index.sqlite3\""
start_serve "$DROPGATE" "$WORK/dg/dropgate.toml" "$WORK/dg.log"
DG_PID=$SERVE_PID
PLAIN_PORT=$(free_port)
mkdir -p "$WORK/plain/up/acme" "$WORK/plain/keys"
cp "$WORK/host" "$WORK/plain/keys/ssh_host_ed25519_key"
sed -e "s/127.0.0.1:$DG_PORT/127.0.0.1:$PLAIN_PORT/" -e 's/^mount = "store"/mount = "up"/' \
    "$WORK/dg/dropgate.toml" > "$WORK/plain/dropgate.toml"
"$DROPGATE" gateway -c "$WORK/plain/dropgate.toml" 2> "$WORK/plain.log" &
PLAIN_PID=$!; PIDS+=($PLAIN_PID)
wait_port $PLAIN_PORT

# target: where an upload lands, per server (user@host, port, remote dir, local dir)
declare -A USER=([dropgate]=acme [openssh]=root [rclone]=bench [gateway-only]=acme)
declare -A PORT=([dropgate]=$DG_PORT [openssh]=$SSHD_PORT [rclone]=$RCLONE_PORT [gateway-only]=$PLAIN_PORT)
declare -A RDIR=([dropgate]=/ [openssh]=$WORK/sshd_up/ [rclone]=/ [gateway-only]=/)
declare -A LDIR=([dropgate]=$WORK/dg/store/acme [openssh]=$WORK/sshd_up [rclone]=$WORK/rclone_up [gateway-only]=$WORK/plain/up/acme)
declare -A SPID=([dropgate]=$DG_PID [openssh]=$SSHD_PID [rclone]=$RCLONE_PID [gateway-only]=$PLAIN_PID)

put() {  # put SERVER LOCALFILE REMOTENAME [extra sftp args...]
    local s=$1 f=$2 name=$3; shift 3
    echo "put $f ${RDIR[$s]}$name" | sftp "${SFTP_OPTS[@]}" "$@" -P "${PORT[$s]}" -b - "${USER[$s]}@127.0.0.1" >/dev/null
}
# dropgate's published bundles are immutable: each run uploads under new names instead.
clear_uploads() { [ "$1" = dropgate ] || find "${LDIR[$1]}" -mindepth 1 -delete; }
# Server CPU ticks: dropgate's whole process tree (serve, store, gateway, session workers).
server_ticks() { case "$1" in dropgate | gateway-only) tree_ticks "${SPID[$1]}" ;; *) ticks "${SPID[$1]}" ;; esac; }

# --- (a) large upload throughput ------------------------------------------------------------
declare -A BEST_MBS CPU_BIG
for s in dropgate openssh rclone gateway-only; do BEST_MBS[$s]=0; CPU_BIG[$s]=999999; done
for run in $(seq "$RUNS"); do
    for s in dropgate openssh rclone gateway-only; do
        clear_uploads "$s"; sync
        t0=$(server_ticks "$s"); start=$(date +%s.%N)
        put "$s" "$WORK/big.tgz" "big$run.tgz"
        end=$(date +%s.%N); sleep 0.3; t1=$(server_ticks "$s")
        mbs=$(echo "$BIG_MIB * 1.048576 / ($end - $start)" | bc -l)
        cmp -s "$WORK/big.tgz" "${LDIR[$s]}/big$run.tgz" || { echo "$s: upload corrupted" >&2; exit 1; }
        BEST_MBS[$s]=$(echo "if (${BEST_MBS[$s]} < $mbs) $mbs else ${BEST_MBS[$s]}" | bc -l)
        cpu=$(( (t1 - t0) * 1000 / HZ ))
        [ "$cpu" -lt "${CPU_BIG[$s]}" ] && CPU_BIG[$s]=$cpu
    done
done
clear_uploads dropgate; clear_uploads openssh; clear_uploads rclone; clear_uploads gateway-only

# --- (b) 8 parallel clients x 10 connect+upload of 250 KiB ---------------------------------------
declare -A BEST_UPS CPU_SMALL
for s in dropgate openssh rclone; do BEST_UPS[$s]=0; CPU_SMALL[$s]=999999; done
for run in $(seq "$RUNS"); do
    for s in dropgate openssh rclone; do
        clear_uploads "$s"
        t0=$(server_ticks "$s"); start=$(date +%s.%N)
        clients=()
        for c in $(seq 8); do
            ( for i in $(seq 10); do put "$s" "$WORK/small.tgz" "r${run}c${c}_$i.tgz"; done ) &
            clients+=($!)
        done
        wait "${clients[@]}"
        end=$(date +%s.%N); sleep 0.5; t1=$(server_ticks "$s")
        n=$(find "${LDIR[$s]}" -name "r${run}c*_*.tgz" | wc -l)
        [ "$n" -eq 80 ] || { echo "$s: only $n of 80 small uploads arrived" >&2; exit 1; }
        ups=$(echo "80 / ($end - $start)" | bc -l)
        BEST_UPS[$s]=$(echo "if (${BEST_UPS[$s]} < $ups) $ups else ${BEST_UPS[$s]}" | bc -l)
        cpu=$(( (t1 - t0) * 1000 * 100 / HZ / 80 ))  # 1/100 ms per upload
        [ "$cpu" -lt "${CPU_SMALL[$s]}" ] && CPU_SMALL[$s]=$cpu
    done
done

# --- (c) memory of one uploading session -------------------------------------------------------
declare -A PSS
for s in dropgate openssh rclone; do
    put "$s" "$WORK/big.tgz" "slow.tgz" -l 80000 &   # 10 MB/s: the session stays busy
    client=$!
    sleep 3
    if [ "$s" = rclone ]; then  # one process serves everything: the whole process while it uploads
        PSS[$s]=$(pss_kib "${SPID[$s]}")
    elif [ "$s" = dropgate ]; then  # the session worker serving it (the gateway logs its pid)
        worker=$(grep '"event":"connection"' "$WORK/dg.log" | tail -1 | sed 's/.*"pid":\([0-9]*\).*/\1/')
        PSS[$s]=$(pss_kib "$worker")
    else                        # the per-connection processes (sshd: monitor + session child)
        PSS[$s]=$(pss_kib $(descendants "${SPID[$s]}"))
    fi
    kill $(descendants "$client") "$client" 2>/dev/null; wait "$client" 2>/dev/null || true
    sleep 0.5
done

# --- report -------------------------------------------------------------------------------
ratio() { printf %.2f "$(echo "$1 / $2" | bc -l)"; }
f1() { printf '%.1f' "$1"; }
printf '%-44s %10s %10s %8s  %s\n' measure dropgate anchor ratio target
for a in openssh rclone; do
    printf '%-44s %10s %10s %8s  %s\n' "upload ${BIG_MIB} MiB bundle MB/s vs $a" "$(f1 ${BEST_MBS[dropgate]})" \
        "$(f1 ${BEST_MBS[$a]})" "$(ratio ${BEST_MBS[dropgate]} ${BEST_MBS[$a]})" ">= 1.0 (vs openssh)"
    result "upload ${BIG_MIB} MiB bundle MB/s vs $a" "$(f1 ${BEST_MBS[dropgate]})" "$(f1 ${BEST_MBS[$a]})" \
        "$(ratio ${BEST_MBS[dropgate]} ${BEST_MBS[$a]})x" "$([ $a = openssh ] && echo '>= 1.0x' || echo '(info)')" >> "$WORK/results"
done
printf '%-44s %10s %10s %8s  %s\n' "gateway-only upload MB/s vs openssh" "$(f1 ${BEST_MBS[gateway-only]})" \
    "$(f1 ${BEST_MBS[openssh]})" "$(ratio ${BEST_MBS[gateway-only]} ${BEST_MBS[openssh]})" "(info: no store)"
result "upload ${BIG_MIB} MiB MB/s, gateway alone into a plain dir, vs openssh" "$(f1 ${BEST_MBS[gateway-only]})" \
    "$(f1 ${BEST_MBS[openssh]})" "$(ratio ${BEST_MBS[gateway-only]} ${BEST_MBS[openssh]})x" "(info: no validation)" >> "$WORK/results"
result "upload ${BIG_MIB} MiB server CPU ms, gateway alone into a plain dir, vs openssh" "${CPU_BIG[gateway-only]}" \
    "${CPU_BIG[openssh]}" "$(ratio ${CPU_BIG[gateway-only]} ${CPU_BIG[openssh]})x" "(info, lower is better)" >> "$WORK/results"
for a in openssh rclone; do
    printf '%-44s %10s %10s %8s  %s\n' "upload ${BIG_MIB} MiB server CPU ms vs $a" "${CPU_BIG[dropgate]}" \
        "${CPU_BIG[$a]}" "$(ratio ${CPU_BIG[dropgate]} ${CPU_BIG[$a]})" "(lower is better)"
    result "upload ${BIG_MIB} MiB server CPU ms vs $a" "${CPU_BIG[dropgate]}" "${CPU_BIG[$a]}" \
        "$(ratio ${CPU_BIG[dropgate]} ${CPU_BIG[$a]})x" "(info, lower is better)" >> "$WORK/results"
done
for a in openssh rclone; do
    printf '%-44s %10s %10s %8s  %s\n' "8x10 connect+put 250KiB uploads/s vs $a" "$(f1 ${BEST_UPS[dropgate]})" \
        "$(f1 ${BEST_UPS[$a]})" "$(ratio ${BEST_UPS[dropgate]} ${BEST_UPS[$a]})" ">= 1.0 (vs rclone)"
    result "8x10 connect+put 250KiB uploads/s vs $a" "$(f1 ${BEST_UPS[dropgate]})" "$(f1 ${BEST_UPS[$a]})" \
        "$(ratio ${BEST_UPS[dropgate]} ${BEST_UPS[$a]})x" "$([ $a = rclone ] && echo '>= 1.0x' || echo '(info)')" >> "$WORK/results"
done
for a in openssh rclone; do
    printf '%-44s %10s %10s %8s  %s\n' "server CPU ms per small upload vs $a" \
        "$(echo "scale=1; ${CPU_SMALL[dropgate]}/100" | bc)" "$(echo "scale=1; ${CPU_SMALL[$a]}/100" | bc)" \
        "$(ratio ${CPU_SMALL[dropgate]} ${CPU_SMALL[$a]})" "<= 1.0 (vs rclone)"
    result "server CPU ms per small upload vs $a" "$(echo "scale=1; ${CPU_SMALL[dropgate]}/100" | bc)" \
        "$(echo "scale=1; ${CPU_SMALL[$a]}/100" | bc)" "$(ratio ${CPU_SMALL[dropgate]} ${CPU_SMALL[$a]})x" \
        "$([ $a = rclone ] && echo '<= 1.0x' || echo '(info)')" >> "$WORK/results"
done
for a in openssh rclone; do
    printf '%-44s %10s %10s %8s  %s\n' "Pss KiB per upload session vs $a" "${PSS[dropgate]}" "${PSS[$a]}" \
        "$(ratio ${PSS[dropgate]} ${PSS[$a]})" "dropgate <= 4096 KiB"
    result "Pss KiB per upload session vs $a" "${PSS[dropgate]}" "${PSS[$a]}" \
        "$(ratio ${PSS[dropgate]} ${PSS[$a]})x" "<= 4096 KiB" >> "$WORK/results"
done
cat "$WORK/results"
