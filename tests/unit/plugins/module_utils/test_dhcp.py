"""DHCP records: what each host gets, the ZTP document's rules, and every bad record refused naming its field."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.junos.ztp.plugins.module_utils._data_model import InventoryError
from ansible_collections.junos.ztp.plugins.module_utils._dhcp import (
    CONFIG, IMAGE, IMAGE_TYPE, PORT, PROXY, TRANSFER_MODE, ZTP_SUBOPTIONS, Settings, build_plan, option43_octets)
from ansible_collections.junos.ztp.plugins.module_utils._dhcp_render import render

SUBNET4 = [{'subnet': '10.1.0.0/24', 'pools': ['10.1.0.100 - 10.1.0.200'], 'routers': ['10.1.0.1']}]
SUBNET6 = [{'subnet': '2001:db8:1::/64', 'pools': ['2001:db8:1::1000 - 2001:db8:1::1fff'], 'interface': 'eth1'}]
SUBNETS = {4: SUBNET4, 6: SUBNET6}

SHARED = {
    'ztp_software': {'version': '21.4R3-S5.4', 'images': [
        {'models': ['ex4300-*'], 'file': 'jinstall-ex-4300-21.4R3-S5.4-signed.tgz', 'url': 'http://192.0.2.10/a.tgz', 'sha256': 'a' * 64},
        {'models': ['ex2300-*'], 'file': 'junos-arm-32-21.4R3-S5.4.tgz', 'url': 'http://192.0.2.10/b.tgz', 'sha256': 'b' * 64}]},
    'ztp_file_server': {'address': '192.0.2.10', 'transfer_mode': 'http', 'image_path': '/images', 'config_path': '/configs'},
    'ztp_dhcp_options': {'ntp_servers': ['192.0.2.1', '2001:db8::1'], 'syslog_servers': ['192.0.2.20'], 'proxy': '192.0.2.30:3128'},
    'ztp_configuration': {'content': '<configuration/>'},
}
# DHCP ZTP loads a configuration file as Junos text configuration.
TEXT_CONFIGURATION = {'content': 'system {\n    host-name sw1;\n}\n'}
FLEET = {
    'sw1': dict(copy.deepcopy(SHARED), ztp_bootstrap_method='dhcp-ztp', ztp_configuration=dict(TEXT_CONFIGURATION),
                ztp_management={'ipv4_address': '10.1.0.21', 'ipv6_address': '2001:db8:1::21', 'hostname': 'sw1'},
                ztp_members=[{'serial_number': 'HW1', 'model': 'ex4300-48p', 'mac_address': 'f4:cc:55:21:00:42'}]),
    'vc1': dict(copy.deepcopy(SHARED), ztp_topology='full', ztp_bootstrap_method='phone-home',
                ztp_management={'ipv4_address': '10.1.0.11', 'ipv6_address': '2001:db8:1::11', 'hostname': 'vc1'},
                ztp_members=[{'member_id': index, 'serial_number': 'PE%d' % index, 'model': 'ex4300-32f',
                              'mac_address': '84:b5:9c:10:00:0%d' % index} for index in range(3)]),
}


def fleet(**changes):
    """A copy of FLEET; keys are 'host.path.to.field' (list indexes as numbers), None deletes."""
    data = copy.deepcopy(FLEET)
    for dotted, value in changes.items():
        path = [int(part) if part.isdigit() else part for part in dotted.split('.')]
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is None:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return data


def plan_for(output='isc4', hosts_vars=None, **settings):
    family = 4 if output.endswith('4') else 6
    settings.setdefault('subnets', SUBNETS[family])
    return build_plan(FLEET if hosts_vars is None else hosts_vars, Settings(output, **settings))


def problems_for(output='isc4', hosts_vars=None, **settings):
    with pytest.raises(InventoryError) as raised:
        plan_for(output, hosts_vars, **settings)
    return [str(problem) for problem in raised.value.problems]


def records_of(plan, host):
    return [record for record in plan.records if record.host == host]


# What each host gets ----------------------------------------------------------------------------------------


def test_dhcp_ztp_host_gets_image_configuration_transfer_mode_and_file_server():
    plan = plan_for()
    (record,) = records_of(plan, 'sw1')
    assert (record.key_kind, record.key_value, str(record.address), record.hostname) == ('hw-address', 'f4:cc:55:21:00:42', '10.1.0.21', 'sw1')
    assert record.suboptions == {IMAGE: '/images/jinstall-ex-4300-21.4R3-S5.4-signed.tgz', CONFIG: '/configs/sw1.conf',
                                 TRANSFER_MODE: 'http', PROXY: '192.0.2.30:3128'}
    assert record.options == {'log-servers': ['192.0.2.20'], 'ntp-servers': ['192.0.2.1'], 'file-server': ['192.0.2.10']}
    assert plan.ztp_files['sw1'] == {'image': '/images/jinstall-ex-4300-21.4R3-S5.4-signed.tgz', 'configuration': '/configs/sw1.conf',
                                     'configuration_kind': 'configuration', 'transfer_mode': 'http', 'file_server': '192.0.2.10'}


@pytest.mark.parametrize('output', ['isc4', 'isc6', 'kea4', 'kea6'])
def test_phone_home_members_never_get_ztp_options(output):
    plan = plan_for(output)
    records = records_of(plan, 'vc1')
    assert len(records) == 3, 'every member of the Virtual Chassis has a record'
    for record in records:
        assert not set(record.suboptions) & set(ZTP_SUBOPTIONS)
        assert not set(record.options) & {'file-server', 'tftp-server-name', 'bootfile-url'}
        assert record.suboptions[PROXY] == '192.0.2.30:3128'
    assert 'vc1' not in plan.ztp_files


def test_every_member_of_a_virtual_chassis_is_reserved_the_chassis_address():
    plan = plan_for('kea4')
    assert {str(record.address) for record in records_of(plan, 'vc1')} == {'10.1.0.11'}
    config = json.loads(render(plan))['Dhcp4']
    assert config['ip-reservations-unique'] is False
    assert [r['ip-address'] for r in config['subnet4'][0]['reservations'] if r['hostname'] == 'vc1'] == ['10.1.0.11'] * 3


def test_two_hosts_may_not_share_an_address():
    assert 'vc1: ztp_management.ipv4_address: 10.1.0.21 is also the address of host sw1' in problems_for(
        hosts_vars=fleet(**{'vc1.ztp_management.ipv4_address': '10.1.0.21'}))


def test_non_default_http_port_is_appended_to_the_file_names_for_dhcpv4_and_sent_in_suboption_05_for_dhcpv6():
    hosts_vars = fleet(**{'sw1.ztp_file_server.port': 8080})
    (record,) = records_of(plan_for('isc4', hosts_vars), 'sw1')
    assert record.suboptions[IMAGE].endswith('.tgz:8080') and record.suboptions[CONFIG] == '/configs/sw1.conf:8080'
    hosts_vars['sw1']['ztp_file_server'] = dict(SHARED['ztp_file_server'], address='2001:db8::10', port=8080)
    (record,) = records_of(plan_for('kea6', hosts_vars), 'sw1')
    assert record.options == {'bootfile-url': 'http://[2001:db8::10]/images/jinstall-ex-4300-21.4R3-S5.4-signed.tgz'}
    assert record.suboptions == {CONFIG: '/configs/sw1.conf', PORT: '8080', PROXY: '192.0.2.30:3128'}


@pytest.mark.parametrize('output', ['isc4', 'isc6', 'kea4', 'kea6'])
def test_an_image_that_is_a_symbolic_link_is_announced_in_suboption_02(output):
    hosts_vars = fleet(**{'sw1.ztp_software.images.0.symlink': True})
    if output.endswith('6'):
        hosts_vars['sw1']['ztp_file_server']['address'] = '2001:db8::10'
    (record,) = records_of(plan_for(output, hosts_vars, **({'v6_image_options': ['17']} if output.endswith('6') else {})), 'sw1')
    assert record.suboptions[IMAGE_TYPE] == 'symlink' and record.suboptions[IMAGE].endswith('.tgz')
    (record,) = records_of(plan_for(output, fleet(**({'sw1.ztp_file_server.address': '2001:db8::10'} if output.endswith('6') else {}))), 'sw1')
    assert IMAGE_TYPE not in record.suboptions


def test_dhcpv6_records_use_the_duid_or_the_mac_plus_one():
    hosts_vars = fleet(**{'vc1.ztp_members.1.duid': '00:03:00:01:84:b5:9c:10:00:77'})
    records = records_of(plan_for('isc6', hosts_vars), 'vc1')
    assert [(r.key_kind, r.key_value) for r in records] == [
        ('hw-address', '84:b5:9c:10:00:01'), ('duid', '00:03:00:01:84:b5:9c:10:00:77'), ('hw-address', '84:b5:9c:10:00:03')]
    assert 'host-identifier option dhcp6.client-id 00:03:00:01:84:b5:9c:10:00:77;' in render(plan_for('isc6', hosts_vars))


def test_a_file_server_of_the_other_ip_family_leaves_the_ztp_options_out_with_a_warning():
    plan = plan_for('kea6')
    (record,) = records_of(plan, 'sw1')
    assert record.suboptions == {PROXY: '192.0.2.30:3128'} and record.options == {}
    assert plan.warnings == ['sw1: ztp_file_server.address 192.0.2.10 is IPv4, so its DHCPv6 record (output kea6) carries no ZTP options']


@pytest.mark.parametrize('match, kind, value, isc_line', [
    ('serial_number', 'host-name', 'PE0', 'host-identifier option host-name "PE0";'),
    ('client_identifier', 'client-id', '00:50:45:30', 'option dhcp-client-identifier 00:50:45:30;'),
])
def test_records_keyed_by_serial_number(match, kind, value, isc_line):
    hosts_vars = fleet(**{'vc1.ztp_management.dhcp_match': match, 'vc1.ztp_members.0.mac_address': None})
    plan = plan_for('isc4', hosts_vars)
    assert (records_of(plan, 'vc1')[0].key_kind, records_of(plan, 'vc1')[0].key_value) == (kind, value)
    assert isc_line in render(plan)


def test_kea_hosts_keyed_by_option_12_get_a_class_and_a_one_address_pool():
    hosts_vars = fleet(**{'vc1.ztp_management.dhcp_match': 'serial_number'})
    plan = plan_for('kea4', hosts_vars)
    config = json.loads(render(plan))['Dhcp4']
    (host_class,) = [c for c in config['client-classes'] if c['name'] == 'junos-ztp-host-vc1']
    assert host_class['test'] == "option[12].text == 'PE0' or option[12].text == 'PE1' or option[12].text == 'PE2'"
    assert {'pool': '10.1.0.11 - 10.1.0.11', 'client-class': 'junos-ztp-host-vc1'} in config['subnet4'][0]['pools']
    assert not any(r.get('hostname') == 'vc1' for r in config['subnet4'][0]['reservations'])
    assert plan.warnings == ['vc1: Kea echoes the serial number the device sends in option 12, so ztp_management.hostname '
                             'is not sent to a host keyed by serial number (output kea4)']


def test_kea_general_pools_are_closed_to_hosts_keyed_by_option_12_so_they_get_their_own_address():
    # Before: the member of a VC keyed by serial could be leased any free address of the general pool.
    hosts_vars = fleet(**{'vc1.ztp_management.dhcp_match': 'serial_number'})
    config = json.loads(render(plan_for('kea4', hosts_vars)))['Dhcp4']
    assert config['client-classes'][-1] == {'name': 'junos-ztp-dynamic', 'test': "not member('junos-ztp-host-vc1')"}
    assert config['subnet4'][0]['pools'] == [{'pool': '10.1.0.100 - 10.1.0.200', 'client-class': 'junos-ztp-dynamic'},
                                             {'pool': '10.1.0.11 - 10.1.0.11', 'client-class': 'junos-ztp-host-vc1'}]
    # Without a host keyed by serial number that has an address, the pools stay open to every client.
    config = json.loads(render(plan_for('kea4')))['Dhcp4']
    assert config['subnet4'][0]['pools'] == [{'pool': '10.1.0.100 - 10.1.0.200'}]


def test_kea_dhcpv6_option_17_carries_the_juniper_suboptions_in_its_own_octets():
    # Before: "vendor-opts" with data 2636 and the suboptions in the vendor-2636 space, which Kea 2.2 does not send.
    hosts_vars = fleet(**{'sw1.ztp_file_server.address': '2001:db8::10', 'sw1.ztp_file_server.port': 8080})
    config = json.loads(render(plan_for('kea6', hosts_vars)))['Dhcp6']
    (sw1,) = [r for r in config['subnet6'][0]['reservations'] if r['hw-address'] == 'f4:cc:55:21:00:43']
    (vendor_opts,) = [o for o in sw1['option-data'] if o['name'] == 'vendor-opts']
    assert vendor_opts['csv-format'] is False
    octets = bytes.fromhex(vendor_opts['data'])
    assert octets[:4] == (2636).to_bytes(4, 'big')
    suboptions, index = {}, 4
    while index < len(octets):
        code, length = int.from_bytes(octets[index:index + 2], 'big'), int.from_bytes(octets[index + 2:index + 4], 'big')
        suboptions[code] = octets[index + 4:index + 4 + length].decode()
        index += 4 + length
    assert suboptions == {CONFIG: '/configs/sw1.conf', PORT: '8080', PROXY: '192.0.2.30:3128'}
    assert not [o for o in sw1['option-data'] if o.get('space') == 'vendor-2636']


def test_records_without_an_address_become_kea_global_reservations_and_empty_records_are_left_out():
    hosts_vars = fleet(**{'vc1.ztp_management': {}, 'vc1.ztp_dhcp_options': {}})
    plan = plan_for('kea4', hosts_vars)
    assert records_of(plan, 'vc1') == []  # no address, host name or option: Kea refuses such a reservation
    assert 'reservations' not in json.loads(render(plan))['Dhcp4']
    hosts_vars = fleet(**{'vc1.ztp_management': {'hostname': 'vc1'}})
    config = json.loads(render(plan_for('kea4', hosts_vars)))['Dhcp4']
    assert config['reservations-global'] is True
    assert [r['hw-address'] for r in config['reservations']] == ['84:b5:9c:10:00:00', '84:b5:9c:10:00:01', '84:b5:9c:10:00:02']


def test_a_configuration_file_is_named_conf_for_content_and_template_unless_named():
    """DHCP ZTP loads it as Junos text configuration: <inventory_hostname>.conf; file_name wins."""
    assert plan_for('isc4').ztp_files['sw1']['configuration'] == '/configs/sw1.conf'
    template = fleet(**{'sw1.ztp_configuration': {'template': 'sw1.conf.j2'}})
    assert plan_for('isc4', template).ztp_files['sw1'] == {
        'image': '/images/jinstall-ex-4300-21.4R3-S5.4-signed.tgz', 'configuration': '/configs/sw1.conf', 'configuration_kind': 'configuration',
        'transfer_mode': 'http', 'file_server': '192.0.2.10'}
    named = fleet(**{'sw1.ztp_configuration.file_name': 'day0/sw1.cfg'})
    assert plan_for('isc4', named).ztp_files['sw1']['configuration'] == '/configs/day0/sw1.cfg'


def test_script_configurations_are_recognised_named_and_reported():
    hosts_vars = fleet(**{'sw1.ztp_configuration.content': '#!/bin/sh\necho configure\n'})
    plan = plan_for('isc4', hosts_vars)
    assert plan.ztp_files['sw1']['configuration'] == '/configs/sw1.sh'
    assert plan.ztp_files['sw1']['configuration_kind'] == 'script (#!/bin/sh)'
    hosts_vars = fleet(**{'sw1.ztp_configuration.content': '#!/usr/bin/python\nprint(1)\n', 'sw1.ztp_configuration.file_name': 'boot.py'})
    plan = plan_for('isc4', hosts_vars)
    assert plan.ztp_files['sw1']['configuration'] == '/configs/boot.py'
    assert plan.warnings == ['sw1: ztp_configuration.content is a Python script; only Junos OS with Enhanced Automation and '
                             'Junos OS Evolved run unsigned Python scripts']


def test_encoding_choices_that_send_a_value_twice_are_warned_about():
    plan = plan_for('isc4', file_server_options=[150, 66], image_suboptions=['00', '04'])
    (record,) = records_of(plan, 'sw1')
    assert record.options['tftp-server-name'] == '192.0.2.10' and record.suboptions[4] == record.suboptions[IMAGE]
    assert plan.warnings == ['output isc4: options 150 and 66 both carry the file server; Juniper devices use 150 and ignore 66',
                             'output isc4: suboptions 00 and 04 both carry the image name; devices ignore 04 when 00 is set']
    hosts_vars = fleet(**{'sw1.ztp_file_server.address': '2001:db8::10'})
    plan = plan_for('isc6', hosts_vars, v6_image_options=['59', '17'])
    (record,) = records_of(plan, 'sw1')
    assert record.suboptions[IMAGE] == '/images/jinstall-ex-4300-21.4R3-S5.4-signed.tgz'
    assert record.options['bootfile-url'].endswith(record.suboptions[IMAGE])
    assert plan.warnings == ['output isc6: option 59 and option 17 suboption 00 both carry the image name; devices use option 17']


def test_a_model_class_hands_the_image_to_every_device_of_the_model():
    hosts_vars = fleet(**{'sw1.ztp_members.0.model': 'ex2300-24p'})
    plan = plan_for('isc4', hosts_vars, model_classes=['EX2300-24P'])
    (model_class,) = plan.model_classes
    assert model_class.vendor_class == 'Juniper-ex2300-24p'
    assert model_class.suboptions == {IMAGE: '/images/junos-arm-32-21.4R3-S5.4.tgz', TRANSFER_MODE: 'http'}
    assert 'match if substring(option vendor-class-identifier, 0, 18) = "Juniper-ex2300-24p";' in render(plan)


def test_a_model_class_that_would_reach_a_phone_home_member_is_refused():
    problems = problems_for('kea4', model_classes=['ex4300-32f'])
    assert len([p for p in problems if p.startswith('vc1: ztp_members[')]) == 3
    assert problems[0].startswith('vc1: ztp_members[0].model: ex4300-32f is under phone-home, but output kea4 asks for a model-wide '
                                  'class (model_classes[0]) that gives every Juniper-ex4300-32f ZTP image options')


def test_warnings_of_one_kind_are_summarised_for_a_large_fleet():
    hosts_vars = {}
    for index in range(8):
        host = copy.deepcopy(FLEET['sw1'])
        host['ztp_management'] = {}
        host['ztp_members'][0].update(serial_number='HW%d' % index, mac_address='f4:cc:55:21:00:%02x' % index)
        hosts_vars['sw%d' % index] = host
    warnings = plan_for('isc6', hosts_vars).warnings
    assert len(warnings) == 6 and warnings[-1] == '... and 3 more like the above'


def test_option43_octets_counts_code_length_and_value():
    assert option43_octets({0: 'abc', 3: 'http'}) == 2 + 3 + 2 + 4


# Bad records: each refused, naming host and field ----------------------------------------------------------

LONG = 'x' * 240
BAD_RECORDS = [
    ({'sw1.ztp_file_server.address': 'files.example.net'}, 'isc4', 'sw1: ztp_file_server.address: must be an IP address'),
    ({'sw1.ztp_file_server.transfer_mode': 'scp'}, 'isc4', 'sw1: ztp_file_server.transfer_mode: must be one of'),
    ({'sw1.ztp_file_server.transfer_mode': 'tftp', 'sw1.ztp_file_server.port': 8080}, 'isc4',
     'sw1: ztp_file_server.port: a port is used with http or https only'),
    ({'sw1.ztp_file_server.config_path': '/' + 'c' * 250}, 'isc4', 'sw1: ztp_configuration.file_name: makes the URL http://192.0.2.10/ccc'),
    ({'sw1.ztp_configuration.file_name': 'y' * 300}, 'isc4', 'sw1: ztp_configuration.file_name: is 309 octets; a DHCP option carries at most 255'),
    ({'sw1.ztp_file_server.image_path': '/' + LONG[:120], 'sw1.ztp_file_server.config_path': '/' + LONG[:120]}, 'isc4',
     'sw1: option 43: would be 318 octets (00: 161 octets, 01: 130 octets, 03: 4 octets, 08: 15 octets); one option carries at most 255'),
    ({'sw1.ztp_configuration.file_name': 'my config.xml'}, 'kea4', "sw1: ztp_configuration.file_name: contains characters DHCP text cannot carry"),
    ({'sw1.ztp_configuration.content': '#!/bin/bash\necho\n'}, 'isc4', 'sw1: ztp_configuration.content: is a script for /bin/bash; ZTP runs scripts'),
    ({'sw1.ztp_configuration': None, 'sw1.ztp_software': None}, 'isc4', 'sw1: ztp_bootstrap_method: dhcp-ztp needs ztp_software or ztp_configuration'),
    ({'sw1.ztp_file_server': None}, 'isc4', 'sw1: ztp_file_server: is required with dhcp-ztp'),
    ({'sw1.ztp_members.0.model': None}, 'isc4', 'sw1: ztp_members[0].model: is required with dhcp-ztp and ztp_software'),
    ({'sw1.ztp_members.0.model': 'qfx5120-48y'}, 'isc4', 'sw1: ztp_members[0].model: no image in ztp_software.images matches model qfx5120-48y'),
    ({'sw1.ztp_members': []}, 'isc4', 'sw1: ztp_members: is empty'),
    ({'sw1.ztp_members.0.serial_number': 'HW 1'}, 'isc4', 'sw1: ztp_members[0].serial_number: must be letters, digits'),
    ({'vc1.ztp_members.1.mac_address': None}, 'kea4', 'vc1: ztp_members[1].mac_address: is required: ztp_management.dhcp_match is mac'),
    ({'vc1.ztp_members.1.mac_address': None}, 'kea6', 'vc1: ztp_members[1].duid: a DHCPv6 record needs duid or mac_address'),
    ({'vc1.ztp_members.1.duid': '0003-0001'}, 'kea6', "vc1: ztp_members[1].duid: is not a DUID in colon-separated hex: '0003-0001'"),
    ({'vc1.ztp_members.1.mac_address': 'f4:cc:55:21:00:42'}, 'isc4', 'vc1: ztp_members[1]: its DHCPv4 key hw-address f4:cc:55:21:00:42 is also the key of sw1'),
    ({'vc1.ztp_management.ipv4_address': '2001:db8:1::99'}, 'isc4', "vc1: ztp_management.ipv4_address: is not an IPv4 address: '2001:db8:1::99'"),
    ({'vc1.ztp_management.ipv4_address': '10.2.0.11'}, 'kea4', 'vc1: ztp_management.ipv4_address: 10.2.0.11 is in none of the subnets of output kea4'),
    ({'vc1.ztp_management.ipv4_address': '10.1.0.150', 'vc1.ztp_management.dhcp_match': 'serial_number'}, 'kea4',
     'vc1: ztp_management.ipv4_address: 10.1.0.150 is inside pool 10.1.0.100 - 10.1.0.200'),
    ({'vc1.ztp_management.hostname': 'vc_1'}, 'isc4', "vc1: ztp_management.hostname: must be an ASCII DNS host name"),
    ({'vc1.ztp_dhcp_options.proxy': 'proxy.example.net'}, 'isc4', "vc1: ztp_dhcp_options.proxy: must be address:port"),
    ({'vc1.ztp_bootstrap_method': 'dhcp-ztp'}, 'isc4', 'vc1: ztp_bootstrap_method: dhcp-ztp does not support a Virtual Chassis'),
]


BAD_RECORD_IDS = [expected.split(':')[1].strip() + '-' + output for _changes, output, expected in BAD_RECORDS]


@pytest.mark.parametrize('changes, output, expected', BAD_RECORDS, ids=BAD_RECORD_IDS)
def test_bad_records_are_refused_naming_the_field(changes, output, expected):
    problems = problems_for(output, fleet(**changes))
    assert any(problem.startswith(expected) for problem in problems), problems


@pytest.mark.parametrize('output, settings, expected', [
    ('kea4', {'subnets': []}, 'output kea4: subnets: is required for Kea'),
    ('isc4', {'subnets': [{'subnet': '10.1.0.0/24', 'pools': ['10.1.1.1 - 10.1.1.9']}]},
     "output isc4: subnets[0].pools[0]: range '10.1.1.1 - 10.1.1.9' is not inside subnet 10.1.0.0/24"),
    ('isc6', {'subnets': [{'subnet': '10.1.0.0/24'}]}, 'output isc6: subnets[0].subnet: 10.1.0.0/24 is not an IPv6 subnet'),
    ('kea6', {'subnets': [{'subnet': '2001:db8:1::/64', 'routers': ['10.1.0.1']}]}, 'output kea6: subnets[0].routers: DHCPv6 has no router option'),
    ('isc4', {'interfaces': ['eth1']}, 'output isc4: interfaces: applies to Kea only'),
    ('isc4', {'file_server_options': []}, 'output isc4: file_server_options: needs at least one choice'),
    ('isc6', {'model_classes': ['ex2300-24p']}, 'output isc6: model_classes: applies to DHCPv4 only'),
    ('isc4', {'model_classes': ['ex2300-24p']}, 'output isc4: model_classes[0]: no dhcp-ztp host with an image has a member of model ex2300-24p'),
])
def test_bad_output_options_are_refused_naming_the_option(output, settings, expected):
    assert any(problem.startswith(expected) for problem in problems_for(output, **settings))


def test_every_problem_of_every_host_is_reported_at_once():
    problems = problems_for('kea4', fleet(**{'sw1.ztp_file_server.port': 0, 'sw1.ztp_file_server.transfer_mode': 'ftp',
                                             'vc1.ztp_members.2.mac_address': None, 'vc1.ztp_members.0.member_id': 42}))
    hosts_fields = {tuple(p.split(': ')[:2]) for p in problems}
    assert {('sw1', 'ztp_file_server.port'), ('vc1', 'ztp_members[0].member_id')} <= hosts_fields


@pytest.mark.parametrize('text, plus, expected', [
    ('00:11:22:AA:bb:Cc', 0, '00:11:22:aa:bb:cc'),  # the common form, taken as it is (lower-cased)
    ('00-11-22-aa-bb-cc', 0, '00:11:22:aa:bb:cc'),
    ('0011.22aa.bbcc', 0, '00:11:22:aa:bb:cc'),
    ('001122aabbcc', 0, '00:11:22:aa:bb:cc'),
    ('0:1:2:a:b:c', 0, '00:01:02:0a:0b:0c'),
    ('00:11:22:aa:bb:ff', 1, '00:11:22:aa:bc:00'),
])
def test_mac_addresses_are_written_one_way(text, plus, expected):
    from ansible_collections.junos.ztp.plugins.module_utils._dhcp import _mac

    assert _mac(text, plus) == expected


@pytest.mark.parametrize('text', ['10.0.0.1', '0.0.0.0', '255.255.255.255', '192.0.2.10', '2001:db8::1', '010.0.0.1', '10.0.0', 'nope'])
def test_addresses_parse_as_netaddr_parses_them(text):
    import netaddr

    from ansible_collections.junos.ztp.plugins.module_utils._dhcp import _ip

    try:
        expected = netaddr.IPAddress(text)
    except (netaddr.AddrFormatError, ValueError):
        expected = None
    parsed = _ip(text)
    assert parsed == expected and (parsed is None or (parsed.version, str(parsed)) == (expected.version, str(expected)))
