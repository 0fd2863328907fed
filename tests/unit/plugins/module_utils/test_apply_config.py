"""apply_config: the role-change guard, scripts, and the load/commit flow against a fake device and candidate."""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

import pytest
from jnpr.junos.exception import CommitError, ConfigLoadError, LockError, RpcError
from lxml import etree

from ansible_collections.junos.ztp.plugins.module_utils._apply_config import (
    STATE_FILE, ApplyError, ConfigApplier, Script, committed_filter, configuration_format, in_effect, load_scripts, parse_script_output,
    role_change_findings, run_key, script_findings, script_interpreter, text_role_change_findings, validate_request)
from ansible_collections.junos.ztp.plugins.module_utils._connection import DeviceConnectionError
from unit.fixtures.vc_replies import reply

HOSTNAME = '<configuration><system><host-name>ams1-vc1</host-name></system></configuration>'


def statements(configuration):
    return [finding.statement for finding in role_change_findings(configuration)]


# -- the guard: configuration -----------------------------------------------------------------------

def test_a_site_configuration_is_not_flagged():
    assert statements('<configuration><system><host-name>a</host-name><autoinstallation delete="delete"/></system>'
                      '<interfaces><interface><name>ge-0/0/0</name><disable/></interface></interfaces></configuration>') == []


def test_each_role_changing_statement_is_flagged_with_its_path():
    found = role_change_findings(
        '<configuration><virtual-chassis><preprovisioned/><no-split-detection/>'
        '<member><name>0</name><role>routing-engine</role><serial-number>PE1</serial-number><location>rack 1</location></member>'
        '<member><name>2</name><mastership-priority>255</mastership-priority></member></virtual-chassis>'
        '<chassis><redundancy><graceful-switchover/></redundancy><aggregated-devices/></chassis></configuration>')
    assert [f.statement for f in found] == [
        'set virtual-chassis preprovisioned',
        'set virtual-chassis no-split-detection',
        'set virtual-chassis member 0 role routing-engine',
        'set virtual-chassis member 0 serial-number PE1',
        'set virtual-chassis member 2 mastership-priority 255',
        'set chassis redundancy graceful-switchover',
    ]
    assert all(f.reason for f in found)


def test_deleting_or_replacing_the_stanzas_that_hold_roles_is_flagged():
    assert statements('<configuration><virtual-chassis delete="delete"/></configuration>') == ['delete virtual-chassis']
    assert statements('<configuration><virtual-chassis><member operation="delete"><name>3</name></member></virtual-chassis>'
                      '</configuration>') == ['delete virtual-chassis member 3']
    assert statements('<configuration><chassis replace="replace"><alarm/></chassis></configuration>') == ['replace chassis']
    assert statements('<configuration><virtual-chassis><member><name>1</name><role delete="delete"/></member></virtual-chassis>'
                      '</configuration>') == ['delete virtual-chassis member 1 role']


def test_a_vcp_interface_is_flagged_and_other_interfaces_are_not():
    assert statements('<configuration><interfaces><interface><name>vcp-255/1/0</name><disable/></interface>'
                      '<interface><name>xe-0/2/0</name><disable/></interface></interfaces></configuration>') == [
        'set interfaces interface vcp-255/1/0']


def test_namespaced_configuration_is_understood():
    assert statements('<configuration xmlns="http://xml.juniper.net/xnm/1.1/xnm"><virtual-chassis><preprovisioned/>'
                      '</virtual-chassis></configuration>') == ['set virtual-chassis preprovisioned']


def test_statements_the_device_already_has_change_nothing():
    committed = etree.fromstring(
        '<configuration><virtual-chassis><no-split-detection/><member><name>0</name><mastership-priority>255</mastership-priority>'
        '</member></virtual-chassis></configuration>')
    found = {f.statement: f for f in role_change_findings(
        '<configuration><virtual-chassis><no-split-detection/><member><name>0</name><mastership-priority>255</mastership-priority>'
        '</member><member><name>1</name><mastership-priority>255</mastership-priority></member>'
        '<member delete="delete"><name>5</name></member><member delete="delete"><name>0</name></member></virtual-chassis></configuration>')}
    assert {statement: in_effect(f, committed) for statement, f in found.items()} == {
        'set virtual-chassis no-split-detection': True,
        'set virtual-chassis member 0 mastership-priority 255': True,
        'set virtual-chassis member 1 mastership-priority 255': False,
        'delete virtual-chassis member 5': True,
        'delete virtual-chassis member 0': False,
    }


