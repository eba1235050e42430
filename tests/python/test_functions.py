"""The function API (ssx.connect(sock, ...), ssx.recv(fd, ...), ...) on plain socket objects and
descriptors, and its error paths: every call's argument checks and the C ABI's refusals."""

from __future__ import annotations

import errno
import os
import socket

import pytest

import ssx
from conftest import Server, creds, echo


def secured_client(pki, target: str | None = "server.test") -> socket.socket:
    sock = socket.socket()
    ssx.set_socket_security(sock, creds(pki, "client"))
    if target is not None:
        ssx.set_peer_target_name(sock, target)
    return sock


def code_of(excinfo) -> ssx.ErrorCode:
    return excinfo.value.code


def test_workflow_on_a_plain_socket_object(pki, server_settings):
    with Server(server_settings) as server:
        sock = secured_client(pki)
        sock.settimeout(20)
        ssx.connect(sock, server.address)
        assert ssx.send(sock, b"ping") == 4
        ssx.sendall(sock, memoryview(b"-pong"))
        got = bytearray()
        while len(got) < 9:
            got += ssx.recv(sock, 100)
        assert got == b"ping-pong"
        info = ssx.query_socket_security(sock, ssx.TOKEN_QUERY)
        assert info.secured and info.peer_application_token.name == "spiffe://test/server"
        ssx.shutdown(sock, socket.SHUT_WR)
        assert ssx.recv(sock, 10) == b""
        ssx.close(sock)
        assert sock.fileno() == -1  # detached: the socket object will not close the descriptor again
        assert server.join_ok() == [b"ping-pong"]


def test_workflow_on_descriptors(pki, server_settings):
    with Server(server_settings) as server:
        fd = socket.socket().detach()
        ssx.set_socket_security(fd, creds(pki, "client"))
        ssx.set_peer_target_name(fd, "spiffe://test/server")
        ssx.connect(fd, server.address)  # a blocking descriptor: waits as long as needed
        ssx.sendall(fd, b"abc")
        buf = bytearray(3)
        n = 0
        while n < 3:
            n += ssx.recv_into(fd, memoryview(buf)[n:])
        assert buf == b"abc"
        assert ssx.query_socket_security(fd).secured
        ssx.close(fd)
        with pytest.raises(ssx.SecurityError) as e:
            ssx.close(fd)
        assert code_of(e) == ssx.ErrorCode.BAD_DESCRIPTOR and e.value.errno == errno.EBADF
        server.join_ok()


def test_accept_on_a_plain_listener_returns_secure_sockets(pki):
    listener = socket.socket()
    ssx.set_socket_security(listener, creds(pki, "server"))
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    import threading

    def client():
        with ssx.create_connection(listener.getsockname(), 20, target_name="server.test",
                                   settings=creds(pki, "client")) as c:
            c.sendall(b"hi")
            assert c.recv(2) == b"hi"

    t = threading.Thread(target=client, daemon=True)
    t.start()
    conn, addr = ssx.accept(listener.fileno())  # an int listener works too
    assert isinstance(conn, ssx.SecureSocket) and addr[0] == "127.0.0.1"
    echo(conn, addr)
    t.join(20)
    assert not t.is_alive()
    ssx.close(listener)


