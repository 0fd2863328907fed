# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upgrade every Virtual Chassis member in linecard -> backup -> primary order over NETCONF. PRIVATE to junos.ztp.

What the phone-home client does on a Virtual Chassis ("Bootstrap Virtual Chassis Members" in Juniper's
"Provision a Virtual Chassis Using the Phone-Home Client"), driven from the controller:

- ``plan_upgrade`` (pure): Virtual Chassis facts + target -> the ordered steps, members already on the
  target skipped, and the problems that stop the run before anything changes.
- ``role_pin_payload`` / ``role_restore_payload`` (pure): the configuration that pins the primary and
  backup roles while members reboot, with the user's original ``virtual-chassis`` stanza recorded in the
  same commit (in the never-applied group ``junos-ztp-upgrade``), and the configuration that puts it back.
- ``VcUpgrade`` (the executor): runs a plan through a small device-operations interface (``PyezOperations``
  over NETCONF; unit tests pass a fake), emitting the VC document's notifications through a callback.

Nothing is kept on the controller: a run that dies part-way leaves the role record on the device, and the
next run finds it, resumes from what the Virtual Chassis shows and restores the recorded configuration.
"""

from __future__ import annotations

import datetime
import time
import xml.etree.ElementTree as ET

try:
    from jnpr.junos.exception import ConfigLoadError, CommitError, LockError, RpcError, UnlockError
    from jnpr.junos.utils.config import Config
    from lxml import etree as lxml_etree
    HAS_CONFIG_LIBRARIES = True
    CONFIG_IMPORT_ERROR = None
    CONFIG_ERRORS = (ConfigLoadError, CommitError, LockError, UnlockError, RpcError)
except ImportError as exc:
    HAS_CONFIG_LIBRARIES = False
    CONFIG_IMPORT_ERROR = exc
    CONFIG_ERRORS = ()

from ansible_collections.junos.ztp.plugins.module_utils._connection import (
    CUT_SHORT_ERRORS, DeviceConnectionError, DeviceRpcError, call_rpc, close_quietly, drop_session, open_device, send_expecting_disconnect)
from ansible_collections.junos.ztp.plugins.module_utils._data_model import image_for_model
from ansible_collections.junos.ztp.plugins.module_utils._image_stage import (
    DEVICE_ERRORS, ImageStager, StageError)
from ansible_collections.junos.ztp.plugins.module_utils._virtual_chassis import (
    parse_vc_information, parse_versions, read_virtual_chassis)

PHASES = ('linecards', 'backup', 'primary')
PHASE_OF_ROLE = {'linecard': 'linecards', 'backup': 'backup', 'primary': 'primary'}
# Notifications name the role as Junos shows it ("Master, Backup, or Linecard", VC document).
JUNOS_ROLE = {'primary': 'Master', 'backup': 'Backup', 'linecard': 'Linecard'}
RE_ROLES = ('primary', 'backup')

# Notification types and messages: Table 2 of the VC document, verbatim. Messages marked "ours" fill gaps the
# table leaves (a reboot message for linecards only, nothing for a start refused in strict mode); docs/upgrade.md
# lists every message and when it is sent.
IMAGE_INSTALLED = 'vc-member-image-installed'
IMAGE_INSTALLATION_FAILED = 'vc-member-image-installation-failed'
REBOOT_INITIATED = 'vc-member-reboot-initiated'
UPGRADE_SUCCESS = 'vc-member-upgrade-success'
UPGRADE_FAILED = 'vc-member-upgrade-failed'
DETECTION_FAILED = 'vc-member-detection-failed'
BOOTSTRAP_FAILED = 'vc-bootstrap-failed'
MSG_INSTALLED_NEXT = 'Successfully installed downloaded image. Initiating image installation on next member.'
MSG_INSTALLED_REBOOT = 'Successfully installed downloaded image. Initiating member reboot.'
MSG_INSTALL_FAILED = 'Image failed to install on the member. Giving up and trying a different phone-home-server.'
MSG_LINECARDS_REBOOTING = 'Reboot initiated for Line Card members. Waiting for the members to come back up.'
MSG_BACKUP_REBOOTING = 'Reboot initiated for the Backup member. Waiting for the member to come back up.'  # ours
MSG_PRIMARY_REBOOTING = ('Reboot initiated for the Master member. Waiting for the backup to take over '
                         'and the member to come back up.')  # ours
MSG_STANDALONE_REBOOTING = 'Reboot initiated for the Master member. Waiting for the member to come back up.'  # ours
MSG_NO_UPGRADE = 'No upgrade required.'
MSG_SUCCESSFULLY_UPGRADED = 'Successfully upgraded.'
MSG_DETECTED_UPGRADED = 'Member detected and successfully upgraded.'
MSG_UPGRADE_FAILED = 'Upgrade failed !!!'
MSG_DETECTED_NOT_UPGRADED = 'Member detected but upgrade failed !!!'
MSG_NOT_DETECTED = 'Did not come up post image upgrade'
MSG_STRICT_BOOTSTRAP_FAILURE = 'VC member bootstrap failure detected with Strict provisioning set.'
MSG_STRICT_DETECTION_FAILURE = 'VC with detection failed members and Strict provisioning set.'
MSG_STRICT_NOT_STARTED = 'VC does not match the intended members with Strict provisioning set. Nothing was upgraded.'  # ours

# Per-member outcomes in the result.
UPGRADED = 'upgraded'
ALREADY_CURRENT = 'already-current'
INSTALL_FAILED = 'install-failed'
NOT_DETECTED = 'not-detected'
DETECTED_NOT_UPGRADED = 'detected-not-upgraded'
NOT_PRESENT = 'not-present'
NOT_ATTEMPTED = 'not-attempted'
PLANNED = 'planned'
FAILED_OUTCOMES = (INSTALL_FAILED, NOT_DETECTED, DETECTED_NOT_UPGRADED)

# Role pinning. 255 on both routing engines is Juniper's own advice (equal priorities: no preemption
# back and forth); 0 ("never primary or backup", EX since Junos 11.1) keeps linecards that rejoin from
# taking the backup role while the backup or the primary is rebooting.
PINNED_RE_PRIORITY = 255
PINNED_LINECARD_PRIORITY = 0
# Before the primary reboots, one upgraded linecard becomes eligible with the lowest priority that is: the VC
# elects it backup while the old primary is away (the VC document: "the Virtual Chassis also elects a new backup"), and
# the old primary (255) outranks it when it rejoins and takes the backup role back. It never preempts a 255.
TEMPORARY_BACKUP_PRIORITY = 1
RECORD_GROUP = 'junos-ztp-upgrade'
RECORD_MACRO = 'junos-ztp-vc-upgrade'
RECORD_KEY = 'original-virtual-chassis'
PIN_COMMENT = 'junos.ztp vc_upgrade: pin roles'
RESTORE_COMMENT = 'junos.ztp vc_upgrade: restore roles'
TEMPORARY_BACKUP_COMMENT = 'junos.ztp vc_upgrade: temporary backup for the primary reboot'
HANDOVER_COMMENT = 'junos.ztp vc_upgrade: hand the backup role to an upgraded member'

# Polling: the interval is 1/50 of the time already spent waiting, between 0.05 s and 2 s, so a wait
# overshoots by at most ~2 % (or 0.05 s) whether a member takes seconds (a simulator) or ten minutes.
MIN_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 2.0
POLL_FRACTION = 0.02


class UpgradeError(Exception):
    """The upgrade stops; the message says why. Roles are restored before the task returns."""


class InstallError(Exception):
    """request-package-add failed on a member; the message is the device's reason."""


