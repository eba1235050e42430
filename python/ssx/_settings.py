"""SecuritySettings: what an application asks of a socket's security (ssx_security_settings)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Iterable, Optional, Tuple, Union

from ._args import check_int, check_uint32, fspath_bytes, type_name
from ._constants import Protocol, SettingsFlag

StrPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

_MAX_TIMEOUT_S = 0xFFFFFFFF / 1000


@dataclass(frozen=True, kw_only=True)
class SecuritySettings:
    """The application's requirements for a socket; everything else comes from the policy.

    flags: SettingsFlag (GUARANTEE_ENCRYPTION, ALLOW_INSECURE).
    protocol: Protocol.DEFAULT (the policy's choice: TLS) or Protocol.TLS.
    handshake_timeout: seconds for connect/accept handshakes; None = the policy's (10 s default).
    certificate_file, private_key_file, trust_file: per-socket credentials (PEM); None = the
        policy's. The certificate file may hold the chain, leaf first.
    alpn: ALPN protocols in preference order, e.g. ["h2", "http/1.1"]; None = no ALPN.
    """

    flags: SettingsFlag = SettingsFlag(0)
    protocol: Protocol = Protocol.DEFAULT
    handshake_timeout: Optional[float] = None
    certificate_file: Optional[StrPath] = None
    private_key_file: Optional[StrPath] = None
    trust_file: Optional[StrPath] = None
    alpn: Optional[Tuple[str, ...]] = field(default=None)

    def __post_init__(self) -> None:
        func = "SecuritySettings"
        # Unknown bits are kept: the C ABI refuses them with a message naming the valid flags.
        object.__setattr__(self, "flags", SettingsFlag(check_uint32(self.flags, func, "flags")))
        protocol = check_int(self.protocol, func, "protocol")
        if not -(2**31) <= protocol < 2**31:
            raise ValueError(f"{func}() argument 'protocol' is out of range: {protocol}")
        try:
            object.__setattr__(self, "protocol", Protocol(protocol))
        except ValueError:
            pass  # unknown protocol number: the C ABI refuses it
        t = self.handshake_timeout
        if t is not None:
            if isinstance(t, bool) or not isinstance(t, (int, float)):
                raise TypeError(f"{func}() argument 'handshake_timeout' must be a number of seconds or None, "
                                f"not {type_name(t)}")
            if math.isnan(t) or not 0 < t <= _MAX_TIMEOUT_S:
                raise ValueError(f"{func}() argument 'handshake_timeout' must be > 0 and <= {_MAX_TIMEOUT_S:g} "
                                 f"seconds, got {t!r}")
        for name in ("certificate_file", "private_key_file", "trust_file"):
            fspath_bytes(getattr(self, name), func, name)  # type and NUL checks now, not at use
        if self.alpn is not None:
            object.__setattr__(self, "alpn", _alpn_tuple(self.alpn, func))

    @property
    def handshake_timeout_ms(self) -> int:
        """The handshake timeout as the C ABI takes it (0 = the policy's)."""
        if self.handshake_timeout is None:
            return 0
        return max(1, math.ceil(self.handshake_timeout * 1000))


def _alpn_tuple(value: Iterable[str], func: str) -> Tuple[str, ...]:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{func}() argument 'alpn' must be a list of protocol names like ['h2', 'http/1.1'], "
                        f"not {type_name(value)}")
    try:
        names = tuple(value)
    except TypeError:
        raise TypeError(f"{func}() argument 'alpn' must be a list of str, not {type_name(value)}") from None
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"{func}() argument 'alpn' must hold str, not {type_name(n)}")
        if not n or "," in n or "\0" in n or len(n.encode()) > 255:
            raise ValueError(f"{func}(): ALPN protocol {n!r} must be 1..255 bytes without ',' or NUL")
    if not names:
        raise ValueError(f"{func}() argument 'alpn' is empty; pass None for no ALPN")
    return names


def settings_args(settings: Optional[SecuritySettings], func: str) -> tuple:
    """The extension's arguments for ssx_set_socket_security()."""
    if settings is None:
        settings = SecuritySettings()
    elif not isinstance(settings, SecuritySettings):
        raise TypeError(f"{func}() argument 'settings' must be ssx.SecuritySettings or None, "
                        f"not {type_name(settings)}")
    return (
        int(settings.protocol),
        int(settings.flags),
        settings.handshake_timeout_ms,
        fspath_bytes(settings.certificate_file, func, "certificate_file"),
        fspath_bytes(settings.private_key_file, func, "private_key_file"),
        fspath_bytes(settings.trust_file, func, "trust_file"),
        ",".join(settings.alpn) if settings.alpn else None,
    )
