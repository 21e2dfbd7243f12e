"""1,000 devices on keep-alive TLS: each uploads a 250 KiB bundle every 30 s (2 a minute, a
random phase) for DURATION seconds, by PUT to URL_PREFIX + a unique name. Prints a JSON summary:
uploads, accepted (2xx), failures, latency p50/p99/max in ms.
usage: device_clients.py HOST PORT CERT PREFIX BUNDLE DEVICES DURATION [TOKEN]"""
import asyncio, json, random, ssl, sys, time

host, port, cert, prefix, bundle = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
devices, duration = int(sys.argv[6]), float(sys.argv[7])
token = sys.argv[8] if len(sys.argv) > 8 else ""
body = open(bundle, "rb").read()
latencies, failures = [], [0]


async def device(index, context, start):
    reader, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname="localhost")
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    await asyncio.sleep(random.uniform(0, 30))
    n = 0
    while time.monotonic() - start < duration:
        head = (f"PUT {prefix}d{index}-{n}.tgz HTTP/1.1\r\nHost: {host}\r\n{auth}"
                f"Content-Length: {len(body)}\r\nContent-Type: application/gzip\r\n\r\n").encode()
        sent = time.monotonic()
        writer.write(head + body)
        await writer.drain()
        response = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in response.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        latencies.append((time.monotonic() - sent) * 1000)
        if not response.startswith(b"HTTP/1.1 2"):
            failures[0] += 1
        n += 1
        await asyncio.sleep(30)
    writer.close()


async def main():
    context = ssl.create_default_context(cafile=cert)
    start = time.monotonic()
    await asyncio.gather(*(device(i, context, start) for i in range(devices)))


asyncio.run(main())
latencies.sort()
pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1) if latencies else None
print(json.dumps({"uploads": len(latencies), "failures": failures[0], "p50_ms": pick(0.5),
                  "p99_ms": pick(0.99), "max_ms": round(latencies[-1], 1) if latencies else None}))
