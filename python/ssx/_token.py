"""Token: an authenticated principal (a peer's identity, or the thread's while impersonating)."""

from __future__ import annotations

from typing import Optional, Tuple

from . import _ssx
from ._constants import TokenAccess


class Token:
    """An authenticated principal, as the peer's certificate proves it.

    Reading a token needs TokenAccess.QUERY in the rights it was opened with (query with
    ``access_mask=ssx.TOKEN_QUERY`` or more); otherwise the properties raise AccessDeniedError.
    A token stays valid after its socket is closed. Close it with close() or a ``with`` block;
    it is also closed when garbage collected. Using a closed token raises ValueError.
    """

    __slots__ = ("_handle", "__weakref__")

    def __init__(self, handle: _ssx.TokenHandle) -> None:
        if not isinstance(handle, _ssx.TokenHandle):
            raise TypeError("tokens come from ssx.query_socket_security() or ssx.get_thread_token(); "
                            "they cannot be created directly")
        self._handle = handle

    # -- lifetime -------------------------------------------------------------------------------
    def close(self) -> None:
        """Releases the token now. Closing twice is allowed."""
        self._handle.close()

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def __enter__(self) -> Token:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def duplicate(self) -> Token:
        """A new, independent handle to the same principal with the same access rights."""
        return Token(self._handle.duplicate())

    # -- contents -------------------------------------------------------------------------------
    @property
    def access_mask(self) -> TokenAccess:
        """The rights this handle was opened with."""
        return TokenAccess(self._handle.access_mask())

    @property
    def name(self) -> str:
        """The principal's name: its SPIFFE ID, else the first DNS/URI/IP/email name, else the
        subject's common name."""
        return self._handle.name()

    @property
    def subject(self) -> str:
        """The certificate subject in RFC 2253 form, e.g. ``"CN=db,O=corp"``."""
        return self._handle.subject()

    @property
    def names(self) -> Tuple[str, ...]:
        """Every subject alternative name with its type: ``"DNS:db.corp"``, ``"IP:192.0.2.7"``,
        ``"URI:spiffe://corp/db"``, ``"email:a@corp"``."""
        return self._handle.names()

    @property
    def spiffe_id(self) -> Optional[str]:
        """The SPIFFE ID (``"spiffe://td/path"``), or None."""
        return self._handle.spiffe_id()

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the peer's DER certificate, 64 uppercase hex digits."""
        return self._handle.fingerprint()

    @property
    def chain(self) -> Tuple[bytes, ...]:
        """The peer's certificate chain as DER, leaf first (only the leaf after resumption)."""
        return self._handle.chain()

    @property
    def uid(self) -> Optional[int]:
        """The local account's uid the policy maps the principal to, or None when unmapped."""
        account = self._handle.unix_account()
        return None if account is None else account[0]

    @property
    def gid(self) -> Optional[int]:
        """The mapped account's primary gid, or None when unmapped."""
        account = self._handle.unix_account()
        return None if account is None else account[1]

    @property
    def user(self) -> Optional[str]:
        """The mapped account's user name, or None (unmapped, or mapped by number only)."""
        return self._handle.unix_user()

    @property
    def groups(self) -> Optional[Tuple[int, ...]]:
        """The mapped account's supplementary groups, or None when unmapped."""
        return self._handle.unix_groups()

    def __repr__(self) -> str:
        if self.closed:
            return "<ssx.Token closed>"
        try:
            return f"<ssx.Token name={self.name!r}>"
        except OSError:  # opened without QUERY access
            return f"<ssx.Token access={self.access_mask!r}>"


def token_or_none(handle: Optional[_ssx.TokenHandle]) -> Optional[Token]:
    return None if handle is None else Token(handle)
