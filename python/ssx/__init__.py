"""ssx: secure socket extensions for Python.

State the security a socket needs, name the peer it must be, connect; then ask what was
negotiated and who the peer is — and, on a server, act as that peer. TLS 1.3 with mutual X.509
authentication underneath (libssx, OpenSSL 3); credentials come from the administrator's policy
(SSX_POLICY) or per socket from SecuritySettings.

    import ssx
    with ssx.create_connection(("db.corp", 5432), target_name="db.corp") as sock:
        sock.sendall(b"hello")
        info = sock.query(ssx.TOKEN_QUERY)
        print(info.version, info.cipher, info.peer_application_token.name)

See docs/python.md.
"""

from __future__ import annotations

from . import _ssx
from ._api import (
    accept,
    close,
    connect,
    delete_peer_target_name,
    get_thread_token,
    handshake,
    impersonate,
    impersonate_socket_peer,
    query_socket_security,
    recv,
    recv_into,
    revert_impersonation,
    send,
    sendall,
    set_peer_target_name,
    set_socket_security,
    shutdown,
    version,
)
from ._constants import ErrorCode, InfoFlag, Protocol, SettingsFlag, TokenAccess
from ._errors import (
    AccessDeniedError,
    CertificateVerificationError,
    ConfigurationError,
    ConnectError,
    HandshakeError,
    PeerClosedError,
    SecurityError,
    SecurityTimeoutError,
    WantReadError,
    WantWriteError,
    error_class,
)
from ._info import SecurityInfo
from ._secure_socket import SecureSocket, create_connection, create_server
from ._settings import SecuritySettings
from ._token import Token

__version__ = _ssx.VERSION

# Module-level names mirroring the C constants (SSX_SETTINGS_*, SSX_INFO_CONNECTION_*,
# SSX_TOKEN_*, SSX_PROTOCOL_*), as the socket and ssl modules do for theirs.
PROTOCOL_DEFAULT = Protocol.DEFAULT
PROTOCOL_IPSEC = Protocol.IPSEC
PROTOCOL_IPSEC2 = Protocol.IPSEC2
PROTOCOL_TLS = Protocol.TLS
GUARANTEE_ENCRYPTION = SettingsFlag.GUARANTEE_ENCRYPTION
ALLOW_INSECURE = SettingsFlag.ALLOW_INSECURE
INFO_SECURED = InfoFlag.SECURED
INFO_ENCRYPTED = InfoFlag.ENCRYPTED
INFO_IMPERSONATED = InfoFlag.IMPERSONATED
TOKEN_ASSIGN_PRIMARY = TokenAccess.ASSIGN_PRIMARY
TOKEN_DUPLICATE = TokenAccess.DUPLICATE
TOKEN_IMPERSONATE = TokenAccess.IMPERSONATE
TOKEN_QUERY = TokenAccess.QUERY
TOKEN_QUERY_SOURCE = TokenAccess.QUERY_SOURCE
TOKEN_ADJUST_PRIVILEGES = TokenAccess.ADJUST_PRIVILEGES
TOKEN_ADJUST_GROUPS = TokenAccess.ADJUST_GROUPS
TOKEN_ADJUST_DEFAULT = TokenAccess.ADJUST_DEFAULT
TOKEN_ADJUST_SESSIONID = TokenAccess.ADJUST_SESSIONID
TOKEN_READ = TokenAccess.READ
TOKEN_ALL_ACCESS = TokenAccess.ALL_ACCESS

# Public classes report themselves as ssx.X (reprs, pickling, documentation).
for _obj in (SecureSocket, SecuritySettings, SecurityInfo, Token, ErrorCode, InfoFlag, Protocol, SettingsFlag,
             TokenAccess, SecurityError, WantReadError, WantWriteError, SecurityTimeoutError, ConfigurationError,
             AccessDeniedError, ConnectError, PeerClosedError, HandshakeError, CertificateVerificationError):
    _obj.__module__ = __name__
del _obj

__all__ = [
    "ALLOW_INSECURE", "AccessDeniedError", "CertificateVerificationError", "ConfigurationError", "ConnectError",
    "ErrorCode", "GUARANTEE_ENCRYPTION", "HandshakeError", "INFO_ENCRYPTED", "INFO_IMPERSONATED", "INFO_SECURED",
    "InfoFlag", "PROTOCOL_DEFAULT", "PROTOCOL_IPSEC", "PROTOCOL_IPSEC2", "PROTOCOL_TLS", "PeerClosedError",
    "Protocol", "SecureSocket", "SecurityError", "SecurityInfo", "SecuritySettings", "SecurityTimeoutError",
    "SettingsFlag", "TOKEN_ADJUST_DEFAULT", "TOKEN_ADJUST_GROUPS", "TOKEN_ADJUST_PRIVILEGES",
    "TOKEN_ADJUST_SESSIONID", "TOKEN_ALL_ACCESS", "TOKEN_ASSIGN_PRIMARY", "TOKEN_DUPLICATE", "TOKEN_IMPERSONATE",
    "TOKEN_QUERY", "TOKEN_QUERY_SOURCE", "TOKEN_READ", "Token", "TokenAccess", "WantReadError", "WantWriteError",
    "accept", "close", "connect", "create_connection", "create_server", "delete_peer_target_name", "error_class",
    "get_thread_token", "handshake", "impersonate", "impersonate_socket_peer", "query_socket_security", "recv",
    "recv_into", "revert_impersonation", "send", "sendall", "set_peer_target_name", "set_socket_security",
    "shutdown", "version",
]
