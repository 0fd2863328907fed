"""The role junos.ztp.phone_home_server run the way users run it: the shipped playbooks, ansible-playbook over SSH,
against a Debian bookworm host with systemd as PID 1 in a container (tools/build-phs-host-image.sh).

The host reaches no package index (this machine's egress re-signs TLS with a CA only the machine trusts), so the role
installs from a wheelhouse made here with `pip download`, as on an air-gapped server. The first run installs the
package junos-ztp-phs into the virtualenv, writes and starts the systemd unit, and publishes the example inventory's
records; the server then answers a device's record fetch over HTTPS (its certificate verified) and records it; a
second run changes nothing and leaves the service running.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from images import REPO, podman
from vcsim_containers import PODMAN, published_address

SERVER_PORT = 8443
BASE = '/opt/junos-ztp-phs'
SERIAL = 'PE3714100218'  # a member of ams1-vc1 in the example inventory
RECORD = '/restconf/data/juniper-zerotouch-bootstrap-server:devices/device=%s' % SERIAL
BOOT_SECONDS = 60
PLAYBOOK_SECONDS = 600
# The server reloads the records directory every 2 s.
ANSWER_SECONDS = 60


@pytest.fixture
def phs_host(phs_host_image, tmp_path):
    """A running container of the image, SSH and the server's port published on 127.0.0.1; removed at teardown."""
    key = tmp_path / 'id_ed25519'
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'junos-ztp-test', '-f', str(key)], check=True)
    name = 'junos-ztp-phs-host-%s' % secrets.token_hex(4)
    try:
        podman('run', '--detach', '--name', name, '--systemd=always', '--publish', '127.0.0.1::22',
               '--publish', '127.0.0.1::%d' % SERVER_PORT, '--volume', '%s.pub:/root/.ssh/authorized_keys:ro' % key, phs_host_image)
        wait_active(name, 'ssh', BOOT_SECONDS)
        address, ssh_port = published_address([PODMAN], name, 22)
        known_hosts = tmp_path / 'known_hosts'
        host_key = podman('exec', name, 'cat', '/etc/ssh/ssh_host_ed25519_key.pub').split()[:2]
        known_hosts.write_text('[%s]:%d %s\n' % (address, ssh_port, ' '.join(host_key)))
        yield {'container': name, 'address': address, 'ssh_port': ssh_port, 'key': key, 'known_hosts': known_hosts,
               'server_port': published_address([PODMAN], name, SERVER_PORT)[1]}
    finally:
        podman('rm', '--force', '--time', '10', '--ignore', name)


def wait_active(container, unit, timeout):
    deadline = time.monotonic() + timeout
    while True:
        state = subprocess.run([PODMAN, 'exec', container, 'systemctl', 'is-active', unit], capture_output=True, text=True, check=False)
        if state.stdout.strip() == 'active':
            return
        if time.monotonic() > deadline:
            pytest.fail('%s did not start in the container: %s' % (unit, podman('exec', container, 'systemctl', 'status', '--no-pager', unit)))
        time.sleep(0.2)


@pytest.fixture(scope='module')
def wheelhouse(tmp_path_factory):
    """Wheels of the server's pinned dependencies and of setuptools for the host's CPython 3.11 (Debian bookworm)."""
    directory = tmp_path_factory.mktemp('wheelhouse')
    requirements = REPO / 'roles' / 'phone_home_server' / 'files' / 'requirements.txt'
    downloaded = subprocess.run([sys.executable, '-m', 'pip', 'download', '--quiet', '--dest', str(directory), '--only-binary=:all:',
                                 '--platform=manylinux_2_28_x86_64', '--platform=manylinux2014_x86_64', '--python-version=3.11',
                                 '--implementation=cp', '--abi=cp311', '-r', str(requirements), 'setuptools>=61'],
                                capture_output=True, text=True, timeout=600, check=False)
    assert downloaded.returncode == 0, downloaded.stderr
    return directory


