"""The real DHCP servers: they accept every rendered file, and answer a Juniper device with the options we mean.

The exchange runs in the DHCP lab (tests/wire/dhcp_lab.py): a real ISC dhcpd or Kea serves a rendered file in
one network namespace, vcsim.dhcp_client runs a full DHCPv4 exchange as a factory-default Juniper device in
another and decodes the ACK. test_dhcp_exchanges.py does the same for every host of two whole sites.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.junos.ztp.plugins.module_utils._dhcp import (
    CONFIG, IMAGE, OUTPUTS, PROXY, TRANSFER_MODE, Settings, build_plan, option43_octets)
from ansible_collections.junos.ztp.plugins.module_utils._dhcp_output import check_with_server
from ansible_collections.junos.ztp.plugins.module_utils._dhcp_render import render
from dhcp_lab import SERVER_INTERFACE
from vcsim.dhcp_client import ipv4_addresses

HERE = Path(__file__).resolve().parent
GOLDEN = HERE.parent / 'golden' / 'dhcp'
GOLDEN_OUTPUTS = yaml.safe_load((GOLDEN / 'outputs.yml').read_text())

IMAGES = [
    {'models': ['ex4300-*'], 'file': 'jinstall-ex-4300-21.4R3-S5.4-signed.tgz', 'url': 'http://192.0.2.10/a.tgz', 'sha256': 'a' * 64},
    {'models': ['ex2300-*'], 'file': 'junos-arm-32-21.4R3-S5.4.tgz', 'url': 'http://192.0.2.10/b.tgz', 'sha256': 'b' * 64},
]
SHARED = {
    'ztp_software': {'version': '21.4R3-S5.4', 'images': IMAGES},
    'ztp_file_server': {'address': '192.0.2.10', 'transfer_mode': 'http', 'image_path': '/images', 'config_path': '/configs'},
    'ztp_dhcp_options': {'ntp_servers': ['192.0.2.1', '192.0.2.2'], 'syslog_servers': ['192.0.2.20'], 'proxy': '192.0.2.30:3128'},
    'ztp_configuration': {'content': '<configuration/>'},
}
TEXT_CONFIGURATION = {'content': 'system {\n    services {\n        netconf {\n            ssh;\n        }\n    }\n}\n'}
# One host of every kind the exchange checks: a dhcp-ztp EX4300-48P, a dhcp-ztp EX2300 on HTTPS port 8443,
# and a phone-home Virtual Chassis keyed by the serial number its members send in option 12.
FLEET = {
    'sw48': dict(copy.deepcopy(SHARED), ztp_bootstrap_method='dhcp-ztp', ztp_configuration=dict(TEXT_CONFIGURATION),
                 ztp_management={'ipv4_address': '10.99.0.21', 'hostname': 'sw48'},
                 ztp_members=[{'serial_number': 'HW48', 'model': 'ex4300-48p', 'mac_address': '02:00:00:00:48:01'}]),
    'sw23': dict(copy.deepcopy(SHARED), ztp_bootstrap_method='dhcp-ztp', ztp_configuration=dict(TEXT_CONFIGURATION),
                 ztp_management={'ipv4_address': '10.99.0.22'},
                 ztp_file_server=dict(SHARED['ztp_file_server'], transfer_mode='https', port=8443),
                 ztp_members=[{'serial_number': 'HW23', 'model': 'ex2300-24p', 'mac_address': '02:00:00:00:23:01'}]),
    'vc1': dict(copy.deepcopy(SHARED), ztp_topology='full', ztp_bootstrap_method='phone-home',
                ztp_management={'ipv4_address': '10.99.0.11', 'ipv6_address': '2001:db8:99::11', 'hostname': 'vc1', 'dhcp_match': 'serial_number'},
                ztp_members=[{'member_id': index, 'serial_number': 'PE37%d' % index, 'model': 'ex4300-32f',
                              'mac_address': '02:00:00:00:11:0%d' % index} for index in range(2)]),
}
SUBNETS = {4: [{'subnet': '10.99.0.0/24', 'pools': ['10.99.0.100 - 10.99.0.200'], 'routers': ['10.99.0.1']}],
           6: [{'subnet': '2001:db8:99::/64', 'pools': ['2001:db8:99::1000 - 2001:db8:99::1fff'], 'interface': 'lo'}]}


def rendered(output, fleet=None, **settings):
    settings.setdefault('subnets', SUBNETS[OUTPUTS[output].family])
    plan = build_plan(fleet or FLEET, Settings(output, **settings))
    return plan, render(plan)


@pytest.mark.parametrize('options', GOLDEN_OUTPUTS, ids=[options['type'] for options in GOLDEN_OUTPUTS])
def test_the_server_accepts_the_golden_file(options):
    check = check_with_server(OUTPUTS[options['type']], (GOLDEN / options['dest']).read_text())
    assert check.ok, check.message


@pytest.mark.parametrize('output', sorted(OUTPUTS))
def test_the_server_accepts_every_kind_of_record(output):
    fleet = copy.deepcopy(FLEET)
    fleet['sw48']['ztp_members'][0]['duid'] = '00:03:00:01:02:00:00:00:48:01'
    fleet['sw48']['ztp_file_server']['address'] = '2001:db8::10' if output.endswith('6') else '192.0.2.10'
    fleet['sw48']['ztp_configuration'] = {'content': '#!/bin/sh\necho hello\n'}
    fleet['sw23']['ztp_management'] = {'ipv4_address': '10.99.0.22', 'dhcp_match': 'client_identifier'}
    settings = {'model_classes': ['ex2300-24p'], 'file_server_options': [150, 66], 'image_suboptions': ['00', '04']} if output.endswith('4') \
        else {'v6_image_options': ['59', '17']}
    _plan, text = rendered(output, fleet, **settings)
    check = check_with_server(OUTPUTS[output], text)
    assert check.ok, check.message


def test_the_server_refusal_is_reported_with_its_reason():
    _plan, text = rendered('isc4')
    check = check_with_server(OUTPUTS['isc4'], text.replace('fixed-address 10.99.0.21;', 'fixed-address 10.99.0.21'))
    assert not check.ok
    assert 'line' in check.message and 'Internet Systems Consortium' not in check.message


# The exchange -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize('kind', ['isc4', 'kea4'])
def test_a_real_server_hands_juniper_devices_exactly_their_options(kind, dhcp_lab):
    lab = dhcp_lab(ipv4='10.99.0.1/24')
    _plan, text = rendered(kind, model_classes=['ex2300-24p'], **({'interfaces': [SERVER_INTERFACE]} if kind == 'kea4' else {}))
    lab.start(kind, text)

    # A factory-default EX4300-48P under dhcp-ztp: its image, configuration, transfer mode and file server.
    answer = lab.request_v4('02:00:00:00:48:01', 'ex4300-48p')
    suboptions = {code: value.decode() for code, value in answer.vendor_suboptions().items()}
    assert answer.address == '10.99.0.21'
    assert suboptions == {IMAGE: '/images/jinstall-ex-4300-21.4R3-S5.4-signed.tgz', CONFIG: '/configs/sw48.conf',
                          TRANSFER_MODE: 'http', PROXY: '192.0.2.30:3128'}
    assert len(answer.options[43]) == option43_octets(suboptions)
    assert ipv4_addresses(answer.options[150]) == ['192.0.2.10']
    assert answer.options[12] == b'sw48' and ipv4_addresses(answer.options[42]) == ['192.0.2.1', '192.0.2.2']
    assert ipv4_addresses(answer.options[7]) == ['192.0.2.20']

    # HTTPS on a non-default port: ":8443" appended to the file names.
    answer = lab.request_v4('02:00:00:00:23:01', 'ex2300-24p')
    assert answer.address == '10.99.0.22'
    assert answer.vendor_suboptions()[IMAGE] == b'/images/junos-arm-32-21.4R3-S5.4.tgz:8443'
    assert answer.vendor_suboptions()[TRANSFER_MODE] == b'https'

    # A Virtual Chassis member under phone-home, known by the serial number it sends in option 12:
    # its address and the proxy for the phone-home client, and no ZTP option at all.
    answer = lab.request_v4('02:00:00:00:11:01', 'ex4300-32f', hostname='PE371')
    assert answer.address == '10.99.0.11'
    assert answer.vendor_suboptions() == {PROXY: b'192.0.2.30:3128'}
    assert 150 not in answer.options and 66 not in answer.options

    # A device outside the inventory gets the image of its model's class, and a pool address.
    answer = lab.request_v4('02:00:00:00:99:01', 'ex2300-24p')
    assert answer.address.startswith('10.99.0.') and 100 <= int(answer.address.rsplit('.', 1)[1]) <= 200
    assert answer.vendor_suboptions() == {IMAGE: b'/images/junos-arm-32-21.4R3-S5.4.tgz:8443', TRANSFER_MODE: b'https'}
    assert ipv4_addresses(answer.options[150]) == ['192.0.2.10']

    # Other vendors are untouched: no Juniper option 43.
    answer = lab.request_v4('02:00:00:00:77:01', 'none', vendor_class='MSFT 5.0')
    assert 43 not in answer.options and 150 not in answer.options
