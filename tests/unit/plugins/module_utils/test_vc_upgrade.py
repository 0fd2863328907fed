"""Unit tests of the Virtual Chassis upgrade: the planner, role pinning payloads, and the executor on a fake VC.

The fake Virtual Chassis runs on a fake clock (sleeping advances it): members leave ``shutdown`` seconds after
a reboot request and come back ``reboot`` seconds later as Linecard, a member with a mastership priority above
0 takes the backup role ``rejoin`` seconds after that if there is none, and the session drops when the primary
leaves. Mastership priorities come from the committed configuration, so the role pinning really matters.
"""

from __future__ import annotations

import copy
import pathlib
import queue
import xml.etree.ElementTree as ET

import pytest
from ncclient.transport.session import NetconfBase

from ansible_collections.junos.ztp.plugins.module_utils import _vc_upgrade as vcu
from ansible_collections.junos.ztp.plugins.module_utils._connection import DeviceConnectionError, send_without_tick
from ansible_collections.junos.ztp.plugins.module_utils._vc_upgrade import (
    HANDOVER_COMMENT, PIN_COMMENT, RECORD_GROUP, RESTORE_COMMENT, TEMPORARY_BACKUP_COMMENT, InstallError, RoleConfig, UpgradeError, VcUpgrade, plan_upgrade,
    poll_interval, role_pin_payload, role_restore_payload)

OLD, NEW = '21.4R3-S5.4', '22.4R3-S2.3'
SOFTWARE = {'version': NEW, 'images': [{'models': ['ex4300-*'], 'file': 'jinstall-ex-4300-%s-signed.tgz' % NEW}]}
PACKAGE = '/var/tmp/jinstall-ex-4300-%s-signed.tgz' % NEW
DURATIONS = {'install': 60.0, 'shutdown': 5.0, 'reboot': 300.0, 'rejoin': 30.0}


def xml(text):
    return ET.fromstring(text)


def canonical(element):
    return ET.tostring(element) if element is not None else None


# -- a fake Virtual Chassis --------------------------------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.on_advance = lambda: None

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        self.on_advance()


def generic_merge(target, source):
    """Junos XML load semantics, enough for the role payloads: entries keyed by <name>, delete/replace attributes."""
    for child in source:
        name = child.findtext('name')
        existing = next((e for e in target if e.tag == child.tag and e.findtext('name') == name), None)
        if child.get('delete') == 'delete':
            if existing is not None:
                target.remove(existing)
            continue
        fresh = copy.deepcopy(child)
        fresh.attrib.pop('replace', None)
        if existing is None:
            target.append(fresh)
        elif child.get('replace') == 'replace' or len(child) == 0:
            target[list(target).index(existing)] = fresh
        else:
            generic_merge(existing, child)


