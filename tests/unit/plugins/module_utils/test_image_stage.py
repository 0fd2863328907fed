"""Unit tests of image staging: planning, checksums, space, retries, progress, and the staging flow on a fake device."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

import pytest
from lxml import etree

from ansible_collections.junos.ztp.plugins.module_utils import _image_stage as stage
from ansible_collections.junos.ztp.plugins.module_utils._image_stage import (
    MIB, SPACE_MARGIN_BYTES, AttemptFailed, ImageStager, ProgressMeter, StageError, backoff_delays, choose_algorithm,
    choose_source, local_digest, parse_storage, plan_images, redact_url, scrub_url, space_needed, space_shortfalls,
    verify_local_images, with_retries)

SHA256_A = 'a' * 64


def software(*images, version='22.4R3-S2.3'):
    return {'version': version, 'images': list(images)}


def image(models, file, **extra):
    return dict({'models': models, 'file': file, 'local_path': None, 'url': None, 'md5': None, 'sha1': None, 'sha256': None}, **extra)


def member(member_id, model, version='21.4R3-S5.4', status='present'):
    return {'member_id': member_id, 'model': model, 'version': version, 'status': status}


EX4300 = image(['ex4300-*'], 'ex4300.tgz', local_path='/images/ex4300.tgz', url='http://192.0.2.10/ex4300.tgz', sha256=SHA256_A, md5='b' * 32)
EX2300 = image(['ex2300-*'], 'ex2300.tgz', url='http://192.0.2.10/ex2300.tgz', sha1='c' * 40)


class TestChoices:
    def test_auto_algorithm_prefers_sha256_then_sha1_then_md5(self):
        assert choose_algorithm(EX4300, 'auto') == 'sha256'
        assert choose_algorithm(EX2300, 'auto') == 'sha1'
        assert choose_algorithm(image(['x'], 'f', md5='d' * 32), 'auto') == 'md5'

    def test_requested_algorithm_must_be_in_the_inventory(self):
        assert choose_algorithm(EX4300, 'md5') == 'md5'
        assert choose_algorithm(EX4300, 'sha1') is None

    def test_auto_source_prefers_the_controller_file(self):
        assert choose_source(EX4300, 'auto') == 'controller'
        assert choose_source(EX2300, 'auto') == 'url'
        assert choose_source(EX4300, 'url') == 'url'
        assert choose_source(EX2300, 'controller') is None

    def test_device_errors_never_show_url_credentials(self):
        url = 'ftp://ztp:s3cret@192.0.2.10/images/a.tgz'
        assert scrub_url('fetch: %s: Not Found (s3cret)' % url, url) == 'fetch: ftp://192.0.2.10/images/a.tgz: Not Found (********)'
        assert scrub_url('no URL here', None) == 'no URL here'

    def test_redact_url_drops_credentials_only(self):
        assert redact_url('ftp://ztp:secret@192.0.2.10:2121/images/a.tgz') == 'ftp://192.0.2.10:2121/images/a.tgz'
        assert redact_url('http://[2001:db8::1]/a.tgz') == 'http://[2001:db8::1]/a.tgz'
        assert redact_url('https://user@[2001:db8::1]/a.tgz') == 'https://[2001:db8::1]/a.tgz'


class TestPlan:
    def test_mixed_models_get_each_image_they_need_once(self):
        members = [member(0, 'ex4300-48p'), member(1, 'ex4300-48t'), member(2, 'ex2300-24t'), member(3, 'ex4300-48p')]
        images, on_target = plan_images(software(EX4300, EX2300), members)
        assert [(i.file, i.members, i.source, i.algorithm, i.path) for i in images] == [
            ('ex4300.tgz', [0, 1, 3], 'controller', 'sha256', '/var/tmp/ex4300.tgz'),
            ('ex2300.tgz', [2], 'url', 'sha1', '/var/tmp/ex2300.tgz')]
        assert on_target == []

    def test_members_on_target_and_absent_members_need_nothing(self):
        members = [member(0, 'ex4300-48p', version='22.4R3-S2.3'), member(1, 'ex2300-24t', status='not-present')]
        images, on_target = plan_images(software(EX4300, EX2300), members)
        assert images == [] and on_target == [0]

    def test_every_problem_is_reported_at_once(self):
        members = [member(0, 'ex4600-40f'), member(1, 'ex2300-24t'), member(2, 'ex4300-48p')]
        with pytest.raises(StageError) as error:
            plan_images(software(EX4300, EX2300), members, source='controller', algorithm='sha256')
        message = str(error.value)
        assert 'member 0 (ex4600-40f): no image' in message
        assert 'ztp_software.images[1]: source controller needs local_path' in message
        assert 'ztp_software.images[1]: has no sha256 checksum' in message
        assert 'images[0]' not in message

    def test_destination_dir_is_honoured(self):
        images = plan_images(software(EX4300), [member(0, 'ex4300-48p')], destination_dir='/var/tmp/images')[0]
        assert images[0].path == '/var/tmp/images/ex4300.tgz'


class TestLocalDigest:
    def test_digest_is_computed_once_per_file_version(self, tmp_path, monkeypatch):
        path = tmp_path / 'image.tgz'
        path.write_bytes(b'junos' * 1000)
        calls = []
        real = stage.file_digest
        monkeypatch.setattr(stage, 'file_digest', lambda p, a: calls.append(p) or real(p, a))
        cache = tmp_path / 'cache'
        first = local_digest(str(path), 'sha256', str(cache))
        assert local_digest(str(path), 'sha256', str(cache)) == first == hashlib.sha256(b'junos' * 1000).hexdigest()
        assert len(calls) == 1
        path.write_bytes(b'other' * 1001)
        assert local_digest(str(path), 'sha256', str(cache)) == hashlib.sha256(b'other' * 1001).hexdigest()
        assert len(calls) == 2

    def test_wrong_inventory_checksum_is_refused_with_both_values(self, tmp_path):
        path = tmp_path / 'ex4300.tgz'
        path.write_bytes(b'x' * 10)
        images = plan_images(software(dict(EX4300, local_path=str(path))), [member(0, 'ex4300-48p')])[0]
        with pytest.raises(StageError) as error:
            verify_local_images(images)
        assert 'ztp_software.images[0].sha256 is %s' % SHA256_A in str(error.value)
        assert hashlib.sha256(b'x' * 10).hexdigest() in str(error.value)

    def test_missing_local_file_is_named(self, tmp_path):
        images = plan_images(software(dict(EX4300, local_path=str(tmp_path / 'nope.tgz'))), [member(0, 'ex4300-48p')])[0]
        with pytest.raises(StageError, match=r'ztp_software.images\[0\].local_path: cannot read .*nope.tgz'):
            verify_local_images(images)


STORAGE_VC = """
<system-storage-information-reply><multi-routing-engine-results>
  <multi-routing-engine-item><re-name>fpc0</re-name><system-storage-information>
    <filesystem><filesystem-name>/dev/gpt/junos</filesystem-name><available-blocks>905000</available-blocks><mounted-on>/.mount</mounted-on></filesystem>
    <filesystem><filesystem-name>tmpfs</filesystem-name><available-blocks>2048</available-blocks><mounted-on>/.mount/tmp</mounted-on></filesystem>
    <filesystem><filesystem-name>/dev/gpt/var</filesystem-name><available-blocks>4000000</available-blocks><mounted-on>/.mount/var</mounted-on></filesystem>
  </system-storage-information></multi-routing-engine-item>
  <multi-routing-engine-item><re-name>fpc1</re-name><system-storage-information>
    <filesystem><filesystem-name>/dev/gpt/junos</filesystem-name><available-blocks>100</available-blocks><mounted-on>/.mount</mounted-on></filesystem>
  </system-storage-information></multi-routing-engine-item>
