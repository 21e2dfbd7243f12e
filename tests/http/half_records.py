"""Opens N TLS connections to 127.0.0.1:PORT, each of which sends the first half of an encrypted
request record and stops there: a slowloris on TLS, holding the server's record buffer. Prints
"ready <n>" once all are in that state and holds them until the file RELEASE exists, then
prints "closed <k>": how many of them the server had closed by then.
usage: half_records.py PORT CERT N RELEASE"""
import os, socket, ssl, sys, time

port, cert, count, release = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
context = ssl.create_default_context(cafile=cert)


def half_a_record():
    raw = socket.create_connection(("127.0.0.1", port))
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            raw.sendall(outgoing.read())
            data = raw.recv(65536)
            if not data:
                raise ConnectionError("closed during the handshake")
            incoming.write(data)
    raw.sendall(outgoing.read())  # the client's Finished
    tls.write(b"GET /api/whoami HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 4000 + b"\r\n\r\n")
    record = outgoing.read()
    raw.sendall(record[: len(record) // 2])
    return raw


held = []
for _ in range(count):
    try:
        held.append(half_a_record())
    except OSError:
        pass
print(f"ready {len(held)}", flush=True)
while not os.path.exists(release):
    time.sleep(0.2)
closed = 0
for raw in held:
    raw.setblocking(False)
    try:
        while raw.recv(65536):  # what came before it (TLS 1.3 session tickets), then its FIN
            pass
        closed += 1
    except BlockingIOError:  # still open
        pass
    except OSError:  # reset by the server
        closed += 1
print(f"closed {closed}", flush=True)
