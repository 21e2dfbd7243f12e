#!/bin/bash
# Fail fast (spec §4, §8): how much of an upload that is bad from its first bytes the server takes
# in before it says no. A 1 GiB file of zeros (not gzip: refused at its first bytes) is uploaded
# with OpenSSH sftp into `dropgate serve`, and the same into OpenSSH's internal-sftp (the anchor,
# which takes every byte). Measured: the bytes the store received (its index row and
# dropgate_bytes_received_total), the client's wall time, and what the client printed.
# Usage: bench/failfast.sh [path/to/build]
set -euo pipefail

BUILD=$(readlink -f "${1:-build}")
DROPGATE=$BUILD/cli/dropgate
MIB=${FAILFAST_MIB:-1024}
source "$(dirname "$0")/lib.sh"
bench_work
bench_keys
truncate -s "${MIB}M" "$WORK/bad.tgz"  # zeros: "not gzip (bad magic 00 00 00 00)"

mkdir -p "$WORK/sshd_up"
start_sshd_anchor "$WORK" "$WORK/host" "$WORK/authorized_keys"; PIDS+=($SSHD_PID)
DG_PORT=$(free_port)
METRICS_PORT=$(free_port)
dropgate_config "$WORK/dg" "$DG_PORT" "[metrics]
listen = \"127.0.0.1:$METRICS_PORT\""
start_serve "$DROPGATE" "$WORK/dg/dropgate.toml" "$WORK/dg.log"

upload() {  # PORT USER REMOTE: wall seconds; the client's stderr goes to $WORK/client.err
    local start end
    start=$(date +%s.%N)
    sftp "${SFTP_OPTS[@]}" -P "$1" -b - "$2@127.0.0.1" <<< "put $WORK/bad.tgz $3" \
        > /dev/null 2> "$WORK/client.err" || true
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
dg_s=$(upload "$DG_PORT" acme bad.tgz)
dg_said=$(grep -m1 'refused' "$WORK/client.err" || echo "(nothing)")
dg_bytes=$(sqlite3 "$WORK/dg/data/index.sqlite3" "SELECT bytes FROM uploads WHERE path = 'bad.tgz'")
dg_received=$(curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | awk '/^dropgate_bytes_received_total/ {print $2}')
ssh_s=$(upload "$SSHD_PORT" root "$WORK/sshd_up/bad.tgz")
ssh_bytes=$(stat -c %s "$WORK/sshd_up/bad.tgz")

echo "dropgate: the client printed: $dg_said"
echo "dropgate: index row bytes $dg_bytes, bytes_received_total $dg_received; client ${dg_s} s"
echo "openssh:  stored $ssh_bytes bytes; client ${ssh_s} s"
mib() { echo "scale=2; $1 / 1048576" | bc; }
result "fail fast: MiB received of a ${MIB} MiB upload bad from byte 0 (sftp)" "$(mib "$dg_received")" \
    "$(mib "$ssh_bytes")" "$(echo "scale=4; $dg_received / $ssh_bytes" | bc)" "<= 8 MiB"
result "fail fast: client seconds until the refusal (sftp)" "$dg_s" "$ssh_s" \
    "$(echo "scale=3; $dg_s / $ssh_s" | bc)" "-"
