"""Simulated switches in containers, one per inventory host: what the molecule scenario `containers` runs against.

Each host that lists ``ztp_members`` gets one container of the simulator image (tools/build-vcsim-image.sh): its
Virtual Chassis, or standalone switch, with its own network namespace, its own SSH host key and NETCONF on port 830,
published on the controller's loopback. A VC is one container, not one per member: like the real thing it is one
device, with one management address, one configuration and one NETCONF server, whose members reboot inside it.

    python tools/vcsim_containers.py prepare --inventory DIR [--inventory DIR ...] --workdir DIR [--time-scale S]
    python tools/vcsim_containers.py endpoints --workdir DIR --container HOST=CONTAINER [...] [--podman COMMAND]

``prepare`` writes ``specs/<host>.json`` (mount it at /etc/vcsim/spec.json in that host's container) and the test
images, before the containers start; ``endpoints``, once they run, waits until each host's simulator is ready,
reads where its port is published and its host key, and writes ``known_hosts.<host>`` and ``endpoints.json`` in
the shape tools/vcsim_fleet.py writes (so the default scenario's inventory reads either).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

# vcsim_fleet is found beside this file, or under tests/ where the molecule scenarios' launcher ships with the collection.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests'))

# pylint: disable-next=wrong-import-position
from vcsim_fleet import DEFAULT_TIME_SCALE, REPO, endpoints, fleet_spec, make_images, read_inventory, write_private  # noqa: E402

# Inside the container, as on a real EX switch.
NETCONF_PORT = 830
# Fixed by the image's entry point (tools/vcsim-image/Containerfile).
CONTAINER_WORKDIR = '/var/lib/vcsim'
PODMAN = str(REPO / 'tools' / 'vcsim-podman.sh')
READY_SECONDS = 60


def container_specs(hostvars, password, time_scale=DEFAULT_TIME_SCALE):
    """One simulator spec per host that lists ztp_members, its only VC listening on the NETCONF port."""
    specs = {}
    for host in sorted(hostvars):
        if hostvars[host].get('ztp_members'):
            spec = fleet_spec({host: hostvars[host]}, password, time_scale)
            spec['vcs'][0]['port'] = NETCONF_PORT
            specs[host] = spec
    if not specs:
        raise SystemExit('vcsim_containers: no host of the inventory lists ztp_members')
    return specs


def prepare(inventories, workdir, time_scale=DEFAULT_TIME_SCALE):
    """Write a spec per host and the test images; returns the hosts."""
    workdir = Path(workdir)
    hostvars = read_inventory(inventories)
    specs = container_specs(hostvars, secrets.token_urlsafe(12), time_scale)
    # Only this user may enter the directory: the specs inside must be readable by the container's user.
    # Specs of an earlier run go: endpoints expects a container for every spec.
    shutil.rmtree(workdir / 'specs', ignore_errors=True)
    (workdir / 'specs').mkdir(parents=True)
    os.chmod(workdir, 0o700)
    for host, spec in specs.items():
        path = workdir / 'specs' / ('%s.json' % host)
        write_private(path, json.dumps(spec, indent=2))
        os.chmod(path, 0o644)
    merged = dict(next(iter(specs.values())), vcs=[spec['vcs'][0] for spec in specs.values()])
    software = make_images(hostvars, merged, workdir / 'images')
    write_private(workdir / 'fleet.json', json.dumps({'user': merged['user'], 'password': merged['password'], 'software': software}))
    return sorted(specs)


def podman_output(podman, *args):
    return subprocess.run([*podman, *args], check=True, capture_output=True, text=True).stdout


def wait_ready(podman, container, timeout=READY_SECONDS):
    """Wait for the simulator's "ready" line in the container's log; fail with the log when the container stops."""
    deadline = time.monotonic() + timeout
    while True:
        log = subprocess.run([*podman, 'logs', container], check=True, capture_output=True, text=True)
        if '"ready": true' in log.stdout:
            return
        running = podman_output(podman, 'inspect', '--format', '{{.State.Running}}', container).strip()
        if running != 'true' or time.monotonic() > deadline:
            raise RuntimeError('the simulator in container %s did not start:\n%s%s' % (container, log.stdout, log.stderr))
        time.sleep(0.2)


def published_address(podman, container, port=NETCONF_PORT):
    """(host, port) where the container's TCP ``port`` is published."""
    host, published = podman_output(podman, 'port', container, '%d/tcp' % port).splitlines()[0].rsplit(':', 1)
    return host.strip('[]'), int(published)


def host_key(podman, container):
    """The container's SSH host key as 'type base64', read from the simulator's own known_hosts inside it."""
    line = podman_output(podman, 'exec', container, 'cat', CONTAINER_WORKDIR + '/known_hosts').splitlines()[0]
    return ' '.join(line.split()[1:3])


def container_endpoint(podman, host, container, directory):
    """Wait for the host's container; write its known_hosts (published address, the container's key); returns where it listens."""
    wait_ready(podman, container)
    address, port = published_address(podman, container)
    known_hosts = Path(directory) / ('known_hosts.%s' % host)
    known_hosts.write_text('[%s]:%d %s\n' % (address, port, host_key(podman, container)))
    return {'name': host, 'host': address, 'port': port, 'known_hosts_file': str(known_hosts)}


def write_endpoints(workdir, podman, containers):
    """endpoints.json for the hosts ``prepare`` wrote specs for, each in its container (``containers``: host -> name)."""
    workdir = Path(workdir)
    fleet = json.loads((workdir / 'fleet.json').read_text())
    hosts = sorted(path.stem for path in (workdir / 'specs').glob('*.json'))
    missing = sorted(set(hosts) - set(containers))
    if missing:
        raise SystemExit('vcsim_containers: no container for host(s) %s (a platform whose hostname is the host)' % ', '.join(missing))
    state = {'vcs': [container_endpoint(podman, host, containers[host], workdir) for host in hosts]}
    result = endpoints(state, fleet, fleet['software'])
    write_private(workdir / 'endpoints.json', json.dumps(result, indent=2))
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    commands = parser.add_subparsers(dest='command', required=True)
    prepare_parser = commands.add_parser('prepare', help='write a spec per host and the test images')
    prepare_parser.add_argument('--inventory', action='append', required=True, help='inventory source (repeatable, as ansible -i)')
    prepare_parser.add_argument('--workdir', required=True, help='directory for the specs, images and endpoints.json')
    prepare_parser.add_argument('--time-scale', type=float, default=DEFAULT_TIME_SCALE, help='real seconds per simulated second')
    endpoints_parser = commands.add_parser('endpoints', help='wait for the containers and write endpoints.json')
    endpoints_parser.add_argument('--workdir', required=True)
    endpoints_parser.add_argument('--container', action='append', required=True, metavar='HOST=CONTAINER',
                                  help='the container a host runs in (repeatable)')
    endpoints_parser.add_argument('--podman', default=PODMAN, help='podman command (default: %(default)s)')
    args = parser.parse_args(argv)
    if args.command == 'prepare':
        print(json.dumps({'changed': True, 'hosts': prepare(args.inventory, args.workdir, args.time_scale)}))
    else:
        pairs = [item.split('=', 1) for item in args.container]
        if any(len(pair) != 2 or not all(pair) for pair in pairs):
            parser.error('--container takes HOST=CONTAINER')
        containers = dict(pairs)
        result = write_endpoints(args.workdir, shlex.split(args.podman), containers)
        print(json.dumps({'changed': True, 'hosts': {host: '%s:%d' % (entry['ansible_host'], entry['ansible_port'])
                                                     for host, entry in result['hosts'].items()}}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
