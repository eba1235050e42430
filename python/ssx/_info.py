"""SecurityInfo: what ssx.query_socket_security() reports about a connection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from . import _ssx
from ._constants import InfoFlag, Protocol
from ._token import Token, token_or_none

_VERSION_NAMES = {0x0304: "TLSv1.3", 0x0303: "TLSv1.2"}


@dataclass(frozen=True)
class SecurityInfo:
    """The negotiated security of a connection and, when asked for, the peer's tokens.

    ``with`` closes the tokens at the end of the block (they are closed on garbage collection
    otherwise).
    """

    flags: InfoFlag
    protocol: Protocol
    tls_version: int  #: 0x0304 for TLS 1.3, 0x0303 for TLS 1.2, 0 when not secured
    cipher: Optional[str]  #: IANA suite name, e.g. "TLS_AES_128_GCM_SHA256"; None when not secured
    alpn: Optional[str]  #: the negotiated ALPN protocol, None when none
    resumed: bool  #: the TLS session was resumed (the peer was re-authorized)
    verify_result: int  #: OpenSSL X509_V_* result of the peer verification; 0 = verified
    peer_application_token: Optional[Token]  #: the peer's identity (access_mask != 0 only)
    peer_machine_token: Optional[Token]  #: the peer host's identity; None in this release

    @property
    def secured(self) -> bool:
        return InfoFlag.SECURED in self.flags

    @property
    def encrypted(self) -> bool:
        return InfoFlag.ENCRYPTED in self.flags

    @property
    def impersonated(self) -> bool:
        """The calling thread impersonates this connection's peer."""
        return InfoFlag.IMPERSONATED in self.flags

    @property
    def version(self) -> Optional[str]:
        """The TLS version as ssl.SSLSocket.version() names it ("TLSv1.3"), or None."""
        if not self.tls_version:
            return None
        return _VERSION_NAMES.get(self.tls_version, f"0x{self.tls_version:04x}")

    def close(self) -> None:
        """Closes the tokens."""
        for token in (self.peer_application_token, self.peer_machine_token):
            if token is not None:
                token.close()

    def __enter__(self) -> SecurityInfo:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def info_from_raw(raw: tuple) -> SecurityInfo:
    protocol, flags, tls_version, tls_flags, verify_result, cipher, alpn, app, machine = raw
    try:
        proto: Protocol = Protocol(protocol)
    except ValueError:
        proto = protocol
    return SecurityInfo(
        flags=InfoFlag(flags),
        protocol=proto,
        tls_version=tls_version,
        cipher=cipher or None,
        alpn=alpn or None,
        resumed=bool(tls_flags & _ssx.TLS_RESUMED),
        verify_result=verify_result,
        peer_application_token=token_or_none(app),
        peer_machine_token=token_or_none(machine),
    )
