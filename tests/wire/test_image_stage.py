"""junos.ztp.image_stage against the simulated Virtual Chassis: real PyEZ, real SCP, real ansible-playbook."""

from __future__ import annotations

import hashlib
import http.server
import threading

import pytest
from playbook import run_playbook, vc_host_vars
from vcsim import make_image
from vcsim.rpc import HANDLERS as SIMULATOR_RPCS
from vcsim.testing import FAST_TIME_SCALE, PASSWORD, USER, vc4_spec

from ansible_collections.junos.ztp.plugins.module_utils._connection import open_device
from ansible_collections.junos.ztp.plugins.module_utils._image_stage import ImageStager, StageError

VERSION = '22.4R3-S2.3'
MIB = 1 << 20
TASK = 'Stage the image'


def software(*images):
    return {'version': VERSION, 'images': list(images)}


def image_entry(path, models=('ex4300-*',), **extra):
    return dict({'models': list(models), 'file': path.name, 'local_path': str(path),
                 'sha256': hashlib.sha256(path.read_bytes()).hexdigest()}, **extra)


@pytest.fixture
def ex4300_image(tmp_path):
    return make_image(tmp_path, VERSION, 'ex-4300', 3 * MIB)


def stager(vc, **options):
    params = {'host': vc.host, 'port': vc.port, 'user': USER, 'password': PASSWORD, 'private_key_file': None,
              'host_key_checking': True, 'known_hosts_file': vc.known_hosts_file, 'timeout': 30}
    return ImageStager(lambda: open_device(params), sleep=lambda seconds: None, **options)


def uploads(vc):
    return [(e['path'], e['bytes'], e['ok'], e['corrupted']) for e in vc.events('upload')]


def test_fresh_copy_then_rerun_sends_nothing_with_ansible_playbook(vcsim, ex4300_image, tmp_path):
    spec = vc4_spec('vca')
    spec['vcs'].append(vc4_spec('vcb')['vcs'][0])
    sim = vcsim(spec)
    entry = image_entry(ex4300_image)
    hosts = {name: vc_host_vars(sim.vc(name), USER, PASSWORD, ztp_software=software(entry)) for name in ('vca', 'vcb')}
    tasks = [{'name': TASK, 'junos.ztp.image_stage': {}}]
    path = '/var/tmp/' + ex4300_image.name
    size = ex4300_image.stat().st_size

    checked = run_playbook(tmp_path, tasks, hosts, check=True)
    assert checked.returncode == 0, checked.output
    result = checked.task(TASK, 'vca')['result']
    assert result['changed'] and result['bytes_to_send'] == size and result['bytes_sent'] == 0
    assert [i['status'] for i in result['images']] == ['would send']
    assert sim.vc('vca').bytes_received == 0 and ex4300_image.name not in sim.vc('vca').files()

    first = run_playbook(tmp_path, tasks, hosts)
    assert first.returncode == 0, first.output
    for name in ('vca', 'vcb'):
        vc = sim.vc(name)
        result = first.task(TASK, name)['result']
        assert result['changed'] and result['bytes_sent'] == size
        assert result['images'][0]['status'] == 'sent' and result['images'][0]['members'] == [0, 1, 2, 3]
        assert result['images'][0]['checksum'] == entry['sha256'] and result['images'][0]['path'] == path
        assert vc.bytes_received == size and uploads(vc) == [(path, size, True, False)]
        assert vc.fs.checksum(path, 'sha256') == entry['sha256']
    # One NETCONF session per VC per run (check mode, then the copy); the SCP channel rides on its connection.
    assert sim.vc('vca').sessions_opened == 2
    # Two hosts, one local file: hashed once in this run, whichever worker came first.
    assert first.output.count('computing the sha256 of %s' % ex4300_image) == 1
    assert '(100 %)' in first.output

    again = run_playbook(tmp_path, tasks, hosts)
    assert again.returncode == 0, again.output
    for name in ('vca', 'vcb'):
        result = again.task(TASK, name)['result']
        assert not result['changed'] and result['bytes_sent'] == 0 and result['images'][0]['status'] == 'present'
        assert sim.vc(name).bytes_received == size


def test_wrong_inventory_checksum_is_refused_before_sending(vc4, ex4300_image):
    entry = image_entry(ex4300_image, sha256='0' * 64)
    with pytest.raises(StageError, match=r'ztp_software.images\[0\].sha256 is 0{64} but .* has sha256 [0-9a-f]{64}; refusing to send it'):
        stager(vc4).run(software(entry))
    assert vc4.bytes_received == 0 and uploads(vc4) == []


