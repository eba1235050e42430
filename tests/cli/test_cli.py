"""Tests of the `ssx` command: every subcommand, its exact output and exit code, successes and
failures (bad policy, wrong target name, unreachable peer, untrusted peer, refused impersonation).

Run by CTest (label `cli`, registered in cli/CMakeLists.txt) as
    SSX_BIN=<build>/out/ssx /usr/bin/python3 -m pytest tests/cli/test_cli.py -k test_<group>_
Every process runs with a timeout and every server with --count, so nothing can hang.
"""
import json
import os
import pwd
import re
import select
import shutil
import socket
import stat
import subprocess
import tempfile
import time

import pytest

SSX = os.environ.get("SSX_BIN", "")
TIMEOUT = 30  # seconds, for any one process
# Exit codes (docs/cli.md).
OK, SECURITY, USAGE, CONFIG, NETWORK = 0, 1, 2, 3, 4


@pytest.fixture(scope="session", autouse=True)
def ssx_binary():
    assert SSX and os.access(SSX, os.X_OK), "set SSX_BIN to the built ssx program"


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSX_")}
    env.update(extra)
    return env


def run(*args, env=None, input=None, timeout=TIMEOUT):
    return subprocess.run(
        [SSX, *map(str, args)],
        env=env if env is not None else clean_env(),
        input=input,
        capture_output=True,
        timeout=timeout,
    )


def out(p):
    return p.stdout.decode()


def err(p):
    return p.stderr.decode()


class Pki:
    """A development PKI made with `ssx pki`: server (server.test, 127.0.0.1, spiffe://test/server)
    and a client-only alice (spiffe://test/alice)."""

    def __init__(self, root):
        self.dir = root
        assert run("pki", "init", root).returncode == OK
        self.server = self.issue("server", "--dns", "server.test", "--ip", "127.0.0.1",
                                 "--uri", "spiffe://test/server")
        self.alice = self.issue("alice", "--uri", "spiffe://test/alice", "--client")

    def issue(self, name, *args):
        p = run("pki", "issue", self.dir, name, *args, "--json")
        assert p.returncode == OK, err(p)
        return json.loads(out(p))

    def policy(self, name):
        return os.path.join(self.dir, name + ".toml")

    def env(self, name):
        return clean_env(SSX_POLICY=self.policy(name))


@pytest.fixture
def pki(tmp_path):
    return Pki(str(tmp_path / "pki"))


