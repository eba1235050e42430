"""Non-blocking sockets: WantReadError/WantWriteError say which readiness to wait for, so a
selector or asyncio can drive the handshake and the data (ssx.handshake())."""

from __future__ import annotations

import asyncio
import errno
import selectors
import socket
import threading
import time

import pytest

import ssx
from conftest import Server, connect_client, creds, echo


def drive(sock, call, *args, deadline_s: float = 20.0):
    """Repeats call(*args) until it completes, waiting with a selector for the readiness each
    WantReadError/WantWriteError asks for. Returns (result, list of the waits)."""
    waits = []
    end = time.monotonic() + deadline_s
    with selectors.DefaultSelector() as sel:
        while True:
            try:
                return call(*args), waits
            except ssx.WantReadError:
                event = selectors.EVENT_READ
            except ssx.WantWriteError:
                event = selectors.EVENT_WRITE
            waits.append(event)
            sel.register(sock, event)
            assert sel.select(max(0.0, end - time.monotonic())), "the socket never became ready"
            sel.unregister(sock)
            assert time.monotonic() < end


def test_nonblocking_client_driven_by_a_selector(pki, server_settings):
    with Server(server_settings) as server:
        sock = ssx.SecureSocket(settings=creds(pki, "client"), target_name="server.test")
        sock.setblocking(False)
        with sock:
            with pytest.raises(ssx.WantWriteError) as e:
                sock.connect(server.address)
            assert e.value.errno == errno.EINPROGRESS and isinstance(e.value, BlockingIOError)
            # (A fast server may answer within the first call: how many waits it takes varies.)
            drive(sock, ssx.handshake, sock)
            assert sock.query().secured
            with pytest.raises(ssx.WantReadError) as e:
                sock.recv(10)  # nothing sent yet
            assert e.value.errno == errno.EAGAIN and e.value.code == ssx.ErrorCode.WANT_READ
            drive(sock, sock.sendall, b"ping")
            data, _ = drive(sock, sock.recv, 10)
            assert data == b"ping"
        server.join_ok()


def test_nonblocking_listener_hands_over_pending_handshakes(pki, server_settings):
    listener = ssx.create_server(("127.0.0.1", 0), settings=server_settings)
    listener.setblocking(False)
    with listener:
        with pytest.raises(ssx.WantReadError):
            listener.accept()  # no client yet

        result = {}

        def client():
            with connect_client(pki, listener.getsockname(), timeout=20) as c:
                c.sendall(b"hello")
                result["echo"] = c.recv(5)

        t = threading.Thread(target=client, daemon=True)
        t.start()
        (conn, addr), _ = drive(listener, listener.accept)
        with conn:
            conn.setblocking(False)
            _, waits = drive(conn, conn.handshake)
            assert conn.query(ssx.TOKEN_QUERY).peer_application_token.name == "spiffe://test/client"
            data, _ = drive(conn, conn.recv, 5)
            drive(conn, conn.sendall, data)
        t.join(20)
        assert result == {"echo": b"hello"}


def test_function_api_on_a_nonblocking_descriptor(pki, server_settings):
    with Server(server_settings) as server:
        fd = socket.socket().detach()
        try:
            ssx.set_socket_security(fd, creds(pki, "client"))
            ssx.set_peer_target_name(fd, "server.test")
            import os
            os.set_blocking(fd, False)  # a bare O_NONBLOCK descriptor behaves like timeout 0
            with pytest.raises(BlockingIOError):
                ssx.connect(fd, server.address)
            with socket.socket(fileno=os.dup(fd)) as view:  # only for the selector's registration
                drive(view, ssx.handshake, fd)
                drive(view, ssx.sendall, fd, b"abc")
                data, _ = drive(view, ssx.recv, fd, 3)
            assert data == b"abc"
        finally:
            ssx.close(fd)
        server.join_ok()


async def wait_ready(sock, readable: bool) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    fd = sock.fileno()
    add, remove = (loop.add_reader, loop.remove_reader) if readable else (loop.add_writer, loop.remove_writer)
    add(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        remove(fd)


async def call(sock, fn, *args):
    """Runs a non-blocking ssx call to completion on the event loop."""
    while True:
        try:
            return fn(*args)
        except ssx.WantReadError:
            await wait_ready(sock, True)
        except ssx.WantWriteError:
            await wait_ready(sock, False)


def test_asyncio_drives_both_ends(pki):
    async def main():
        listener = ssx.create_server(("127.0.0.1", 0), settings=creds(pki, "server"))
        listener.setblocking(False)

        async def serve():
            conn, _ = await call(listener, listener.accept)
            conn.setblocking(False)
            with conn:
                await call(conn, conn.handshake)
                peer = conn.query(ssx.TOKEN_QUERY).peer_application_token.name
                data = await call(conn, conn.recv, 100)
                await call(conn, conn.sendall, data[::-1])
                return peer

        async def client():
            sock = ssx.SecureSocket(settings=creds(pki, "client"), target_name="spiffe://test/server")
            sock.setblocking(False)
            with sock:
                try:
                    sock.connect(listener.getsockname())
                except BlockingIOError:
                    await call(sock, sock.handshake)
                await call(sock, sock.sendall, b"asyncio")
                return await call(sock, sock.recv, 100)

        with listener:
            return await asyncio.wait_for(asyncio.gather(serve(), client()), 20)

    peer, reply = asyncio.run(main())
    assert peer == "spiffe://test/client" and reply == b"oicnysa"
