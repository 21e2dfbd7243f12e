"""Tar streams written byte by byte, for what no archiver writes on purpose: every header field
can be given as raw bytes (a leading NUL, base-256, a bad checksum), pax records can be malformed.
Used by edge_cases.py; the layout is POSIX ustar (pax and GNU share it)."""
import gzip

BLOCK = 512
# name: (offset, size) of each ustar header field
FIELDS = {
    "name": (0, 100), "mode": (100, 8), "uid": (108, 8), "gid": (116, 8), "size": (124, 12),
    "mtime": (136, 12), "chksum": (148, 8), "type": (156, 1), "linkname": (157, 100),
    "magic": (257, 8), "uname": (265, 32), "gname": (297, 32), "devmajor": (329, 8),
    "devminor": (337, 8), "prefix": (345, 155),
}
MAGIC = {"ustar": b"ustar\x0000", "gnu": b"ustar  \x00", "v7": b""}


def octal(value, size):
    """The usual encoding: zero-padded octal and a NUL."""
    return b"%0*o\x00" % (size - 1, value)


def base256(value, size):
    """GNU/star base-256: top bit set, big-endian two's complement in the other bits."""
    if value < 0:
        value += 1 << (8 * size)
    else:
        value |= 1 << (8 * size - 1)
    return value.to_bytes(size, "big")


def header_sum(block):
    """The checksum of a header block, its checksum field counted as spaces."""
    return sum(block[:148]) + 8 * 32 + sum(block[156:])


def header(name, size=0, type=b"0", mode=0o644, uid=1000, gid=1000, mtime=1700000000,
           linkname=b"", magic="ustar", raw=None, chksum=None):
    """One header block. `raw` maps field names to the exact bytes to store there; `chksum` is a
    function of the block's sum giving the checksum field (default: 6 octal digits, NUL, space)."""
    fields = {"name": name, "mode": octal(mode, 8), "uid": octal(uid, 8), "gid": octal(gid, 8),
              "size": octal(size, 12), "mtime": octal(mtime, 12), "type": type,
              "linkname": linkname, "magic": MAGIC[magic], "devmajor": octal(0, 8),
              "devminor": octal(0, 8)}
    fields.update(raw or {})
    block = bytearray(BLOCK)
    for field, value in fields.items():
        offset, width = FIELDS[field]
        assert len(value) <= width, (field, value)
        block[offset:offset + len(value)] = value
    if "chksum" not in (raw or {}):
        total = header_sum(block)
        block[148:156] = chksum(total) if chksum else b"%06o\x00 " % total
    return bytes(block)


def padded(data):
    return data + bytes(-len(data) % BLOCK)


def member(name, data=b"", **kw):
    """A header and its data; the size field says len(data) unless given."""
    kw.setdefault("size", len(data))
    return header(name, **kw) + padded(data)


def pax_record(key, value, separator=b" "):
    """One "LEN KEY=VALUE\\n" record with its length computed."""
    body = separator + key + b"=" + value + b"\n"
    length = len(body) + 1
    while len(b"%d" % length) + len(body) != length:
        length = len(b"%d" % length) + len(body)
    return b"%d" % length + body


def pax(records, type=b"x", name=b"PaxHeaders/member"):
    """An extended header: `records` is a list of (key, value) pairs, or the raw data bytes."""
    data = records if isinstance(records, bytes) else b"".join(pax_record(k, v) for k, v in records)
    return header(name, size=len(data), type=type) + padded(data)


def archive(*parts, end_blocks=2):
    return b"".join(parts) + bytes(BLOCK * end_blocks)


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)
