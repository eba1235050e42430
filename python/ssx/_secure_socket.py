"""SecureSocket: a socket.socket whose connection ssx secures, like ssl.SSLSocket."""

from __future__ import annotations

import _socket
import socket
import warnings
from typing import Any, ContextManager, Optional, Tuple

from . import _ssx
from ._args import check_int, check_str, check_uint32, family_of, resolve
from ._errors import ConnectError, SecurityTimeoutError
from ._impersonation import impersonating
from ._info import SecurityInfo, info_from_raw
from ._settings import SecuritySettings, settings_args
from ._token import Token

Address = Tuple[Any, ...]


class SecureSocket(socket.socket):
    """A TCP socket secured by ssx (TLS 1.3 with mutual X.509 authentication).

    ``SecureSocket(family, type, proto, settings=..., target_name=...)`` creates a socket and
    turns its security on (ssx_set_socket_security) before anything else can happen to it.
    ``SecureSocket(fileno=fd)`` adopts a descriptor that ssx already secures (ssx.accept()
    results are SecureSockets already).

    It behaves like a socket: send/sendall/recv/recv_into/makefile/sendfile/shutdown/close,
    settimeout/setblocking, getsockname/getpeername, ``with``. Timeouts apply to the handshake as
    well as the data. Non-blocking sockets raise WantReadError/WantWriteError (both
    BlockingIOError) saying which readiness to wait for. Datagram-style calls (sendto, recvmsg,
    ...) and dup() are refused: they would bypass TLS.
    """

    __slots__ = ()

    def __init__(self, family: int = -1, type: int = -1, proto: int = -1, fileno: Optional[int] = None, *,
                 settings: Optional[SecuritySettings] = None, target_name: Optional[str] = None) -> None:
        if fileno is not None:
            if settings is not None or target_name is not None:
                raise ValueError("SecureSocket(fileno=...) adopts a socket ssx already secures; settings and "
                                 "target_name apply only to new sockets")
            super().__init__(family, type, proto, fileno)
            return
        args = settings_args(settings, "SecureSocket")
        if target_name is not None:
            check_str(target_name, "SecureSocket", "target_name")
        super().__init__(family, type, proto)
        try:
            _ssx.set_socket_security(self.fileno(), *args)
            if target_name is not None:
                self.set_peer_target_name(target_name)
        except BaseException:
            self.close()
            raise

    # -- security ---------------------------------------------------------------------------------
    def set_peer_target_name(self, name: str, peer: Optional[Address] = None) -> None:
        """Names the identity the peer must prove (see ssx.set_peer_target_name())."""
        check_str(name, "set_peer_target_name", "name")
        raw = None if peer is None else resolve(peer, self.family, "set_peer_target_name", "peer")
        _ssx.set_peer_target_name(self.fileno(), name, raw)

    def delete_peer_target_name(self, peer: Optional[Address] = None) -> None:
        """Removes the target name set for `peer` (None: the any-peer name)."""
        raw = None if peer is None else resolve(peer, self.family, "delete_peer_target_name", "peer")
        _ssx.delete_peer_target_name(self.fileno(), raw)

    def query(self, access_mask: int = 0) -> SecurityInfo:
        """What was negotiated, and the peer's tokens when access_mask is not 0
        (see ssx.query_socket_security())."""
        return info_from_raw(_ssx.query_socket_security(self.fileno(), check_uint32(access_mask, "query",
                                                                                      "access_mask")))

    def impersonate(self) -> ContextManager[Token]:
        """``with sock.impersonate() as peer:`` runs the block as the peer (this thread only)."""
        return impersonating(self.fileno())

    def handshake(self) -> None:
        """Completes a pending handshake (non-blocking sockets), as the timeout allows."""
        _ssx.handshake(self.fileno(), self.gettimeout())

    do_handshake = handshake  # ssl.SSLSocket's name

    # -- connections ------------------------------------------------------------------------------
    def connect(self, address: Address) -> None:  # type: ignore[override]
        """Connects and secures: returns when the peer is authenticated and proved the target name."""
        _ssx.connect(self.fileno(), resolve(address, self.family, "connect"), self.gettimeout())

    def connect_ex(self, address: Address) -> int:  # type: ignore[override]
        """connect(), returning errno instead of raising for TCP failures, timeouts and
        EINPROGRESS; security failures still raise."""
        try:
            self.connect(address)
        except (ConnectError, SecurityTimeoutError, BlockingIOError) as e:
            return e.errno or 0
        return 0

    def accept(self) -> Tuple[SecureSocket, Address]:  # type: ignore[override]
        """Accepts a connection and secures it; see ssx.accept()."""
        return accept_secure(self, self.fileno(), self.gettimeout())

    # -- data -------------------------------------------------------------------------------------
    def send(self, data: Any, flags: int = 0) -> int:  # type: ignore[override]
        if type(flags) is not int:  # the checks cost a call each; skipped for plain ints (hot path)
            check_int(flags, "send", "flags")
        return _ssx.send(self.fileno(), data, flags, self.gettimeout())

    def sendall(self, data: Any, flags: int = 0) -> None:  # type: ignore[override]
        if type(flags) is not int:
            check_int(flags, "sendall", "flags")
        _ssx.sendall(self.fileno(), data, flags, self.gettimeout())

    def recv(self, bufsize: int, flags: int = 0) -> bytes:  # type: ignore[override]
        if type(bufsize) is not int or type(flags) is not int:
            check_int(bufsize, "recv", "bufsize")
            check_int(flags, "recv", "flags")
        return _ssx.recv(self.fileno(), bufsize, flags, self.gettimeout())

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:  # type: ignore[override]
        if type(nbytes) is not int or type(flags) is not int:
            check_int(nbytes, "recv_into", "nbytes")
            check_int(flags, "recv_into", "flags")
        return _ssx.recv_into(self.fileno(), buffer, nbytes, flags, self.gettimeout())

    def sendfile(self, file: Any, offset: int = 0, count: Optional[int] = None) -> int:  # type: ignore[override]
        # os.sendfile() would write clear text past TLS: always go through send().
        return self._sendfile_use_send(file, offset, count)  # type: ignore[attr-defined]

    def shutdown(self, how: int) -> None:
        """SHUT_WR (and SHUT_RDWR) send TLS close_notify first, so the peer sees a clean end."""
        _ssx.shutdown(self.fileno(), check_int(how, "shutdown", "how"))

    # -- lifetime ---------------------------------------------------------------------------------
    def _real_close(self, _detach: Any = _socket.socket.detach, _close: Any = _ssx.close) -> None:
        # socket.close() ends here once no makefile() object uses the socket: ssx_close() sends
        # close_notify and forgets the socket's security state, then closes the descriptor.
        fd = _detach(self)
        if fd >= 0:
            _close(fd)

    def __del__(self, _fileno: Any = _socket.socket.fileno, _detach: Any = _socket.socket.detach,
                _close: Any = _ssx.close, _warn: Any = warnings.warn) -> None:
        # Replaces socket's own finalizer (which would close() the descriptor behind ssx's back).
        if _fileno(self) < 0:
            return
        try:
            _warn(f"unclosed {self!r}", ResourceWarning, stacklevel=2, source=self)
        finally:
            try:
                _close(_detach(self))
            except OSError:
                pass

    def dup(self) -> socket.socket:
        raise NotImplementedError("SecureSocket.dup(): a duplicate descriptor would bypass ssx's security")

    def _refuse(self, name: str) -> Any:
        raise ValueError(f"{name}() is not allowed on a SecureSocket: it would bypass TLS; use send()/recv()")

    def sendto(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._refuse("sendto")

    def sendmsg(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._refuse("sendmsg")

    def recvfrom(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._refuse("recvfrom")

    def recvfrom_into(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._refuse("recvfrom_into")

    def recvmsg(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._refuse("recvmsg")

    def recvmsg_into(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._refuse("recvmsg_into")


def accept_secure(listener: Any, fd: int, timeout: Optional[float]) -> Tuple[SecureSocket, Address]:
    """ssx_accept() on `fd`, as a SecureSocket and the peer's address.

    With a timeout the handshake completes within it; a non-blocking listener (timeout 0) hands
    the connection over with the handshake pending (it completes on first use, or drive it with
    ssx.handshake()). Like socket.accept(), the new socket gets socket.getdefaulttimeout().
    """
    cfd, address = _ssx.accept(fd, timeout)
    try:
        family = family_of(listener, fd)
        conn = SecureSocket(family, socket.SOCK_STREAM, 0, fileno=cfd)
    except BaseException:
        _ssx.close(cfd)
        raise
    try:
        conn.settimeout(socket.getdefaulttimeout())
    except BaseException:
        conn.close()
        raise
    return conn, address


def create_connection(address: Tuple[str, int], timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
                      source_address: Optional[Address] = None, *, target_name: Optional[str] = None,
                      settings: Optional[SecuritySettings] = None) -> SecureSocket:
    """Connects to (host, port) and secures the connection, like socket.create_connection().

    target_name: the identity the server must prove ("db.corp", "spiffe://corp/db", an IP, ...).
    None sets none; connecting then fails with ConfigurationError (SSX_E_NO_TARGET_NAME) unless
    the policy makes peer-name verification optional.
    Each address getaddrinfo() returns is tried in turn while the TCP connection fails or times
    out; a security failure (certificate, name, policy) is raised at once.
    """
    if not isinstance(address, tuple) or len(address) != 2:
        raise TypeError("create_connection() argument 'address' must be a (host, port) tuple")
    settings_args(settings, "create_connection")  # type errors before any network activity
    if target_name is not None:
        check_str(target_name, "create_connection", "target_name")
    host, port = address
    error: Optional[BaseException] = None
    for family, socktype, proto, _canonname, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock: Optional[SecureSocket] = None
        try:
            sock = SecureSocket(family, socktype, proto, settings=settings, target_name=target_name)
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except (ConnectError, SecurityTimeoutError) as e:
            error = e
            sock.close()  # type: ignore[union-attr]
        except BaseException:
            if sock is not None:
                sock.close()
            raise
    if error is not None:
        try:
            raise error
        finally:
            error = None  # no reference cycle through the traceback
    raise OSError("getaddrinfo returns an empty list")


def create_server(address: Address, *, family: int = socket.AF_INET, backlog: Optional[int] = None,
                  reuse_port: bool = False, dualstack_ipv6: bool = False,
                  settings: Optional[SecuritySettings] = None) -> SecureSocket:
    """A listening SecureSocket bound to address, like socket.create_server(); accept() yields
    secured connections (they inherit these settings)."""
    if reuse_port and not hasattr(socket, "SO_REUSEPORT"):
        raise ValueError("SO_REUSEPORT not supported on this platform")
    if dualstack_ipv6:
        if not socket.has_dualstack_ipv6():
            raise ValueError("dualstack_ipv6 not supported on this platform")
        if family != socket.AF_INET6:
            raise ValueError("dualstack_ipv6 requires AF_INET6 family")
    sock = SecureSocket(family, socket.SOCK_STREAM, settings=settings)
    try:
        # As socket.create_server() does on POSIX: restart without waiting out TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dualstack_ipv6 else 1)
        sock.bind(address)
        if backlog is None:
            sock.listen()
        else:
            sock.listen(backlog)
        return sock
    except BaseException:
        sock.close()
        raise