class FakeVC:
    """The device-operations interface of _vc_upgrade over an in-memory Virtual Chassis."""

    def __init__(self, clock, members, config='<configuration/>', durations=None, never_returns=(), late=None,
                 install_fails=None, staged=False, topology='ring', reverts=(), validation=None):
        self.clock = clock
        clock.on_advance = self._run_timers
        self.durations = dict(DURATIONS, **(durations or {}))
        self.members = {m['id']: {'id': m['id'], 'serial': m.get('serial', 'PE%04d' % m['id']), 'model': 'ex4300-48p',
                                  'version': m.get('version', OLD), 'pending': None, 'present': m.get('present', True),
                                  'role': m['role'] if m.get('present', True) else None} for m in members}
        self.config = xml(config)
        self.never_returns = set(never_returns)
        self.late = late or {}
        # member -> number of installs that fail before one succeeds (a large number: always fails)
        self.install_fails = dict(install_fails or {})
        self.staged = staged
        self.topology = topology
        # members whose install reports success but does not take: they come back on the old version
        self.reverts = set(reverts)
        # None: the configuration validates; a text: the device's reason it does not; 'unsupported': no such RPC
        self.validation = validation
        # (time, {member id: role}) after every change of roles, to check that a backup was always there
        self.history = []
        self.timers = []
        self.connected = False
        self.sessions_opened = 0
        self.calls = []
        self.commits = []

    # time --------------------------------------------------------------------------------------------------

    def _after(self, seconds, action):
        self.timers.append((self.clock.now + seconds, action))

    def _run_timers(self):
        while True:
            due = sorted((t for t in self.timers if t[0] <= self.clock.now), key=lambda t: t[0])
            if not due:
                return
            self.timers.remove(due[0])
            due[0][1]()
            self.history.append((self.clock.now, {m['id']: m['role'] for m in self.members.values()}))

    def _log(self, *call):
        self.calls.append((self.clock.now,) + call)

    # election -------------------------------------------------------------------------------------------------

    def priority(self, member_id):
        for member in self.config.findall('virtual-chassis/member'):
            if member.findtext('name') == str(member_id) and member.findtext('mastership-priority') is not None:
                return int(member.findtext('mastership-priority'))
        return 128

    def _holder(self, role):
        return next((m for m in self.members.values() if m['present'] and m['role'] == role), None)

    def _leave(self, member_id):
        member = self.members[member_id]
        was_primary = member['role'] == 'primary'
        member.update(present=False, role=None)
        if was_primary:
            self.connected = False
            backup = self._holder('backup')
            if backup is not None:
                backup['role'] = 'primary'
        elif member_id not in self.never_returns:
            pass
        if self._holder('backup') is None:
            self._elect_backup()
        if member_id not in self.never_returns:
            self._after(self.durations['reboot'] + self.late.get(member_id, 0.0), lambda: self._return(member_id))

    def _elect_backup(self):
        primary = self._holder('primary')
        candidates = [m for m in self.members.values() if m['present'] and m['role'] == 'linecard' and self.priority(m['id']) > 0]
        if primary is not None and candidates:
            max(candidates, key=lambda m: (self.priority(m['id']), -m['id']))['role'] = 'backup'

    def _return(self, member_id):
        member = self.members[member_id]
        if member['pending']:
            member['version'], member['pending'] = member['pending'], None
        member.update(present=True, role='linecard')
        if self._holder('primary') is None:
            member['role'] = 'primary'
            return
        if self.priority(member_id) > 0:
            self._after(self.durations['rejoin'], lambda: self._settle(member_id))

    def _settle(self, member_id):
        member = self.members[member_id]
        backup = self._holder('backup')
        if member['present'] and member['role'] == 'linecard' and (backup is None or self.priority(member_id) >= self.priority(backup['id'])):
            if backup is not None:
                backup['role'] = 'linecard'
            member['role'] = 'backup'

    # the interface ------------------------------------------------------------------------------------------------

    def _require_session(self):
        if not self.connected:
            raise DeviceConnectionError('the session to the fake dropped')

    def open(self):
        self.connected = True
        self.sessions_opened += 1
        self._log('open')

    def close(self):
        self.connected = False

    def reconnect(self, timeout):
        deadline = self.clock.now + timeout
        while self._holder('primary') is None:
            if self.clock.now >= deadline:
                raise TimeoutError('fake VC did not come back within %d s' % timeout)
            self.clock.sleep(1.0)
        self.connected = True
        self.sessions_opened += 1
        self._log('reconnect')

    def _member_list(self):
        return [{'member_id': m['id'], 'serial_number': m['serial'] if m['present'] else None, 'model': m['model'] if m['present'] else None,
                 'status': 'present' if m['present'] else 'not-present', 'role': m['role'],
                 'mastership_priority': self.priority(m['id']) if m['present'] else None} for m in self.members.values()]

    def roles(self):
        self._require_session()
        self._log('roles')
        return self._member_list()

    def versions(self):
        self._require_session()
        return {m['id']: m['version'] for m in self.members.values() if m['present']}

    def read(self):
        self._require_session()
        members = self._member_list()
        for member in members:
            member['version'] = self.members[member['member_id']]['version'] if member['status'] == 'present' else None
        primary, backup = self._holder('primary'), self._holder('backup')
        all_present = all(m['present'] for m in self.members.values())
        return {'members': members, 'primary_member': primary and primary['id'], 'backup_member': backup and backup['id'],
                'logged_into_member': primary and primary['id'],
                'topology': {'kind': self.topology if all_present else 'broken'}}

    def stage(self, facts, software, check_mode):
        self._require_session()
        self._log('stage', check_mode)
        needing = [m['member_id'] for m in facts['members'] if m['status'] == 'present' and m['version'] != software['version']]
        changed = not self.staged and not check_mode
        self.staged = self.staged or not check_mode
        return {'changed': changed, 'images': [{'file': SOFTWARE['images'][0]['file'], 'path': PACKAGE, 'members': needing,
                                                'status': 'present' if not changed else 'sent'}]}

    def install(self, member_id, package):
        self._require_session()
        self._log('install', member_id)
        assert package == PACKAGE
        self.clock.sleep(self.durations['install'])
        if self.install_fails.get(member_id, 0) > 0:
            self.install_fails[member_id] -= 1
            raise InstallError('ERROR: fake failure on member %d' % member_id)
        if member_id not in self.reverts:
            self.members[member_id]['pending'] = NEW

    def validate(self, member_id, package):
        self._require_session()
        self._log('validate', member_id)
        assert package == PACKAGE
        if self.validation == 'unsupported':
            raise vcu.ValidationUnsupported('syntax error: request-package-validate')
        return self.validation

    def reboot(self, member_id):
        self._require_session()
        self._log('reboot', member_id)
        self._after(self.durations['shutdown'], lambda: self._leave(member_id))

    def role_config(self):
        self._require_session()
        return RoleConfig(copy.deepcopy(self.config))

    def commit(self, configuration, comment):
        self._require_session()
        self._log('commit', comment)
        generic_merge(self.config, configuration)
        self.commits.append((comment, copy.deepcopy(self.config)))
        # A VC without a backup elects one as soon as a member is eligible.
        if self._holder('backup') is None:
            self._elect_backup()

    # helpers for assertions ---------------------------------------------------------------------------------------

    def ops(self, *names):
        return [call[1:] for call in self.calls if call[1] in names]

    def state(self):
        return {m['id']: (m['role'], m['version']) for m in self.members.values()}


def vc(count, primary, backup, versions=None, **kwargs):
    clock = FakeClock()
    members = [{'id': i, 'role': 'primary' if i == primary else 'backup' if i == backup else 'linecard',
                'version': (versions or {}).get(i, OLD)} for i in range(count)]
    return clock, FakeVC(clock, members, **kwargs)


def upgrade(clock, fake, mode='default', timeout=600, check_mode=False, expected=(), topology='none'):
    events = []
    runner = VcUpgrade(fake, SOFTWARE, mode=mode, detection_timeout=timeout, emit=events.append, check_mode=check_mode,
                       clock=clock, sleep=clock.sleep)
    result = runner.run(expected, topology)
    assert [dict(e, reporter=None) for e in result['events']] == [dict(e, reporter=None) for e in events]
    return result


def event_types(result, member_id=None):
    return [e['type'] for e in result['events'] if member_id is None or e['member_id'] == member_id]


def facts_of(members):
    """read_virtual_chassis-shaped facts from (id, role, version[, status]) tuples."""
    listed = []
    for entry in members:
        member_id, role, version = entry[:3]
        status = entry[3] if len(entry) > 3 else 'present'
        listed.append({'member_id': member_id, 'serial_number': 'PE%04d' % member_id, 'model': 'ex4300-48p', 'status': status,
                       'role': role if status == 'present' else None, 'version': version if status == 'present' else None,
                       'mastership_priority': 128})
    return {'members': listed, 'topology': {'kind': 'ring'}}


# -- the planner -----------------------------------------------------------------------------------------------------

