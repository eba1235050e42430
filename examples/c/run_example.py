"""Runs an example server and client against each other on loopback, with a development PKI made
by `ssx pki`, and checks what both print. Used by CTest (label `examples`):

    run_example.py --ssx SSX --server "CMD..." --client "CMD..."

The server command gets the port as its last argument (0: it picks one and prints
"listening on 127.0.0.1:PORT"); the client command gets HOST PORT TARGET_NAME MESSAGE.
Every process runs with a timeout; the script exits non-zero with the reason on any mismatch.
"""
import argparse
import os
import re
import shlex
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from example_pair import check, run_pair  # noqa: E402  (examples/example_pair.py)

MESSAGE = "hello from the example client"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ssx", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", required=True)
    args = ap.parse_args()

    server_code, server_out, client_code, client_out = run_pair(
        args.ssx, "example", shlex.split(args.server) + ["0"],
        lambda port: shlex.split(args.client) + ["127.0.0.1", port, "server.example", MESSAGE])
    check(client_code == 0, "the client exited with %d" % client_code, client_out)
    check(server_code == 0, "the server exited with %d" % server_code, server_out)
    cipher = r"TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)"
    check(re.fullmatch(
        r"sent: {m}\nreceived: {m}\nsecured: yes, encrypted: yes\ntls: TLS 1\.3, {c}, new session\n"
        r"peer: spiffe://example/server\nsha256: [0-9A-F]{{64}}\n".format(m=re.escape(MESSAGE), c=cipher),
        client_out), "the client's output", client_out)
    check(re.fullmatch(
        r"listening on 127\.0\.0\.1:\d+\npeer: spiffe://example/client\ntls: TLS 1\.3, {c}, new session\n"
        r"impersonating: spiffe://example/client\nreverted: the thread is itself again\n"
        r"echoed {n} bytes\n".format(c=cipher, n=len(MESSAGE)),
        server_out), "the server's output", server_out)
    print(server_out + client_out, end="")
    print("PASS")


if __name__ == "__main__":
    main()
