"""junos.ztp.vc_upgrade against the simulated Virtual Chassis: real PyEZ sessions, the order checked in the device's event log.

Time is scaled hard (a 600 s install takes 0.3 s), so a whole upgrade takes a few seconds. The main path, check
mode and a strict failure run through ansible-playbook; the other scenarios drive the module_utils directly.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest
from notification_sink import NotificationSink
from playbook import run_playbook, vc_host_vars
from vcsim import make_image
from vcsim.testing import PASSWORD, USER

from ansible_collections.junos.ztp.plugins.module_utils._vc_upgrade import (
    HANDOVER_COMMENT, PIN_COMMENT, RECORD_GROUP, RESTORE_COMMENT, TEMPORARY_BACKUP_COMMENT, PyezOperations, VcUpgrade)

OLD, NEW = '21.4R3-S5.4', '22.4R3-S2.3'
TIME_SCALE = 1.0 / 2000          # install 600 s -> 0.3 s, reboot 300 s -> 0.15 s
# Real seconds. A member is back 0.15 s after its reboot, but a busy machine adds its own delays (the primary's
# reboot includes a new SSH session): a detection that succeeds ends early, so a generous timeout costs nothing.
DETECTION_TIMEOUT = 30
# Where a member never returns the test waits the whole timeout (twice in strict mode), while the others must still be
# detected within it: eight times the 0.6 s the slowest detection (the primary's, a new session included) took with
# the tests sharing one core with three busy loops.
FAILING_DETECTION_TIMEOUT = 5
TASK = 'Upgrade every member'


def vc_spec(name, count, primary, backup, faults=(), time_scale=TIME_SCALE, versions=None):
    """``count`` members with the primary and backup elected where asked; the others are eligible (priority 128), so
    the role pinning is what keeps them from taking the backup role while members reboot."""
    priorities = {primary: 255, backup: 200}
    members = [{'id': i, 'serial': 'PE37141%05d' % (i * 111 + count), 'model': 'ex4300-48p', 'priority': priorities.get(i, 128),
                'role': 'routing-engine', 'version': (versions or {}).get(i, OLD)} for i in range(count)]
    return {'time_scale': time_scale, 'user': USER, 'password': PASSWORD,
            'vcs': [{'name': name, 'hostname': name, 'members': members, 'faults': list(faults)}]}


@pytest.fixture(scope='module')
def image(tmp_path_factory):
    return make_image(tmp_path_factory.mktemp('images'), NEW, 'ex-4300', 1 << 20)


def software(image_path):
    return {'version': NEW, 'images': [{'models': ['ex4300-*'], 'file': image_path.name, 'local_path': str(image_path),
                                        'sha256': hashlib.sha256(image_path.read_bytes()).hexdigest()}]}


@pytest.fixture
def notification_sink(tmp_path):
    with NotificationSink.running(tmp_path) as sink:
        yield sink


def connection(vc):
    return {'host': vc.host, 'port': vc.port, 'user': USER, 'password': PASSWORD, 'private_key_file': None,
            'host_key_checking': True, 'known_hosts_file': vc.known_hosts_file, 'timeout': 30}


def upgrade(vc, image_path, mode='default', timeout=DETECTION_TIMEOUT, expected=(), topology='none', check_mode=False):
    runner = VcUpgrade(PyezOperations(connection(vc)), software(image_path), mode=mode, detection_timeout=timeout, check_mode=check_mode)
    return runner.run(expected, topology)


def expected_members(vc):
    return [{'serial_number': m.serial, 'member_id': m.id, 'model': m.model} for m in vc.members]


def vc_stanza(vc):
    from lxml import etree
    stanza = vc.committed_config().find('virtual-chassis')
    return etree.tostring(stanza) if stanza is not None else None


def device_order(vc, since=0):
    """(event, member) of installs and reboots as the Virtual Chassis saw them."""
    return [(e['event'], e['member']) for e in vc.events(('install_start', 'install_fail', 'reboot_start'), since=since)]


def plan_order(primary, backup, count):
    linecards = [i for i in range(count) if i not in (primary, backup)]
    return ([('install_start', i) for i in linecards] + [('reboot_start', i) for i in linecards]
            + [('install_start', backup), ('reboot_start', backup), ('install_start', primary), ('reboot_start', primary)])


def assert_roles_never_moved(vc, primary, backup, since=0):
    """Only the original primary and backup held a routing-engine role (the pinning worked), but for the stand-in
    backup the VC elected while the primary rebooted: the lowest linecard, which gave the role back to the old primary."""
    changes = vc.events('role_change', since=since)
    primary_left = next((e['seq'] for e in vc.events('member_leave', member=primary, since=since)), None)
    back = next((e['seq'] for e in changes if e['member'] == primary and e['new'] == 'Backup'), None)
    stand_ins = {e['member'] for e in changes if e['new'] in ('Master', 'Backup') and e['member'] not in (primary, backup)}
    linecards = sorted(m.id for m in vc.members if m.id not in (primary, backup))
    assert stand_ins <= set(linecards[:1]), changes
    assert all(primary_left < e['seq'] < back for e in changes if e['member'] in stand_ins and e['new'] == 'Backup'), changes


def assert_committed(vc, comments, since=0):
    assert [e['comment'] for e in vc.events('config_commit', since=since)] == comments


# -- through ansible-playbook ---------------------------------------------------------------------------------

def test_four_members_with_ansible_playbook_then_rerun_changes_nothing(vcsim, image, tmp_path, notification_sink):
    sim = vcsim(vc_spec('ams1-vc1', 4, primary=2, backup=3))
    vc = sim.vc('ams1-vc1')
    original = vc_stanza(vc)
    since = vc.events()[-1]['seq'] + 1
    hosts = {'ams1-vc1': vc_host_vars(vc, USER, PASSWORD, ztp_software=software(image), ztp_topology='full',
                                      ztp_members=expected_members(vc), ztp_member_detection_timeout=DETECTION_TIMEOUT)}
    tasks = [{'name': TASK, 'junos.ztp.vc_upgrade': {'notification_url': notification_sink.url,
                                                     'notification_ca_path': str(notification_sink.cert)}}]

    run = run_playbook(tmp_path, tasks, hosts)
    assert run.returncode == 0, run.output
    result = run.task(TASK)['result']
    assert result['changed'] is True
    assert device_order(vc, since) == plan_order(2, 3, 4)
    assert [(s['phase'], s['member_id']) for s in result['plan']] == [('linecards', 0), ('linecards', 1), ('backup', 3), ('primary', 2)]
    assert result['sessions_opened'] == 2 and vc.sessions_opened == 2
    assert {m['member_id']: (m['version'], m['outcome']) for m in result['members']} == dict.fromkeys(range(4), (NEW, 'upgraded'))
    assert vc.roles() == {0: 'Linecard', 1: 'Linecard', 2: 'Backup', 3: 'Master'}
    assert result['health']['problems'] == [] and result['health']['ring_intact'] is True
    assert_roles_never_moved(vc, 2, 3, since)
    assert_committed(vc, [PIN_COMMENT, TEMPORARY_BACKUP_COMMENT, RESTORE_COMMENT], since)
    assert vc_stanza(vc) == original and result['roles_restored'] is True
    assert vc.bytes_received == image.stat().st_size
    # Live progress lines, one per event, naming member, serial and role.
    serial = vc.member(0).serial
    assert 'ams1-vc1 | member 0 (%s, Linecard) | vc-member-image-installed | Successfully installed downloaded image. ' \
           'Initiating image installation on next member.' % serial in run.output
    assert run.output.count(' | vc-member-upgrade-success | Member detected and successfully upgraded.') == 4
    assert [e['type'] for e in result['events'] if e['member_id'] == 2] == \
        ['vc-member-image-installed', 'vc-member-reboot-initiated', 'vc-member-upgrade-success']
    # Every event reached the phone-home server as the PHC posts it: as the primary of the moment, serial = user name.
    received = notification_sink.received
    assert [r['notification'][0] for r in received] == [e['type'] for e in result['events']]
    assert all(r['path'].endswith('/device=%s/notification' % r['auth']) and r['password'] == '' for r in received)
    assert {r['auth'] for r in received} == {vc.member(2).serial, vc.member(3).serial}
    assert received[0]['content_type'] == 'application/yang.data+xml'
    assert received[0]['notification'][1] == 'member 0 (%s, Linecard): Successfully installed downloaded image. ' \
        'Initiating image installation on next member.' % vc.member(0).serial

    since = vc.events()[-1]['seq'] + 1
    again = run_playbook(tmp_path, tasks, hosts)
    assert again.returncode == 0, again.output
    result = again.task(TASK)['result']
    assert result['changed'] is False
    assert device_order(vc, since) == [] and vc.events('config_commit', since=since) == []
    assert {e['message'] for e in result['events']} == {'No upgrade required.'}


def test_check_mode_returns_the_plan_and_changes_nothing(vcsim, image, tmp_path):
    sim = vcsim(vc_spec('vc6', 6, primary=3, backup=5))
    vc = sim.vc('vc6')
    since = vc.events()[-1]['seq'] + 1
    hosts = {'vc6': vc_host_vars(vc, USER, PASSWORD, ztp_software=software(image))}
    run = run_playbook(tmp_path, [{'name': TASK, 'junos.ztp.vc_upgrade': {}}], hosts, check=True)
    assert run.returncode == 0, run.output
    result = run.task(TASK)['result']
    assert result['changed'] is True
    assert [(s['phase'], s['member_id'], s['image'], s['from_version'], s['to_version']) for s in result['plan']] == \
        [('linecards', i, image.name, OLD, NEW) for i in (0, 1, 2, 4)] + [('backup', 5, image.name, OLD, NEW), ('primary', 3, image.name, OLD, NEW)]
    assert result['images'][0]['status'] == 'would send'
    assert device_order(vc, since) == [] and vc.events('config_commit', since=since) == []
    assert vc.bytes_received == 0 and image.name not in vc.files()


def test_strict_mode_fails_with_vc_bootstrap_failed_and_restores_roles(vcsim, image, tmp_path):
    sim = vcsim(vc_spec('vc4s', 4, primary=0, backup=1, faults=[{'type': 'member_never_returns', 'member': 3}]))
    vc = sim.vc('vc4s')
    original = vc_stanza(vc)
    since = vc.events()[-1]['seq'] + 1
    hosts = {'vc4s': vc_host_vars(vc, USER, PASSWORD, ztp_software=software(image), ztp_topology='full', ztp_provisioning_mode='strict',
                                  ztp_members=expected_members(vc), ztp_member_detection_timeout=FAILING_DETECTION_TIMEOUT)}
    run = run_playbook(tmp_path, [{'name': TASK, 'junos.ztp.vc_upgrade': {}}], hosts)
    assert run.returncode != 0
    entry = run.task(TASK)
    assert entry['status'] == 'failed'
    result = entry['result']
    assert result['events'][-1]['type'] == 'vc-bootstrap-failed'
    assert result['events'][-1]['message'] == 'VC with detection failed members and Strict provisioning set.'
    assert [e['type'] for e in result['events'] if e['member_id'] == 3].count('vc-member-detection-failed') == 2
    # Linecards were installed and rebooted; the backup and the primary were never touched.
    assert device_order(vc, since) == [('install_start', 2), ('install_start', 3), ('reboot_start', 2), ('reboot_start', 3)]
    assert {m['member_id']: m['outcome'] for m in result['members']} == {0: 'not-attempted', 1: 'not-attempted', 2: 'upgraded', 3: 'not-detected'}
    assert_committed(vc, [PIN_COMMENT, RESTORE_COMMENT], since)
    assert vc_stanza(vc) == original and result['roles_restored'] is True
    assert 'member 3 (' in run.output and 'vc-member-detection-failed' in run.output


# -- through module_utils ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('count, primary, backup', [(2, 1, 0), (6, 3, 5)])
def test_two_and_six_members_with_the_primary_not_at_member_0(vcsim, image, count, primary, backup):
    vc = vcsim(vc_spec('vc', count, primary, backup)).vc('vc')
    original = vc_stanza(vc)
    since = vc.events()[-1]['seq'] + 1
    result = upgrade(vc, image)
    assert not result.get('failed'), result['msg']
    assert device_order(vc, since) == plan_order(primary, backup, count)
    assert result['sessions_opened'] == 2 and vc.sessions_opened == 2
    assert all(m.version == NEW and m.present for m in vc.members)
    assert vc.master_id == backup and vc.backup_id == primary
    assert_roles_never_moved(vc, primary, backup, since)
    assert vc_stanza(vc) == original


def test_six_members_keep_a_backup_while_the_primary_reboots_and_the_old_primary_ends_as_backup(vcsim, image):
    primary, backup, stand_in = 4, 2, 0
    vc = vcsim(vc_spec('vc6b', 6, primary, backup)).vc('vc6b')
    since = vc.events()[-1]['seq'] + 1
    result = upgrade(vc, image)
    assert not result.get('failed'), result['msg']
    assert_committed(vc, [PIN_COMMENT, TEMPORARY_BACKUP_COMMENT, RESTORE_COMMENT], since)
    [left] = vc.events('member_leave', member=primary, since=since)
    [rejoined] = vc.events('member_rejoin', member=primary, since=since)
    took_backup = [e for e in vc.events('role_change', member=primary, since=since) if e['new'] == 'Backup']
    assert len(took_backup) == 1 and took_backup[0]['seq'] > rejoined['seq']
    # From the event log: the moment the primary left, the old backup became primary and the VC elected the stand-in
    # backup (the next two events, one election); until the old primary took the backup role back (again one step,
    # the stand-in stepping down), no other role changed. So a backup was there for the whole reboot.
    changes = [(e['member'], e['new']) for e in vc.events('role_change', since=left['seq']) if e['seq'] <= took_backup[0]['seq']]
    assert changes == [(backup, 'Master'), (stand_in, 'Backup'), (primary, 'Linecard'), (stand_in, 'Linecard'), (primary, 'Backup')]
    after_leave = vc.events(since=left['seq'] + 1)[:2]
    assert [(e['event'], e['member'], e['new']) for e in after_leave] == [('role_change', backup, 'Master'), ('role_change', stand_in, 'Backup')]
    hand_back = vc.events(since=took_backup[0]['seq'] - 1)[:2]
    assert [(e['event'], e['member'], e['new']) for e in hand_back] == [('role_change', stand_in, 'Linecard'), ('role_change', primary, 'Backup')]
    # At the end: the old primary is the backup, the stand-in a linecard again, every member on the target.
    assert vc.roles() == {0: 'Linecard', 1: 'Linecard', 2: 'Master', 3: 'Linecard', 4: 'Backup', 5: 'Linecard'}
    assert all(m.version == NEW and m.present for m in vc.members)
    assert result['health']['backup_member'] == primary and result['health']['problems'] == []
    assert [e['message'] for e in result['events']][-1] == 'Successfully upgraded.'


def test_default_mode_hands_the_role_of_a_failed_backup_to_an_upgraded_linecard(vcsim, image):
    vc = vcsim(vc_spec('vc', 4, primary=0, backup=1, faults=[{'type': 'install_fails', 'member': 1}])).vc('vc')
    original = vc_stanza(vc)
    since = vc.events()[-1]['seq'] + 1
    result = upgrade(vc, image)
    assert not result.get('failed') and result['failed_members'] == [1], result['msg']
    assert device_order(vc, since) == [('install_start', 2), ('install_start', 3), ('reboot_start', 2), ('reboot_start', 3),
                                       ('install_start', 1), ('install_fail', 1), ('reboot_start', 1),
                                       ('install_start', 0), ('reboot_start', 0)]
    assert_committed(vc, [PIN_COMMENT, HANDOVER_COMMENT, TEMPORARY_BACKUP_COMMENT, RESTORE_COMMENT], since)
    # The member on the old release was never primary: the upgraded linecard took over.
    assert [e['member'] for e in vc.events('role_change', since=since) if e['new'] == 'Master'] == [2]
    assert vc.roles() == {0: 'Backup', 1: 'Linecard', 2: 'Master', 3: 'Linecard'}
    assert [m.version for m in vc.members] == [NEW, OLD, NEW, NEW]
    assert vc_stanza(vc) == original


def test_the_configuration_is_validated_before_any_install_and_a_failure_changes_nothing(vcsim, image, pyez_device):
    vc = vcsim(vc_spec('vc', 3, primary=1, backup=2, faults=[{'type': 'package_validation_fails'}])).vc('vc')
    original = vc_stanza(vc)
    since = vc.events()[-1]['seq'] + 1
    result = upgrade(vc, image)
    assert result['failed'] is True and 'does not validate against /var/tmp/%s (member 0)' % image.name in result['msg']
    assert 'Validation failed' in result['msg'] and 'validate: false' in result['msg']
    assert device_order(vc, since) == [] and vc.events('config_commit', since=since) == [] and vc_stanza(vc) == original
    assert [(e['member'], e['passed']) for e in vc.events('package_validate', since=since)] == [(0, False)]
    # Junos validates a package add unless it is told not to: the install stops before it starts.
    reply = pyez_device(vc).rpc.request_package_add(package_name='/var/tmp/%s' % image.name, member='0')
    assert reply.getparent().findtext('.//package-result').strip() == '1' and vc.events('install_start', since=since) == []

    vc.clear_faults()
    since = vc.events()[-1]['seq'] + 1
    result = upgrade(vc, image)
    assert not result.get('failed'), result['msg']
    validated = vc.events('package_validate', since=since)
    assert [(e['member'], e['passed']) for e in validated] == [(0, True)]
    assert validated[0]['seq'] < vc.events('install_start', since=since)[0]['seq']


def test_linecards_reboot_together_and_each_phase_waits_for_the_last(vcsim, image):
    vc = vcsim(vc_spec('vc', 4, primary=0, backup=1)).vc('vc')
    upgrade(vc, image)
    when = {(e['event'], e['member']): e['sim_ts'] for e in vc.events(('install_start', 'reboot_start', 'member_rejoin', 'role_change'))}
    # Both linecard reboots are requested back to back: nothing is asked of the VC in between (in particular no poll
    # for member 2's return; the event log, not the clock, since on a busy machine member 2 may be back by then).
    first, second = (vc.events('reboot_start', member=member)[0]['seq'] for member in (2, 3))
    assert [e['name'] for e in vc.events('rpc') if first < e['seq'] < second] == ['request-reboot']
    assert when[('install_start', 1)] > max(when[('member_rejoin', 2)], when[('member_rejoin', 3)])
    backup_settled = [e['sim_ts'] for e in vc.events('role_change', member=1) if e['new'] == 'Backup'][-1]
    assert when[('reboot_start', 0)] > backup_settled


def test_some_members_already_current_are_skipped(vcsim, image):
    vc = vcsim(vc_spec('vc', 4, primary=2, backup=3, versions={0: NEW, 3: NEW})).vc('vc')
    since = vc.events()[-1]['seq'] + 1
    result = upgrade(vc, image)
    assert device_order(vc, since) == [('install_start', 1), ('reboot_start', 1), ('install_start', 2), ('reboot_start', 2)]
    assert {m['member_id']: m['outcome'] for m in result['members']} == {0: 'already-current', 1: 'upgraded', 2: 'upgraded', 3: 'already-current'}


def test_default_mode_reports_a_member_that_never_returns_and_moves_on(vcsim, image):
    vc = vcsim(vc_spec('vc', 4, primary=0, backup=1, faults=[{'type': 'member_never_returns', 'member': 2}])).vc('vc')
    original = vc_stanza(vc)
    result = upgrade(vc, image, timeout=FAILING_DETECTION_TIMEOUT)
    assert not result.get('failed') and result['failed_members'] == [2]
    assert [e['type'] for e in result['events'] if e['member_id'] == 2][-1] == 'vc-member-detection-failed'
    assert all(vc.member(i).version == NEW for i in (0, 1, 3))
    assert any('member 2: not-detected' in warning for warning in result['warnings'])
    assert result['health']['all_present'] is False and result['health']['ring_intact'] is False
    assert vc_stanza(vc) == original


def test_an_install_that_fails_on_one_linecard(vcsim, image):
    vc = vcsim(vc_spec('vc', 4, primary=0, backup=1, faults=[{'type': 'install_fails', 'member': 2}])).vc('vc')
    since = vc.events()[-1]['seq'] + 1
    result = upgrade(vc, image)
    assert device_order(vc, since) == [('install_start', 2), ('install_fail', 2), ('install_start', 3), ('reboot_start', 3),
                                       ('install_start', 1), ('reboot_start', 1), ('install_start', 0), ('reboot_start', 0)]
    assert not result.get('failed') and result['failed_members'] == [2]
    failure = [e for e in result['events'] if e['member_id'] == 2]
    assert [e['type'] for e in failure] == ['vc-member-upgrade-failed'] and 'injected fault' in failure[0]['detail']
    assert vc.member(2).version == OLD and vc.member(3).version == NEW


def test_strict_mode_retries_a_failed_install_once_then_fails(vcsim, image):
    vc = vcsim(vc_spec('vc', 4, primary=0, backup=1, faults=[{'type': 'install_fails', 'member': 2}])).vc('vc')
    original = vc_stanza(vc)
    since = vc.events()[-1]['seq'] + 1
    result = upgrade(vc, image, mode='strict', expected=expected_members(vc), topology='full')
    assert result['failed'] is True
    assert device_order(vc, since) == [('install_start', 2), ('install_fail', 2), ('install_start', 2), ('install_fail', 2)]
    assert [e['type'] for e in result['events'][-1:]] == ['vc-member-image-installation-failed']
    assert vc_stanza(vc) == original


def test_a_slow_member_that_returns_just_inside_the_timeout(vcsim, image):
    timeout = 10.0
    # Back 4 s (real) after its reboot, long after the others, 6 s before the detection timeout: the margin is for the
    # delays of a busy machine between the member's return and the poll that sees it.
    late = 4.0 / TIME_SCALE - 300 - 5
    vc = vcsim(vc_spec('vc', 4, primary=0, backup=1, faults=[{'type': 'member_returns_late', 'member': 3, 'seconds': late}])).vc('vc')
    result = upgrade(vc, image, timeout=timeout)
    assert not result.get('failed') and result['failed_members'] == [], result['msg']
    assert vc.member(3).version == NEW


CONTROLLER = textwrap.dedent('''
    import json, sys
    from ansible_collections.junos.ztp.plugins.module_utils._vc_upgrade import PyezOperations, VcUpgrade
    connection, software, timeout = json.loads(sys.argv[1])
    print(json.dumps(VcUpgrade(PyezOperations(connection), software, detection_timeout=timeout).run(), default=str))
''')


def test_the_controller_killed_mid_run_then_rerun_resumes(vcsim, image, tmp_path):
    vc = vcsim(vc_spec('vc', 4, primary=2, backup=3)).vc('vc')
    original = vc_stanza(vc)
    since = vc.events()[-1]['seq'] + 1
    argument = json.dumps([connection(vc), software(image), DETECTION_TIMEOUT])
    killed = threading.Event()

    def kill_the_controller(record):
        # The moment the backup starts rebooting, before the controller hears that it does: no finally clause runs,
        # the roles stay pinned, and the controller does nothing more however the machine schedules it.
        if record['event'] == 'reboot_start' and record['member'] == 3 and not killed.is_set():
            os.killpg(controller.pid, signal.SIGKILL)
            killed.set()

    vc.log.listeners.append(kill_the_controller)
    controller = subprocess.Popen([sys.executable, '-c', CONTROLLER, argument], stdout=subprocess.PIPE, start_new_session=True,
                                  env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    try:
        assert killed.wait(120), 'the controller never rebooted the backup'
    finally:
        vc.log.listeners.remove(kill_the_controller)
        if not killed.is_set():
            os.killpg(controller.pid, signal.SIGKILL)
        controller.wait()
        controller.stdout.close()
    assert RECORD_GROUP in vc_stanza_group_names(vc)
    assert vc_stanza(vc) != original

    result = upgrade(vc, image)
    assert not result.get('failed'), result['msg']
    # The rerun waited for the backup to come back, skipped what was done and upgraded the primary only.
    assert device_order(vc, since) == plan_order(2, 3, 4)
    assert [(s['member_id'], s['action']) for s in result['plan'] if s['action'] == 'upgrade'] == [(2, 'upgrade')]
    assert_committed(vc, [PIN_COMMENT, TEMPORARY_BACKUP_COMMENT, RESTORE_COMMENT], since)
    assert vc_stanza(vc) == original and RECORD_GROUP not in vc_stanza_group_names(vc)
    assert all(m.version == NEW and m.present for m in vc.members)
    assert_roles_never_moved(vc, 2, 3, since)


def vc_stanza_group_names(vc):
    return [group.findtext('name') for group in vc.committed_config().findall('groups')]


def test_a_session_dropped_during_an_install_is_reopened_and_the_install_retried(vcsim, image):
    vc = vcsim(vc_spec('vc', 4, primary=0, backup=1, faults=[{'type': 'drop_session', 'rpc': 'request-package-add'}])).vc('vc')
    original = vc_stanza(vc)
    # The first install's session drops; the install is tried again on a new session and the upgrade completes.
    result = upgrade(vc, image)
    assert not result.get('failed'), result['msg']
    assert result['sessions_opened'] == 3
    assert vc_stanza(vc) == original
    assert all(m.version == NEW for m in vc.members)


def test_a_preprovisioned_vc_is_not_pinned(vcsim, image):
    spec = vc_spec('vc', 3, primary=0, backup=1)
    spec['vcs'][0]['preprovisioned'] = True
    spec['vcs'][0]['members'][2]['role'] = 'line-card'
    vc = vcsim(spec).vc('vc')
    since = vc.events()[-1]['seq'] + 1
    result = upgrade(vc, image)
    assert not result.get('failed'), result['msg']
    assert vc.events('config_commit', since=since) == [] and result['roles_restored'] is None
    assert all(m.version == NEW for m in vc.members)
