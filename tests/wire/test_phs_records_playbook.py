"""junos.ztp.phs_records over a real ansible-playbook run: golden records, check mode, idempotence, bad input.

JUNOS_ZTP_UPDATE_GOLDEN=1 rewrites tests/golden/phs/ from the example inventory.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import yaml

from ansible_collections.junos.ztp.plugins.module_utils._versioned_dir import MANIFEST
from playbook import REPO, run_playbook

EXAMPLE = REPO / 'playbooks' / 'inventory' / 'example'
GOLDEN = REPO / 'tests' / 'golden' / 'phs'
LOCAL = {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}


def _render(tmp_path, dest, inventory=EXAMPLE / 'hosts.yml', check=False, diff=False):
    task = {'name': 'Records', 'junos.ztp.phs_records': {'dest': str(dest)}}
    run = run_playbook(tmp_path, [task], LOCAL, check=check, diff=diff, extra_args=['-i', str(inventory)], play={'hosts': 'localhost'})
    return run, run.task('Records')


def _copy_example(tmp_path):
    """The example inventory and its templates, to edit; returns the inventory directory."""
    shutil.copytree(REPO / 'playbooks', tmp_path / 'playbooks')
    return tmp_path / 'playbooks' / 'inventory' / 'example'


def _tree(path):
    """The records under path (the manifest the module keeps beside them aside)."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(Path(path).rglob('*')) if p.is_file() and p.name != MANIFEST}


def test_example_inventory_matches_golden_records(tmp_path):
    dest = tmp_path / 'records'
    run, result = _render(tmp_path, dest)
    assert run.returncode == 0, run.output[-3000:]
    assert result['result']['changed'] is True
    assert result['result']['hosts'] == ['ams1-vc1', 'ams1-vc2']
    assert result['result']['skipped_hosts'] == ['ams1-sw1']  # dhcp-ztp: validated, no record
    assert result['result']['records'] == 8  # every member serial of both Virtual Chassis
    rendered = _tree(dest)
    if os.environ.get('JUNOS_ZTP_UPDATE_GOLDEN') == '1':
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(dest, GOLDEN, ignore=shutil.ignore_patterns(MANIFEST))
    assert rendered == _tree(GOLDEN), 'records differ from tests/golden/phs (JUNOS_ZTP_UPDATE_GOLDEN=1 rewrites them)'


def test_check_mode_writes_nothing_and_second_run_changes_nothing(tmp_path):
    dest = tmp_path / 'records'
    run, result = _render(tmp_path, dest, check=True, diff=True)
    assert run.returncode == 0, run.output[-3000:]
    assert result['result']['changed'] is True and 'devices/PE3714100218.xml' in result['result']['added']
    assert not os.path.lexists(dest) and list(tmp_path.glob('records*')) == []
    assert any(d.get('after_header') == 'devices/PE3714100218.xml' for d in result['result']['diff'])

    _render(tmp_path, dest)
    first_version = os.path.realpath(dest)
    written = _stats(dest)
    run, result = _render(tmp_path, dest)
    assert result['result']['changed'] is False and os.path.realpath(dest) == first_version
    assert result['result']['rendered'] is False  # the same inputs, the records untouched: nothing validated or rendered
    assert _stats(dest) == written  # nothing written, the manifest included
    assert result['result']['hosts'] == ['ams1-vc1', 'ams1-vc2'] and result['result']['records'] == 8
    run, result = _render(tmp_path, dest, check=True, diff=True)
    assert result['result']['changed'] is False and result['result']['rendered'] is False and _stats(dest) == written


def _stats(dest):
    """(inode, size, mtime, ctime) of every file of the current version, the manifest included."""
    return {p.name: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_ctime_ns) for p in Path(dest).resolve().rglob('*')}


def _manifest_inputs(dest):
    return json.loads((Path(dest) / MANIFEST).read_bytes())['state']['inputs']


def test_records_touched_by_hand_are_written_again_and_other_inputs_with_the_same_records_change_nothing(tmp_path):
    inventory = _copy_example(tmp_path)
    dest = tmp_path / 'records'
    _render(tmp_path, dest, inventory / 'hosts.yml')
    golden = _tree(dest)
    (dest / 'devices' / 'PE3714100218.xml').write_bytes(b'<device/>\n')
    (dest / 'devices' / 'PE3714100759.json').unlink()
    run, result = _render(tmp_path, dest, inventory / 'hosts.yml')
    assert run.returncode == 0, run.output[-3000:]
    assert result['result']['changed'] is True and result['result']['rendered'] is True
    assert (result['result']['added'], result['result']['modified']) == (['devices/PE3714100759.json'], ['devices/PE3714100218.xml'])
    assert _tree(dest) == golden
    # A variable the records do not carry (the management address, for DHCP): the fleet is rendered again, the
    # records are the same, so nothing changes but the manifest, which now names these inputs.
    before, version = _manifest_inputs(dest), os.path.realpath(dest)
    vc1 = inventory / 'host_vars' / 'ams1-vc1.yml'
    vc1.write_text(vc1.read_text().replace('ipv4_address: 10.10.0.11', 'ipv4_address: 10.10.0.111'))
    run, result = _render(tmp_path, dest, inventory / 'hosts.yml')
    assert run.returncode == 0, run.output[-3000:]
    assert result['result']['changed'] is False and os.path.realpath(dest) == version and _tree(dest) == golden
    assert result['result']['rendered'] is True and _manifest_inputs(dest) != before
    written = _stats(dest)
    run, result = _render(tmp_path, dest, inventory / 'hosts.yml')
    assert result['result']['changed'] is False and result['result']['rendered'] is False and _stats(dest) == written