def test_corrupted_upload_is_detected_removed_and_retried(vc4, ex4300_image):
    entry = image_entry(ex4300_image)
    path = '/var/tmp/' + ex4300_image.name
    vc4.inject_fault('corrupt_next_upload')
    with pytest.raises(StageError, match=r'failed after 1 attempt\(s\): attempt 1: the copy on the device has sha256 [0-9a-f]{64}, '
                                         r'expected %s \(no copy left on the device\)' % entry['sha256']):
        stager(vc4, retries=0).run(software(entry))
    assert ex4300_image.name not in vc4.files()

    vc4.inject_fault('corrupt_next_upload')
    result = stager(vc4, retries=2).run(software(entry))
    assert result['images'][0]['attempts'] == 2 and result['bytes_sent'] == 2 * ex4300_image.stat().st_size
    assert [(ok, corrupted) for unused_path, unused_size, ok, corrupted in uploads(vc4)] == [(True, True), (True, True), (True, False)]
    assert vc4.fs.checksum(path, 'sha256') == entry['sha256']


def test_interrupted_transfer_reconnects_and_retries(vc4, ex4300_image):
    """The session drops while the copy is being verified: the next attempt opens a new session and sends again."""
    entry = image_entry(ex4300_image)
    staging = stager(vc4, retries=1)
    send = staging.scp_put

    def send_then_drop(image, meter):
        send(image, meter)
        if len(uploads(vc4)) == 1:
            vc4.inject_fault('drop_session', rpc='get-sha256-checksum-information')

    staging.scp_put = send_then_drop
    result = staging.run(software(entry))
    assert result['images'][0]['attempts'] == 2 and vc4.bytes_received == 2 * ex4300_image.stat().st_size
    assert vc4.sessions_opened == 2


def test_disk_full_is_refused_before_sending_and_cleanup_can_make_room(vcsim, ex4300_image):
    vc = vcsim(vc4_spec(files=[{'path': '/var/log/messages.0.gz', 'size_bytes': 64 * MIB, 'cleanable': True}])).vc('vc4')
    vc.inject_fault('disk_full', bytes_available=MIB)
    entry = image_entry(ex4300_image)
    with pytest.raises(StageError, match=r'not enough space, nothing sent: member 0: 1.0 MiB free on /, 3.0 MiB needed \(35.0 MiB with'):
        stager(vc).run(software(entry))
    assert vc.bytes_received == 0 and uploads(vc) == []

    result = stager(vc, cleanup=True).run(software(entry))
    assert result['storage_cleanup'] == 'ran request system storage cleanup' and result['bytes_sent'] == ex4300_image.stat().st_size
    assert vc.events('storage_cleanup')[0]['files'] == ['/var/log/messages.0.gz']


def test_mixed_models_get_each_image_they_need(vcsim, tmp_path):
    members = [{'id': 0, 'model': 'ex4600-40f', 'priority': 255}, {'id': 1, 'model': 'ex4300-48p', 'priority': 255},
               {'id': 2, 'model': 'ex4300-48t', 'role': 'line-card'}]
    vc = vcsim({'time_scale': FAST_TIME_SCALE, 'user': USER, 'password': PASSWORD, 'vcs': [{'name': 'mixed', 'mode': 'mixed', 'members': members}]}).vc('mixed')
    ex4300 = make_image(tmp_path, VERSION, 'ex-4300', 2 * MIB)
    ex4600 = make_image(tmp_path, VERSION, 'ex-4600', MIB)
    result = stager(vc).run(software(image_entry(ex4300), image_entry(ex4600, models=['ex4600-*'])))
    assert [(i['file'], i['members']) for i in result['images']] == [(ex4300.name, [1, 2]), (ex4600.name, [0])]
    assert vc.bytes_received == result['bytes_sent'] == 3 * MIB


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def file_server(tmp_path):
    """An HTTP server on loopback serving tmp_path."""
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), lambda *a: _QuietHandler(*a, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.skipif('file-copy' not in SIMULATOR_RPCS, reason='the simulator does not implement the file-copy RPC (file copy URL /var/tmp/)')
def test_url_source_is_fetched_by_the_device(vc4, ex4300_image, file_server):
    entry = image_entry(ex4300_image, local_path=None, url='%s/%s' % (file_server, ex4300_image.name))
    result = stager(vc4).run(software(entry))
    image = result['images'][0]
    assert result['changed'] and image['status'] == 'fetched' and image['source'] == 'url'
    assert image['size'] == ex4300_image.stat().st_size and result['bytes_sent'] == 0 and vc4.bytes_received == 0
    assert vc4.fs.checksum('/var/tmp/' + ex4300_image.name, 'sha256') == entry['sha256']
    again = stager(vc4).run(software(entry))
    assert not again['changed'] and again['images'][0]['status'] == 'present'
