"""The GIL is released while ssx waits, so other Python threads run; signals interrupt waits
(PEP 475); threads may share a socket (one sends while another receives) and run connections
concurrently."""

from __future__ import annotations

import signal
import socket
import threading
import time

import pytest

import ssx
from conftest import Server, connect_client, creds


def progress_during(window_s: float) -> int:
    """Counts loop iterations of pure-Python work this thread manages in window_s seconds."""
    count = 0
    end = time.monotonic() + window_s
    while time.monotonic() < end:
        count += 1
    return count


class Blocked(threading.Thread):
    """Runs call() on a thread; tells when it is about to block and when it returned."""

    def __init__(self, call):
        super().__init__(daemon=True)
        self.call = call
        self.started = threading.Event()
        self.result = None
        self.error = None

    def run(self):
        self.started.set()
        try:
            self.result = self.call()
        except BaseException as e:
            self.error = e


@pytest.mark.parametrize("timeout", [None, 30.0], ids=["blocking", "with-timeout"])
def test_other_threads_run_while_one_is_blocked_in_recv(pki, timeout):
    release = threading.Event()

    def handler(conn, addr):
        with conn:
            assert release.wait(30)
            conn.sendall(b"late")
            return True

    with Server(creds(pki, "server"), handler) as server:
        with connect_client(pki, server.address, timeout=timeout) as sock:
            reader = Blocked(lambda: sock.recv(10))
            reader.start()
            assert reader.started.wait(10)
            time.sleep(0.2)  # let it get into recv()
            # If recv() held the GIL, this thread could not run until recv() returned — and it
            # returns only after `release` below: the window would never end with it still blocked.
            count = progress_during(0.3)
            still_blocked = reader.is_alive()
            release.set()
            reader.join(20)
            assert still_blocked and count > 1000
            assert reader.error is None and reader.result == b"late"
        server.join_ok()


def test_other_threads_run_during_a_handshake(pki):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        settings = creds(pki, "client", handshake_timeout=3)
        connector = Blocked(lambda: ssx.create_connection(silent.getsockname(), None, target_name="server.test",
                                                          settings=settings))
        connector.start()
        assert connector.started.wait(10)
        time.sleep(0.2)
        count = progress_during(0.3)
        still_blocked = connector.is_alive()
        connector.join(20)
        assert still_blocked and count > 1000
        assert isinstance(connector.error, ssx.SecurityTimeoutError)


def test_one_thread_sends_while_another_receives(pki, server_settings):
    with Server(server_settings) as server:  # echo
        with connect_client(pki, server.address, timeout=None) as sock:
            total = 200_000
            received = bytearray()

            def reader():
                while len(received) < total:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    received.extend(chunk)

            t = threading.Thread(target=reader, daemon=True)
            t.start()
            time.sleep(0.1)  # the reader is blocked in recv() when the first send starts
            for i in range(0, total, 10_000):
                sock.sendall(bytes([i // 10_000 % 256]) * 10_000)
            t.join(30)
            assert not t.is_alive() and len(received) == total
            assert received[::10_000] == bytes(i % 256 for i in range(total // 10_000))
        server.join_ok()


def test_concurrent_connections_from_many_threads(pki, server_settings):
    threads, per_thread = 6, 10
    with Server(server_settings, count=threads * per_thread) as server:
        errors = []

        def worker(n):
            try:
                for i in range(per_thread):
                    with connect_client(pki, server.address) as sock:
                        msg = f"{n}:{i}".encode()
                        sock.sendall(msg)
                        got = b""
                        while len(got) < len(msg):
                            got += sock.recv(100)
                        assert got == msg
            except BaseException as e:
                errors.append(e)

        workers = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
        assert not any(w.is_alive() for w in workers) and errors == []
        assert len(server.join_ok()) == threads * per_thread


class Interrupted(Exception):
    pass


@pytest.mark.parametrize("timeout", [None, 30.0], ids=["blocking", "with-timeout"])
def test_a_signal_handler_interrupts_a_blocked_recv(pki, server_settings, timeout):
    def raise_interrupted(signum, frame):
        raise Interrupted()

    release = threading.Event()

    def handler(conn, addr):
        with conn:
            release.wait(30)
            return True

    old = signal.signal(signal.SIGALRM, raise_interrupted)
    try:
        with Server(server_settings, handler) as server:
            with connect_client(pki, server.address, timeout=timeout) as sock:
                signal.setitimer(signal.ITIMER_REAL, 0.3)
                start = time.monotonic()
                with pytest.raises(Interrupted):
                    sock.recv(10)
                assert time.monotonic() - start < 10
                release.set()
            server.join_ok()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_a_signal_whose_handler_returns_does_not_end_the_wait(pki, server_settings):
    calls = []

    def handler(conn, addr):
        with conn:
            time.sleep(0.6)
            conn.sendall(b"data")
            return True

    old = signal.signal(signal.SIGALRM, lambda signum, frame: calls.append(signum))
    try:
        with Server(server_settings, handler) as server:
            with connect_client(pki, server.address, timeout=None) as sock:
                signal.setitimer(signal.ITIMER_REAL, 0.2)
                assert sock.recv(10) == b"data"  # the wait resumed after the handler ran
            server.join_ok()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert calls == [signal.SIGALRM]
