"""junos.ztp.vcp_check as users run it: ansible-playbook against simulated Virtual Chassis, one per fault."""

from __future__ import annotations

import pytest

from ansible_collections.junos.ztp.plugins.module_utils._connection import call_rpc, close_quietly, open_device
from playbook import run_playbook, vc_host_vars
from vcsim import Simulator
from vcsim.testing import FAST_TIME_SCALE, PASSWORD, USER, vc4_spec

MEMBERS = vc4_spec()['vcs'][0]['members']
INTENDED = [{'member_id': m['id'], 'serial_number': m['serial'], 'model': m['model']} for m in MEMBERS]
RING_WITHOUT_3_TO_0 = [[0, 'vcp-255/1/1', 1, 'vcp-255/1/0'], [1, 'vcp-255/1/1', 2, 'vcp-255/1/0'], [2, 'vcp-255/1/1', 3, 'vcp-255/1/0']]

# Simulated VC -> its spec overrides; every VC is the standard 4-member EX4300 ring otherwise.
VCS = {
    'ring': {},
    'cable_missing': {'cabling': RING_WITHOUT_3_TO_0},
    'vcp_down': {'faults': [{'type': 'vcp_link_down', 'member': 1, 'port': 'vcp-255/1/1'}]},
    'member_gone': {'faults': [{'type': 'member_never_returns', 'member': 3}]},
    'unexpected': {'faults': [{'type': 'unexpected_serial', 'member': 2, 'serial': 'PE3799999999'}]},
    'mixed': {'mode': 'mixed'},
}
# Inventory host -> (its VC, ztp_provisioning_mode).
HOSTS = {
    'ring_strict': ('ring', 'strict'),
    'cable_missing': ('cable_missing', 'default'),
    'vcp_down': ('vcp_down', 'default'),
    'member_gone_default': ('member_gone', 'default'),
    'member_gone_strict': ('member_gone', 'strict'),
    'unexpected_default': ('unexpected', 'default'),
    'unexpected_strict': ('unexpected', 'strict'),
    'mixed': ('mixed', 'default'),
}


@pytest.fixture(scope='module')
def checked(tmp_path_factory):
    """Run the check (in check mode, then for real) on every host in one playbook; return the run."""
    vcs = [vc4_spec(name, **overrides)['vcs'][0] for name, overrides in VCS.items()]
    workdir = tmp_path_factory.mktemp('vcp_check')
    with Simulator({'time_scale': FAST_TIME_SCALE, 'user': USER, 'password': PASSWORD, 'vcs': vcs}, workdir / 'sim') as sim:
        gone = sim.vc('member_gone')
        # Member 3 reboots and, with member_never_returns, stays away (like a member powered off).
        device = open_device({'host': gone.host, 'port': gone.port, 'user': sim.user, 'password': sim.password, 'host_key_checking': True,
                              'known_hosts_file': gone.known_hosts_file, 'timeout': 10})
        call_rpc(device, 'request_reboot', member='3', **{'in': '0'})
        close_quietly(device)
        gone.wait_until(lambda vc: not vc.member(3).present)
        hosts = {host: vc_host_vars(sim.vc(vc), sim.user, sim.password, ztp_members=INTENDED, ztp_topology='full', ztp_provisioning_mode=mode)
                 for host, (vc, mode) in HOSTS.items()}
        check = {'members': '{{ ztp_members }}', 'topology': '{{ ztp_topology }}', 'provisioning_mode': '{{ ztp_provisioning_mode }}'}
        tasks = [
            {'name': 'Check in check mode', 'junos.ztp.vcp_check': check, 'check_mode': True, 'ignore_errors': True},
            {'name': 'Check', 'junos.ztp.vcp_check': check},
        ]
        yield run_playbook(workdir, tasks, hosts, env={'ANSIBLE_FORKS': str(len(HOSTS))})


def findings(run, host):
    """(severity, code, member, port) of the real run, after checking check mode said exactly the same."""
    result = run.task('Check', host)
    in_check_mode = run.task('Check in check mode', host)
    assert in_check_mode['status'] == result['status']
    assert in_check_mode['result']['findings'] == result['result']['findings']
    assert result['result']['changed'] is False and in_check_mode['result']['changed'] is False
    return result['status'], [(f['severity'], f['code'], f['member'], f['port']) for f in result['result']['findings']]


def test_the_intended_ring_passes_strict_mode(checked):
    assert findings(checked, 'ring_strict') == ('ok', [])
    assert checked.task('Check', 'ring_strict')['result']['msg'] == 'the Virtual Chassis meets every requirement'


def test_a_missing_cable_is_a_broken_ring(checked):
    assert findings(checked, 'cable_missing') == ('failed', [('error', 'not-a-ring', None, None)])
    assert 'not a ring; missing links: member 0 - member 3' in checked.task('Check', 'cable_missing')['result']['msg']


def test_a_vcp_down_fails_even_in_default_mode(checked):
    assert findings(checked, 'vcp_down') == ('failed', [
        ('error', 'vcp-down', 1, 'vcp-255/1/1'), ('error', 'vcp-down', 2, 'vcp-255/1/0'), ('error', 'not-a-ring', None, None)])


def test_a_missing_member_warns_in_default_mode_and_fails_in_strict_mode(checked):
    expected = [('member-not-present', 3, None), ('vcp-down', 0, 'vcp-255/1/0'), ('vcp-down', 2, 'vcp-255/1/1'), ('not-a-ring', None, None)]
    assert findings(checked, 'member_gone_default') == ('ok', [('warning',) + finding for finding in expected])
    warnings = checked.task('Check', 'member_gone_default')['result']['warnings']
    assert 'member-not-present: member 3 (PE3714101111, ex4300-48t) is not-present' in warnings
    assert findings(checked, 'member_gone_strict') == ('failed', [('error',) + finding for finding in expected])
    message = checked.task('Check', 'member_gone_strict')['result']['msg']
    assert message.startswith('Virtual Chassis check failed: 4 error(s), 0 warning(s)\n- error [member-not-present] member 3')


def test_an_unexpected_serial_fails_only_in_strict_mode(checked):
    expected = [('member-missing', 2, None), ('unexpected-member', 2, None)]
    assert findings(checked, 'unexpected_default') == ('ok', [('warning',) + finding for finding in expected])
    assert findings(checked, 'unexpected_strict') == ('failed', [('error',) + finding for finding in expected])
    assert 'member 2 (PE3799999999, ex4300-48t) is not one of the intended members' in checked.task('Check', 'unexpected_strict')['result']['msg']


def test_a_mixed_mode_vc_fails(checked):
    assert findings(checked, 'mixed') == ('failed', [('error', 'mixed-mode', None, None)])