class TestPlan:
    @pytest.mark.parametrize('count, primary, backup, linecards', [
        (2, 1, 0, []),
        (4, 2, 3, [0, 1]),
        (6, 3, 5, [0, 1, 2, 4]),
    ])
    def test_order_is_linecards_by_member_id_then_backup_then_primary(self, count, primary, backup, linecards):
        members = [(i, 'primary' if i == primary else 'backup' if i == backup else 'linecard', OLD) for i in reversed(range(count))]
        plan = plan_upgrade(facts_of(members), SOFTWARE)
        assert [(s['phase'], s['member_id']) for s in plan['steps']] == \
            [('linecards', i) for i in linecards] + [('backup', backup), ('primary', primary)]
        assert all(s['action'] == 'upgrade' and s['from_version'] == OLD and s['to_version'] == NEW for s in plan['steps'])
        assert plan['steps'][0]['image'] == SOFTWARE['images'][0]['file']
        assert plan['problems'] == []

    def test_members_on_the_target_and_absent_members_are_skipped_with_the_reason(self):
        plan = plan_upgrade(facts_of([(0, 'primary', OLD), (1, 'backup', NEW), (2, 'linecard', NEW), (3, 'linecard', OLD, 'not-present')]),
                            SOFTWARE)
        steps = {s['member_id']: s for s in plan['steps']}
        assert steps[1]['action'] == steps[2]['action'] == 'skip'
        assert steps[1]['reason'] == 'already runs %s' % NEW
        assert steps[3]['reason'] == 'not present in the Virtual Chassis'
        assert [s['member_id'] for s in plan['steps'] if s['action'] == 'upgrade'] == [0]

    def test_a_model_without_an_image_is_a_problem(self):
        facts = facts_of([(0, 'primary', OLD), (1, 'backup', OLD)])
        facts['members'][1]['model'] = 'ex2300-24t'
        plan = plan_upgrade(facts, SOFTWARE)
        assert plan['problems'] == ['member 1 (PE0001, ex2300-24t): no image in software.images matches this model']

    def test_strict_mode_needs_every_expected_member_and_full_topology(self):
        facts = facts_of([(0, 'primary', OLD), (1, 'backup', OLD)])
        expected = [{'serial_number': 'PE0000', 'member_id': 0}, {'serial_number': 'PE0001', 'member_id': 1},
                    {'serial_number': 'PE0009', 'member_id': 2}]
        assert plan_upgrade(facts, SOFTWARE, expected, 'full', 'default')['problems'] == []
        assert plan_upgrade(facts, SOFTWARE, expected, 'full', 'default')['missing'] == [{'member_id': 2, 'serial_number': 'PE0009'}]
        assert plan_upgrade(facts, SOFTWARE, expected, 'full', 'strict')['problems'] == \
            ['member 2 (PE0009) is expected but not present in the Virtual Chassis']
        assert plan_upgrade(facts, SOFTWARE, expected[:2], 'minimum', 'strict')['problems'] == \
            ['provisioning_mode strict needs topology full (every member listed with its serial number)']


def test_notifications_name_the_member_and_carry_the_table_2_message():
    event = {'type': 'vc-member-detection-failed', 'message': vcu.MSG_NOT_DETECTED, 'member_id': 3, 'serial_number': 'PE3714101111',
             'role': 'Linecard', 'detail': 'not present 900 s after its reboot'}
    # An absent member is named with the role it was last seen in: Table 2's member notifications know three roles.
    assert vcu.notification_message(event) == \
        'member 3 (PE3714101111, Linecard): Did not come up post image upgrade (not present 900 s after its reboot)'
    assert vcu.notification_message(dict(event, role=None, detail=None)) == 'member 3 (PE3714101111): Did not come up post image upgrade'
    body = ET.fromstring(vcu.notification_body(dict(event, member_id=None, detail=None)))
    assert body.tag == '{%s}notification' % vcu.NOTIFICATION_NAMESPACE
    assert [(child.tag.split('}')[1], child.text) for child in body] == \
        [('notification-type', 'vc-member-detection-failed'), ('message', vcu.MSG_NOT_DETECTED)]


def test_poll_interval_grows_with_the_wait_within_bounds():
    assert poll_interval(0) == vcu.MIN_POLL_SECONDS
    assert poll_interval(10) == pytest.approx(0.2)
    assert poll_interval(3600) == vcu.MAX_POLL_SECONDS


# -- role pinning payloads --------------------------------------------------------------------------------------------

ORIGINAL = ('<configuration><virtual-chassis><no-split-detection/>'
            '<member><name>0</name><mastership-priority>200</mastership-priority><location>rack 1</location></member>'
            '<member><name>1</name><mastership-priority>200</mastership-priority></member>'
            '</virtual-chassis><system><host-name>vc</host-name></system></configuration>')
FOUR = facts_of([(0, 'linecard', OLD), (1, 'primary', OLD), (2, 'backup', OLD), (3, 'linecard', OLD)])['members']


class TestRolePinning:
    def test_first_pin_records_the_original_stanza_in_the_same_commit(self):
        config = xml(ORIGINAL)
        payload = role_pin_payload(RoleConfig(config), FOUR)
        group = payload.find('groups')
        assert group.findtext('name') == RECORD_GROUP
        assert canonical(group.find('virtual-chassis')) == canonical(config.find('virtual-chassis'))
        assert vcu._macro_value(group) == 'present'
        assert {m.findtext('name'): m.findtext('mastership-priority') for m in payload.findall('virtual-chassis/member')} == \
            {'0': '0', '1': '255', '2': '255', '3': '0'}

    def test_restore_puts_back_exactly_what_was_there(self):
        config = xml(ORIGINAL)
        pinned = copy.deepcopy(config)
        generic_merge(pinned, role_pin_payload(RoleConfig(config), FOUR))
        record = RoleConfig(pinned)
        assert record.recorded
        restored = copy.deepcopy(pinned)
        generic_merge(restored, role_restore_payload(record.record))
        assert canonical(restored) == canonical(config)

    def test_no_stanza_is_recorded_as_absent_and_restored_by_deleting(self):
        config = xml('<configuration><system><host-name>vc</host-name></system></configuration>')
        pinned = copy.deepcopy(config)
        generic_merge(pinned, role_pin_payload(RoleConfig(config), FOUR))
        assert vcu._macro_value(pinned.find('groups')) == 'absent'
        assert pinned.find('groups/virtual-chassis') is None
        restored = copy.deepcopy(pinned)
        generic_merge(restored, role_restore_payload(RoleConfig(pinned).record))
        assert canonical(restored) == canonical(config)

    def test_a_resumed_run_changes_nothing_and_never_records_the_pinned_values(self):
        config = xml(ORIGINAL)
        pinned = copy.deepcopy(config)
        generic_merge(pinned, role_pin_payload(RoleConfig(config), FOUR))
        # After the backup's reboot it shows as Linecard until it settles: that must not demote it.
        settling = [dict(m, role='linecard') if m['member_id'] == 2 else m for m in FOUR]
        assert role_pin_payload(RoleConfig(pinned), settling) is None
        assert canonical(RoleConfig(pinned).record['original']) == canonical(config.find('virtual-chassis'))

    def test_a_group_of_the_same_name_that_is_not_ours_is_refused(self):
        config = xml('<configuration><groups><name>%s</name><system><host-name>x</host-name></system></groups></configuration>' % RECORD_GROUP)
        with pytest.raises(UpgradeError, match='did not write'):
            RoleConfig(config)


