"""Tokens: access rights, contents, lifetime (close, with, duplicate, garbage collection)."""

from __future__ import annotations

import gc
import weakref

import pytest

import ssx
from conftest import Server, connect_client


@pytest.fixture
def connection(pki, server_settings):
    """A secured client connection (to an echo server), closed at the end."""
    with Server(server_settings) as server:
        sock = connect_client(pki, server.address)
        yield sock
        sock.close()
        server.join_ok()


def test_no_tokens_without_an_access_mask(connection):
    info = connection.query()
    assert info.peer_application_token is None and info.peer_machine_token is None
    info = connection.query(0)
    assert info.peer_application_token is None


@pytest.mark.parametrize("mask", [ssx.TOKEN_QUERY, ssx.TOKEN_READ, ssx.TOKEN_ALL_ACCESS,
                                  ssx.TOKEN_QUERY | ssx.TOKEN_IMPERSONATE])
def test_readable_with_query_access(connection, mask):
    with connection.query(mask) as info:
        token = info.peer_application_token
        assert token.access_mask == mask
        assert token.name == "spiffe://test/server"
        assert len(token.fingerprint) == 64
        assert repr(token) == "<ssx.Token name='spiffe://test/server'>"
    assert token.closed


@pytest.mark.parametrize("mask", [ssx.TOKEN_IMPERSONATE, ssx.TOKEN_DUPLICATE, ssx.TOKEN_ADJUST_GROUPS])
def test_contents_need_query_access(connection, mask):
    token = connection.query(mask).peer_application_token
    assert token.access_mask == mask
    for prop in ("name", "subject", "names", "spiffe_id", "fingerprint", "chain", "uid", "gid", "user", "groups"):
        with pytest.raises(ssx.AccessDeniedError) as e:
            getattr(token, prop)
        assert e.value.code == ssx.ErrorCode.ACCESS_DENIED, prop
    assert "access=" in repr(token)
    token.close()


def test_close_is_idempotent_and_closed_tokens_refuse_use(connection):
    token = connection.query(ssx.TOKEN_QUERY).peer_application_token
    assert not token.closed
    token.close()
    token.close()
    assert token.closed and repr(token) == "<ssx.Token closed>"
    for use in (lambda: token.name, lambda: token.names, lambda: token.access_mask, token.duplicate):
        with pytest.raises(ValueError, match="closed"):
            use()


def test_with_block_closes(connection):
    with connection.query(ssx.TOKEN_QUERY).peer_application_token as token:
        assert token.name
    assert token.closed


def test_duplicate_is_independent(connection):
    token = connection.query(ssx.TOKEN_QUERY | ssx.TOKEN_DUPLICATE).peer_application_token
    copy = token.duplicate()
    assert copy is not token and copy.access_mask == token.access_mask
    token.close()
    assert copy.name == "spiffe://test/server" and not copy.closed
    copy.close()


def test_a_token_outlives_its_socket(pki, server_settings):
    with Server(server_settings) as server:
        with connect_client(pki, server.address) as sock:
            token = sock.query(ssx.TOKEN_QUERY).peer_application_token
        server.join_ok()
    assert sock.fileno() == -1
    assert token.name == "spiffe://test/server" and token.chain
    token.close()


def test_tokens_are_collected_when_dropped(connection):
    token = connection.query(ssx.TOKEN_QUERY).peer_application_token
    ref = weakref.ref(token)
    info = connection.query(ssx.TOKEN_QUERY)
    info_ref = weakref.ref(info.peer_application_token)
    del token, info
    assert ref() is None and info_ref() is None  # no reference cycles: freed at once, without gc
    gc.collect()


def test_tokens_cannot_be_made_directly():
    with pytest.raises(TypeError):
        ssx.Token(None)  # type: ignore[arg-type]


def test_no_thread_token_when_not_impersonating():
    assert ssx.get_thread_token() is None
    ssx.revert_impersonation()  # nothing to revert: succeeds
    assert ssx.get_thread_token() is None
