"""PersistentDevice: a PyEZ Device whose RPCs go to the junos.ztp.pyez connection process, with every error keeping its meaning."""

from __future__ import annotations

import io
import os
import re
from types import SimpleNamespace

import pytest
from jnpr.junos.utils.config import Config
from scp import SCPException

from ansible_collections.junos.ztp.plugins.module_utils import _connection
from ansible_collections.junos.ztp.plugins.module_utils._connection import (
    DeviceConnectionError, DeviceRpcError, PersistentDevice, SessionKeeper, call_rpc, drop_session, open_device, scp_put, send_expecting_disconnect,
    session_alive)

PARAMS = {'host': '192.0.2.1', 'port': 830, 'user': 'ztp', 'password': 'secret', 'private_key_file': None,
          'host_key_checking': True, 'known_hosts_file': None, 'timeout': 30, 'socket_path': '/nonexistent/socket'}
VC_REPLY = ('<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:junos="http://xml.juniper.net/junos/21.4R3/junos" '
            'message-id="urn:uuid:1"><virtual-chassis-information><virtual-chassis-id-information junos:style="id">'
            '<virtual-chassis-id>  001b.c0a6.58cd  </virtual-chassis-id></virtual-chassis-id-information>'
            '</virtual-chassis-information></rpc-reply>')
ERROR_REPLY = ('<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="urn:uuid:2"><rpc-error>'
               '<error-type>protocol</error-type><error-tag>operation-failed</error-tag><error-severity>error</error-severity>'
               '<error-message>configuration database locked by another session</error-message></rpc-error></rpc-reply>')
WARNING_REPLY = ('<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="urn:uuid:3"><rpc-error>'
                 '<error-severity>warning</error-severity><error-message>zeroizing re0</error-message></rpc-error><ok/></rpc-reply>')


REAL_SERVER = PersistentDevice.server


