"""SecureSocket, create_connection() and create_server(): the socket-like API."""

from __future__ import annotations

import gc
import hashlib
import io
import socket
import ssl
import time
import warnings

import pytest

import ssx
from conftest import Server, connect_client, creds, echo


def test_round_trip_and_query_both_sides(pki, server_settings):
    def handler(conn, addr):
        with conn:
            info = conn.query(ssx.TOKEN_QUERY)
            data = conn.recv(100)
            conn.sendall(data.upper())
            assert conn.recv(100) == b""  # the client's close_notify: a clean end
            return info, addr

    with Server(server_settings, handler) as server:
        with connect_client(pki, server.address) as sock:
            assert isinstance(sock, ssx.SecureSocket) and isinstance(sock, socket.socket)
            sock.sendall(b"hello")
            assert sock.recv(100) == b"HELLO"
            client_info = sock.query(ssx.TOKEN_QUERY)
            assert sock.getpeername() == server.address
        (server_info, addr), = server.join_ok()

    assert addr[0] == "127.0.0.1"
    for info in (client_info, server_info):
        assert info.flags == ssx.INFO_SECURED | ssx.INFO_ENCRYPTED
        assert info.secured and info.encrypted and not info.impersonated
        assert info.protocol == ssx.PROTOCOL_TLS
        assert info.tls_version == 0x0304 and info.version == "TLSv1.3"
        assert info.cipher.startswith("TLS_")
        assert info.alpn is None
        assert info.verify_result == 0
        assert info.peer_machine_token is None
    client_token = server_info.peer_application_token
    server_token = client_info.peer_application_token
    assert client_token.name == "spiffe://test/client"
    assert client_token.spiffe_id == "spiffe://test/client"
    assert set(client_token.names) == {"DNS:client.test", "URI:spiffe://test/client"}
    assert "CN=client" in client_token.subject
    assert server_token.name == "spiffe://test/server"
    assert "IP:127.0.0.1" in server_token.names and "DNS:server.test" in server_token.names
    leaf = client_token.chain[0]
    assert client_token.fingerprint == hashlib.sha256(leaf).hexdigest().upper()
    assert ssl.DER_cert_to_PEM_cert(leaf).strip() in open(pki.cert("client")).read()
    assert client_token.access_mask == ssx.TOKEN_QUERY
    assert (client_token.uid, client_token.gid, client_token.user, client_token.groups) == (None, None, None, None)
    client_info.close()
    server_info.close()


def test_blocking_sockets_without_timeouts(pki, server_settings):
    with Server(server_settings, echo, listener_timeout=None) as server:
        sock = connect_client(pki, server.address, timeout=None)
        with sock:
            assert sock.gettimeout() is None
            sock.sendall(b"x" * 100_000)
            got = bytearray()
            while len(got) < 100_000:
                got += sock.recv(65536)
            assert got == b"x" * 100_000
        assert server.join_ok() == [b"x" * 100_000]


def test_accepted_socket_is_a_secure_socket_with_the_default_timeout(pki, server_settings):
    seen = []

    def handler(conn, addr):
        seen.append((type(conn), conn.gettimeout(), conn.family, conn.type))
        return echo(conn, addr)

    with Server(server_settings, handler) as server:
        with connect_client(pki, server.address) as sock:
            sock.sendall(b"a")
            assert sock.recv(1) == b"a"
        server.join_ok()
    assert seen == [(ssx.SecureSocket, socket.getdefaulttimeout(), socket.AF_INET, socket.SOCK_STREAM)]


def test_makefile_reads_and_writes_lines(pki, server_settings):
    def handler(conn, addr):
        with conn, conn.makefile("rwb") as f:
            for line in f:
                f.write(line.upper())
                f.flush()
        return True

    with Server(server_settings, handler) as server:
        with connect_client(pki, server.address) as sock, sock.makefile("rwb") as f:
            for text in (b"one\n", b"two\n"):
                f.write(text)
                f.flush()
                assert f.readline() == text.upper()
            sock.shutdown(socket.SHUT_WR)
            assert f.read() == b""
        server.join_ok()


def test_sendfile_goes_through_tls(pki, server_settings, tmp_path):
    payload = bytes(range(256)) * 1000
    path = tmp_path / "payload"
    path.write_bytes(payload)

    def handler(conn, addr):
        got = bytearray()
        with conn:
            while chunk := conn.recv(65536):
                got += chunk
        return bytes(got)

    with Server(server_settings, handler) as server:
        with connect_client(pki, server.address) as sock, open(path, "rb") as f:
            assert sock.sendfile(f) == len(payload)
        assert server.join_ok() == [payload]


