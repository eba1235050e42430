"""The impersonation context manager shared by ssx.impersonate() and SecureSocket.impersonate()."""

from __future__ import annotations

import contextlib
from typing import Iterator, Optional

from . import _ssx
from ._args import RawAddress
from ._token import Token, token_or_none


@contextlib.contextmanager
def impersonating(fd: int, peer: Optional[RawAddress] = None) -> Iterator[Token]:
    """Impersonates the peer of `fd` on this thread for the block, yields the peer's token (closed
    at the end), and reverts however the block ends."""
    _ssx.impersonate_socket_peer(fd, peer)
    try:
        token = token_or_none(_ssx.get_thread_token())
        if token is None:  # impersonation succeeded, so the thread must have a token
            raise RuntimeError("ssx reported no thread token while impersonating; please report this bug")
        with token:
            yield token
    finally:
        _ssx.revert_impersonation()
