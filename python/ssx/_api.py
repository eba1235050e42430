"""The function API: the C ABI's workflow on socket objects or descriptors.

Every function takes a socket object (anything with fileno(), e.g. socket.socket) or an int
descriptor. A socket object's timeout (settimeout()) applies: None waits as long as needed, 0
raises WantReadError/WantWriteError (both BlockingIOError), a number bounds the whole call. A bare
descriptor is taken as it is: blocking, or O_NONBLOCK (like timeout 0).
"""

from __future__ import annotations

from typing import Any, ContextManager, Optional, Tuple

from . import _ssx
from ._args import SocketLike, check_int, check_str, check_uint32, family_of, fileno_of, resolve, timeout_of
from ._impersonation import impersonating
from ._info import SecurityInfo, info_from_raw
from ._secure_socket import SecureSocket, accept_secure
from ._settings import SecuritySettings, settings_args
from ._token import Token, token_or_none

Address = Tuple[Any, ...]


def version() -> str:
    """The version of the libssx library in use, e.g. "0.1.0"."""
    return _ssx.version()


def set_socket_security(sock: SocketLike, settings: Optional[SecuritySettings] = None) -> None:
    """Turns on security for a TCP socket: before connect() on a client, before bind() on a
    listener (accepted sockets inherit it). Once per socket. settings=None: the policy's
    defaults. The policy and the credentials are read and checked now."""
    fd = fileno_of(sock, "set_socket_security")
    _ssx.set_socket_security(fd, *settings_args(settings, "set_socket_security"))


def set_peer_target_name(sock: SocketLike, name: str, peer: Optional[Address] = None) -> None:
    """Names the identity the peer must prove: "db.corp", "192.0.2.7", "spiffe://corp/db",
    "spiffe://corp/db/*", "spiffe://corp", "host/db.corp", "DNS:x", "IP:x", "URI:x", ...
    peer: the (host, port) the name applies to (port 0: any port); None: any peer. Before connect."""
    fd = fileno_of(sock, "set_peer_target_name")
    check_str(name, "set_peer_target_name", "name")
    raw = None if peer is None else resolve(peer, family_of(sock, fd), "set_peer_target_name", "peer")
    _ssx.set_peer_target_name(fd, name, raw)


def delete_peer_target_name(sock: SocketLike, peer: Optional[Address] = None) -> None:
    """Removes the target name set for peer (None: the any-peer name)."""
    fd = fileno_of(sock, "delete_peer_target_name")
    raw = None if peer is None else resolve(peer, family_of(sock, fd), "delete_peer_target_name", "peer")
    _ssx.delete_peer_target_name(fd, raw)


def connect(sock: SocketLike, address: Address) -> None:
    """Connects and secures: returns only when TCP is connected, TLS negotiated, the peer's chain
    verified, the target name proved and the policy satisfied. Host names are resolved as
    socket.connect() does."""
    fd = fileno_of(sock, "connect")
    raw = resolve(address, family_of(sock, fd), "connect")
    _ssx.connect(fd, raw, timeout_of(sock, fd))


def accept(listen_sock: SocketLike) -> Tuple[SecureSocket, Address]:
    """Accepts a connection on a secured listener and completes its handshake: returns
    (SecureSocket, address). A client failing the handshake raises its error; the listener is
    unaffected, call accept() again."""
    fd = fileno_of(listen_sock, "accept")
    return accept_secure(listen_sock, fd, timeout_of(listen_sock, fd))


def handshake(sock: SocketLike) -> None:
    """Continues a pending handshake (non-blocking sockets): raises WantReadError/WantWriteError
    until it completes; wait for that readiness (selectors, asyncio) and call again."""
    fd = fileno_of(sock, "handshake")
    _ssx.handshake(fd, timeout_of(sock, fd))