# -- the executor ---------------------------------------------------------------------------------------------------

def installs_and_reboots(fake):
    return fake.ops('install', 'reboot')


class TestExecutor:
    @pytest.mark.parametrize('count, primary, backup', [(2, 1, 0), (4, 2, 3), (6, 3, 5)])
    def test_main_path_order_sessions_and_restore(self, count, primary, backup):
        clock, fake = vc(count, primary, backup, config=ORIGINAL)
        original = copy.deepcopy(fake.config)
        result = upgrade(clock, fake)
        linecards = [i for i in range(count) if i not in (primary, backup)]
        assert installs_and_reboots(fake) == [('install', i) for i in linecards] + [('reboot', i) for i in linecards] + \
            [('install', backup), ('reboot', backup), ('install', primary), ('reboot', primary)]
        assert not result.get('failed'), result['msg']
        assert result['changed'] is True
        assert result['sessions_opened'] == 2
        assert [c[0] for c in fake.commits] == [PIN_COMMENT] + ([TEMPORARY_BACKUP_COMMENT] if linecards else []) + [RESTORE_COMMENT]
        assert canonical(fake.config) == canonical(original)
        assert result['roles_restored'] is True
        assert all(m['outcome'] == 'upgraded' and m['version'] == NEW for m in result['members'])
        # While the old primary was away, the lowest linecard stood in as backup (a 2-member VC has nobody to elect).
        away = [roles for unused_when, roles in fake.history if roles[primary] is None]
        assert away
        if linecards:
            assert all(roles[linecards[0]] == 'backup' for roles in away if roles[backup] == 'primary')
            assert fake.state()[linecards[0]] == ('linecard', NEW)
        # The backup took over; the old primary rejoined and is the backup now.
        assert fake.state()[backup] == ('primary', NEW) and fake.state()[primary] == ('backup', NEW)
        assert result['health']['problems'] == []
        assert event_types(result, primary) == ['vc-member-image-installed', 'vc-member-reboot-initiated', 'vc-member-upgrade-success']
        success = [e for e in result['events'] if e['member_id'] == primary][-1]
        assert success['role'] == 'Backup' and success['serial_number'] == 'PE%04d' % primary
        # Table 2, word for word, each at its moment; the linecards' reboot message once, for all of them.
        linecard_events = [('vc-member-image-installed', vcu.MSG_INSTALLED_NEXT, i) for i in linecards[:-1]] + [
            ('vc-member-image-installed', vcu.MSG_INSTALLED_REBOOT, i) for i in linecards[-1:]] + [
            ('vc-member-reboot-initiated', vcu.MSG_LINECARDS_REBOOTING, None)] + [
            ('vc-member-upgrade-success', vcu.MSG_DETECTED_UPGRADED, i) for i in linecards]
        assert [(e['type'], e['message'], e['member_id']) for e in result['events']] == (linecard_events if linecards else []) + [
            ('vc-member-image-installed', vcu.MSG_INSTALLED_REBOOT, backup),
            ('vc-member-reboot-initiated', vcu.MSG_BACKUP_REBOOTING, backup),
            ('vc-member-upgrade-success', vcu.MSG_DETECTED_UPGRADED, backup),
            ('vc-member-image-installed', vcu.MSG_INSTALLED_REBOOT, primary),
            ('vc-member-reboot-initiated', vcu.MSG_PRIMARY_REBOOTING, primary),
            ('vc-member-upgrade-success', vcu.MSG_DETECTED_UPGRADED, primary),
            ('vc-member-upgrade-success', vcu.MSG_SUCCESSFULLY_UPGRADED, None)]

    def test_linecards_reboot_together_and_the_backup_waits_for_them(self):
        clock, fake = vc(4, 0, 1)
        upgrade(clock, fake)
        times = {(op, member): when for when, op, *rest in fake.calls if op in ('install', 'reboot') for member in rest}
        assert times[('reboot', 3)] - times[('reboot', 2)] < 1
        # The backup's install starts only after both linecards are back (shutdown + reboot after the requests).
        assert times[('install', 1)] >= times[('reboot', 3)] + DURATIONS['shutdown'] + DURATIONS['reboot']
        # ... and the primary reboots only once the backup holds its role again (rejoin delay included).
        assert times[('reboot', 0)] >= times[('reboot', 1)] + DURATIONS['shutdown'] + DURATIONS['reboot'] + DURATIONS['rejoin']

    def test_waits_overshoot_little(self):
        clock, fake = vc(4, 0, 1)
        upgrade(clock, fake)
        critical_path = (3 * (DURATIONS['install'] + DURATIONS['shutdown'] + DURATIONS['reboot']) + DURATIONS['install']
                         + 2 * DURATIONS['rejoin'])
        assert critical_path <= clock.now <= critical_path * 1.1

    def test_all_members_current_changes_nothing(self):
        clock, fake = vc(4, 0, 1, versions=dict.fromkeys(range(4), NEW))
        result = upgrade(clock, fake)
        assert result['changed'] is False
        assert fake.ops('install', 'reboot', 'commit', 'stage') == []
        assert event_types(result) == ['vc-member-upgrade-success'] * 4
        assert {e['message'] for e in result['events']} == {vcu.MSG_NO_UPGRADE}
        assert 'nothing to upgrade' in result['msg']

    def test_some_members_current_are_skipped(self):
        clock, fake = vc(4, 0, 1, versions={2: NEW, 1: NEW})
        result = upgrade(clock, fake)
        assert installs_and_reboots(fake) == [('install', 3), ('reboot', 3), ('install', 0), ('reboot', 0)]
        assert {m['member_id']: m['outcome'] for m in result['members']} == {0: 'upgraded', 1: 'already-current', 2: 'already-current', 3: 'upgraded'}

    def test_check_mode_returns_the_plan_and_changes_nothing(self):
        clock, fake = vc(4, 2, 3)
        result = upgrade(clock, fake, check_mode=True)
        assert result['changed'] is True
        assert fake.ops('install', 'reboot', 'commit') == []
        assert fake.ops('stage') == [('stage', True)]
        assert [(s['phase'], s['member_id']) for s in result['plan']] == [('linecards', 0), ('linecards', 1), ('backup', 3), ('primary', 2)]
        assert result['msg'].startswith('would upgrade 4 member(s) to %s in this order: member 0 (linecards' % NEW)
        assert {m['outcome'] for m in result['members']} == {'planned'}

    def test_default_mode_reports_a_member_that_never_returns_and_moves_on(self):
        clock, fake = vc(4, 0, 1, config=ORIGINAL, never_returns={3})
        original = copy.deepcopy(fake.config)
        result = upgrade(clock, fake, timeout=600)
        assert not result.get('failed')
        assert result['failed_members'] == [3]
        assert ('reboot', 0) in installs_and_reboots(fake)
        assert event_types(result, 3)[-1] == 'vc-member-detection-failed'
        assert any('member 3: not-detected' in w for w in result['warnings'])
        assert canonical(fake.config) == canonical(original)

    def test_strict_mode_fails_after_a_second_detection_window(self):
        clock, fake = vc(4, 0, 1, config=ORIGINAL, never_returns={3})
        original = copy.deepcopy(fake.config)
        expected = [{'serial_number': 'PE%04d' % i, 'member_id': i} for i in range(4)]
        result = upgrade(clock, fake, mode='strict', timeout=600, expected=expected, topology='full')
        assert result['failed'] is True
        assert fake.ops('install', 'reboot') == [('install', 2), ('install', 3), ('reboot', 2), ('reboot', 3)]
        assert event_types(result, 3).count('vc-member-detection-failed') == 2
        assert result['events'][-1]['type'] == 'vc-bootstrap-failed'
        assert result['events'][-1]['message'] == vcu.MSG_STRICT_DETECTION_FAILURE
        assert canonical(fake.config) == canonical(original)
        assert result['roles_restored'] is True
        assert {m['member_id']: m['outcome'] for m in result['members']}[1] == 'not-attempted'

    def test_default_mode_skips_the_reboot_of_a_linecard_whose_install_failed(self):
        clock, fake = vc(4, 0, 1, install_fails={2: 99})
        result = upgrade(clock, fake)
        assert installs_and_reboots(fake) == [('install', 2), ('install', 3), ('reboot', 3), ('install', 1), ('reboot', 1),
                                              ('install', 0), ('reboot', 0)]
        assert result['failed_members'] == [2]
        assert event_types(result, 2) == ['vc-member-upgrade-failed']
        assert not result.get('failed')

    def test_strict_mode_retries_a_failed_install_once(self):
        expected = [{'serial_number': 'PE%04d' % i, 'member_id': i} for i in range(4)]
        clock, fake = vc(4, 0, 1, install_fails={2: 1})
        result = upgrade(clock, fake, mode='strict', expected=expected, topology='full')
        assert not result.get('failed'), result['msg']
        assert fake.ops('install')[:2] == [('install', 2), ('install', 2)]

        clock, fake = vc(4, 0, 1, config=ORIGINAL, install_fails={2: 2})
        original = copy.deepcopy(fake.config)
        result = upgrade(clock, fake, mode='strict', expected=expected, topology='full')
        assert result['failed'] is True
        assert fake.ops('install', 'reboot') == [('install', 2), ('install', 2)]
        assert [(e['type'], e['message']) for e in result['events'][-1:]] == [('vc-member-image-installation-failed', vcu.MSG_INSTALL_FAILED)]
        assert canonical(fake.config) == canonical(original)

    def test_a_slow_member_that_returns_just_inside_the_timeout_is_detected(self):
        timeout = 600
        late = timeout - DURATIONS['reboot'] - DURATIONS['shutdown'] - 10
        clock, fake = vc(4, 0, 1, late={2: late})
        result = upgrade(clock, fake, timeout=timeout)
        assert not result.get('failed') and result['failed_members'] == []
        clock, fake = vc(4, 0, 1, late={2: late + 20})
        assert upgrade(clock, fake, timeout=timeout)['failed_members'] == [2]

    def test_strict_mode_waits_for_expected_members_then_fails_before_changing_anything(self):
        clock, fake = vc(3, 0, 1)
        expected = [{'serial_number': 'PE%04d' % i, 'member_id': i} for i in range(4)]
        result = upgrade(clock, fake, mode='strict', timeout=120, expected=expected, topology='full')
        assert result['failed'] is True and result['changed'] is False
        assert clock.now >= 120
        assert fake.ops('install', 'reboot', 'commit', 'stage') == []
        assert event_types(result) == ['vc-bootstrap-failed']

    def test_a_rerun_after_the_controller_died_resumes_and_restores(self):
        clock, fake = vc(4, 0, 1, config=ORIGINAL)
        original = copy.deepcopy(fake.config)
        # The first run dies right after rebooting the linecards (the controller process is gone: no finally).
        runner = VcUpgrade(fake, SOFTWARE, detection_timeout=600, clock=clock, sleep=clock.sleep)
        fake.open()
        facts = runner._read()
        runner._pin(fake.role_config(), facts)
        for member_id in (2, 3):
            fake.install(member_id, PACKAGE)
        fake.reboot(2)
        fake.reboot(3)
        clock.sleep(60)
        fake.close()
        assert RoleConfig(fake.config).recorded
        # The re-run waits for the rebooting linecards, skips them, and carries on.
        fake.calls.clear()
        result = upgrade(clock, fake)
        assert not result.get('failed'), result['msg']
        assert installs_and_reboots(fake) == [('install', 1), ('reboot', 1), ('install', 0), ('reboot', 0)]
        assert [c[0] for c in fake.commits] == [PIN_COMMENT, TEMPORARY_BACKUP_COMMENT, RESTORE_COMMENT]
        assert canonical(fake.config) == canonical(original)

    def test_a_rerun_with_nothing_left_to_upgrade_restores_the_recorded_roles(self):
        clock, fake = vc(4, 0, 1, config=ORIGINAL, versions=dict.fromkeys(range(4), NEW))
        original = copy.deepcopy(fake.config)
        generic_merge(fake.config, role_pin_payload(RoleConfig(fake.config), fake._member_list()))
        result = upgrade(clock, fake)
        assert result['changed'] is True and result['roles_restored'] is True
        assert canonical(fake.config) == canonical(original)
        assert 'restored the role configuration' in result['msg']

    def test_roles_are_restored_over_a_new_session_when_the_old_one_is_gone(self):
        clock, fake = vc(4, 0, 1, config=ORIGINAL)
        original = copy.deepcopy(fake.config)
        real_install, real_reconnect = fake.install, fake.reconnect
        reconnects = []

        def install_then_drop(member_id, package):
            if member_id == 1:
                fake.connected = False
                raise DeviceConnectionError('dropped')
            real_install(member_id, package)

        def first_reconnect_fails(timeout):
            reconnects.append(timeout)
            if len(reconnects) == 1:
                raise TimeoutError('not back yet')
            real_reconnect(timeout)

        fake.install, fake.reconnect = install_then_drop, first_reconnect_fails
        result = upgrade(clock, fake)
        assert result['failed'] is True
        assert 'could not reconnect' in result['msg']
        assert len(reconnects) == 2
        assert [c[0] for c in fake.commits] == [PIN_COMMENT, RESTORE_COMMENT]
        assert canonical(fake.config) == canonical(original)
        assert result['roles_restored'] is True

    def test_a_resumed_run_that_stops_before_upgrading_still_restores(self):
        clock, fake = vc(3, 0, 1, config=ORIGINAL)
        original = copy.deepcopy(fake.config)
        generic_merge(fake.config, role_pin_payload(RoleConfig(fake.config), fake._member_list()))
        pinned = copy.deepcopy(fake.config)
        expected = [{'serial_number': 'PE%04d' % i, 'member_id': i} for i in range(4)]

        checked = upgrade(clock, fake, mode='strict', timeout=60, expected=expected, topology='full', check_mode=True)
        assert checked['failed'] is True and fake.commits == []
        assert canonical(fake.config) == canonical(pinned)

        result = upgrade(clock, fake, mode='strict', timeout=60, expected=expected, topology='full')
        assert result['failed'] is True and 'PE0003' in result['msg']
        assert [c[0] for c in fake.commits] == [RESTORE_COMMENT]
        assert canonical(fake.config) == canonical(original) and result['roles_restored'] is True

    def test_check_mode_with_a_leftover_record_reports_the_restore_it_would_do(self):
        clock, fake = vc(2, 0, 1, config=ORIGINAL, versions={0: NEW, 1: NEW})
        generic_merge(fake.config, role_pin_payload(RoleConfig(fake.config), fake._member_list()))
        result = upgrade(clock, fake, check_mode=True)
        assert result['changed'] is True and fake.commits == [] and not result.get('failed')


