"""Resources: descriptors, sockets, threads and tokens are released — after 1,000 connections,
after failed handshakes, with the function API, and for tokens dropped or closed."""

from __future__ import annotations

import ctypes
import gc
import socket
import threading
import time
import weakref

import pytest

import ssx
from conftest import Server, connect_client, creds, open_fds

TIME_BUDGET_S = 90  # the loops stop with a failure rather than run on


def one_byte_echo(conn, addr):
    with conn:
        conn.sendall(conn.recv(1))
        return True


def settle():
    gc.collect()
    time.sleep(0.05)


def test_no_descriptor_leak_after_1000_connections(pki, server_settings):
    n = 1000
    settle()
    fds_before, threads_before = open_fds(), threading.active_count()
    settings = creds(pki, "client")
    start = time.monotonic()
    with Server(server_settings, one_byte_echo, count=n) as server:
        for i in range(n):
            with ssx.create_connection(server.address, 20, target_name="server.test", settings=settings) as sock:
                sock.sendall(b"x")
                assert sock.recv(1) == b"x"
                if i % 10 == 0:
                    with sock.query(ssx.TOKEN_QUERY) as info:
                        assert info.peer_application_token.name == "spiffe://test/server"
            assert time.monotonic() - start < TIME_BUDGET_S, f"only {i} connections in {TIME_BUDGET_S} s"
        assert len(server.join_ok()) == n
    settle()
    assert open_fds() == fds_before
    assert threading.active_count() == threads_before


def test_failed_handshakes_release_everything(pki, server_settings):
    settle()
    fds_before = open_fds()
    with Server(server_settings, one_byte_echo, count=100) as server:
        for _ in range(100):
            with pytest.raises(ssx.CertificateVerificationError):
                connect_client(pki, server.address, target_name="wrong.test")
        server.join()
    assert len(server.errors) == 100  # each server-side accept reported the aborted handshake
    settle()
    assert open_fds() == fds_before


def test_function_api_on_plain_sockets_releases_everything(pki, server_settings):
    settle()
    fds_before = open_fds()
    with Server(server_settings, one_byte_echo, count=200) as server:
        for _ in range(200):
            s = socket.socket()
            ssx.set_socket_security(s, creds(pki, "client"))
            ssx.set_peer_target_name(s, "server.test")
            s.settimeout(20)
            ssx.connect(s, server.address)
            ssx.sendall(s, b"y")
            assert ssx.recv(s, 1) == b"y"
            ssx.close(s)
        server.join_ok()
    settle()
    assert open_fds() == fds_before


def test_secure_sockets_are_freed_without_the_garbage_collector(pki, server_settings):
    with Server(server_settings, one_byte_echo) as server:
        sock = connect_client(pki, server.address)
        sock.sendall(b"z")
        assert sock.recv(1) == b"z"
        ref = weakref.ref(sock)
        sock.close()
        del sock
        assert ref() is None  # no reference cycle keeps a closed socket alive
        server.join_ok()


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def heap_in_use() -> int:
    """Bytes the C heap has handed out (every arena), as glibc counts them."""
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _Mallinfo2
    info = libc.mallinfo2()
    return info.uordblks + info.hblkhd


def test_tokens_are_released_when_closed_or_dropped(pki, server_settings):
    """20,000 tokens through each path; a leak of even one small allocation per token would grow
    the C heap by far more than the bound (ssx_token + malloc overhead is >= 32 bytes)."""
    rounds, bound = 20_000, 256 * 1024

    def churn(sock):
        for _ in range(rounds):
            sock.query(ssx.TOKEN_QUERY)  # dropped: closed by reference counting
            with sock.query(ssx.TOKEN_QUERY | ssx.TOKEN_DUPLICATE) as info:  # closed explicitly
                info.peer_application_token.duplicate()  # a duplicate, dropped

    with Server(server_settings, one_byte_echo) as server:
        with connect_client(pki, server.address) as sock:
            sock.sendall(b"t")
            assert sock.recv(1) == b"t"
            churn(sock)  # warm-up: Python's and glibc's own caches reach their steady state
            settle()
            before = heap_in_use()
            churn(sock)
            settle()
            growth = heap_in_use() - before
        server.join_ok()
    assert growth < bound, f"the C heap grew by {growth} bytes over {rounds} rounds of tokens"


def test_interpreter_exit_with_daemon_threads_inside_ssx(pki, tmp_path):
    """Exit is clean while daemon threads keep calling into ssx (each call returns to Python while
    the interpreter finalizes) and an unclosed SecureSocket is finalized: exit code 0, no abort."""
    script = tmp_path / "exit.py"
    script.write_text(f"""
import threading, time, ssx
def settings(name):
    return ssx.SecuritySettings(certificate_file={str(pki.dir)!r} + "/" + name + ".pem",
                                private_key_file={str(pki.dir)!r} + "/" + name + ".key", trust_file={pki.ca!r})
listener = ssx.create_server(("127.0.0.1", 0), settings=settings("server"))
listener.settimeout(0.01)
def spin():
    while True:
        try:
            listener.accept()
        except TimeoutError:
            pass
for _ in range(2):
    threading.Thread(target=spin, daemon=True).start()
unclosed = ssx.SecureSocket(settings=settings("client"))
time.sleep(0.2)
print("exiting", flush=True)
""")
    import subprocess
    import sys
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == "exiting\n"
    assert "terminate" not in r.stderr and "Fatal" not in r.stderr, r.stderr
