#!/usr/bin/python3
"""Generates the validator's test corpus: real bundles made by Python's tarfile/gzip, GNU tar,
bsdtar and pigz, and broken ones derived from them.

usage: make_corpus.py OUTDIR valid|invalid|edge|mutated

For every case NAME it writes OUTDIR/NAME.tgz and OUTDIR/NAME.expect:
  line 1: "OK"  or  "REJECTED<TAB>exact|prefix<TAB>EBADMSG|EFBIG<TAB>reason[<TAB>rule]"  or  "ANY"
  ("edge": hand-made header bytes and pax records, see edge_cases.py and edge_pax.py; "mutated":
  valid bundles with random damage to tar headers and gzip bytes, header checksums mostly repaired
  so the parser sees the damage; any verdict is fine, crashes and hangs are not; MUTATIONS=N in
  the environment makes N of them instead of 150)
  rule: for a refusal of a bundle GNU tar and bsdtar may both extract, the deliberate rule of
  docs/validation.md it falls under: gzip-format, gzip-trailer, trailing-data, end-marker,
  no-members, member-path, limits, ambiguous
  then, for OK, one line per member as an independent reader sees it (Python's tarfile; for edge
  cases what GNU tar reads, which edge_cases.py spells out):
  type<TAB>size<TAB>mode<TAB>mtime<TAB>uid<TAB>gid<TAB>path<TAB>linkname
"""
import bz2
import gzip
import io
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import zipfile
import zlib

OUT = sys.argv[1]
WHICH = sys.argv[2]
WORK = os.path.join(OUT, "work")


def normalise(path):
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return "/".join(parts) or "."


