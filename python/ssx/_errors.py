"""The exceptions, and the one table that maps each ssx error code to its class.

Every failure of the C ABI becomes a SecurityError (an OSError) carrying ``errno`` (the closest
POSIX code, as the C ABI set it), ``code`` (the stable ssx code, an ErrorCode) and ``message``.
Where Python has a natural exception for a failure, the subclass also derives from it, so
``except BlockingIOError`` / ``except TimeoutError`` / ``except ConnectionError`` /
``except PermissionError`` work as they do with plain sockets.
"""

from __future__ import annotations

from typing import Any

from . import _ssx
from ._constants import ErrorCode


class SecurityError(OSError):
    """A failure reported by ssx."""

    code: ErrorCode | int
    message: str

    def __init__(self, errno: int, message: str, code: ErrorCode | int = ErrorCode.INTERNAL) -> None:
        super().__init__(errno, message)
        self.code = code
        self.message = message

    @property
    def code_name(self) -> str:
        """The C name of the code, e.g. ``"SSX_E_NAME_MISMATCH"``."""
        return _ssx.error_name(int(self.code))

    def __str__(self) -> str:
        return f"[{self.code_name}] {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errno, self.message, self.code))


class WantReadError(SecurityError, BlockingIOError):
    """Non-blocking socket: wait until it is readable, then repeat the call (or ssx.handshake())."""


class WantWriteError(SecurityError, BlockingIOError):
    """Non-blocking socket: wait until it is writable, then repeat the call (or ssx.handshake())."""


class SecurityTimeoutError(SecurityError, TimeoutError):
    """The handshake deadline or the socket's timeout expired."""


class ConfigurationError(SecurityError):
    """The policy, the credentials or the target name are missing or unusable."""


class AccessDeniedError(SecurityError, PermissionError):
    """The policy or a token's access rights forbid the request."""


class ConnectError(SecurityError, ConnectionError):
    """The TCP connection failed (``errno`` is connect()'s)."""


class PeerClosedError(SecurityError, ConnectionResetError):
    """The peer closed or reset the connection (without a TLS close_notify)."""


class HandshakeError(SecurityError, ConnectionError):
    """Security could not be established with the peer."""


class CertificateVerificationError(HandshakeError):
    """The peer's certificate does not verify or does not prove the target name."""


_E = ErrorCode

# The table. Codes not listed (argument and call-order errors, I/O, internal) raise SecurityError.
_CLASS_OF_CODE: dict[int, type[SecurityError]] = {
    _E.WANT_READ: WantReadError,
    _E.WANT_WRITE: WantWriteError,
    _E.TIMEOUT: SecurityTimeoutError,
    _E.POLICY: ConfigurationError,
    _E.NO_CREDENTIALS: ConfigurationError,
    _E.CREDENTIALS: ConfigurationError,
    _E.NO_TARGET_NAME: ConfigurationError,
    _E.ACCESS_DENIED: AccessDeniedError,
    _E.POLICY_FORBIDS: AccessDeniedError,
    _E.IMPERSONATION_DENIED: AccessDeniedError,
    _E.OS_CREDENTIALS: AccessDeniedError,
    _E.CONNECT: ConnectError,
    _E.PEER_CLOSED: PeerClosedError,
    _E.HANDSHAKE: HandshakeError,
    _E.PROTOCOL_VERSION: HandshakeError,
    _E.PEER_NOT_TLS: HandshakeError,
    _E.PEER_REJECTED: HandshakeError,
    _E.PROTOCOL: HandshakeError,
    _E.PEER_UNTRUSTED: CertificateVerificationError,
    _E.NAME_MISMATCH: CertificateVerificationError,
    _E.CERT_EXPIRED: CertificateVerificationError,
    _E.CERT_NOT_YET_VALID: CertificateVerificationError,
    _E.NO_PEER_CERT: CertificateVerificationError,
}


def error_class(code: int) -> type[SecurityError]:
    """The exception class raised for an ssx error code."""
    return _CLASS_OF_CODE.get(code, SecurityError)


def error_from_code(code: int, errno: int, message: str) -> SecurityError:
    """The exception for a failure: what the extension raises (registered below)."""
    try:
        known: ErrorCode | int = ErrorCode(code)
    except ValueError:  # a code from a newer library: keep the number
        known = code
    return error_class(code)(errno, message, known)


_ssx._set_error_factory(error_from_code)
