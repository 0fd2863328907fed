"""Simulated switches for an Ansible inventory: what `make demo` and the molecule scenario run against.

From an inventory's hosts that list ``ztp_members`` it builds a simulator spec (tests/vcsim) with the same
serial numbers, models, member IDs, roles and priorities, every member on an older version so an upgrade
really runs; makes a test image for each ``ztp_software`` image (inventories carry placeholder URLs and
checksums); starts the simulator CLI; and says how to reach each host: ``endpoints.json`` in the work
directory holds ``{"hosts": {host: {ansible_host, ansible_port, ansible_user, ansible_password,
ztp_known_hosts_file}}, "ztp_software": {...}, "images": {file name: {local_path, md5, sha1, sha256, ...}}}``.
Only the version and each image's ``models`` and ``file`` are read from the inventory's ``ztp_software``;
each image gets a ``url`` too when the caller serves the images directory (``Fleet.start(image_base_url=...)``).

    python tests/vcsim_fleet.py start --inventory DIR [--inventory DIR ...] --workdir DIR [--time-scale S]
    python tests/vcsim_fleet.py stop --workdir DIR

``start`` leaves the simulator running in its own session (molecule's create step); ``stop`` ends it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tests'))

from vcsim.images import make_image  # noqa: E402  pylint: disable=wrong-import-position
from vcsim.platforms import family_of  # noqa: E402  pylint: disable=wrong-import-position

OLD_VERSION = '21.2R3-S4.5'
DEFAULT_TIME_SCALE = 1.0 / 60
IMAGE_BYTES = 8 * 1024 * 1024
START_SECONDS = 60
STOP_SECONDS = 15


def ansible_env():
    """The environment the Makefile sets, so the tools also run as `.venv/bin/python tools/...`."""
    collections = REPO / '.build' / 'collections'
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
                PYTHONPATH=os.pathsep.join([str(REPO / 'tests'), str(collections)]), ANSIBLE_NOCOLOR='1',
                ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='0', PYTHONUNBUFFERED='1')


def read_inventory(inventories):
    """Every host's variables as ansible-inventory sees them (group_vars merged, not templated)."""
    command = [str(Path(sys.executable).with_name('ansible-inventory')), '--list']
    for inventory in inventories:
        command += ['-i', str(inventory)]
    listing = json.loads(subprocess.run(command, env=ansible_env(), check=True, capture_output=True, text=True).stdout)
    return listing['_meta']['hostvars']


def fleet_spec(hostvars, password, time_scale=DEFAULT_TIME_SCALE, version=OLD_VERSION):
    """A simulator spec with one VC per host that lists ztp_members, every member on ``version``."""
    vcs, users = [], set()
    for host, variables in sorted(hostvars.items()):
        members = []
        for index, member in enumerate(variables.get('ztp_members') or []):
            spec = {'id': member.get('member_id', index), 'serial': member['serial_number'], 'version': version,
                    'model': member.get('model') or 'ex4300-48p'}
            for key, source in (('role', 'role'), ('priority', 'mastership_priority')):
                if member.get(source) is not None:
                    spec[key] = member[source]
            if member.get('mac_address'):
                spec['mac'] = member['mac_address'].lower()
            members.append(spec)
        if members:
            user = variables.get('ansible_user')
            # A templated user (the molecule inventory's reads endpoints.json) is not known yet: the simulator names it.
            users.add(user if user and '{{' not in user else 'ztp')
            # A factory-fresh host name, so the configuration's host-name shows in the diff.
            vcs.append({'name': host, 'hostname': 'switch', 'members': members})
    if not vcs:
        raise SystemExit('vcsim_fleet: no host of the inventory lists ztp_members')
    if len(users) > 1:
        raise SystemExit('vcsim_fleet: the simulator has one login; the hosts use %s' % ', '.join(sorted(users)))
    return {'time_scale': time_scale, 'user': users.pop(), 'password': password, 'vcs': vcs}


def checksums_of(path):
    """md5, sha1 and sha256 in one read: phone-home records carry all three (the legacy client needs md5 and sha1)."""
    digests = {name: hashlib.new(name) for name in ('md5', 'sha1', 'sha256')}
    with open(path, 'rb') as stream:
        for block in iter(lambda: stream.read(1 << 20), b''):
            for digest in digests.values():
                digest.update(block)
    return {name: digest.hexdigest() for name, digest in digests.items()}


def make_images(hostvars, spec, directory, size=IMAGE_BYTES, base_url=None):
    """A test image for each ztp_software image some simulated member needs.

    Returns ztp_software with each image's local_path and checksums, and its url (``base_url`` + file name) when the
    caller serves ``directory`` at ``base_url``.
    """
    software = next((v['ztp_software'] for v in hostvars.values() if v.get('ztp_software')), None)
    if software is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    models = sorted({member['model'] for vc in spec['vcs'] for member in vc['members']})
    images = []
    for image in software['images']:
        matching = [model for model in models if any(fnmatch(model, pattern) for pattern in image['models'])]
        if matching:
            path = make_image(directory / image['file'], software['version'], family_of(matching[0]), size)
            entry = {'models': image['models'], 'file': image['file'], 'local_path': str(path), **checksums_of(path)}
            if base_url:
                entry['url'] = base_url.rstrip('/') + '/' + image['file']
            images.append(entry)
    return {'version': software['version'], 'images': images}