def test_set_socket_security_refusals(pki, tmp_path):
    settings = creds(pki, "client")
    with socket.socket() as s:
        ssx.set_socket_security(s, settings)
        with pytest.raises(ssx.SecurityError) as e:
            ssx.set_socket_security(s, settings)
        assert code_of(e) == ssx.ErrorCode.ALREADY_SET and e.value.errno == errno.EALREADY
        ssx.close(s)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        with pytest.raises(ssx.SecurityError) as e:
            ssx.set_socket_security(s, settings)
        assert code_of(e) == ssx.ErrorCode.ALREADY_BOUND
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        with pytest.raises(ssx.SecurityError) as e:
            ssx.set_socket_security(s, settings)
        assert code_of(e) == ssx.ErrorCode.NOT_SUPPORTED and e.value.errno == errno.EOPNOTSUPP
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        with pytest.raises(ssx.SecurityError) as e:
            ssx.set_socket_security(s, settings)
        assert code_of(e) == ssx.ErrorCode.UNSUPPORTED_SOCKET
    r, w = os.pipe()
    try:
        with pytest.raises(ssx.SecurityError) as e:
            ssx.set_socket_security(r, settings)
        assert code_of(e) == ssx.ErrorCode.NOT_SOCKET and e.value.errno == errno.ENOTSOCK
    finally:
        os.close(r)
        os.close(w)
    with pytest.raises(ssx.SecurityError) as e:
        ssx.set_socket_security(r, settings)
    assert code_of(e) == ssx.ErrorCode.BAD_DESCRIPTOR
    with socket.socket() as s:
        with pytest.raises(ssx.ConfigurationError) as e:
            ssx.set_socket_security(s)  # no policy, no per-socket credentials
        assert code_of(e) == ssx.ErrorCode.NO_CREDENTIALS and e.value.errno == errno.ENOENT
        garbage = tmp_path / "garbage.pem"
        garbage.write_text("not a certificate\n")
        with pytest.raises(ssx.ConfigurationError) as e:
            ssx.set_socket_security(s, ssx.SecuritySettings(certificate_file=garbage, private_key_file=pki.key("client"),
                                                            trust_file=pki.ca))
        assert code_of(e) in (ssx.ErrorCode.CREDENTIALS, ssx.ErrorCode.POLICY)
        with pytest.raises(ssx.SecurityError) as e:
            ssx.set_socket_security(s, creds(pki, "client", flags=0x80))
        assert code_of(e) == ssx.ErrorCode.INVALID_ARGUMENT and "flags" in e.value.message
        for protocol, code in [(ssx.PROTOCOL_IPSEC, ssx.ErrorCode.NOT_SUPPORTED),
                               (ssx.PROTOCOL_IPSEC2, ssx.ErrorCode.NOT_SUPPORTED),
                               (3, ssx.ErrorCode.INVALID_ARGUMENT)]:
            with pytest.raises(ssx.SecurityError) as e:
                ssx.set_socket_security(s, creds(pki, "client", protocol=protocol))
            assert code_of(e) == code


def test_set_socket_security_after_a_plain_connect(pki, server_settings):
    with Server(server_settings) as server:
        with socket.create_connection(server.address) as s:
            with pytest.raises(ssx.SecurityError) as e:
                ssx.set_socket_security(s, creds(pki, "client"))
            assert code_of(e) == ssx.ErrorCode.ALREADY_CONNECTED and e.value.errno == errno.EISCONN
        server.join()


def test_policy_file_errors_and_policy_credentials(pki, tmp_path, monkeypatch):
    bad = tmp_path / "bad.toml"
    bad.write_text("[tls]\nno_such_key = 1\n")
    monkeypatch.setenv("SSX_POLICY", str(bad))
    with socket.socket() as s:
        with pytest.raises(ssx.ConfigurationError) as e:
            ssx.set_socket_security(s)
        assert code_of(e) == ssx.ErrorCode.POLICY and "no_such_key" in e.value.message
    good = tmp_path / "good.toml"
    good.write_text(f'[tls]\ncertificate = "{pki.cert("client")}"\nprivate_key = "{pki.key("client")}"\n'
                    f'trust_anchors = "{pki.ca}"\nallow_insecure = false\n')
    monkeypatch.setenv("SSX_POLICY", str(good))
    with socket.socket() as s:
        ssx.set_socket_security(s)  # credentials from the policy
        ssx.close(s)
    with socket.socket() as s:
        with pytest.raises(ssx.AccessDeniedError) as e:
            ssx.set_socket_security(s, ssx.SecuritySettings(flags=ssx.ALLOW_INSECURE))
        assert code_of(e) == ssx.ErrorCode.POLICY_FORBIDS and isinstance(e.value, PermissionError)


