"""Constants, enums and SecuritySettings."""

from __future__ import annotations

import dataclasses
import enum
import math
from pathlib import Path

import pytest

import ssx


def test_module_constants_mirror_the_c_values():
    assert (ssx.GUARANTEE_ENCRYPTION, ssx.ALLOW_INSECURE) == (0x1, 0x2)
    assert (ssx.INFO_SECURED, ssx.INFO_ENCRYPTED, ssx.INFO_IMPERSONATED) == (0x1, 0x2, 0x4)
    assert (ssx.PROTOCOL_DEFAULT, ssx.PROTOCOL_IPSEC, ssx.PROTOCOL_IPSEC2, ssx.PROTOCOL_TLS) == (0, 1, 2, 4)
    tokens = {"ASSIGN_PRIMARY": 0x1, "DUPLICATE": 0x2, "IMPERSONATE": 0x4, "QUERY": 0x8, "QUERY_SOURCE": 0x10,
              "ADJUST_PRIVILEGES": 0x20, "ADJUST_GROUPS": 0x40, "ADJUST_DEFAULT": 0x80, "ADJUST_SESSIONID": 0x100,
              "READ": 0x20008, "ALL_ACCESS": 0xF01FF}
    for name, value in tokens.items():
        assert getattr(ssx, f"TOKEN_{name}") == value
        assert getattr(ssx, f"TOKEN_{name}") is ssx.TokenAccess[name]
    assert ssx.TOKEN_QUERY in ssx.TOKEN_READ and ssx.TOKEN_QUERY in ssx.TOKEN_ALL_ACCESS
    assert isinstance(ssx.ALLOW_INSECURE, enum.IntFlag) and isinstance(ssx.INFO_SECURED, enum.IntFlag)
    assert isinstance(ssx.PROTOCOL_TLS, enum.IntEnum)
    assert ssx.GUARANTEE_ENCRYPTION | ssx.ALLOW_INSECURE == 3


def test_public_names_are_exported():
    for name in ssx.__all__:
        assert hasattr(ssx, name), name
    assert ssx.SecureSocket.__module__ == "ssx" and ssx.SecurityError.__module__ == "ssx"


def test_settings_defaults_and_immutability():
    s = ssx.SecuritySettings()
    assert s.flags == 0 and s.protocol is ssx.Protocol.DEFAULT and s.handshake_timeout is None
    assert s.certificate_file is None and s.alpn is None and s.handshake_timeout_ms == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.flags = ssx.ALLOW_INSECURE  # type: ignore[misc]
    with pytest.raises(TypeError):
        ssx.SecuritySettings(ssx.ALLOW_INSECURE)  # type: ignore[misc]  # keyword-only


def test_settings_normalise_values():
    s = ssx.SecuritySettings(flags=3, protocol=4, handshake_timeout=1.2345, alpn=["h2", "http/1.1"],
                             certificate_file=Path("/x/c.pem"))
    assert s.flags is not None and isinstance(s.flags, ssx.SettingsFlag) and s.flags == 3
    assert s.protocol is ssx.PROTOCOL_TLS
    assert s.alpn == ("h2", "http/1.1")
    assert s.handshake_timeout_ms == 1235
    assert ssx.SecuritySettings(handshake_timeout=0.0001).handshake_timeout_ms == 1


@pytest.mark.parametrize("kwargs", [
    {"flags": "1"}, {"flags": 1.0}, {"flags": True}, {"protocol": "tls"}, {"handshake_timeout": "1"},
    {"handshake_timeout": True}, {"certificate_file": 42}, {"trust_file": ["ca.pem"]}, {"alpn": "h2"},
    {"alpn": [b"h2"]}, {"alpn": 5},
])
def test_settings_type_errors(kwargs):
    with pytest.raises(TypeError):
        ssx.SecuritySettings(**kwargs)


@pytest.mark.parametrize("kwargs", [
    {"flags": -1}, {"flags": 1 << 32}, {"protocol": 1 << 40}, {"handshake_timeout": 0},
    {"handshake_timeout": -1}, {"handshake_timeout": math.nan}, {"handshake_timeout": 1e12},
    {"alpn": []}, {"alpn": [""]}, {"alpn": ["a,b"]}, {"alpn": ["x" * 256]}, {"private_key_file": "a\0b"},
])
def test_settings_value_errors(kwargs):
    with pytest.raises(ValueError):
        ssx.SecuritySettings(**kwargs)
