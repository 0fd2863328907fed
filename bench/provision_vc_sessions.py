"""NETCONF sessions (and wall time) of playbooks/provision_vc.yml per Virtual Chassis, on junos.ztp.pyez and on local.

    .venv/bin/python bench/provision_vc_sessions.py [--time-scale 0.003] [--members 4,2,1]

For each connection, one simulator (its own process, as `python -m vcsim`) with one VC per size of --members (1: a
standalone switch; the primary is not member 0), every member on an old release. provision_vc runs twice: the
first run upgrades and configures, the second finds everything current. Sessions are the session_open events each
VC logged during a run; the target is 1 + reboots of the primary (reboot_start events of the primary member).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / 'tests' / 'wire'))

from image_stage import Simulators  # noqa: E402  (bench/image_stage.py: the simulator in its own process)
from playbook import run_playbook, vc_host_vars  # noqa: E402
from vc_upgrade import NEW, events, vc_entry  # noqa: E402  (bench/vc_upgrade.py: VCs whose primary is not member 0)
from vcsim import make_image  # noqa: E402
from vcsim.testing import PASSWORD, USER  # noqa: E402

CONNECTIONS = ('junos.ztp.pyez', 'local')


def inventory_hosts(sim, names, sizes, software, template):
    hosts = {}
    for name, count in zip(names, sizes):
        members = [{'serial_number': member['serial'], 'model': member['model']} for member in vc_entry(name, count)['members']]
        if count > 1:
            for index, member in enumerate(members):
                member['member_id'] = index
        hosts[name] = vc_host_vars(sim.vc(name), USER, PASSWORD, ztp_software=software, ztp_members=members,
                                   ztp_configuration={'template': str(template)}, ztp_topology='none' if count == 1 else 'minimum')
    return hosts


def provision(sim, workdir, hosts, connection, primaries):
    """One provision_vc run; returns (seconds, {vc: sessions}, {vc: primary reboots})."""
    marks = {name: len(events(sim, name, 0)) for name in hosts}
    for variables in hosts.values():
        variables['ansible_connection'] = connection
    started = time.perf_counter()
    run = run_playbook(workdir, [], hosts, play={'roles': ['junos.ztp.provision_vc']}, extra_args=['--forks', str(len(hosts))])
    seconds = time.perf_counter() - started
    assert run.returncode == 0, run.output[-4000:]
    sessions, reboots = {}, {}
    for name in hosts:
        seen = events(sim, name, marks[name])
        sessions[name] = sum(1 for e in seen if e['event'] == 'session_open')
        reboots[name] = sum(1 for e in seen if e['event'] == 'reboot_start' and e['member'] == primaries[name])
    return seconds, sessions, reboots


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--time-scale', type=float, default=0.003, help='real seconds per simulated second')
    parser.add_argument('--members', default='4,2,1', help='VC sizes, comma separated (1: a standalone switch)')
    options = parser.parse_args()
    sizes = [int(size) for size in options.members.split(',')]
    names = ['vc%d-%dm' % (index, count) for index, count in enumerate(sizes, 1)]
    workdir = Path(tempfile.mkdtemp(prefix='bench-provision-vc-'))
    try:
        image = make_image(workdir, NEW, 'ex-4300', 1 << 20)
        software = {'version': NEW, 'images': [{'models': ['ex4300-*'], 'file': image.name, 'local_path': str(image),
                                                'sha256': hashlib.sha256(image.read_bytes()).hexdigest()}]}
        template = workdir / 'site.xml.j2'
        template.write_text('<configuration><system><host-name>{{ inventory_hostname }}</host-name></system></configuration>\n')
        lines = ['Time scale %g, one ansible-playbook per run (forks = VCs).' % options.time_scale, '',
                 '| connection | VC members | sessions, upgrading run | primary reboots | target | sessions, run on a current VC | target |'
                 ' playbook s, upgrading | playbook s, current |', '|---|---|---|---|---|---|---|---|---|']
        for connection in CONNECTIONS:
            spec = {'time_scale': options.time_scale, 'user': USER, 'password': PASSWORD,
                    'vcs': [vc_entry(name, count) for name, count in zip(names, sizes)]}
            sim = Simulators(spec, workdir / connection)
            try:
                primaries = {entry['name']: entry['members'][len(entry['members']) // 2]['id'] for entry in spec['vcs']}
                hosts = inventory_hosts(sim, names, sizes, software, template)
                upgrading = provision(sim, workdir / connection, hosts, connection, primaries)
                current = provision(sim, workdir / connection, hosts, connection, primaries)
            finally:
                sim.close()
            for name, count in zip(names, sizes):
                lines.append('| %s | %d | %d | %d | %d | %d | %d | %.1f | %.1f |' % (
                    connection, count, upgrading[1][name], upgrading[2][name], 1 + upgrading[2][name], current[1][name],
                    1 + current[2][name], upgrading[0], current[0]))
        print('\n'.join(lines))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
