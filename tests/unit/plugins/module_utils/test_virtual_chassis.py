"""Virtual Chassis replies -> junos_ztp_vc facts, and the VCP topology derived from them."""

from __future__ import annotations

import pytest
from lxml import etree

from ansible_collections.junos.ztp.plugins.module_utils._virtual_chassis import (
    build_facts, derive_topology, parse_vc_information, parse_vc_ports, parse_versions, read_virtual_chassis)
from unit.fixtures.vc_replies import REPLIES, facts, reply


def test_ring_with_the_primary_on_member_1():
    vc = facts('ring4')
    assert (vc['id'], vc['mode'], vc['preprovisioned']) == ('8c2a.11f0.4d7e', 'enabled', True)
    assert (vc['logged_into_member'], vc['primary_member'], vc['backup_member']) == (1, 1, 0)
    assert [(m['member_id'], m['serial_number'], m['model'], m['role'], m['junos_role'], m['status'], m['mastership_priority'])
            for m in vc['members']] == [
        (0, 'PE3719020100', 'ex4300-48p', 'backup', 'Backup', 'present', 255),
        (1, 'PE3719020101', 'ex4300-48p', 'primary', 'Master', 'present', 255),
        (2, 'PE3719020102', 'ex4300-48t', 'linecard', 'Linecard', 'present', 0),
        (3, 'PE3719020103', 'ex4300-48t', 'linecard', 'Linecard', 'present', 0),
    ]
    assert {(m['version'], m['hostname'], m['mixed_mode'], m['route_mode']) for m in vc['members']} == {('21.4R3-S5.4', 'ams1-vc1', False, 'VC')}
    assert vc['members'][1]['neighbors'] == [{'member_id': 2, 'port': 'vcp-255/1/0'}, {'member_id': 0, 'port': 'vcp-255/1/1'}]
    assert vc['members'][0]['ports'][0] == {
        'member_id': 0, 'port': 'vcp-255/1/0', 'status': 'up', 'speed': 40000, 'type': 'default', 'junos_type': 'Default',
        'neighbor_member_id': 1, 'neighbor_port': 'vcp-255/1/1'}
    assert [p['status'] for p in vc['members'][3]['ports']] == ['up', 'up', 'absent', 'absent']
    topology = vc['topology']
    assert topology['kind'] == 'ring'
    assert sorted((l['member_id'], l['neighbor_member_id']) for l in topology['links']) == [(0, 1), (0, 3), (1, 2), (2, 3)]
    assert topology['missing_links'] == [] and topology['unreachable_members'] == []


def test_member_not_present_breaks_the_vc_and_its_neighbours_vcps_are_missing_links():
    vc = facts('member_missing')
    member = vc['members'][3]
    assert (member['status'], member['role'], member['junos_role'], member['version'], member['ports']) == ('not-present', None, None, None, [])
    assert (member['serial_number'], member['model']) == ('PE3719020103', 'ex4300-48t')
    assert vc['topology']['kind'] == 'broken'
    assert vc['topology']['unreachable_members'] == [3]
    assert vc['topology']['missing_links'] == [
        {'member_id': 0, 'port': 'vcp-255/1/1', 'neighbor_member_id': None, 'neighbor_port': None},
        {'member_id': 2, 'port': 'vcp-255/1/0', 'neighbor_member_id': None, 'neighbor_port': None},
    ]


def test_mixed_mode_vc_with_a_configured_vcp_and_a_version_from_the_package_comment():
    vc = facts('mixed')
    assert (vc['mode'], vc['preprovisioned'], vc['logged_into_member']) == ('mixed', False, 0)
    assert [m['mixed_mode'] for m in vc['members']] == [True, True]
    assert [m['version'] for m in vc['members']] == ['13.2X51-D35.3', '13.2X51-D35.3']
    assert [(p['type'], p['junos_type']) for m in vc['members'] for p in m['ports']] == [('configured', 'Configured'), ('default', 'Default')]
    # One cable between two members: a daisy chain, and the missing link is a second cable between its ends.
    assert vc['topology']['kind'] == 'daisy-chain'
    assert vc['topology']['missing_links'] == [{'member_id': 0, 'port': None, 'neighbor_member_id': 1, 'neighbor_port': None}]


def test_standalone_replies_without_per_member_items_belong_to_the_local_member():
    vc = facts('standalone')
    assert vc['topology'] == {'kind': 'standalone', 'links': [], 'missing_links': [], 'unreachable_members': []}
    (member,) = vc['members']
    assert (member['member_id'], member['role'], member['version'], member['hostname']) == (0, 'primary', '21.4R3-S5.4', 'ams1-sw1')
    assert [(p['member_id'], p['status']) for p in member['ports']] == [(0, 'absent'), (0, 'absent')]


def test_mode_is_mixed_when_only_a_member_says_so():
    element = reply('mixed', 'get_virtual_chassis_information')
    element.find('.//virtual-chassis-mode').text = 'Enabled'
    information = parse_vc_information(element)
    assert information['mode'] == 'enabled'
    # build_facts folds the member flags into the mode.
    assert build_facts(information, [], {})['mode'] == 'mixed'


