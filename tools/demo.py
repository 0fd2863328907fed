"""`make demo`: provision the example inventory's Virtual Chassis end to end against simulated switches.

1. Starts one simulated VC per host of playbooks/inventory/example/ (tools/vcsim_fleet.py: the same serial numbers,
   models, member IDs and roles, every member on an older version so the upgrade really runs, time sped up 60 times),
   with test images whose real sha256 replaces the example's placeholders.
2. Writes an overlay inventory, .build/demo/inventory/, that points each host at its simulated VC.
3. Runs playbooks/provision_vc.yml on both inventories with its output live, and the simulated members' installs,
   reboots, role changes and commits shown as they happen; then prints what the simulated switches run now.
The simulator is always stopped: on success, on failure and on Ctrl-C. Needs no terminal (CI runs it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vcsim_fleet import REPO, Fleet, ansible_env, write_private  # noqa: E402  pylint: disable=wrong-import-position
from vcsim.control import call  # noqa: E402  pylint: disable=wrong-import-position

INVENTORY = REPO / 'playbooks' / 'inventory' / 'example'
PLAYBOOK = REPO / 'playbooks' / 'provision_vc.yml'
WORKDIR = REPO / '.build' / 'demo'
# Simulator events worth a line of their own while the playbook runs.
SHOWN_EVENTS = {
    'install_start': lambda e: 'installing %s' % e.get('package', '').rsplit('/', 1)[-1],
    'install_end': lambda e: 'installed %s' % e.get('version'),
    'install_fail': lambda e: 'install FAILED: %s' % e.get('reason'),
    'reboot_start': lambda e: 'rebooting',
    'member_rejoin': lambda e: 'back in the VC, running %s' % e.get('version'),
    'role_change': lambda e: 'role %s -> %s' % (e.get('old'), e.get('new')),
    'config_commit': lambda e: 'configuration committed%s' % (' (confirmed)' if e.get('confirmed') else ''),
}


def say(message):
    print('demo: %s' % message, flush=True)


def write_overlay(directory, endpoints):
    """An inventory that points each host at its simulated VC; layered over the example with a second -i."""
    shutil.rmtree(directory, ignore_errors=True)
    (directory / 'host_vars').mkdir(parents=True)
    (directory / 'group_vars').mkdir(exist_ok=True)
    (directory / 'hosts.yml').write_text('---\n' + yaml.safe_dump({'all': {'hosts': {host: None for host in endpoints['hosts']}}}))
    (directory / 'group_vars' / 'all.yml').write_text('---\n' + yaml.safe_dump({'ztp_software': endpoints['ztp_software']}, sort_keys=False))
    for host, variables in endpoints['hosts'].items():
        write_private(directory / 'host_vars' / ('%s.yml' % host), '---\n' + yaml.safe_dump(variables, sort_keys=False))


class EventPrinter(threading.Thread):
    """Polls the simulator's control channel and prints member events as they happen."""

    def __init__(self, address, output_lock):
        super().__init__(daemon=True)
        self.address = address
        self.output_lock = output_lock
        self.since = {}
        self.stopping = threading.Event()

    def skip_history(self):
        """Start from now: the members' first election at start-up is not news."""
        for name, events in call(self.address, {'op': 'events'}).items():
            self.since[name] = events[-1]['seq'] + 1 if events else 0

    def poll(self):
        for name, events in sorted(call(self.address, {'op': 'events'}).items()):
            fresh = [e for e in events if e['seq'] >= self.since.get(name, 0)]
            if fresh:
                self.since[name] = fresh[-1]['seq'] + 1
            for event in fresh:
                describe = SHOWN_EVENTS.get(event['event'])
                if describe:
                    member = '' if event.get('member') is None else ' member %s' % event['member']
                    with self.output_lock:
                        print('  [simulated %s%s] %s' % (name, member, describe(event)), flush=True)

    def run(self):
        while not self.stopping.wait(1.0):
            try:
                self.poll()
            except (OSError, RuntimeError, ValueError):
                return


def run_playbook(overlay, output_lock):
    command = [str(Path(sys.executable).with_name('ansible-playbook')), '-i', str(INVENTORY), '-i', str(overlay), str(PLAYBOOK), '--diff']
    say('running ansible-playbook -i %s -i %s %s --diff' % (INVENTORY.relative_to(REPO), overlay.relative_to(REPO), PLAYBOOK.relative_to(REPO)))
    with subprocess.Popen(command, cwd=REPO, env=ansible_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as process:
        for line in process.stdout:
            with output_lock:
                sys.stdout.write(line)
                sys.stdout.flush()
        return process.wait()


def print_members(address):
    say('what the simulated switches run now (read from the simulator, not from Ansible):')
    for name, vc in sorted(call(address, {'op': 'status'}).items()):
        print('  %s' % name)
        for member in vc['members']:
            print('    member %d  %-13s %-11s %-9s %s' % (member['id'], member['serial'], member['model'], member['role'] or '-', member['version']))


def main():
    started = time.monotonic()
    fleet = Fleet([INVENTORY], WORKDIR / 'vcsim')
    say('starting %d simulated switches on 127.0.0.1, every member on %s, time 60 times faster'
        % (len(fleet.spec['vcs']), fleet.spec['vcs'][0]['members'][0]['version']))
    printer = None
    try:
        endpoints = fleet.start()
        write_overlay(WORKDIR / 'inventory', endpoints)
        address = json.loads(fleet.state_file.read_text())['control']
        output_lock = threading.Lock()
        printer = EventPrinter(address, output_lock)
        printer.skip_history()
        printer.start()
        returncode = run_playbook(WORKDIR / 'inventory', output_lock)
        printer.stopping.set()
        printer.join(timeout=5)
        printer.poll()
        print_members(address)
        say('finished in %.0f s' % (time.monotonic() - started))
        if returncode:
            say('the playbook failed (exit status %d); the simulator log is %s' % (returncode, fleet.workdir / 'simulator.log'))
        return returncode
    except KeyboardInterrupt:
        say('interrupted')
        return 130
    finally:
        if printer is not None:
            printer.stopping.set()
        fleet.stop()
        say('simulator stopped')


if __name__ == '__main__':
    sys.exit(main())
