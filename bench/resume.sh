#!/bin/bash
# Resume (spec §4, §8). In one run, on loopback:
#   (a) a ~1 GiB bundle (the one bench/gateway.sh uploads) sent with OpenSSH sftp into
#       `dropgate serve`, cut at 50 % (the client killed), then `reput`: the wall time of both
#       halves vs one uninterrupted upload (target <= 1.1x; starting over would be ~1.5x); the
#       same cut-and-reput into OpenSSH's internal-sftp is the anchor.
#   (b) the time from the resuming OPEN to its first write acknowledged by the store, with a
#       512 MiB staged prefix: with the check's state in memory, and after a store restart (the
#       store reads recovered prefixes back in the background: measured once it has, and at once). Measured with a local writer on the mount (what the store
#       itself costs) and with paramiko through the gateway (its 1 MiB coalescing included).
# Best of RUNS (3) for (a), servers alternating.
# Usage: bench/resume.sh [path/to/build]
set -euo pipefail

BUILD=$(readlink -f "${1:-build}")
DROPGATE=$BUILD/cli/dropgate
BENCH_MIB=${BENCH_MIB:-2816}
RUNS=${RUNS:-3}
source "$(dirname "$0")/lib.sh"
bench_work
bench_keys
big_bundle
SIZE=$(stat -L -c %s "$BIG")

mkdir -p "$WORK/sshd_up"
start_sshd_anchor "$WORK" "$WORK/host" "$WORK/authorized_keys"; PIDS+=($SSHD_PID)
DG_PORT=$(free_port)
dropgate_config "$WORK/dg" "$DG_PORT"
start_serve "$DROPGATE" "$WORK/dg/dropgate.toml" "$WORK/dg.log"

declare -A PORT=([dropgate]=$DG_PORT [openssh]=$SSHD_PORT)
declare -A USER=([dropgate]=acme [openssh]=root)
declare -A RDIR=([dropgate]=/ [openssh]=$WORK/sshd_up/)
# wait_bytes GLOB BYTES: returns once the files GLOB matches hold BYTES more than when it was
# called (new files included). One python process polls with stat(2): a fork per poll costs
# milliseconds of CPU on this host and slowed the upload it measured by a fifth.
wait_bytes() {
    python3 - "$1" "$2" <<'PY'
import glob, os, sys, time
pattern, want = sys.argv[1], int(sys.argv[2])
def total():
    n = 0
    for f in glob.glob(pattern):
        try: n += os.stat(f).st_size
        except OSError: pass
    return n
start = total()
while total() - start < want:
    time.sleep(0.01)
PY
}
sftp_cmd() {  # SERVER COMMAND
    echo "$2" | sftp "${SFTP_OPTS[@]}" -P "${PORT[$1]}" -b - "${USER[$1]}@127.0.0.1" > /dev/null
}
now() { date +%s.%N; }

