"""Virtual Chassis upgrade: junos.ztp.vc_upgrade's wall time against the critical path, sessions, and 20 VCs at once.

    .venv/bin/python bench/vc_upgrade.py [--time-scale 0.01] [--members 1,2,4,6,8] [--vcs 20] [--connection junos.ztp.pyez]

Runs on the simulator (a separate process, as `python -m vcsim`) with scaled time: with --time-scale 0.01 a
600 s install takes 6 s and a 300 s reboot 3 s. Every run is one ansible-playbook, as playbooks/upgrade.yml: it
stages the image (junos.ztp.image_stage, not timed), then upgrades every member with junos.ztp.vc_upgrade; the
upgrade task is timed by the bench_timer callback.

1. One VC of 2, 4, 6 and 8 members (primary not at member 0). The critical path lower bound, from the simulator's
   durations: the configuration validated against the image once, the linecard installs one after the other,
   one linecard reboot (shutdown + reboot), then the
   backup's and the primary's install + shutdown + reboot, each followed by the rejoin delay after which the
   member takes the backup role again (the VC's own settling, which the next step must wait for).
   Sessions: NETCONF sessions the VC saw during the playbook, staging included (the target is 1 + reboots of the
   primary = 2; on --connection local every task opens its own, so 3).
2. --vcs VCs of 4 members in one simulator, upgraded by one ansible-playbook with forks = --vcs, against one VC.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / 'tests' / 'wire'))

from image_stage import Simulators  # noqa: E402  (bench/image_stage.py: the simulator in its own process)
from playbook import CALLBACKS, run_playbook, vc_host_vars  # noqa: E402
from vcsim import control, make_image  # noqa: E402
from vcsim.spec import DEFAULT_DURATIONS  # noqa: E402
from vcsim.testing import PASSWORD, USER  # noqa: E402

OLD, NEW = '21.4R3-S5.4', '22.4R3-S2.3'
TASK = 'Upgrade every member'
DETECTION_TIMEOUT = 600


def vc_entry(name, count):
    """``count`` members; the primary is the middle member, the backup the last (neither is member 0)."""
    primary, backup = count // 2, count - 1
    priorities = {primary: 255, backup: 200}
    return {'name': name, 'hostname': name, 'members': [
        {'id': i, 'serial': '%s-%d' % (name.upper(), i), 'model': 'ex4300-48p', 'priority': priorities.get(i, 128),
         'role': 'routing-engine', 'version': OLD} for i in range(count)]}


def lower_bound(count, time_scale):
    """Real seconds of the critical path (see the module docstring)."""
    d = {key: value * time_scale for key, value in DEFAULT_DURATIONS.items()}
    reboot = d['shutdown'] + d['reboot']
    if count == 1:
        # A standalone switch: its install and reboot; it comes back as the primary, with no settling as a linecard.
        return d['validate'] + d['install'] + reboot
    return d['validate'] + (count - 2) * d['install'] + (reboot if count > 2 else 0) + 2 * (d['install'] + reboot + d['rejoin_as_linecard'])


def events(sim, name, since):
    return control.call(sim.state['control'], {'op': 'events', 'vc': name, 'since': since})[name]


def upgrade_fleet(workdir, names, count, time_scale, software, connection='junos.ztp.pyez'):
    """Stage, then upgrade every VC, forks = number of VCs; returns (upgrade task seconds, {vc: sessions}, {vc: primary reboots}, results)."""
    spec = {'time_scale': time_scale, 'user': USER, 'password': PASSWORD, 'vcs': [vc_entry(name, count) for name in names]}
    sim = Simulators(spec, workdir)
    try:
        hosts = {name: vc_host_vars(sim.vc(name), USER, PASSWORD, ztp_software=software, ansible_connection=connection,
                                    ztp_member_detection_timeout=DETECTION_TIMEOUT) for name in names}
        marks = {name: len(events(sim, name, 0)) for name in names}
        times_file = workdir / 'times.json'
        run = run_playbook(workdir, [{'name': 'Stage', 'junos.ztp.image_stage': {}}, {'name': TASK, 'junos.ztp.vc_upgrade': {}}], hosts,
                           extra_args=['--forks', str(len(names))],
                           env={'ANSIBLE_CALLBACK_PLUGINS': '%s:%s' % (CALLBACKS, BENCH / 'callback_plugins'),
                                'ANSIBLE_CALLBACKS_ENABLED': 'record_results,bench_timer', 'JUNOS_ZTP_BENCH_TIMES': str(times_file)})
        assert run.returncode == 0, run.output[-3000:]
        task = next(task for task in json.loads(times_file.read_text())['tasks'] if task['name'] == TASK)
        sessions, primary_reboots, results = {}, {}, {}
        for name in names:
            seen = events(sim, name, marks[name])
            primary = vc_entry(name, count)['members'][count // 2]['id']
            sessions[name] = sum(1 for e in seen if e['event'] == 'session_open')
            primary_reboots[name] = sum(1 for e in seen if e['event'] == 'reboot_start' and e['member'] == primary)
            results[name] = run.task(TASK, name)['result']
            assert all(m['outcome'] == 'upgraded' for m in results[name]['members']), results[name]['msg']
        return task['end'] - task['start'], sessions, primary_reboots, results
    finally:
        sim.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--time-scale', type=float, default=0.01, help='real seconds per simulated second (0.01: a 600 s install takes 6 s)')
    parser.add_argument('--members', default='2,4,6,8', help='VC sizes for the critical-path runs, comma separated')
    parser.add_argument('--vcs', type=int, default=20, help='VCs upgraded at once (4 members each), with as many forks')
    parser.add_argument('--connection', default='junos.ztp.pyez', choices=['junos.ztp.pyez', 'local'], help='ansible_connection of the VCs')
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix='bench-vc-upgrade-'))
    try:
        image = make_image(workdir, NEW, 'ex-4300', 1 << 20)
        software = {'version': NEW, 'images': [{'models': ['ex4300-*'], 'file': image.name, 'local_path': str(image),
                                                'sha256': hashlib.sha256(image.read_bytes()).hexdigest()}]}
        scaled = [DEFAULT_DURATIONS[key] * options.time_scale for key in ('validate', 'install', 'reboot', 'shutdown', 'rejoin_as_linecard')]
        lines = ['Connection %s. Time scale %g (validate %.1f s, install %.1f s, reboot %.1f s, shutdown %.2f s, rejoin %.2f s real).' % (
            options.connection, options.time_scale, *scaled), '',
            '| members | critical path s | vc_upgrade task s | over the bound | NETCONF sessions | primary reboots | target sessions |',
            '|---|---|---|---|---|---|---|']
        single = {}
        for count in (int(size) for size in options.members.split(',')):
            seconds, sessions, reboots, unused_results = upgrade_fleet(workdir / ('single-%d' % count), ['vc1'], count, options.time_scale, software,
                                                                       options.connection)
            single[count] = seconds
            bound = lower_bound(count, options.time_scale)
            lines.append('| %d | %.2f | %.2f | %+.1f %% | %d | %d | <= %d |' % (
                count, bound, seconds, 100 * (seconds / bound - 1), sessions['vc1'], reboots['vc1'], 1 + reboots['vc1']))
        if 4 not in single:
            single[4] = upgrade_fleet(workdir / 'single-4', ['vc1'], 4, options.time_scale, software, options.connection)[0]
        names = ['vc%02d' % number for number in range(1, options.vcs + 1)]
        seconds, sessions, reboots, unused_results = upgrade_fleet(workdir / 'fleet', names, 4, options.time_scale, software, options.connection)
        lines += ['', '| VCs (4 members) | forks | vc_upgrade task s | vs one VC | sessions per VC (max) |', '|---|---|---|---|---|',
                  '| 1 | 1 | %.2f | 1.00x | - |' % single[4],
                  '| %d | %d | %.2f | %.2fx | %d |' % (options.vcs, options.vcs, seconds, seconds / single[4], max(sessions.values()))]
        print('\n'.join(lines))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