# -- Table 2, message by message: each one is pinned to the case that sends it ------------------------------------

def sent(result, message):
    """(type, member id) of every event with this message."""
    return [(e['type'], e['member_id']) for e in result['events'] if e['message'] == message]


STRICT_FOUR = dict(mode='strict', expected=[{'serial_number': 'PE%04d' % i, 'member_id': i} for i in range(4)], topology='full')


class TestTable2:
    def test_no_upgrade_required_for_each_member_already_on_the_target(self):
        clock, fake = vc(3, 0, 1, versions={2: NEW})
        result = upgrade(clock, fake)
        assert sent(result, vcu.MSG_NO_UPGRADE) == [('vc-member-upgrade-success', 2)]

    def test_successfully_upgraded_once_when_every_member_upgraded_and_never_after_a_failure(self):
        clock, fake = vc(4, 0, 1)
        result = upgrade(clock, fake)
        assert sent(result, vcu.MSG_SUCCESSFULLY_UPGRADED) == [('vc-member-upgrade-success', None)]
        assert result['events'][-1]['message'] == vcu.MSG_SUCCESSFULLY_UPGRADED
        clock, fake = vc(4, 0, 1, never_returns={3})
        assert sent(upgrade(clock, fake), vcu.MSG_SUCCESSFULLY_UPGRADED) == []

    def test_member_detected_and_successfully_upgraded_for_each_member_after_its_reboot(self):
        clock, fake = vc(4, 2, 3)
        result = upgrade(clock, fake)
        assert sent(result, vcu.MSG_DETECTED_UPGRADED) == [('vc-member-upgrade-success', i) for i in (0, 1, 3, 2)]

    def test_installed_next_for_every_linecard_but_the_last_and_installed_reboot_for_the_rest(self):
        clock, fake = vc(5, 4, 3)
        result = upgrade(clock, fake)
        assert sent(result, vcu.MSG_INSTALLED_NEXT) == [('vc-member-image-installed', 0), ('vc-member-image-installed', 1)]
        assert sent(result, vcu.MSG_INSTALLED_REBOOT) == [('vc-member-image-installed', i) for i in (2, 3, 4)]

    def test_the_linecard_reboot_message_is_sent_once_for_all_of_them(self):
        clock, fake = vc(6, 3, 5)
        result = upgrade(clock, fake)
        assert sent(result, vcu.MSG_LINECARDS_REBOOTING) == [('vc-member-reboot-initiated', None)]
        assert fake.ops('reboot')[:4] == [('reboot', i) for i in (0, 1, 2, 4)]

    def test_a_standalone_switch_is_not_told_to_wait_for_a_backup(self):
        clock, fake = vc(1, 0, None)
        result = upgrade(clock, fake)
        assert not result.get('failed'), result['msg']
        assert sent(result, vcu.MSG_STANDALONE_REBOOTING) == [('vc-member-reboot-initiated', 0)]
        assert sent(result, vcu.MSG_PRIMARY_REBOOTING) == []
        assert [c[0] for c in fake.commits] == [PIN_COMMENT, RESTORE_COMMENT]

    def test_upgrade_failed_when_an_install_fails_in_default_mode(self):
        clock, fake = vc(4, 0, 1, install_fails={3: 99})
        result = upgrade(clock, fake)
        assert sent(result, vcu.MSG_UPGRADE_FAILED) == [('vc-member-upgrade-failed', 3)]
        assert sent(result, vcu.MSG_INSTALL_FAILED) == []

    def test_member_detected_but_upgrade_failed_when_it_comes_back_on_the_old_version(self):
        clock, fake = vc(4, 0, 1, reverts={2})
        result = upgrade(clock, fake, timeout=600)
        assert sent(result, vcu.MSG_DETECTED_NOT_UPGRADED) == [('vc-member-upgrade-failed', 2)]

    def test_did_not_come_up_when_a_member_is_not_back_within_the_timeout_named_with_its_last_role(self):
        clock, fake = vc(4, 0, 1, never_returns={3})
        result = upgrade(clock, fake)
        assert sent(result, vcu.MSG_NOT_DETECTED) == [('vc-member-detection-failed', 3)]
        event = next(e for e in result['events'] if e['message'] == vcu.MSG_NOT_DETECTED)
        assert event['role'] == 'Linecard'
        assert vcu.describe_member(event) == 'member 3 (PE0003, Linecard)'

    def test_image_installation_failed_when_a_strict_install_fails_twice(self):
        clock, fake = vc(4, 0, 1, install_fails={2: 2})
        result = upgrade(clock, fake, **STRICT_FOUR)
        assert sent(result, vcu.MSG_INSTALL_FAILED) == [('vc-member-image-installation-failed', 2)]
        assert [e for e in result['events'] if e['type'] == 'vc-bootstrap-failed'] == []

    def test_strict_bootstrap_failure_when_linecards_are_not_all_back_then_detection_failure_on_checking_again(self):
        clock, fake = vc(4, 0, 1, never_returns={3})
        result = upgrade(clock, fake, timeout=600, **STRICT_FOUR)
        assert result['failed'] is True
        assert [(e['type'], e['message']) for e in result['events'] if e['member_id'] is None or e['member_id'] == 3][-5:] == [
            ('vc-member-reboot-initiated', vcu.MSG_LINECARDS_REBOOTING),
            ('vc-member-detection-failed', vcu.MSG_NOT_DETECTED),
            ('vc-bootstrap-failed', vcu.MSG_STRICT_BOOTSTRAP_FAILURE),
            ('vc-member-detection-failed', vcu.MSG_NOT_DETECTED),
            ('vc-bootstrap-failed', vcu.MSG_STRICT_DETECTION_FAILURE)]

    def test_a_strict_linecard_that_returns_on_checking_again_ends_in_success(self):
        late = 600 - DURATIONS['reboot'] - DURATIONS['shutdown'] + 60
        clock, fake = vc(4, 0, 1, late={3: late})
        result = upgrade(clock, fake, timeout=600, **STRICT_FOUR)
        assert not result.get('failed'), result['msg']
        assert sent(result, vcu.MSG_STRICT_BOOTSTRAP_FAILURE) == [('vc-bootstrap-failed', None)]
        assert sent(result, vcu.MSG_STRICT_DETECTION_FAILURE) == []
        assert result['events'][-1]['message'] == vcu.MSG_SUCCESSFULLY_UPGRADED

    def test_our_message_when_strict_mode_refuses_to_start(self):
        clock, fake = vc(3, 0, 1)
        result = upgrade(clock, fake, timeout=60, **STRICT_FOUR)
        assert sent(result, vcu.MSG_STRICT_NOT_STARTED) == [('vc-bootstrap-failed', None)]

    def test_every_message_sent_is_table_2_or_one_of_ours_listed(self):
        table_2 = {vcu.MSG_INSTALLED_NEXT, vcu.MSG_INSTALLED_REBOOT, vcu.MSG_INSTALL_FAILED, vcu.MSG_LINECARDS_REBOOTING,
                   vcu.MSG_NO_UPGRADE, vcu.MSG_SUCCESSFULLY_UPGRADED, vcu.MSG_DETECTED_UPGRADED, vcu.MSG_UPGRADE_FAILED,
                   vcu.MSG_DETECTED_NOT_UPGRADED, vcu.MSG_NOT_DETECTED, vcu.MSG_STRICT_BOOTSTRAP_FAILURE, vcu.MSG_STRICT_DETECTION_FAILURE}
        ours = {vcu.MSG_BACKUP_REBOOTING, vcu.MSG_PRIMARY_REBOOTING, vcu.MSG_STANDALONE_REBOOTING, vcu.MSG_STRICT_NOT_STARTED}
        messages = {value for name, value in vars(vcu).items() if name.startswith('MSG_')}
        assert messages == table_2 | ours
        with open(pathlib.Path(__file__).parents[4] / 'docs' / 'upgrade.md', encoding='utf-8') as handle:
            documented = handle.read()
        assert all(message in documented for message in messages)