def test_the_committed_filter_reads_only_the_stanzas_involved():
    found = role_change_findings('<configuration><virtual-chassis><preprovisioned/></virtual-chassis>'
                                 '<chassis><redundancy/></chassis></configuration>')
    assert committed_filter(found) == '<configuration><chassis/><virtual-chassis/></configuration>'


# -- the guard: scripts -----------------------------------------------------------------------------

def test_script_lines_that_touch_roles_are_flagged_with_their_line_numbers():
    content = b'#!/bin/sh\necho start\ncli -c "request virtual-chassis vc-port set pic-slot 1 port 0"\n' \
              b'cli -c "request chassis routing-engine master switch"\nexit 0\n'
    assert [f['statement'] for f in script_findings('pre_scripts[0] (x.sh)', content)] == [
        'pre_scripts[0] (x.sh) line 3: cli -c "request virtual-chassis vc-port set pic-slot 1 port 0"',
        'pre_scripts[0] (x.sh) line 4: cli -c "request chassis routing-engine master switch"',
    ]
    assert script_findings('x', b'#!/bin/sh\necho ok\n') == []


@pytest.mark.parametrize('first_line, interpreter', [
    (b'#!/bin/sh', '/bin/sh'),
    (b'#!/usr/bin/python3', '/usr/bin/python3'),
    (b'#! /usr/libexec/ui/cscript', '/usr/libexec/ui/cscript'),
    (b'#!/usr/bin/env python3', '/usr/bin/env python3'),
    (b'#!/bin/sh\r', '/bin/sh'),
    (b'echo no shebang', None),
    (b'#!sh', None),
    (b"#!/bin/sh -c 'x'", None),
])
def test_the_interpreter_comes_from_the_first_line(first_line, interpreter):
    assert script_interpreter(first_line + b'\necho hi\n') == interpreter


def test_a_script_runs_through_its_interpreter_and_prints_its_exit_status():
    script = Script('post', 1, '/srv/scripts/check uplinks!.py', b'#!/usr/bin/python3\nprint(1)\n')
    assert script.remote_path == '/var/tmp/junos-ztp-post-1-check_uplinks_.py'
    assert script.command == "/bin/sh -c '/usr/bin/python3 /var/tmp/junos-ztp-post-1-check_uplinks_.py 2>&1; echo junos-ztp-exit-status=$?'"


def test_scripts_without_interpreter_or_unreadable_are_problems(tmp_path):
    good = tmp_path / 'good.sh'
    good.write_bytes(b'#!/bin/sh\nexit 0\n')
    bad = tmp_path / 'bad.sh'
    bad.write_bytes(b'echo hi\n')
    scripts, problems = load_scripts('pre', [str(good), str(bad), str(tmp_path / 'missing.sh')])
    assert [s.local_path for s in scripts] == [str(good), str(bad)]
    assert len(problems) == 2
    assert problems[0].startswith('pre_scripts[1] (%s): the first line must be #!' % bad)
    assert problems[1].startswith('pre_scripts[2]: cannot read %s' % (tmp_path / 'missing.sh'))


@pytest.mark.parametrize('text, status, output', [
    ('hello\nworld\njunos-ztp-exit-status=0\n', 0, 'hello\nworld'),
    ('junos-ztp-exit-status=3', 3, ''),
    ('boom\njunos-ztp-exit-status=127\n  ', 127, 'boom'),
    ('sh: permission denied\n', None, 'sh: permission denied'),
    ('', None, ''),
])
def test_the_exit_status_is_read_from_the_last_line(text, status, output):
    assert parse_script_output(text) == (status, output)


def test_the_run_key_changes_with_configuration_action_and_scripts():
    pre = Script('pre', 0, '/a.sh', b'#!/bin/sh\nexit 0\n')
    keys = {run_key(HOSTNAME, 'merge', [pre]), run_key(HOSTNAME, 'replace', [pre]), run_key(HOSTNAME + ' ', 'merge', [pre]),
            run_key(HOSTNAME, 'merge', [Script('pre', 0, '/a.sh', b'#!/bin/sh\nexit 1\n')]), run_key(HOSTNAME, 'merge', [])}
    assert len(keys) == 5
    assert b'exit 0' not in run_key(HOSTNAME, 'merge', [pre])


