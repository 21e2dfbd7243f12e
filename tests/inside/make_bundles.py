#!/usr/bin/python3
"""Bundles for the view tests that no archiver writes on purpose.

usage: make_bundles.py hostile OUT.tgz     symlinks out of the bundle, a member below a symlink,
                                           a path twice, a device, a fifo (a member path that climbs out, "a/../x", is refused at upload)
       make_bundles.py many OUT.tgz N DIRS  N empty-ish files spread over DIRS directories,
                                           headers written directly (fast for a million)
"""
import gzip
import io
import sys
import tarfile


def hostile(out):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        def add(name, data=None, **kw):
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            for key, value in kw.items():
                setattr(info, key, value)
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
        add("passwd", type=tarfile.SYMTYPE, linkname="/etc/passwd")
        add("up", type=tarfile.SYMTYPE, linkname="../../../../../../../etc")
        add("lnk", type=tarfile.SYMTYPE, linkname="/tmp")
        add("lnk/evil", b"must never be shown\n")
        add("twice.txt", b"first\n")
        add("dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
        add("fifo", type=tarfile.FIFOTYPE)
        add("a/b.txt", b"inside a\n")
        add("twice.txt", b"second\n")
    open(out, "wb").write(gzip.compress(buf.getvalue(), 6))


def header(name, size):
    block = bytearray(512)
    block[0:len(name)] = name
    block[100:108] = b"0000644\x00"
    block[108:116] = b"0000000\x00"
    block[116:124] = b"0000000\x00"
    block[124:136] = b"%011o\x00" % size
    block[136:148] = b"14537237000\x00"
    block[148:156] = b" " * 8
    block[156:157] = b"0"
    block[257:265] = b"ustar\x0000"
    block[148:156] = b"%06o\x00 " % sum(block)
    return bytes(block)


def many(out, count, dirs):
    with gzip.open(out, "wb", compresslevel=1) as gz:
        chunk = []
        for i in range(count):
            data = b"%d\n" % i
            chunk.append(header(b"d%04d/f%07d.txt" % (i % dirs, i), len(data)))
            chunk.append(data + bytes(512 - len(data)))
            if len(chunk) > 4096:
                gz.write(b"".join(chunk))
                chunk = []
        chunk.append(bytes(1024))
        gz.write(b"".join(chunk))


if sys.argv[1] == "hostile":
    hostile(sys.argv[2])
else:
    many(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
