"""The inventory data model: every class of mistake is reported, with its host and field, all at once."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.junos.ztp.plugins.module_utils._data_model import (
    DATA_MODEL, InventoryError, configuration_format_problems, controller_files, image_for_model, validate_fleet, validate_host)

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


TEXT_CONFIGURATION = 'system {\n    host-name sw1;\n    delete: autoinstallation;\n}\n'
XML_CONFIGURATION = '<configuration><system><host-name>sw1</host-name></system></configuration>'


@pytest.mark.parametrize('method, content, expected', [
    ('dhcp-ztp', TEXT_CONFIGURATION, []),
    ('dhcp-ztp', '#!/usr/libexec/ui/cscript\nversion 1.0;\n', []),
    ('dhcp-ztp', '\n  ' + XML_CONFIGURATION, [
        'sw1: ztp_configuration.content: is Junos XML; DHCP ZTP loads the configuration file as Junos text configuration (curly braces), '
        'so XML would not commit and ZTP would restart forever: give text, or use phone-home for XML']),
    ('dhcp-ztp', ' \n', ['sw1: ztp_configuration.content: is empty']),
    ('phone-home', XML_CONFIGURATION, []),
    ('phone-home', TEXT_CONFIGURATION, ['sw1: ztp_configuration.content: is not Junos XML; phone-home takes Junos XML rooted at '
                                        '<configuration> (text configuration is for dhcp-ztp)']),
], ids=['dhcp-ztp-text', 'dhcp-ztp-script', 'dhcp-ztp-xml', 'dhcp-ztp-empty', 'phone-home-xml', 'phone-home-text'])
def test_configuration_format_follows_the_bootstrap_method(method, content, expected):
    """DHCP ZTP loads a file that is not a script as text configuration (ZTP document); phone-home takes Junos XML."""
    host_vars = {'ztp_members': [{'serial_number': 'A'}], 'ztp_bootstrap_method': method, 'ztp_configuration': {'content': content}}
    assert problems_of(host_vars, host='sw1') == expected


def test_a_template_is_checked_once_rendered_not_before():
    host_vars = {'ztp_members': [{'serial_number': 'A'}], 'ztp_bootstrap_method': 'dhcp-ztp', 'ztp_configuration': {'template': 'sw.xml.j2'}}
    assert problems_of(host_vars, host='sw1') == []
    assert configuration_format_problems(XML_CONFIGURATION, 'dhcp-ztp')[0].startswith('is Junos XML; DHCP ZTP loads')
    assert configuration_format_problems(TEXT_CONFIGURATION, 'phone-home')[0].startswith('is not Junos XML')


def test_image_for_model_first_match_wins():
    software = {'images': [{'models': ['ex4300-48*'], 'file': 'a'}, {'models': ['ex4300-*'], 'file': 'b'}]}
    assert image_for_model(software, 'EX4300-48P')['file'] == 'a'
    assert image_for_model(software, 'ex4300-32f')['file'] == 'b'
    assert image_for_model(software, 'ex2300-24p') is None


def test_no_host_variable_collides_with_a_play_keyword():
    assert not set(DATA_MODEL) & {'serial', 'name', 'port', 'environment', 'hosts', 'vars'}


# YAML's loose types: each refusal names host and field and says how to write the value.
@pytest.mark.parametrize('path, value, expected', [
    (('ztp_members', 1, 'member_id'), True, 'vc1: ztp_members[1].member_id: must be an integer, got the boolean true: YAML reads unquoted yes'),
    (('ztp_members', 2, 'mastership_priority'), False, 'vc1: ztp_members[2].mastership_priority: must be an integer, got the boolean false'),
    (('ztp_member_detection_timeout',), True, 'vc1: ztp_member_detection_timeout: must be an integer, got the boolean true'),
    (('ztp_members', 0, 'serial_number'), 5349, 'vc1: ztp_members[0].serial_number: must be text, got the number 5349: YAML reads unquoted digits'),
    (('ztp_management', 'hostname'), False, 'vc1: ztp_management.hostname: must be text, got the boolean False: YAML reads unquoted yes, no'),
    (('ztp_software', 'version'), 21.4, 'vc1: ztp_software.version: must be text, got the number 21.4'),
    (('ztp_configuration', 'template'), True, 'vc1: ztp_configuration.template: must be text, got the boolean True'),
    (('ztp_dhcp_options',), {'ntp_servers': ['192.0.2.1', True]}, 'vc1: ztp_dhcp_options.ntp_servers[1]: must be text, got the boolean True'),
    (('ztp_software', 'images', 0, 'models'), ['ex4300-*', 4300], 'vc1: ztp_software.images[0].models[1]: must be text, got the number 4300'),
])
def test_loose_yaml_types_are_refused(path, value, expected):
    problems = problems_of(with_change(path, value))
    assert any(problem.startswith(expected) for problem in problems), problems


@pytest.mark.parametrize('value, expected', [(['PE0'], 'must be text, got a list'), ({'serial': 'PE0'}, 'must be text, got a mapping')])
def test_a_list_or_mapping_where_text_is_expected_is_refused_not_a_crash(value, expected):
    assert problems_of(with_change(('ztp_members', 0, 'serial_number'), value)) == ['vc1: ztp_members[0].serial_number: ' + expected]


def test_quoted_numbers_still_count_where_an_integer_is_expected():
    assert problems_of(with_change(('ztp_members', 1, 'member_id'), '1')) == []


# Text: anchored at the true end, no control characters, never empty.
@pytest.mark.parametrize('path, value, expected', [
    (('ztp_members', 0, 'serial_number'), 'PE0\n', "vc1: ztp_members[0].serial_number: contains the control character '\\n'"),
    (('ztp_members', 0, 'serial_number'), '', 'vc1: ztp_members[0].serial_number: is empty'),
    (('ztp_members', 0, 'serial_number'), 'PE 0', 'vc1: ztp_members[0].serial_number: must be letters, digits, ".", "_" or "-" (at most 64)'),
    (('ztp_members', 0, 'serial_number'), 'PEü0', 'vc1: ztp_members[0].serial_number: must be letters, digits'),
    (('ztp_members', 0, 'serial_number'), 'P' * 65, 'vc1: ztp_members[0].serial_number: must be letters, digits'),
    (('ztp_members', 0, 'model'), 'ex4300-48p\x00', "vc1: ztp_members[0].model: contains the control character '\\x00'"),
    (('ztp_management', 'hostname'), 'vc1\n', "vc1: ztp_management.hostname: contains the control character '\\n'"),
    (('ztp_management', 'hostname'), 'vc1.', 'vc1: ztp_management.hostname: must be an ASCII DNS host name'),
    (('ztp_management', 'hostname'), 'sw-zürich',
     "vc1: ztp_management.hostname: must be an ASCII DNS host name (letters, digits, \"-\" and \".\"), got 'sw-zürich'"),
    (('ztp_software', 'version'), '', 'vc1: ztp_software.version: is empty'),
    (('ztp_software', 'images', 0, 'file'), 'image.tgz\r', "vc1: ztp_software.images[0].file: contains the control character '\\r'"),
    (('ztp_configuration', 'content'), '<configuration>\x1b</configuration>', "vc1: ztp_configuration.content: contains the control character '\\x1b'"),
])
def test_text_is_checked_to_its_true_end(path, value, expected):
    problems = problems_of(with_change(path, value))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_multiline_content_keeps_its_newlines_and_tabs():
    content = '<configuration>\n\t<system>\r\n\t\t<host-name>vc</host-name>\n\t</system>\n</configuration>\n'
    assert problems_of(with_change(('ztp_configuration', 'content'), content)) == []


@pytest.mark.parametrize('host', ['sw-zürich', 'sw1\n', 'sw 1', 'sw/1', ''])
def test_inventory_host_names_are_plain_ascii(host):
    problems = problems_of({'ztp_members': [{'serial_number': 'A'}]}, host=host)
    assert problems == ['%s: inventory_hostname: must be ASCII letters, digits, "_", ".", ":" or "-" (it names DHCP configuration files '
                        'and phone-home records), got %r' % (host, host)]


@pytest.mark.parametrize('host', ['sw1', 'sw1.ams.example.net', '192.0.2.7', '2001:db8::7', 'site_sw-1'])
def test_usual_inventory_host_names_are_accepted(host):
    assert problems_of({'ztp_members': [{'serial_number': 'A'}]}, host=host) == []


# The physical limits of a Virtual Chassis.
def test_at_most_ten_members():
    members = [{'serial_number': 'PE%d' % index} for index in range(11)]
    problems = problems_of({'ztp_topology': 'minimum', 'ztp_members': members})
    assert problems == ['vc1: ztp_members: a Virtual Chassis has at most 10 members, got 11']
    assert problems_of({'ztp_topology': 'minimum', 'ztp_members': members[:10]}) == []


def test_at_most_two_routing_engines():
    data = with_change(('ztp_members', 2, 'role'), 'routing-engine')
    del data['ztp_members'][2]['mastership_priority']
    assert problems_of(data) == ['vc1: ztp_members: at most 2 members have role routing-engine (the primary and the backup), '
                                 'got 3: ztp_members[0], ztp_members[1], ztp_members[2]']


def test_member_ids_are_0_to_9():
    assert problems_of(with_change(('ztp_members', 2, 'member_id'), 10)) == ['vc1: ztp_members[2].member_id: must be 0 to 9, got 10']
    assert problems_of(with_change(('ztp_members', 2, 'member_id'), 9)) == []


def test_a_standalone_host_with_an_empty_member_list_is_refused():
    assert problems_of({'ztp_members': []}, host='sw1') == [
        'sw1: ztp_members: is empty: a standalone device (ztp_topology: none) has exactly one member']
    # A host that describes no device at all (no ztp_members) is left alone: a play may hold other hosts.
    assert problems_of({}, host='phs1') == []


# Typos of top-level variables.
def test_a_misspelt_variable_is_refused_with_the_closest_name():
    data = dict(VC, ztp_bootstrap_mehtod='dhcp-ztp', ztp_provisioning_mod='strict', ztp_colour='red')
    assert problems_of(data) == [
        'vc1: ztp_bootstrap_mehtod: is not a junos.ztp host variable (did you mean ztp_bootstrap_method?); '
        'list your own ztp_* variables in ztp_extra_variables',
        'vc1: ztp_colour: is not a junos.ztp host variable; list your own ztp_* variables in ztp_extra_variables',
        'vc1: ztp_provisioning_mod: is not a junos.ztp host variable (did you mean ztp_provisioning_mode?); '
        'list your own ztp_* variables in ztp_extra_variables',
    ]


def test_own_variables_listed_in_ztp_extra_variables_are_accepted_a_likely_typo_with_a_warning():
    data = dict(VC, ztp_site_code='ams1', ztp_topolgy='full', ztp_extra_variables=['ztp_site_code', 'ztp_topolgy'])
    warnings = []
    assert [str(p) for p in validate_host('vc1', data, warnings=warnings)[1]] == []
    assert warnings == ['vc1: ztp_topolgy: is listed in ztp_extra_variables but looks like a typo of ztp_topology']


def test_other_variables_are_not_the_models_business():
    assert problems_of(dict(VC, ansible_host='192.0.2.1', site_code='ams1')) == []


# Files the run reads on the controller.
def test_every_controller_file_is_checked_with_the_callers_finder():
    data = copy.deepcopy(VC)
    data['ztp_configuration'] = {'template': 'site.xml.j2'}
    data['ztp_software']['images'][0]['local_path'] = '/images/missing.tgz'
    data['ztp_scripts'] = {'pre': {'local_path': 'pre.sh'}, 'post': {'url': 'http://192.0.2.10/post.sh'}}
    data['ztp_phone_home'] = {'server_url': 'https://192.0.2.40', 'trust_anchor': 'ca.pem'}
    data['ztp_known_hosts_file'] = 'known_hosts'
    asked = []

    def find_file(directory, path):
        asked.append((directory, path))
        return None if path in ('pre.sh', 'known_hosts') else 'no file %s' % path

    with pytest.raises(InventoryError) as caught:
        validate_fleet({'vc1': data}, find_file=find_file)
    assert [str(p) for p in caught.value.problems] == [
        'vc1: ztp_software.images[0].local_path: no file /images/missing.tgz',
        'vc1: ztp_configuration.template: no file site.xml.j2',
        'vc1: ztp_phone_home.trust_anchor: no file ca.pem',
    ]
    assert sorted(asked) == [('files', '/images/missing.tgz'), ('files', 'ca.pem'), ('files', 'known_hosts'),
                             ('files', 'pre.sh'), ('templates', 'site.xml.j2')]


def test_a_file_shared_by_many_hosts_is_looked_up_once():
    asked = []
    hosts = {'sw%d' % index: {'ztp_members': [{'serial_number': 'S%d' % index}], 'ztp_configuration': {'template': 'site.xml.j2'}}
             for index in range(50)}
    validate_fleet(hosts, find_file=lambda directory, path: asked.append(path))
    assert asked == ['site.xml.j2']


def test_controller_files_lists_every_file_a_model_names():
    data = copy.deepcopy(VC)
    data['ztp_scripts'] = {'post': {'local_path': 'post.sh'}}
    model = validate_host('vc1', data)[0]
    assert list(controller_files(model)) == [('ztp_scripts.post.local_path', 'files', 'post.sh')]


def test_all_problems_of_every_class_at_once():
    data = with_change(('ztp_members', 0, 'member_id'), True)
    data['ztp_members'][1]['serial_number'] = 'PE1\n'
    data['ztp_bootstrap_mehtod'] = 'phone-home'
    data['ztp_configuration'] = {'template': 'missing.j2'}
    with pytest.raises(InventoryError) as caught:
        validate_fleet({'vc1': data, 'sw1': {'ztp_members': []}}, find_file=lambda directory, path: 'no file %s' % path)
    fields = {(p.host, p.field) for p in caught.value.problems}
    assert fields == {('sw1', 'ztp_members'), ('vc1', 'ztp_members[0].member_id'), ('vc1', 'ztp_members[1].serial_number'),
                      ('vc1', 'ztp_bootstrap_mehtod'), ('vc1', 'ztp_configuration.template')}


@pytest.mark.parametrize('path', [('ztp_software', 'images', 0, 'file'), ('ztp_software', 'images', 0, 'url'), ('ztp_software', 'version'),
                                  ('ztp_members', 0, 'model'), ('ztp_management', 'ipv4_address')])
def test_text_that_goes_on_the_wire_is_ascii(path):
    data = copy.deepcopy(VC)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] += 'é'
    field = path[0] + ''.join('[%d]' % key if isinstance(key, int) else '.%s' % key for key in path[1:])
    assert 'vc1: %s: must be ASCII (DHCP options and the device carry it as ASCII), got %r' % (field, target[path[-1]]) in problems_of(data)


def test_a_list_of_text_applies_its_rules_to_every_element():
    _model, problems = validate_host('h', {'ztp_members': [{'serial_number': 'AB1234'}],
                                           'ztp_phone_home': {'server_url': 'https://a', 'backup_server_urls': ['https://b', 'https://\u00e9']}})
    assert [str(problem) for problem in problems] == [
        "h: ztp_phone_home.backup_server_urls[1]: must be ASCII (DHCP options and the device carry it as ASCII), got 'https://\u00e9'"]


# The fast path (a well-formed value checked without collecting problems) against the full path that names every problem.
def _variants():
    """(field, value): well-formed values and, field by field, values with every kind of problem or needing coercion."""
    def every_leaf_changed(root, value, path=()):
        """The root with one leaf replaced at a time by values that break a rule, need coercion, or are fine."""
        if isinstance(value, dict):
            for key, item in value.items():
                yield from every_leaf_changed(root, item, path + (key,))
            yield with_leaf(root, path + ('unknown_key',), 'x')
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from every_leaf_changed(root, item, path + (index,))
            return
        for replacement in (None, '', 'x', 'x\n', 'a\tb', 'é', '~/file', '$HOME/file', '01', '7', 7, 0, -1, True, False, 4.5,
                            [], {}, ['x'], {'k': 'v'}, 'ex4300-*', 'https://192.0.2.1', 'A' * 300, Text('PE0')):
            yield with_leaf(root, path, replacement)

    def with_leaf(value, path, replacement):
        root = copy.deepcopy({'v': value})
        target, keys = root, ('v',) + path
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = replacement
        return root['v']

    full = dict(VC, ztp_file_server={'address': '192.0.2.10', 'port': 8080, 'transfer_mode': 'https', 'image_path': '/i', 'config_path': '/c'},
                ztp_dhcp_options={'ntp_servers': ['192.0.2.1'], 'syslog_servers': ['192.0.2.2'], 'proxy': '192.0.2.3:3128'},
                ztp_phone_home={'server_url': 'https://192.0.2.40', 'backup_server_urls': ['https://192.0.2.41'], 'trust_anchor': 'ca.pem'},
                ztp_scripts={'pre': {'url': 'http://192.0.2.10/pre.sh'}, 'post': {'local_path': 'post.sh'}},
                ztp_member_detection_timeout=600, ztp_bootstrap_method='phone-home', ztp_known_hosts_file='known_hosts',
                ztp_extra_variables=['ztp_site'])
    full['ztp_software'] = copy.deepcopy(VC['ztp_software'])
    full['ztp_software']['images'][0].update(symlink=True, md5='b' * 32, local_path='images/i.tgz')
    full['ztp_management'] = {'ipv4_address': '10.0.0.1', 'ipv6_address': '2001:db8::1', 'hostname': 'vc1', 'dhcp_match': 'serial_number'}
    for field in DATA_MODEL:
        yield field, full[field]
        for variant in every_leaf_changed(full[field], full[field]):
            yield field, variant
        for odd in ('', 'x', 5, True, [], {}, ['x'], [{'x': 1}], Text('none')):
            yield field, odd


class Text(str):
    """A str subclass, as templated or tagged values can be."""


def test_the_fast_path_gives_what_the_full_path_gives_or_leaves_the_value_to_it():
    from ansible_collections.junos.ztp.plugins.module_utils._data_model import _PLAIN_CHECKS, _NotPlain, _schema_problems

    vouched = refused = 0
    for field, value in _variants():
        problems, normalized = _schema_problems('h', field, DATA_MODEL[field], value)
        try:
            fast = _PLAIN_CHECKS[field](value)
        except _NotPlain:
            refused += 1
            continue
        vouched += 1
        assert problems == [], (field, value, problems)
        assert fast == normalized and type(fast) is type(normalized), (field, value)  # pylint: disable=unidiomatic-typecheck
    assert vouched > 100 and refused > 500  # both paths were exercised


def test_a_host_with_several_problems_gets_every_one_named_also_in_values_shared_with_other_hosts():
    shared_software = copy.deepcopy(VC['ztp_software'])
    shared_software['images'][0].update(sha256='abc', url='ftp:/nowhere')
    shared_dhcp = {'ntp_servers': ['192.0.2.1', 'ntp.example.net'], 'syslog_servers': ['300.1.1.1']}
    fleet = {}
    for number in range(3):
        host_vars = copy.deepcopy(VC)
        host_vars.update(ztp_software=shared_software, ztp_dhcp_options=shared_dhcp)
        host_vars['ztp_members'][0]['serial_number'] = 'S%d' % number
        host_vars['ztp_members'][1].update(serial_number='T%d' % number, member_id=11, mac_address='00:11:22:33:44:zz')
        host_vars['ztp_members'][2]['serial_number'] = 'U%d' % number
        host_vars['ztp_management'] = {'ipv4_address': '10.0.0.%d' % number, 'hostname': 'bad_name'}
        fleet['vc%d' % number] = host_vars
    with pytest.raises(InventoryError) as caught:
        validate_fleet(fleet)
    for number in range(3):
        host = 'vc%d' % number
        assert [str(p) for p in caught.value.problems if p.host == host] == [
            "%s: ztp_management.hostname: must be an ASCII DNS host name (letters, digits, \"-\" and \".\"), got 'bad_name'" % host,
            '%s: ztp_members[1].member_id: must be 0 to 9, got 11' % host,
            "%s: ztp_members[1].mac_address: is not a MAC address: '00:11:22:33:44:zz'" % host,
            "%s: ztp_software.images[0].url: must be an http, https, ftp or tftp URL, got 'ftp:/nowhere'" % host,
            "%s: ztp_software.images[0].sha256: must be 64 hex digits, got 'abc'" % host,
            "%s: ztp_dhcp_options.ntp_servers[1]: is not an IP address: 'ntp.example.net'" % host,
            "%s: ztp_dhcp_options.syslog_servers[0]: is not an IP address: '300.1.1.1'" % host,
        ]


@pytest.mark.parametrize('kind, text', [
    ('ip', '192.0.2.1'), ('ip', '0.0.0.0'), ('ip', '255.255.255.255'), ('ip', '256.1.1.1'), ('ip', '1.2.3'), ('ip', '010.1.1.1'),
    ('ip', '2001:db8::1'), ('ip', '::ffff:192.0.2.1'), ('ip', '10.0.0.1 '), ('ip', 'host.example'), ('ip', ''),
    ('mac', '00:11:22:33:44:55'), ('mac', 'AA:bb:CC:dd:EE:ff'), ('mac', '00-11-22-33-44-55'), ('mac', '0011.2233.4455'),
    ('mac', '00:11:22:33:44'), ('mac', '00:11:22:33:44:55:66'), ('mac', '00:11:22:33:44:5g'), ('mac', '001122334455'), ('mac', '')])
def test_plain_addresses_are_recognised_as_netaddr_recognises_them(kind, text):
    """Common forms are recognised without netaddr (it is slow); the verdict must be netaddr's all the same."""
    import netaddr

    from ansible_collections.junos.ztp.plugins.module_utils._data_model import _is_ip, _is_mac

    parse, recognised = {'ip': (netaddr.IPAddress, _is_ip), 'mac': (netaddr.EUI, _is_mac)}[kind]
    try:
        parse(text)
        by_netaddr = True
    except (netaddr.AddrFormatError, ValueError):
        by_netaddr = False
    assert recognised(text) is by_netaddr
