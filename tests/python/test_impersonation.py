"""Impersonation: per thread, always reverted by the context managers, nesting, identity mapping
and OS credentials."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import pytest

import ssx
from conftest import Server, connect_client, creds


def serve_one(server_settings, pki, handler):
    """Runs handler(conn) on the server side of one connection; returns its result."""
    with Server(server_settings, lambda conn, addr: _closing(conn, handler)) as server:
        with connect_client(pki, server.address) as sock:
            sock.sendall(b"x")
            assert sock.recv(1) == b"x"
        return server.join_ok()[0]


def _closing(conn, handler):
    with conn:
        conn.sendall(conn.recv(1))
        return handler(conn)


def test_impersonate_context_manager(pki, server_settings):
    def handler(conn):
        seen = {}
        with ssx.impersonate(conn) as peer:
            seen["peer"] = peer.name
            with ssx.get_thread_token() as current:
                seen["thread"] = current.name
            seen["flag"] = conn.query().impersonated
        seen["after"] = ssx.get_thread_token()
        seen["flag_after"] = conn.query().impersonated
        seen["peer_closed"] = peer.closed
        with conn.impersonate() as peer2:  # the method form
            seen["method"] = peer2.name
        seen["after_method"] = ssx.get_thread_token()
        return seen

    seen = serve_one(server_settings, pki, handler)
    assert seen == {"peer": "spiffe://test/client", "thread": "spiffe://test/client", "flag": True, "after": None,
                    "flag_after": False, "peer_closed": True, "method": "spiffe://test/client",
                    "after_method": None}


def test_an_exception_in_the_block_still_reverts(pki, server_settings):
    def handler(conn):
        with pytest.raises(KeyError):
            with ssx.impersonate(conn):
                raise KeyError("boom")
        return ssx.get_thread_token()

    assert serve_one(server_settings, pki, handler) is None


def test_nesting_and_the_function_form(pki, server_settings):
    def handler(conn):
        names = []
        ssx.impersonate_socket_peer(conn)
        ssx.impersonate_socket_peer(conn.fileno(), None)
        ssx.revert_impersonation()
        names.append(ssx.get_thread_token().name)
        ssx.revert_impersonation()
        names.append(ssx.get_thread_token())
        return names

    assert serve_one(server_settings, pki, handler) == ["spiffe://test/client", None]


def test_impersonation_is_per_thread(pki, server_settings):
    def handler(conn):
        other = {}
        with ssx.impersonate(conn):
            t = threading.Thread(target=lambda: other.setdefault("token", ssx.get_thread_token()))
            t.start()
            t.join(10)
            mine = ssx.get_thread_token().name
        return mine, other["token"]

    assert serve_one(server_settings, pki, handler) == ("spiffe://test/client", None)
    assert ssx.get_thread_token() is None  # nor on the main thread


def test_impersonation_refusals(pki):
    with socket.socket() as plain:
        with pytest.raises(ssx.SecurityError) as e:
            with ssx.impersonate(plain):
                pass
        assert e.value.code == ssx.ErrorCode.NO_SECURITY
    with ssx.SecureSocket(settings=creds(pki, "client")) as unconnected:
        with pytest.raises(ssx.SecurityError) as e:
            with unconnected.impersonate():
                pass
        assert e.value.code == ssx.ErrorCode.NOT_CONNECTED
    assert ssx.get_thread_token() is None


def write_policy(tmp_path, text):
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return str(path)


def test_identity_map_by_user_name(pki, tmp_path, monkeypatch):
    nobody = pwd.getpwnam("nobody")
    monkeypatch.setenv("SSX_POLICY", write_policy(tmp_path, '[[identity_map]]\npeer = "spiffe://test/client"\n'
                                                            'user = "nobody"\n'))

    def handler(conn):
        with conn.query(ssx.TOKEN_QUERY).peer_application_token as t:
            return t.uid, t.gid, t.user, t.groups

    uid, gid, user, groups = serve_one(creds(pki, "server"), pki, handler)
    assert (uid, gid, user) == (nobody.pw_uid, nobody.pw_gid, "nobody")
    assert set(groups) == set(os.getgrouplist("nobody", nobody.pw_gid))


def test_os_credentials_switch_file_access_to_the_peer(pki, tmp_path, monkeypatch, request):
    """With os_credentials, files opened while impersonating are checked (and created) as the
    mapped account; without CAP_SETUID/CAP_SETGID the switch is refused and nothing changes."""
    uid = gid = 54321
    # pytest's tmp_path is 0700: the peer's account could not even reach it. A folder of our own:
    base = Path(tempfile.mkdtemp(prefix="ssx-impersonation-"))
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    base.chmod(0o755)
    shared = base / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    secret = base / "secret"
    secret.write_text("root only")
    secret.chmod(0o600)
    monkeypatch.setenv("SSX_POLICY", write_policy(tmp_path, f'[impersonation]\nos_credentials = true\n\n'
                                                            f'[[identity_map]]\npeer = "spiffe://test/client"\n'
                                                            f'uid = {uid}\ngid = {gid}\n'))

    def handler(conn):
        outcome = {}
        try:
            with ssx.impersonate(conn) as peer:
                outcome["uid"] = peer.uid
                (shared / "made-as-peer").write_text("x")
                try:
                    secret.read_text()
                    outcome["secret"] = "read"
                except PermissionError:
                    outcome["secret"] = "denied"
        except ssx.AccessDeniedError as e:
            outcome["refused"] = e.code
        outcome["secret_after"] = secret.read_text() if os.geteuid() == 0 else None
        return outcome

    outcome = serve_one(creds(pki, "server"), pki, handler)
    if "refused" in outcome:
        # Only possible without the capabilities (not root).
        assert os.geteuid() != 0 and outcome["refused"] == ssx.ErrorCode.OS_CREDENTIALS
        return
    assert outcome["uid"] == uid
    st = (shared / "made-as-peer").stat()
    assert (st.st_uid, st.st_gid) == (uid, gid)
    assert outcome["secret"] == "denied"
    assert outcome["secret_after"] == "root only"
