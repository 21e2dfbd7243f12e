"""Opens N keep-alive TLS connections to 127.0.0.1:PORT, makes one authenticated request on
each (so each is a real, logged-in keep-alive connection), prints "ready <ok>" and holds them
until stdin closes. usage: idle_clients.py PORT CERT TOKEN N"""
import asyncio, ssl, sys

port, cert, token, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])


async def one(context, held):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                                   server_hostname="localhost")
    writer.write(f"GET /api/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    await reader.readexactly(length)
    held.append(writer)
    return head.startswith(b"HTTP/1.1 200")


async def main():
    context = ssl.create_default_context(cafile=cert)
    held, ok = [], 0
    for start in range(0, count, 500):  # in waves, as a fleet of devices would reconnect
        results = await asyncio.gather(*(one(context, held) for _ in range(min(500, count - start))),
                                       return_exceptions=True)
        ok += sum(1 for r in results if r is True)
    print(f"ready {ok}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for writer in held:
        writer.close()


asyncio.run(main())
