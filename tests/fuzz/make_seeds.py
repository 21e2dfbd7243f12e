#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora: tests/fuzz/<target>/seeds/<name>. The seeds are
committed (libFuzzer starts from them; the replay tests run them); run this again after changing
it. Each file starts with the target's setting bytes (see the target's header comment): a flags
byte, then two bytes seeding how the stream is cut (0 0: in one piece).

usage: make_seeds.py [TARGET...]   (default: all)"""
import base64
import gzip
import hashlib
import io
import os
import shutil
import struct
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "validator"))
import edge_cases  # noqa: E402  (the validator's hand-made tar streams)
from handmade import archive, member, pax  # noqa: E402


def write_seeds(target, seeds):
    folder = os.path.join(HERE, target, "seeds")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for name, data in seeds:
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def settings(flags=0, split=0):
    return bytes([flags]) + struct.pack(">H", split)


# --- validator: flags bit 0 = the rest is a tar stream to gzip, bit 1 = in two gzip members ---

def tarfile_bundle(fmt):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        def add(name, data=b"", type=tarfile.REGTYPE, link=""):
            info = tarfile.TarInfo(name)
            info.type, info.size, info.linkname, info.mtime = type, len(data), link, 1700000000
            tar.addfile(info, io.BytesIO(data) if data else None)
        add("logs", type=tarfile.DIRTYPE)
        add("logs/syslog", b"Nov 23 10:00:00 host kernel: hello\n" * 20)
        add("logs/" + "deep/" * 30 + "long-name.txt", b"long\n")
        add("logs/current", type=tarfile.SYMTYPE, link="syslog")
        add("logs/again", type=tarfile.LNKTYPE, link="logs/syslog")
    return trimmed(out.getvalue())


def trimmed(tar):
    """Without the zero blocks tarfile pads its 10 KiB record with (two end blocks stay)."""
    end = len(tar)
    while end >= 1536 and not any(tar[end - 1536:end - 1024]):
        end -= 512
    return tar[:end]


def validator_seeds():
    seeds = []
    for fmt, name in ((tarfile.USTAR_FORMAT, "ustar"), (tarfile.GNU_FORMAT, "gnu"),
                      (tarfile.PAX_FORMAT, "pax")):
        tar = tarfile_bundle(fmt) if fmt != tarfile.USTAR_FORMAT else None
        if tar is None:
            out = io.BytesIO()
            with tarfile.open(fileobj=out, mode="w", format=fmt) as t:
                info = tarfile.TarInfo("a.txt")
                info.size = 6
                t.addfile(info, io.BytesIO(b"hello\n"))
            tar = trimmed(out.getvalue())
        gz = gzip.compress(tar, mtime=0)
        seeds.append(("raw-%s.tgz" % name, settings(0) + gz))
        seeds.append(("raw-%s-cut.tgz" % name, settings(0, 0x1234) + gz))
        seeds.append(("tar-%s.tar" % name, settings(1, 0x0101) + tar))
    two = gzip.compress(tarfile_bundle(tarfile.PAX_FORMAT)[:1024], mtime=0) + gzip.compress(
        tarfile_bundle(tarfile.PAX_FORMAT)[1024:], mtime=0)
    seeds.append(("raw-two-members.tgz", settings(0, 7) + two))
    seeds.append(("tar-two-members.tar", settings(3, 9) + tarfile_bundle(tarfile.PAX_FORMAT)))
    named = gzip.GzipFile(fileobj=(buf := io.BytesIO()), mode="wb", filename="x.tar", mtime=0)
    named.write(tarfile_bundle(tarfile.GNU_FORMAT))
    named.close()
    seeds.append(("raw-fname-header.tgz", settings(0) + buf.getvalue()))
    seeds.append(("raw-not-gzip.txt", settings(0) + b"oops, this is not a bundle\n"))
    # The validator's hand-made edge cases (header encodings, pax records, sparse maps), as tar
    # streams for the harness to gzip: every other one (the corpus stays small), of those small
    # enough to mutate quickly.
    for i, (name, tar, _) in enumerate(edge_cases.cases()):
        if i % 2 == 0 and len(tar) <= 8192:
            seeds.append(("edge-" + name + ".tar", settings(1, len(seeds)) + tar))
    big_pax = archive(pax([(b"path", b"p" * 3000), (b"comment", b"c" * 100)]),
                      member(b"short", b"data"))
    seeds.append(("tar-big-pax.tar", settings(1) + big_pax))
    return seeds


# --- config: the whole input is the TOML text (files it may name: keys/acme.pub,
# keys/s3.credentials, keys/cert.pem, keys/key.pem, made by the target) ---

STORE = '[store]\nroot = "data"\nmount = "mnt"\n'
USER = '[[user]]\nname = "acme"\nrole = "customer"\nauthorized_keys = "keys/acme.pub"\n'
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL8jX2r88bWqMd/Sa8e2nRGYhyPDUrkhwOyc9/lY6iVn acme"


def config_seeds():
    full = (
        '[server]\nlisten = ["0.0.0.0:2222", "[::1]:2200"]\nhost_key_dir = "keys"\n'
        'max_sessions = 100\nmax_sessions_per_user = 5\nlogin_grace_time = "30s"\n'
        'idle_timeout = "15m"\n'
        '[store]\nroot = "data"\nmount = "mnt"\naccept = ["*.tgz", "*.tar.gz"]\n'
        'temp_suffixes = [".filepart"]\nmax_bundle_size = "64GiB"\n'
        'max_uncompressed_size = "1TiB"\nmax_compression_ratio = 200\nmax_members = 1000000\n'
        'resume_window = "24h"\nseek_index = true\n'
        '[index]\ndatabase = "data/index.sqlite3"\n'
        '[metrics]\nlisten = "127.0.0.1:9100"\n'
        '[http]\nlisten = "0.0.0.0:8443"\ntls_cert = "keys/cert.pem"\ntls_key = "keys/key.pem"\n'
        'max_connections = 500\n'
        '[quota]\nmax_bytes = "500GiB"\nmax_bundles = 10000\n'
        + USER +
        'tokens = ["sha256:' + hashlib.sha256(b"dg_token").hexdigest() + '"]\n'
        'max_bytes = "3GiB"\n'
        '[[user]]\nname = "support"\nrole = "support"\nkeys = ["' + KEY + '"]\n'
        'password = "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0'
        'Y77vwPZN.Pq.H91p5hVO1"\n')
    replicate = (
        STORE + '[replicate]\nendpoint = "https://s3.example.com"\nbucket = "bundles"\n'
        'region = "eu-west-1"\nprefix = "dropgate/"\ncredentials_file = "keys/s3.credentials"\n'
        'rate = "08:00,40Mbit/s 19:00,off"\n[retention]\nkeep_local = "7d"\n' + USER)
    return [
        ("full.toml", full.encode()),
        ("minimal.toml", (STORE + USER).encode()),
        ("replicate.toml", replicate.encode()),
        ("plain-http.toml", (STORE + '[http]\nlisten = ["127.0.0.1:8080"]\nplain = true\n'
                             + USER).encode()),
        ("bad-role.toml", (STORE + '[[user]]\nname = "x"\nrole = "admin"\n').encode()),
        ("bad-toml.toml", b'[store\nroot = "data"\n'),
        ("inline-table.toml", ('store = { root = "/r", mount = "/m" }\n' + USER).encode()),
    ]


# --- http: byte 0 unused, bytes 1-2 the cut, then one request as a client sends it ---

def tus_id(path, length):
    return "0123456789abcdef0123456789abcdef.1700000000.%d.%s" % (
        length, base64.urlsafe_b64encode(path.encode()).decode().rstrip("="))


def http_seeds():
    body = b"\x1f\x8b" + b"bundle bytes" * 8
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    multipart = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
                 b"filename=\"C:\\\\logs\\\\host1.tgz\"\r\nContent-Type: application/gzip\r\n\r\n"
                 + body + b"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"dir\"\r\n\r\nweb"
                 b"\r\n--XyZ--\r\n")
    meta = "filename %s,filetype %s" % (base64.b64encode(b"host1/logs.tgz").decode(),
                                        base64.b64encode(b"application/gzip").decode())
    requests = {
        "put": b"PUT /upload/host1/logs%%20today.tgz HTTP/1.1\r\nHost: x\r\n"
               b"Authorization: Bearer dg_x\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
        "put-chunked": b"PUT /upload/a.tgz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                       b"\r\n5\r\nhello\r\n0\r\n\r\n",
        "post-form": b"POST /upload/ HTTP/1.1\r\nHost: x\r\nCookie: a=b; dropgate_session=c\r\n"
                     b"X-CSRF-Token: t\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(multipart) + multipart,
        "tus-create": ("POST /files/ HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n"
                       "Upload-Length: %d\r\nUpload-Metadata: %s\r\nContent-Length: 0\r\n\r\n"
                       % (len(body), meta)).encode(),
        "tus-patch": ("PATCH /files/%s HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n"
                      "Upload-Offset: 0\r\nUpload-Checksum: sha256 %s\r\n"
                      "Content-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n"
                      % (tus_id("host1/logs.tgz", len(body)), digest, len(body))).encode() + body,
        "tus-head": ("HEAD /files/%s HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n\r\n"
                     % tus_id("a.tgz", 10)).encode(),
        "download-range": b"GET /download/acme/host1/logs.tgz HTTP/1.1\r\nHost: x\r\n"
                          b"Range: bytes=100-\r\nIf-Range: \"abc\"\r\n\r\n",
        "download-suffix": b"GET /download/acme/a.tgz.d/etc/hosts HTTP/1.1\r\nHost: x\r\n"
                           b"Range: bytes=-500\r\n\r\n",
        "uploads-query": b"GET /api/uploads?customer=acme&status=refused&since=2d HTTP/1.1\r\n"
                         b"Host: x\r\n\r\n",
        "members-query": b"GET /api/members?glob=%2A.log&customer=a+b HTTP/1.1\r\nHost: x\r\n\r\n",
        "options": b"OPTIONS /files/ HTTP/1.1\r\nHost: x\r\nOrigin: https://y\r\n"
                   b"Access-Control-Request-Method: POST\r\n\r\n",
    }
    return [(name, settings(0, i * 37) + data) for i, (name, data) in enumerate(requests.items())]


# --- sftp: flags bit 0 = support role, bit 1 = no INIT sent for the client; then packets ---

def packet(type, *fields):
    payload = bytes([type]) + b"".join(fields)
    return struct.pack(">I", len(payload)) + payload


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def s(text):
    text = text.encode() if isinstance(text, str) else text
    return u32(len(text)) + text


HANDLE0 = bytes(7) + b"\x01"  # slot 0, generation 1: the session's first handle
HANDLE1 = bytes(3) + b"\x01" + bytes(3) + b"\x01"  # slot 1, generation 1


def sftp_seeds():
    upload_flags = 0x02 | 0x08 | 0x10
    bundle = gzip.compress(tarfile_bundle(tarfile.PAX_FORMAT), mtime=0)
    upload = (packet(3, u32(1), s("host1.tgz"), u32(upload_flags), u32(0))
              + packet(6, u32(2), s(HANDLE0), u64(0), s(bundle[:700]))
              + packet(6, u32(3), s(HANDLE0), u64(700), s(bundle[700:]))
              + packet(8, u32(4), s(HANDLE0))
              + packet(4, u32(5), s(HANDLE0))
              + packet(17, u32(6), s("host1.tgz")))
    browse = (packet(16, u32(1), s("."))
              + packet(14, u32(2), s("logs"), u32(0x04), u32(0o755))
              + packet(11, u32(3), s("/"))
              + packet(12, u32(4), s(HANDLE0))
              + packet(12, u32(5), s(HANDLE0))
              + packet(4, u32(6), s(HANDLE0))
              + packet(7, u32(7), s("logs/../logs/./"))
              + packet(19, u32(8), s("missing")))
    resume = (packet(3, u32(1), s("big.tgz.filepart"), u32(upload_flags), u32(0))
              + packet(6, u32(2), s(HANDLE0), u64(0), s(b"\x1f\x8b\x08" + bytes(100)))
              + packet(10, u32(3), s(HANDLE0), u32(0x04 | 0x08), u32(0o600), u32(1700000000),
                       u32(1700000000))
              + packet(200, u32(4), s("fsync@openssh.com"), s(HANDLE0))
              + packet(200, u32(5), s("fstatvfs@openssh.com"), s(HANDLE0))
              + packet(4, u32(6), s(HANDLE0))
              + packet(200, u32(7), s("posix-rename@openssh.com"), s("big.tgz.filepart"),
                       s("big.tgz"))
              + packet(18, u32(8), s("big.tgz"), s("other.tgz")))
    reads = (packet(3, u32(1), s("a.tgz"), u32(upload_flags), u32(0))
             + packet(6, u32(2), s(HANDLE0), u64(0), s(b"hello"))
             + packet(4, u32(3), s(HANDLE0))
             + packet(3, u32(4), s("a.tgz"), u32(0x01), u32(0))
             + packet(5, u32(5), s(HANDLE0[:7] + b"\x02"), u64(0), u32(1 << 20))
             + packet(9, u32(6), s("a.tgz"), u32(0x01), u64(0))
             + packet(13, u32(7), s("a.tgz"))
             + packet(20, u32(8), s("l"), s("/etc"))
             + packet(200, u32(9), s("limits@openssh.com"))
             + packet(200, u32(10), s("statvfs@openssh.com"), s("/"))
             + packet(200, u32(11), s("hardlink@openssh.com"), s("a.tgz"), s("b.tgz")))
    escapes = (packet(17, u32(1), s("../../other"))
               + packet(3, u32(2), s("/../other/x.tgz"), u32(upload_flags), u32(0))
               + packet(14, u32(3), s("../other/d"), u32(0))
               + packet(11, u32(4), s("a.tgz.d"))
               + packet(17, u32(5), s("x\x00y")))
    hostile = (packet(3, u32(1), s("a.tgz"), u32(upload_flags))  # attrs cut off
               + packet(6, u32(2), u32(0xffffffff))  # a handle longer than the packet
               + packet(6, u32(3), s(HANDLE1), u64(1 << 62), s(b"x"))
               + packet(99, u32(4))
               + packet(200, u32(5), s("nope@example.com"))
               + packet(1, u32(3)))  # INIT again: the session ends
    init = packet(1, u32(3))
    return [
        ("upload", settings(0) + upload),
        ("upload-cut", settings(0, 0xbeef) + upload),
        ("browse", settings(0, 3) + browse),
        ("browse-support", settings(1, 5) + browse),
        ("resume-rename", settings(0, 11) + resume),
        ("reads", settings(0, 13) + reads),
        ("support-writes", settings(1) + reads),
        ("escapes", settings(0, 17) + escapes),
        ("hostile", settings(0, 19) + hostile),
        ("own-init", settings(2) + init + packet(16, u32(1), s("/"))),
        ("no-init", settings(2) + packet(16, u32(1), s("/"))),
        ("oversized", settings(0) + u32(300000) + bytes(16)),
    ]


TARGETS = {"validator": validator_seeds, "config": config_seeds, "http": http_seeds,
           "sftp": sftp_seeds}

if __name__ == "__main__":
    for target in sys.argv[1:] or TARGETS:
        write_seeds(target, TARGETS[target]())
