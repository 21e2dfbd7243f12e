"""tuspy (Debian python3-tuspy) uploads FILE as NAME in CHUNK-byte PATCHes with checksums;
prints "ok URL OFFSET" or "error ..." with the status."""
import os, sys
from tusclient import client
endpoint, token, path, name, chunk = sys.argv[1:6]
os.environ["REQUESTS_CA_BUNDLE"] = sys.argv[6]
c = client.TusClient(endpoint, headers={"Authorization": "Bearer " + token})
up = c.uploader(path, chunk_size=int(chunk), metadata={"filename": name}, upload_checksum=True)
try:
    up.upload()
    print("ok", up.url, up.offset)
except Exception as e:
    print("error", type(e).__name__, e)