def test_ipv6_loopback(pki):
    with Server(creds(pki, "server"), echo, family=socket.AF_INET6) as server:
        with connect_client(pki, ("::1", server.port), target_name="::1") as sock:
            assert sock.family == socket.AF_INET6
            sock.sendall(b"v6")
            assert sock.recv(2) == b"v6"
            assert "IP:::1" in sock.query(ssx.TOKEN_QUERY).peer_application_token.names
        server.join_ok()


@pytest.mark.parametrize("name", ["server.test", "127.0.0.1", "spiffe://test/server", "spiffe://test",
                                  "spiffe://test/*", "DNS:server.test", "IP:127.0.0.1", "URI:spiffe://test/server",
                                  "host/server.test"])
def test_target_name_forms_that_the_server_proves(pki, server_settings, name):
    with Server(server_settings) as server:
        with connect_client(pki, server.address, target_name=name) as sock:
            assert sock.query().secured
        server.join_ok()


def test_name_mismatch_fails_closed(pki, server_settings):
    with Server(server_settings) as server:
        with pytest.raises(ssx.CertificateVerificationError) as e:
            connect_client(pki, server.address, target_name="wrong.test")
        server.join()
    assert e.value.code == ssx.ErrorCode.NAME_MISMATCH
    assert e.value.errno == errno_of("EACCES")
    assert "wrong.test" in e.value.message
    assert isinstance(e.value, ssx.HandshakeError) and isinstance(e.value, ConnectionError)


def test_untrusted_server_fails_closed(pki, rogue):
    with Server(creds(rogue, "server", trust=pki)) as server:
        with pytest.raises(ssx.CertificateVerificationError) as e:
            connect_client(pki, server.address)
        server.join()
    assert e.value.code == ssx.ErrorCode.PEER_UNTRUSTED


def test_server_refuses_an_untrusted_client(pki, rogue, server_settings):
    with Server(server_settings, listener_timeout=None) as server:
        with pytest.raises(ssx.HandshakeError) as e:
            ssx.create_connection(server.address, None, target_name="server.test",
                                  settings=creds(rogue, "client", trust=pki))
        server.join()
    assert e.value.code in (ssx.ErrorCode.PEER_REJECTED, ssx.ErrorCode.PEER_CLOSED), e.value
    assert len(server.errors) == 1
    assert isinstance(server.errors[0], ssx.CertificateVerificationError)
    assert server.errors[0].code == ssx.ErrorCode.PEER_UNTRUSTED


def test_connecting_without_a_target_name_fails_closed(pki):
    # Refused before any packet is sent: no server needed (the port is closed).
    with pytest.raises(ssx.ConfigurationError) as e:
        ssx.create_connection(("127.0.0.1", free_port()), 20, settings=creds(pki, "client"))
    assert e.value.code == ssx.ErrorCode.NO_TARGET_NAME
    assert e.value.errno == errno_of("EDESTADDRREQ")
    assert "ssx_set_peer_target_name" in e.value.message


def test_connection_refused_is_a_connect_error(pki):
    port = free_port()
    with pytest.raises(ssx.ConnectError) as e:
        connect_client(pki, ("127.0.0.1", port))
    assert isinstance(e.value, ConnectionError)
    assert e.value.errno == errno_of("ECONNREFUSED")
    with ssx.SecureSocket(settings=creds(pki, "client"), target_name="server.test") as sock:
        assert sock.connect_ex(("127.0.0.1", port)) == errno_of("ECONNREFUSED")


def test_connect_twice_is_refused(pki, server_settings):
    with Server(server_settings) as server:
        with connect_client(pki, server.address) as sock:
            with pytest.raises(ssx.SecurityError) as e:
                sock.connect(server.address)
            assert e.value.code == ssx.ErrorCode.ALREADY_CONNECTED
        server.join_ok()


def test_recv_timeout_then_the_socket_still_works(pki, server_settings):
    def handler(conn, addr):
        with conn:
            go = conn.recv(10)
            conn.sendall(b"late " + go)
            return conn.recv(10)

    with Server(server_settings, handler) as server:
        with connect_client(pki, server.address) as sock:
            sock.settimeout(0.3)
            start = time.monotonic()
            with pytest.raises(ssx.SecurityTimeoutError) as e:
                sock.recv(10)
            elapsed = time.monotonic() - start
            assert 0.25 <= elapsed < 10
            assert isinstance(e.value, TimeoutError) and e.value.code == ssx.ErrorCode.TIMEOUT
            sock.settimeout(20)
            sock.sendall(b"go")
            assert sock.recv(10) == b"late go"
        assert server.join_ok() == [b""]


