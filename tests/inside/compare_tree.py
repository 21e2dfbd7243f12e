#!/usr/bin/python3
"""Compares a bundle's <bundle>.d/ view with what `tar xzf` left of the same bundle.

usage: compare_tree.py VIEW EXTRACTED

Same entries; per entry the same type, the permission bits the view shows (the extracted ones
without write and set-id bits), the mtime (directories tar made up are skipped: their time is
the extraction's), the symlink target; for files the same bytes (whole files up to 64 MiB) and
the same bytes at 48 random offsets and lengths read with pread. Prints every difference and
exits 1 if there is one.
"""
import os
import random
import stat
import sys
import time

VIEW, EXTRACTED = sys.argv[1], sys.argv[2]
WHOLE = 64 << 20
problems = []


def entries(root):
    found = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(dirpath, name)
            found[os.path.relpath(full, root)] = os.lstat(full)
    return found


def same_bytes(rel, a, b, size):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        if size <= WHOLE:
            while True:
                x, y = fa.read(1 << 20), fb.read(1 << 20)
                if x != y:
                    return problems.append(f"{rel}: contents differ")
                if not x:
                    break
        rng = random.Random(rel)
        for _ in range(48):
            offset = rng.randrange(0, size + 1)
            length = rng.choice([1, 511, 4096, 70000, 1 << 20])
            if os.pread(fa.fileno(), length, offset) != os.pread(fb.fileno(), length, offset):
                return problems.append(f"{rel}: pread({length}, {offset}) differs")


view, extracted = entries(VIEW), entries(EXTRACTED)
for rel in sorted(set(view) ^ set(extracted)):
    problems.append(f"{rel}: only in {'the view' if rel in view else 'the extraction'}")
recent = time.time() - 3600
for rel in sorted(set(view) & set(extracted)):
    v, x = view[rel], extracted[rel]
    if stat.S_IFMT(v.st_mode) != stat.S_IFMT(x.st_mode):
        problems.append(f"{rel}: type {stat.filemode(v.st_mode)} vs {stat.filemode(x.st_mode)}")
        continue
    if not stat.S_ISLNK(v.st_mode) and stat.S_IMODE(v.st_mode) != stat.S_IMODE(x.st_mode) & 0o555:
        problems.append(f"{rel}: mode {oct(v.st_mode)} vs {oct(x.st_mode)}")
    implied = stat.S_ISDIR(x.st_mode) and x.st_mtime > recent
    if not implied and int(v.st_mtime) != int(x.st_mtime):
        problems.append(f"{rel}: mtime {int(v.st_mtime)} vs {int(x.st_mtime)}")
    if stat.S_ISLNK(v.st_mode):
        a, b = os.readlink(os.path.join(VIEW, rel)), os.readlink(os.path.join(EXTRACTED, rel))
        if a != b:
            problems.append(f"{rel}: symlink to {a!r} vs {b!r}")
    elif stat.S_ISREG(v.st_mode):
        if v.st_size != x.st_size:
            problems.append(f"{rel}: size {v.st_size} vs {x.st_size}")
        else:
            same_bytes(rel, os.path.join(VIEW, rel), os.path.join(EXTRACTED, rel), v.st_size)
for line in problems:
    print(line)
print(f"{len(view)} entries compared, {len(problems)} differences")
sys.exit(1 if problems else 0)