class ValidationUnsupported(Exception):
    """The release does not offer request-package-validate: the configuration cannot be checked before the install."""


def poll_interval(waited):
    return min(MAX_POLL_SECONDS, max(MIN_POLL_SECONDS, waited * POLL_FRACTION))


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


# -- notifications ---------------------------------------------------------------------------------

NOTIFICATION_NAMESPACE = 'http://juniper.net/zerotouch-bootstrap-server'
NOTIFICATION_CONTENT_TYPE = 'application/yang.data+xml'


def describe_member(event):
    """``member 2 (PE3714100999, Linecard)``: how a member-specific notification names its member; None for the VC."""
    if event.get('member_id') is None:
        return None
    # The VC document's member notifications name one of three roles; an absent member keeps the role it was last seen in.
    details = [event.get('serial_number') or 'serial unknown'] + ([event['role']] if event.get('role') else [])
    return 'member %s (%s)' % (event['member_id'], ', '.join(details))


def notification_message(event):
    """The message a phone-home server gets: [guess] the member prefix, then the Table 2 message, then our detail."""
    member = describe_member(event)
    text = '%s: %s' % (member, event['message']) if member else event['message']
    return '%s (%s)' % (text, event['detail']) if event.get('detail') else text


def notification_body(event):
    """The legacy phone-home notification document (what .../device=SERIAL/notification accepts)."""
    root = ET.Element('notification', {'xmlns': NOTIFICATION_NAMESPACE})
    ET.SubElement(root, 'notification-type').text = event['type']
    ET.SubElement(root, 'message').text = notification_message(event)
    return ET.tostring(root, encoding='utf-8')


# -- the plan ------------------------------------------------------------------------------------

def plan_upgrade(facts, software, expected_members=(), topology='none', mode='default'):
    """The ordered steps of an upgrade, and the problems that stop it before anything changes.

    ``facts``: read_virtual_chassis facts. ``expected_members``: ztp_members (serial_number, member_id).
    Returns ``{'steps': [...], 'problems': [...], 'missing': [...]}``: steps are linecards in member-ID
    order, then the backup, then the primary, each ``{phase, member_id, serial_number, model, role, image,
    from_version, to_version, action: upgrade|skip, reason}``; members that are not present, or already
    run the target, are steps with action ``skip`` and the reason. ``missing``: expected members the
    Virtual Chassis does not show as present (a problem in strict mode only).
    """
    target = software['version']
    steps, problems = [], []
    for member in facts['members']:
        present = member['status'] == 'present'
        image = image_for_model(software, member.get('model') or '') if present else None
        step = {'phase': PHASE_OF_ROLE.get(member.get('role')), 'member_id': member['member_id'],
                'serial_number': member.get('serial_number'), 'model': member.get('model'), 'role': member.get('role'),
                'image': image['file'] if image else None, 'from_version': member.get('version'), 'to_version': target,
                'action': 'upgrade', 'reason': None}
        if not present:
            step.update(action='skip', reason='not present in the Virtual Chassis')
        elif member.get('version') == target:
            step.update(action='skip', reason='already runs %s' % target)
        elif image is None:
            problems.append('member %s (%s, %s): no image in software.images matches this model'
                            % (member['member_id'], member.get('serial_number'), member.get('model')))
        steps.append(step)
    present_serials = {m.get('serial_number') for m in facts['members'] if m['status'] == 'present'}
    missing = [{'member_id': m.get('member_id'), 'serial_number': m['serial_number']}
               for m in expected_members if m['serial_number'] not in present_serials]
    if mode == 'strict':
        if topology != 'full':
            problems.append('provisioning_mode strict needs topology full (every member listed with its serial number)')
        problems += ['member %s (%s) is expected but not present in the Virtual Chassis' % (m['member_id'], m['serial_number'])
                     for m in missing]
    if any(s['role'] is None and s['action'] == 'upgrade' for s in steps):
        problems.append('the Virtual Chassis reports a present member without a role')
    order = {phase: index for index, phase in enumerate(PHASES)}
    steps.sort(key=lambda s: (s['phase'] is None, order.get(s['phase'], 0), s['member_id']))
    return {'steps': steps, 'problems': problems, 'missing': missing}


def upgrades(plan, phase):
    return [step for step in plan['steps'] if step['action'] == 'upgrade' and step['phase'] == phase]


# -- role pinning: what is committed, and what puts the user's configuration back -----------------

def _element(tag, text=None, children=()):
    element = ET.Element(tag)
    element.text = text
    element.extend(children)
    return element


def _copy(element):
    """A plain ElementTree copy (tag, attributes, text, children) of an ElementTree or lxml element."""
    fresh = ET.Element(element.tag, dict(element.attrib))
    fresh.text = element.text
    for child in element:
        if isinstance(child.tag, str):
            copied = _copy(child)
            copied.tail = child.tail
            fresh.append(copied)
    return fresh


