#!/usr/bin/python3
"""Drives a dropgate gateway with paramiko at the packet level, for the Catch2 tests.

Each subcommand checks one behaviour and exits 0 when every check held; otherwise it prints
what differed and exits 1. Raw packets (not paramiko's SFTPClient) so that status codes,
messages and malformed input can be asserted exactly.
"""
import argparse
import errno
import os
import socket
import struct
import sys

import paramiko

FXP = dict(INIT=1, VERSION=2, OPEN=3, CLOSE=4, READ=5, WRITE=6, LSTAT=7, FSTAT=8, SETSTAT=9,
           FSETSTAT=10, OPENDIR=11, READDIR=12, REMOVE=13, MKDIR=14, RMDIR=15, REALPATH=16,
           STAT=17, RENAME=18, READLINK=19, SYMLINK=20, STATUS=101, HANDLE=102, DATA=103,
           NAME=104, ATTRS=105, EXTENDED=200, EXTENDED_REPLY=201)
OK, EOF, NO_SUCH_FILE, PERMISSION_DENIED, FAILURE, BAD_MESSAGE = 0, 1, 2, 3, 4, 5
OP_UNSUPPORTED = 8
READ, WRITE, CREAT, TRUNC = 1, 2, 8, 0x10

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAILED:", what, flush=True)


def s(b):
    b = b.encode() if isinstance(b, str) else b
    return struct.pack(">I", len(b)) + b


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


class Raw:
    """One SFTP session over a paramiko channel, spoken packet by packet."""

    def __init__(self, args, user="acme", password=None, init=True):
        self.transport = connect(args, user, password)
        self.chan = self.transport.open_session()
        self.chan.invoke_subsystem("sftp")
        self.next_id = 1
        if init:
            self.init()

    def init(self):
        self.send_raw(u32(5) + bytes([FXP["INIT"]]) + u32(3))
        typ, body = self.recv()
        assert typ == FXP["VERSION"], typ
        self.version = struct.unpack(">I", body[:4])[0]
        self.extensions = {}
        rest = body[4:]
        while rest:
            name, rest = take_string(rest)
            value, rest = take_string(rest)
            self.extensions[name.decode()] = value.decode()

    def send_raw(self, data):
        self.chan.sendall(data)

    def send(self, typ, payload):
        rid = self.next_id
        self.next_id += 1
        body = bytes([typ]) + u32(rid) + payload
        self.send_raw(u32(len(body)) + body)
        return rid

    def recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.chan.recv(n - len(data))
            if not chunk:
                raise EOFError("channel closed")
            data += chunk
        return data

    def recv(self):
        length = struct.unpack(">I", self.recv_exact(4))[0]
        data = self.recv_exact(length)
        return data[0], data[1:] if data[0] == FXP["VERSION"] else data[5:]

    def request(self, typ, payload):
        self.send(typ, payload)
        return self.recv()

    def status(self, typ, payload):
        rtyp, body = self.request(typ, payload)
        if rtyp != FXP["STATUS"]:
            return rtyp, None
        code = struct.unpack(">I", body[:4])[0]
        msg, _ = take_string(body[4:])
        return code, msg.decode()

    def open(self, path, flags):
        rtyp, body = self.request(FXP["OPEN"], s(path) + u32(flags) + u32(0))
        if rtyp == FXP["HANDLE"]:
            return take_string(body)[0]
        code = struct.unpack(">I", body[:4])[0]
        return (code, take_string(body[4:])[0].decode())

    def close(self):
        # The server may already have ended this session (that is what some tests provoke);
        # closing our side of a dead connection must not fail the test.
        try:
            self.chan.close()
        except (EOFError, socket.error):
            pass
        self.transport.close()


def take_string(b):
    n = struct.unpack(">I", b[:4])[0]
    return b[4:4 + n], b[4 + n:]


def connect(args, user, password=None):
    sock = socket.create_connection(("127.0.0.1", args.port))
    t = paramiko.Transport(sock)
    t.start_client(timeout=20)
    if password is not None:
        t.auth_password(user, password)
    else:
        t.auth_publickey(user, paramiko.Ed25519Key.from_private_key_file(os.path.join(args.keys, user)))
    return t


