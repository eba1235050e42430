"""Fixtures of the Python binding's suite: a development PKI, credentials, a server thread.

Everything runs on loopback; every wait is bounded, and a watchdog (faulthandler) ends the
process with a traceback if a test hangs anyway — a hang is a failure, never a wait forever.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any, Callable, List, Optional

import pytest

# The administrator's policy must not leak in from the environment: tests pass credentials per
# socket, and the few that test policies set SSX_POLICY themselves.
os.environ["SSX_POLICY"] = ""

import ssx  # noqa: E402  (after SSX_POLICY is cleared)

from pki import Leaf, Pki, make_pki  # noqa: E402

SERVER = Leaf("server", dns=["server.test"], ip=["127.0.0.1", "::1"], uri=["spiffe://test/server"])
CLIENT = Leaf("client", dns=["client.test"], uri=["spiffe://test/client"])
TEST_TIMEOUT_S = 120


_watchdog_out: List[Any] = []


def pytest_configure(config: pytest.Config) -> None:
    # Output capture is suspended while plugins configure: this copy of stderr reaches the terminal
    # (and CTest's log) even while a test's output is captured.
    _watchdog_out.append(os.fdopen(os.dup(2), "w"))


def pytest_unconfigure(config: pytest.Config) -> None:
    while _watchdog_out:
        _watchdog_out.pop().close()


@pytest.fixture(autouse=True)
def watchdog():
    """Ends the process, with every thread's traceback, if a test runs longer than it ever should."""
    faulthandler.dump_traceback_later(TEST_TIMEOUT_S, exit=True, file=_watchdog_out[0])
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), [SERVER, CLIENT])


@pytest.fixture(scope="session")
def rogue(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """Another CA with the same leaf names: trusted by nobody in the tests."""
    return make_pki(tmp_path_factory.mktemp("rogue"), [SERVER, CLIENT])


def creds(pki: Pki, name: str, trust: Optional[Pki] = None, **kwargs: Any) -> ssx.SecuritySettings:
    """Settings presenting NAME.pem/NAME.key and trusting `trust`'s CA (default: the same PKI)."""
    return ssx.SecuritySettings(certificate_file=pki.cert(name), private_key_file=pki.key(name),
                                trust_file=(trust or pki).ca, **kwargs)


def echo(conn: ssx.SecureSocket, _addr: Any) -> bytes:
    """Echoes until the peer's end; returns everything received."""
    got = bytearray()
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return bytes(got)
            got += data
            conn.sendall(data)


class Server:
    """A secured listener on 127.0.0.1 and a thread that accepts `count` connections and runs
    handler(conn, addr) on each; results and exceptions are collected for the test to check."""

    def __init__(self, settings: ssx.SecuritySettings, handler: Callable[[ssx.SecureSocket, Any], Any] = echo,
                 count: int = 1, listener_timeout: Optional[float] = 20.0, family: int = socket.AF_INET) -> None:
        host = "127.0.0.1" if family == socket.AF_INET else "::1"
        self.listener = ssx.create_server((host, 0), family=family, settings=settings)
        self.listener.settimeout(listener_timeout)
        self.address = self.listener.getsockname()[:2]
        self.port = self.address[1]
        self.handler = handler
        self.count = count
        self.results: List[Any] = []
        self.errors: List[BaseException] = []
        self.thread = threading.Thread(target=self._run, name="ssx-test-server", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        # Signals (the tests' SIGALRM) go to the main thread, whose blocked call they test.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        for _ in range(self.count):
            try:
                conn, addr = self.listener.accept()
                self.results.append(self.handler(conn, addr))
            except BaseException as e:  # reported by join()
                self.errors.append(e)

    def join(self, timeout: float = 30.0) -> List[Any]:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"the server thread did not finish within {timeout} s"
        self.listener.close()
        return self.results

    def join_ok(self, timeout: float = 30.0) -> List[Any]:
        results = self.join(timeout)
        if self.errors:
            raise self.errors[0]
        return results

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.thread.is_alive():
            self.thread.join(30)
        self.listener.close()


def connect_client(pki: Pki, address: Any, target_name: str = "server.test", timeout: Optional[float] = 20.0,
                   **kwargs: Any) -> ssx.SecureSocket:
    return ssx.create_connection(address, timeout, target_name=target_name, settings=creds(pki, "client", **kwargs))


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def server_settings(pki: Pki) -> ssx.SecuritySettings:
    return creds(pki, "server")


@pytest.fixture
def client_settings(pki: Pki) -> ssx.SecuritySettings:
    return creds(pki, "client")


@pytest.fixture
def out_dir() -> Path:
    return Path(os.environ.get("SSX_OUT_DIR", ""))
