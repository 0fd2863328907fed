"""Phone-home records through the role, as users run them: junos.ztp.phs_records against one template task per host.

    .venv/bin/python bench/phs_render.py [--devices 10000] [--naive-devices 400] [--repeats 5]

A synthetic fleet shaped like the example inventory (4-member EX4300 Virtual Chassis, so 10,000 devices =
2,500 hosts x 4 member serials; each host's configuration given as content), as an executable inventory.
Real ansible-playbook runs of the role junos.ztp.phs_records on the phone-home server host (local connection):

1. a run that renders nothing (Ansible start-up and inventory loading, the CPU baseline);
2. the first run (every record written), then a re-run with nothing changed (no write, ``changed: false``;
   decided from the digest of the inputs and the manifest on the target, checked here: nothing in the records
   directory is written) alternating --repeats times with the floor (an ansible.builtin.ping task on the same
   host: what Ansible spends on any module task there; medians shown, every run listed), then a re-run after one
   record was edited by hand (noticed with stat, the fleet rendered again, the records on the target read and
   compared, a new version written);
3. the same runs at --naive-devices (once each), and the naive approach at that size, measured: one
   ansible.builtin.template task per host that writes a record per member serial;
4. the task's phases in this process at --devices (CPU seconds; wall beside it where the disk is involved).

Wall seconds of the task (from a callback) and CPU seconds of the whole run beyond the run that renders nothing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _playbook_run import NOOP, REPO, run_playbook

sys.path[:0] = [str(REPO / '.build' / 'collections')]

SOFTWARE = {'version': '21.4R3-S5.4', 'images': [{
    'models': ['ex4300-*'], 'file': 'jinstall-ex-4300-21.4R3-S5.4-signed.tgz',
    'url': 'http://192.0.2.10/images/jinstall-ex-4300-21.4R3-S5.4-signed.tgz',
    'sha256': '6f1f3f3d6c1b0c4f1f4b8a1b5a2d7c9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8',
    'md5': '0a1b2c3d4e5f60718293a4b5c6d7e8f9', 'sha1': '00112233445566778899aabbccddeeff00112233'}]}
CONFIGURATION = ('<configuration><system><host-name>{host}</host-name><autoinstallation delete="delete"/>'
                 '<services><netconf><ssh/></netconf></services></system></configuration>')
SHARED = {'ztp_topology': 'full', 'ztp_provisioning_mode': 'strict', 'ztp_software': SOFTWARE,
          'ztp_phone_home': {'server_url': 'https://192.0.2.40:8443'}}
SERVER = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
TASK = 'Render the phone-home records of the fleet and swap the records directory'
FLOOR = 'floor: ansible.builtin.ping'
NAIVE_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<device xmlns="http://juniper.net/zerotouch-bootstrap-server">
  <unique-id>{{ item.serial_number }}</unique-id>
  <boot-image>
    <name>{{ ztp_software.images[0].file }}</name>
    <md5>{{ ztp_software.images[0].md5 }}</md5>
    <sha1>{{ ztp_software.images[0].sha1 }}</sha1>
    <path>{{ ztp_software.images[0].url }}</path>
  </boot-image>
  <configuration><config>{{ ztp_configuration.content }}</config></configuration>
</device>
"""