# -- the backup during the primary's reboot, and a backup that failed ----------------------------------------------

class TestBackupRole:
    def test_a_temporary_backup_stands_in_while_the_primary_reboots_and_hands_the_role_back(self):
        clock, fake = vc(6, 3, 5, config=ORIGINAL)
        result = upgrade(clock, fake)
        assert not result.get('failed'), result['msg']
        temporary = fake.commits[1][1]
        assert fake.commits[1][0] == TEMPORARY_BACKUP_COMMENT
        stand_in = [m.findtext('mastership-priority') for m in temporary.findall('virtual-chassis/member') if m.findtext('name') == '0']
        assert stand_in == ['1'] and fake.priority(0) == 200
        primary_away = [roles for unused_when, roles in fake.history if roles[3] is None]
        assert primary_away and all(roles[0] == 'backup' for roles in primary_away if roles[5] == 'primary')
        assert fake.state() == {0: ('linecard', NEW), 1: ('linecard', NEW), 2: ('linecard', NEW), 3: ('backup', NEW),
                                4: ('linecard', NEW), 5: ('primary', NEW)}

    def test_default_mode_hands_the_role_of_a_failed_backup_to_an_upgraded_linecard_before_the_primary_reboots(self):
        clock, fake = vc(4, 0, 1, install_fails={1: 99}, config=ORIGINAL)
        original = copy.deepcopy(fake.config)
        result = upgrade(clock, fake)
        assert not result.get('failed'), result['msg']
        assert [c[0] for c in fake.commits] == [PIN_COMMENT, HANDOVER_COMMENT, TEMPORARY_BACKUP_COMMENT, RESTORE_COMMENT]
        assert installs_and_reboots(fake) == [('install', 2), ('install', 3), ('reboot', 2), ('reboot', 3), ('install', 1),
                                              ('reboot', 1), ('install', 0), ('reboot', 0)]
        # The primary runs the target; only the failed backup is behind, as a linecard.
        assert fake.state() == {0: ('backup', NEW), 1: ('linecard', OLD), 2: ('primary', NEW), 3: ('linecard', NEW)}
        assert result['failed_members'] == [1]
        assert sent(result, vcu.MSG_SUCCESSFULLY_UPGRADED) == []
        assert canonical(fake.config) == canonical(original)
        # At no moment was a member on the old release primary over members on the new one.
        for unused_when, roles in fake.history:
            assert all(roles[m] != 'primary' for m in (1,))

    def test_a_failed_backup_that_is_gone_hands_over_without_a_reboot(self):
        clock, fake = vc(4, 0, 1, never_returns={1})
        result = upgrade(clock, fake, timeout=600)
        assert not result.get('failed'), result['msg']
        assert ('reboot', 1) in fake.ops('reboot') and fake.ops('reboot').count(('reboot', 1)) == 1
        assert fake.state()[2] == ('primary', NEW) and fake.state()[0] == ('backup', NEW)

    def test_without_an_upgraded_linecard_the_primary_is_left_on_its_release(self):
        clock, fake = vc(2, 0, 1, install_fails={1: 99})
        result = upgrade(clock, fake)
        assert installs_and_reboots(fake) == [('install', 1)]
        assert fake.state() == {0: ('primary', OLD), 1: ('backup', OLD)}
        primary = next(m for m in result['members'] if m['member_id'] == 0)
        assert primary['outcome'] == 'not-attempted' and 'no upgraded linecard' in primary['detail']


