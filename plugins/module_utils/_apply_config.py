# -*- coding: utf-8 -*-
# Copyright: (c) 2026, junos.ztp contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apply scripts and a new configuration to a Virtual Chassis over NETCONF. PRIVATE to junos.ztp.

The phone-home client's "Apply Scripts and New Configuration" stage, driven from the controller:
pre-configuration scripts, then the Junos XML configuration (merge or replace, optionally
``commit confirmed``), then post-configuration scripts.

The VC document warns that scripts or configuration that make the VC assign new member roles
or elect a new primary during provisioning make provisioning fail unpredictably. ``role_change_findings``
and ``script_findings`` find such statements before anything is sent; ``ConfigApplier`` drops the ones
the device already has (they change nothing) and refuses the rest unless told otherwise.
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import re
import xml.etree.ElementTree as ET

from ansible_collections.junos.ztp.plugins.module_utils._connection import (
    CUT_SHORT_ERRORS, DeviceConnectionError, DeviceRpcError, call_rpc, close_quietly, scp_put)

try:
    from jnpr.junos.exception import ConnectError, RpcError
    from jnpr.junos.utils.config import Config
    from scp import SCPException
    HAS_APPLY_LIBRARIES = True
    APPLY_IMPORT_ERROR = None
    # What loading, committing, locking or copying can fail with: the device's refusal, or a dropped session.
    DEVICE_ERRORS = (RpcError, ConnectError, SCPException) + CUT_SHORT_ERRORS
except ImportError as exc:
    HAS_APPLY_LIBRARIES = False
    APPLY_IMPORT_ERROR = exc
    DEVICE_ERRORS = CUT_SHORT_ERRORS
from ansible_collections.junos.ztp.plugins.module_utils._data_model import is_script, is_xml, junos_xml_problems
from ansible_collections.junos.ztp.plugins.module_utils._virtual_chassis import parse_vc_information

ACTIONS = ('merge', 'replace')
SCRIPT_STAGES = ('pre', 'post')
SCRIPT_DIR = '/var/tmp'
# What the device keeps to know which configuration and scripts last ran to completion (see run_key).
STATE_FILE = '/var/tmp/junos-ztp-apply-config.state'
# [guess] request-shell-execute returns the command's output but not its exit status, so the
# command prints it last, behind this marker.
EXIT_STATUS_MARKER = 'junos-ztp-exit-status='
_EXIT_STATUS = re.compile(r'(?:^|\n)' + re.escape(EXIT_STATUS_MARKER) + r'(\d+)\s*$')
# Junos warns when a delete="delete" names a statement the device does not have (the factory-default
# statements a configuration removes are gone after the first run); PyEZ would raise on the warning.
IGNORED_LOAD_WARNINGS = ['statement not found']
_SAFE_NAME = re.compile(r'[^A-Za-z0-9._-]+')
_INTERPRETER = re.compile(r'^#!\s*(/[^\s\'"]+(?:[ \t]+[^\s\'"]+)*)[ \t]*$')

# Statements that make a Virtual Chassis assign member roles or elect a primary/backup anew, as paths of
# element names (entry names left out) -> why. A statement is flagged when its path starts with one of these.
ROLE_CHANGING_STATEMENTS = {
    ('virtual-chassis', 'preprovisioned'): 'switches the VC to preprovisioned mode, where roles come from the configuration',
    ('virtual-chassis', 'member', 'role'): 'sets a member role',
    ('virtual-chassis', 'member', 'mastership-priority'): 'changes a mastership priority, which decides the next election',
    ('virtual-chassis', 'member', 'serial-number'): 'binds a member ID to a serial number (preprovisioning)',
    ('virtual-chassis', 'auto-conversion'): 'turns ports into VCPs automatically, so members can join or leave',
    ('virtual-chassis', 'no-split-detection'): 'changes which part of a split VC stays active and keeps a primary',
    ('chassis', 'redundancy'): 'changes Routing Engine redundancy (switchover and failover behaviour)',
}
# Containers whose deletion or replacement drops role statements the device may have.
ROLE_CONTAINERS = {
    ('virtual-chassis',): 'deletes or replaces the whole virtual-chassis stanza',
    ('virtual-chassis', 'member'): "deletes or replaces a member's role settings",
    ('chassis',): 'deletes or replaces the chassis stanza, including Routing Engine redundancy',
}
# A VCP taken down by configuration can split the VC.
VCP_INTERFACE_PREFIX = 'vcp-'
# Script text that changes roles or triggers an election: VC commands, mastership, switchover.
ROLE_CHANGING_SCRIPT_TEXT = re.compile(r'virtual-chassis|mastership|switchover|routing-engine\s+master', re.IGNORECASE)
# Junos text configuration is not resolved into statements without the device's schema: a line that names one of
# the stanzas above is flagged as it is.
ROLE_CHANGING_CONFIGURATION_TEXT = re.compile(r'virtual-chassis|redundancy|\bvcp-', re.IGNORECASE)


