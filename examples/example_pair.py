"""What the example runners share (examples/c/run_example.py, examples/winsock/run_example.py):
a development PKI made by `ssx pki`, an example server started on a free loopback port, one client
run against it, every process under a timeout."""
import os
import re
import select
import subprocess
import sys
import tempfile

TIMEOUT = 30


def check(condition, what, output):
    """Exits with the reason and the programs' output when `condition` is false."""
    if not condition:
        sys.exit("FAIL: %s\n--- output ---\n%s" % (what, output))


def run_pair(ssx, domain, server_cmd, client_cmd):
    """Issues "server" (DNS server.DOMAIN, IP 127.0.0.1, URI spiffe://DOMAIN/server) and "client"
    (URI spiffe://DOMAIN/client) in a fresh PKI; runs `server_cmd` (it must print
    "listening on 127.0.0.1:PORT" first) with SSX_POLICY=server.toml, then `client_cmd(port)` with
    SSX_POLICY=client.toml. Returns (server exit code, server output, client exit code, client
    output); the server's output includes its first line."""
    with tempfile.TemporaryDirectory(prefix="ssx-example-") as tmp:
        pki = os.path.join(tmp, "pki")
        for cmd in (["pki", "init", pki],
                    ["pki", "issue", pki, "server", "--dns", "server." + domain, "--ip", "127.0.0.1",
                     "--uri", "spiffe://%s/server" % domain],
                    ["pki", "issue", pki, "client", "--uri", "spiffe://%s/client" % domain, "--client"]):
            subprocess.run([ssx, *cmd], check=True, capture_output=True, timeout=TIMEOUT)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SSX_")}

        server = subprocess.Popen(server_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  env=dict(env, SSX_POLICY=pki + "/server.toml"))
        try:
            ready, _, _ = select.select([server.stdout], [], [], TIMEOUT)
            first = server.stdout.readline().decode() if ready else ""
            m = re.fullmatch(r"listening on 127\.0\.0\.1:(\d+)\n", first)
            if not m:
                server.kill()
                check(False, "the server did not start", first + server.stdout.read().decode())
            client = subprocess.run(client_cmd(m.group(1)), capture_output=True, timeout=TIMEOUT,
                                    env=dict(env, SSX_POLICY=pki + "/client.toml"))
            server_out = first + server.communicate(timeout=TIMEOUT)[0].decode()
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
    return server.returncode, server_out, client.returncode, client.stdout.decode() + client.stderr.decode()