def endpoints(state, spec, software):
    """How to reach each simulated host, in inventory variable names, and the test images (also by file name)."""
    return {
        'hosts': {vc['name']: {'ansible_host': vc['host'], 'ansible_port': vc['port'], 'ansible_user': spec['user'],
                               'ansible_password': spec['password'], 'ztp_known_hosts_file': vc['known_hosts_file']}
                  for vc in state['vcs']},
        'ztp_software': software,
        'images': {image['file']: image for image in (software or {}).get('images', [])},
    }


def terminate(process, timeout=STOP_SECONDS):
    """SIGTERM a child process we started (it shuts down cleanly), SIGKILL after ``timeout``; nothing when it is gone or None."""
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def write_private(path, text):
    """Write a file only its owner can read (it holds the simulator's password), atomically."""
    temporary = path.with_name(path.name + '.tmp')
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as stream:
        stream.write(text)
    os.replace(temporary, path)


class Fleet:
    """The simulator CLI for the hosts of some inventories, in a child process."""

    def __init__(self, inventories, workdir, time_scale=DEFAULT_TIME_SCALE):
        self.workdir = Path(workdir)
        self.hostvars = read_inventory(inventories)
        self.spec = fleet_spec(self.hostvars, secrets.token_urlsafe(12), time_scale)
        self.process = None
        self.endpoints = None

    @property
    def state_file(self):
        return self.workdir / 'state.json'

    @property
    def images_dir(self):
        return self.workdir / 'images'

    def start(self, image_base_url=None):
        """Start the simulator, make the images, write endpoints.json; returns the endpoints.

        ``image_base_url``: where the caller serves ``images_dir`` (it is emptied first); each image's url then points there.

        The simulator runs in a session of its own: a Ctrl-C in the terminal stops the playbook, not the switches,
        and whoever started them stops them (``stop()``, or ``stop_detached`` after the CLI's ``start``).
        """
        if self.workdir.exists():
            shutil.rmtree(self.workdir)
        self.workdir.mkdir(parents=True)
        write_private(self.workdir / 'spec.json', json.dumps(self.spec, indent=2))
        with open(self.workdir / 'simulator.log', 'w') as log:
            # Output goes to the log, not to a pipe: after the CLI's `start` exits nobody would read one.
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [sys.executable, '-m', 'vcsim', '--spec', str(self.workdir / 'spec.json'), '--workdir', str(self.workdir / 'sim'),
                 '--state', str(self.state_file)],
                cwd=REPO, env=ansible_env(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        state = self._wait_ready()
        software = make_images(self.hostvars, self.spec, self.images_dir, base_url=image_base_url)
        self.endpoints = endpoints(state, self.spec, software)
        write_private(self.workdir / 'endpoints.json', json.dumps(self.endpoints, indent=2))
        return self.endpoints

    def _wait_ready(self):
        """The simulator's state file, which it writes (atomically) once every VC listens."""
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            if self.state_file.exists():
                return json.loads(self.state_file.read_text())
            time.sleep(0.1)
        self.stop()
        raise RuntimeError('the simulator did not start; see %s' % (self.workdir / 'simulator.log'))

    def stop(self):
        """Stop the simulator this object started; safe to call more than once."""
        terminate(self.process)


def stop_detached(workdir):
    """Stop the simulator a detached `start` left running (its pid is in the state file); True when one was running."""
    state_file = Path(workdir) / 'state.json'
    if not state_file.exists():
        return False
    pid = json.loads(state_file.read_text())['pid']
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    state_file.unlink()
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    commands = parser.add_subparsers(dest='command', required=True)
    start = commands.add_parser('start', help='start simulated switches for the inventory and leave them running')
    start.add_argument('--inventory', action='append', required=True, help='inventory source (repeatable, as ansible -i)')
    start.add_argument('--workdir', required=True, help='directory for the simulator, images and endpoints.json (emptied first)')
    start.add_argument('--time-scale', type=float, default=DEFAULT_TIME_SCALE, help='real seconds per simulated second')
    stop = commands.add_parser('stop', help='stop the simulator started with start')
    stop.add_argument('--workdir', required=True)
    args = parser.parse_args(argv)
    if args.command == 'stop':
        print(json.dumps({'changed': stop_detached(args.workdir)}))
        return 0
    fleet = Fleet(args.inventory, args.workdir, args.time_scale)
    fleet.start()
    print(json.dumps({'changed': True, 'hosts': sorted(fleet.endpoints['hosts']), 'endpoints': str(fleet.workdir / 'endpoints.json')}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