def cmd_requests(args):
    """Every request type answers with the right status and a human message."""
    c = Raw(args)
    check(c.version == 3, "version 3")
    for ext in ("posix-rename@openssh.com", "statvfs@openssh.com", "fsync@openssh.com", "limits@openssh.com"):
        check(ext in c.extensions, "advertises " + ext)
    check("hardlink@openssh.com" not in c.extensions, "does not advertise hardlink")

    rtyp, body = c.request(FXP["EXTENDED"], s("limits@openssh.com"))
    check(rtyp == FXP["EXTENDED_REPLY"], "limits reply")
    if rtyp == FXP["EXTENDED_REPLY"]:
        check(struct.unpack(">QQQQ", body[:32]) == (262144, 261120, 261120, 256), "limits values")

    data = os.urandom(700000)
    h = c.open("/a.tgz", WRITE | CREAT | TRUNC)
    check(isinstance(h, bytes), "open for writing gives a handle: %r" % (h,))
    ids = [c.send(FXP["WRITE"], s(h) + u64(off) + s(data[off:off + 32768])) for off in range(0, len(data), 32768)]
    for _ in ids:  # pipelined: every WRITE answered OK, in order
        rtyp, body = c.recv()
        check(rtyp == FXP["STATUS"] and struct.unpack(">I", body[:4])[0] == OK, "pipelined write ok")
    rtyp, body = c.request(FXP["FSTAT"], s(h))
    check(rtyp == FXP["ATTRS"] and struct.unpack(">Q", body[4:12])[0] == len(data), "fstat sees every byte")
    check(c.status(FXP["FSETSTAT"], s(h) + u32(0x0c) + u32(0o644) + u32(1) + u32(2))[0] == OK, "fsetstat with times accepted")
    check(c.status(FXP["EXTENDED"], s("fsync@openssh.com") + s(h))[0] == OK, "fsync")
    check(c.status(FXP["CLOSE"], s(h))[0] == OK, "close upload")
    check(open(os.path.join(args.store, "acme/a.tgz"), "rb").read() == data, "uploaded bytes on disk")
    check(c.status(FXP["CLOSE"], s(h)) == (FAILURE, "invalid handle"), "stale handle refused")

    code, msg = c.open("/a.tgz", WRITE | CREAT | TRUNC)
    check(code == FAILURE and "already exists" in msg, "overwrite refused: %r" % msg)
    code, msg = c.open("/notes.txt", WRITE | CREAT)
    check(code == PERMISSION_DENIED and "not an accepted bundle name" in msg, "bad name refused: %r" % msg)

    h = c.open("/a.tgz", READ)
    rtyp, body = c.request(FXP["READ"], s(h) + u64(0) + u32(1 << 20))  # over the cap: clamped
    n = struct.unpack(">I", body[:4])[0]
    check(rtyp == FXP["DATA"] and n == 261120 and body[4:4 + n] == data[:n], "READ clamped to 255 KiB")
    check(c.status(FXP["READ"], s(h) + u64(len(data)) + u32(100))[0] == EOF, "READ at end gives EOF")
    check(c.status(FXP["WRITE"], s(h) + u64(0) + s(b"x"))[0] == PERMISSION_DENIED, "WRITE on a read handle")
    check(c.status(FXP["CLOSE"], s(h))[0] == OK, "close read handle")

    rtyp, body = c.request(FXP["STAT"], s("/a.tgz"))
    check(rtyp == FXP["ATTRS"] and struct.unpack(">Q", body[4:12])[0] == len(data), "stat size")
    check(c.request(FXP["LSTAT"], s("a.tgz"))[0] == FXP["ATTRS"], "lstat relative path")
    code, msg = c.status(FXP["STAT"], s("/missing.tgz"))
    check(code == NO_SUCH_FILE and "missing.tgz" in msg, "stat missing: %r" % msg)
    check(c.status(FXP["SETSTAT"], s("/a.tgz") + u32(0x04) + u32(0o777))[0] == PERMISSION_DENIED, "chmod refused")
    check(c.status(FXP["SETSTAT"], s("/a.tgz") + u32(0x0c) + u32(0o644) + u32(1) + u32(2))[0] == OK, "setstat with times (put -p) accepted")

    check(c.status(FXP["MKDIR"], s("/d") + u32(0))[0] == OK, "mkdir")
    check(c.status(FXP["MKDIR"], s("/d") + u32(0))[0] == FAILURE, "mkdir existing fails")
    code, msg = c.status(FXP["REMOVE"], s("/a.tgz"))
    check(code == PERMISSION_DENIED and "immutable" in msg, "remove refused: %r" % msg)
    check(c.status(FXP["RMDIR"], s("/d"))[0] == PERMISSION_DENIED, "rmdir refused")
    check(c.status(FXP["SYMLINK"], s("/a.tgz") + s("/l.tgz"))[0] == PERMISSION_DENIED, "symlink refused")
    check(os.path.exists(os.path.join(args.store, "acme/a.tgz")), "refused remove left the file")

    h = c.open("/d", READ)  # not a directory handle
    check(c.request(FXP["OPENDIR"], s("/a.tgz"))[0] == FXP["STATUS"], "opendir on a file fails")
    rtyp, body = c.request(FXP["OPENDIR"], s("/"))
    dh = take_string(body)[0]
    names = {}
    while True:
        rtyp, body = c.request(FXP["READDIR"], s(dh))
        if rtyp != FXP["NAME"]:
            check(struct.unpack(">I", body[:4])[0] == EOF, "readdir ends with EOF")
            break
        count, rest = struct.unpack(">I", body[:4])[0], body[4:]
        for _ in range(count):
            name, rest = take_string(rest)
            longname, rest = take_string(rest)
            rest = rest[4 + 8 + 8 + 4 + 8:]  # flags size uidgid perms times
            names[name.decode()] = longname.decode()
    check(c.status(FXP["CLOSE"], s(dh))[0] == OK, "close dir handle")
    check("a.tgz" in names and names["a.tgz"].startswith("-rw-r--r--") and names["a.tgz"].endswith(" a.tgz"),
          "readdir longname like ls -l: %r" % names.get("a.tgz"))
    check("d" in names and names["d"].startswith("d"), "readdir lists the directory")
    check("other" not in names, "a customer does not see other customers")

    rtyp, body = c.request(FXP["REALPATH"], s("../../x/./y/.."))
    check(rtyp == FXP["NAME"] and take_string(body[4:])[0] == b"/x", "realpath is lexical and rooted")

    code, msg = c.status(FXP["RENAME"], s("/a.tgz") + s("/b.tgz"))
    check(code == PERMISSION_DENIED and "only a temporary upload name" in msg, "rename of a bundle refused")
    h = c.open("/c.tgz.part", WRITE | CREAT)
    c.status(FXP["WRITE"], s(h) + u64(0) + s(b"data"))
    c.status(FXP["CLOSE"], s(h))
    check(c.status(FXP["RENAME"], s("/c.tgz.part") + s("/c.tgz"))[0] == OK, "temp name renamed to bundle name")
    h = c.open("/e.tgz.filepart", WRITE | CREAT)
    c.status(FXP["CLOSE"], s(h))
    check(c.status(FXP["EXTENDED"], s("posix-rename@openssh.com") + s("/e.tgz.filepart") + s("/c.tgz"))[0] == FAILURE,
          "posix-rename onto an existing bundle refused")
    check(c.status(FXP["EXTENDED"], s("posix-rename@openssh.com") + s("/e.tgz.filepart") + s("/e.tgz"))[0] == OK,
          "posix-rename temp name")
    check(c.status(FXP["READLINK"], s("/a.tgz"))[0] == FAILURE, "readlink of a file fails")
    check(c.request(FXP["EXTENDED"], s("statvfs@openssh.com") + s("/"))[0] == FXP["EXTENDED_REPLY"], "statvfs")
    code, msg = c.status(FXP["EXTENDED"], s("hardlink@openssh.com") + s("/a.tgz") + s("/h.tgz"))
    check(code == PERMISSION_DENIED and "immutable" in msg, "hardlink refused cleanly: %r" % msg)
    check(c.status(FXP["EXTENDED"], s("nonsense@example.com"))[0] == OP_UNSUPPORTED, "unknown extension")
    check(c.status(99, b"")[0] == OP_UNSUPPORTED, "unknown packet type")
    check(c.status(FXP["OPEN"], u32(1000) + b"abc")[0] == BAD_MESSAGE, "truncated OPEN: bad message")
    check(c.status(FXP["STAT"], s("/a\0b"))[0] == BAD_MESSAGE, "NUL in a path: bad message")
    check(c.request(FXP["STAT"], s("/a.tgz"))[0] == FXP["ATTRS"], "session alive after malformed requests")
    c.close()


