"""Enumerations of the C constants (values read from the extension, i.e. from ssx.h)."""

from __future__ import annotations

import enum

from . import _ssx


class Protocol(enum.IntEnum):
    """Security protocol of SecuritySettings (values match Windows' SOCKET_SECURITY_PROTOCOL)."""

    DEFAULT = _ssx.PROTOCOL_DEFAULT  #: what the administrator's policy chooses: TLS today
    IPSEC = _ssx.PROTOCOL_IPSEC  #: not available on Linux
    IPSEC2 = _ssx.PROTOCOL_IPSEC2  #: not available on Linux
    TLS = _ssx.PROTOCOL_TLS  #: TLS 1.3 (1.2 if the policy allows it)


class SettingsFlag(enum.IntFlag):
    """Flags of SecuritySettings (values match Windows' SOCKET_SETTINGS_*)."""

    GUARANTEE_ENCRYPTION = _ssx.SETTINGS_GUARANTEE_ENCRYPTION  #: refuse suites without encryption
    ALLOW_INSECURE = _ssx.SETTINGS_ALLOW_INSECURE  #: clear text if the peer has no TLS


class InfoFlag(enum.IntFlag):
    """SecurityInfo.flags (values match Windows' SOCKET_INFO_CONNECTION_*)."""

    SECURED = _ssx.INFO_CONNECTION_SECURED  #: TLS protects the traffic
    ENCRYPTED = _ssx.INFO_CONNECTION_ENCRYPTED  #: ... and encrypts it
    IMPERSONATED = _ssx.INFO_CONNECTION_IMPERSONATED  #: this thread impersonates the peer


class TokenAccess(enum.IntFlag):
    """Access rights a token is opened with (Windows' TOKEN_* values)."""

    ASSIGN_PRIMARY = _ssx.TOKEN_ASSIGN_PRIMARY
    DUPLICATE = _ssx.TOKEN_DUPLICATE
    IMPERSONATE = _ssx.TOKEN_IMPERSONATE
    QUERY = _ssx.TOKEN_QUERY  #: needed to read a token's contents
    QUERY_SOURCE = _ssx.TOKEN_QUERY_SOURCE
    ADJUST_PRIVILEGES = _ssx.TOKEN_ADJUST_PRIVILEGES
    ADJUST_GROUPS = _ssx.TOKEN_ADJUST_GROUPS
    ADJUST_DEFAULT = _ssx.TOKEN_ADJUST_DEFAULT
    ADJUST_SESSIONID = _ssx.TOKEN_ADJUST_SESSIONID
    READ = _ssx.TOKEN_READ  #: includes QUERY
    ALL_ACCESS = _ssx.TOKEN_ALL_ACCESS


class ErrorCode(enum.IntEnum):
    """The stable ssx error codes (SSX_E_* without the prefix); SecurityError.code."""

    OK = _ssx.OK
    INVALID_ARGUMENT = _ssx.E_INVALID_ARGUMENT
    NULL_POINTER = _ssx.E_NULL_POINTER
    BUFFER_TOO_SMALL = _ssx.E_BUFFER_TOO_SMALL
    NOT_SOCKET = _ssx.E_NOT_SOCKET
    BAD_DESCRIPTOR = _ssx.E_BAD_DESCRIPTOR
    UNSUPPORTED_SOCKET = _ssx.E_UNSUPPORTED_SOCKET
    ADDRESS_FAMILY = _ssx.E_ADDRESS_FAMILY
    NOT_SUPPORTED = _ssx.E_NOT_SUPPORTED
    ALREADY_CONNECTED = _ssx.E_ALREADY_CONNECTED
    ALREADY_BOUND = _ssx.E_ALREADY_BOUND
    ALREADY_SET = _ssx.E_ALREADY_SET
    NOT_CONNECTED = _ssx.E_NOT_CONNECTED
    NOT_SECURED = _ssx.E_NOT_SECURED
    NO_SECURITY = _ssx.E_NO_SECURITY
    NOT_FOUND = _ssx.E_NOT_FOUND
    LISTENING = _ssx.E_LISTENING
    ACCESS_DENIED = _ssx.E_ACCESS_DENIED
    POLICY = _ssx.E_POLICY
    NO_CREDENTIALS = _ssx.E_NO_CREDENTIALS
    CREDENTIALS = _ssx.E_CREDENTIALS
    POLICY_FORBIDS = _ssx.E_POLICY_FORBIDS
    HANDSHAKE = _ssx.E_HANDSHAKE
    PEER_UNTRUSTED = _ssx.E_PEER_UNTRUSTED
    NAME_MISMATCH = _ssx.E_NAME_MISMATCH
    CERT_EXPIRED = _ssx.E_CERT_EXPIRED
    NO_PEER_CERT = _ssx.E_NO_PEER_CERT
    NO_TARGET_NAME = _ssx.E_NO_TARGET_NAME
    PROTOCOL_VERSION = _ssx.E_PROTOCOL_VERSION
    PEER_NOT_TLS = _ssx.E_PEER_NOT_TLS
    TIMEOUT = _ssx.E_TIMEOUT
    PEER_CLOSED = _ssx.E_PEER_CLOSED
    PEER_REJECTED = _ssx.E_PEER_REJECTED
    CONNECT = _ssx.E_CONNECT
    CERT_NOT_YET_VALID = _ssx.E_CERT_NOT_YET_VALID
    WANT_READ = _ssx.E_WANT_READ
    WANT_WRITE = _ssx.E_WANT_WRITE
    IO = _ssx.E_IO
    SHUT_DOWN = _ssx.E_SHUT_DOWN
    PROTOCOL = _ssx.E_PROTOCOL
    IMPERSONATION_DENIED = _ssx.E_IMPERSONATION_DENIED
    OS_CREDENTIALS = _ssx.E_OS_CREDENTIALS
    NO_MEMORY = _ssx.E_NO_MEMORY
    INTERNAL = _ssx.E_INTERNAL
