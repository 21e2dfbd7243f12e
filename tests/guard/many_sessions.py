#!/usr/bin/python3
"""N concurrent SFTP sessions (asyncssh), each uploading one bundle slowly, held open together.

Every session logs in as USER with KEY, opens /load/sNNNN.tgz and writes the first 64 KiB of
BUNDLE; once all N are there it writes STATE_DIR/held ("held N"), then waits for STATE_DIR/go,
writes the rest in 16 KiB pieces a few milliseconds apart, closes, and the script writes
STATE_DIR/done with one JSON object: {"ok": n, "failed": [errors...]}.
At most CONCURRENT_LOGINS key exchanges run at once (a fleet reconnecting is paced the same way
by MaxStartups).

usage: many_sessions.py PORT USER KEY BUNDLE N STATE_DIR
"""
import asyncio
import json
import os
import resource
import sys
import warnings

warnings.filterwarnings("ignore")
import asyncssh  # noqa: E402

CONCURRENT_LOGINS = 16
FIRST = 64 << 10
PIECE = 16 << 10


async def session(i, args, logins, all_held, go, data):
    held = [False]
    try:
        await upload(i, args, logins, all_held, go, data, held)
    finally:
        if not held[0]:
            all_held.release()  # a session that failed early does not hold the others up


async def upload(i, args, logins, all_held, go, data, held):
    port, user, key = args
    async with logins:
        conn = await asyncssh.connect("127.0.0.1", port, username=user, client_keys=[key],
                                      known_hosts=None, keepalive_interval=30)
    async with conn:
        sftp = await conn.start_sftp_client()
        async with sftp:
            f = await sftp.open(f"/load/s{i:04d}.tgz", "wb")
            await f.write(data[:FIRST])
            held[0] = True
            all_held.release()
            await go.wait()
            offset = FIRST
            while offset < len(data):
                await f.write(data[offset:offset + PIECE], offset)
                offset += PIECE
                await asyncio.sleep(0.005)
            await f.close()


async def main():
    port, user, key, bundle, n, state = sys.argv[1:7]
    n = int(n)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * n + 256)), hard))
    data = open(bundle, "rb").read()
    logins = asyncio.Semaphore(CONCURRENT_LOGINS)
    all_held = asyncio.Semaphore(0)
    go = asyncio.Event()
    tasks = [asyncio.create_task(session(i, (int(port), user, key), logins, all_held, go, data))
             for i in range(n)]

    async def announce():
        for _ in range(n):
            await all_held.acquire()
        with open(os.path.join(state, "held"), "w") as out:
            out.write(f"held {n}\n")
        while not os.path.exists(os.path.join(state, "go")):
            await asyncio.sleep(0.2)
        go.set()

    announcer = asyncio.create_task(announce())
    results = await asyncio.gather(*tasks, return_exceptions=True)
    announcer.cancel()
    failed = [repr(r) for r in results if isinstance(r, BaseException)]
    with open(os.path.join(state, "done"), "w") as out:
        json.dump({"ok": n - len(failed), "failed": failed[:20]}, out)


if __name__ == "__main__":
    asyncio.run(main())