def _macro_value(group):
    for macro in group.findall('apply-macro'):
        if macro.findtext('name', '').strip() != RECORD_MACRO:
            continue
        for data in macro.findall('data'):
            if data.findtext('name', '').strip() == RECORD_KEY:
                return data.findtext('value', '').strip()
    return None


class RoleConfig:
    """The committed ``virtual-chassis`` stanza and, when a run pinned roles and has not restored them, its record."""

    def __init__(self, configuration):
        stanza = configuration.find('virtual-chassis') if configuration is not None else None
        self.stanza = stanza
        self.preprovisioned = stanza is not None and stanza.find('preprovisioned') is not None
        self.record = None
        for group in (configuration.findall('groups') if configuration is not None else []):
            if group.findtext('name', '').strip() != RECORD_GROUP:
                continue
            value = _macro_value(group)
            if value not in ('present', 'absent'):
                raise UpgradeError('the configuration has a group %s that junos.ztp did not write (no apply-macro %s %s); '
                                   'rename it so that it is not mistaken for a role record' % (RECORD_GROUP, RECORD_MACRO, RECORD_KEY))
            original = group.find('virtual-chassis')
            self.record = {'original': original if value == 'present' else None}

    @property
    def recorded(self):
        return self.record is not None


def pinned_priorities(members):
    """Mastership priority per present member that keeps today's primary and backup where they are."""
    return {m['member_id']: PINNED_RE_PRIORITY if m.get('role') in RE_ROLES else PINNED_LINECARD_PRIORITY
            for m in members if m['status'] == 'present' and m['member_id'] is not None}


def role_pin_payload(role_config, members):
    """The <configuration> to load (action replace, which merges unmarked statements), or None when already pinned.

    Records the user's ``virtual-chassis`` stanza (or its absence) in the never-applied group junos-ztp-upgrade in
    the same commit as the pinned priorities. A resumed run finds the record and changes nothing: the roles it sees
    may be transient (a rebooted backup shows as Linecard until it settles), and the pinned values must never be
    recorded as the original.
    """
    if role_config.recorded:
        return None
    configuration = _element('configuration')
    had_stanza = role_config.stanza is not None
    macro = _element('apply-macro', children=[
        _element('name', RECORD_MACRO),
        _element('data', children=[_element('name', RECORD_KEY), _element('value', 'present' if had_stanza else 'absent')])])
    group = _element('groups', children=[_element('name', RECORD_GROUP), macro])
    if had_stanza:
        group.append(_copy(role_config.stanza))
    configuration.append(group)
    configuration.extend(priority_payload(pinned_priorities(members)))
    return configuration


def priority_payload(priorities):
    """The <configuration> (action replace, which merges) that sets the mastership priority of some members."""
    return _element('configuration', children=[_element('virtual-chassis', children=[
        _element('member', children=[_element('name', str(member_id)), _element('mastership-priority', str(priority))])
        for member_id, priority in sorted(priorities.items())])])


def role_restore_payload(record):
    """The <configuration> (action replace) that puts the recorded stanza back exactly and removes the record."""
    configuration = _element('configuration')
    if record['original'] is None:
        stanza = ET.SubElement(configuration, 'virtual-chassis', {'delete': 'delete'})
    else:
        stanza = _copy(record['original'])
        stanza.set('replace', 'replace')
        configuration.append(stanza)
    ET.SubElement(configuration, 'groups', {'delete': 'delete'}).append(_element('name', RECORD_GROUP))
    return configuration


# -- the device operations over NETCONF ---------------------------------------------------------------

def _to_elementtree(element):
    return ET.fromstring(lxml_etree.tostring(element))