@pytest.mark.parametrize('configuration, action, confirm, problem', [
    ('', 'merge', None, 'configuration is empty'),
    ('<config/>', 'merge', None, 'configuration must be rooted at <configuration>, got <config>'),
    ('<configuration>', 'merge', None, 'configuration is not well-formed XML'),
    (HOSTNAME, 'override', None, "action must be one of merge, replace, got 'override'"),
    (HOSTNAME, 'merge', 0, 'confirm must be 1 to 65535 minutes, got 0'),
])
def test_bad_requests_are_refused_before_any_device_is_contacted(configuration, action, confirm, problem):
    assert any(p.startswith(problem) for p in validate_request(configuration, action, confirm))
    assert validate_request(HOSTNAME, 'replace', 10) == []


def test_junos_text_configuration_is_accepted_loaded_as_text_and_scanned_line_by_line():
    text = 'system {\n    host-name sw1;\n}\nvirtual-chassis {\n    member 0 {\n        role routing-engine;\n    }\n}\n'
    assert validate_request(text, 'merge', None) == []
    assert (configuration_format(text), configuration_format(HOSTNAME)) == ('text', 'xml')
    assert [finding['statement'] for finding in text_role_change_findings(text)] == ['configuration line 4: virtual-chassis {']
    assert validate_request('#!/bin/sh\nexit 0\n', 'merge', None) == ['configuration is a script; give scripts as pre_scripts or post_scripts']


# -- the flow ---------------------------------------------------------------------------------------

class FakeConfig:
    """Stands for PyEZ's Config: a committed configuration string and a candidate, with the calls recorded."""

    def __init__(self, device, committed='old'):
        self.device = device
        device.config = self
        self.committed = committed
        self.candidate = committed
        self.locked = False
        self.fail = {}

    def _step(self, name):
        self.device.log.append(name)
        if name in self.fail:
            raise self.fail[name]

    def lock(self):
        self._step('lock')
        self.locked = True

    def unlock(self):
        self._step('unlock')
        self.locked = False

    def load(self, configuration, format, merge, ignore_warning):  # pylint: disable=redefined-builtin
        self._step('load %s' % ('merge' if merge else 'replace'))
        assert self.locked and format == 'xml' and ignore_warning == ['statement not found']
        self.candidate = configuration

    def commit(self, comment=None, timeout=None, confirm=None):
        self._step('commit confirmed %d' % confirm if confirm else 'commit')
        self.committed = self.candidate

    def commit_check(self):
        self._step('commit check')

    def rollback(self):
        self._step('rollback')
        self.candidate = self.committed


class FakeDevice:
    """Answers the RPCs apply_config sends: committed configuration, state file checksum, shell execute, VC reads."""

    hostname = '192.0.2.11'
    timeout = 30

    def __init__(self, committed='<configuration/>', script_status=0):
        self.log = []
        self.files = {}
        self.committed = committed
        self.script_status = script_status
        self.rpc = self

    def get_config(self, filter_xml, options):
        self.log.append('get-configuration')
        return etree.fromstring(self.committed)

    def get_configuration(self, attributes, normalize):
        assert attributes == {'compare': 'rollback', 'rollback': '0', 'format': 'text'} and normalize is False
        candidate, committed = self.config.candidate, self.config.committed
        output = '\n' if candidate == committed else '[edit]\n- %s\n+ %s\n' % (committed, candidate)
        return etree.fromstring('<configuration-information><configuration-output>%s</configuration-output></configuration-information>'
                                % escape(output))

    def get_sha256_checksum_information(self, path):
        if path not in self.files:
            raise RpcError(rsp=etree.fromstring('<rpc-error><error-message>%s: No such file or directory</error-message></rpc-error>' % path))
        return etree.fromstring('<checksum-information><file-checksum><checksum>%s</checksum></file-checksum></checksum-information>'
                                % hashlib.sha256(self.files[path]).hexdigest())

    def request_shell_execute(self, command, dev_timeout):
        path = command.split()[3]
        self.log.append('run %s' % path)
        return etree.fromstring('<output>ran %s\njunos-ztp-exit-status=%d\n</output>' % (path, self.script_status))

    def file_delete(self, path):
        self.files.pop(path, None)

    def get_virtual_chassis_information(self):
        return reply('ring4', 'get_virtual_chassis_information')

    def close(self):
        pass


class FakeApplier(ConfigApplier):
    def _upload(self, content, remote_path):
        self.device.files[remote_path] = content
        if remote_path != STATE_FILE:
            self.device.log.append('upload %s' % remote_path)