class FakeProcess:
    """The connection process's answers, in order, and what it was asked."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, method, *args):
        self.calls.append((method,) + args)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def device_with(monkeypatch, *answers, opened=True):
    process = FakeProcess({'opened': opened, 'session': 7}, *answers)
    monkeypatch.setattr(PersistentDevice, 'server', lambda self, method, *args: process(method, *args))
    return open_device(PARAMS), process


def test_open_hands_the_connection_options_without_the_socket_and_says_whether_a_session_was_opened(monkeypatch):
    device, process = device_with(monkeypatch, opened=False)
    assert isinstance(device, PersistentDevice) and device.connected and device.opened_session is False
    assert process.calls == [('open_session', {key: value for key, value in PARAMS.items() if key != 'socket_path'})]


def test_an_unreachable_device_is_a_connection_error_with_the_process_message(monkeypatch):
    monkeypatch.setattr(PersistentDevice, 'server', lambda self, method, *args: {'error': 'cannot open a NETCONF session to 192.0.2.1:830'})
    with pytest.raises(DeviceConnectionError, match='cannot open a NETCONF session to 192.0.2.1:830'):
        open_device(PARAMS)


def test_a_reply_is_normalized_like_a_direct_session(monkeypatch):
    device, process = device_with(monkeypatch, {'reply': VC_REPLY})
    reply = call_rpc(device, 'get_virtual_chassis_information', dev_timeout=120)
    assert reply.tag == 'virtual-chassis-information' and reply.findtext('.//virtual-chassis-id') == '001b.c0a6.58cd'
    method, session, request, filter_xml, timeout = process.calls[-1]
    assert (method, session, filter_xml, timeout) == ('rpc', 7, None, 120) and request == '<get-virtual-chassis-information/>'
    assert device.timeout == 30


def test_an_rpc_error_is_the_devices_refusal(monkeypatch):
    device, _process = device_with(monkeypatch, {'reply': ERROR_REPLY})
    with pytest.raises(DeviceRpcError, match='lock-configuration on 192.0.2.1 failed: .*configuration database locked by another session'):
        call_rpc(device, 'lock_configuration')
    assert device.connected


def test_warnings_are_ignored_when_asked_as_pyez_does(monkeypatch):
    device, _process = device_with(monkeypatch, {'reply': WARNING_REPLY})
    assert send_expecting_disconnect(device, 'request_system_zeroize', ignore_warning=True) is not None


def test_a_timeout_is_pyez_s_and_a_dropped_session_a_cut_short_reply(monkeypatch):
    device, _process = device_with(monkeypatch, {'error': 'timeout', 'message': 'no reply in 30 s'},
                                   {'error': 'closed', 'message': 'SessionCloseError: Unexpected session close'})
    # As on a direct session: PyEZ's RpcTimeoutError is an RpcError, the session stays.
    with pytest.raises(DeviceRpcError, match='get-virtual-chassis-information on 192.0.2.1 failed: RpcTimeoutError'):
        call_rpc(device, 'get_virtual_chassis_information')
    assert device.connected
    assert send_expecting_disconnect(device, 'request_reboot') is None
    assert not device.connected


def test_config_locks_loads_and_commits_through_the_process(monkeypatch):
    ok = '<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="urn:uuid:4"><ok/></rpc-reply>'
    device, process = device_with(monkeypatch, {'reply': ok}, {'reply': ok}, {'reply': ok})
    config = Config(device)
    config.lock()
    config.load('<configuration><system><host-name>x</host-name></system></configuration>', format='xml')
    config.commit(comment='test')
    assert [re.match(r'<([\w-]+)', call[2]).group(1) for call in process.calls[1:]] == ['lock-configuration', 'load-configuration', 'commit-configuration']


def test_a_file_goes_through_the_process_with_progress_and_its_error_by_class(monkeypatch, tmp_path):
    local = tmp_path / 'image.tgz'
    local.write_bytes(b'x' * 10)
    device, process = device_with(monkeypatch, {'sent': 0, 'done': False, 'error': None}, {'sent': 4, 'done': False, 'error': None},
                                  {'sent': 10, 'done': True, 'error': None})
    seen = []
    with open(local, 'rb') as stream:
        scp_put(device, stream, '/var/tmp/image.tgz', 10, seen.append)
    assert seen == [0, 4, 10]
    assert process.calls[1] == ('transfer_start', 7, str(local), '/var/tmp/image.tgz', 10, '0644', 30)

    device, process = device_with(monkeypatch, {'sent': 0, 'done': True, 'error': ['SCPException', 'scp: /var/tmp: No space left']})
    with pytest.raises(SCPException, match='No space left'):
        scp_put(device, io.BytesIO(b'#!/bin/sh\n'), '/var/tmp/pre.sh', 10)
    # In-memory content (a script) goes through a temporary file the process can read, removed afterwards.
    spool = process.calls[1][2]
    assert process.calls[1][0] == 'transfer_start' and spool.startswith('/') and not os.path.exists(spool)


def test_a_transfer_stopped_by_its_progress_is_cancelled_in_the_process(monkeypatch):
    device, process = device_with(monkeypatch, {'sent': 0, 'done': False, 'error': None}, {'sent': 0, 'done': False, 'error': None})

    def too_slow(_sent):
        raise TimeoutError('no complete transfer within transfer_timeout')

    with pytest.raises(TimeoutError):
        scp_put(device, io.BytesIO(b'data'), '/var/tmp/f', 4, too_slow)
    assert process.calls[-1] == ('transfer_cancel', 7)


def test_a_process_that_is_gone_means_a_dropped_session(monkeypatch):
    device, _process = device_with(monkeypatch)
    monkeypatch.setattr(PersistentDevice, 'server', REAL_SERVER)   # its socket does not exist
    assert session_alive(device) is False
    with pytest.raises(DeviceConnectionError, match='dropped during get-virtual-chassis-information'):
        call_rpc(device, 'get_virtual_chassis_information')


class FakeTransport:
    active = True

    def is_active(self):
        return self.active


class FakeSession:
    """A real-session stand-in for the connection process: ``_conn._session.transport``, ``_conn.rpc``."""

    def __init__(self, params):
        self.params = params
        self.connected = True
        self.closed = False
        self.timeout = params['timeout']
        self._conn = SimpleNamespace(_session=SimpleNamespace(transport=FakeTransport()), raise_mode=None, timeout=None, rpc=self.rpc)
        self.transform = None

    def rpc(self, request, _filter_xml):
        return SimpleNamespace(xml='<rpc-reply><%s-done/></rpc-reply>' % request.tag)

    def close(self):
        self.closed = True


def test_the_keeper_shares_a_session_per_set_of_options_and_reopens_one_that_dropped(monkeypatch):
    monkeypatch.setattr(_connection, 'open_device', FakeSession)
    keeper = SessionKeeper()
    ours = dict(PARAMS, socket_path=None)
    assert keeper.open_session(ours) == {'opened': True, 'session': 1} and keeper.open_session(ours) == {'opened': False, 'session': 1}
    assert keeper.rpc(1, '<get-software-information/>', None, 30) == {'reply': '<rpc-reply><get-software-information-done/></rpc-reply>'}

    # Another inventory host with the same address and user (the same process), with other options: a session of its own.
    assert keeper.open_session(dict(ours, known_hosts_file='/other/known_hosts')) == {'opened': True, 'session': 2}
    assert 'reply' in keeper.rpc(1, '<get-software-information/>', None, 30)

    # After a reboot the transport is down: requests on it are refused and the next open makes a new session.
    keeper.sessions[1][1]._conn._session.transport.active = False
    assert keeper.rpc(1, '<get-software-information/>', None, 30)['error'] == 'closed'
    assert keeper.open_session(ours) == {'opened': True, 'session': 3}
    assert sorted(keeper.sessions) == [2, 3]
    devices = [device for _params, device in keeper.sessions.values()]
    keeper.close()
    assert keeper.sessions == {} and all(device.closed for device in devices) and not keeper.session_alive(3)


def test_a_session_whose_device_goes_away_is_closed_in_the_process_so_the_next_open_is_a_new_one(monkeypatch):
    device, process = device_with(monkeypatch, None)
    drop_session(device)
    assert process.calls[-1] == ('close_session', 7) and not device.connected