def test_bad_inventory_fails_even_when_the_records_of_the_last_good_run_are_there(tmp_path):
    inventory = _copy_example(tmp_path)
    dest = tmp_path / 'records'
    _render(tmp_path, dest, inventory / 'hosts.yml')
    written = _stats(dest)
    vc2 = inventory / 'host_vars' / 'ams1-vc2.yml'
    data = yaml.safe_load(vc2.read_text())
    data['ztp_members'][0]['serial_number'] = 'PE3714100218'  # also a member of ams1-vc1
    vc2.write_text(yaml.safe_dump(data))
    run, result = _render(tmp_path, dest, inventory / 'hosts.yml')
    assert run.returncode != 0
    assert 'ams1-vc2: ztp_members[0].serial_number: serial number PE3714100218 is also used by host ams1-vc1' in result['result']['problems']
    assert _stats(dest) == written
    # The template every Virtual Chassis renders its configuration from is gone: the same variables, but no records.
    vc2.write_text(yaml.safe_dump(dict(data, ztp_members=yaml.safe_load((EXAMPLE / 'host_vars' / 'ams1-vc2.yml').read_text())['ztp_members'])))
    (tmp_path / 'playbooks' / 'templates' / 'site-config.xml.j2').unlink()
    run, result = _render(tmp_path, dest, inventory / 'hosts.yml')
    assert run.returncode != 0
    assert any(p.startswith('ams1-vc1: ztp_configuration.template: ') for p in result['result']['problems']), result['result']['problems']
    assert _stats(dest) == written


def test_a_changed_record_swaps_the_directory_and_keeps_a_backup(tmp_path):
    inventory = _copy_example(tmp_path)
    dest = tmp_path / 'records'
    _render(tmp_path, dest, inventory / 'hosts.yml')
    before = os.path.realpath(dest)
    vc_vars = inventory / 'group_vars' / 'virtual_chassis.yml'
    vc_vars.write_text(vc_vars.read_text().replace('ztp_member_detection_timeout: 900', 'ztp_member_detection_timeout: 1200'))
    run, result = _render(tmp_path, dest, inventory / 'hosts.yml')
    assert run.returncode == 0, run.output[-3000:]
    assert result['result']['changed'] is True
    assert 'devices/PE3714100218.xml' in result['result']['modified']
    assert result['result']['backup'] == before and os.path.isdir(before)
    assert b'<member-detection-timeout>1200<' in (dest / 'devices' / 'PE3714100218.xml').read_bytes()


def test_bad_inventory_fails_listing_every_problem_before_writing(tmp_path):
    inventory = _copy_example(tmp_path)
    vc2 = inventory / 'host_vars' / 'ams1-vc2.yml'
    data = yaml.safe_load(vc2.read_text())
    data['ztp_members'][0]['serial_number'] = 'PE3714100218'  # also a member of ams1-vc1
    data['ztp_configuration'] = {'content': '<system><host-name>ams1-vc2</host-name></system>'}
    vc2.write_text(yaml.safe_dump(data))
    vc1 = inventory / 'host_vars' / 'ams1-vc1.yml'
    data = yaml.safe_load(vc1.read_text())
    data['ztp_configuration'] = {'content': '<configuration><system><host-name>ams1-vc1</host-name></system></configuration>'}
    vc1.write_text(yaml.safe_dump(data))
    dest = tmp_path / 'records'
    run, result = _render(tmp_path, dest, inventory / 'hosts.yml')
    assert run.returncode != 0
    problems = result['result']['problems']
    assert 'ams1-vc2: ztp_members[0].serial_number: serial number PE3714100218 is also used by host ams1-vc1' in problems
    assert 'ams1-vc2: ztp_configuration.content: must be rooted at <configuration>, got <system>' in problems
    assert any(p.startswith('ams1-vc1: ztp_configuration: keeps the factory-default system autoinstallation') for p in problems), problems
    assert not os.path.lexists(dest)