class ApplyError(Exception):
    """Applying cannot go on; the message says why and what state the device is in."""


def _local(tag):
    """Element name without a namespace."""
    return tag.rsplit('}', 1)[-1] if isinstance(tag, str) else None


def _children(element, name):
    return [child for child in element if _local(child.tag) == name]


def _entry_name(element):
    for child in element:
        if _local(child.tag) == 'name':
            return (child.text or '').strip()
    return None


def _operation(element):
    for key, value in element.attrib.items():
        key = _local(key)
        if key == 'operation' and value in ('delete', 'remove', 'replace', 'create'):
            return 'replace' if value == 'replace' else 'delete' if value in ('delete', 'remove') else None
        if key in ('delete', 'replace') and value == key:
            return key
    return None


class Finding:
    """One statement that may change member roles or trigger an election."""

    def __init__(self, steps, value, operation, reason):
        self.steps = steps          # ((element name, entry name or None), ...) from below <configuration>
        self.value = value          # leaf text, '' for an empty leaf, None for a container
        self.operation = operation  # None (set), 'delete' or 'replace'
        self.reason = reason

    @property
    def statement(self):
        words = []
        for name, entry in self.steps:
            words.append(name)
            if entry is not None:
                words.append(entry)
        if self.value:
            words.append(self.value)
        return '%s %s' % (self.operation or 'set', ' '.join(words))

    def as_dict(self):
        return {'statement': self.statement, 'reason': self.reason}


def _role_rule(names):
    for rule, reason in ROLE_CHANGING_STATEMENTS.items():
        if names[:len(rule)] == rule:
            return reason
    return None


def role_change_findings(configuration):
    """Statements of a Junos XML configuration that may change member roles or trigger an election.

    ``configuration`` is the XML text (rooted at <configuration>); returns a list of Finding.
    """
    root = ET.fromstring(configuration)
    findings = []

    def walk(element, steps):
        names = tuple(name for name, _entry in steps)
        operation = _operation(element)
        if operation and names in ROLE_CONTAINERS:
            findings.append(Finding(steps, None, operation, ROLE_CONTAINERS[names]))
            return
        if names[:1] == ('interfaces',) and len(steps) >= 2 and (steps[1][1] or '').startswith(VCP_INTERFACE_PREFIX):
            findings.append(Finding(steps[:2], None, _operation(element) if len(steps) == 2 else None,
                                    'configures a Virtual Chassis port; taking one down can split the VC'))
            return
        reason = _role_rule(names)
        if reason and (len(element) == 0 or operation):
            findings.append(Finding(steps, None if len(element) else (element.text or '').strip(), operation, reason))
            return
        for child in element:
            name = _local(child.tag)
            if name is None or (name == 'name' and steps):
                continue
            walk(child, steps + ((name, _entry_name(child)),))

    for child in root:
        if _local(child.tag) is not None:
            walk(child, ((_local(child.tag), _entry_name(child)),))
    # One finding per statement, even when a configuration repeats it.
    unique = {}
    for finding in findings:
        unique.setdefault(finding.statement, finding)
    return list(unique.values())


def configuration_format(configuration):
    """PyEZ's load format of a configuration: Junos XML, or Junos text configuration (what DHCP ZTP hosts are given)."""
    return 'xml' if is_xml(configuration) else 'text'


def text_role_change_findings(configuration):
    """Lines of a Junos text configuration that touch the stanzas the role-change guard watches, as dicts."""
    return [{'statement': 'configuration line %d: %s' % (number, line.strip()),
             'reason': 'Junos text configuration that touches virtual-chassis, chassis redundancy or a VCP may change member roles '
                       '(text is not compared with the committed configuration)'}
            for number, line in enumerate(configuration.splitlines(), start=1) if ROLE_CHANGING_CONFIGURATION_TEXT.search(line)]


def _find_path(tree, steps):
    """The element at ``steps`` below a <configuration> element, or None."""
    element = tree
    for name, entry in steps:
        matches = [child for child in _children(element, name) if entry is None or _entry_name(child) == entry]
        if not matches:
            return None
        element = matches[0]
    return element