def test_accept_timeout(server_settings):
    with ssx.create_server(("127.0.0.1", 0), settings=server_settings) as listener:
        listener.settimeout(0.2)
        with pytest.raises(TimeoutError):
            listener.accept()


def silent_listener() -> socket.socket:
    """A TCP listener that accepts (in the kernel) and never says a word."""
    s = socket.create_server(("127.0.0.1", 0))
    return s


@pytest.mark.parametrize("how", ["socket timeout", "handshake_timeout"])
def test_silent_server_times_out(pki, how):
    with silent_listener() as silent:
        if how == "socket timeout":
            settings, timeout = creds(pki, "client"), 0.3
        else:
            settings, timeout = creds(pki, "client", handshake_timeout=0.3), None
        start = time.monotonic()
        with pytest.raises(ssx.SecurityTimeoutError) as e:
            ssx.create_connection(silent.getsockname(), timeout, target_name="server.test", settings=settings)
        assert time.monotonic() - start < 10
        assert e.value.code == ssx.ErrorCode.TIMEOUT


def test_allow_insecure_falls_back_to_clear_text(pki):
    with socket.create_server(("127.0.0.1", 0)) as plain:
        def plain_echo():
            conn, _ = plain.accept()  # the ClientHello: closed unanswered, like a non-TLS server would
            conn.close()
            conn, _ = plain.accept()  # the clear-text retry
            with conn:
                conn.sendall(conn.recv(100))

        import threading
        t = threading.Thread(target=plain_echo, daemon=True)
        t.start()
        plain.settimeout(20)
        settings = creds(pki, "client", flags=ssx.ALLOW_INSECURE)
        with ssx.create_connection(plain.getsockname(), 20, target_name="server.test", settings=settings) as sock:
            sock.sendall(b"in clear")
            assert sock.recv(100) == b"in clear"
            info = sock.query(ssx.TOKEN_QUERY)
            assert not info.secured and info.flags == 0
            assert info.protocol == ssx.PROTOCOL_DEFAULT
            assert (info.tls_version, info.version, info.cipher) == (0, None, None)
            assert info.peer_application_token is None
            with pytest.raises(ssx.SecurityError) as e:
                with sock.impersonate():
                    pass
            assert e.value.code == ssx.ErrorCode.NOT_SECURED
        t.join(20)
        assert not t.is_alive()


def test_alpn_is_negotiated(pki):
    with Server(creds(pki, "server", alpn=["h2", "http/1.1"])) as server:
        with connect_client(pki, server.address, alpn=("http/1.1", "h2")) as sock:
            assert sock.query().alpn == "h2"
        server.join_ok()


def test_guarantee_encryption(pki):
    with Server(creds(pki, "server", flags=ssx.GUARANTEE_ENCRYPTION)) as server:
        with connect_client(pki, server.address, flags=ssx.GUARANTEE_ENCRYPTION) as sock:
            assert sock.query().encrypted
        server.join_ok()


def test_second_connection_resumes_the_session(pki, server_settings):
    kept = []

    def one_exchange(conn, addr):
        conn.sendall(conn.recv(1))
        kept.append(conn)
        return conn.query().resumed

    # ssx keeps sessions while a connection with the same settings is open (a pool reconnecting
    # beside its open connections), so the first connection stays open on both ends.
    with Server(server_settings, one_exchange, count=2) as server:
        settings = creds(pki, "client")
        with ssx.create_connection(server.address, None, target_name="server.test", settings=settings) as first:
            first.sendall(b"1")
            assert first.recv(1) == b"1"  # the session ticket is read with it
            with ssx.create_connection(server.address, None, target_name="server.test", settings=settings) as second:
                second.sendall(b"2")
                assert second.recv(1) == b"2"
                info = second.query(ssx.TOKEN_QUERY)
                assert info.peer_application_token.name == "spiffe://test/server"
            assert not first.query().resumed and info.resumed
        assert server.join_ok() == [False, True]
    for conn in kept:
        conn.close()


