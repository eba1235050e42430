"""Runs the Winsock example server and client against each other on loopback, with a development
PKI made by `ssx pki` (server: DNS server.test, client: spiffe://test/client), and checks what both
print. Used by CTest (label `examples`):

    run_example.py --ssx SSX --server SERVER --client CLIENT [--scenario ok|wrong-name]

ok:         the client requires host/server.test, talks, queries; the server impersonates it.
wrong-name: the client requires host/other.test; its WSAConnect fails with WSAEACCES (10013) and
            the server's WSAAccept reports the failed handshake.
Every process runs with a timeout; the script exits non-zero with the reason on any mismatch.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from example_pair import check, run_pair  # noqa: E402  (examples/example_pair.py)

MESSAGE = "Hello from the secure client"
REPLY = "Hello from the secure server"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ssx", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--scenario", choices=["ok", "wrong-name"], default="ok")
    args = ap.parse_args()
    fqdn = "server.test" if args.scenario == "ok" else "other.test"

    server_code, server_out, client_code, client_out = run_pair(
        args.ssx, "test", [args.server, "0", "1"], lambda port: [args.client, fqdn, "127.0.0.1", port, MESSAGE])

    if args.scenario == "ok":
        check(client_code == 0, "the client exited with %d" % client_code, client_out)
        check(server_code == 0, "the server exited with %d" % server_code, server_out)
        check(re.fullmatch(
            r"connected to server\.test as host/server\.test at 127\.0\.0\.1:\d+\nsent: {m}\nreceived: {r}\n"
            r"secured: yes, encrypted: yes\npeer: spiffe://test/server\n".format(m=re.escape(MESSAGE),
                                                                               r=re.escape(REPLY)),
            client_out), "the client's output", client_out)
        check(re.fullmatch(
            r"listening on 127\.0\.0\.1:\d+\nreceived: {m}\nimpersonating: spiffe://test/client\n"
            r"access: granted\nsent: {r}\n".format(m=re.escape(MESSAGE), r=re.escape(REPLY)),
            server_out), "the server's output", server_out)
    else:
        check(client_code == 1, "the client exited with %d" % client_code, client_out)
        check(re.search(r"^WSAConnect failed with error 10013: .*other\.test", client_out, re.M),
              "the client's WSAEACCES", client_out)
        check(server_code == 1, "the server exited with %d" % server_code, server_out)
        check(re.search(r"^WSAAccept failed with error \d+: ", server_out, re.M), "the server's WSAAccept failure",
              server_out)
    print(server_out + client_out, end="")
    print("PASS")


if __name__ == "__main__":
    main()
