"""Phone-home records: the digest of what they are rendered from, and the manifest that tells, with stat only, that they are untouched."""

from __future__ import annotations

import copy
import datetime
import json
import os

import pytest

from ansible_collections.junos.ztp.plugins.module_utils._phs_records import inputs_digest, renderer_version
from ansible_collections.junos.ztp.plugins.module_utils._versioned_dir import MANIFEST, Current, digests, read_tree, write_version
from phs_fixtures import HOSTS, PRE_SCRIPT

RENDERER = renderer_version()
OPTIONS = (False, None)


class Controller:
    """The controller side the action gives inputs_digest: files as find_controller_file finds them, rendered configurations."""

    def __init__(self):
        self.files = {('files', '/scripts/pre.sh'): PRE_SCRIPT, ('files', '/scripts/post.py'): b'#!/usr/bin/env python3\n'}
        self.rendered = []

    def controller_file(self, directory, path, read):
        if (directory, path) not in self.files:
            return None, 'no file %s on the controller' % path
        return (self.files[(directory, path)] if read else None), None

    def configuration(self, host, configuration):
        self.rendered.append(host)
        return configuration.get('content') or 'rendered %s' % configuration.get('template'), []


def _digest(hosts=None, controller=None, options=OPTIONS, renderer=RENDERER):
    controller = controller or Controller()
    return inputs_digest(renderer, options, copy.deepcopy(HOSTS) if hosts is None else hosts, controller.controller_file, controller.configuration)


def _changed(change):
    hosts = copy.deepcopy(HOSTS)
    change(hosts)
    return _digest(hosts)


def test_the_digest_is_reproducible_and_follows_every_input():
    same = _digest()
    assert same == _digest() and len(same) == 64
    assert _digest(options=(True, None)) != same and _digest(options=(False, 'phs')) != same
    assert _digest(renderer=renderer_version(__file__)) != same  # other code renders other records
    assert _changed(lambda h: h['vc-minimum'].update(ztp_member_detection_timeout=601)) != same
    assert _changed(lambda h: h['vc-full-strict']['ztp_members'][1].update(role='routing-engine')) != same
    assert _changed(lambda h: h['standalone']['ztp_configuration'].update(content='<configuration/>')) != same
    assert _changed(lambda h: h.pop('standalone-no-image')) != same  # a host less: serials and the index change


def test_the_digest_follows_the_controller_files_the_records_carry_and_those_the_inventory_names():
    same = _digest()
    edited = Controller()
    edited.files[('files', '/scripts/pre.sh')] = b'#!/bin/sh\necho other\n'
    assert _digest(controller=edited) != same  # an embedded script's contents
    gone = Controller()
    del gone.files[('files', '/scripts/post.py')]
    assert _digest(controller=gone) != same  # validation would now fail: the file is missing
    image = copy.deepcopy(HOSTS)
    image['standalone']['ztp_software'] = dict(image['standalone']['ztp_software'], images=[
        dict(image['standalone']['ztp_software']['images'][0], local_path='/images/a.tgz')])
    here = Controller()
    here.files[('files', '/images/a.tgz')] = b'image'
    assert _digest(image, here) != _digest(copy.deepcopy(image))  # only whether it is there counts, it is never read


def test_the_digest_follows_each_phone_home_configuration_as_rendered_not_dhcp_ztp_hosts():
    templated = copy.deepcopy(HOSTS)
    templated['standalone']['ztp_configuration'] = {'template': '~/site.xml.j2'}
    templated['dhcp'] = {'ztp_bootstrap_method': 'dhcp-ztp', 'ztp_members': [{'serial_number': 'D1'}], 'ztp_configuration': {'template': 'd.j2'}}
    controller = Controller()
    first = _digest(templated, controller)
    assert 'dhcp' not in controller.rendered and 'standalone' in controller.rendered

    class OtherOutput(Controller):
        def configuration(self, host, configuration):
            assert configuration['template'] == os.path.expanduser('~/site.xml.j2') if host == 'standalone' else True  # the normalized path
            return ('other' if host == 'standalone' else super().configuration(host, configuration)[0]), []
    assert _digest(copy.deepcopy(templated), OtherOutput()) != first  # same variables, the template renders other text


def test_variables_not_shaped_as_the_data_model_give_no_digest():
    assert _changed(lambda h: h['vc-full-strict'].update(ztp_scripts=['not', 'a', 'mapping'])) is None
    assert _changed(lambda h: h['standalone'].update(ztp_software={'images': 'none'})) is None


FILES = {'index.json': b'{}\n', 'devices/A.xml': b'<a/>\n', 'devices/A.json': b'{"a": 1}\n'}
STATE = {'inputs': 'a' * 64, 'summary': {'hosts': ['h'], 'skipped_hosts': [], 'warnings': []}}
TIMES = [datetime.datetime(2026, 1, 1, 0, 0, i, tzinfo=datetime.timezone.utc) for i in range(4)]