def run_playbooks(tmp_path, host, wheelhouse):
    """playbooks/phone_home_server.yml and playbooks/phs_records.yml for the example inventory plus the host."""
    inventory = tmp_path / 'phs.yml'
    inventory.write_text(json.dumps({'phone_home_server': {'hosts': {'phs1': {
        'ansible_connection': 'ansible.builtin.ssh', 'ansible_host': host['address'], 'ansible_port': host['ssh_port'],
        'ansible_user': 'root', 'ansible_ssh_private_key_file': str(host['key']), 'ansible_python_interpreter': '/usr/bin/python3',
        'ansible_ssh_common_args': '-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes' % host['known_hosts'],
        'phone_home_server_wheelhouse': str(wheelhouse)}}}}))
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / '.build' / 'collections'), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
               ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='0')
    # The host is logged into as root: no become (the image has no sudo).
    completed = subprocess.run([str(bin_dir / 'ansible-playbook'), '-i', str(REPO / 'playbooks' / 'inventory' / 'example'),
                                '-i', str(inventory), '-e', 'junos_ztp_phs_become=false',
                                str(REPO / 'playbooks' / 'phone_home_server.yml'), str(REPO / 'playbooks' / 'phs_records.yml')],
                               cwd=tmp_path, env=env, capture_output=True, text=True, timeout=PLAYBOOK_SECONDS, check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]
    # ansible-playbook prints a recap after each playbook, the last one counting both.
    recap = re.findall(r'^phs1\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0', output, re.MULTILINE)
    assert len(recap) == 2, output[-6000:]
    return int(recap[-1]), output


def fetch(host, path, cafile, headers):
    """(status, body) of an HTTPS GET to the published server port, the server's certificate verified."""
    context = ssl.create_default_context(cafile=str(cafile))
    request = urllib.request.Request('https://%s:%d%s' % (host['address'], host['server_port'], path), headers=headers)
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def fetch_when_served(host, path, cafile, headers):
    """The first 200 answer: the service may still be starting, or not have loaded the records yet."""
    deadline = time.monotonic() + ANSWER_SECONDS
    while True:
        try:
            status, body = fetch(host, path, cafile, headers)
        except OSError as error:
            status, body = None, str(error)
        if status == 200:
            return body
        if time.monotonic() > deadline:
            service = podman('exec', host['container'], 'systemctl', 'status', '--no-pager', 'junos-ztp-phs')
            pytest.fail('%s answered %s %r; service: %s' % (path, status, body, service))
        time.sleep(0.2)


def service_start(container):
    return podman('exec', container, 'systemctl', 'show', '--property=MainPID,ActiveEnterTimestampMonotonic', 'junos-ztp-phs')


def test_role_installs_the_package_starts_the_service_serves_records_and_is_idempotent(phs_host, wheelhouse, tmp_path):
    container = phs_host['container']
    changed, output = run_playbooks(tmp_path, phs_host, wheelhouse)
    assert changed > 0, output[-6000:]

    # The package itself in the service's virtualenv, with its console script; the unit runs that script.
    assert podman('exec', container, 'test', '-x', BASE + '/venv/bin/junos-ztp-phs') == ''
    shown = podman('exec', container, BASE + '/venv/bin/pip', 'show', 'junos-ztp-phs')
    assert 'Name: junos-ztp-phs' in shown and 'Location: %s/venv/lib/python3.11/site-packages' % BASE in shown, shown
    unit = podman('exec', container, 'cat', '/etc/systemd/system/junos-ztp-phs.service')
    assert 'ExecStart=%s/venv/bin/junos-ztp-phs ' % BASE in unit and 'PYTHONPATH' not in unit, unit
    assert podman('exec', container, 'systemctl', 'is-active', 'junos-ztp-phs').strip() == 'active'
    assert podman('exec', container, 'systemctl', 'is-enabled', 'junos-ztp-phs').strip() == 'enabled'

    # A device's record fetch (HTTP Basic, serial number as user, empty password), the generated certificate verified.
    cafile = tmp_path / 'cert.pem'
    cafile.write_text(podman('exec', container, 'cat', '/etc/junos-ztp-phs/cert.pem'))
    device = {'Authorization': 'Basic ' + base64.b64encode(b'%s:' % SERIAL.encode()).decode()}
    record = fetch_when_served(phs_host, RECORD, cafile, device)
    assert record == (REPO / 'tests' / 'golden' / 'phs' / 'devices' / ('%s.xml' % SERIAL)).read_bytes()
    # The service stored the fetch (its database is writable under the unit's sandbox), behind the generated token.
    token = podman('exec', container, 'cat', '/etc/junos-ztp-phs/status-token').strip()
    assert fetch(phs_host, '/status/devices/%s' % SERIAL, cafile, {})[0] == 401
    deadline = time.monotonic() + ANSWER_SECONDS
    while True:
        status = json.loads(fetch_when_served(phs_host, '/status/devices/%s' % SERIAL, cafile, {'Authorization': 'Bearer ' + token}))
        if status['history'] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status['host'] == 'ams1-vc1' and [event['type'] for event in status['history']] == ['record-fetched'], status

    started = service_start(container)
    changed, output = run_playbooks(tmp_path, phs_host, wheelhouse)
    assert changed == 0, output[-6000:]
    assert service_start(container) == started, 'the second run restarted the service'
    assert podman('exec', container, 'systemctl', 'is-active', 'junos-ztp-phs').strip() == 'active'
