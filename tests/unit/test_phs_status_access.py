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
from junos_ztp_phs.app import OPTIONS, RECORDS, get_bootstrapping_data, legacy_record, status_api  # noqa: E402
from junos_ztp_phs.records import RecordsHolder  # noqa: E402


def _request(method, path, remote, token, status_open=False, authorization=None, match_info=None):
    app = web.Application()
    app[OPTIONS] = {'redirect': False, 'status_token': token, 'status_open': status_open}
    app[RECORDS] = RecordsHolder('/nonexistent')  # no records: a known device would get 404
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (remote, 40000) if name == 'peername' else default
    headers = {'Authorization': authorization} if authorization else {}
    return make_mocked_request(method, path, headers=headers, app=app, transport=transport, match_info=match_info or {})


def _status_of(handler, request):
    try:
        return asyncio.run(handler(request)).status
    except web.HTTPException as exc:
        return exc.status


def _answer(path, remote, token=None, status_open=False, authorization=None):
    """The HTTP status a status API handler gives a request from ``remote``."""
    async def handler(_request):
        return web.Response(text='ok')
    return _status_of(status_api(handler), _request('GET', path, remote, token, status_open, authorization))


@pytest.mark.parametrize('remote', ['127.0.0.1', '127.5.5.5', '::1', '::ffff:127.0.0.1'])
def test_without_a_token_clients_on_the_server_itself_are_answered(remote):
    assert _answer('/status/devices/SA0001', remote) == 200


@pytest.mark.parametrize('remote', ['192.0.2.7', '2001:db8::7', '::ffff:192.0.2.7'])
def test_without_a_token_other_clients_are_refused(remote):
    assert _answer('/status', remote) == 403
    assert _answer('/status/vcs/vc1', remote) == 403


@pytest.mark.parametrize('token', ['s3cret', None])
def test_devices_never_need_the_token(token):
    """A device far away, without the token, gets the answer about its record (404 here: none loaded), not 401/403."""
    device = 'Basic U0EwMDAxOg=='  # SA0001 with an empty password
    rfc8572 = _request('POST', '/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data', '192.0.2.7', token,
                       authorization=device)
    assert _status_of(get_bootstrapping_data, rfc8572) == 404
    legacy = _request('GET', '/restconf/data/juniper-zerotouch-bootstrap-server:devices/device=SA0001', '192.0.2.7', token,
                      authorization=device, match_info={'serial': 'SA0001'})
    assert _status_of(legacy_record, legacy) == 404


def test_with_a_token_every_client_must_present_it():
    for remote in ('127.0.0.1', '192.0.2.7'):
        assert _answer('/status', remote, token='s3cret') == 401
        assert _answer('/status', remote, token='s3cret', authorization='Bearer wrong') == 401
        assert _answer('/status', remote, token='s3cret', authorization='Bearer s3cret') == 200


def test_status_open_is_an_explicit_choice():
    assert _answer('/status', '192.0.2.7', status_open=True) == 200
    assert parse_args(['--records', 'r', '--db', 'd', '--cert', 'c', '--key', 'k']).status_open is False
    assert parse_args(['--records', 'r', '--db', 'd', '--cert', 'c', '--key', 'k', '--status-open']).status_open is True
