"""The inventory data model: every class of mistake is reported, with its host and field, all at once."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.junos.ztp.plugins.module_utils._data_model import (
    DATA_MODEL, InventoryError, image_for_model, validate_fleet, validate_host)

EXAMPLE = Path(__file__).resolve().parents[4] / 'playbooks' / 'inventory' / 'example'

SHA256 = 'a' * 64
VC = {
    'ztp_topology': 'full',
    'ztp_provisioning_mode': 'strict',
    'ztp_members': [
        {'member_id': 0, 'serial_number': 'PE0', 'model': 'ex4300-48p', 'role': 'routing-engine', 'mac_address': '00:11:22:33:44:00'},
        {'member_id': 1, 'serial_number': 'PE1', 'model': 'ex4300-48p', 'role': 'routing-engine'},
        {'member_id': 2, 'serial_number': 'PE2', 'model': 'ex4300-48t', 'role': 'line-card', 'mastership_priority': 0},
    ],
    'ztp_software': {'version': '21.4R3-S5.4', 'images': [
        {'models': ['ex4300-*'], 'file': 'jinstall-ex-4300-21.4R3-S5.4-signed.tgz', 'url': 'http://192.0.2.10/i.tgz', 'sha256': SHA256}]},
    'ztp_configuration': {'content': '<configuration><system><host-name>vc</host-name></system></configuration>'},
    'ztp_management': {'ipv4_address': '10.0.0.1'},
}


def problems_of(host_vars, host='vc1'):
    return [str(p) for p in validate_host(host, host_vars)[1]]


def with_change(path, value):
    """A copy of VC with one field changed; path is a tuple of keys and indexes."""
    data = copy.deepcopy(VC)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def test_valid_vc_normalizes_defaults():
    model, problems = validate_host('vc1', VC)
    assert problems == []
    assert model['ztp_member_detection_timeout'] == 900
    assert model['ztp_bootstrap_method'] == 'phone-home'
    assert model['ztp_configuration']['action'] == 'merge'
    assert model['ztp_management']['dhcp_match'] == 'mac'


def test_example_inventory_is_valid():
    group_vars = {}
    for name in ('all', 'virtual_chassis', 'standalone'):
        group_vars[name] = yaml.safe_load((EXAMPLE / 'group_vars' / (name + '.yml')).read_text())
    hosts = {}
    for host, group in (('ams1-vc1', 'virtual_chassis'), ('ams1-vc2', 'virtual_chassis'), ('ams1-sw1', 'standalone')):
        host_vars = dict(group_vars['all'], **group_vars[group])
        host_vars.update(yaml.safe_load((EXAMPLE / 'host_vars' / (host + '.yml')).read_text()))
        hosts[host] = host_vars
    models = validate_fleet(hosts)
    assert sorted(models) == ['ams1-sw1', 'ams1-vc1', 'ams1-vc2']


@pytest.mark.parametrize('path, value, expected', [
    (('ztp_members', 1, 'member_id'), 12, 'vc1: ztp_members[1].member_id: must be 0 to 9, got 12'),
    (('ztp_members', 1, 'member_id'), 0, 'vc1: ztp_members[1].member_id: member ID 0 is also used by ztp_members[0]'),
    (('ztp_members', 2, 'serial_number'), 'PE0', 'vc1: ztp_members[2].serial_number: serial number PE0 is also used by ztp_members[0]'),
    (('ztp_members', 0, 'mac_address'), 'not-a-mac', "vc1: ztp_members[0].mac_address: is not a MAC address: 'not-a-mac'"),
    (('ztp_members', 2, 'mastership_priority'), 300, 'vc1: ztp_members[2].mastership_priority: must be 0 to 255, got 300'),
    (('ztp_members', 1, 'model'), None, 'vc1: ztp_members[1].model: is required with ztp_topology: full'),
    (('ztp_members', 1, 'role'), 'spine', 'vc1: ztp_members[1].role: must be one of: routing-engine, line-card, got: spine'),
    (('ztp_members', 1, 'colour'), 'red', 'vc1: ztp_members[1].colour: unknown field'),
    (('ztp_topology',), 'minimum', 'vc1: ztp_provisioning_mode: strict needs the full topology'),
    (('ztp_software', 'images', 0, 'sha256'), 'abc', "vc1: ztp_software.images[0].sha256: must be 64 hex digits, got 'abc'"),
    (('ztp_software', 'images', 0, 'url'), 'http://192.0.2.10/' + 'x' * 300,
     'vc1: ztp_software.images[0].url: is 318 characters long; devices accept at most 256'),
    (('ztp_software', 'images', 0, 'models'), ['ex2300-*'], 'vc1: ztp_members[0].model: no image in ztp_software.images matches model ex4300-48p'),
    (('ztp_configuration', 'content'), '<system/>', 'vc1: ztp_configuration.content: must be rooted at <configuration>, got <system>'),
    (('ztp_configuration', 'content'), '<configuration>', 'vc1: ztp_configuration.content: is not well-formed XML'),
    (('ztp_configuration', 'content'), '#!/bin/sh\necho hi', 'vc1: ztp_configuration.content: is a script (#!/bin/sh); phone-home takes only Junos XML'),
    (('ztp_management', 'ipv4_address'), '10.0.0.300', "vc1: ztp_management.ipv4_address: is not an IP address: '10.0.0.300'"),
    (('ztp_bootstrap_method',), 'dhcp-ztp', 'vc1: ztp_bootstrap_method: dhcp-ztp does not support a Virtual Chassis'),
    (('ztp_file_server',), {'address': 'files.example.com'}, 'vc1: ztp_file_server.address: must be an IP address'),
    (('ztp_phone_home',), {'server_url': 'http://192.0.2.1'}, "vc1: ztp_phone_home.server_url: must be an https:// URL"),
    (('ztp_phone_home',), {'server_url': 'https://192.0.2.1', 'backup_server_urls': ['https://192.0.2.2', 'http://192.0.2.3']},
     "vc1: ztp_phone_home.backup_server_urls[1]: must be an https:// URL"),
    (('ztp_member_detection_timeout',), 'soon', 'vc1: ztp_member_detection_timeout: is of type str'),
    (('ztp_members',), 'PE0,PE1', 'vc1: ztp_members: must be a list, got str'),
])
def test_each_mistake_names_host_and_field(path, value, expected):
    problems = problems_of(with_change(path, value))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_every_problem_of_every_host_in_one_error():
    bad_vc = with_change(('ztp_members', 1, 'member_id'), 12)
    bad_vc['ztp_software']['images'][0]['md5'] = 'short'
    standalone = {'ztp_members': [{'serial_number': 'PE0'}], 'ztp_management': {'ipv6_address': 'nope'}}
    with pytest.raises(InventoryError) as caught:
        validate_fleet({'vc1': bad_vc, 'sw1': standalone})
    problems = [str(p) for p in caught.value.problems]
    assert 'vc1: ztp_members[1].member_id: must be 0 to 9, got 12' in problems
    assert "vc1: ztp_software.images[0].md5: must be 32 hex digits, got 'short'" in problems
    assert "sw1: ztp_management.ipv6_address: is not an IP address: 'nope'" in problems
    assert 'vc1: ztp_members[0].serial_number: serial number PE0 is also used by host sw1' in problems
    assert str(caught.value).startswith('%d inventory problem(s):' % len(problems))


def test_standalone_has_one_member():
    problems = problems_of({'ztp_members': [{'serial_number': 'A'}, {'serial_number': 'B'}]}, host='sw1')
    assert problems == ['sw1: ztp_members: a standalone device (ztp_topology: none) has exactly one member, got 2']


def test_script_configuration_allowed_for_dhcp_ztp():
    host_vars = {'ztp_members': [{'serial_number': 'A'}], 'ztp_bootstrap_method': 'dhcp-ztp',
                 'ztp_configuration': {'content': '#!/bin/sh\nexit 0\n'}}
    assert problems_of(host_vars, host='sw1') == []


def test_image_for_model_first_match_wins():
    software = {'images': [{'models': ['ex4300-48*'], 'file': 'a'}, {'models': ['ex4300-*'], 'file': 'b'}]}
    assert image_for_model(software, 'EX4300-48P')['file'] == 'a'
    assert image_for_model(software, 'ex4300-32f')['file'] == 'b'
    assert image_for_model(software, 'ex2300-24p') is None


def test_no_host_variable_collides_with_a_play_keyword():
    assert not set(DATA_MODEL) & {'serial', 'name', 'port', 'environment', 'hosts', 'vars'}
