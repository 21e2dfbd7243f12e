#!/usr/bin/python3
"""Holds one authenticated SFTP session open until stdin closes; prints "ready" once it is
served (or the server's refusal). Usage: hold_session.py PORT KEYFILE USER"""
import sys

import paramiko

port, key, user = int(sys.argv[1]), sys.argv[2], sys.argv[3]
client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
try:
    client.connect("127.0.0.1", port=port, username=user, key_filename=key,
                   look_for_keys=False, allow_agent=False, timeout=20)
    sftp = client.open_sftp()
    sftp.listdir("/")
    print("ready", flush=True)
except Exception as e:  # reported to the test, which asserts on it
    print("refused:", e, flush=True)
sys.stdin.read()
client.close()