def test_target_names(pki, server_settings):
    sock = secured_client(pki, target=None)
    try:
        with pytest.raises(ssx.SecurityError) as e:
            ssx.delete_peer_target_name(sock)
        assert code_of(e) == ssx.ErrorCode.NOT_FOUND and e.value.errno == errno.ENOENT
        ssx.set_peer_target_name(sock, "server.test")
        ssx.set_peer_target_name(sock, "other.test")  # replaces
        ssx.delete_peer_target_name(sock)
        with pytest.raises(ssx.SecurityError) as e:
            ssx.delete_peer_target_name(sock, None)
        assert code_of(e) == ssx.ErrorCode.NOT_FOUND
        for bad in ["", "spiffe://", "DNS:"]:
            with pytest.raises(ssx.SecurityError) as e:
                ssx.set_peer_target_name(sock, bad)
            assert code_of(e) == ssx.ErrorCode.INVALID_ARGUMENT, bad
        with pytest.raises(ValueError):
            ssx.set_peer_target_name(sock, "a\0b")
        with pytest.raises(TypeError):
            ssx.set_peer_target_name(sock, b"server.test")
        with pytest.raises(TypeError):
            ssx.set_peer_target_name(sock, "server.test", "127.0.0.1")
        ssx.set_peer_target_name(sock, "x.test", ("127.0.0.1", 0))
        ssx.delete_peer_target_name(sock, ("127.0.0.1", 0))
    finally:
        ssx.close(sock)
    with socket.socket() as plain:
        with pytest.raises(ssx.SecurityError) as e:
            ssx.set_peer_target_name(plain, "server.test")
        assert code_of(e) == ssx.ErrorCode.NO_SECURITY
    with ssx.create_server(("127.0.0.1", 0), settings=server_settings) as listener:
        with pytest.raises(ssx.SecurityError) as e:
            ssx.set_peer_target_name(listener, "server.test")
        assert code_of(e) == ssx.ErrorCode.LISTENING


@pytest.mark.parametrize("specific_is_right", [True, False])
def test_a_name_for_the_peer_address_wins_over_any_peer(pki, server_settings, specific_is_right):
    with Server(server_settings) as server:
        right, wrong = "server.test", "wrong.test"
        sock = secured_client(pki, target=wrong if specific_is_right else right)
        sock.settimeout(20)
        ssx.set_peer_target_name(sock, right if specific_is_right else wrong, server.address)
        try:
            if specific_is_right:
                ssx.connect(sock, server.address)
                assert ssx.query_socket_security(sock).secured
            else:
                with pytest.raises(ssx.CertificateVerificationError) as e:
                    ssx.connect(sock, server.address)
                assert code_of(e) == ssx.ErrorCode.NAME_MISMATCH
        finally:
            ssx.close(sock)
        server.join()
        with pytest.raises(ssx.SecurityError):
            ssx.set_peer_target_name(sock, "closed.test")  # a detached (closed) socket: fileno -1


def test_target_name_after_connect_is_refused(pki, server_settings):
    with Server(server_settings) as server:
        sock = secured_client(pki)
        sock.settimeout(20)
        ssx.connect(sock, server.address)
        with pytest.raises(ssx.SecurityError) as e:
            ssx.set_peer_target_name(sock, "late.test")
        assert code_of(e) == ssx.ErrorCode.ALREADY_CONNECTED
        ssx.close(sock)
        server.join_ok()


