#!/usr/bin/env python3
"""A local writer for store tests: copies SRC to DEST through open/write/close and prints what a
program sees, one `step=result` per line (result is 0/OK or the errno name, e.g. EBADMSG).
Options: --chunk N (write size), --xattr NAME=VALUE (set before close), --kill-after N (SIGKILL
itself after N bytes, without closing), --pause-after N (write N bytes, print `paused`, wait for a
line on stdin, then go on), --resume (open DEST without creating it and write SRC from DEST's
current size on: an interrupted upload continued), --at N (with --resume: from byte N instead),
--truncate (with --resume: O_TRUNC, starting over)."""
import argparse, errno, os, signal, sys

p = argparse.ArgumentParser()
p.add_argument("dest")
p.add_argument("src")
p.add_argument("--chunk", type=int, default=1 << 20)
p.add_argument("--xattr", action="append", default=[])
p.add_argument("--kill-after", type=int)
p.add_argument("--pause-after", type=int)
p.add_argument("--resume", action="store_true")
p.add_argument("--at", type=int)
p.add_argument("--truncate", action="store_true")
a = p.parse_args()

def name(e):
    return errno.errorcode.get(e.errno, str(e.errno))

try:
    if a.resume:
        fd = os.open(a.dest, os.O_WRONLY | (os.O_TRUNC if a.truncate else 0))
    else:
        fd = os.open(a.dest, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644)
except OSError as e:
    print("open=" + name(e)); sys.exit(0)
print("open=OK", flush=True)
written = 0
if a.resume:
    written = a.at if a.at is not None else os.fstat(fd).st_size
    os.lseek(fd, written, os.SEEK_SET)
with open(a.src, "rb") as src:
    src.seek(written)
    while chunk := src.read(a.chunk):
        if a.kill_after is not None and written + len(chunk) > a.kill_after:
            chunk = chunk[: a.kill_after - written]
            os.write(fd, chunk)
            os.kill(os.getpid(), signal.SIGKILL)
        if a.pause_after is not None and written >= a.pause_after:
            print("paused", flush=True)
            sys.stdin.readline()
            a.pause_after = None
        try:
            os.write(fd, chunk)
        except OSError as e:
            print("write=" + name(e), flush=True)
            break
        written += len(chunk)
for item in a.xattr:
    key, value = item.split("=", 1)
    os.setxattr(a.dest, key, value.encode())
try:
    os.close(fd)
    print("close=0")
except OSError as e:
    print("close=" + name(e))