def in_effect(finding, committed):
    """True when the committed configuration already has what the finding asks for (so nothing changes)."""
    existing = _find_path(committed, finding.steps)
    if finding.operation == 'delete':
        return existing is None
    if finding.operation == 'replace' or finding.value is None:
        # A replaced or whole container cannot be compared statement by statement without the schema.
        return False
    return existing is not None and (existing.text or '').strip() == finding.value


def committed_filter(findings):
    """A get-configuration filter for the top-level stanzas the findings are in."""
    stanzas = sorted({finding.steps[0][0] for finding in findings})
    return '<configuration>%s</configuration>' % ''.join('<%s/>' % stanza for stanza in stanzas)


def script_interpreter(content):
    """The interpreter (with its arguments) of a script's ``#!`` line, or None when the first line is not one."""
    first_line = content.split(b'\n', 1)[0].decode('utf-8', 'replace').rstrip('\r')
    match = _INTERPRETER.match(first_line)
    return match.group(1) if match else None


def script_findings(label, content):
    """Lines of a script that may change member roles or trigger an election, as dicts."""
    findings = []
    for number, line in enumerate(content.decode('utf-8', 'replace').splitlines(), start=1):
        if ROLE_CHANGING_SCRIPT_TEXT.search(line) and not line.lstrip().startswith('#!'):
            findings.append({'statement': '%s line %d: %s' % (label, number, line.strip()),
                             'reason': 'a script that runs Virtual Chassis, mastership or switchover commands can change member roles'})
    return findings


class Script:
    """A pre- or post-configuration script read on the controller."""

    def __init__(self, stage, index, local_path, content):
        self.stage = stage
        self.index = index
        self.local_path = local_path
        self.content = content
        self.interpreter = script_interpreter(content)
        self.label = '%s_scripts[%d] (%s)' % (stage, index, local_path)
        base = _SAFE_NAME.sub('_', posixpath.basename(local_path)) or 'script'
        self.remote_path = posixpath.join(SCRIPT_DIR, 'junos-ztp-%s-%d-%s' % (stage, index, base))

    @property
    def command(self):
        """The shell command that runs the script with its own interpreter and prints its exit status last."""
        return "/bin/sh -c '%s %s 2>&1; echo %s$?'" % (self.interpreter, self.remote_path, EXIT_STATUS_MARKER)

    def problems(self):
        if self.interpreter is None:
            return ['%s: the first line must be #! and an absolute interpreter path (for example #!/bin/sh or #!/usr/bin/python3)'
                    % self.label]
        return []


def load_scripts(stage, paths, read=None):
    """Script objects for the local files of one stage, and the problems reading them."""
    scripts, problems = [], []
    for index, path in enumerate(paths or []):
        try:
            if read is None:
                with open(path, 'rb') as stream:
                    content = stream.read()
            else:
                content = read(path)
        except OSError as exc:
            problems.append('%s_scripts[%d]: cannot read %s: %s' % (stage, index, path, exc.strerror or exc))
            continue
        script = Script(stage, index, path, content)
        problems.extend(script.problems())
        scripts.append(script)
    return scripts, problems


def run_key(configuration, action, scripts):
    """What the device's state file holds after this configuration and these scripts ran to completion."""
    return json.dumps({
        'configuration': hashlib.sha256(configuration.encode('utf-8')).hexdigest(), 'action': action,
        'scripts': [[script.stage, script.local_path, hashlib.sha256(script.content).hexdigest()] for script in scripts],
    }, sort_keys=True).encode('utf-8')


def parse_script_output(reply_text):
    """(exit status or None, output without the status line) from request-shell-execute's output."""
    text = reply_text or ''
    match = _EXIT_STATUS.search(text)
    if not match:
        return None, text.strip()
    return int(match.group(1)), text[:match.start()].strip()


def validate_request(configuration, action, confirm):
    """Problems with the options themselves, found before any device is contacted."""
    problems = []
    if not configuration or not configuration.strip():
        problems.append('configuration is empty')
    elif is_script(configuration):
        problems.append('configuration is a script; give scripts as pre_scripts or post_scripts')
    elif configuration_format(configuration) == 'xml':
        problems.extend('configuration %s' % problem for problem in junos_xml_problems(configuration))
    if action not in ACTIONS:
        problems.append('action must be one of %s, got %r' % (', '.join(ACTIONS), action))
    if confirm is not None and not 1 <= confirm <= 65535:
        problems.append('confirm must be 1 to 65535 minutes, got %d' % confirm)
    return problems