class TestValidation:
    def test_the_configuration_is_validated_once_before_anything_is_pinned_or_installed(self):
        clock, fake = vc(4, 0, 1)
        result = upgrade(clock, fake)
        assert not result.get('failed'), result['msg']
        assert fake.ops('validate', 'commit', 'install')[:3] == [('validate', 0), ('commit', PIN_COMMENT), ('install', 2)]
        assert fake.ops('validate') == [('validate', 0)]

    def test_a_configuration_that_does_not_validate_stops_the_run_with_nothing_changed(self):
        clock, fake = vc(4, 0, 1, config=ORIGINAL, validation='package-result 1: mgd: error: configuration check-out failed')
        original = copy.deepcopy(fake.config)
        result = upgrade(clock, fake)
        assert result['failed'] is True and 'does not validate against %s (member 0)' % PACKAGE in result['msg']
        assert 'validate: false' in result['msg']
        assert fake.ops('install', 'reboot', 'commit') == [] and canonical(fake.config) == canonical(original)

    def test_validation_can_be_skipped_and_a_release_without_it_gets_a_warning(self):
        clock, fake = vc(4, 0, 1, validation='would fail')
        runner = VcUpgrade(fake, SOFTWARE, detection_timeout=600, clock=clock, sleep=clock.sleep, validate=False)
        assert not runner.run().get('failed') and fake.ops('validate') == []
        clock, fake = vc(4, 0, 1, validation='unsupported')
        result = upgrade(clock, fake)
        assert not result.get('failed') and any('not validated' in warning for warning in result['warnings'])