def test_parsers_accept_the_rpc_reply_itself():
    element = reply('ring4', 'get_virtual_chassis_information').getparent()
    assert element.tag == 'rpc-reply'
    assert len(parse_vc_information(element)['members']) == 4
    assert parse_versions(reply('ring4', 'cli').getparent())[2]['model'] == 'ex4300-48t'


def test_an_unrelated_reply_is_refused():
    with pytest.raises(ValueError, match='virtual-chassis-information'):
        parse_vc_information(etree.fromstring('<software-information/>'))


def test_unknown_port_type_text_keeps_the_raw_text():
    element = etree.fromstring('<virtual-chassis-port-information><port-list><port-information><port-name>vcp-255/0/50</port-name>'
                               '<port-type>Auto-configured</port-type><port-status>Up</port-status><port-speed>10G</port-speed>'
                               '</port-information></port-list></virtual-chassis-port-information>')
    (port,) = parse_vc_ports(element, local_member=4)
    assert (port['member_id'], port['type'], port['junos_type'], port['speed']) == (4, None, 'Auto-configured', '10G')


def _port(member_id, port, status='up', neighbor=None, neighbor_port=None):
    return {'member_id': member_id, 'port': port, 'status': status, 'speed': 40000, 'type': 'default', 'junos_type': 'Default',
            'neighbor_member_id': neighbor, 'neighbor_port': neighbor_port}


def _members(*ids):
    return [{'member_id': i, 'neighbors': []} for i in ids]


def _ring_ports(ids, down=()):
    """Ports of a ring in the order of ids: each member's vcp-255/1/1 to the next one's vcp-255/1/0."""
    ports = []
    for index, here in enumerate(ids):
        there = ids[(index + 1) % len(ids)]
        is_down = frozenset((here, there)) in {frozenset(pair) for pair in down}
        ports.append(_port(here, 'vcp-255/1/1', 'down' if is_down else 'up', None if is_down else there, None if is_down else 'vcp-255/1/0'))
        ports.append(_port(there, 'vcp-255/1/0', 'down' if is_down else 'up', None if is_down else here, None if is_down else 'vcp-255/1/1'))
    return ports


@pytest.mark.parametrize('ids', [(0, 1), (0, 1, 2), (3, 0, 2, 1, 4)])
def test_rings_of_any_size(ids):
    topology = derive_topology(_members(*ids), _ring_ports(list(ids)), logged_into_member=ids[0])
    assert topology['kind'] == 'ring'
    assert len(topology['links']) == len(ids)


def test_one_vcp_link_down_makes_a_daisy_chain_whose_missing_link_is_that_vcp():
    topology = derive_topology(_members(0, 1, 2, 3), _ring_ports([0, 1, 2, 3], down=[(1, 2)]), logged_into_member=0)
    assert topology['kind'] == 'daisy-chain'
    assert topology['missing_links'] == [
        {'member_id': 1, 'port': 'vcp-255/1/1', 'neighbor_member_id': None, 'neighbor_port': None},
        {'member_id': 2, 'port': 'vcp-255/1/0', 'neighbor_member_id': None, 'neighbor_port': None},
    ]


def test_a_chain_with_no_down_port_names_its_two_ends():
    ports = [p for p in _ring_ports([0, 1, 2, 3]) if {p['member_id'], p['neighbor_member_id']} != {3, 0}]
    topology = derive_topology(_members(0, 1, 2, 3), ports)
    assert topology['kind'] == 'daisy-chain'
    assert topology['missing_links'] == [{'member_id': 0, 'port': None, 'neighbor_member_id': 3, 'neighbor_port': None}]


def test_two_links_down_split_the_vc():
    topology = derive_topology(_members(0, 1, 2, 3), _ring_ports([0, 1, 2, 3], down=[(0, 1), (2, 3)]), logged_into_member=0)
    assert topology['kind'] == 'broken'
    assert topology['unreachable_members'] == [1, 2]
    assert len(topology['missing_links']) == 4


def test_neighbour_lists_stand_in_for_members_missing_from_the_port_reply():
    members = _members(0, 1, 2)
    members[2]['neighbors'] = [{'member_id': 0, 'port': 'vcp-255/1/1'}, {'member_id': 1, 'port': 'vcp-255/1/0'}]
    ports = [p for p in _ring_ports([0, 1, 2]) if p['member_id'] != 2]
    topology = derive_topology(members, ports)
    assert topology['kind'] == 'ring'
    assert len(topology['links']) == 3


class _FakeRpc:
    def __init__(self, scenario, sent):
        self.scenario = scenario
        self.sent = sent

    def __getattr__(self, name):
        def send(*args, **kwargs):
            self.sent.append((name, args, kwargs))
            return reply(self.scenario, name)
        return send


class _FakeDevice:
    hostname = 'vc.example'

    def __init__(self, scenario):
        self.sent = []
        self.rpc = _FakeRpc(scenario, self.sent)


def test_read_virtual_chassis_sends_exactly_three_rpcs():
    device = _FakeDevice('ring4')
    assert read_virtual_chassis(device) == facts('ring4')
    assert device.sent == [('get_virtual_chassis_information', (), {}), ('get_virtual_chassis_port_information', (), {}),
                           ('cli', ('show version all-members',), {'format': 'xml'})]
    assert set(REPLIES) == {sent[0] for sent in device.sent}
