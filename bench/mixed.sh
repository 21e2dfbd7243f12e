#!/bin/bash
# Mixed load against a real `dropgate serve` on loopback (FUSE store + SFTP gateway + index):
# UPLOADS concurrent customer uploads (OpenSSH `sftp -b`, one connection each, spread over
# CUSTOMERS customers) of realistic bundles from ~250 KiB to ~100 MiB, skewed small, a tenth of
# them invalid (truncated, a zip renamed .tgz, a bad gzip CRC). Measures wall time, uploads/s,
# MB/s and server CPU (serve + store + gateway + its per-connection children, from /proc), checks
# every verdict (sftp exit status, `dropgate query bundles --json`, /metrics counters), and runs
# the same load (valid bundles only, no validation) against OpenSSH internal-sftp for a ratio.
# Best of RUNS, dropgate and anchor alternating. Prints RESULT lines (bench/lib.sh).
# Usage: bench/mixed.sh [BUILD_DIR] [--quick]   env: UPLOADS CUSTOMERS RUNS BENCH_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/lib.sh"
BUILD=$ROOT/build
QUICK=0
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=1 ;;
        *) BUILD=$(realpath "$arg") ;;
    esac
done
DROPGATE=$BUILD/cli/dropgate
[ -x "$DROPGATE" ] || { echo "no dropgate binary at $DROPGATE (build it first)" >&2; exit 1; }
if [ $QUICK = 1 ]; then UPLOADS=${UPLOADS:-20} CUSTOMERS=${CUSTOMERS:-4}; fi
UPLOADS=${UPLOADS:-100}
CUSTOMERS=${CUSTOMERS:-10}  # gateway allows 20 sessions per user by default
RUNS=${RUNS:-2}
CLIENT_TIMEOUT=600          # seconds per sftp client: the load is bounded even if a server hangs

# --- bundles: generated once, reused (sizes are uncompressed KiB; compressed ~0.35-0.5x) --------
CACHE=${BENCH_DIR:-/tmp/dropgate-bench}/mixed
mkdir -p "$CACHE"
SMALL=(600 1200 2500 5000 10000)  # ~0.3 .. ~5 MiB compressed
MEDIUM=(30000)                    # ~15 MiB
LARGE=(150000 270000)             # ~50 and ~95 MiB
[ $QUICK = 1 ] && LARGE=()
specs=()
for k in "${SMALL[@]}" "${MEDIUM[@]}" ${LARGE[@]+"${LARGE[@]}"}; do specs+=("$CACHE/b$k.tgz:$k"); done
make_bundles "${specs[@]}"
base=$CACHE/b5000.tgz
if [ ! -s "$CACHE/bad-crc.tgz" ]; then
    head -c $(($(stat -c %s "$base") / 2)) "$base" > "$CACHE/truncated.tgz"
    (cd "$CACHE" && rm -f z.zip && head -c 300000 "$base" > z.bin && zip -q z.zip z.bin && mv z.zip zip-renamed.tgz && rm z.bin)
    # flip one byte of the gzip trailer's CRC32 (the last 8 bytes are CRC32, ISIZE)
    cp "$base" "$CACHE/bad-crc.tgz.tmp"
    off=$(($(stat -c %s "$base") - 8))
    byte=$(od -An -tu1 -j $off -N1 "$base" | tr -d ' ')
    printf "\\$(printf %03o $(((byte + 1) % 256)))" | dd of="$CACHE/bad-crc.tgz.tmp" bs=1 seek=$off conv=notrunc status=none
    mv "$CACHE/bad-crc.tgz.tmp" "$CACHE/bad-crc.tgz"
fi
INVALID=(truncated zip-renamed bad-crc)