def send(sock: SocketLike, data: Any, flags: int = 0) -> int:
    """Sends bytes over the secured connection; returns how many were sent."""
    fd = fileno_of(sock, "send")
    return _ssx.send(fd, data, check_int(flags, "send", "flags"), timeout_of(sock, fd))


def sendall(sock: SocketLike, data: Any, flags: int = 0) -> None:
    """Sends all the bytes (the timeout bounds the whole call)."""
    fd = fileno_of(sock, "sendall")
    _ssx.sendall(fd, data, check_int(flags, "sendall", "flags"), timeout_of(sock, fd))


def recv(sock: SocketLike, bufsize: int, flags: int = 0) -> bytes:
    """Receives up to bufsize bytes; b"" at the peer's orderly end (TLS close_notify). A peer that
    closes TCP without close_notify raises PeerClosedError (a truncation cannot be told apart
    from the real end otherwise)."""
    fd = fileno_of(sock, "recv")
    return _ssx.recv(fd, check_int(bufsize, "recv", "bufsize"), check_int(flags, "recv", "flags"),
                     timeout_of(sock, fd))


def recv_into(sock: SocketLike, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
    """Receives into a writable bytes-like buffer (nbytes=0: its size); returns the count."""
    fd = fileno_of(sock, "recv_into")
    return _ssx.recv_into(fd, buffer, check_int(nbytes, "recv_into", "nbytes"),
                          check_int(flags, "recv_into", "flags"), timeout_of(sock, fd))


def shutdown(sock: SocketLike, how: int) -> None:
    """socket.SHUT_RD, SHUT_WR or SHUT_RDWR; SHUT_WR sends TLS close_notify first."""
    fd = fileno_of(sock, "shutdown")
    _ssx.shutdown(fd, check_int(how, "shutdown", "how"))


def close(sock: SocketLike) -> None:
    """Sends close_notify, forgets the socket's security state and closes the descriptor (in
    every case). A socket object is detached first, so it does not close the descriptor again."""
    if isinstance(sock, SecureSocket):
        sock.close()
        return
    if isinstance(sock, bool) or not (isinstance(sock, int) or callable(getattr(sock, "detach", None))):
        raise TypeError(f"close() expects a socket.socket or a file descriptor (int), not {type(sock).__name__}")
    fd = sock if isinstance(sock, int) else sock.detach()
    _ssx.close(fd)


def query_socket_security(sock: SocketLike, access_mask: int = 0) -> SecurityInfo:
    """The security of a connection. access_mask != 0 (e.g. ssx.TOKEN_QUERY) also returns the
    peer's token, opened with those rights."""
    fd = fileno_of(sock, "query_socket_security")
    mask = check_uint32(access_mask, "query_socket_security", "access_mask")
    return info_from_raw(_ssx.query_socket_security(fd, mask))


def impersonate_socket_peer(sock: SocketLike, peer: Optional[Address] = None) -> None:
    """The calling thread acts as the socket's peer until revert_impersonation() (prefer the
    impersonate() context manager). peer: ignored for TCP."""
    fd = fileno_of(sock, "impersonate_socket_peer")
    raw = None if peer is None else resolve(peer, family_of(sock, fd), "impersonate_socket_peer", "peer")
    _ssx.impersonate_socket_peer(fd, raw)


def revert_impersonation() -> None:
    """Ends the calling thread's latest impersonation (does nothing when there is none)."""
    _ssx.revert_impersonation()


def impersonate(sock: SocketLike, peer: Optional[Address] = None) -> ContextManager[Token]:
    """``with ssx.impersonate(conn) as peer:`` — the block runs as the peer on this thread, and
    the impersonation is reverted however the block ends. Yields the peer's token."""
    fd = fileno_of(sock, "impersonate")
    raw = None if peer is None else resolve(peer, family_of(sock, fd), "impersonate", "peer")
    return impersonating(fd, raw)


def get_thread_token() -> Optional[Token]:
    """The principal the calling thread impersonates (full access), or None."""
    return token_or_none(_ssx.get_thread_token())