def test_shutdown_write_ends_the_stream_and_send_is_refused(pki, server_settings):
    def handler(conn, addr):
        with conn:
            got = conn.recv(10)
            assert conn.recv(10) == b""
            conn.sendall(b"reply")
            return got

    with Server(server_settings, handler) as server:
        with connect_client(pki, server.address) as sock:
            sock.sendall(b"req")
            sock.shutdown(socket.SHUT_WR)
            assert sock.recv(10) == b"reply"
            with pytest.raises(ssx.SecurityError) as e:
                sock.send(b"more")
            assert e.value.code == ssx.ErrorCode.SHUT_DOWN and e.value.errno == errno_of("EPIPE")
        assert server.join_ok() == [b"req"]


def test_recv_into_and_peek(pki, server_settings):
    with Server(server_settings) as server:
        with connect_client(pki, server.address) as sock:
            sock.sendall(b"abcdef")
            assert sock.recv(3, socket.MSG_PEEK) == b"abc"
            buf = bytearray(10)
            n = sock.recv_into(buf, 4)
            assert buf[:n] == b"abcdef"[:n] and n <= 4
            rest = bytearray()
            while len(rest) < 6 - n:
                view = memoryview(bytearray(6))
                k = sock.recv_into(view)
                rest += view[:k]
            assert bytes(buf[:n] + rest) == b"abcdef"
            with pytest.raises(ValueError):
                sock.recv_into(bytearray(2), 3)
            with pytest.raises(ValueError):
                sock.recv(-1)
            with pytest.raises(TypeError):
                sock.recv_into(b"read-only")
            with pytest.raises(TypeError):
                sock.send("text")
            with pytest.raises(TypeError):
                sock.recv("10")
        server.join_ok()


def test_unsupported_flags_are_refused(pki, server_settings):
    with Server(server_settings) as server:
        with connect_client(pki, server.address) as sock:
            with pytest.raises(ssx.SecurityError) as e:
                sock.send(b"x", socket.MSG_OOB)
            assert e.value.code == ssx.ErrorCode.INVALID_ARGUMENT and e.value.errno == errno_of("EINVAL")
        server.join_ok()


def test_methods_that_would_bypass_tls_are_refused(pki):
    with ssx.SecureSocket(settings=creds(pki, "client")) as sock:
        with pytest.raises(NotImplementedError):
            sock.dup()
        for name, args in [("sendto", (b"x", ("127.0.0.1", 1))), ("recvfrom", (1,)), ("recvfrom_into", (bytearray(1),)),
                           ("sendmsg", ([b"x"],)), ("recvmsg", (1,)), ("recvmsg_into", ([bytearray(1)],))]:
            with pytest.raises(ValueError, match="bypass TLS"):
                getattr(sock, name)(*args)


def test_constructor_checks_and_closes_on_failure(pki, tmp_path):
    from conftest import open_fds
    before = open_fds()
    with pytest.raises(TypeError):
        ssx.SecureSocket(settings={"flags": 1})
    with pytest.raises(TypeError):
        ssx.SecureSocket(settings=creds(pki, "client"), target_name=42)
    with pytest.raises(ssx.ConfigurationError):
        ssx.SecureSocket(settings=ssx.SecuritySettings(certificate_file=tmp_path / "missing.pem",
                                                       private_key_file=pki.key("client"), trust_file=pki.ca))
    with pytest.raises(ssx.SecurityError) as e:
        ssx.SecureSocket(settings=creds(pki, "client"), target_name="")
    assert e.value.code == ssx.ErrorCode.INVALID_ARGUMENT
    with pytest.raises(ValueError):
        ssx.SecureSocket(fileno=0, settings=creds(pki, "client"))
    gc.collect()
    assert open_fds() == before


def test_close_sends_close_notify_and_gc_does_too(pki, server_settings):
    def handler(conn, addr):
        with conn:
            return conn.recv(10)  # b"" only after a close_notify; PeerClosedError otherwise

    with Server(server_settings, handler, count=2) as server:
        connect_client(pki, server.address).close()
        sock = connect_client(pki, server.address)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del sock
            gc.collect()
        assert any(issubclass(w.category, ResourceWarning) and "unclosed" in str(w.message) for w in caught)
        assert server.join_ok() == [b"", b""]


def test_repr_names_the_class(pki):
    with ssx.SecureSocket(settings=creds(pki, "client")) as sock:
        assert repr(sock).startswith("<ssx.SecureSocket ")


def errno_of(name: str) -> int:
    import errno
    return getattr(errno, name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
