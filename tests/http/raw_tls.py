"""Sends a file's bytes as-is over TLS to 127.0.0.1:PORT and prints the seconds until the server
closed (or the timeout), then everything it answered. For requests curl would refuse to send:
smuggling attempts, oversized or never-finished headers."""
import socket, ssl, sys, time

port, cert, request_file, timeout = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
context = ssl.create_default_context(cafile=cert)
context.check_hostname = False
start = time.monotonic()
answer = b""
with socket.create_connection(("127.0.0.1", port)) as raw:
    with context.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.settimeout(timeout)
        try:
            tls.sendall(open(request_file, "rb").read())
            while True:
                piece = tls.recv(65536)
                if not piece:
                    break
                answer += piece
        except (socket.timeout, ssl.SSLError, ConnectionError):
            pass
print(f"{time.monotonic() - start:.3f}")
sys.stdout.write(answer.decode("latin-1"))