# --- (a) cut at 50 % and reput, vs one uninterrupted upload ----------------------------------
declare -A WHOLE CUT
for s in dropgate openssh; do WHOLE[$s]=999; CUT[$s]=999; done
for run in $(seq "$RUNS"); do
    for s in dropgate openssh; do
        start=$(now); sftp_cmd "$s" "put $BIG ${RDIR[$s]}whole$run.tgz"; end=$(now)
        WHOLE[$s]=$(echo "w = $end - $start; if (w < ${WHOLE[$s]}) w else ${WHOLE[$s]}" | bc -l)
        name=cut$run.tgz
        start=$(now)
        sftp_cmd "$s" "put $BIG ${RDIR[$s]}$name" &
        client=$!
        if [ $s = dropgate ]; then glob="$WORK/dg/data/.staging/*"; else glob="$WORK/sshd_up/$name"; fi
        wait_bytes "$glob" $((SIZE / 2))
        pkill -9 -P "$client" sftp 2>/dev/null || true; wait "$client" 2>/dev/null || true
        cut_at=$(now)
        sleep 1  # the server notices the client is gone (dropgate: the upload becomes partial)
        resumed=$(now)
        sftp_cmd "$s" "reput $BIG ${RDIR[$s]}$name"
        end=$(now)
        cmp -s "$BIG" "$([ $s = dropgate ] && echo "$WORK/dg/data/bundles/acme/$name" || echo "$WORK/sshd_up/$name")" ||
            { echo "$s: resumed upload differs" >&2; exit 1; }
        both=$(echo "($cut_at - $start) + ($end - $resumed)" | bc -l)
        CUT[$s]=$(echo "if ($both < ${CUT[$s]}) $both else ${CUT[$s]}" | bc -l)
        [ $s = openssh ] && rm -f "$WORK"/sshd_up/*
    done
done

# --- (b) resuming OPEN -> first acknowledged write, 512 MiB staged ----------------------------
PREFIX=$((512 << 20))
MNT=$WORK/dg/store/acme
local_partial() {  # NAME: a local writer killed after PREFIX bytes (the store keeps them)
    python3 - "$BIG" "$MNT/$1" $PREFIX <<'EOF' || true  # it ends with SIGKILL, on purpose
import os, signal, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
fd = os.open(dst, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
with open(src, "rb") as f:
    done = 0
    while done < n:
        done += os.write(fd, f.read(min(1 << 20, n - done)))
os.kill(os.getpid(), signal.SIGKILL)
EOF
}
sftp_partial() {  # NAME: an sftp put cut once PREFIX bytes are staged
    sftp_cmd dropgate "put $BIG /$1" &
    local client=$!
    wait_bytes "$WORK/dg/data/.staging/*" $PREFIX
    pkill -9 -P "$client" sftp 2>/dev/null || true; wait "$client" 2>/dev/null || true
    sleep 1
}
local_resume() {  # NAME: seconds from the open to the first 1 MiB write returned; then the rest
    python3 - "$BIG" "$MNT/$1" <<'EOF'
import os, sys, time
src, dst = sys.argv[1], sys.argv[2]
start = time.monotonic()
fd = os.open(dst, os.O_WRONLY)
at = os.fstat(fd).st_size
with open(src, "rb") as f:
    f.seek(at)
    os.pwrite(fd, f.read(1 << 20), at)
    print("%.3f" % (time.monotonic() - start))
    at += 1 << 20
    while chunk := f.read(1 << 20):
        os.pwrite(fd, chunk, at)
        at += len(chunk)
os.close(fd)
EOF
}
gateway_resume() {  # NAME: paramiko, seconds from the OPEN until 2 MiB of WRITEs are acknowledged
    /usr/bin/python3 - "$BIG" "$DG_PORT" "$WORK/client" "$1" <<'EOF'
import sys, time, paramiko
src, port, key, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
t = paramiko.Transport(("127.0.0.1", port))
t.connect(username="acme", pkey=paramiko.Ed25519Key.from_private_key_file(key))
s = paramiko.SFTPClient.from_transport(t)
at = s.stat(name).st_size
start = time.monotonic()
f = s.open(name, "a")
f.set_pipelined(False)
with open(src, "rb") as local:
    local.seek(at)
    for _ in range(64):  # 64 x 32 KiB, each WRITE waited for: the 1 MiB flush lands in them
        f.write(local.read(32768))
        f.flush()
    print("%.3f" % (time.monotonic() - start))
    f.set_pipelined(True)
    while chunk := local.read(1 << 20):
        f.write(chunk)
f.close()
EOF
}
local_partial prefix1.tgz
sftp_partial gw1.tgz
MEM_LOCAL=$(local_resume prefix1.tgz)
MEM_GW=$(gateway_resume gw1.tgz)
local_partial prefix2.tgz
sftp_partial gw2.tgz
local_partial prefix3.tgz
stop_serve
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true  # the prefix comes from the disk
start_serve "$DROPGATE" "$WORK/dg/dropgate.toml" "$WORK/dg2.log"
COLD_LOCAL=$(local_resume prefix3.tgz)  # at once: its prefix is read back while it waits
until grep -q '"event":"partials_warm"' "$WORK/dg2.log"; do sleep 0.1; done
WARM_SECONDS=$(grep -o '"event":"partials_warm".*' "$WORK/dg2.log" | grep -o '"seconds":[0-9.]*' | cut -d: -f2)
RESTART_LOCAL=$(local_resume prefix2.tgz)
RESTART_GW=$(gateway_resume gw2.tgz)
for name in prefix1 gw1 prefix2 gw2 prefix3; do
    cmp -s "$BIG" "$WORK/dg/data/bundles/acme/$name.tgz" || { echo "$name.tgz: resumed upload differs" >&2; exit 1; }
done

# --- report -------------------------------------------------------------------------------
ratio() { printf %.2f "$(echo "$1 / $2" | bc -l)"; }
f2() { printf '%.2f' "$1"; }
echo "uninterrupted: dropgate ${WHOLE[dropgate]} s, openssh ${WHOLE[openssh]} s"
echo "cut at 50% + reput (both halves): dropgate ${CUT[dropgate]} s, openssh ${CUT[openssh]} s"
result "resume: 1 GiB cut at 50 % + reput, both halves / one upload (sftp)" \
    "$(ratio ${CUT[dropgate]} ${WHOLE[dropgate]})x" "$(ratio ${CUT[openssh]} ${WHOLE[openssh]})x" \
    "$(ratio "$(ratio ${CUT[dropgate]} ${WHOLE[dropgate]})" "$(ratio ${CUT[openssh]} ${WHOLE[openssh]})")" \
    "<= 1.1x (dropgate)"
result "resume: cut + reput seconds, dropgate vs openssh internal-sftp" "$(f2 ${CUT[dropgate]})" \
    "$(f2 ${CUT[openssh]})" "$(ratio ${CUT[dropgate]} ${CUT[openssh]})x" "(info)"
result "resume: OPEN -> first MiB written, 512 MiB staged, check state in memory (local / sftp)" \
    "$MEM_LOCAL / $MEM_GW s" "-" "-" "<= 1.5 s"
result "resume: OPEN -> first MiB written, 512 MiB staged, after a restart, once read back (local / sftp)" \
    "$RESTART_LOCAL / $RESTART_GW s" "-" "-" "<= 1.5 s"
result "resume: the same, at once after the restart (local; the prefix is read back meanwhile)" \
    "$COLD_LOCAL s" "-" "-" "(info)"
echo "the store read its 3 recovered partials back in ${WARM_SECONDS} s after starting"