</multi-routing-engine-results></system-storage-information-reply>
"""


class TestSpace:
    def test_storage_is_read_per_member_from_the_file_system_holding_the_directory(self):
        free = parse_storage(ET.fromstring(STORAGE_VC), '/var/tmp')
        assert free == {0: ('/var', 4000000 * 512), 1: ('/', 100 * 512)}

    def test_a_bare_storage_reply_belongs_to_the_local_member(self):
        reply = ET.fromstring('<system-storage-information><filesystem><available-blocks>10</available-blocks>'
                              '<mounted-on>/</mounted-on></filesystem></system-storage-information>')
        assert parse_storage(reply, '/var/tmp', local_member=0) == {0: ('/', 5120)}

    def test_primary_holds_every_image_and_members_their_own(self):
        images = plan_images(software(EX4300, dict(EX2300, local_path='/images/ex2300.tgz')),
                             [member(0, 'ex4300-48p'), member(1, 'ex4300-48p'), member(2, 'ex2300-24t')])[0]
        images[0].size, images[1].size = 400 * MIB, 300 * MIB
        assert space_needed(images, primary=0) == {0: 700 * MIB + SPACE_MARGIN_BYTES, 1: 400 * MIB + SPACE_MARGIN_BYTES,
                                                   2: 300 * MIB + SPACE_MARGIN_BYTES}

    def test_shortfalls_carry_the_numbers(self):
        needed = {0: 100 * MIB, 1: 100 * MIB, 2: 10 * MIB}
        free = {0: ('/var', 50 * MIB), 1: ('/', 200 * MIB)}
        assert space_shortfalls(needed, free, '/var/tmp') == [
            'member 0: 50.0 MiB free on /var, %s needed (100.0 MiB with the 32.0 MiB margin)' % stage.mib(100 * MIB - SPACE_MARGIN_BYTES),
            'member 2: get-system-storage shows no file system holding /var/tmp']


class TestRetries:
    def test_backoff_doubles_up_to_the_cap(self):
        assert backoff_delays(5, 10) == [10, 20, 40, 60, 60]

    def test_retries_until_success_with_backoff(self):
        sleeps, outcomes = [], iter([AttemptFailed('dropped'), AttemptFailed('bad checksum'), None])

        def attempt(number):
            outcome = next(outcomes)
            if outcome is not None:
                raise outcome

        assert with_retries(attempt, retries=3, delay=2, sleep=sleeps.append) == 3
        assert sleeps == [2, 4]

    def test_final_failure_names_every_attempt(self):
        def attempt(number):
            raise AttemptFailed('reason %d' % number)

        with pytest.raises(StageError) as error:
            with_retries(attempt, retries=2, delay=0, sleep=lambda s: None, describe='staging f.tgz')
        assert str(error.value) == 'staging f.tgz failed after 3 attempt(s): attempt 1: reason 1; attempt 2: reason 2; attempt 3: reason 3'

    def test_other_errors_are_not_retried(self):
        def attempt(number):
            raise StageError('not a transfer problem')

        with pytest.raises(StageError, match='not a transfer problem'):
            with_retries(attempt, retries=5, delay=0, sleep=lambda s: pytest.fail('slept'))


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_every_ten_percent_or_five_seconds_and_at_the_end():
    clock, lines = FakeClock(), []
    meter = ProgressMeter(lines.append, 'f.tgz', 100 * MIB, clock)
    for done, now in [(1, 0.5), (5, 1.0), (10, 1.0), (12, 2.0), (14, 7.5), (15, 8.0), (100, 10.0)]:
        clock.now = now
        meter.update(done * MIB)
    assert lines == ['f.tgz: 10.0 MiB of 100.0 MiB (10 %), 10.0 MiB/s',
                     'f.tgz: 14.0 MiB of 100.0 MiB (14 %), 1.9 MiB/s',
                     'f.tgz: 100.0 MiB of 100.0 MiB (100 %), 10.0 MiB/s']


class FakeRpc:
    """The few RPCs staging sends, over an in-memory file system."""

    def __init__(self, files, free_blocks):
        self.files = files
        self.free_blocks = free_blocks
        self.calls = []

    def _checksum(self, algorithm, path):
        self.calls.append(('checksum', path))
        if path not in self.files:
            raise stage.RpcError(rsp=etree.fromstring('<rpc-error><error-severity>error</error-severity><error-message>sha256: %s: '
                                                      'No such file or directory</error-message></rpc-error>' % path))
        return ET.fromstring('<checksum-information><file-checksum><checksum>%s</checksum></file-checksum></checksum-information>'
                             % hashlib.new(algorithm, self.files[path]).hexdigest())

    def get_sha256_checksum_information(self, path, **_):
        return self._checksum('sha256', path)

    def file_delete(self, path):
        self.calls.append(('delete', path))
        self.files.pop(path, None)
        return True

    def get_system_storage(self):
        self.calls.append(('storage',))
        items = ''.join('<multi-routing-engine-item><re-name>fpc%d</re-name><system-storage-information><filesystem>'
                        '<available-blocks>%d</available-blocks><mounted-on>/.mount</mounted-on></filesystem>'
                        '</system-storage-information></multi-routing-engine-item>' % (fpc, self.free_blocks) for fpc in (0, 1))
        return ET.fromstring('<multi-routing-engine-results>%s</multi-routing-engine-results>' % items)

    def request_system_storage_cleanup(self, **_):
        self.calls.append(('cleanup',))
        self.free_blocks *= 100


class FakeDevice:
    connected = True
    hostname = 'vc4'
    timeout = 30

    def __init__(self, rpc):
        self.rpc = rpc


class FakeStager(ImageStager):
    """Transfers write the local bytes (or the given corrupted ones) into the fake device's files."""

    def __init__(self, rpc, uploads=(), **options):
        super().__init__(connect=lambda: FakeDevice(rpc), sleep=lambda s: None, **options)
        self.rpc = rpc
        self.uploads = list(uploads)
        self.device = FakeDevice(rpc)

    def _session_alive(self):
        return True

    def scp_put(self, image, meter):
        self.rpc.calls.append(('scp', image.path))
        data = self.uploads.pop(0) if self.uploads else open(image.local_path, 'rb').read()
        if isinstance(data, Exception):
            raise data
        self.rpc.files[image.path] = data


