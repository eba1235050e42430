"""Argument checks and conversions shared by the function API and SecureSocket.

Wrong types raise TypeError naming the function and the argument, before anything reaches the C
ABI; values the C ABI judges (flags, names, states) are left to it, so there is one set of rules.
"""

from __future__ import annotations

import os
import socket
from typing import Any, Optional, Tuple, Union

from . import _ssx

#: What the function API accepts as a socket: a socket object (anything with fileno()) or a
#: descriptor.
SocketLike = Union[socket.socket, int, Any]
#: A numeric address for the extension: (family, host, port, flowinfo, scope_id).
RawAddress = Tuple[int, str, int, int, int]

_UINT32_MAX = 0xFFFFFFFF


def type_name(obj: object) -> str:
    return type(obj).__name__


def check_int(value: object, func: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{func}() argument '{name}' must be int, not {type_name(value)}")
    return value


def check_str(value: object, func: str, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{func}() argument '{name}' must be str, not {type_name(value)}")
    return value


def check_uint32(value: object, func: str, name: str) -> int:
    check_int(value, func, name)
    if not 0 <= value <= _UINT32_MAX:  # type: ignore[operator]
        raise ValueError(f"{func}() argument '{name}' must be in 0..0xFFFFFFFF, got {value}")
    return int(value)  # type: ignore[arg-type]


def fileno_of(sock: SocketLike, func: str) -> int:
    """The descriptor of a socket object (fileno()) or of an int."""
    if isinstance(sock, bool):
        raise TypeError(f"{func}() expects a socket or a file descriptor (int), not bool")
    if isinstance(sock, int):
        return sock
    fileno = getattr(sock, "fileno", None)
    if fileno is None or not callable(fileno):
        raise TypeError(f"{func}() expects a socket or a file descriptor (int), not {type_name(sock)}")
    fd = fileno()
    if isinstance(fd, bool) or not isinstance(fd, int):
        raise TypeError(f"{func}(): {type_name(sock)}.fileno() returned {type_name(fd)}, not int")
    return fd


def timeout_of(sock: SocketLike, fd: int) -> Optional[float]:
    """How long calls on `sock` may wait, as socket.settimeout() states it.

    A socket object says so itself (gettimeout()). A bare descriptor is taken as it is: blocking
    (None: wait as long as needed) or O_NONBLOCK (0.0: raise WantReadError/WantWriteError).
    """
    gettimeout = getattr(sock, "gettimeout", None)
    if gettimeout is not None and not isinstance(sock, int):
        t = gettimeout()
        return None if t is None else float(t)
    try:
        return None if os.get_blocking(fd) else 0.0
    except OSError:
        return None  # not open: the C ABI reports it in its own words


def family_of(sock: SocketLike, fd: int) -> int:
    family = getattr(sock, "family", None)
    if isinstance(family, int) and not isinstance(sock, int):
        return int(family)
    return _ssx.socket_family(fd)


def resolve(address: object, family: int, func: str, name: str = "address") -> RawAddress:
    """(host, port[, flowinfo, scope_id]) -> a numeric address of `family`, resolving host names
    with getaddrinfo() as socket.connect() does (the first result is used)."""
    if not isinstance(address, tuple):
        raise TypeError(f"{func}() argument '{name}' must be a (host, port) tuple, not {type_name(address)}")
    if len(address) not in (2, 3, 4):
        raise TypeError(f"{func}() argument '{name}' must be (host, port) or (host, port, flowinfo, scope_id), "
                        f"not a tuple of {len(address)}")
    host, port = address[0], address[1]
    if not isinstance(host, (str, bytes)):
        raise TypeError(f"{func}(): the host of '{name}' must be str, not {type_name(host)}")
    if isinstance(host, bytes):
        host = host.decode("ascii")
    check_int(port, func, f"{name}[1] (port)")
    if not 0 <= port <= 65535:
        raise OverflowError(f"{func}(): port must be 0-65535.")
    flowinfo = check_uint32(address[2], func, f"{name}[2] (flowinfo)") if len(address) > 2 else 0
    scope_id = check_uint32(address[3], func, f"{name}[3] (scope_id)") if len(address) > 3 else 0
    if family not in (socket.AF_INET, socket.AF_INET6):
        # Let the C ABI say what it thinks of this socket (SSX_E_UNSUPPORTED_SOCKET).
        return (family, host, port, 0, 0)
    infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    sockaddr = infos[0][4]
    if family == socket.AF_INET6:
        return (family, sockaddr[0], sockaddr[1], flowinfo or sockaddr[2], scope_id or sockaddr[3])
    return (family, sockaddr[0], sockaddr[1], 0, 0)


def fspath_bytes(value: object, func: str, name: str) -> Optional[bytes]:
    """A path argument (str, bytes or os.PathLike) as bytes for the C ABI; None stays None."""
    if value is None:
        return None
    try:
        path = os.fsencode(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{func}() argument '{name}' must be a path (str, bytes or os.PathLike), "
                        f"not {type_name(value)}") from None
    if b"\0" in path:
        raise ValueError(f"{func}() argument '{name}' contains a NUL character")
    return path
