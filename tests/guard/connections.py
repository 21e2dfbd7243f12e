#!/usr/bin/python3
"""Opens one TCP connection to HOST:PORT from each SOURCE address (a source may repeat), sends
nothing, and after SETTLE seconds prints one JSON line: for each connection "held" (still open)
or "closed" (the server closed it: EOF or reset). Then keeps the held ones open for HOLD
seconds (or until killed), so the caller can try other clients meanwhile.

usage: connections.py HOST PORT SETTLE HOLD SOURCE...
"""
import json
import select
import socket
import sys
import time


def main():
    host, port, settle, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    sockets = []
    for source in sys.argv[5:]:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.connect((host, port))
        sockets.append(s)
        time.sleep(0.01)  # one at a time, as the server counts them
    deadline = time.time() + settle
    state = ["held"] * len(sockets)
    while time.time() < deadline:
        open_ones = [s for s, st in zip(sockets, state) if st == "held"]
        ready, _, _ = select.select(open_ones, [], [], max(0.0, deadline - time.time()))
        for s in ready:
            try:
                data = s.recv(4096)
            except ConnectionResetError:
                data = b""
            if not data:
                state[sockets.index(s)] = "closed"
    print(json.dumps(state), flush=True)
    time.sleep(hold)


if __name__ == "__main__":
    main()
