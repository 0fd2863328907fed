"""Findings about a Virtual Chassis against the intent: severities per provisioning mode, every finding at once."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.junos.ztp.plugins.module_utils._vcp_check import check_virtual_chassis, failure_message, intent_problems
from unit.fixtures.vc_replies import facts

RING4 = facts('ring4')
INTENDED = [
    {'serial_number': 'PE3719020100', 'member_id': 0, 'model': 'ex4300-48p'},
    {'serial_number': 'PE3719020101', 'member_id': 1, 'model': 'ex4300-48p'},
    {'serial_number': 'PE3719020102', 'member_id': 2, 'model': 'ex4300-48t'},
    {'serial_number': 'PE3719020103', 'member_id': 3, 'model': 'ex4300-48t'},
]


def codes(findings):
    return [(f['severity'], f['code'], f['member'], f['port']) for f in findings]


def ring4_with(change):
    vc = copy.deepcopy(RING4)
    change(vc)
    return vc


def take_down(vc, member_id, port):
    """A VCP link down on both ends, as Junos shows it: Down, no neighbour."""
    for member in vc['members']:
        for p in member['ports']:
            if (p['member_id'], p['port']) == (member_id, port) or (p['neighbor_member_id'], p['neighbor_port']) == (member_id, port):
                p.update(status='down', neighbor_member_id=None, neighbor_port=None)


@pytest.mark.parametrize('mode', ['default', 'strict'])
def test_the_intended_ring_has_no_findings(mode):
    assert check_virtual_chassis(RING4, INTENDED, 'full', mode) == []


def test_minimum_topology_without_members_checks_only_the_cabling():
    assert check_virtual_chassis(RING4, [], 'minimum') == []


def test_a_vcp_down_is_an_error_in_either_mode_with_the_chain_it_leaves():
    vc = ring4_with(lambda v: take_down(v, 1, 'vcp-255/1/0'))
    for mode in ('default', 'strict'):
        findings = check_virtual_chassis(vc, INTENDED, 'full', mode)
        assert codes(findings) == [('error', 'vcp-down', 1, 'vcp-255/1/0'), ('error', 'vcp-down', 2, 'vcp-255/1/1'),
                                   ('error', 'not-a-ring', None, None)]
        assert 'daisy-chain' in findings[2]['message'] and 'member 1 vcp-255/1/0' in findings[2]['message']


def test_a_missing_cable_is_not_a_ring():
    def unplug(vc):
        for member in vc['members']:
            member['ports'] = [p for p in member['ports'] if {p['member_id'], p['neighbor_member_id']} != {0, 3}]
    findings = check_virtual_chassis(ring4_with(unplug), INTENDED, 'full', 'default')
    assert codes(findings) == [('error', 'not-a-ring', None, None)]
    assert 'missing links: member 0 - member 3' in findings[0]['message']


MISSING = facts('member_missing')


def test_a_member_not_present_is_a_warning_in_default_mode_including_what_it_breaks():
    findings = check_virtual_chassis(MISSING, INTENDED, 'full', 'default')
    assert codes(findings) == [('warning', 'member-not-present', 3, None), ('warning', 'vcp-down', 0, 'vcp-255/1/1'),
                               ('warning', 'vcp-down', 2, 'vcp-255/1/0'), ('warning', 'not-a-ring', None, None)]
    assert 'with members missing' in findings[3]['message']


def test_a_member_not_present_is_an_error_in_strict_mode():
    findings = check_virtual_chassis(MISSING, INTENDED, 'full', 'strict')
    assert {f['severity'] for f in findings} == {'error'}
    assert codes(findings)[0] == ('error', 'member-not-present', 3, None)


def test_a_member_never_seen_is_missing():
    def forget_member_3(vc):
        vc['members'] = [m for m in vc['members'] if m['member_id'] != 3]
    findings = check_virtual_chassis(ring4_with(forget_member_3), INTENDED, 'full', 'default')
    assert codes(findings)[0] == ('warning', 'member-missing', 3, None)
    assert 'PE3719020103 (member 3, ex4300-48t)' in findings[0]['message']


def test_an_unexpected_serial_is_an_error_only_in_strict_mode():
    def swap_member_2(vc):
        vc['members'][2]['serial_number'] = 'PE3719029999'
    vc = ring4_with(swap_member_2)
    expected = [('member-missing', 2), ('unexpected-member', 2)]
    assert [(f['code'], f['member']) for f in check_virtual_chassis(vc, INTENDED, 'full', 'strict')] == expected
    assert {f['severity'] for f in check_virtual_chassis(vc, INTENDED, 'full', 'strict')} == {'error'}
    assert {f['severity'] for f in check_virtual_chassis(vc, INTENDED, 'full', 'default')} == {'warning'}
    # With the minimum topology the list is not complete: an extra member is fine.
    assert codes(check_virtual_chassis(vc, INTENDED[:2], 'minimum', 'default')) == []


def test_wrong_member_id_and_model():
    def renumber(vc):
        vc['members'][3]['member_id'] = 5
        vc['members'][2]['model'] = 'ex4300-32f'
    findings = {f['code']: f for f in check_virtual_chassis(ring4_with(renumber), INTENDED, 'full', 'strict')}
    assert (findings['model-mismatch']['member'], findings['model-mismatch']['severity']) == (2, 'error')
    assert 'member 2 (PE3719020102) is a ex4300-32f, intended ex4300-48t' == findings['model-mismatch']['message']
    assert (findings['member-id-mismatch']['member'], findings['member-id-mismatch']['severity']) == (5, 'error')
    assert 'serial number PE3719020103 is member 5, intended as member 3' == findings['member-id-mismatch']['message']


def test_mixed_mode_and_a_configured_vcp_are_errors_even_in_default_mode():
    findings = check_virtual_chassis(facts('mixed'), [], 'minimum', 'default')
    assert codes(findings) == [('error', 'mixed-mode', None, None), ('error', 'vcp-configured', 0, 'vcp-255/0/48'),
                               ('error', 'not-a-ring', None, None)]
    assert '(members 0, 1)' in findings[0]['message']


def test_topology_none_wants_a_standalone_switch():
    assert check_virtual_chassis(facts('standalone'), [{'serial_number': 'JW3619AN0123'}], 'none') == []
    assert codes(check_virtual_chassis(RING4, [INTENDED[1]], 'none')) == [('warning', 'not-standalone', None, None)]


def test_failure_message_lists_every_finding_errors_first():
    findings = check_virtual_chassis(MISSING, INTENDED, 'full', 'strict')
    message = failure_message(findings)
    assert message.startswith('Virtual Chassis check failed: 4 error(s), 0 warning(s)\n')
    assert message.count('\n- error [') == 4
    assert '[member-not-present] member 3 (PE3719020103, ex4300-48t) is not-present' in message


def test_intent_is_checked_with_the_inventory_rules():
    members, problems = intent_problems('vc1', [{'serial_number': 'A', 'member_id': 0}, {'serial_number': 'A', 'member_id': 12}], 'minimum', 'strict')
    assert problems == [
        'ztp_members[1].member_id: must be 0 to 9, got 12',
        'ztp_members[1].serial_number: serial number A is also used by ztp_members[0]',
        'ztp_provisioning_mode: strict needs the full topology (ztp_topology: full), got ztp_topology: minimum',
    ]
    assert members[0] == {'serial_number': 'A', 'member_id': 0, 'model': None, 'role': None, 'mastership_priority': None,
                          'mac_address': None, 'duid': None}


def test_no_members_is_fine_for_a_check():
    assert intent_problems('vc1', [], 'minimum', 'default') == ([], [])