# The plan: upload i -> customer, file, valid?  Large every 25th, medium every 10th (+5),
# invalid every 10th (+9), small otherwise.
declare -a FILE CUST VALID
total_bytes=0 valid_bytes=0 n_valid=0
for ((i = 0; i < UPLOADS; i++)); do
    CUST[i]=cust-$(printf %02d $((i % CUSTOMERS + 1)))
    if ((i % 10 == 9)); then
        FILE[i]=$CACHE/${INVALID[$((i / 10 % 3))]}.tgz; VALID[i]=0
    elif ((${#LARGE[@]} > 0 && i % 25 == 0)); then
        FILE[i]=$CACHE/b${LARGE[$((i / 25 % ${#LARGE[@]}))]}.tgz; VALID[i]=1
    elif ((i % 10 == 5)); then
        FILE[i]=$CACHE/b${MEDIUM[0]}.tgz; VALID[i]=1
    else
        FILE[i]=$CACHE/b${SMALL[$((i % ${#SMALL[@]}))]}.tgz; VALID[i]=1
    fi
    size=$(stat -c %s "${FILE[i]}")
    total_bytes=$((total_bytes + size))
    if [ "${VALID[i]}" = 1 ]; then valid_bytes=$((valid_bytes + size)); n_valid=$((n_valid + 1)); fi
done
n_invalid=$((UPLOADS - n_valid))
for f in "${FILE[@]}"; do cat "$f"; done > /dev/null  # page cache: clients read from memory
echo "# plan: $UPLOADS uploads ($n_valid valid, $n_invalid invalid) by $CUSTOMERS customers," \
    "$((total_bytes >> 20)) MiB ($((valid_bytes >> 20)) MiB valid); runs: $RUNS" >&2

# --- servers -----------------------------------------------------------------------------------
WORK=$(mktemp -d /var/tmp/dropgate-bench-mixed.XXXXXX)
SERVE_PID= SSHD_PID=
cleanup() {
    if [ -n "$SERVE_PID" ]; then
        kill "$SERVE_PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVE_PID" 2>/dev/null || true
    fi
    [ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null
    wait 2>/dev/null || true
    mountpoint -q "$WORK/dg/store" 2>/dev/null && fusermount3 -u -z "$WORK/dg/store"
    [ -n "${KEEP_LOGS:-}" ] && cp "$WORK"/dg/serve.log "$WORK"/sshd.log "$KEEP_LOGS"/ 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
ssh-keygen -q -t ed25519 -N '' -f "$WORK/client" -C bench
ssh-keygen -q -t ed25519 -N '' -f "$WORK/host" -C host
cp "$WORK/client.pub" "$WORK/authorized_keys"
SFTP_OPTS=(-q -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes
    -o LogLevel=ERROR -i "$WORK/client")

mkdir -p "$WORK/dg/keys" "$WORK/dg/store" "$WORK/sshd_up"
cp "$WORK/host" "$WORK/dg/keys/ssh_host_ed25519_key"
DG_PORT=$(free_port) METRICS_PORT=$(free_port)
{
    printf '[server]\nlisten = ["127.0.0.1:%s"]\nhost_key_dir = "keys"\n' "$DG_PORT"
    printf '[store]\nroot = "data"\nmount = "store"\n[index]\ndatabase = "data/index.sqlite3"\n'
    printf '[metrics]\nlisten = "127.0.0.1:%s"\n' "$METRICS_PORT"
    for ((c = 1; c <= CUSTOMERS; c++)); do
        printf '[[user]]\nname = "cust-%02d"\nrole = "customer"\nkeys = ["%s"]\n' "$c" "$(cat "$WORK/client.pub")"
    done
} > "$WORK/dg/dropgate.toml"
start_serve "$DROPGATE" "$WORK/dg/dropgate.toml" "$WORK/dg/serve.log"
start_sshd_anchor "$WORK" "$WORK/host" "$WORK/authorized_keys"
for ((c = 1; c <= CUSTOMERS; c++)); do mkdir -p "$WORK/sshd_up/cust-$(printf %02d $c)"; done

# --- one load run ------------------------------------------------------------------------------
# load SERVER RUN: starts every upload at once, waits; sets WALL (s), CPU_MS (server), and leaves
# each client's exit status in $WORK/rc/SERVER-RUN-i.
load() {
    local s=$1 run=$2 i t0 t1 start end pids=()
    mkdir -p "$WORK/rc"
    sync
    if [ "$s" = dropgate ]; then t0=$(tree_ticks $SERVE_PID); else t0=$(ticks $SSHD_PID); fi
    start=$(date +%s.%N)
    for ((i = 0; i < UPLOADS; i++)); do
        if [ "$s" = dropgate ]; then
            dest="${CUST[i]}@127.0.0.1" port=$DG_PORT remote=r$run-$i.tgz
        else
            [ "${VALID[i]}" = 1 ] || continue  # the anchor gets the valid bundles only
            dest=root@127.0.0.1 port=$SSHD_PORT remote=$WORK/sshd_up/${CUST[i]}/r$run-$i.tgz
        fi
        (
            rc=0
            echo "put ${FILE[i]} $remote" | timeout $CLIENT_TIMEOUT \
                sftp "${SFTP_OPTS[@]}" -P $port -b - "$dest" > /dev/null 2>&1 || rc=$?
            echo $rc > "$WORK/rc/$s-$run-$i"
        ) &
        pids+=($!)
    done
    wait "${pids[@]}"
    end=$(date +%s.%N)
    sleep 0.5  # let the servers reap their per-connection processes
    if [ "$s" = dropgate ]; then t1=$(tree_ticks $SERVE_PID); else t1=$(ticks $SSHD_PID); fi
    WALL=$(echo "$end - $start" | bc -l)
    CPU_MS=$(((t1 - t0) * 1000 / HZ))
}

# --- verdicts: every valid upload accepted, every invalid one rejected ---------------------------
check_dropgate() {  # check_dropgate RUN: prints problems, returns 1 if any
    local run=$1 i
    "$DROPGATE" query -c "$WORK/dg/dropgate.toml" bundles --json > "$WORK/bundles.json"
    for ((i = 0; i < UPLOADS; i++)); do
        printf '%s\t%s\t%s\t%s\t%s\n' "$i" "${CUST[i]}" "r$run-$i.tgz" "${VALID[i]}" \
            "$(cat "$WORK/rc/dropgate-$run-$i")"
    done > "$WORK/plan"
    python3 - "$WORK/bundles.json" "$WORK/plan" <<'PY'
import json, sys
status = {}
for line in open(sys.argv[1]):
    if line.strip():
        r = json.loads(line)
        status.setdefault((r["customer"], r["path"].lstrip("/")), []).append(r["status"])
bad = 0
for line in open(sys.argv[2]):
    i, cust, name, valid, rc = line.rstrip("\n").split("\t")
    got = ",".join(status.get((cust, name), [])) or "none"
    want = "accepted" if valid == "1" else "rejected"
    if got != want or (rc == "0") != (valid == "1"):
        print(f"upload {i} ({cust}/{name}, want {want}): sftp exit {rc}, index: {got}", file=sys.stderr)
        bad = 1
sys.exit(bad)
PY
}
metric() { curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | awk -v k="$1" '$1 == k { print $2 + 0 }'; }

# --- runs, alternating -------------------------------------------------------------------------
best_dg= best_ssh= cpu_dg= cpu_ssh= verdicts_ok=1
for run in $(seq "$RUNS"); do
    acc0=$(metric 'dropgate_uploads_total{status="accepted"}'); rej0=$(metric 'dropgate_uploads_total{status="rejected"}')
    load dropgate "$run"
    echo "# run $run dropgate: ${WALL}s, server CPU ${CPU_MS} ms" >&2
    [ -z "$best_dg" ] || (($(echo "$WALL < $best_dg" | bc))) && best_dg=$WALL
    [ -z "$cpu_dg" ] || ((CPU_MS < cpu_dg)) && cpu_dg=$CPU_MS
    check_dropgate "$run" || verdicts_ok=0
    acc=$(($(metric 'dropgate_uploads_total{status="accepted"}') - ${acc0:-0}))
    rej=$(($(metric 'dropgate_uploads_total{status="rejected"}') - ${rej0:-0}))
    if [ "$acc" != "$n_valid" ] || [ "$rej" != "$n_invalid" ]; then
        echo "metrics: accepted +$acc (want $n_valid), rejected +$rej (want $n_invalid)" >&2; verdicts_ok=0
    fi

    load openssh "$run"
    echo "# run $run openssh: ${WALL}s, server CPU ${CPU_MS} ms" >&2
    n=$(find "$WORK/sshd_up" -name "r$run-*.tgz" | wc -l)
    failed=$(grep -lv '^0$' "$WORK"/rc/openssh-$run-* | wc -l || true)
    [ "$n" = "$n_valid" ] && [ "$failed" = 0 ] || echo "openssh: $n of $n_valid arrived, $failed failed" >&2
    [ -z "$best_ssh" ] || (($(echo "$WALL < $best_ssh" | bc))) && best_ssh=$WALL
    [ -z "$cpu_ssh" ] || ((CPU_MS < cpu_ssh)) && cpu_ssh=$CPU_MS
    find "$WORK/sshd_up" -name '*.tgz' -delete
done

# --- report -------------------------------------------------------------------------------------
# The dropgate side moves all uploads (the invalid ones too); the anchor only the valid ones.
awk -v n=$UPLOADS -v nv=$n_valid -v b=$total_bytes -v bv=$valid_bytes -v d=$best_dg -v a=$best_ssh \
    -v cd=$cpu_dg -v ca=$cpu_ssh -v ok=$verdicts_ok -v ni=$n_invalid 'BEGIN {
    t = sprintf("mixed %d uploads (%d invalid), %.0f MiB:", n, ni, b / 1048576)
    printf "RESULT\t%s wall s (anchor: openssh, valid only)\t%.1f\t%.1f\t%.2fx\t(info, lower is better)\n", t, d, a, d / a
    printf "RESULT\t%s uploads/s\t%.1f\t%.1f\t%.2fx\t>= 1.0x\n", t, n / d, nv / a, (n / d) / (nv / a)
    printf "RESULT\t%s MB/s\t%.0f\t%.0f\t%.2fx\t>= 1.0x\n", t, b / 1e6 / d, bv / 1e6 / a, (b / d) / (bv / a)
    printf "RESULT\t%s server CPU ms per upload\t%.1f\t%.1f\t%.2fx\t(info, lower is better)\n", t, cd / n, ca / nv, (cd / n) / (ca / nv)
    printf "RESULT\t%s verdicts correct (sftp, index, metrics)\t%s\t-\t-\tall\n", t, ok ? "all" : "NO"
}'
[ "$verdicts_ok" = 1 ]