def cmd_support(args):
    """The support role sees every customer and every write is PERMISSION_DENIED."""
    c = Raw(args, user="support")
    rtyp, body = c.request(FXP["STAT"], s("/other/secret.tgz"))
    check(rtyp == FXP["ATTRS"], "support reads another customer's file")
    code, msg = c.open("/acme/new.tgz", WRITE | CREAT)
    check(code == PERMISSION_DENIED and "read-only" in msg, "support upload refused: %r" % msg)
    for typ, payload in [(FXP["MKDIR"], s("/acme/x") + u32(0)), (FXP["SETSTAT"], s("/other/secret.tgz") + u32(0x0c) + u64(0)),
                         (FXP["RENAME"], s("/a.tgz.part") + s("/a.tgz")), (FXP["REMOVE"], s("/other/secret.tgz"))]:
        check(c.status(typ, payload)[0] == PERMISSION_DENIED, "support write %d refused" % typ)
    c.close()


def cmd_traversal(args):
    """../, absolute paths and symlinks never reach outside the customer's root."""
    c = Raw(args)
    for path in ("../other/secret.tgz", "/../../other/secret.tgz", "/acme/../other/secret.tgz",
                 "escape-abs/secret.tgz", "escape-rel/secret.tgz", "passwd-link"):
        got = c.open(path, READ)
        check(isinstance(got, tuple) and got[0] == NO_SUCH_FILE, "%s contained: %r" % (path, got))
    got = c.open("../../new.tgz", WRITE | CREAT)
    check(isinstance(got, bytes), "../ upload lands in the customer's own root")
    c.status(FXP["CLOSE"], s(got))
    check(os.path.exists(os.path.join(args.store, "acme/new.tgz")), "file written at the customer's root")
    got = c.open("/../other/x.tgz", WRITE | CREAT)
    check(isinstance(got, tuple) and got[0] == NO_SUCH_FILE, "upload into ../other refused: %r" % (got,))
    check(not os.path.exists(os.path.join(args.store, "other/x.tgz")), "no file written into another customer")
    check(c.open("escape-rel/new.tgz", WRITE | CREAT)[0] in (NO_SUCH_FILE, FAILURE, PERMISSION_DENIED),
          "upload through a symlink refused")
    c.close()


