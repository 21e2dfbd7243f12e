# Shared helpers for bench/*.sh (sourced, not run). Facts behind them:
# /work/shared/notes/benchmarking.md.

# result MEASURE DROPGATE ANCHOR RATIO TARGET: the one machine-readable line every script prints
# per measure (bench/run collects them into its table).
result() { printf 'RESULT\t%s\t%s\t%s\t%s\t%s\n' "$@"; }

# best_of MEASURE CLEAN SERVER...: RUNS rounds with the servers alternating; `MEASURE SERVER RUN`
# prints "wall_seconds cpu_seconds" and `CLEAN` runs after each. Each server's fastest wall time
# goes into BEST[SERVER] and that run's CPU into CPU[SERVER], the medians of its runs' wall times
# and CPU into MEDIAN[SERVER] and MEDIAN_CPU[SERVER] (global associative arrays).
declare -A BEST CPU MEDIAN MEDIAN_CPU
best_of() {
    local measure=$1 clean=$2 server run wall cpu
    shift 2
    declare -A walls cpus
    for server in "$@"; do BEST[$server]=999999; CPU[$server]=0; walls[$server]=; cpus[$server]=; done
    for run in $(seq "$RUNS"); do
        for server in "$@"; do
            read -r wall cpu < <($measure "$server" "$run")
            echo "run $run $server: ${wall}s, server CPU ${cpu}s" >&2
            if (($(echo "$wall < ${BEST[$server]}" | bc -l))); then
                BEST[$server]=$wall
                CPU[$server]=$cpu
            fi
            walls[$server]+="$wall "
            cpus[$server]+="$cpu "
            $clean
        done
    done
    for server in "$@"; do
        MEDIAN[$server]=$(median ${walls[$server]})
        MEDIAN_CPU[$server]=$(median ${cpus[$server]})
    done
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
f2() { printf '%.2f' "$1"; }
ratio() { f2 "$(echo "$1 / $2" | bc -l)"; }          # A/B to two places
mbps() { printf '%.0f' "$(echo "$BIG_MIB / $1" | bc -l)"; }  # BIG_MIB in SECONDS, as MiB/s

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done
    echo "port $1 never opened" >&2
    return 1
}

