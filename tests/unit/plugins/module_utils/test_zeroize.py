"""Zeroize: what is erased, what is sent, a reply cut short by the reboot, waiting for factory default."""

from __future__ import annotations

import itertools

import pytest
from jnpr.junos.exception import RpcError
from lxml import etree

from ansible_collections.junos.ztp.plugins.module_utils import _zeroize
from ansible_collections.junos.ztp.plugins.module_utils._connection import DeviceRpcError
from unit.fixtures.vc_replies import reply

PARAMS = {'host': '192.0.2.11', 'port': 830, 'user': 'ztp', 'password': 'secret', 'timeout': 5}


class FakeDevice:
    """Answers the Virtual Chassis reads from the ring4 fixtures; the zeroize RPC does ``on_zeroize``."""

    hostname = PARAMS['host']

    def __init__(self, on_zeroize=None, configuration='<configuration><system><phone-home/></system></configuration>'):
        self.sent = []
        self.closed = False
        self.on_zeroize = on_zeroize or (lambda: etree.fromstring('<ok/>'))
        self.configuration = configuration
        self.rpc = self

    def __getattr__(self, name):
        def send(*args, **kwargs):
            self.sent.append((name, kwargs))
            if name == 'request_system_zeroize':
                return self.on_zeroize()
            if name == 'get_config':
                return etree.fromstring(self.configuration)
            return reply('ring4', name)
        return send

    def close(self):
        self.closed = True


@pytest.fixture
def device(monkeypatch):
    devices = {'first': FakeDevice(), 'waits': []}

    def wait_for_device(params, timeout, ready):
        devices['waits'].append((params, timeout, ready))
        return FakeDevice()
    monkeypatch.setattr(_zeroize, 'open_device', lambda params: devices['first'])
    monkeypatch.setattr(_zeroize, 'wait_for_device', wait_for_device)
    return devices


def zeroize_rpcs(device):
    return [kwargs for name, kwargs in device.sent if name == 'request_system_zeroize']


def test_check_mode_reads_the_members_and_sends_nothing(device):
    result = _zeroize.zeroize(PARAMS, check_mode=True)
    assert zeroize_rpcs(device['first']) == [] and device['waits'] == []
    assert device['first'].closed
    assert result['msg'].startswith('would erase all configuration, log files, installed keys and user files of 192.0.2.11: 4 member(s): '
                                    'member 0 (PE3719020100, ex4300-48p), member 1 (PE3719020101, ex4300-48p)')
    assert result['members'][1] == {'member_id': 1, 'serial_number': 'PE3719020101', 'model': 'ex4300-48p', 'role': 'primary'}
    assert (result['hostname'], result['reply_cut_short'], result['waited']) == ('ams1-vc1', None, False)


def test_a_reply_cut_short_by_the_reboot_is_success(device):
    def drop():
        raise EOFError('session closed')
    device['first'].on_zeroize = drop
    result = _zeroize.zeroize(PARAMS, media=True, wait=False)
    assert zeroize_rpcs(device['first']) == [{'ignore_warning': True, 'media': True}]
    assert (result['reply_cut_short'], result['waited'], result['elapsed']) == (True, False, None)
    assert result['msg'].startswith('zeroize accepted: erasing all configuration') and 'storage media are overwritten' in result['msg']
    assert device['waits'] == []


def test_waiting_reconnects_until_the_configuration_is_factory_default(device):
    clock = itertools.count(100, 42.5)
    result = _zeroize.zeroize(PARAMS, wait=True, wait_timeout=600, clock=lambda: next(clock))
    assert zeroize_rpcs(device['first']) == [{'ignore_warning': True}]
    (params, timeout, ready), = device['waits']
    assert (params, timeout, ready) == (PARAMS, 600, _zeroize.is_factory_default)
    assert (result['reply_cut_short'], result['waited'], result['elapsed']) == (False, True, 42.5)
    assert result['msg'].endswith('the device answered in factory-default state after 42.5 s')


def test_a_refused_request_is_an_error(device):
    def refuse():
        raise RpcError(rsp=etree.fromstring('<rpc-error><error-severity>error</error-severity>'
                                            '<error-message>permission denied</error-message></rpc-error>'))
    device['first'].on_zeroize = refuse
    with pytest.raises(DeviceRpcError, match='request-system-zeroize on 192.0.2.11 failed'):
        _zeroize.zeroize(PARAMS)
    assert device['waits'] == [] and device['first'].closed


@pytest.mark.parametrize('configuration, expected', [
    ('<configuration><system><phone-home><server>https://redirect.juniper.net</server></phone-home></system></configuration>', True),
    ('<configuration><system><host-name>ams1-vc1</host-name></system></configuration>', False),
])
def test_factory_default_is_recognised_by_system_phone_home(configuration, expected):
    fake = FakeDevice(configuration=configuration)
    assert _zeroize.is_factory_default(fake) is expected
    assert fake.sent == [('get_config', {'filter_xml': '<system><phone-home/></system>', 'options': {'database': 'committed'}})]


def test_refusal_says_what_would_be_erased():
    assert _zeroize.refusal_message('vc1', media=False) == (
        'refusing to zeroize without confirm=true: it would erase all configuration, log files, installed keys and user files '
        'of vc1 (every Virtual Chassis member it manages), and phone-home would start again')