def _after_the_clock_ticks(directory, written):
    """Wait until a file changed now gets a later change time than the files just written (the kernel's clock is coarse)."""
    latest = max(os.stat(directory / name).st_ctime_ns for name in written)
    probe = directory.parent / 'probe'
    for _attempt in range(1000000):
        probe.write_bytes(b'')
        if probe.stat().st_ctime_ns > latest:
            return
    raise AssertionError('the file system clock did not move')


@pytest.fixture(name='dest')
def _dest(tmp_path):
    dest = tmp_path / 'records'
    write_version(str(dest), FILES, now=TIMES[0], state=STATE)
    _after_the_clock_ticks(dest, FILES)  # so that a change by hand shows in the change time
    return dest


def test_a_written_version_is_untouched_and_keeps_its_state_beside_the_records(dest):
    current = Current(str(dest))
    assert current.untouched and current.state == STATE
    assert read_tree(str(dest)) == FILES  # the manifest is not one of the records
    manifest = json.loads((dest / MANIFEST).read_bytes())
    assert {path: entry[0] for path, entry in manifest['files'].items()} == digests(FILES)
    assert current.changes(digests(FILES)) == {'added': [], 'removed': [], 'modified': []}


@pytest.mark.parametrize('touch', [
    pytest.param(lambda d: (d / 'devices' / 'A.xml').write_bytes(b'<b/>\n'), id='edited, same size'),
    pytest.param(lambda d: (d / 'devices' / 'A.json').unlink(), id='removed'),
    pytest.param(lambda d: (d / 'devices' / 'B.xml').write_bytes(b'<b/>\n'), id='added'),
    pytest.param(lambda d: os.chmod(d / 'index.json', 0o600), id='chmod'),
    pytest.param(lambda d: (d / 'devices' / 'A.xml').rename(d / 'devices' / 'A.xml.old') or (d / 'devices' / 'A.xml.old').rename(
        d / 'devices' / 'A.xml'), id='renamed away and back'),
])
def test_a_record_touched_by_hand_is_noticed_with_stat(dest, touch):
    touch(dest)
    current = Current(str(dest))
    assert not current.untouched and current.state is None


def test_an_edit_that_puts_the_modification_time_back_is_noticed_by_the_change_time(dest):
    record = dest / 'devices' / 'A.xml'
    before = record.stat()
    record.write_bytes(b'<c/>\n')
    os.utime(record, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert record.stat().st_mtime_ns == before.st_mtime_ns and record.stat().st_size == before.st_size
    assert not Current(str(dest)).untouched


def test_a_hand_edited_record_is_read_compared_and_rewritten(dest):
    (dest / 'devices' / 'A.xml').write_bytes(b'<x/>\n')
    current = Current(str(dest))
    changes = current.changes(digests(FILES))
    assert changes == {'added': [], 'removed': [], 'modified': ['devices/A.xml']}
    result = current.update(FILES, True, STATE)
    assert result['version'] != current.version and read_tree(str(dest)) == FILES
    assert Current(str(dest)).state == STATE


def test_the_same_records_from_other_inputs_only_update_the_manifest(dest):
    version = os.path.realpath(dest)
    inodes = {name: (dest / name).stat().st_ino for name in FILES}
    other = dict(STATE, inputs='b' * 64)
    current = Current(str(dest))
    assert current.update(FILES, any(current.changes(digests(FILES)).values()), other) == {}
    assert os.path.realpath(dest) == version and {name: (dest / name).stat().st_ino for name in FILES} == inodes
    assert Current(str(dest)).state == other
    # Touched and put back: the files are read once, the manifest records them as they are now.
    os.chmod(dest / 'index.json', 0o600)
    os.chmod(dest / 'index.json', 0o640)
    current = Current(str(dest))
    assert current.state is None and current.update(FILES, False, other) == {}
    assert Current(str(dest)).state == other and os.path.realpath(dest) == version


def test_a_version_without_a_manifest_is_never_untouched(tmp_path):
    write_version(str(tmp_path / 'records'), FILES, now=TIMES[1])
    current = Current(str(tmp_path / 'records'))
    assert not current.untouched and current.state is None
    assert current.changes(digests(FILES)) == {'added': [], 'removed': [], 'modified': []}
    (tmp_path / 'records' / MANIFEST).write_text('not json')
    assert Current(str(tmp_path / 'records')).state is None
    assert Current(str(tmp_path / 'absent')).state is None and Current(str(tmp_path / 'absent')).files == {}


def test_a_symbolic_link_put_among_the_records_is_a_change(dest, tmp_path):
    (dest / 'devices' / 'elsewhere').symlink_to(tmp_path)
    current = Current(str(dest))
    assert not current.untouched and current.changes(digests(FILES)) == {'added': [], 'removed': ['devices/elsewhere'], 'modified': []}
