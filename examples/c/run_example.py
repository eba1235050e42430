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
import select
import shlex
import subprocess
import sys
import tempfile

TIMEOUT = 30
MESSAGE = "hello from the example client"


def check(condition, what, output):
    if not condition:
        sys.exit("FAIL: %s\n--- output ---\n%s" % (what, output))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ssx", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", required=True)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="ssx-example-") as tmp:
        pki = os.path.join(tmp, "pki")
        for cmd in (["pki", "init", pki],
                    ["pki", "issue", pki, "server", "--dns", "server.example", "--ip", "127.0.0.1",
                     "--uri", "spiffe://example/server"],
                    ["pki", "issue", pki, "client", "--uri", "spiffe://example/client", "--client"]):
            subprocess.run([args.ssx, *cmd], check=True, capture_output=True, timeout=TIMEOUT)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SSX_")}

        server = subprocess.Popen(shlex.split(args.server) + ["0"], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, env=dict(env, SSX_POLICY=pki + "/server.toml"))
        try:
            ready, _, _ = select.select([server.stdout], [], [], TIMEOUT)
            first = server.stdout.readline().decode() if ready else ""
            m = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)\n", first)
            if not m:
                server.kill()
                check(False, "the server did not start", first + server.stdout.read().decode())
            client = subprocess.run(shlex.split(args.client) + ["127.0.0.1", m.group(1), "server.example", MESSAGE],
                                    capture_output=True, timeout=TIMEOUT,
                                    env=dict(env, SSX_POLICY=pki + "/client.toml"))
            server_out = first + server.communicate(timeout=TIMEOUT)[0].decode()
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()

    client_out = client.stdout.decode() + client.stderr.decode()
    check(client.returncode == 0, "the client exited with %d" % client.returncode, client_out)
    check(server.returncode == 0, "the server exited with %d" % server.returncode, server_out)
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
