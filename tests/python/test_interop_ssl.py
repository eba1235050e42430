"""Interoperability with a TLS stack nobody here wrote: Python's own ssl module as the peer, on
both sides, with mutual authentication (TLS 1.3, certificates from the same test CA)."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

import ssx
from conftest import Server, connect_client, creds


def ssl_client_context(pki, with_cert: bool = True) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(pki.ca)
    if with_cert:
        ctx.load_cert_chain(pki.cert("client"), pki.key("client"))
    return ctx


def ssl_server_context(pki) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(pki.cert("server"), pki.key("server"))
    ctx.load_verify_locations(pki.ca)
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def test_ssl_client_against_ssx_server(pki, server_settings):
    def handler(conn, addr):
        with conn:
            with conn.query(ssx.TOKEN_QUERY) as info:
                peer = info.peer_application_token.name
                version, cipher = info.version, info.cipher
            data = conn.recv(100)
            conn.sendall(data.upper())
            end = conn.recv(100)  # the ssl client's close_notify (unwrap): a clean end
            return peer, version, cipher, end

    with Server(server_settings, handler) as server:
        with socket.create_connection(server.address, timeout=20) as raw:
            tls = ssl_client_context(pki).wrap_socket(raw, server_hostname="server.test")
            assert tls.version() == "TLSv1.3"
            san = tls.getpeercert()["subjectAltName"]
            assert ("URI", "spiffe://test/server") in san and ("DNS", "server.test") in san
            tls.sendall(b"from ssl")
            assert tls.recv(100) == b"FROM SSL"
            ssl_cipher = tls.cipher()[0]
            tls.unwrap()  # sends close_notify
        (peer, version, cipher, end), = server.join_ok()
    assert peer == "spiffe://test/client" and version == "TLSv1.3" and cipher == ssl_cipher
    assert end == b""


def test_ssl_client_without_a_certificate_is_refused(pki, server_settings):
    with Server(server_settings) as server:
        with socket.create_connection(server.address, timeout=20) as raw:
            tls = ssl_client_context(pki, with_cert=False).wrap_socket(raw, server_hostname="server.test")
            # TLS 1.3: the client finishes first; the server's refusal arrives as an alert.
            with pytest.raises((ssl.SSLError, ConnectionError)):
                tls.sendall(b"x")
                tls.recv(100)
        server.join()
    assert len(server.errors) == 1
    err = server.errors[0]
    assert isinstance(err, ssx.CertificateVerificationError) and err.code == ssx.ErrorCode.NO_PEER_CERT


def test_ssl_client_closing_without_close_notify_is_a_peer_closed_error(pki, server_settings):
    def handler(conn, addr):
        with conn:
            assert conn.recv(100) == b"bye"
            return conn.recv(100)

    with Server(server_settings, handler) as server:
        raw = socket.create_connection(server.address, timeout=20)
        tls = ssl_client_context(pki).wrap_socket(raw, server_hostname="server.test")
        tls.sendall(b"bye")
        tls.close()  # TCP close, no close_notify: a truncation attack looks exactly like this
        server.join()
    assert len(server.errors) == 1 and isinstance(server.errors[0], ssx.PeerClosedError)
    assert server.errors[0].code == ssx.ErrorCode.PEER_CLOSED


class SslServer:
    """A Python ssl server (CERT_REQUIRED) on a thread, serving one connection with handler."""

    def __init__(self, pki, handler):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(20)
        self.address = self.listener.getsockname()
        self.ctx = ssl_server_context(pki)
        self.handler = handler
        self.result = None
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            raw, _ = self.listener.accept()
            raw.settimeout(20)
            with self.ctx.wrap_socket(raw, server_side=True) as tls:
                self.result = self.handler(tls)
        except BaseException as e:
            self.error = e

    def join(self):
        self.thread.join(30)
        assert not self.thread.is_alive()
        self.listener.close()


def test_ssx_client_against_ssl_server(pki):
    def handler(tls):
        peer = dict(x[0] for x in tls.getpeercert()["subject"])["commonName"]
        san = tls.getpeercert()["subjectAltName"]
        tls.sendall(tls.recv(100)[::-1])
        tls.unwrap()  # close_notify, then the ssx client reads a clean end
        return peer, san

    server = SslServer(pki, handler)
    with connect_client(pki, server.address, target_name="spiffe://test/server") as sock:
        sock.sendall(b"from ssx")
        assert sock.recv(100) == b"xss morf"
        assert sock.recv(100) == b""
        with sock.query(ssx.TOKEN_QUERY) as info:
            assert info.version == "TLSv1.3" and info.secured
            assert info.peer_application_token.name == "spiffe://test/server"
    server.join()
    assert server.error is None
    peer, san = server.result
    assert peer == "client" and ("URI", "spiffe://test/client") in san


def test_ssx_client_checks_the_ssl_servers_name(pki):
    server = SslServer(pki, lambda tls: tls.recv(1))
    with pytest.raises(ssx.CertificateVerificationError) as e:
        connect_client(pki, server.address, target_name="db.test")
    assert e.value.code == ssx.ErrorCode.NAME_MISMATCH
    server.join()
    assert server.error is not None  # the ssl server saw the aborted handshake


def test_ssl_server_closing_without_close_notify_is_a_peer_closed_error(pki):
    def handler(tls):
        tls.sendall(b"partial")
        socket.socket(fileno=tls.detach()).close()  # TCP close without TLS close_notify
        return True

    server = SslServer(pki, handler)
    with connect_client(pki, server.address) as sock:
        got = b""
        with pytest.raises(ssx.PeerClosedError):
            while True:
                chunk = sock.recv(100)
                assert chunk, "a TCP close without close_notify must not read as a clean end"
                got += chunk
        assert got == b"partial"
    server.join()
