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
import select
import subprocess
import sys
import tempfile

TIMEOUT = 30
MESSAGE = "Hello from the secure client"
REPLY = "Hello from the secure server"


def check(condition, what, output):
    if not condition:
        sys.exit("FAIL: %s\n--- output ---\n%s" % (what, output))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ssx", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--scenario", choices=["ok", "wrong-name"], default="ok")
    args = ap.parse_args()
    fqdn = "server.test" if args.scenario == "ok" else "other.test"

    with tempfile.TemporaryDirectory(prefix="ssx-winsock-example-") as tmp:
        pki = os.path.join(tmp, "pki")
        for cmd in (["pki", "init", pki],
                    ["pki", "issue", pki, "server", "--dns", "server.test", "--ip", "127.0.0.1",
                     "--uri", "spiffe://test/server"],
                    ["pki", "issue", pki, "client", "--uri", "spiffe://test/client", "--client"]):
            subprocess.run([args.ssx, *cmd], check=True, capture_output=True, timeout=TIMEOUT)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SSX_")}

        server = subprocess.Popen([args.server, "0", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  env=dict(env, SSX_POLICY=pki + "/server.toml"))
        try:
            ready, _, _ = select.select([server.stdout], [], [], TIMEOUT)
            first = server.stdout.readline().decode() if ready else ""
            m = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)\n", first)
            if not m:
                server.kill()
                check(False, "the server did not start", first + server.stdout.read().decode())
            client = subprocess.run([args.client, fqdn, "127.0.0.1", m.group(1), MESSAGE], capture_output=True,
                                    timeout=TIMEOUT, env=dict(env, SSX_POLICY=pki + "/client.toml"))
            server_out = first + server.communicate(timeout=TIMEOUT)[0].decode()
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()

    client_out = client.stdout.decode() + client.stderr.decode()
    if args.scenario == "ok":
        check(client.returncode == 0, "the client exited with %d" % client.returncode, client_out)
        check(server.returncode == 0, "the server exited with %d" % server.returncode, server_out)
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
        check(client.returncode == 1, "the client exited with %d" % client.returncode, client_out)
        check(re.search(r"^WSAConnect failed with error 10013: .*other\.test", client_out, re.M),
              "the client's WSAEACCES", client_out)
        check(server.returncode == 1, "the server exited with %d" % server.returncode, server_out)
        check(re.search(r"^WSAAccept failed with error \d+: ", server_out, re.M), "the server's WSAAccept failure",
              server_out)
    print(server_out + client_out, end="")
    print("PASS")


if __name__ == "__main__":
    main()