def cmd_handles(args):
    """1,000 open handles: the table stops at its bound with a clear message, then recovers."""
    c = Raw(args)
    handles, refused = [], []
    for _ in range(1000):
        c.send(FXP["OPENDIR"], s("/"))
    for _ in range(1000):
        rtyp, body = c.recv()
        if rtyp == FXP["HANDLE"]:
            handles.append(take_string(body)[0])
        else:
            refused.append(take_string(body[4:])[0].decode())
    check(len(handles) == 256, "256 handles granted, got %d" % len(handles))
    check(len(refused) == 744 and "too many open handles" in refused[0], "the rest refused with a message")
    for h in handles:
        c.send(FXP["CLOSE"], s(h))
    for _ in handles:
        c.recv()
    check(c.request(FXP["OPENDIR"], s("/"))[0] == FXP["HANDLE"], "handles usable again after closing")
    c.close()


def cmd_oversized(args):
    """A packet above the limit or a zero-length one ends only that session."""
    for bad in (u32(10 << 20) + b"\x03", u32(0)):
        c = Raw(args)
        c.send_raw(bad)
        try:
            ended = c.chan.recv(100) == b""
        except (EOFError, socket.error):
            ended = True
        check(ended, "session ended on %r" % bad[:4])
        c.close()
    c = Raw(args)
    check(c.request(FXP["STAT"], s("/"))[0] == FXP["ATTRS"], "a new session works afterwards")
    c.close()


def ended(c):
    try:
        return c.chan.recv(100) == b""
    except (EOFError, socket.error):
        return True