def fleet(devices):
    """{host: host variables}: the members and configuration per host; the rest are group variables."""
    hosts = {}
    for number in range(devices // 4):
        host = 'vc%05d' % number
        hosts[host] = {
            'ztp_members': [{'serial_number': 'PE%06d%02d' % (number, m), 'member_id': m, 'model': 'ex4300-48p',
                             'role': 'routing-engine' if m < 2 else 'line-card', 'mastership_priority': 255 if m < 2 else 0} for m in range(4)],
            'ztp_configuration': {'content': CONFIGURATION.format(host=host)},
        }
    return hosts


def write_inventory(directory, devices):
    """An executable inventory printing the fleet (group devices) and the phone-home server host (group phs)."""
    hosts = fleet(devices)
    data = directory / ('fleet%d.json' % devices)
    data.write_text(json.dumps({'all': {'children': ['devices', 'phs']}, 'devices': {'vars': SHARED, 'hosts': list(hosts)},
                                'phs': {'hosts': ['phs1']}, '_meta': {'hostvars': dict(hosts, phs1=SERVER)}}))
    script = directory / ('fleet%d.py' % devices)
    script.write_text('#!/bin/sh\nexec cat %s\n' % data)
    script.chmod(0o755)
    return script


def role_play(dest):
    return [{'name': 'Records', 'hosts': 'phs', 'gather_facts': False, 'roles': [
        {'role': 'junos.ztp.phs_records', 'vars': {'phs_records_dest': str(dest), 'phs_records_group': ''}}]}]


def naive_play(directory):
    (directory / 'record.xml.j2').write_text(NAIVE_TEMPLATE)
    (directory / 'naive').mkdir()
    return [{'name': 'Naive', 'hosts': 'devices', 'gather_facts': False, 'vars': SERVER, 'tasks': [
        {'name': 'template', 'ansible.builtin.template': {'src': str(directory / 'record.xml.j2'),
                                                          'dest': '%s/{{ item.serial_number }}.xml' % (directory / 'naive'), 'mode': '0644'},
         'loop': '{{ ztp_members }}'}]}]


def measure(directory, devices, repeats=1):
    """{step: (task wall s, run CPU s beyond start-up)} for the role's first run and re-run, with start-up.

    The unchanged re-run and the floor run ``repeats`` times each, alternating; their medians are the figures,
    and {step: [task wall s of each run]} comes second.
    """
    inventory = write_inventory(directory, devices)
    baseline = run_playbook(directory, inventory, plays=[{'name': 'Noop', 'hosts': 'phs', 'gather_facts': False, 'tasks': NOOP}])
    figures = {'start-up + inventory': (baseline.startup, baseline.cpu)}
    dest = directory / ('records%d' % devices)
    ping = [{'name': 'Floor', 'hosts': 'phs', 'gather_facts': False, 'tasks': [{'name': 'ping', 'ansible.builtin.ping': {}}]}]
    runs = {}
    steps = [('first run', 'changed=1')] + [('re-run, nothing changed', 'changed=0'), (FLOOR, None)] * repeats + [
        ('re-run, a record edited by hand', 'changed=1')]
    for step, changed in steps:
        if step == FLOOR:
            # The floor under any module task on the server host in this inventory: Ansible's own cost of running a module there.
            run = run_playbook(directory, inventory, plays=ping)
            runs.setdefault(step, []).append((run.tasks['ping'], run.cpu - baseline.cpu))
            continue
        if step == 're-run, a record edited by hand':
            record = dest / 'devices' / ('PE%06d%02d.xml' % (0, 1))
            record.write_bytes(record.read_bytes().replace(b'<unique-id>', b'<unique-id>X'))
        written = _written(dest)
        run = run_playbook(directory, inventory, plays=role_play(dest))
        if changed not in run.output:
            raise SystemExit('%s: expected %s:\n%s' % (step, changed, run.output[-2000:]))
        if changed == 'changed=0' and _written(dest) != written:
            raise SystemExit('%s: the records directory was written' % step)
        runs.setdefault(step, []).append((next(t for name, t in run.tasks.items() if name.endswith(TASK)), run.cpu - baseline.cpu))
    for step, _changed in steps:
        figures[step] = tuple(statistics.median(column) for column in zip(*runs[step]))
    return inventory, baseline, figures, {step: [wall for wall, _cpu in timings] for step, timings in runs.items()}


def _written(dest):
    """The current version of the records and the (inode, ctime) of everything in it: what a write would change."""
    if not dest.exists():
        return None
    return os.path.realpath(dest), sorted((p.name, p.stat().st_ino, p.stat().st_ctime_ns) for p in dest.resolve().rglob('*'))


def measure_phases(inventory, directory):
    """The task's phases in this process, on the same inventory: {phase: (CPU s, wall s)}."""
    # pylint: disable=import-outside-toplevel
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager

    from ansible_collections.junos.ztp.plugins.module_utils import _versioned_dir
    from ansible_collections.junos.ztp.plugins.module_utils._data_model import HOST_VARIABLES, VARIABLE_PREFIX, validate_fleet
    from ansible_collections.junos.ztp.plugins.module_utils._phs_records import inputs_digest, phone_home_hosts, render_records, renderer_version
    from ansible_collections.junos.ztp.plugins.plugin_utils._fleet_variables import fleet_variables

    loader = DataLoader()
    manager = InventoryManager(loader, sources=[str(inventory)])
    hostvars = HostVars(manager, VariableManager(loader, manager), loader)
    gc.freeze()  # as the action does in its worker process
    phases, dest = {}, directory / 'phases'

    def timed(phase, work):
        cpu, wall = time.process_time(), time.time()
        value = work()
        phases[phase] = (time.process_time() - cpu, time.time() - wall)
        return value

    variables = timed('read variables (fleet_variables)', lambda: fleet_variables(
        hostvars, sorted(h.name for h in manager.get_hosts('devices')), HOST_VARIABLES, Templar(loader), prefix=VARIABLE_PREFIX))
    timed('digest of the inputs', lambda: inputs_digest(
        renderer_version(), [False, None], variables, lambda *_: (None, None), lambda host, configuration: (configuration.get('content'), [])))
    models = timed('validate_fleet (data model)', lambda: validate_fleet(variables))
    inputs = {host: {'configuration': models[host]['ztp_configuration']['content']} for host in phone_home_hosts(models)}
    files = timed('render both encodings', lambda: render_records(models, inputs))
    packed = timed('pack (controller)', lambda: _versioned_dir.pack(files))
    files = timed('unpack (target)', lambda: _versioned_dir.unpack(packed))
    timed('SHA-256 of the records (target)', lambda: _versioned_dir.digests(files))
    timed('write the version, syncfs included (target)', lambda: _versioned_dir.write_version(str(dest), files, state={'inputs': ''}))
    timed('unchanged? manifest + stat of every file (target)', lambda: _versioned_dir.Current(str(dest)).state)
    timed('read and hash every file instead (target)', lambda: _versioned_dir.scan(str(dest)))
    return phases


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--devices', type=int, default=10000)
    parser.add_argument('--naive-devices', type=int, default=400, help='devices to run the per-host template approach on (default 400)')
    parser.add_argument('--repeats', type=int, default=5, help='runs of the unchanged re-run and of the floor at --devices, alternating (default 5)')
    args = parser.parse_args()
    began = time.time()
    print('Load average at the start: %.2f' % os.getloadavg()[0])
    with tempfile.TemporaryDirectory(prefix='junos-ztp-bench-') as tmp:
        directory = Path(tmp)
        inventory, _baseline, ours, repeated = measure(directory, args.devices, args.repeats)
        phases = measure_phases(inventory, directory)
        small = Path(tempfile.mkdtemp(dir=directory))
        inventory, baseline, ours_small, _repeated = measure(small, args.naive_devices)
        naive = run_playbook(small, inventory, plays=naive_play(small))
        naive_figures = (naive.tasks['template'], naive.cpu - baseline.cpu)
    print('\n%-10s %-32s %10s %10s %14s %14s' % ('devices', 'step', 'wall s', 'CPU s', 'naive wall ×', 'naive CPU ×'))
    for devices, figures in ((args.devices, ours), (args.naive_devices, ours_small)):
        for step, (wall, cpu) in figures.items():
            ratios = ('%13.0f× %13.0f×' % (naive_figures[0] / wall, naive_figures[1] / cpu)) if devices == args.naive_devices and step not in (
                'start-up + inventory', FLOOR) else ''
            print('%-10d %-32s %10.2f %10.2f %s' % (devices, step, wall, cpu, ratios))
    print('%-10d %-32s %10.2f %10.2f' % (args.naive_devices, 'naive: template per host', *naive_figures))
    for step, walls in repeated.items():
        if len(walls) > 1:
            print('%d devices, %s, %d runs (the median is above): %s s' % (args.devices, step, len(walls), ' '.join('%.2f' % wall for wall in walls)))
    print('\nWall = the task (start-up: until the playbook starts); CPU = the whole run beyond the run that renders nothing.'
          ' The ratios: the naive task / ours, both measured at %d devices in this run.' % args.naive_devices)
    print('\nThe task\'s phases, %d devices, in-process:\n%-52s %8s %8s' % (args.devices, 'phase', 'CPU s', 'wall s'))
    for phase, (cpu, wall) in phases.items():
        print('%-52s %8.2f %8.2f' % (phase, cpu, wall))
    print('Load average at the end: %.2f (1 min), %.2f (5 min); bench run time %.0f s' % (os.getloadavg()[0], os.getloadavg()[1], time.time() - began))


if __name__ == '__main__':
    main()
