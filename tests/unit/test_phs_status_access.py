"""The phone-home server's status API is closed by default: a token, or clients on the server itself only."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'roles' / 'phone_home_server' / 'files'))

from junos_ztp_phs.__main__ import parse_args  # noqa: E402
from junos_ztp_phs.app import OPTIONS, status_token  # noqa: E402


def _answer(path, remote, token=None, status_open=False, authorization=None):
    """The HTTP status the status middleware gives a request from ``remote``."""
    app = web.Application()
    app[OPTIONS] = {'redirect': False, 'status_token': token, 'status_open': status_open}
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (remote, 40000) if name == 'peername' else default
    headers = {'Authorization': authorization} if authorization else {}
    request = make_mocked_request('GET', path, headers=headers, app=app, transport=transport)

    async def handler(_request):
        return web.Response(text='ok')
    return asyncio.run(status_token(request, handler)).status


@pytest.mark.parametrize('remote', ['127.0.0.1', '127.5.5.5', '::1', '::ffff:127.0.0.1'])
def test_without_a_token_clients_on_the_server_itself_are_answered(remote):
    assert _answer('/status/devices/SA0001', remote) == 200


@pytest.mark.parametrize('remote', ['192.0.2.7', '2001:db8::7', '::ffff:192.0.2.7'])
def test_without_a_token_other_clients_are_refused(remote):
    assert _answer('/status', remote) == 403
    assert _answer('/status/vcs/vc1', remote) == 403


def test_devices_never_need_the_token():
    assert _answer('/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data', '192.0.2.7', token='s3cret') == 200
    assert _answer('/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data', '192.0.2.7') == 200


def test_with_a_token_every_client_must_present_it():
    for remote in ('127.0.0.1', '192.0.2.7'):
        assert _answer('/status', remote, token='s3cret') == 401
        assert _answer('/status', remote, token='s3cret', authorization='Bearer wrong') == 401
        assert _answer('/status', remote, token='s3cret', authorization='Bearer s3cret') == 200


def test_status_open_is_an_explicit_choice():
    assert _answer('/status', '192.0.2.7', status_open=True) == 200
    assert parse_args(['--records', 'r', '--db', 'd', '--cert', 'c', '--key', 'k']).status_open is False
    assert parse_args(['--records', 'r', '--db', 'd', '--cert', 'c', '--key', 'k', '--status-open']).status_open is True
