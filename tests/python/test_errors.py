"""The error table: every ssx code, its class, its attributes."""

from __future__ import annotations

import errno
import pickle

import pytest

import ssx
from ssx import _ssx

E = ssx.ErrorCode

EXPECTED_CLASS = {
    E.WANT_READ: ssx.WantReadError,
    E.WANT_WRITE: ssx.WantWriteError,
    E.TIMEOUT: ssx.SecurityTimeoutError,
    E.POLICY: ssx.ConfigurationError,
    E.NO_CREDENTIALS: ssx.ConfigurationError,
    E.CREDENTIALS: ssx.ConfigurationError,
    E.NO_TARGET_NAME: ssx.ConfigurationError,
    E.ACCESS_DENIED: ssx.AccessDeniedError,
    E.POLICY_FORBIDS: ssx.AccessDeniedError,
    E.IMPERSONATION_DENIED: ssx.AccessDeniedError,
    E.OS_CREDENTIALS: ssx.AccessDeniedError,
    E.CONNECT: ssx.ConnectError,
    E.PEER_CLOSED: ssx.PeerClosedError,
    E.HANDSHAKE: ssx.HandshakeError,
    E.PROTOCOL_VERSION: ssx.HandshakeError,
    E.PEER_NOT_TLS: ssx.HandshakeError,
    E.PEER_REJECTED: ssx.HandshakeError,
    E.PROTOCOL: ssx.HandshakeError,
    E.PEER_UNTRUSTED: ssx.CertificateVerificationError,
    E.NAME_MISMATCH: ssx.CertificateVerificationError,
    E.CERT_EXPIRED: ssx.CertificateVerificationError,
    E.CERT_NOT_YET_VALID: ssx.CertificateVerificationError,
    E.NO_PEER_CERT: ssx.CertificateVerificationError,
}


def test_error_code_enum_matches_the_library():
    for code in E:
        expected = "SSX_OK" if code == E.OK else f"SSX_E_{code.name}"
        assert _ssx.error_name(code) == expected
    # Every code the library knows has a member (a code added to ssx.h must be added here too).
    known = {c for c in range(-1, 1000) if _ssx.error_name(c) != "SSX_E_UNKNOWN"}
    assert known == {int(c) for c in E}


@pytest.mark.parametrize("code", list(E)[1:], ids=lambda c: c.name)
def test_every_code_maps_to_its_class(code):
    cls = EXPECTED_CLASS.get(code, ssx.SecurityError)
    assert ssx.error_class(code) is cls
    err = ssx._errors.error_from_code(int(code), errno.EIO, "what happened")
    assert type(err) is cls
    assert isinstance(err, ssx.SecurityError) and isinstance(err, OSError)
    assert err.code is code and err.errno == errno.EIO and err.strerror == "what happened"
    assert err.message == "what happened"
    assert err.code_name == f"SSX_E_{code.name}"
    assert str(err) == f"[SSX_E_{code.name}] what happened"
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is cls and copy.code == code and copy.errno == err.errno and copy.message == err.message


def test_python_natural_bases():
    assert issubclass(ssx.WantReadError, BlockingIOError)
    assert issubclass(ssx.WantWriteError, BlockingIOError)
    assert issubclass(ssx.SecurityTimeoutError, TimeoutError)
    assert issubclass(ssx.PeerClosedError, ConnectionResetError)
    assert issubclass(ssx.ConnectError, ConnectionError)
    assert issubclass(ssx.HandshakeError, ConnectionError)
    assert issubclass(ssx.CertificateVerificationError, ssx.HandshakeError)
    assert issubclass(ssx.AccessDeniedError, PermissionError)
    assert not issubclass(ssx.ConfigurationError, ConnectionError)


def test_unknown_codes_keep_their_number():
    err = ssx._errors.error_from_code(999, errno.EIO, "from a newer library")
    assert type(err) is ssx.SecurityError and err.code == 999 and err.code_name == "SSX_E_UNKNOWN"


def test_errors_raised_by_the_extension_carry_everything():
    with pytest.raises(ssx.SecurityError) as e:
        ssx.recv(1 << 20, 1)  # not an open descriptor
    assert e.value.code is E.BAD_DESCRIPTOR
    assert e.value.errno == errno.EBADF
    assert e.value.message and str(e.value).startswith("[SSX_E_BAD_DESCRIPTOR] ")