# CPU ticks of a process: utime+stime+cutime+cstime (children are counted once reaped).
ticks() { awk '{ print $14+$15+$16+$17 }' "/proc/$1/stat"; }
# The same summed over a process and all its live descendants (a supervisor's long-lived children
# are not in its cutime until they exit).
tree_ticks() {
    local sum=0 p
    for p in "$1" $(descendants "$1"); do sum=$((sum + $(ticks "$p" 2>/dev/null || echo 0))); done
    echo $sum
}
descendants() { local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
# Private memory: Pss (KiB) from smaps_rollup, summed over the given processes.
pss_kib() {
    local sum=0 p
    for p in "$@"; do
        sum=$((sum + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
    done
    echo $sum
}
HZ=$(getconf CLK_TCK)

# start_serve DROPGATE CONFIG LOG: `dropgate serve` in the background, waiting until it logs
# service_ready (the store is mounted and the gateway listens). Sets SERVE_PID; exits the script
# with the log if serve dies or never gets ready.
start_serve() {
    local dropgate=$1 config=$2 log=$3
    "$dropgate" serve -c "$config" > "$log" 2>&1 &
    SERVE_PID=$!
    for _ in $(seq 600); do
        grep -q '"service_ready"' "$log" && return 0
        kill -0 "$SERVE_PID" 2>/dev/null || { echo "serve died:" >&2; cat "$log" >&2; exit 1; }
        sleep 0.1
    done
    echo "serve never ready" >&2
    exit 1
}

# start_sshd_anchor DIR HOSTKEY AUTHORIZED_KEYS: OpenSSH with internal-sftp on a free loopback
# port, without touching the system's sshd. Sets SSHD_PORT and SSHD_PID; log in DIR/sshd.log.
start_sshd_anchor() {
    local dir=$1 hostkey=$2 authorized=$3
    mkdir -p /run/sshd  # sshd refuses to start without it
    SSHD_PORT=$(free_port)
    cat > "$dir/sshd_config" <<EOF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $hostkey
PermitRootLogin prohibit-password
AuthorizedKeysFile $authorized
StrictModes no
PasswordAuthentication no
UsePAM no
MaxStartups 200
Subsystem sftp internal-sftp
PidFile $dir/sshd.pid
EOF
    /usr/sbin/sshd -D -e -f "$dir/sshd_config" 2> "$dir/sshd.log" &  # absolute path required
    SSHD_PID=$!
    wait_port "$SSHD_PORT"
}

# start_rclone_anchor DIR UPLOAD_DIR HOSTKEY CLIENT_PUB: `rclone serve sftp` (Go's x/crypto/ssh
# + pkg/sftp, the stack SFTPGo is built on). Sets RCLONE_PORT and RCLONE_PID.
start_rclone_anchor() {
    local dir=$1 up=$2 hostkey=$3 pub=$4
    RCLONE_PORT=$(free_port)
    rclone serve sftp "$up" --addr "127.0.0.1:$RCLONE_PORT" --authorized-keys "$pub" \
        --key "$hostkey" 2> "$dir/rclone.log" &
    RCLONE_PID=$!
    wait_port "$RCLONE_PORT"
}

# make_bundles OUT:KIB...: realistic bundles, each OUT of KIB KiB uncompressed: log lines sliced
# from one 16 MiB pool of generated text (compresses like fresh text: deflate only sees 32 KiB)
# plus ~1/8 random "core dumps"; tar | pigz -6. One python run makes the pool once for all.
# Existing non-empty OUT files are kept (generated once, reused).
make_bundles() {
    local todo=() spec
    for spec in "$@"; do [ -s "${spec%:*}" ] || todo+=("$spec"); done
    [ ${#todo[@]} -gt 0 ] || return 0
    echo "making ${#todo[@]} bundle(s)..." >&2
    /usr/bin/python3 - "${todo[@]}" <<'EOF'
import os, random, shutil, subprocess, sys, tempfile
rng = random.Random(42)
levels = ["INFO"] * 8 + ["WARN", "ERROR", "DEBUG"]
lines, size = [], 0
while size < 16 << 20:
    line = "2026-11-%02dT%02d:%02d:%02d.%03dZ host-%03d %-5s svc=%s req=%016x latency=%dms path=/api/v%d/%s\n" % (
        rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999),
        rng.randint(0, 200), rng.choice(levels), rng.choice(["auth", "db", "web", "queue", "cache"]),
        rng.getrandbits(64), rng.randint(1, 5000), rng.randint(1, 3), rng.choice(["users", "orders", "items", "health"]))
    lines.append(line)
    size += len(line)
pool = "".join(lines).encode()
for spec in sys.argv[1:]:
    out, kib = spec.rsplit(":", 1)
    total = int(kib) << 10
    root = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(out)))
    written, n = 0, 0
    while written < total:
        d = os.path.join(root, "tree", "host%02d" % (n % 16), "var/log")
        os.makedirs(d, exist_ok=True)
        if n % 8 == 7:
            chunk = min(16 << 20, total - written)
            with open(os.path.join(d, "core.%d" % n), "wb") as f:
                f.write(os.urandom(chunk))
        else:
            # small bundles get several small logs, big ones 4-24 MiB logs
            chunk = min(rng.randint(4, 24) << 20 if total > 64 << 20 else max(total // 10, 4096), total - written)
            with open(os.path.join(d, "app.log.%d" % n), "wb") as f:
                left = chunk
                while left > 0:
                    start = rng.randrange(0, len(pool) - (1 << 20))
                    piece = pool[start:start + min(left, 1 << 20)]
                    f.write(piece)
                    left -= len(piece)
        written += chunk
        n += 1
    subprocess.run("tar -C '%s' -cf - tree | pigz -6 -p 2 > '%s.tmp' && mv '%s.tmp' '%s'" % (root, out, out, out),
                   shell=True, check=True)
    shutil.rmtree(root)
EOF
}

# --- the setup bench/gateway.sh, failfast.sh and resume.sh share -------------------------------
# bench_work: WORK (a fresh dir), PIDS and SERVE_PID, and an EXIT trap that stops every server
# started, unmounts the store at WORK/dg/store and removes WORK.
bench_work() {
    WORK=$(mktemp -d /var/tmp/dropgate-bench.XXXXXX)
    PIDS=()
    SERVE_PID=
    trap bench_cleanup EXIT
}
stop_serve() {
    [ -n "$SERVE_PID" ] || return 0
    kill "$SERVE_PID" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
    SERVE_PID=
}
bench_cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    stop_serve
    wait 2>/dev/null || true
    mountpoint -q "$WORK/dg/store" 2>/dev/null && fusermount3 -u -z "$WORK/dg/store"
    rm -rf "$WORK"
}
# bench_keys: WORK/client and WORK/host key pairs, WORK/authorized_keys for the OpenSSH anchor,
# and SFTP_OPTS for the clients.
bench_keys() {
    ssh-keygen -q -t ed25519 -N '' -f "$WORK/client" -C bench
    ssh-keygen -q -t ed25519 -N '' -f "$WORK/host" -C host
    cp "$WORK/client.pub" "$WORK/authorized_keys"
    SFTP_OPTS=(-q -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes
        -o LogLevel=ERROR -i "$WORK/client")
}
# dropgate_config DIR PORT [EXTRA_TOML]: DIR/dropgate.toml for `dropgate serve` on PORT with the
# host key, store root DIR/data, mount DIR/store and one customer acme with the client's key.
dropgate_config() {
    local dir=$1 port=$2 extra=${3:-}
    mkdir -p "$dir/keys"
    cp "$WORK/host" "$dir/keys/ssh_host_ed25519_key"
    cat > "$dir/dropgate.toml" <<EOF
[server]
listen = ["127.0.0.1:$port"]
host_key_dir = "keys"
[store]
root = "data"
mount = "store"
$extra
[[user]]
name = "acme"
role = "customer"
keys = ["$(cat "$WORK/client.pub")"]
EOF
}

# big_bundle: the ~1 GiB bench bundle (BENCH_MIB uncompressed, default 2816) in the cache,
# generated once, and read into the page cache so every writer reads it from memory. Sets BIG
# and BIG_MIB.
big_bundle() {
    local cache=${BENCH_DIR:-/tmp/dropgate-bench}
    mkdir -p "$cache"
    BIG=$cache/bundle-${BENCH_MIB:-2816}m.tgz
    make_bundles "$BIG:$((${BENCH_MIB:-2816} * 1024))"
    cat "$BIG" > /dev/null
    BIG_MIB=$(($(stat -c %s "$BIG") >> 20))
}

# --- the HTTPS setup bench/http.sh and tus.sh share --------------------------------------------
# https_setup DROPGATE: the certificate `dropgate init` makes and an API token for acme. Sets
# CERT, KEY, TOKEN and TOKEN_LINE (the config line that stores its hash).
https_setup() {
    "$1" init "$WORK/init" > /dev/null
    CERT="$WORK/init/keys/http_cert.pem"
    KEY="$WORK/init/keys/http_key.pem"
    TOKEN=$("$1" token acme 2> "$WORK/token.err")
    TOKEN_LINE=$(grep '^tokens = ' "$WORK/token.err")
}
# http_config DIR HTTP_PORT [SSH_PORT]: dropgate_config with the index in DIR/data, [http] on
# HTTP_PORT with https_setup's certificate, and acme's token. Every client of a bench comes from
# 127.0.0.1: it is allowed, so the per-address connection limit does not apply, and as many as
# 1,000 handshakes at once are taken (the idle and device loads connect in waves). No seek
# indexes: the store would build one after each upload, in the next measurement's time
# (bench/indexing.sh measures that pass on its own).
http_config() {
    dropgate_config "$1" "${3:-$(free_port)}" "seek_index = false
[index]
database = \"data/index.sqlite3\"
[security]
allow = [\"127.0.0.1/32\"]
max_startups = \"1000:30:2000\"
[http]
listen = [\"127.0.0.1:$2\"]
tls_cert = \"$CERT\"
tls_key = \"$KEY\""
    echo "$TOKEN_LINE" >> "$1/dropgate.toml"
}
# start_plain_http DROPGATE DIR: `dropgate http` alone whose mount is DIR/up, a plain directory
# (the front end's own cost, without the store). Sets PLAIN_PORT and PLAIN_PID.
start_plain_http() {
    PLAIN_PORT=$(free_port)
    http_config "$2" "$PLAIN_PORT"
    mkdir -p "$2/up/acme"
    sed -i 's/^mount = "store"/mount = "up"/' "$2/dropgate.toml"
    "$1" http -c "$2/dropgate.toml" 2> "$2.log" &
    PLAIN_PID=$!
    PIDS+=($PLAIN_PID)
    wait_port "$PLAIN_PORT"
}

# write_timed FILE DEST [fsync]: writes FILE to DEST in 1 MiB writes (fsync before close when
# asked: an anchor's durability matching the store's accepted close); prints the seconds from
# open to the end of close, and those of close() alone (the store's verdict).
write_timed() {
    python3 - "$1" "$2" "${3:-}" <<'PY'
import os, sys, time
src, dest, sync = sys.argv[1], sys.argv[2], sys.argv[3] == "fsync"
data = open(src, "rb")
start = time.monotonic()
fd = os.open(dest, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
while chunk := data.read(1 << 20):
    os.write(fd, chunk)
before_close = time.monotonic()
try:
    if sync:
        os.fsync(fd)
    os.close(fd)
except OSError as e:
    print("close failed:", e, file=sys.stderr); sys.exit(1)
end = time.monotonic()
print(f"{end - start:.4f} {end - before_close:.4f}")
PY
}

# dropgate_binary [PATH]: the dropgate binary a bench is given (a build dir or the binary itself;
# default build/cli/dropgate), as an absolute path.
dropgate_binary() {
    local bin
    bin=$(readlink -f "${1:-build/cli/dropgate}")
    [ -d "$bin" ] && bin=$bin/cli/dropgate
    echo "$bin"
}
