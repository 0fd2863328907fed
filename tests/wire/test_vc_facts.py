"""junos.ztp.vc_facts and the VC reader over real NETCONF/SSH against the simulated Virtual Chassis."""

from __future__ import annotations

from ansible_collections.junos.ztp.plugins.module_utils._virtual_chassis import read_virtual_chassis
from playbook import run_playbook, vc_host_vars
from vcsim.testing import vc4_spec

# Member 2 wins the election (highest priority), member 3 becomes backup: the primary is not member 0.
PRIMARY_AT_2 = [
    {'id': 0, 'serial': 'PE3719020100', 'model': 'ex4300-48p', 'priority': 100, 'role': 'routing-engine'},
    {'id': 1, 'serial': 'PE3719020101', 'model': 'ex4300-48t', 'priority': 0, 'role': 'line-card'},
    {'id': 2, 'serial': 'PE3719020102', 'model': 'ex4300-48p', 'priority': 255, 'role': 'routing-engine'},
    {'id': 3, 'serial': 'PE3719020103', 'model': 'ex4300-48p', 'priority': 200, 'role': 'routing-engine', 'version': '21.4R3-S4.2'},
]


def test_facts_of_a_vc_whose_primary_is_not_member_0_with_host_keys_verified(vcsim, tmp_path):
    sim = vcsim(vc4_spec(name='vc', members=PRIMARY_AT_2))
    vc = sim.vc('vc')
    empty_known_hosts = tmp_path / 'empty_known_hosts'
    empty_known_hosts.write_text('')
    hosts = {
        'vc': vc_host_vars(vc, sim.user, sim.password),
        'unknown_key': vc_host_vars(vc, sim.user, sim.password, ztp_known_hosts_file=str(empty_known_hosts)),
    }
    tasks = [
        {'name': 'Facts', 'junos.ztp.vc_facts': None},
        {'name': 'Use them', 'ansible.builtin.assert': {'that': ["junos_ztp_vc.topology.kind == 'ring'", 'junos_ztp_vc.primary_member == 2']}},
    ]
    run = run_playbook(tmp_path, tasks, hosts)

    result = run.task('Facts', 'vc')
    assert result['status'] == 'ok' and result['result']['changed'] is False
    facts = result['result']['ansible_facts']['junos_ztp_vc']
    assert (facts['logged_into_member'], facts['primary_member'], facts['backup_member']) == (2, 2, 3)
    assert (facts['mode'], facts['preprovisioned']) == ('enabled', False)
    assert [(m['member_id'], m['serial_number'], m['model'], m['role'], m['junos_role'], m['status'], m['mastership_priority'], m['version'])
            for m in facts['members']] == [
        (0, 'PE3719020100', 'ex4300-48p', 'linecard', 'Linecard', 'present', 100, '21.4R3-S5.4'),
        (1, 'PE3719020101', 'ex4300-48t', 'linecard', 'Linecard', 'present', 0, '21.4R3-S5.4'),
        (2, 'PE3719020102', 'ex4300-48p', 'primary', 'Master', 'present', 255, '21.4R3-S5.4'),
        (3, 'PE3719020103', 'ex4300-48p', 'backup', 'Backup', 'present', 200, '21.4R3-S4.2'),
    ]
    assert {m['hostname'] for m in facts['members']} == {'vc'}
    # The simulator's default cabling: each member's vcp-255/1/1 to the next one's vcp-255/1/0, default-configured QSFP+ ports.
    assert facts['members'][1]['ports'] == [
        {'member_id': 1, 'port': 'vcp-255/1/0', 'status': 'up', 'speed': 40000, 'type': 'default', 'junos_type': 'Default',
         'neighbor_member_id': 0, 'neighbor_port': 'vcp-255/1/1'},
        {'member_id': 1, 'port': 'vcp-255/1/1', 'status': 'up', 'speed': 40000, 'type': 'default', 'junos_type': 'Default',
         'neighbor_member_id': 2, 'neighbor_port': 'vcp-255/1/0'},
    ]
    assert facts['topology']['kind'] == 'ring' and facts['topology']['missing_links'] == []
    assert sorted(tuple(sorted((l['member_id'], l['neighbor_member_id']))) for l in facts['topology']['links']) == [(0, 1), (0, 3), (1, 2), (2, 3)]
    assert run.task('Use them', 'vc')['status'] == 'ok'

    refused = run.task('Facts', 'unknown_key')
    assert refused['status'] == 'failed'
    assert 'SSH host key of 127.0.0.1:%d is not in %s' % (vc.port, empty_known_hosts) in refused['result']['msg']


def test_a_member_that_never_comes_back_is_not_present_and_breaks_the_ring(vc4, pyez_device):
    vc4.inject_fault('member_never_returns', member=3)
    pyez_device(vc4).rpc.request_reboot(member='3', **{'in': '0'})
    vc4.wait_until(lambda vc: not vc.member(3).present)
    device = pyez_device(vc4)
    since = vc4.log.next_seq()

    facts = read_virtual_chassis(device)

    assert [e['name'] for e in vc4.events('rpc', since=since)] == [
        'get-virtual-chassis-information', 'get-virtual-chassis-port-information', 'command']
    gone = facts['members'][3]
    assert (gone['status'], gone['role'], gone['version'], gone['ports'], gone['serial_number']) == ('not-present', None, None, [], 'PE3714101111')
    assert [m['status'] for m in facts['members'][:3]] == ['present'] * 3
    assert facts['topology']['kind'] == 'broken'
    assert facts['topology']['unreachable_members'] == [3]
    assert facts['topology']['missing_links'] == [
        {'member_id': 0, 'port': 'vcp-255/1/0', 'neighbor_member_id': None, 'neighbor_port': None},
        {'member_id': 2, 'port': 'vcp-255/1/1', 'neighbor_member_id': None, 'neighbor_port': None},
    ]