def applier(device=None, check_mode=False, connect=None, committed=HOSTNAME.replace('ams1-vc1', 'old')):
    device = device or FakeDevice()
    config = FakeConfig(device, committed=committed)
    return FakeApplier(device, connect=connect or (lambda: device), check_mode=check_mode, config=config)


def scripts(*stages):
    return [Script(stage, index, '/s/%s%d.sh' % (stage, index), b'#!/bin/sh\nexit 0\n') for index, stage in enumerate(stages)]


def test_a_changed_configuration_is_committed_and_the_lock_always_released():
    subject = applier()
    result = subject.run(HOSTNAME, 'merge')
    assert subject.device.log == ['lock', 'load merge', 'commit', 'rollback', 'unlock']
    assert result['changed'] and result['committed'] and 'ams1-vc1' in result['diff']


def test_an_equal_configuration_commits_nothing():
    subject = applier(committed=HOSTNAME)
    result = subject.run(HOSTNAME, 'replace')
    assert subject.device.log == ['lock', 'load replace', 'rollback', 'unlock']
    assert not result['changed'] and not result['committed'] and result['diff'] is None


def test_check_mode_runs_commit_check_and_rolls_back():
    subject = applier(check_mode=True)
    result = subject.run(HOSTNAME, 'merge', scripts('pre', 'post'))
    assert subject.device.log == ['lock', 'load merge', 'commit check', 'rollback', 'unlock']
    assert result['changed'] and not result['committed'] and result['scripts_due'] and result['scripts'] == []


def test_pre_scripts_run_before_the_configuration_and_post_scripts_after():
    subject = applier()
    result = subject.run(HOSTNAME, 'merge', scripts('pre', 'pre', 'post'))
    assert subject.device.log == [
        'lock', 'load merge', 'rollback', 'unlock',                 # does the configuration differ?
        'upload /var/tmp/junos-ztp-pre-0-pre0.sh', 'run /var/tmp/junos-ztp-pre-0-pre0.sh',
        'upload /var/tmp/junos-ztp-pre-1-pre1.sh', 'run /var/tmp/junos-ztp-pre-1-pre1.sh',
        'lock', 'load merge', 'commit', 'rollback', 'unlock',
        'upload /var/tmp/junos-ztp-post-2-post2.sh', 'run /var/tmp/junos-ztp-post-2-post2.sh',
    ]
    assert [(s['stage'], s['exit_status'], s['output']) for s in result['scripts']] == [
        ('pre', 0, 'ran /var/tmp/junos-ztp-pre-0-pre0.sh'), ('pre', 0, 'ran /var/tmp/junos-ztp-pre-1-pre1.sh'),
        ('post', 0, 'ran /var/tmp/junos-ztp-post-2-post2.sh')]
    assert set(subject.device.files) == {STATE_FILE}, 'scripts are removed, the state file stays'


def test_scripts_that_ran_to_completion_do_not_run_again():
    device = FakeDevice()
    applier(device).run(HOSTNAME, 'merge', scripts('pre', 'post'))
    again = applier(device, committed=HOSTNAME)
    result = again.run(HOSTNAME, 'merge', scripts('pre', 'post'))
    assert not result['changed'] and not result['scripts_due'] and result['scripts'] == []


def test_scripts_run_again_when_the_last_run_did_not_complete_them_even_with_nothing_to_commit():
    device = FakeDevice(script_status=1)
    with pytest.raises(ApplyError, match=r'post_scripts\[0\] \(/s/post0.sh\) exited with status 1; output: ran /var/tmp/'):
        applier(device).run(HOSTNAME, 'merge', scripts('post'))
    assert STATE_FILE not in device.files
    device.script_status = 0
    device.log.clear()
    result = applier(device, committed=HOSTNAME).run(HOSTNAME, 'merge', scripts('post'))
    assert result['changed'] and not result['committed']
    assert device.log == ['lock', 'load merge', 'rollback', 'unlock', 'upload /var/tmp/junos-ztp-post-0-post0.sh',
                          'run /var/tmp/junos-ztp-post-0-post0.sh']


def test_a_failing_pre_script_stops_before_the_configuration():
    device = FakeDevice(script_status=2)
    subject = applier(device)
    with pytest.raises(ApplyError, match='exited with status 2'):
        subject.run(HOSTNAME, 'merge', scripts('pre', 'post'))
    assert 'commit' not in device.log and not any('post' in step for step in device.log)
    assert subject.result['scripts'][-1]['exit_status'] == 2