class PyezOperations:
    """What the executor asks of a Virtual Chassis, over one PyEZ session (re-opened only when it drops).

    ``params`` are the connection options of _connection.open_device. ``sessions_opened`` counts every
    NETCONF session this object opened.
    """

    def __init__(self, params, install_timeout=1800, cache_dir=None, report=lambda message: None, source='auto'):
        self.params = params
        self.source = source
        self.install_timeout = install_timeout
        self.cache_dir = cache_dir
        self.report = report
        self.device = None
        self.sessions_opened = 0
        self.logged_into_member = None

    def open(self):
        self.device = open_device(self.params)
        self._count_session()
        return self.device

    def _count_session(self):
        # On the junos.ztp.pyez connection, open_device reuses the host's session when it is still up.
        if getattr(self.device, 'opened_session', True):
            self.sessions_opened += 1

    def close(self):
        if self.device is not None:
            close_quietly(self.device)
            self.device = None

    def reconnect(self, timeout, clock=time.monotonic, sleep=time.sleep):
        """Drop the current session and open a new one to the same address, trying for up to ``timeout`` seconds.

        Attempts are spaced like the polls (poll_interval): a switch that is back in seconds (a standalone switch's
        reboot on the simulator) is not waited for in fixed 2 s steps, one that takes ten minutes is not hammered.
        """
        if self.device is not None:
            drop_session(self.device)
            self.device = None
        timeout = max(timeout, 1.0)
        started = clock()
        while self.device is None:
            try:
                self.device = open_device(self.params)
            except DeviceConnectionError as exc:
                waited = clock() - started
                if waited >= timeout:
                    raise TimeoutError('%s did not come back within %d s: %s' % (self.params['host'], timeout, exc)) from exc
                sleep(min(poll_interval(waited), timeout - waited))
        self._count_session()

    def read(self):
        facts = read_virtual_chassis(self.device)
        self.logged_into_member = facts['logged_into_member']
        return facts

    def roles(self):
        """get-virtual-chassis-information only: members with status, role and priority (the detection poll)."""
        information = parse_vc_information(call_rpc(self.device, 'get_virtual_chassis_information'))
        self.logged_into_member = information['logged_into_member']
        return information['members']

    def versions(self):
        """``{member id: running version}`` from show version all-members."""
        reply = call_rpc(self.device, 'cli', 'show version all-members', format='xml')
        return {member_id: software['version'] for member_id, software in parse_versions(reply, self.logged_into_member).items()}

    def stage(self, facts, software, check_mode):
        """Stage (or, in check mode, look for) the images on the primary through image_stage, on this session."""
        stager = ImageStager(connect=self.open, report=self.report, check_mode=check_mode)
        stager.device = self.device
        try:
            result = stager.stage_on(facts, software, source=self.source, cache_dir=self.cache_dir)
        except StageError as exc:
            raise UpgradeError('staging the image failed, nothing was installed: %s' % exc) from exc
        except DEVICE_ERRORS as exc:
            raise UpgradeError('staging the image failed, nothing was installed: %s: %s' % (exc.__class__.__name__, exc)) from exc
        finally:
            # The stager re-opens the session when a transfer attempt dropped it; carry on with that one.
            self.device = stager.device
        return result

    def install(self, member_id, package):
        """request system software add <package> member N no-validate; InstallError with the device's reason.

        no-validate: the configuration was validated against the package once, before the first install (``validate``).
        """
        try:
            reply = call_rpc(self.device, 'request_package_add', no_validate=True, package_name=package, member=str(member_id),
                             dev_timeout=self.install_timeout, ignore_warning=True)
        except DeviceRpcError as exc:
            raise InstallError(str(exc)) from exc
        failure = self._package_failure(reply)
        if failure:
            raise InstallError(failure)

    def validate(self, member_id, package):
        """request system software validate <package> member N: None when it passes, else the device's reason.

        Raises ValidationUnsupported when the release does not know the RPC (an rpc-error "syntax error").
        """
        try:
            reply = call_rpc(self.device, 'request_package_validate', package_name=package, member=str(member_id),
                             dev_timeout=self.install_timeout)
        except DeviceRpcError as exc:
            if 'syntax error' in str(exc):
                raise ValidationUnsupported(str(exc)) from exc
            return str(exc)
        return self._package_failure(reply)

    @staticmethod
    def _package_failure(reply):
        """The reason a package reply (<output>, <package-result>) reports a failure, or None."""
        if reply is None or reply is True:
            return None
        # PyEZ returns the first child of <rpc-reply>; <output> and <package-result> are siblings under it.
        root = reply.getparent() if reply.getparent() is not None else reply
        outputs = [text.strip() for text in (o.text for o in root.iter('output')) if text and text.strip()]
        result = root.findtext('.//package-result')
        if result is not None and result.strip() != '0':
            return 'package-result %s: %s' % (result.strip(), ' '.join(outputs) or 'no output')
        return None

    def reboot(self, member_id):
        """request system reboot member N; a reply cut short by the session dropping (the primary's) means it started."""
        send_expecting_disconnect(self.device, 'request_reboot', member=str(member_id), **{'in': '0'})

    def role_config(self):
        reply = call_rpc(self.device, 'get_config', filter_xml='<configuration><virtual-chassis/><groups><name>%s</name></groups></configuration>'
                         % RECORD_GROUP, options={'database': 'committed'})
        return RoleConfig(_to_elementtree(reply))

    def commit(self, configuration, comment):
        """Load (action replace) and commit ``configuration`` under the configuration lock; UpgradeError on refusal."""
        config = Config(self.device)
        try:
            try:
                config.lock()
            except CONFIG_ERRORS as exc:
                raise UpgradeError('cannot lock the configuration for "%s": %s' % (comment, exc)) from exc
            try:
                config.load(ET.tostring(configuration, encoding='unicode'), format='xml')
                config.commit(comment=comment)
            except CONFIG_ERRORS as exc:
                self._quietly(config.rollback)
                raise UpgradeError('the commit "%s" failed: %s' % (comment, exc)) from exc
            finally:
                self._quietly(config.unlock)
        except CUT_SHORT_ERRORS as exc:
            raise DeviceConnectionError('the session dropped during the commit "%s": %s' % (comment, exc.__class__.__name__)) from exc

    @staticmethod
    def _quietly(action):
        """Clean-up after a failed commit: its own failure must not hide the reason of the first one."""
        try:
            action()
        except CONFIG_ERRORS:
            pass


# -- the executor --------------------------------------------------------------------------------------