@pytest.fixture
def planned(tmp_path):
    path = tmp_path / 'ex4300.tgz'
    path.write_bytes(b'J' * 4096)
    sha256 = hashlib.sha256(b'J' * 4096).hexdigest()
    images, on_target = plan_images(software(dict(EX4300, local_path=str(path), sha256=sha256)), [member(0, 'ex4300-48p'), member(1, 'ex4300-48t')])
    verify_local_images(images)
    return images


class TestStaging:
    def test_fresh_copy_is_verified_on_the_device(self, planned):
        rpc = FakeRpc({}, free_blocks=10 ** 6)
        result = FakeStager(rpc)._stage(planned, [], primary=0)
        assert result['changed'] and result['bytes_sent'] == 4096
        assert result['images'][0]['status'] == 'sent' and result['images'][0]['attempts'] == 1
        assert [c[0] for c in rpc.calls] == ['checksum', 'storage', 'scp', 'checksum']

    def test_already_staged_sends_nothing(self, planned):
        rpc = FakeRpc({'/var/tmp/ex4300.tgz': b'J' * 4096}, free_blocks=0)
        result = FakeStager(rpc)._stage(planned, [], primary=0)
        assert not result['changed'] and result['bytes_sent'] == 0 and result['images'][0]['status'] == 'present'
        assert [c[0] for c in rpc.calls] == ['checksum']

    def test_check_mode_says_what_would_be_sent(self, planned):
        rpc = FakeRpc({}, free_blocks=10 ** 6)
        result = FakeStager(rpc, check_mode=True)._stage(planned, [], primary=0)
        assert result['changed'] and result['bytes_sent'] == 0 and result['bytes_to_send'] == 4096
        assert result['images'][0]['status'] == 'would send'
        assert 'scp' not in [c[0] for c in rpc.calls]

    def test_no_room_is_refused_before_sending(self, planned):
        rpc = FakeRpc({}, free_blocks=10)
        with pytest.raises(StageError, match=r'not enough space, nothing sent: member 0: 0.0 MiB free on /'):
            FakeStager(rpc)._stage(planned, [], primary=0)
        assert 'scp' not in [c[0] for c in rpc.calls]

    def test_cleanup_runs_when_short_of_space(self, planned):
        rpc = FakeRpc({}, free_blocks=1000)
        result = FakeStager(rpc, cleanup=True)._stage(planned, [], primary=0)
        assert result['storage_cleanup'] == 'ran request system storage cleanup'
        assert [c[0] for c in rpc.calls][:4] == ['checksum', 'storage', 'cleanup', 'storage']

    def test_corrupted_copy_is_removed_and_retried(self, planned):
        rpc = FakeRpc({}, free_blocks=10 ** 6)
        result = FakeStager(rpc, uploads=[b'X' * 4096], retries=2)._stage(planned, [], primary=0)
        assert result['images'][0]['attempts'] == 2 and result['bytes_sent'] == 8192
        assert [c[0] for c in rpc.calls] == ['checksum', 'storage', 'scp', 'checksum', 'delete', 'scp', 'checksum']

    def test_final_failure_lists_attempts_and_leaves_no_bad_copy(self, planned):
        rpc = FakeRpc({}, free_blocks=10 ** 6)
        stager = FakeStager(rpc, uploads=[b'X' * 4096, EOFError('session closed')], retries=1)
        with pytest.raises(StageError) as error:
            stager._stage(planned, [], primary=0)
        message = str(error.value)
        assert message.startswith('staging ex4300.tgz failed after 2 attempt(s): attempt 1: the copy on the device has sha256 ')
        assert '(no copy left on the device); attempt 2: EOFError: session closed (no copy left on the device)' in message
        assert rpc.files == {}
