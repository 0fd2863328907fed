"""junos.ztp.zeroize as users run it: ansible-playbook against simulated Virtual Chassis, one per case."""

from __future__ import annotations

import pytest

from playbook import run_playbook, vc_host_vars
from vcsim import Simulator
from vcsim.testing import FAST_TIME_SCALE, PASSWORD, USER, vc4_spec

# Inventory host (and its simulated VC) -> task arguments and task-level check mode.
CASES = {
    'refused': {'confirm': False},
    'check_mode': {'confirm': True, 'check_mode': True},
    'no_wait_media': {'confirm': True, 'wait': False, 'media': True},
    'wait': {'confirm': True, 'wait': True},
    'cut_short': {'confirm': True, 'wait': True},
    'by_default': {'confirm': True},
}


@pytest.fixture(scope='module')
def zeroized(tmp_path_factory):
    """One playbook zeroizes every case's VC; yields (run, simulator) while the simulator still runs."""
    vcs = [vc4_spec(name)['vcs'][0] for name in CASES]
    # The session drops before the zeroize reply, as a VC going down mid-reply does.
    vcs[list(CASES).index('cut_short')]['faults'] = [{'type': 'drop_session', 'rpc': 'request-system-zeroize'}]
    workdir = tmp_path_factory.mktemp('zeroize')
    with Simulator({'time_scale': FAST_TIME_SCALE, 'user': USER, 'password': PASSWORD, 'vcs': vcs}, workdir / 'sim') as sim:
        hosts = {name: vc_host_vars(sim.vc(name), sim.user, sim.password, zeroize_confirm=case['confirm'],
                                    zeroize_media=case.get('media', False), zeroize_check_mode=case.get('check_mode', False))
                 for name, case in CASES.items()}
        for name, case in CASES.items():
            if 'wait' in case:
                hosts[name]['zeroize_wait'] = case['wait']
        task = {'name': 'Zeroize', 'check_mode': '{{ zeroize_check_mode }}',
                'junos.ztp.zeroize': {'confirm': '{{ zeroize_confirm }}', 'wait': '{{ zeroize_wait | default(omit) }}', 'media': '{{ zeroize_media }}',
                                      'wait_timeout': 60}}
        yield run_playbook(workdir, [task], hosts, env={'ANSIBLE_FORKS': str(len(CASES))}), sim


def outcome(zeroized, case):
    run, sim = zeroized
    result = run.task('Zeroize', case)
    return result['status'], result['result'], sim.vc(case)


def is_factory_default(vc):
    return vc.committed_config().find('system/phone-home') is not None


def test_without_confirmation_it_refuses_and_sends_nothing(zeroized):
    status, result, vc = outcome(zeroized, 'refused')
    assert status == 'failed' and result['changed'] is False
    assert result['msg'].startswith('refusing to zeroize without confirm=true: it would erase all configuration, log files')
    assert vc.events('session_open') == [] and vc.events('zeroize') == []
    assert not is_factory_default(vc)


def test_check_mode_says_what_would_be_erased_and_sends_no_zeroize(zeroized):
    status, result, vc = outcome(zeroized, 'check_mode')
    assert status == 'ok' and result['changed'] is True
    assert result['msg'].startswith('would erase all configuration, log files, installed keys and user files of 127.0.0.1: 4 member(s): '
                                    'member 0 (PE3714100218, ex4300-48p), member 1 (PE3714100759, ex4300-48p)')
    assert result['hostname'] == 'check_mode'
    assert [e['name'] for e in vc.events('rpc')] == ['get-virtual-chassis-information', 'get-virtual-chassis-port-information', 'command',
                                                     'close-session']
    assert vc.events('zeroize') == [] and not is_factory_default(vc)


def test_without_waiting_it_returns_once_accepted(zeroized):
    status, result, vc = outcome(zeroized, 'no_wait_media')
    assert status == 'ok' and result['changed'] is True
    assert (result['waited'], result['elapsed'], result['reply_cut_short'], result['media']) == (False, None, False, True)
    assert [(e['local'], e['media']) for e in vc.events('zeroize')] == [(False, True)]
    assert result['msg'].startswith('zeroize accepted: erasing all configuration')
    assert [m['serial_number'] for m in result['members']] == ['PE3714100218', 'PE3714100759', 'PE3714100999', 'PE3714101111']
    # It did not come back to look: no session after the request.
    (request,) = vc.events('zeroize')
    assert vc.events('session_open', since=request['seq']) == []


def test_waiting_returns_when_the_vc_answers_in_factory_default(zeroized):
    status, result, vc = outcome(zeroized, 'wait')
    assert status == 'ok' and result['changed'] is True
    assert (result['waited'], result['reply_cut_short'], result['media']) == (True, False, False)
    assert result['elapsed'] > 0
    assert 'the device answered in factory-default state after' in result['msg']
    assert is_factory_default(vc)
    # It re-connected and read the committed configuration after every member was back.
    (request,) = vc.events('zeroize')
    last_rejoin = max(e['seq'] for e in vc.events('member_rejoin', since=request['seq']))
    assert [e['name'] for e in vc.events('rpc', since=last_rejoin)][:1] == ['get-configuration']


def test_a_reply_cut_short_by_the_reboot_is_success(zeroized):
    status, result, vc = outcome(zeroized, 'cut_short')
    assert status == 'ok' and result['changed'] is True
    assert (result['reply_cut_short'], result['waited']) == (True, True)
    assert len(vc.events('zeroize')) == 1 and is_factory_default(vc)


def test_by_default_it_does_not_wait(zeroized):
    # A real factory-default EX keeps no NETCONF user, so waiting suits only labs and is asked for explicitly.
    status, result, vc = outcome(zeroized, 'by_default')
    assert status == 'ok' and result['changed'] is True and result['waited'] is False
    (request,) = vc.events('zeroize')
    assert vc.events('session_open', since=request['seq']) == []