def member_lines(data):
    """The member list of a valid .tgz, read by Python's tarfile (the oracle)."""
    lines = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for m in tar:
            if m.type == tarfile.GNUTYPE_LONGNAME or m.type == b"V":
                continue
            if m.isreg():
                t = "0"
            elif m.isdir():
                t = "5"
            elif m.issym():
                t = "2"
            elif m.islnk():
                t = "1"
            elif m.ischr():
                t = "3"
            elif m.isblk():
                t = "4"
            elif m.isfifo():
                t = "6"
            else:
                t = "0"
            size = m.size if t == "0" else 0
            link = normalise(m.linkname) if t == "1" else m.linkname
            lines.append("\t".join(str(x) for x in (
                t, size, m.mode & 0o7777, int(m.mtime // 1), m.uid, m.gid,
                normalise(m.name), link)))
    return lines


def write_case(name, data, expect):
    with open(os.path.join(OUT, name + ".tgz"), "wb") as f:
        f.write(data)
    with open(os.path.join(OUT, name + ".expect"), "w", encoding="utf-8",
              errors="surrogateescape") as f:
        f.write("\n".join(expect) + "\n")


def ok(name, data):
    write_case(name, data, ["OK"] + member_lines(data))


def refused(name, data, reason, match="exact", error="EBADMSG", rule=""):
    fields = ("REJECTED", match, error, reason) + ((rule,) if rule else ())
    write_case(name, data, ["\t".join(fields)])


def gz(data, level=6):
    return gzip.compress(data, compresslevel=level, mtime=0)


def sh(cmd, cwd=WORK):
    return subprocess.run(cmd, shell=True, cwd=cwd, check=True, stdout=subprocess.PIPE).stdout


def have(tool):
    return shutil.which(tool) is not None


def info(name, size=0, type=tarfile.REGTYPE, **kw):
    t = tarfile.TarInfo(name)
    t.size = size
    t.type = type
    t.mtime = kw.pop("mtime", 1700000000)
    t.mode = kw.pop("mode", 0o644)
    for k, v in kw.items():
        setattr(t, k, v)
    return t


def python_tar(entries, fmt=tarfile.PAX_FORMAT, pax_headers=None):
    """entries: (TarInfo, bytes or None). Returns the uncompressed tar stream."""
    buf = io.BytesIO()
    kw = {"pax_headers": pax_headers} if pax_headers else {}
    with tarfile.open(fileobj=buf, mode="w", format=fmt, **kw) as tar:
        for ti, content in entries:
            tar.addfile(ti, io.BytesIO(content) if content is not None else None)
    return buf.getvalue()


def sample_tree(root):
    """A small directory tree with files, an empty file, links, deep and long paths."""
    os.makedirs(os.path.join(root, "logs/app"), exist_ok=True)
    with open(os.path.join(root, "logs/app/server.log"), "w") as f:
        for i in range(3000):
            f.write(f"2026-11-23T10:{i % 60:02d}:00Z host{i % 7} INFO request id={i * 7919} ok\n")
    open(os.path.join(root, "logs/empty.txt"), "w").close()
    with open(os.path.join(root, "core.bin"), "wb") as f:
        f.write(os.urandom(70000))
    deep = os.path.join(root, *["level%02d" % i for i in range(12)])
    os.makedirs(deep, exist_ok=True)
    with open(os.path.join(deep, "x" * 120 + ".conf"), "w") as f:
        f.write("deep=1\n")
    os.symlink("app/server.log", os.path.join(root, "logs/current"))
    os.link(os.path.join(root, "logs/app/server.log"), os.path.join(root, "logs/hardlink.log"))
    os.utime(os.path.join(root, "core.bin"), (1700000000, 1700000000))


def make_sparse(path, realsize, segments):
    with open(path, "wb") as f:
        f.truncate(realsize)
        for i in range(segments):
            f.seek(i * (realsize // segments))
            f.write(b"data%d" % i * 200)


def valid():
    tree = os.path.join(WORK, "tree")
    sample_tree(tree)
    files = [(info("etc/", type=tarfile.DIRTYPE, mode=0o755), None),
             (info("etc/hosts", 9), b"127.0.0.1"),
             (info("etc/empty", 0), b""),
             (info("etc/link", type=tarfile.SYMTYPE, linkname="../etc/hosts"), None),
             (info("etc/hard", type=tarfile.LNKTYPE, linkname="etc/hosts"), None),
             (info("a/" + "/".join(["d%03d" % i for i in range(30)]) + "/f", 3), b"abc")]
    ok("ustar_python", gz(python_tar(files, tarfile.USTAR_FORMAT)))
    longname = "/".join(["dir_%02d_%s" % (i, "y" * 20) for i in range(12)]) + "/file.log"
    pax = files + [(info(longname, 5, mtime=1700000000.75, uid=5000000, uname="svc"), b"hello"),
                   (info("unicode/журнал-日志-ß.txt", 4), b"text"),
                   (info("linktarget", type=tarfile.SYMTYPE, linkname="t" * 150), None)]
    ok("pax_python", gz(python_tar(pax, tarfile.PAX_FORMAT)))
    ok("pax_global_header", gz(python_tar(files, tarfile.PAX_FORMAT, {"comment": "bundle"})))
    gnu = files + [(info("g" * 150 + "/long.txt", 2, uid=3000000), b"hi"),
                   (info("hl", type=tarfile.LNKTYPE, linkname="g" * 150 + "/long.txt"), None)]
    ok("gnu_python", gz(python_tar(gnu, tarfile.GNU_FORMAT)))
    ok("gnu_tar_gnu", sh("tar --format=gnu -czf - tree"))
    ok("gnu_tar_posix", sh("tar --format=posix -czf - tree"))
    ok("gnu_tar_ustar_dot", sh("tar --format=ustar -czf - -C tree/logs ."))
    ok("gnu_tar_volume_label", sh("tar --format=gnu -V 'Backup 2026' -czf - tree/logs"))
    sparse_dir = os.path.join(WORK, "sparse")
    os.makedirs(sparse_dir)
    make_sparse(os.path.join(sparse_dir, "disk.img"), 64 << 20, 9)   # > 4 holes: extension headers
    make_sparse(os.path.join(sparse_dir, "huge.img"), 9 << 30, 2)    # realsize needs base-256
    with open(os.path.join(sparse_dir, "after.txt"), "w") as f:
        f.write("after the sparse files\n")
    ok("gnu_sparse_old", sh("tar --format=gnu --sparse -czf - sparse"))
    for version in ("0.0", "0.1", "1.0"):
        ok("pax_sparse_" + version.replace(".", "_"),
           sh(f"tar --format=pax --sparse --sparse-version={version} -czf - sparse"))
    if have("bsdtar"):
        sh("bsdtar -czf bsdtar.tgz tree && bsdtar --format=pax -czf bsdtar_pax.tgz tree")
        ok("bsdtar_default", open(os.path.join(WORK, "bsdtar.tgz"), "rb").read())
        ok("bsdtar_pax", open(os.path.join(WORK, "bsdtar_pax.tgz"), "rb").read())
        # To a pipe, bsdtar (macOS's tar) pads the gzip output with zeros to a 10240-byte record.
        ok("bsdtar_pipe_zero_padding", sh("bsdtar -czf - tree"))
    if have("pigz"):
        ok("pigz", sh("tar -cf - tree | pigz -p 2 -b 32"))
    raw = python_tar(files + [(info("big.log", 200000), os.urandom(100000) * 2)])
    half = 5120
    ok("multi_member_cat", gz(raw[:half]) + gz(raw[half:]))
    ok("multi_member_many", b"".join(gz(raw[i:i + 3000]) for i in range(0, len(raw), 3000)))
    # One zero block after the last member, then nothing (some archivers stop there).
    body = python_tar(files)
    end = len(body)
    while body[end - 512:end] == bytes(512):
        end -= 512
    ok("lone_zero_block", gz(body[:end] + bytes(512)))
    ok("garbage_after_end_marker", gz(body + b"not part of the archive\n" * 10))
    ok("only_top_dir", gz(python_tar([(info("./", type=tarfile.DIRTYPE, mode=0o755), None)])))
    ok("gzip_header_fields", gzip_with_header_fields(body))
    ok("star_prefix", gz(star_header_tar()))
    # A zero-filled file stored without --sparse (a core file, /var/log/lastlog): ~1000:1.
    zeros = os.path.join(WORK, "zeros")
    os.makedirs(zeros)
    with open(os.path.join(zeros, "lastlog"), "wb") as f:
        f.truncate(64 << 20)
    with open(os.path.join(zeros, "messages"), "w") as f:
        f.write("kernel: booted\n" * 1000)
    ok("zeros_64m_not_sparse", sh("tar -cf - zeros | gzip -6"))
    ok("solaris_X_header", gz(solaris_x_tar()))


def gzip_with_header_fields(data):
    """A member with FEXTRA, FNAME, FCOMMENT and a correct FHCRC (no common tool writes all)."""
    extra = b"AB\x04\x00test"
    header = bytearray(b"\x1f\x8b\x08\x1e" + struct.pack("<I", 1700000000) + b"\x00\x03")
    header += struct.pack("<H", len(extra)) + extra + b"bundle.tar\x00" + b"a comment\x00"
    header += struct.pack("<H", zlib.crc32(bytes(header)) & 0xFFFF)
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = comp.compress(data) + comp.flush()
    return bytes(header) + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def rechecksum(block):
    block = bytearray(block)
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\x00 " % sum(block)
    return bytes(block)


def star_header_tar():
    """A star-style ustar header: 131-byte prefix, atime/ctime after it, "tar\\0" at 508."""
    t = info("file.txt", 4)
    raw = bytearray(python_tar([(t, b"star")], tarfile.USTAR_FORMAT))
    hdr = bytearray(raw[:512])
    hdr[345:476] = b"starprefix".ljust(131, b"\x00")
    hdr[476:488] = b"%011o\x00" % 1700000000
    hdr[488:500] = b"%011o\x00" % 1700000000
    hdr[508:512] = b"tar\x00"
    raw[:512] = rechecksum(hdr)
    return bytes(raw)


def solaris_x_tar():
    """Solaris tar's 'X' extended header (same records as pax 'x') carrying a long path."""
    raw = bytearray(python_tar([(info("x" * 120 + "/p.txt", 2), b"ok")], tarfile.PAX_FORMAT))
    assert raw[156:157] == b"x"
    raw[156:157] = b"X"
    raw[:512] = rechecksum(raw[:512])
    return bytes(raw)


def invalid():
    files = [(info("etc/hosts", 4608), bytes(4608)), (info("etc/second", 3), b"abc")]
    body = python_tar(files, tarfile.USTAR_FORMAT)
    good = gz(body)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    # gzip(1) inflates a one-member zip and bsdtar reads zip, so both tools extract this.
    refused("zip", buf.getvalue(), "not gzip (bad magic 50 4b 03 04: looks like zip)",
            rule="gzip-format")
    refused("plain_tar", body, "not gzip (bad magic 65 74 63 2f: looks like an uncompressed tar)")
    refused("bzip2", bz2.compress(body), "not gzip (bad magic 42 5a 68 39: looks like bzip2)")
    refused("xz", lzma.compress(body), "not gzip (bad magic fd 37 7a 58: looks like xz)")
    refused("zstd", b"\x28\xb5\x2f\xfd" + bytes(20), "not gzip (bad magic 28 b5 2f fd: looks like zstd)")
    refused("text", b"hello, this is a README\n", "not gzip (bad magic 68 65 6c 6c: looks like text)")
    refused("binary", b"\x00\x01\x02\x03\xff", "not gzip (bad magic 00 01 02 03)")
    refused("empty", b"", "empty file")
    refused("gzip_of_text", gz(b"just some text\n" * 100),
            "not a tar archive (tar header checksum error at offset 0)")
    refused("gzip_of_short_text", gz(b"hi\n"), "not a tar archive (decompressed stream is only 3 bytes)")
    for cut in (1, 5, 12, len(good) // 2, len(good) - 8, len(good) - 5, len(good) - 1):
        refused("truncated_at_%d" % cut, good[:cut], "truncated: gzip stream ends at byte %d" % cut)
    crc = bytearray(good)
    crc[-8] ^= 0xFF
    refused("flipped_crc", bytes(crc), "gzip CRC mismatch in member 1", rule="gzip-trailer")
    isize = bytearray(good)
    isize[-3] ^= 0x01
    refused("flipped_isize", bytes(isize), "gzip length mismatch in member 1", rule="gzip-trailer")
    second = bytearray(gz(body[:1024]) + gz(body[1024:]))
    second[-7] ^= 0x10
    refused("flipped_crc_member_2", bytes(second), "gzip CRC mismatch in member 2",
            rule="gzip-trailer")
    refused("trailing_garbage", good + b"garbage", "trailing data after gzip stream",
            rule="trailing-data")
    # Zero padding is accepted only as record padding: ending on a 512-byte boundary, < 10240.
    pad_to_block = (-len(good)) % 512 or 512
    ok_padded = good + bytes(pad_to_block)
    ok("gzip_zero_padded_to_block", ok_padded)
    refused("trailing_zeros_off_block", good + bytes(pad_to_block + 1),
            "trailing data after gzip stream", rule="trailing-data")
    refused("trailing_zeros_beyond_record", ok_padded + bytes(10240),
            "trailing data after gzip stream", rule="trailing-data")
    refused("trailing_zeros_then_garbage", ok_padded + b"x", "trailing data after gzip stream",
            rule="trailing-data")
    refused("trailing_half_magic", good + b"\x1f", "truncated: gzip stream ends at byte %d" % (len(good) + 1))
    bad_deflate = bytearray(good)
    bad_deflate[10] = 0x07  # BFINAL=1, BTYPE=11 (reserved)
    refused("corrupt_deflate", bytes(bad_deflate), "corrupt deflate data in gzip member 1")
    hcrc = bytearray(gzip_with_header_fields(body))
    hcrc[hcrc.index(b"a comment\x00") + 10] ^= 0xFF
    refused("bad_header_crc", bytes(hcrc), "gzip header CRC mismatch in member 1")
    members_end = 512 + 4608 + 512 + 512
    refused("tar_no_end_marker", gz(body[:members_end]),
            "tar archive truncated (no end-of-archive marker)", rule="end-marker")
    refused("tar_cut_in_data", gz(body[:512 + 1000]),
            "tar archive truncated (stream ends at offset 1512 inside member etc/hosts)")
    refused("tar_cut_in_header", gz(body[:5120 + 100]),
            "tar archive truncated (stream ends at offset 5220 inside a header block)")
    bad_sum = bytearray(body)
    bad_sum[5120 + 3] ^= 0x20
    refused("tar_bad_checksum", gz(bytes(bad_sum)), "tar header checksum error at offset 5120")
    refused("zero_members", gz(bytes(10240)), "archive has no members", rule="no-members")
    refused("empty_gzip", gz(b""), "archive has no members", rule="no-members")
    refused("absolute_path", gz(python_tar([(info("/etc/passwd", 1), b"x")])),
            "member path escapes the archive: /etc/passwd", rule="member-path")
    refused("dotdot_path", gz(python_tar([(info("ok.txt", 1), b"x"), (info("../../etc/passwd", 1), b"x")])),
            "member path escapes the archive: ../../etc/passwd", rule="member-path")
    refused("hardlink_escape", gz(python_tar([(info("h", type=tarfile.LNKTYPE, linkname="../outside"), None)])),
            "hard link target escapes the archive: ../outside")
    malformed = bytearray(python_tar([(info("p" * 120, 1), b"x")], tarfile.PAX_FORMAT))
    malformed[512:514] = b"9x"
    refused("malformed_pax", gz(bytes(malformed)), "malformed pax header at offset 0")
    huge_pax = python_tar([(info("big", 1, pax_headers={"comment": "c" * (2 << 20)}), b"x")])
    refused("pax_too_large", gz(huge_pax), "tar extended header at offset 0 is too large (", "prefix")


def mutated():
    import random
    rng = random.Random(20261123)
    tree = os.path.join(WORK, "tree")
    sample_tree(tree)
    sources = [sh("tar --format=%s -cf - tree" % f) for f in ("gnu", "posix")]
    sources.append(sh("tar --format=ustar -cf - tree/logs"))
    sources.append(python_tar([(info("p" * 150 + "/f", 3, uid=3000000), b"abc")], tarfile.GNU_FORMAT))
    sparse_dir = os.path.join(WORK, "sparse")
    os.makedirs(sparse_dir)
    make_sparse(os.path.join(sparse_dir, "disk.img"), 8 << 20, 9)
    sources.append(sh("tar --format=gnu --sparse -cf - sparse"))
    sources.append(sh("tar --format=pax --sparse -cf - sparse"))
    alphabet = b"0123456789 \x00\x80\xffxXgLKSVA5/.="
    for n in range(int(os.environ.get("MUTATIONS", 150))):
        tar = bytearray(rng.choice(sources))
        headers = [o for o in range(0, len(tar), 512) if tar[o:o + 512] != bytes(512)
                   and tar[o + 148:o + 156].strip(b" \x00").isdigit()]
        for _ in range(rng.randint(1, 4)):
            pos = rng.choice(headers) + rng.randrange(512) if rng.random() < 0.8 else rng.randrange(len(tar))
            tar[pos] = rng.choice(alphabet) if rng.random() < 0.5 else rng.randrange(256)
        if rng.random() < 0.2:
            del tar[rng.randrange(len(tar)):]
        for o in headers:
            if o + 512 <= len(tar) and rng.random() < 0.9:
                tar[o:o + 512] = rechecksum(tar[o:o + 512])
        data = bytearray(gz(bytes(tar), 1))
        if rng.random() < 0.1:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        write_case("mutated_%03d" % n, bytes(data), ["ANY"])


def edge():
    import edge_cases
    for name, tar, expect in edge_cases.cases():
        data = gz(tar)
        if expect[0] == "OK":
            write_case(name, data, ["OK"] + expect[1])
        else:
            _, reason, match, error, rule = expect
            refused(name, data, reason, match, error, rule)


os.makedirs(WORK, exist_ok=True)
{"valid": valid, "invalid": invalid, "edge": edge, "mutated": mutated}[WHICH]()
shutil.rmtree(WORK)