def test_calls_that_need_security_or_a_connection(pki):
    with socket.socket() as plain:
        for call in (lambda: ssx.connect(plain, ("127.0.0.1", 9)), lambda: ssx.send(plain, b"x"),
                     lambda: ssx.recv(plain, 1), lambda: ssx.query_socket_security(plain),
                     lambda: ssx.impersonate_socket_peer(plain), lambda: ssx.handshake(plain),
                     lambda: ssx.shutdown(plain, socket.SHUT_RDWR)):
            with pytest.raises(ssx.SecurityError) as e:
                call()
            assert code_of(e) == ssx.ErrorCode.NO_SECURITY
    sock = secured_client(pki)
    try:
        for call in (lambda: ssx.send(sock, b"x"), lambda: ssx.recv(sock, 1), lambda: ssx.query_socket_security(sock),
                     lambda: ssx.impersonate_socket_peer(sock), lambda: ssx.shutdown(sock, socket.SHUT_WR)):
            with pytest.raises(ssx.SecurityError) as e:
                call()
            assert code_of(e) == ssx.ErrorCode.NOT_CONNECTED and e.value.errno == errno.ENOTCONN
        with pytest.raises(ssx.SecurityError) as e:
            ssx.shutdown(sock, 99)
        assert code_of(e) == ssx.ErrorCode.INVALID_ARGUMENT
        with pytest.raises(ssx.SecurityError) as e:
            ssx.accept(sock)  # not listening
        assert code_of(e) == ssx.ErrorCode.INVALID_ARGUMENT
    finally:
        ssx.close(sock)
    with socket.create_server(("127.0.0.1", 0)) as plain_listener:
        with pytest.raises(ssx.SecurityError) as e:
            ssx.accept(plain_listener)
        assert code_of(e) == ssx.ErrorCode.NO_SECURITY


def test_wrong_argument_types_raise_type_error(pki):
    with socket.socket() as s:
        cases = [
            lambda: ssx.set_socket_security("3"),
            lambda: ssx.set_socket_security(True),
            lambda: ssx.set_socket_security(object()),
            lambda: ssx.set_socket_security(s, {"flags": 0}),
            lambda: ssx.set_socket_security(s, ssx.ALLOW_INSECURE),
            lambda: ssx.set_peer_target_name(s, None),
            lambda: ssx.connect(s, "127.0.0.1:80"),
            lambda: ssx.connect(s, ("127.0.0.1",)),
            lambda: ssx.connect(s, (127, 80)),
            lambda: ssx.connect(s, ("127.0.0.1", "80")),
            lambda: ssx.send(s, "text"),
            lambda: ssx.sendall(s, 42),
            lambda: ssx.send(s, b"x", "0"),
            lambda: ssx.recv(s, 1.5),
            lambda: ssx.recv_into(s, b"immutable"),
            lambda: ssx.recv_into(s, bytearray(1), "1"),
            lambda: ssx.shutdown(s, "both"),
            lambda: ssx.query_socket_security(s, "all"),
            lambda: ssx.query_socket_security(s, 1.0),
            lambda: ssx.close("3"),
            lambda: ssx.close(object()),
            lambda: ssx.accept(None),
        ]
        for i, call in enumerate(cases):
            with pytest.raises(TypeError):
                call()
        with pytest.raises(OverflowError):
            ssx.connect(s, ("127.0.0.1", 70000))
        with pytest.raises(ValueError):
            ssx.query_socket_security(s, -1)
        with pytest.raises(ValueError):
            ssx.query_socket_security(s, 1 << 32)


def test_fileno_must_return_an_int():
    class Odd:
        def fileno(self):
            return "3"

    with pytest.raises(TypeError, match="fileno"):
        ssx.recv(Odd(), 1)


def test_host_names_are_resolved(pki, server_settings):
    with Server(server_settings) as server:
        sock = secured_client(pki)
        sock.settimeout(20)
        ssx.connect(sock, ("localhost", server.port))
        assert sock.getpeername()[0] == "127.0.0.1"
        ssx.close(sock)
        server.join_ok()
    with socket.socket() as s:
        with pytest.raises(socket.gaierror):
            ssx.connect(s, ("no-such-host.invalid", 1))


def test_version():
    assert ssx.version() == ssx.__version__
    assert ssx.version().count(".") == 2