class Server:
    """`ssx serve 127.0.0.1:0 --count N ...`; knows its port from the first line it prints."""

    def __init__(self, args, env, count=1):
        self.proc = subprocess.Popen(
            [SSX, "serve", "127.0.0.1:0", "--count", str(count), *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        assert ready, "ssx serve printed nothing"
        self.first_line = self.proc.stdout.readline().decode()
        m = re.match(r'(listening on |\{"event":"listening","address":")127\.0\.0\.1:(\d+)', self.first_line)
        if not m:
            self.kill()  # before reading stderr: a live server would never close it
            pytest.fail("ssx serve did not start: " + self.first_line + self.proc.stderr.read().decode())
        self.port = int(m.group(2))
        self.address = "127.0.0.1:%d" % self.port

    def finish(self):
        """Waits for --count connections to end; returns (exit code, stdout lines after the first)."""
        try:
            stdout, stderr = self.proc.communicate(timeout=TIMEOUT)
        finally:
            self.kill()
        self.stderr = stderr.decode()
        return self.proc.returncode, stdout.decode().splitlines()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def servers():
    started = []

    def start(args, env, count=1):
        s = Server(args, env, count)
        started.append(s)
        return s

    yield start
    for s in started:
        s.kill()


def free_port():
    """A port nothing listens on (bound then released; loopback only)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def openssl_text(pem):
    return subprocess.run(["openssl", "x509", "-noout", "-text", "-in", pem], capture_output=True,
                          check=True, timeout=TIMEOUT).stdout.decode()


# ------------------------------------------------------------------------------------------------
# usage: help, version, bad command lines
# ------------------------------------------------------------------------------------------------

HELP_COMMANDS = [["demo"], ["pki"], ["pki", "init"], ["pki", "issue"], ["policy"], ["policy", "check"],
                 ["serve"], ["connect"], ["query"]]


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=" ".join)
def test_usage_help_on_every_subcommand(command):
    p = run(*command, "--help")
    assert p.returncode == OK
    assert out(p).splitlines()[1].startswith("Usage: ssx " + " ".join(command) + " [OPTIONS]")


def test_usage_top_level_help_lists_commands_and_exit_codes():
    p = run("--help")
    assert p.returncode == OK
    text = out(p)
    for command in ("demo", "pki", "policy", "serve", "connect", "query"):
        assert re.search(r"^  %s\s" % command, text, re.M), command
    assert "Exit codes: 0 ok, 1 security\nfailure, 2 usage, 3 configuration (policy, credentials), 4 network" in text


def test_usage_version():
    p = run("--version")
    assert (p.returncode, out(p)) == (OK, "ssx 0.1.0\n")


def test_usage_no_subcommand():
    p = run()
    assert p.returncode == USAGE
    assert err(p).startswith("A subcommand is required")


def test_usage_unknown_option():
    p = run("query", "127.0.0.1:1", "--no-such-option")
    assert p.returncode == USAGE
    assert "--no-such-option" in err(p)


@pytest.mark.parametrize("address,why", [
    ("localhost", "missing ':PORT'"),
    ("127.0.0.1:", "PORT must be a number from 0 to 65535"),
    ("127.0.0.1:65536", "PORT must be a number from 0 to 65535"),
    (":443", "missing HOST"),
    ("[::1:443", "missing ']' after the IPv6 address"),
    ("[::1]443", "missing ':PORT' after ']'"),
    ("[nope]:443", "'nope' is not an IPv6 address"),
    ("::1:443", "put IPv6 addresses in brackets"),
])
def test_usage_bad_address(address, why):
    p = run("query", address, "--target-name", "x")
    assert p.returncode == USAGE
    assert err(p) == ("ssx: invalid ADDRESS '%s': %s; use HOST:PORT, e.g. 127.0.0.1:4433 or [::1]:4433\n"
                      % (address, why))


def test_usage_cert_without_key():
    p = run("query", "127.0.0.1:1", "--cert", "x.pem", "--target-name", "x")
    assert p.returncode == USAGE
    assert err(p) == "ssx: --cert and --key go together; give both (or neither, to use the policy)\n"


def test_usage_echo_and_exec_exclude_each_other():
    p = run("serve", "127.0.0.1:0", "--echo", "--exec", "cat")
    assert p.returncode == USAGE
    assert "--echo excludes --exec" in err(p)


def test_usage_json_error_object_on_stdout():
    p = run("query", "nohost", "--json")
    assert p.returncode == USAGE
    assert json.loads(out(p)) == {
        "ok": False, "exit_code": USAGE, "error": None,
        "message": "invalid ADDRESS 'nohost': missing ':PORT'; use HOST:PORT, e.g. 127.0.0.1:4433 or [::1]:4433"}


# ------------------------------------------------------------------------------------------------
# pki
# ------------------------------------------------------------------------------------------------

def test_pki_init_creates_a_private_ca(tmp_path):
    d = str(tmp_path / "ca")
    p = run("pki", "init", d)
    assert p.returncode == OK, err(p)
    assert out(p).splitlines() == [
        "Created a development CA in " + d,
        "  ca.pem       CA certificate: the trust anchor every peer of this PKI uses",
        "  ca.key       CA private key (mode 0600): keep it secret; it signs new certificates",
        "Next: ssx pki issue %s server --dns server.example --ip 127.0.0.1" % d,
        "Development only: use your organisation's CA in production.",
    ]
    assert mode(d) == 0o700
    assert mode(os.path.join(d, "ca.key")) == 0o600
    text = openssl_text(os.path.join(d, "ca.pem"))
    assert "Subject: CN = ssx development CA" in text
    assert "CA:TRUE, pathlen:0" in text
    assert "ASN1 OID: prime256v1" in text


def test_pki_init_json_and_custom_name(tmp_path):
    d = str(tmp_path / "ca")
    p = run("pki", "init", d, "--cn", "Test Root", "--days", "2", "--json")
    assert p.returncode == OK
    assert json.loads(out(p)) == {"ok": True, "dir": d, "ca_certificate": d + "/ca.pem", "ca_key": d + "/ca.key"}
    assert "Subject: CN = Test Root" in openssl_text(d + "/ca.pem")


def test_pki_init_refuses_an_existing_ca(tmp_path):
    d = str(tmp_path / "ca")
    assert run("pki", "init", d).returncode == OK
    before = open(d + "/ca.key").read()
    p = run("pki", "init", d)
    assert p.returncode == USAGE
    assert err(p) == "ssx: %s already holds a CA (ca.key); choose another folder or delete it\n" % d
    assert open(d + "/ca.key").read() == before


def test_pki_issue_writes_certificate_key_and_policy(tmp_path):
    d = str(tmp_path / "pki")
    assert run("pki", "init", d).returncode == OK
    p = run("pki", "issue", d, "db", "--dns", "db.test", "--ip", "127.0.0.1", "--ip", "::1",
            "--uri", "spiffe://test/db")
    assert p.returncode == OK, err(p)
    lines = out(p).splitlines()
    assert lines[0] == "Issued 'db' (server and client authentication), signed by %s/ca.pem" % d
    assert lines[1:5] == [
        "  certificate  %s/db.pem (leaf, then the CA)" % d,
        "  private key  %s/db.key (mode 0600)" % d,
        "  policy       %s/db.toml" % d,
        "  names        DNS:db.test, IP:127.0.0.1, IP:::1, URI:spiffe://test/db",
    ]
    assert re.fullmatch(r"  sha256       [0-9A-F]{64}", lines[5])
    assert re.fullmatch(r"  valid until  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", lines[6])
    assert lines[7] == "Use it: SSX_POLICY=%s/db.toml ssx serve 127.0.0.1:4433" % d
    assert mode(d + "/db.key") == 0o600
    text = openssl_text(d + "/db.pem")
    assert "DNS:db.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, URI:spiffe://test/db" in text
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in text
    # The fingerprint printed is the certificate's.
    fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", d + "/db.pem"],
                        capture_output=True, check=True).stdout.decode()
    assert fp.strip().split("=")[1].replace(":", "") == lines[5].split()[-1]
    # The policy written is valid and points at the files.
    check = run("policy", "check", d + "/db.toml")
    assert check.returncode == OK, out(check)
    assert 'certificate = "%s/db.pem"' % d in out(check)


def test_pki_issue_client_only_and_server_only(tmp_path):
    d = str(tmp_path / "pki")
    assert run("pki", "init", d).returncode == OK
    c = run("pki", "issue", d, "alice", "--uri", "spiffe://test/alice", "--client", "--json")
    assert json.loads(out(c))["usage"] == "client"
    text = openssl_text(d + "/alice.pem")
    assert "TLS Web Client Authentication" in text and "TLS Web Server Authentication" not in text
    s = run("pki", "issue", d, "web", "--dns", "web.test", "--server", "--json")
    assert json.loads(out(s))["usage"] == "server"
    text = openssl_text(d + "/web.pem")
    assert "TLS Web Server Authentication" in text and "TLS Web Client Authentication" not in text
    both = run("pki", "issue", d, "x", "--client", "--server")
    assert both.returncode == USAGE


@pytest.mark.parametrize("args,message", [
    (["bad/name"], 'name "bad/name" is invalid: use 1 to 64 of A-Z a-z 0-9 . _ -, not starting with \'.\''),
    (["x", "--dns", "not a name"],
     'DNS name "not a name" is invalid: use letters, digits, \'-\' and \'.\' only (and \'*\' in the leftmost label)'),
])
def test_pki_issue_refuses_bad_input(tmp_path, args, message):
    d = str(tmp_path / "pki")
    assert run("pki", "init", d).returncode == OK
    p = run("pki", "issue", d, *args)
    assert (p.returncode, err(p)) == (USAGE, "ssx: " + message + "\n")
    assert sorted(os.listdir(d)) == ["ca.key", "ca.pem"], "nothing is written for refused input"


def test_pki_issue_without_a_ca(tmp_path):
    p = run("pki", "issue", str(tmp_path), "x", "--dns", "x.test")
    assert p.returncode in (USAGE, CONFIG)
    assert err(p).startswith("ssx: ") and "ca" in err(p).lower()
    assert len(err(p).splitlines()) == 1


# ------------------------------------------------------------------------------------------------
# policy check
# ------------------------------------------------------------------------------------------------

def test_policy_check_valid_prints_effective_settings(pki):
    f = pki.policy("server")
    with open(f, "a") as fh:
        fh.write('\n[impersonation]\nos_credentials = true\n\n[[identity_map]]\npeer = "spiffe://test/alice"\n'
                 'user = "nobody"\n')
    p = run("policy", "check", f)
    assert p.returncode == OK, out(p)
    d = pki.dir
    assert out(p) == (
        "# %s: valid. Effective settings, defaults included:\n" % f +
        "[tls]\n"
        'certificate = "%s/server.pem"\n' % d +
        'private_key = "%s/server.key"\n' % d +
        'trust_anchors = "%s/ca.pem"\n' % d +
        'min_version = "1.3"\n'
        'cipher_suites = ""   # ssx\'s default order\n'
        "handshake_timeout_ms = 10000\n"
        "allow_insecure = true\n"
        "session_resumption = true\n"
        "\n[peer_name]\n"
        'verification = "required"\n'
        "\n[impersonation]\n"
        "os_credentials = true\n"
        "allow_root = false\n"
        "\n[[identity_map]]   # line 11\n"
        'peer = "spiffe://test/alice"\n'
        'user = "nobody"\n')
    assert err(p) == ""


def write_bad_policy(tmp_path):
    f = str(tmp_path / "bad.toml")
    with open(f, "w") as fh:
        fh.write('[tls]\nmin_version = "1.1"\nbogus = 1\n[impersonation]\nos_credentials = "yes"\n')
    return f


def test_policy_check_reports_every_problem_with_file_line_key(tmp_path):
    f = write_bad_policy(tmp_path)
    p = run("policy", "check", f)
    assert p.returncode == CONFIG
    assert out(p).splitlines() == [
        f + ':2:15: tls.min_version: is "1.1"; use "1.3" (the default) or "1.2" (TLS 1.0 and 1.1 are not supported)',
        f + ":3:1: tls.bogus: unknown key 'bogus' in [tls]; remove it or use one of: certificate, private_key, "
            "trust_anchors, min_version, cipher_suites, handshake_timeout_ms, allow_insecure, session_resumption",
        f + ":5:18: impersonation.os_credentials: must be a boolean, not a string; for example: "
            "os_credentials = false",
    ]
    assert err(p) == "ssx: 3 problems in %s; fix them and run 'ssx policy check' again\n" % f


def test_policy_check_json(tmp_path):
    f = write_bad_policy(tmp_path)
    p = run("policy", "check", f, "--json")
    assert p.returncode == CONFIG
    doc = json.loads(out(p))  # exactly one JSON document on stdout
    assert doc["ok"] is False and doc["effective"] is None and doc["file"] == f
    assert [(x["line"], x["column"], x["key"]) for x in doc["problems"]] == [
        (2, 15, "tls.min_version"), (3, 1, "tls.bogus"), (5, 18, "impersonation.os_credentials")]


def test_policy_check_json_valid(pki):
    p = run("policy", "check", pki.policy("server"), "--json")
    assert p.returncode == OK
    doc = json.loads(out(p))
    assert doc["ok"] is True and doc["problems"] == []
    assert doc["effective"]["tls"]["certificate"] == pki.dir + "/server.pem"
    assert doc["effective"]["impersonation"] == {"os_credentials": False, "allow_root": False}


def test_policy_check_defaults_to_ssx_policy(pki):
    p = run("policy", "check", env=pki.env("alice"))
    assert p.returncode == OK
    assert out(p).startswith("# %s: valid." % pki.policy("alice"))


def test_policy_check_needs_a_file():
    p = run("policy", "check")
    assert (p.returncode, err(p)) == (USAGE, "ssx: no policy to check: give FILE or set SSX_POLICY\n")


def test_policy_check_missing_file(tmp_path):
    f = str(tmp_path / "missing.toml")
    p = run("policy", "check", f)
    assert p.returncode == CONFIG
    assert out(p) == (f + ": cannot read the policy file: No such file or directory; check the path "
                      "(SSX_POLICY) and the file's permissions\n")


# ------------------------------------------------------------------------------------------------
# query
# ------------------------------------------------------------------------------------------------

def test_query_prints_security_and_peer_identity(pki, servers):
    s = servers([], pki.env("server"))
    p = run("query", s.address, "--target-name", "server.test", env=pki.env("alice"))
    assert p.returncode == OK, err(p)
    lines = out(p).splitlines()
    assert re.fullmatch(r"Connected to %s from 127\.0\.0\.1:\d+; the peer proved 'server\.test'\." % s.address,
                        lines[0])
    assert lines[1] == "  security     secured, encrypted"
    assert re.fullmatch(r"  protocol     TLS 1\.3, TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)",
                        lines[2])
    assert lines[3:12] == [
        "  alpn         (none)",
        "  resumed      no (full handshake)",
        "  verified     yes",
        "  peer         spiffe://test/server",
        "  subject      CN=server",
        "  names        DNS:server.test, IP:127.0.0.1, URI:spiffe://test/server",
        "  sha256       " + pki.server["sha256"],
        "  account      (not mapped to a local account)",
        "  chain        [0] CN=server",
    ]
    assert lines[12] == "                   issued by CN=ssx development CA"
    code, log = s.finish()
    assert code == OK, s.stderr
    assert log[0].startswith("[127.0.0.1:") and "] connected: spiffe://test/alice (TLS 1.3, " in log[0]


def test_query_json(pki, servers):
    s = servers([], pki.env("server"))
    p = run("query", s.address, "--target-name", "spiffe://test/server", "--json", env=pki.env("alice"))
    assert p.returncode == OK, err(p)
    doc = json.loads(out(p))
    assert doc["ok"] is True and doc["target_name"] == "spiffe://test/server"
    c = doc["connection"]
    assert (c["secured"], c["encrypted"], c["impersonated"], c["tls_version"], c["resumed"]) == \
        (True, True, False, "TLS 1.3", False)
    assert c["peer"]["spiffe_id"] == "spiffe://test/server"
    assert c["peer"]["sha256"] == pki.server["sha256"]
    assert c["peer"]["names"] == ["DNS:server.test", "IP:127.0.0.1", "URI:spiffe://test/server"]
    assert s.finish()[0] == OK, s.stderr


def test_query_wrong_target_name_fails_closed(pki, servers):
    s = servers([], pki.env("server"))
    p = run("query", s.address, "--target-name", "wrong.test", env=pki.env("alice"))
    assert p.returncode == SECURITY
    assert out(p) == ""
    assert err(p) == ("ssx: connection to %s not secured: peer certificate does not match target name "
                      "'wrong.test' (presented: DNS:server.test, IP:127.0.0.1, URI:spiffe://test/server)\n"
                      % s.address)
    code, log = s.finish()
    assert code == OK, s.stderr
    assert log[0].startswith("refused: ")


def test_query_wrong_target_name_json(pki, servers):
    s = servers([], pki.env("server"))
    p = run("query", s.address, "--target-name", "spiffe://test/other", "--json", env=pki.env("alice"))
    assert p.returncode == SECURITY
    doc = json.loads(out(p))
    assert (doc["ok"], doc["exit_code"], doc["error"]) == (False, SECURITY, "SSX_E_NAME_MISMATCH")


def test_query_untrusted_server(pki, servers, tmp_path):
    other = Pki(str(tmp_path / "other"))
    s = servers([], other.env("server"))
    p = run("query", s.address, "--target-name", "server.test", "--json", env=pki.env("alice"))
    assert p.returncode == SECURITY
    assert json.loads(out(p))["error"] == "SSX_E_PEER_UNTRUSTED"


def test_query_unreachable(pki):
    port = free_port()
    p = run("query", "127.0.0.1:%d" % port, "--target-name", "server.test", env=pki.env("alice"))
    assert p.returncode == NETWORK
    assert err(p) == ("ssx: cannot connect to 127.0.0.1:%d: TCP connect to 127.0.0.1:%d failed: Connection "
                      "refused; check that the server runs and the port is right\n" % (port, port))


def test_query_without_target_name(pki):
    p = run("query", "127.0.0.1:%d" % free_port(), env=pki.env("alice"))
    assert p.returncode == SECURITY
    assert "without a target name: give --target-name NAME, the identity the server must prove" in err(p)


def test_query_without_credentials():
    p = run("query", "127.0.0.1:%d" % free_port(), "--target-name", "x")
    assert p.returncode == CONFIG
    assert err(p).startswith("ssx: cannot secure the socket: no TLS credentials configured")
    assert err(p).endswith("(with ssx: --policy FILE, e.g. one written by 'ssx pki issue', or --cert, --key "
                           "and --trust)\n")


def test_query_bad_policy(tmp_path):
    f = write_bad_policy(tmp_path)
    p = run("query", "127.0.0.1:1", "--target-name", "x", env=clean_env(SSX_POLICY=f))
    assert p.returncode == CONFIG
    assert err(p) == ("ssx: cannot secure the socket: " + f + ':2:15: tls.min_version: is "1.1"; use "1.3" '
                      '(the default) or "1.2" (TLS 1.0 and 1.1 are not supported) (and 2 more problems: run '
                      "'ssx policy check' to see all)\n")


def test_query_with_credential_options_and_policy_option(pki, servers):
    # The server gets its credentials from --policy, the client from --cert/--key/--trust.
    s = servers(["--policy", pki.policy("server")], clean_env())
    d = pki.dir
    p = run("query", s.address, "--target-name", "127.0.0.1", "--cert", d + "/alice.pem", "--key",
            d + "/alice.key", "--trust", d + "/ca.pem", "--json")
    assert p.returncode == OK, err(p)
    assert json.loads(out(p))["connection"]["peer"]["name"] == "spiffe://test/server"
    assert s.finish()[0] == OK, s.stderr


# ------------------------------------------------------------------------------------------------
# connect
# ------------------------------------------------------------------------------------------------

def test_connect_prints_the_whole_answer_after_end_of_input(pki, servers):
    # The server answers only after it has read our end of input: connect must close just its
    # sending side and keep printing until the server closes.
    s = servers(["--exec", "cat; sleep 0.3; echo after-eof"], pki.env("server"))
    p = run("connect", s.address, "--target-name", "server.test", input=b"hello\nworld\n", env=pki.env("alice"))
    assert p.returncode == OK, err(p)
    assert out(p) == "hello\nworld\nafter-eof\n"
    lines = err(p).splitlines()
    assert re.fullmatch(r"ssx: connected to %s: spiffe://test/server \(TLS 1\.3, TLS_\w+, new session\)"
                        % s.address, lines[0])
    assert lines[1:] == ["ssx: the peer closed the connection"]
    code, log = s.finish()
    assert code == OK, s.stderr
    assert log[-1].endswith("] closed; the command ended with exit status 0")


def test_connect_quiet_and_large_binary_payload(pki, servers):
    s = servers(["--echo"], pki.env("server"))
    payload = os.urandom(1 << 20) + bytes(range(256))
    p = run("connect", s.address, "--target-name", "server.test", "-q", input=payload, env=pki.env("alice"))
    assert p.returncode == OK, err(p)
    assert p.stdout == payload
    assert err(p) == ""
    code, log = s.finish()
    assert log[-1].endswith("] closed after echoing %d bytes" % len(payload))


def test_connect_wrong_target_name(pki, servers):
    s = servers([], pki.env("server"))
    p = run("connect", s.address, "--target-name", "db.test", input=b"secret\n", env=pki.env("alice"))
    assert p.returncode == SECURITY
    assert out(p) == ""
    assert "peer certificate does not match target name 'db.test'" in err(p)
    s.finish()


def test_connect_unreachable(pki):
    port = free_port()
    p = run("connect", "127.0.0.1:%d" % port, "--target-name", "server.test", input=b"x", env=pki.env("alice"))
    assert p.returncode == NETWORK
    assert err(p).startswith("ssx: cannot connect to 127.0.0.1:%d: " % port)
    assert err(p).count("\n") == 1


def test_connect_ipv6(pki, servers):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    # A server on [::1] with a certificate for ::1.
    pki.issue("server6", "--ip", "::1")
    proc = subprocess.Popen([SSX, "serve", "[::1]:0", "--count", "1"], env=pki.env("server6"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        m = re.match(r"listening on \[::1\]:(\d+) ", line)
        assert m, line + proc.stderr.read().decode()
        p = run("connect", "[::1]:%s" % m.group(1), "--target-name", "::1", "-q", input=b"v6\n",
                env=pki.env("alice"))
        assert (p.returncode, out(p)) == (OK, "v6\n"), err(p)
        proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == OK
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------------------------------------
# serve
# ------------------------------------------------------------------------------------------------

def test_serve_prints_each_peer_and_echoes(pki, servers):
    s = servers([], pki.env("server"), count=2)
    assert s.first_line == "listening on %s (echo)\n" % s.address
    for text in (b"one\n", b"two\n"):
        p = run("connect", s.address, "--target-name", "server.test", "-q", input=text, env=pki.env("alice"))
        assert (p.returncode, p.stdout) == (OK, text), err(p)
    code, log = s.finish()
    assert code == OK, s.stderr
    assert len(log) == 4
    for i in (0, 2):
        assert re.fullmatch(r"\[127\.0\.0\.1:\d+\] connected: spiffe://test/alice \(TLS 1\.3, TLS_\w+, "
                            r"(new session|resumed)\), sha256 %s" % pki.alice["sha256"], log[i]), log[i]
        assert re.fullmatch(r"\[127\.0\.0\.1:\d+\] closed after echoing 4 bytes", log[i + 1])


def test_serve_json_events(pki, servers):
    s = servers(["--json"], pki.env("server"))
    assert json.loads(s.first_line) == {"event": "listening", "address": s.address, "mode": "echo"}
    p = run("connect", s.address, "--target-name", "server.test", "-q", input=b"abc", env=pki.env("alice"))
    assert p.returncode == OK
    code, log = s.finish()
    events = [json.loads(line) for line in log]
    assert [e["event"] for e in events] == ["connected", "closed"]
    assert events[0]["connection"]["peer"]["name"] == "spiffe://test/alice"
    assert events[1]["bytes"] == 3


def test_serve_exec_gives_the_command_the_peer_identity(pki, servers):
    s = servers(["--exec", 'printf "%s|%s|%s\\n" "$SSX_PEER_NAME" "$SSX_PEER_SHA256" "$SSX_PEER_SPIFFE_ID"'],
                pki.env("server"))
    assert s.first_line.endswith("(exec 'printf \"%s|%s|%s\\n\" \"$SSX_PEER_NAME\" \"$SSX_PEER_SHA256\" "
                                 "\"$SSX_PEER_SPIFFE_ID\"')\n")
    p = run("connect", s.address, "--target-name", "server.test", "-q", input=b"", env=pki.env("alice"))
    assert p.returncode == OK, err(p)
    assert out(p) == "spiffe://test/alice|%s|spiffe://test/alice\n" % pki.alice["sha256"]
    assert s.finish()[0] == OK, s.stderr


def test_serve_refuses_an_untrusted_client(pki, servers, tmp_path):
    other = Pki(str(tmp_path / "other"))
    s = servers([], pki.env("server"))
    p = run("connect", s.address, "--target-name", "server.test", input=b"x", env=other.env("alice"))
    assert p.returncode == SECURITY
    code, log = s.finish()
    assert code == OK, s.stderr
    assert len(log) == 1 and log[0].startswith("refused: ")


def mapped_policy(pki, os_credentials):
    f = pki.policy("server-mapped")
    shutil.copy(pki.policy("server"), f)
    with open(f, "a") as fh:
        fh.write("\n[impersonation]\nos_credentials = %s\n\n[[identity_map]]\npeer = \"spiffe://test/alice\"\n"
                 "user = \"nobody\"\n" % ("true" if os_credentials else "false"))
    return f


def can_switch_credentials():
    with open("/proc/self/status") as fh:
        caps = int(next(l for l in fh if l.startswith("CapEff:")).split()[1], 16)
    return bool(caps & (1 << 6)) and bool(caps & (1 << 7))  # CAP_SETGID, CAP_SETUID


def test_serve_impersonate_runs_the_command_as_the_mapped_account(pki, servers):
    if not can_switch_credentials():
        pytest.skip("needs CAP_SETUID and CAP_SETGID (CI runs as root)")
    nobody = pwd.getpwnam("nobody")
    # The folder must be searchable by nobody for the child to start there.
    os.chmod(pki.dir, 0o711)
    s = servers(["--exec", "id -u; id -g; echo $USER", "--impersonate"], clean_env(SSX_POLICY=mapped_policy(pki, True)))
    p = run("connect", s.address, "--target-name", "server.test", "-q", input=b"", env=pki.env("alice"))
    assert p.returncode == OK, err(p)
    assert out(p) == "%d\n%d\nnobody\n" % (nobody.pw_uid, nobody.pw_gid)
    code, log = s.finish()
    assert code == OK, s.stderr
    assert log[1] == "%s impersonating spiffe://test/alice (thread fsuid %d, fsgid %d)" % (
        log[0].split()[0], nobody.pw_uid, nobody.pw_gid)
    assert log[2].endswith("] running the command as nobody")


def test_serve_impersonate_refuses_without_os_credentials(pki, servers):
    # The policy maps the peer but does not allow OS credentials: the command must not run as
    # the server's own account instead.
    marker = os.path.join(pki.dir, "ran")
    s = servers(["--exec", "touch " + marker, "--impersonate"], clean_env(SSX_POLICY=mapped_policy(pki, False)))
    p = run("connect", s.address, "--target-name", "server.test", "-q", input=b"", env=pki.env("alice"))
    assert p.returncode == OK
    assert out(p) == ""
    code, log = s.finish()
    assert code == OK, s.stderr
    assert log[-1].endswith("] refused: --impersonate: the policy does not let impersonation switch OS "
                            "credentials; set [impersonation] os_credentials = true (and run with "
                            "CAP_SETUID/CAP_SETGID)")
    assert not os.path.exists(marker)


def test_serve_impersonate_echo_shows_the_thread_token(pki, servers):
    s = servers(["--impersonate"], pki.env("server"))
    p = run("connect", s.address, "--target-name", "server.test", "-q", input=b"hi", env=pki.env("alice"))
    assert (p.returncode, out(p)) == (OK, "hi")
    code, log = s.finish()
    assert re.fullmatch(r"\[127\.0\.0\.1:\d+\] impersonating spiffe://test/alice \(thread fsuid %d, fsgid %d\)"
                        % (os.getuid(), os.getgid()), log[1])


def test_serve_bad_policy(tmp_path):
    p = run("serve", "127.0.0.1:0", env=clean_env(SSX_POLICY=write_bad_policy(tmp_path)))
    assert p.returncode == CONFIG
    assert err(p).startswith("ssx: cannot secure the socket: ")


def test_serve_address_in_use(pki):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        p = run("serve", "127.0.0.1:%d" % port, env=pki.env("server"))
    assert p.returncode == NETWORK
    assert err(p) == ("ssx: cannot listen on 127.0.0.1:%d: Address already in use; choose another port "
                      "(or 0 for any free one)\n" % port)


# ------------------------------------------------------------------------------------------------
# demo
# ------------------------------------------------------------------------------------------------

@pytest.fixture
def open_tmp():
    """A TMPDIR every account may enter (pytest's own tmp_path sits below a 0700 folder), so the
    demo can show file access as the mapped account."""
    d = tempfile.mkdtemp(prefix="ssx-cli-test-")
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_demo_walkthrough(open_tmp):
    start = time.monotonic()
    p = run("demo", env=clean_env(TMPDIR=open_tmp))
    elapsed = time.monotonic() - start
    assert p.returncode == OK, err(p)
    assert elapsed < 10, "the demo must run in seconds"
    text = out(p)
    steps = [line.split(".")[0] for line in text.splitlines() if re.match(r"\d\. ", line)]
    assert steps == ["1", "2", "3", "4", "5", "6", "7"]
    assert "     peer         spiffe://demo/server\n" in text          # the client's view
    assert "     peer         spiffe://demo/client\n" in text          # the server's view
    assert '4. The server receives "hello from the client".' in text
    assert "     thread token     spiffe://demo/client   (ssx_get_thread_token)\n" in text
    assert "     query flags      secured, encrypted, impersonated by this thread\n" in text
    assert "     thread token     (none)\n" in text                    # after the revert
    assert '6. The client receives the server\'s answer: "HELLO FROM THE CLIENT"' in text
    assert "     client       resumed, peer spiffe://demo/server\n" in text
    assert "     server       resumed, peer spiffe://demo/client re-authorized\n" in text
    assert os.listdir(open_tmp) == [], "the demo removes its PKI"
    assert err(p) == ""


def test_demo_switches_file_access_when_it_may(open_tmp):
    if not can_switch_credentials():
        pytest.skip("needs CAP_SETUID and CAP_SETGID (CI runs as root)")
    nobody = pwd.getpwnam("nobody")
    me = pwd.getpwuid(os.geteuid()).pw_name
    p = run("demo", env=clean_env(TMPDIR=open_tmp))
    assert p.returncode == OK, err(p)
    text = out(p)
    assert "[impersonation] os_credentials = true (this process may switch credentials)" in text
    assert "     account      nobody (uid %d, gid %d)\n" % (nobody.pw_uid, nobody.pw_gid) in text
    assert "     thread fsuid     %d (nobody), was %d (%s)   (/proc/thread-self/status)\n" % (
        nobody.pw_uid, os.geteuid(), me) in text
    assert "     server-only.txt  refused: Permission denied   (mode 0600, owner %s)\n" % me in text
    assert '     peer-only.txt    read "secret of nobody"   (mode 0600, owner nobody)\n' in text
    assert "     thread fsuid     %d (%s)\n" % (os.geteuid(), me) in text     # after the revert
    assert '     server-only.txt  read "secret of the server"\n' in text


def test_demo_without_privileges(open_tmp):
    # As an ordinary account the demo still runs: the principal switches, OS credentials do not.
    if os.geteuid() != 0:
        env = clean_env(TMPDIR=open_tmp)
        cmd = [SSX, "demo"]
    else:
        env = clean_env(TMPDIR=open_tmp, HOME="/")
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all", SSX, "demo"]
    p = subprocess.run(cmd, env=env, capture_output=True, timeout=TIMEOUT)
    assert p.returncode == OK, err(p)
    text = out(p)
    assert "[impersonation] os_credentials = false (needs root or CAP_SETUID+CAP_SETGID)" in text
    assert "     thread token     spiffe://demo/client   (ssx_get_thread_token)\n" in text
    assert ": unchanged, OS credentials are off in this run\n" in text
    assert "server-only.txt" not in text


def test_demo_file_access_not_shown_when_tmpdir_is_closed(tmp_path):
    # pytest's tmp_path is below a 0700 folder: a refusal there would prove nothing, so the demo
    # says so instead of showing it.
    if not can_switch_credentials():
        pytest.skip("needs CAP_SETUID and CAP_SETGID (CI runs as root)")
    p = run("demo", env=clean_env(TMPDIR=str(tmp_path)))
    assert p.returncode == OK, err(p)
    assert "(file access not shown: %s is closed to nobody; set TMPDIR to a folder others may enter)" % tmp_path \
        in out(p)
    assert "server-only.txt" not in out(p)


def test_demo_json(open_tmp):
    p = run("demo", "--json", env=clean_env(TMPDIR=open_tmp))
    assert p.returncode == OK, err(p)
    doc = json.loads(out(p))
    assert doc["ok"] is True
    assert doc["client"]["client_view"]["peer"]["name"] == "spiffe://demo/server"
    assert doc["client"]["reply"] == "HELLO FROM THE CLIENT"
    assert doc["server"]["server_view"]["peer"]["name"] == "spiffe://demo/client"
    imp = doc["server"]["impersonation"]
    assert imp["thread_token"] == "spiffe://demo/client" and imp["impersonated_flag"] is True
    assert imp["thread_token_after"] is None
    assert imp["fsuid_after"] == imp["fsuid_before"]
    assert doc["client"]["client_resumed"] is True and doc["server"]["server_resumed"] is True
    assert not os.path.exists(doc["pki"])