# -- the session writes each request at once (no reader-thread tick) ---------------------------------------------------

class FakeNcclientSession:
    """What send_without_tick touches of an ncclient SSHSession: connected, _q, _base, _transport_write, send."""

    def __init__(self, base):
        self.connected = True
        self._q = queue.Queue()
        self._base = NetconfBase.BASE_11 if base == '1.1' else NetconfBase.BASE_10
        self.written = []

    def _transport_write(self, data):
        # Two bytes at a time: the wrapper must keep writing until everything is out.
        self.written.append(data[:2])
        return min(2, len(data))

    def send(self, message):
        self._q.put(message)


class FakeDevice:
    def __init__(self, session):
        self._conn = type('Manager', (), {'_session': session})()


@pytest.mark.parametrize('base, framed', [('1.0', b'<rpc/>]]>]]>'), ('1.1', b'\n#6\n<rpc/>\n##\n')])
def test_requests_are_written_at_once_and_framed_as_ncclient_frames_them(base, framed):
    session = FakeNcclientSession(base)
    send_without_tick(FakeDevice(session))
    session.send('<rpc/>')
    assert b''.join(session.written) == framed and session._q.empty()


def test_while_messages_wait_in_the_queue_new_ones_queue_behind_them():
    session = FakeNcclientSession('1.0')
    session._q.put('<hello/>')
    send_without_tick(FakeDevice(session))
    session.send('<rpc/>')
    assert session.written == [] and [session._q.get(), session._q.get()] == ['<hello/>', '<rpc/>']


def test_reconnect_spaces_its_attempts_like_the_polls_and_gives_up_at_the_timeout(monkeypatch):
    clock = FakeClock()
    attempts = []

    def open_device(params):
        attempts.append(clock.now)
        if clock.now < 3.0:
            raise DeviceConnectionError('refused')
        return FakeDevice(None)

    monkeypatch.setattr(vcu, 'open_device', open_device)
    ops = vcu.PyezOperations({'host': '192.0.2.1'})
    ops.reconnect(60, clock=clock, sleep=clock.sleep)
    assert ops.sessions_opened == 1 and 3.0 <= attempts[-1] <= 3.0 * (1 + vcu.POLL_FRACTION) + vcu.MIN_POLL_SECONDS
    gaps = [later - earlier for earlier, later in zip(attempts, attempts[1:])]
    assert all(later >= earlier - 1e-9 for earlier, later in zip(gaps, gaps[1:])) and gaps[0] == pytest.approx(vcu.MIN_POLL_SECONDS)

    def refused(params):
        raise DeviceConnectionError('refused')

    clock = FakeClock()
    monkeypatch.setattr(vcu, 'open_device', refused)
    with pytest.raises(TimeoutError, match='192.0.2.1 did not come back within 5 s: refused'):
        vcu.PyezOperations({'host': '192.0.2.1'}).reconnect(5, clock=clock, sleep=clock.sleep)
