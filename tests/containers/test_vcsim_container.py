"""The simulator's container image (tools/build-vcsim-image.sh) run the way the `containers` molecule scenario runs it:
NETCONF published on 127.0.0.1, the host key read from the container and verified, a reboot that keeps the container.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import pytest
from images import podman
from jnpr.junos import Device
from jnpr.junos.exception import ConnectError
from vcsim_containers import CONTAINER_WORKDIR, NETCONF_PORT, PODMAN, container_endpoint, published_address

from vcsim.testing import FAST_TIME_SCALE, PASSWORD, USER

REBOOT_SECONDS = 90


@pytest.fixture
def device_container(vcsim_image, tmp_path):
    """Factory: start a container of the image for a one-VC spec, as the scenario does; removed at teardown."""
    started = []

    def start(vc):
        name = 'junos-ztp-test-%s' % secrets.token_hex(4)
        spec = tmp_path / ('%s.json' % name)
        spec.write_text(json.dumps({'time_scale': FAST_TIME_SCALE, 'user': USER, 'password': PASSWORD,
                                    'vcs': [dict(vc, port=NETCONF_PORT)]}))
        spec.chmod(0o644)
        started.append(name)
        podman('run', '--detach', '--name', name, '--cap-add', 'NET_BIND_SERVICE', '--publish', '127.0.0.1::%d' % NETCONF_PORT,
               '--volume', '%s:/etc/vcsim/spec.json:ro' % spec, vcsim_image)
        return dict(container_endpoint([PODMAN], vc['name'], name, tmp_path), container=name)

    yield start
    for name in started:
        podman('rm', '--force', '--time', '5', name)


def open_device(endpoint, known_hosts_file=None):
    ssh_config = Path(endpoint['known_hosts_file']).with_suffix('.ssh_config')
    ssh_config.write_text('Host *\n    UserKnownHostsFile %s\n    StrictHostKeyChecking yes\n'
                          % (known_hosts_file or endpoint['known_hosts_file']))
    device = Device(host=endpoint['host'], port=endpoint['port'], user=USER, passwd=PASSWORD, hostkey_verify=True,
                    ssh_config=str(ssh_config), gather_facts=False)
    device.open()
    return device


def container_state(name):
    return json.loads(podman('inspect', '--format', '{{json .State}} ', name))


def simulator_status(name):
    return json.loads(podman('exec', name, 'python3', '-m', 'vcsim', 'status', '--state', CONTAINER_WORKDIR + '/state.json'))


def test_netconf_is_published_on_loopback_with_the_containers_own_host_key(device_container):
    first = device_container({'name': 'vc1', 'members': [{'id': 0}, {'id': 1}]})
    second = device_container({'name': 'sw1', 'members': [{'id': 0, 'model': 'ex2300-24p'}]})
    assert first['host'] == second['host'] == '127.0.0.1'
    first_key = Path(first['known_hosts_file']).read_text().split()[1:]
    second_key = Path(second['known_hosts_file']).read_text().split()[1:]
    assert first_key[0] == second_key[0] == 'ecdsa-sha2-nistp256'
    assert first_key[1] != second_key[1], 'each container generates its own host key'

    device = open_device(first)
    members = device.rpc.get_virtual_chassis_information().findall('.//member')
    assert len(members) == 2
    device.close()

    open_device(second).close()
    # The other container's key under this container's address: host key checking refuses the connection.
    impostor = Path(first['known_hosts_file']).with_name('impostor')
    impostor.write_text('[%s]:%d %s\n' % (second['host'], second['port'], ' '.join(first_key)))
    with pytest.raises(ConnectError):
        open_device(second, known_hosts_file=impostor)


def test_a_reboot_keeps_the_container_and_its_published_address(device_container):
    endpoint = device_container({'name': 'vc1', 'members': [{'id': 0, 'priority': 255}, {'id': 1, 'priority': 255}]})
    before = container_state(endpoint['container'])
    uptimes = [member['uptime'] for member in simulator_status(endpoint['container'])['vc1']['members']]

    open_device(endpoint).rpc.request_reboot()
    # Every member leaves and comes back (the master's reboot closes the session, as on a real switch); then
    # NETCONF answers again at the same published address, with the same host key.
    deadline = time.monotonic() + REBOOT_SECONDS
    while time.monotonic() < deadline:
        status = simulator_status(endpoint['container'])['vc1']
        if status['reachable'] and all(member['state'] == 'present' and member['uptime'] < uptime
                                       for member, uptime in zip(status['members'], uptimes)):
            break
        time.sleep(0.2)
    else:
        pytest.fail('the VC did not come back from its reboot: %s' % status)
    device = open_device(endpoint)
    assert len(device.rpc.get_virtual_chassis_information().findall('.//member')) == 2
    device.close()

    after = container_state(endpoint['container'])
    assert after['Running'] and after['StartedAt'] == before['StartedAt'] and after['Pid'] == before['Pid'], (before, after)
    assert published_address([PODMAN], endpoint['container']) == (endpoint['host'], endpoint['port'])