class VcUpgrade:
    """Run the upgrade of one Virtual Chassis through ``ops`` (PyezOperations, or a fake with the same methods).

    ``emit(event)`` receives every notification as it happens: ``{type, message, member_id, serial_number, role, time,
    detail}`` plus ``reporter``, the serial of the member that is primary at that moment (the member a
    phone-home client would report as). The result lists the same events without ``reporter``.
    """

    def __init__(self, ops, software, mode='default', detection_timeout=900, emit=lambda event: None,
                 check_mode=False, clock=time.monotonic, sleep=time.sleep, validate=True):
        self.ops = ops
        self.validate = validate
        self.software = software
        self.target = software['version']
        self.strict = mode == 'strict'
        self.detection_timeout = detection_timeout
        self.emit_callback = emit
        self.check_mode = check_mode
        self.clock = clock
        self.sleep = sleep
        self.events = []
        self.warnings = []
        self.outcomes = {}
        self.details = {}
        self.identity = {}
        self.roles = {}
        self.primary_serial = None
        self.initial_topology = None
        self.plan = None
        self.staging = None
        self.changed = False
        self.record = None
        self.roles_restored = None
        self.preprovisioned = False
        self.temporary_backup = None

    # -- events and polls -----------------------------------------------------------------------------

    def emit(self, kind, message, member_id=None, detail=None):
        identity = self.identity.get(member_id, {})
        event = {'type': kind, 'message': message, 'member_id': member_id, 'serial_number': identity.get('serial_number'),
                 'role': JUNOS_ROLE.get(self.roles.get(member_id)), 'time': utc_now(), 'detail': detail}
        self.events.append(event)
        self.emit_callback(dict(event, reporter=self.primary_serial))

    def _note(self, members):
        """Remember serials and current roles (an event names the member's role at that moment)."""
        for member in members:
            member_id = member['member_id']
            if member.get('serial_number'):
                self.identity[member_id] = {'serial_number': member['serial_number'], 'model': member.get('model')}
            present = member['status'] == 'present'
            if present:
                self.roles[member_id] = member.get('role')
            if present and member.get('role') == 'primary':
                self.primary_serial = member.get('serial_number')
        return members

    def _read(self):
        facts = self.ops.read()
        self._note(facts['members'])
        return facts

    def _roles(self, deadline):
        """One detection poll; a session that dropped unexpectedly is re-opened within the deadline."""
        try:
            return self._note(self.ops.roles())
        except DeviceConnectionError:
            self._reconnect(deadline)
            return self._note(self.ops.roles())

    def _reconnect(self, deadline):
        try:
            self.ops.reconnect(max(deadline - self.clock(), 0))
        except TimeoutError as exc:
            raise UpgradeError('lost the session to the Virtual Chassis and could not reconnect: %s' % exc) from exc

    def _pause(self, started):
        self.sleep(poll_interval(self.clock() - started))

    # -- the run -------------------------------------------------------------------------------------------

    def run(self, expected_members=(), topology='none'):
        """Upgrade the Virtual Chassis; return the task result (failed set, never raised, for device-side trouble)."""
        try:
            self.ops.open()
            facts = self._read()
            role_config = self.ops.role_config()
            self.record = role_config.record
            try:
                facts = self._plan_and_upgrade(facts, role_config, expected_members, topology)
            finally:
                if not self.check_mode:
                    self._restore()
            return self._result(facts)
        except (UpgradeError, DeviceConnectionError, DeviceRpcError, TimeoutError, ValueError) as exc:
            return self._result(self._read_quietly(), error=str(exc))
        finally:
            self.ops.close()

    def _plan_and_upgrade(self, facts, role_config, expected_members, topology):
        """Everything between reading the record and restoring it; returns the facts of the final read."""
        facts = self._wait_for_members(facts, expected_members)
        self.initial_topology = facts['topology']['kind']
        self.plan = plan_upgrade(facts, self.software, expected_members, topology, 'strict' if self.strict else 'default')
        for step in self.plan['steps']:
            self.outcomes[step['member_id']] = PLANNED if step['action'] == 'upgrade' else \
                ALREADY_CURRENT if step['from_version'] == self.target else NOT_PRESENT
        if self.plan['problems']:
            if self.strict:
                self.emit(BOOTSTRAP_FAILED, MSG_STRICT_NOT_STARTED, detail='; '.join(self.plan['problems']))
            raise UpgradeError('nothing was upgraded: ' + '; '.join(self.plan['problems']))
        work = [step for step in self.plan['steps'] if step['action'] == 'upgrade']
        if self.check_mode:
            self.staging = self.ops.stage(facts, self.software, check_mode=True) if work else None
            self.changed = bool(work) or role_config.recorded
            return facts
        for step in self.plan['steps']:
            if self.outcomes[step['member_id']] == ALREADY_CURRENT:
                self.emit(UPGRADE_SUCCESS, MSG_NO_UPGRADE, step['member_id'])
        if not work:
            return facts
        self.staging = self.ops.stage(facts, self.software, check_mode=False)
        self.changed = self.staging['changed']
        if self.validate:
            self._validate_configuration(facts)
        self._upgrade(facts, role_config)
        return self._read()

    def _validate_configuration(self, facts):
        """Check the committed configuration against each image once, before anything is installed or pinned.

        The configuration is the whole VC's, so one member per image is enough. A failure stops the run with nothing
        changed but the staged images (in either mode: a member that boots a release its configuration does not suit
        may not come back). A release that does not offer the check gets a warning and the install goes on.
        """
        present = {m['member_id'] for m in facts['members'] if m['status'] == 'present'}
        for image in self.staging['images']:
            members = [member_id for member_id in image['members'] if member_id in present]
            if not members:
                continue
            try:
                failure = self.ops.validate(members[0], image['path'])
            except ValidationUnsupported as exc:
                self.warnings.append('the configuration was not validated against %s: the release does not offer it (%s)' % (image['path'], exc))
                continue
            if failure:
                raise UpgradeError('nothing was upgraded: the committed configuration does not validate against %s (member %s): %s; '
                                   'fix the configuration, or skip the check with validate: false' % (image['path'], members[0], failure))

    def _upgrade(self, facts, role_config):
        paths = {member_id: image['path'] for image in self.staging['images'] for member_id in image['members']}
        self._pin(role_config, facts)
        self._upgrade_linecards(upgrades(self.plan, 'linecards'), paths)
        for step in upgrades(self.plan, 'backup'):
            self._upgrade_backup(step['member_id'], paths)
        backup = next((step['member_id'] for step in self.plan['steps'] if step['phase'] == 'backup'), None)
        for step in upgrades(self.plan, 'primary'):
            if backup is None or self._backup_is_upgraded(backup) or self._hand_over_backup_role(backup, step['member_id']):
                self._upgrade_primary(step['member_id'], paths)
        upgraded = [s['member_id'] for s in self.plan['steps'] if s['action'] == 'upgrade']
        if all(self.outcomes.get(member_id) == UPGRADED for member_id in upgraded):
            self.emit(UPGRADE_SUCCESS, MSG_SUCCESSFULLY_UPGRADED)

    def _read_quietly(self):
        """The Virtual Chassis as it is after a failure, for the result; None when it cannot be read."""
        try:
            return self._read()
        except (DeviceConnectionError, DeviceRpcError, ValueError, AttributeError):
            return None

    def _wait_for_members(self, facts, expected_members):
        """Before planning, wait for members still rebooting (a resumed run) and, in strict mode, every expected member.

        Check mode does not wait: it reports the Virtual Chassis as it is.
        """
        def waiting_for(members):
            present = {m.get('serial_number') for m in members if m['status'] == 'present'}
            waiting = ['member %s' % m['member_id'] for m in members if m['status'] != 'present'] if self.record is not None else []
            if self.strict:
                waiting += ['serial %s' % m['serial_number'] for m in expected_members if m['serial_number'] not in present]
            return waiting

        if self.check_mode or not waiting_for(facts['members']):
            return facts
        started = self.clock()
        deadline = started + self.detection_timeout
        while self.clock() < deadline:
            self._pause(started)
            if not waiting_for(self._roles(deadline)):
                break
        return self._read()

    # -- role pinning --------------------------------------------------------------------------------------

    def _pin(self, role_config, facts):
        """Commit the pinned priorities with the record; not again on a resumed run, never on a preprovisioned VC."""
        self.preprovisioned = role_config.preprovisioned
        if role_config.preprovisioned or role_config.recorded:
            # A preprovisioned Virtual Chassis fixes its routing engines by configuration: nothing to pin.
            return
        self.ops.commit(role_pin_payload(role_config, facts['members']), PIN_COMMENT)
        # Only a committed record is restored: a pin that never got there leaves nothing to undo.
        self.record = {'original': _copy(role_config.stanza) if role_config.stanza is not None else None}
        self.changed = True

    def _restore(self):
        """Put the recorded configuration back (after success and failure alike); re-open the session if it is gone."""
        if self.record is None:
            return
        payload = role_restore_payload(self.record)
        try:
            try:
                self.ops.commit(payload, RESTORE_COMMENT)
            except DeviceConnectionError:
                self._reconnect(self.clock() + self.detection_timeout)
                self.ops.commit(payload, RESTORE_COMMENT)
        except (UpgradeError, DeviceConnectionError, DeviceRpcError) as exc:
            self.roles_restored = False
            self.warnings.append('the role configuration was NOT restored (%s); run the task again to restore it from '
                                 'the record in configuration group %s' % (exc, RECORD_GROUP))
            return
        self.roles_restored = True
        self.changed = True

    # -- phases ---------------------------------------------------------------------------------------------

    def _install(self, member_id, package, success_message):
        """Install on one member; True on success. Strict mode retries once and raises UpgradeError when that fails too.

        A session that drops during the install is re-opened and the install tried again, in either mode (the
        member did nothing wrong).
        """
        attempts_left = 2 if self.strict else 1
        session_retry = True
        reasons = []
        while attempts_left:
            try:
                self.ops.install(member_id, package)
            except InstallError as exc:
                reasons.append(str(exc))
                attempts_left -= 1
                continue
            except DeviceConnectionError as exc:
                reasons.append(str(exc))
                self._reconnect(self.clock() + self.detection_timeout)
                if not session_retry:
                    attempts_left -= 1
                session_retry = False
                continue
            self.changed = True
            self.emit(IMAGE_INSTALLED, success_message, member_id)
            return True
        detail = '; '.join('attempt %d: %s' % (number, reason) for number, reason in enumerate(reasons, 1))
        self.outcomes[member_id] = INSTALL_FAILED
        self.details[member_id] = detail
        if self.strict:
            self.emit(IMAGE_INSTALLATION_FAILED, MSG_INSTALL_FAILED, member_id, detail)
            raise UpgradeError('strict provisioning: the image failed to install on member %s (%s)' % (member_id, detail))
        self.emit(UPGRADE_FAILED, MSG_UPGRADE_FAILED, member_id, detail)
        return False

    def _upgrade_linecards(self, steps, paths):
        installed = []
        for index, step in enumerate(steps):
            message = MSG_INSTALLED_REBOOT if index == len(steps) - 1 else MSG_INSTALLED_NEXT
            if self._install(step['member_id'], paths[step['member_id']], message):
                installed.append(step['member_id'])
        if not installed:
            return
        # "reboots them all at the same time": Junos takes one member per request, so the requests go back to back;
        # Table 2's message is about the linecards together, so it is sent once.
        started = self.clock()
        for member_id in installed:
            self.ops.reboot(member_id)
        self.emit(REBOOT_INITIATED, MSG_LINECARDS_REBOOTING)
        self._detect_with_retry(installed, started, paths, settle=False)

    def _upgrade_backup(self, member_id, paths):
        if not self._install(member_id, paths[member_id], MSG_INSTALLED_REBOOT):
            return
        started = self.clock()
        self.ops.reboot(member_id)
        self.emit(REBOOT_INITIATED, MSG_BACKUP_REBOOTING, member_id)
        self._detect_with_retry([member_id], started, paths, settle=True)

    def _upgrade_primary(self, member_id, paths):
        if not self._install(member_id, paths[member_id], MSG_INSTALLED_REBOOT):
            return
        self._wait_for_backup(member_id)
        standalone = all(other == member_id for other in self.roles)
        if not standalone:
            self._elect_temporary_backup(member_id)
        started = self.clock()
        self.ops.reboot(member_id)
        self.emit(REBOOT_INITIATED, MSG_STANDALONE_REBOOTING if standalone else MSG_PRIMARY_REBOOTING, member_id)
        self._await_switchover(member_id, started + self.detection_timeout)
        self._detect_with_retry([member_id], started, paths, settle=True)

    def _on_target(self, exclude=()):
        """Present linecards that run the target, by member ID: the members that may stand in for the backup."""
        versions = self.ops.versions()
        return [m['member_id'] for m in sorted(self._roles(self.clock() + self.detection_timeout), key=lambda m: m['member_id'])
                if m['status'] == 'present' and m.get('role') == 'linecard' and m['member_id'] not in exclude
                and versions.get(m['member_id']) == self.target]

    def _elect_temporary_backup(self, primary_id):
        """Let the VC elect a backup while the primary reboots: one upgraded linecard becomes eligible (priority 1).

        The pinned linecards (priority 0) could never be elected, which would leave the VC without a backup for the
        whole reboot. The old primary keeps 255 and takes the backup role back when it rejoins; the restore commit
        puts the user's priorities back. Nothing is done on a VC that was not pinned (preprovisioned).
        """
        if self.record is None or self.preprovisioned:
            return
        candidates = self._on_target(exclude=(primary_id,))
        if not candidates:
            self.warnings.append('no linecard runs %s, so no member can stand in as backup while member %s (the primary) '
                                 'reboots' % (self.target, primary_id))
            return
        self.ops.commit(priority_payload({candidates[0]: TEMPORARY_BACKUP_PRIORITY}), TEMPORARY_BACKUP_COMMENT)
        self.temporary_backup = candidates[0]

    def _backup_is_upgraded(self, backup_id):
        return self.outcomes.get(backup_id) in (UPGRADED, ALREADY_CURRENT)

    def _hand_over_backup_role(self, backup_id, primary_id):
        """Default mode, the backup failed: an upgraded linecard takes its role, so the primary that follows runs the target.

        Returns whether the primary may be upgraded. Rebooting the primary would make the failed backup (old release)
        the primary of members on the new one, so the role goes to an upgraded linecard first: its priority is raised
        to the routing engines' 255 and the failed backup's set to 0, and the failed backup, when present, is rebooted
        (its install did not happen or did not take, so it comes back on the release it runs) so that the VC elects the
        upgraded member. With no upgraded linecard the primary is left as it is: the VC keeps a primary and a backup on
        the same release.
        """
        candidates = [] if self.preprovisioned or self.record is None else self._on_target(exclude=(primary_id, backup_id))
        if not candidates:
            self.outcomes[primary_id] = NOT_ATTEMPTED
            self.details[primary_id] = ('not upgraded: backup member %s is not on %s and no upgraded linecard can take its role, '
                                        'so the primary keeps the Virtual Chassis on its release' % (backup_id, self.target))
            return False
        successor = candidates[0]
        self.ops.commit(priority_payload({successor: PINNED_RE_PRIORITY, backup_id: PINNED_LINECARD_PRIORITY}), HANDOVER_COMMENT)
        started = self.clock()
        deadline = started + self.detection_timeout
        members = {m['member_id']: m for m in self._roles(deadline)}
        if members.get(backup_id, {}).get('status') == 'present':
            self.ops.reboot(backup_id)
            self.emit(REBOOT_INITIATED, MSG_BACKUP_REBOOTING, backup_id, 'member %s takes the backup role' % successor)
        while members.get(successor, {}).get('role') != 'backup':
            if self.clock() >= deadline:
                self.outcomes[primary_id] = NOT_ATTEMPTED
                self.details[primary_id] = 'not upgraded: member %s did not take the backup role from member %s' % (successor, backup_id)
                return False
            self._pause(started)
            members = {m['member_id']: m for m in self._roles(deadline)}
        return True

    def _wait_for_backup(self, primary_id):
        """Before the primary reboots, a member that can be backup must hold the role (a rejoined one may still be settling)."""
        started = self.clock()
        deadline = started + self.detection_timeout
        while True:
            members = self._roles(deadline)
            eligible = [m for m in members if m['member_id'] != primary_id and m['status'] == 'present' and (m.get('mastership_priority') or 0) > 0]
            if not eligible or any(m.get('role') == 'backup' for m in eligible):
                return
            if self.clock() >= deadline:
                self.warnings.append('no member took the backup role before member %s (the primary) rebooted' % primary_id)
                return
            self._pause(started)

    def _await_switchover(self, primary_id, deadline):
        """The session lives on the primary: wait until it drops (or the primary is gone), then open a new one."""
        started = self.clock()
        while self.clock() < deadline:
            try:
                members = self._note(self.ops.roles())
            except DeviceConnectionError:
                break
            if any(m['member_id'] == primary_id and m['status'] != 'present' for m in members):
                return
            self._pause(started)
        self._reconnect(deadline)

    # -- member detection -------------------------------------------------------------------------------------

    def _detect(self, member_ids, started, settle):
        """Wait until each member is present and runs the target (with ``settle``: and holds a routing-engine role).

        Emits success for each member as it is detected; returns ``{member_id: outcome}`` of the rest at the timeout
        (a member that is back on the target but has not settled by then counts as detected, with a detail).
        The versions (show version, one more RPC) are asked for only when a pending member is present and, with
        ``settle``, holds its role - or at the timeout. (Whether a member has been seen gone is no guide: a fast
        reboot can fall between two polls.)
        """
        deadline = started + self.detection_timeout
        pending = set(member_ids)
        while True:
            timed_out = self.clock() >= deadline
            present = {m['member_id']: m for m in self._roles(deadline) if m['status'] == 'present' and m['member_id'] in pending}
            ready = {member_id: member for member_id, member in present.items()
                     if timed_out or not settle or member.get('role') in RE_ROLES}
            versions = self.ops.versions() if ready else {}
            for member_id, member in sorted(ready.items()):
                if versions.get(member_id) != self.target:
                    continue
                settled = not settle or member.get('role') in RE_ROLES
                pending.discard(member_id)
                self.outcomes[member_id] = UPGRADED
                self.emit(UPGRADE_SUCCESS, MSG_DETECTED_UPGRADED, member_id,
                          None if settled else 'it did not take the backup role within the member detection timeout')
            if not pending:
                return {}
            if timed_out:
                break
            self._pause(started)
        failed = {}
        for member_id in sorted(pending):
            if member_id in present:
                failed[member_id] = DETECTED_NOT_UPGRADED
                self.details[member_id] = 'present but running %s %d s after its reboot' % (versions.get(member_id), self.detection_timeout)
            else:
                failed[member_id] = NOT_DETECTED
                self.details[member_id] = 'not present %d s after its reboot' % self.detection_timeout
        return failed

    def _report_detection_failures(self, failed):
        for member_id, outcome in sorted(failed.items()):
            self.outcomes[member_id] = outcome
            if outcome == NOT_DETECTED:
                self.emit(DETECTION_FAILED, MSG_NOT_DETECTED, member_id, self.details[member_id])
            else:
                self.emit(UPGRADE_FAILED, MSG_DETECTED_NOT_UPGRADED, member_id, self.details[member_id])

    def _detect_with_retry(self, member_ids, started, paths, settle):
        failed = self._detect(member_ids, started, settle)
        if not failed:
            return
        self._report_detection_failures(failed)
        if not self.strict:
            return
        linecards = not settle
        if linecards:
            # Table 2 ties this message to linecards that did not all come up after their reboot.
            self.emit(BOOTSTRAP_FAILED, MSG_STRICT_BOOTSTRAP_FAILURE,
                      detail='; '.join('member %s: %s' % (member_id, self.details[member_id]) for member_id in sorted(failed)))
        # Strict: "retry to bootstrap and detect members that failed". A member back on the old version is
        # installed and rebooted again; one that is not back gets a second detection window.
        retry_started = self.clock()
        again = [member_id for member_id, outcome in sorted(failed.items()) if outcome == DETECTED_NOT_UPGRADED]
        for member_id in again:
            self._install(member_id, paths[member_id], MSG_INSTALLED_REBOOT)
        for member_id in again:
            self.ops.reboot(member_id)
        if again:
            if linecards:
                self.emit(REBOOT_INITIATED, MSG_LINECARDS_REBOOTING)
            else:
                self.emit(REBOOT_INITIATED, MSG_BACKUP_REBOOTING if self.roles.get(again[0]) == 'backup' else MSG_PRIMARY_REBOOTING, again[0])
        failed = self._detect(sorted(failed), retry_started, settle)
        if failed:
            self._report_detection_failures(failed)
            # "upon checking again, finds that one or more of them still failed to come up"
            self.emit(BOOTSTRAP_FAILED, MSG_STRICT_DETECTION_FAILURE,
                      detail='; '.join('member %s: %s' % (member_id, self.details[member_id]) for member_id in sorted(failed)))
            raise UpgradeError('strict provisioning: member(s) %s failed member detection twice'
                               % ', '.join(str(member_id) for member_id in sorted(failed)))

    # -- the result -------------------------------------------------------------------------------------------

    def _final_outcome(self, member):
        """A member's outcome, checked against the final read: one detected earlier must still be present on the target."""
        outcome = self.outcomes.get(member['member_id'], ALREADY_CURRENT if member.get('version') == self.target else NOT_PRESENT)
        if outcome == UPGRADED and (member['status'] != 'present' or member.get('version') != self.target):
            self.details[member['member_id']] = 'at the final check: %s, running %s' % (member['status'], member.get('version'))
            outcome = DETECTED_NOT_UPGRADED if member['status'] == 'present' else NOT_DETECTED
        self.outcomes[member['member_id']] = outcome
        return outcome

    def _result(self, facts, error=None):
        plan, staging = self.plan, self.staging
        for member_id, outcome in self.outcomes.items():
            if outcome == PLANNED and not self.check_mode:
                self.outcomes[member_id] = NOT_ATTEMPTED
        if facts is not None:
            members = [{'member_id': m['member_id'], 'serial_number': m.get('serial_number'), 'model': m.get('model'), 'role': m.get('role'),
                        'status': m['status'], 'version': m.get('version'), 'outcome': self._final_outcome(m),
                        'detail': self.details.get(m['member_id'])} for m in facts['members']]
        else:
            members = [{'member_id': member_id, 'serial_number': self.identity.get(member_id, {}).get('serial_number'),
                        'model': self.identity.get(member_id, {}).get('model'), 'role': None, 'status': None, 'version': None,
                        'outcome': outcome, 'detail': self.details.get(member_id)} for member_id, outcome in sorted(self.outcomes.items())]
        failed_members = sorted(member_id for member_id, outcome in self.outcomes.items() if outcome in FAILED_OUTCOMES)
        result = {
            'changed': self.changed,
            'plan': plan['steps'] if plan else [],
            'missing_members': plan['missing'] if plan else [],
            'events': self.events,
            'members': members,
            'failed_members': failed_members,
            'sessions_opened': self.ops.sessions_opened,
            # The last read, so that the next step (provision_vc's summary) need not open a session to read it again.
            'virtual_chassis': facts,
            'roles_restored': self.roles_restored,
        }
        if staging is not None:
            result['images'] = staging['images']
        warnings = list(self.warnings)
        if facts is not None and not self.check_mode:
            result['health'] = self._health(facts)
            if self.strict and error is None and (failed_members or result['health']['problems']):
                failures = result['health']['problems'] + ['member %s %s' % (m, self.outcomes[m]) for m in failed_members]
                error = 'strict provisioning: ' + '; '.join(failures)
            warnings += result['health']['problems']
        warnings += ['member %s: %s (%s)' % (m, self.outcomes[m], self.details.get(m)) for m in failed_members]
        warnings += ['expected member %s (%s) is not in the Virtual Chassis' % (m['member_id'], m['serial_number']) for m in result['missing_members']]
        if self.roles_restored is False and error is None:
            error = self.warnings[-1]
        if error is not None:
            result['failed'] = True
        result['msg'] = self._summary(plan, members, error)
        if warnings and error is None:
            result['warnings'] = warnings
        return result

    def _health(self, facts):
        members = facts['members']
        not_present = [m['member_id'] for m in members if m['status'] != 'present']
        behind = [m['member_id'] for m in members if m['status'] == 'present' and m.get('version') != self.target]
        kind = facts['topology']['kind']
        ring_intact = kind in ('ring', 'standalone') or self.initial_topology != 'ring'
        problems = []
        if not_present:
            problems.append('member(s) %s not present' % ', '.join(str(m) for m in not_present))
        if behind:
            problems.append('member(s) %s not on %s' % (', '.join(str(m) for m in behind), self.target))
        if not ring_intact:
            problems.append('the VCP ring is broken (%s; it was a ring before the upgrade)' % kind)
        if facts.get('backup_member') is None and len(members) > 1:
            problems.append('no member holds the backup role')
        return {'all_present': not not_present, 'all_on_target': not behind, 'topology': kind, 'ring_intact': ring_intact,
                'primary_member': facts.get('primary_member'), 'backup_member': facts.get('backup_member'), 'problems': problems}

    def _summary(self, plan, members, error):
        if plan is None or (self.check_mode and error is not None):
            return error
        work = [step for step in plan['steps'] if step['action'] == 'upgrade']
        if self.check_mode:
            if not work:
                return 'every present member runs %s; nothing to upgrade' % self.target
            return 'would upgrade %d member(s) to %s in this order: %s' % (
                len(work), self.target, ', '.join('member %s (%s, %s)' % (s['member_id'], s['phase'], s['image']) for s in work))
        if not work and error is None:
            restored = '; restored the role configuration an earlier run recorded' if self.roles_restored else ''
            return 'every present member runs %s; nothing to upgrade%s' % (self.target, restored)
        grouped = {}
        for member in members:
            grouped.setdefault(member['outcome'], []).append(str(member['member_id']))
        outcomes = '; '.join('%s: %s' % (outcome, ', '.join(ids)) for outcome, ids in grouped.items())
        head = error if error is not None else 'upgraded the Virtual Chassis to %s' % self.target
        return '%s (members by outcome: %s)' % (head, outcomes) if outcomes else head