def test_a_load_error_rolls_back_and_unlocks():
    subject = applier()
    subject.config.fail['load merge'] = ConfigLoadError(etree.fromstring(
        '<rpc-error><error-severity>error</error-severity><error-message>syntax error</error-message></rpc-error>'))
    with pytest.raises(ApplyError, match='loading the configuration \\(merge\\) failed'):
        subject.run(HOSTNAME, 'merge')
    assert subject.device.log[-2:] == ['rollback', 'unlock'] and not subject.config.locked


def test_a_commit_error_rolls_back_and_unlocks():
    subject = applier()
    subject.config.fail['commit'] = CommitError(etree.fromstring(
        '<rpc-error><error-severity>error</error-severity><error-message>mgd: commit failed</error-message></rpc-error>'))
    with pytest.raises(ApplyError, match='commit failed'):
        subject.run(HOSTNAME, 'merge')
    assert subject.device.log[-2:] == ['rollback', 'unlock'] and not subject.result['committed']


def test_a_locked_database_is_reported():
    subject = applier()
    subject.config.fail['lock'] = LockError(etree.fromstring(
        '<rpc-error><error-severity>error</error-severity><error-message>configuration database locked by another session</error-message></rpc-error>'))
    with pytest.raises(ApplyError, match='cannot lock the configuration'):
        subject.run(HOSTNAME, 'merge')


def test_role_changes_are_refused_before_anything_is_loaded():
    device = FakeDevice()
    subject = applier(device)
    configuration = '<configuration><virtual-chassis><member><name>2</name><mastership-priority>255</mastership-priority></member>' \
                    '</virtual-chassis></configuration>'
    with pytest.raises(ApplyError, match=r'refused: 1 statement\(s\).*set virtual-chassis member 2 mastership-priority 255'):
        subject.run(configuration, 'merge')
    assert device.log == ['get-configuration']
    assert subject.result['role_change_findings'][0]['statement'] == 'set virtual-chassis member 2 mastership-priority 255'


def test_role_changes_already_in_effect_pass_and_knowing_ones_are_applied():
    configuration = '<configuration><virtual-chassis><member><name>2</name><mastership-priority>255</mastership-priority></member>' \
                    '</virtual-chassis></configuration>'
    device = FakeDevice(committed=configuration)
    assert applier(device).run(configuration, 'merge')['role_change_findings'] == []
    flagged = applier(FakeDevice()).run(configuration, 'merge', scripts('pre'), allow_role_changes=True)
    assert flagged['committed'] and len(flagged['role_change_findings']) == 1


def test_a_flagged_script_line_is_refused():
    script = Script('post', 0, '/s/vc.sh', b'#!/bin/sh\ncli -c "request virtual-chassis recovery"\n')
    with pytest.raises(ApplyError, match=r'post_scripts\[0\] \(/s/vc.sh\) line 2'):
        applier().run(HOSTNAME, 'merge', [script])


def test_commit_confirmed_is_confirmed_after_the_health_check():
    subject = applier()
    result = subject.run(HOSTNAME, 'merge', confirm=5)
    assert subject.device.log == ['lock', 'load merge', 'commit confirmed 5', 'commit', 'rollback', 'unlock']
    assert result['confirmed_minutes'] == 5 and result['health_check'] == 'passed'


def test_a_failed_health_check_leaves_the_commit_unconfirmed():
    def unreachable():
        raise DeviceConnectionError('cannot open a NETCONF session to 192.0.2.11:830: timeout')

    subject = applier(connect=unreachable)
    with pytest.raises(ApplyError, match='NOT confirmed; Junos rolls it back by itself within 5 minute'):
        subject.run(HOSTNAME, 'merge', confirm=5)
    assert subject.device.log == ['lock', 'load merge', 'commit confirmed 5', 'rollback', 'unlock']
    assert subject.result['health_check'].startswith('a new NETCONF session cannot be opened')


def test_a_changed_primary_fails_the_health_check():
    moved = FakeDevice()
    moved.get_virtual_chassis_information = lambda: _with_primary(reply('ring4', 'get_virtual_chassis_information'))
    subject = applier(connect=lambda: moved)
    with pytest.raises(ApplyError, match='the Virtual Chassis changed: primary'):
        subject.run(HOSTNAME, 'merge', confirm=1)


def _with_primary(information):
    """The ring4 reply with the primary and backup roles swapped."""
    for role in information.iter('member-role'):
        role.text = {'Master*': 'Backup', 'Master': 'Backup', 'Backup': 'Master*'}.get(role.text, role.text)
    return information