class ConfigApplier:
    """Apply scripts and a configuration over an open PyEZ Device.

    ``connect()`` opens another session (the health check after ``commit confirmed``); ``report(message)``
    shows progress; nothing here talks to Ansible.
    """

    def __init__(self, device, connect=None, check_mode=False, report=lambda message: None,
                 script_timeout=300, commit_timeout=120, config=None):
        self.device = device
        self.connect = connect
        self.check_mode = check_mode
        self.report = report
        self.script_timeout = script_timeout
        self.commit_timeout = commit_timeout
        self.config = config if config is not None else Config(device)
        self.result = {'changed': False, 'committed': False, 'diff': None, 'scripts': [], 'role_change_findings': [],
                       'confirmed_minutes': None, 'health_check': None, 'scripts_due': False}

    # -- the role-change guard -----------------------------------------------------------------

    def role_changes(self, configuration, scripts):
        """Findings that would change something on this device: statements not already in effect, every flagged script line."""
        if configuration_format(configuration) == 'text':
            flagged = text_role_change_findings(configuration)
        else:
            findings = role_change_findings(configuration)
            if findings:
                committed = call_rpc(self.device, 'get_config', filter_xml=committed_filter(findings), options={'database': 'committed'})
                findings = [finding for finding in findings if not in_effect(finding, committed)]
            flagged = [finding.as_dict() for finding in findings]
        for script in scripts:
            flagged.extend(script_findings(script.label, script.content))
        return flagged

    # -- configuration -------------------------------------------------------------------------

    def _load(self, configuration, action):
        """Load into the locked candidate and return the diff against the committed configuration (None when equal)."""
        try:
            self.config.load(configuration, format=configuration_format(configuration), merge=action == 'merge',
                             ignore_warning=IGNORED_LOAD_WARNINGS)
        except DEVICE_ERRORS as exc:
            raise ApplyError('loading the configuration (%s) failed: %s' % (action, exc)) from exc
        return self.diff()

    def diff(self):
        """`show | compare` of the candidate, or None when it equals the committed configuration.

        Config.diff() would do, but it reads the reply through the session's normalisation, which
        collapses the diff's lines into one.
        """
        reply = call_rpc(self.device, 'get_configuration', {'compare': 'rollback', 'rollback': '0', 'format': 'text'}, normalize=False)
        text = reply.findtext('.//configuration-output') if reply is not None else None
        return text if text and text.strip() else None

    def _locked(self):
        return _LockedCandidate(self)

    def _commit(self, comment, confirm=None):
        options = {'comment': comment, 'timeout': self.commit_timeout}
        if confirm:
            options['confirm'] = confirm
        try:
            self.config.commit(**options)
        except DEVICE_ERRORS as exc:
            raise ApplyError('commit%s failed: %s' % (' confirmed' if confirm else '', exc)) from exc

    def _vc_state(self, device):
        """(primary member, present members) as the device reports them, or None on a device without a VC."""
        try:
            info = parse_vc_information(call_rpc(device, 'get_virtual_chassis_information'))
        except DeviceRpcError:
            return None
        present = sorted(m['member_id'] for m in info['members'] if m['status'] == 'present')
        primary = next((m['member_id'] for m in info['members'] if m['role'] == 'primary'), None)
        return {'primary_member': primary, 'present_members': present}

    def health_check(self, before):
        """After commit confirmed: a new NETCONF session opens and the VC has the same primary and members."""
        try:
            device = self.connect()
        except DeviceConnectionError as exc:
            return 'a new NETCONF session cannot be opened: %s' % exc
        try:
            after = self._vc_state(device)
        except DeviceConnectionError as exc:
            return 'the new NETCONF session dropped: %s' % exc
        finally:
            close_quietly(device)
        if before is not None and after != before:
            return 'the Virtual Chassis changed: primary %s, members %s before; primary %s, members %s after' % (
                before['primary_member'], before['present_members'], after and after['primary_member'], after and after['present_members'])
        return None

    def _commit_confirmed(self, comment, minutes):
        before = self._vc_state(self.device)
        self._commit(comment, confirm=minutes)
        self.result['confirmed_minutes'] = minutes
        self.report('committed with commit confirmed %d; checking the device before confirming' % minutes)
        problem = self.health_check(before)
        self.result['health_check'] = problem or 'passed'
        if problem:
            raise ApplyError('health check after commit confirmed failed, so the commit was NOT confirmed; '
                             'Junos rolls it back by itself within %d minute(s): %s' % (minutes, problem))
        self._commit('%s (confirming)' % comment if comment else 'confirming commit')

    # -- scripts -------------------------------------------------------------------------------

    def _state_matches(self, key):
        """True when the device's state file holds ``key``: these scripts already ran to completion with this configuration."""
        try:
            reply = call_rpc(self.device, 'get_sha256_checksum_information', path=STATE_FILE)
        except DeviceRpcError:  # no such file
            return False
        checksum = reply.findtext('.//checksum')
        return bool(checksum) and checksum.strip().lower() == hashlib.sha256(key).hexdigest()

    def _upload(self, content, remote_path):
        try:
            scp_put(self.device, io.BytesIO(content), remote_path, len(content))
        except DEVICE_ERRORS as exc:
            raise ApplyError('copying %s to the device failed: %s' % (remote_path, exc)) from exc

    def _remove(self, remote_path):
        try:
            self.device.rpc.file_delete(path=remote_path)
        except DEVICE_ERRORS:  # a leftover script in /var/tmp is harmless
            pass

    def run_script(self, script):
        """Copy a script to the device, run it with its interpreter, and fail on a non-zero exit status."""
        self.report('running %s' % script.label)
        self._upload(script.content, script.remote_path)
        try:
            reply = call_rpc(self.device, 'request_shell_execute', command=script.command, dev_timeout=self.script_timeout)
        finally:
            self._remove(script.remote_path)
        status, output = parse_script_output(''.join(reply.itertext()) if reply is not None else '')
        record = {'stage': script.stage, 'path': script.local_path, 'remote_path': script.remote_path,
                  'interpreter': script.interpreter, 'exit_status': status, 'output': output}
        self.result['scripts'].append(record)
        if status is None:
            raise ApplyError('%s: the device did not report an exit status; output: %s' % (script.label, output or '(none)'))
        if status != 0:
            raise ApplyError('%s exited with status %d; output: %s' % (script.label, status, output or '(none)'))

    # -- the stage -------------------------------------------------------------------------------

    def run(self, configuration, action='merge', scripts=(), confirm=None, comment=None, allow_role_changes=False):
        """Pre-configuration scripts, the configuration, post-configuration scripts; returns the result dict."""
        flagged = self.role_changes(configuration, scripts)
        self.result['role_change_findings'] = flagged
        if flagged and not allow_role_changes:
            raise ApplyError('refused: %d statement(s) may change Virtual Chassis member roles or trigger a new primary election '
                             'during provisioning (set allow_role_changes to apply them knowingly): %s'
                             % (len(flagged), '; '.join('%s (%s)' % (f['statement'], f['reason']) for f in flagged)))
        pre = [script for script in scripts if script.stage == 'pre']
        post = [script for script in scripts if script.stage == 'post']
        key = run_key(configuration, action, scripts)
        scripts_due = bool(scripts) and not self._state_matches(key)
        self.result['scripts_due'] = scripts_due

        with self._locked() as candidate:
            diff = self.result['diff'] = self._load(configuration, action)
            if diff and self.check_mode:
                self._commit_check()
            elif diff and not (scripts_due and pre):
                candidate.commit(comment, confirm)
        self.result['changed'] = bool(diff) or scripts_due
        if self.check_mode or not scripts_due:
            return self.result

        for script in pre:
            self.run_script(script)
        if pre:
            # Loaded again: the pre-configuration scripts may have changed the configuration themselves.
            with self._locked() as candidate:
                diff = self.result['diff'] = self._load(configuration, action)
                if diff:
                    candidate.commit(comment, confirm)
        for script in post:
            self.run_script(script)
        self._upload(key, STATE_FILE)
        return self.result

    def _commit_check(self):
        try:
            self.config.commit_check()
        except DEVICE_ERRORS as exc:
            raise ApplyError('commit check failed: %s' % exc) from exc


class _LockedCandidate:
    """The candidate under an exclusive lock; on leaving, anything not committed is rolled back and the lock released."""

    def __init__(self, applier):
        self.applier = applier

    def __enter__(self):
        try:
            self.applier.config.lock()
        except DEVICE_ERRORS as exc:  # another session holds the lock, or the shared candidate is modified
            raise ApplyError('cannot lock the configuration: %s' % exc) from exc
        return self

    def commit(self, comment, confirm):
        if confirm:
            self.applier._commit_confirmed(comment, confirm)
        else:
            self.applier._commit(comment)
        self.applier.result['committed'] = True

    def __exit__(self, exc_type, exc, traceback):
        # A committed candidate equals the committed configuration, so the rollback is a no-op then.
        for step in (self.applier.config.rollback, self.applier.config.unlock):
            try:
                step()
            except DEVICE_ERRORS:  # the session may be gone; Junos drops a dead session's lock and candidate with it
                if exc_type is None:
                    raise
        return False