def cmd_init_order(args):
    """A request before INIT, or a second INIT, ends the session; a proper one works after."""
    c = Raw(args, init=False)
    c.send(FXP["STAT"], s("/"))
    check(ended(c), "a request before INIT ends the session")
    c.close()
    c = Raw(args)
    c.send_raw(u32(5) + bytes([FXP["INIT"]]) + u32(3))
    check(ended(c), "a second INIT ends the session")
    c.close()
    c = Raw(args)
    check(c.request(FXP["STAT"], s("/"))[0] == FXP["ATTRS"], "a proper session works afterwards")
    c.close()


def cmd_password(args):
    """Password login: the right one works, a wrong one is refused."""
    c = Raw(args, password=args.password)
    check(c.request(FXP["STAT"], s("/"))[0] == FXP["ATTRS"], "password login works")
    c.close()
    try:
        Raw(args, password="wrong")
        check(False, "wrong password refused")
    except paramiko.AuthenticationException:
        pass


def cmd_auth_fails(args):
    """Wrong key and unknown user are refused."""
    for user, key in (("acme", "stranger"), ("nobody", "acme")):
        sock = socket.create_connection(("127.0.0.1", args.port))
        t = paramiko.Transport(sock)
        t.start_client(timeout=20)
        try:
            t.auth_publickey(user, paramiko.Ed25519Key.from_private_key_file(os.path.join(args.keys, key)))
            check(False, "%s with key %s refused" % (user, key))
        except paramiko.AuthenticationException:
            pass
        t.close()


def cmd_vanish(args):
    """Uploads part of a file and drops the connection without CLOSE."""
    c = Raw(args)
    h = c.open("/gone.tgz", WRITE | CREAT | TRUNC)
    check(isinstance(h, bytes), "open for upload")
    for off in range(0, 200000, 32768):
        c.send(FXP["WRITE"], s(h) + u64(off) + s(b"x" * 32768))
    for off in range(0, 200000, 32768):
        c.recv()
    c.transport.sock.close()  # no CLOSE, no channel close: the client just vanishes


def cmd_rename_refused(args):
    """Upload-then-rename with paramiko's SFTPClient: a refused temp upload's RENAME says why."""
    sftp = paramiko.SFTPClient.from_transport(connect(args, "acme"))
    zip_bytes = b"PK\x03\x04" + b" a zip archive, not a gzip stream"
    for rename in (sftp.rename, sftp.posix_rename):
        name = "/bad-%s.tgz" % rename.__name__
        with sftp.open(name + ".filepart", "w") as f:  # paramiko ignores the failed CLOSE
            f.write(zip_bytes)
        try:
            rename(name + ".filepart", name)
            check(False, "%s of a refused upload fails" % rename.__name__)
        except IOError as e:
            check(e.errno is None, "%s: not ENOENT but the refusal: %r" % (rename.__name__, e))
            check("not gzip (bad magic 50 4b 03 04" in str(e), "%s: the reason: %r" % (rename.__name__, e))
    with open(os.path.join(args.local, "good.tgz"), "rb") as f:
        good = f.read()
    with sftp.open("/good.tgz.filepart", "w") as f:
        f.write(good)
    sftp.rename("/good.tgz.filepart", "/good.tgz")
    check(sftp.stat("/good.tgz").st_size == len(good), "a valid temp upload is published by its rename")
    try:
        sftp.rename("/never.tgz.filepart", "/never.tgz")
        check(False, "renaming a name never uploaded fails")
    except IOError as e:
        check(e.errno == errno.ENOENT, "a name never uploaded is simply not there: %r" % e)
    sftp.close()


def cmd_hold(args):
    """Opens a session and holds it until stdin closes (for session-limit tests)."""
    c = Raw(args)
    print("ready", flush=True)
    sys.stdin.read()
    c.close()


def cmd_idle(args):
    """Opens a session and waits: the server must end it after its idle timeout."""
    c = Raw(args)
    c.chan.settimeout(60)
    try:
        ended = c.chan.recv(100) == b""
    except socket.timeout:
        ended = False
    check(ended, "idle session closed by the server")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--keys", required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--password", default="")
    p.add_argument("--local", default="", help="a folder of local files some commands upload")
    p.add_argument("command")
    args = p.parse_args()
    globals()["cmd_" + args.command.replace("-", "_")](args)
    if failures:
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
