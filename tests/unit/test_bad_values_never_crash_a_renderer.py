"""Whatever text or loosely typed value a field holds, the DHCP and phone-home renderers never crash: a bad value is a problem.

Each string field of a valid dhcp-ztp (and phone-home) host gets a non-ASCII character, a newline, a space,
a Unicode line separator, or is replaced by a boolean, a number or nothing; the host name is ASCII or not.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.junos.ztp.plugins.module_utils._data_model import InventoryError, validate_fleet
from ansible_collections.junos.ztp.plugins.module_utils._dhcp import Settings, build_plan
from ansible_collections.junos.ztp.plugins.module_utils._dhcp_render import render
from ansible_collections.junos.ztp.plugins.module_utils._phs_records import render_records

HOST = {
    'ztp_members': [{'serial_number': 'PE1', 'mac_address': '00:11:22:33:44:55', 'model': 'ex2300-24p', 'duid': '00:03:00:01:00:11:22:33:44:55'}],
    'ztp_bootstrap_method': 'dhcp-ztp',
    'ztp_file_server': {'address': '10.0.0.2', 'image_path': '/img', 'config_path': '/cfg'},
    'ztp_configuration': {'content': '<configuration/>', 'file_name': 'a.xml'},
    'ztp_software': {'version': '21.4R3', 'images': [{'models': ['ex2300-*'], 'file': 'i.tgz', 'url': 'http://10.0.0.2/i.tgz', 'md5': '0' * 32}]},
    'ztp_management': {'hostname': 'sw1', 'ipv4_address': '10.0.0.5'},
    'ztp_dhcp_options': {'proxy': '10.0.0.3:3128', 'ntp_servers': ['10.0.0.1']},
    'ztp_phone_home': {'server_url': 'https://10.0.0.9:8443'},
}
SUBNETS = {4: [{'subnet': '10.0.0.0/24', 'pools': [], 'routers': [], 'interface': None, 'id': None}],
           6: [{'subnet': '2001:db8::/64', 'pools': [], 'routers': [], 'interface': None, 'id': None}]}


def _text_fields(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _text_fields(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _text_fields(item, path + (index,))
    elif isinstance(value, str):
        yield path


def _changed(path, change):
    host = copy.deepcopy(HOST)
    target = host
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = target[path[-1]] + change if isinstance(change, str) else change
    return host


def _render(output, hosts):
    if output == 'phs':
        for variables in hosts.values():
            variables['ztp_bootstrap_method'] = 'phone-home'
        models = validate_fleet(hosts)
        return render_records(models, {host: {'configuration': '<configuration/>', 'scripts': {}} for host in models})
    family = 6 if output.endswith('6') else 4
    return render(build_plan(hosts, Settings(output, subnets=SUBNETS[family])))


@pytest.mark.parametrize('output', ['isc4', 'kea4', 'kea6', 'phs'])
@pytest.mark.parametrize('change', ['é', '\n', ' ', '\u2028', True, 12])
def test_any_value_in_any_field_never_crashes_a_renderer(output, change):
    for host in ('sw1', 'swé'):
        for path in _text_fields(HOST):
            try:
                _render(output, {host: _changed(path, change)})
            except InventoryError:
                pass
