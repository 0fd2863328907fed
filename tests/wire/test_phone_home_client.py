"""The device-driven route end to end: a factory-default simulated VC provisions itself by phone-home.

Records rendered by the collection (render_records over validate_fleet), served by the collection's
phone-home server (two of them) behind the same server in --redirect mode, all over verified HTTPS on
loopback; the simulated VC's phone-home client (tests/vcsim/phone_home, independent of plugins/) does the
rest. Each test asserts the device-side event order and what the PHS status API shows.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from jnpr.junos import Device

from ansible_collections.junos.ztp.plugins.module_utils._data_model import validate_fleet
from ansible_collections.junos.ztp.plugins.module_utils._phs_records import render_records
from ansible_collections.junos.ztp.plugins.module_utils._versioned_dir import write_version
from loopback import reserve_port
from playbook import run_playbook
from test_phs_server import Server
from vcsim import make_image
from vcsim.spec import SpecError, parse_spec
from vcsim.testing import PASSWORD, USER

OLD, NEW = '21.4R3-S5.4', '22.4R3-S2.11'
TIME_SCALE = 1.0 / 3000          # an install (600 s) takes 0.2 s, a reboot (300 s) 0.1 s
WAIT = 90                        # real seconds any one scenario may take, generously
# The records' member detection timeout, in simulated seconds like everything the device does: 2 s real. A member is
# back 0.11 s (real) after its reboot; the rest is for a busy machine, where every real delay counts 3000 times.
DETECTION_TIMEOUT = 6000
CONFIG = '<configuration><system><host-name>{host}</host-name><autoinstallation delete="delete"/></system></configuration>'
PRE_OK = b'#!/bin/sh\necho pre-configuration ran\n'
POST_OK = b'#!/usr/bin/env python3\nprint("post-configuration ran")\n'
PRE_FAILS = b'#!/bin/sh\necho cannot reach the NMS\nexit 3\n'

# host -> (member ids, topology, mode); serials are <HOST-PREFIX><member id>.
SCENARIOS = {
    'standalone': ([0], 'none', 'default'),
    'minimum': ([0, 1, 2], 'minimum', 'default'),
    'full-default': ([0, 1, 2, 3], 'full', 'default'),
    'full-mismatch': ([0, 1, 2, 3], 'full', 'default'),
    'strict-legacy': ([0, 1, 2, 3], 'full', 'strict'),
    'strict-rfc': ([0, 1, 2, 3], 'full', 'strict'),
    'strict-lost': ([0, 1, 2], 'full', 'strict'),
    'failover': ([0, 1, 2], 'full', 'strict'),
    'six': ([0, 1, 2, 3, 4, 5], 'full', 'strict'),
    'bad-image': ([0], 'none', 'default'),
    'pre-fails': ([0, 1], 'full', 'default'),
    'bad-config': ([0, 1], 'full', 'default'),
    'wrong-anchor': ([0], 'none', 'default'),
}


def serial(host, member_id):
    return '%s%d' % (host.upper().replace('-', ''), member_id)


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """Images over HTTP, two phone-home servers sharing one certificate and one records directory, a redirect server."""
    root = tmp_path_factory.mktemp('phone-home-site')
    images = root / 'images'
    images.mkdir()
    image = make_image(images, NEW, 'ex-4300', 256 * 1024)
    files = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_QuietFiles, directory=str(images)))
    threading.Thread(target=files.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True).start()
    for name in ('phs1', 'phs2', 'phs3', 'redirect'):
        (root / name).mkdir()
    phs1 = Server(root / 'phs1')                      # writes the certificate, shared with the second server
    for name in ('cert.pem', 'key.pem'):
        shutil.copy(root / 'phs1' / name, root / 'phs2' / name)
    phs2 = Server(root / 'phs2')
    phs3 = Server(root / 'phs3')                      # a certificate of its own, which the wrong-anchor record does not name
    redirect = Server(root / 'redirect', extra=['--redirect'])   # a certificate of its own: the devices trust it by ca_file
    records = root / 'records'
    for server in (phs1, phs2, phs3, redirect):
        server.records = records
        server.url_base = 'https://127.0.0.1:%d' % server.port
    data = image.read_bytes()
    digests = {alg: hashlib.new(alg, data).hexdigest() for alg in ('md5', 'sha1', 'sha256')}
    software = {'version': NEW, 'images': [dict(models=['ex4300-*'], file=image.name, url='http://127.0.0.1:%d/%s' % (
        files.server_address[1], image.name), **digests)]}
    bad_software = {'version': NEW, 'images': [dict(software['images'][0], md5='0' * 32, sha1='0' * 40, sha256='0' * 64)]}
    hosts, inputs = {}, {}
    for host, (member_ids, topology, mode) in SCENARIOS.items():
        variables = {
            'ztp_topology': topology, 'ztp_provisioning_mode': mode, 'ztp_member_detection_timeout': DETECTION_TIMEOUT,
            'ztp_members': [{'serial_number': serial(host, i), 'member_id': i, 'model': 'ex4300-48p',
                             'role': 'routing-engine' if i < 2 else 'line-card'} for i in member_ids],
            'ztp_software': bad_software if host == 'bad-image' else software,
            'ztp_configuration': {'content': CONFIG.format(host='bad name!' if host == 'bad-config' else host)},
            'ztp_phone_home': {'server_url': 'https://127.0.0.1:%d' % phs1.port, 'backup_server_urls': ['https://127.0.0.1:%d' % phs2.port],
                               'trust_anchor': str(phs1.cert)},
        }
        if topology == 'none':
            variables['ztp_members'] = [{'serial_number': serial(host, 0), 'model': 'ex4300-48p'}]
        hosts[host] = variables
        if host == 'wrong-anchor':      # served by phs3, whose certificate is not the trust anchor the record gives
            variables['ztp_phone_home'] = {'server_url': phs3.url_base, 'trust_anchor': str(phs1.cert)}
        inputs[host] = {'configuration': variables['ztp_configuration']['content'], 'trust_anchor': phs1.cert.read_text(),
                        'scripts': {'pre': PRE_FAILS if host == 'pre-fails' else PRE_OK, 'post': POST_OK}}
    models = validate_fleet(hosts)
    write_version(str(records), render_records(models, inputs))
    for server in (phs1, phs2, phs3, redirect):
        server.start()
    yield type('Site', (), {'phs1': phs1, 'phs2': phs2, 'phs3': phs3, 'redirect': redirect, 'root': root})
    for server in (phs1, phs2, phs3, redirect):
        server.stop()
    files.shutdown()
    files.server_close()


def _spec(site, host, encoding, initial_config='factory-default', versions=None, faults=(), priorities=None, member_ids=None,
          **phone_home):
    member_ids = SCENARIOS[host][0] if member_ids is None else member_ids
    members = [{'id': i, 'serial': serial(host, i), 'model': 'ex4300-48p', 'version': (versions or {}).get(i, OLD),
                'priority': (priorities or {}).get(i, 128)} for i in member_ids]
    settings = dict({'redirect_url': 'https://127.0.0.1:%d' % site.redirect.port, 'ca_file': str(site.redirect.cert),
                     'encoding': encoding, 'retry_interval': 10, 'attempts': 1}, **phone_home)
    vc = {'name': host, 'members': members, 'initial_config': initial_config, 'phone_home': settings, 'faults': list(faults)}
    return {'time_scale': TIME_SCALE, 'user': USER, 'password': PASSWORD, 'vcs': [vc]}


@pytest.fixture
def simulate(vcsim):
    """The conftest's simulator factory (it also checks that no simulator thread, the client's included, outlives the test)."""
    return lambda spec: vcsim(spec).vcs[0]


def _finished(vc):
    """How the phone-home client ended: phc_complete or phc_gave_up (a crash of the client fails the test at once)."""
    def ended(v):
        crashed = [e['reason'] for e in v.events('phc_stop') if e['reason'].startswith('crashed')]
        assert not crashed, crashed
        return v.events(('phc_complete', 'phc_gave_up'))
    vc.wait_until(ended, timeout=WAIT)
    return vc.events(('phc_complete', 'phc_gave_up'))[0]['event']


def _notified(vc, server=None):
    """(type, message) of every notification the device sent (to ``server`` when given), in order."""
    return [(e['type'], e['message']) for e in vc.events('phc_notify') if server is None or e['server'] == server.url_base]


def _types(vc, server=None):
    return [kind for kind, unused in _notified(vc, server)]


def _phc_steps(vc, names):
    return [e['event'] for e in vc.events(names)]


class _phs_status_waiter:
    """junos.ztp.phs_status (wait: true) run by ansible-playbook in a thread, from now on."""

    def __init__(self, tmp_path, server, host):
        self.since = time.time()
        self.server, self.path = server, '"path": "/status/vcs/%s"' % host
        directory = tmp_path / ('phs-status-%s' % host)
        directory.mkdir()
        options = {'url': server.url_base, 'ca_path': str(server.cert), 'vc': host, 'since': str(self.since), 'wait': True,
                   'timeout': WAIT, 'poll_interval': 1}
        task = {'name': 'Wait', 'junos.ztp.phs_status': options}
        localhost = {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}
        self._run = None
        self._thread = threading.Thread(target=lambda: setattr(self, '_run', run_playbook(directory, [task], localhost)), daemon=True)
        self._thread.start()

    def polled(self):
        """Return once phs_status has read the status API (it is waiting)."""
        deadline = time.monotonic() + WAIT
        while self.path not in self.server.log.read_text():
            assert time.monotonic() < deadline and self._thread.is_alive(), 'phs_status never polled'
            time.sleep(0.1)

    def result(self):
        self._thread.join(WAIT + 60)
        return self._run.task('Wait')


def _vc_status(server, host):
    return server.status('/status/vcs/%s' % host)


def _member_reports(vc, kind):
    """{serial named in the message: [messages]} for one notification type."""
    result = {}
    for event in vc.events('phc_notify', type=kind):
        result.setdefault(event['message'].split()[2], []).append(event['message'])
    return result


# -- Table 1 ---------------------------------------------------------------------------------------

def test_no_topology_provisions_the_primary_as_a_standalone_device(site, simulate):
    vc = simulate(_spec(site, 'standalone', 'legacy'))
    assert _finished(vc) == 'phc_complete'
    # The image needs a reboot of the only member: the PHC starts again from factory default and finds the version.
    assert _phc_steps(vc, ('phc_start', 'phc_install', 'phc_stop', 'member_rejoin', 'phc_script', 'phc_config', 'phc_complete')) == [
        'phc_start', 'phc_install', 'phc_stop', 'member_rejoin', 'phc_start', 'phc_script', 'phc_config', 'phc_script', 'phc_complete']
    assert vc.member(0).version == NEW and vc.committed_config().findtext('system/host-name') == 'standalone'
    assert _types(vc) == ['configuration-applied', 'bootstrap-complete']     # no Table 2 (VC only) for a standalone device
    assert vc.events('phc_redirect', ok=True)[0]['servers'] == [site.phs1.url_base, site.phs2.url_base]
    status = site.phs1.status('/status/devices/%s' % serial('standalone', 0))
    assert status['state'] == 'complete'
    assert [e['type'] for e in status['history']] == ['record-fetched', 'record-fetched', 'configuration-applied', 'bootstrap-complete']
    messages = vc.fs.read('/var/log/messages').decode()
    assert 'phc[' in messages and 'bootstrap-complete' in messages


def test_minimum_topology_discovers_the_members_and_upgrades_them_rfc8572(site, simulate):
    vc = simulate(_spec(site, 'minimum', 'rfc-compliant'))
    assert _finished(vc) == 'phc_complete'
    assert [m.version for m in vc.members] == [NEW] * 3
    topology = vc.events('phc_topology')[0]
    assert topology['found'] == [serial('minimum', i) for i in range(3)]
    types = _types(vc)
    assert types[:2] == ['bootstrap-initiated', 'parsing-complete'] and types[-1] == 'bootstrap-complete'
    for progress in ('boot-image-initiated', 'boot-image-installed-rebooting', 'pre-script-initiated', 'pre-script-complete',
                     'config-initiated', 'config-complete', 'post-script-initiated', 'post-script-complete'):
        assert progress in types
    installed = [m for kind, m in _notified(vc) if m.startswith('vc-member-image-installed:')]
    assert len(installed) == 3          # Table 2 rides on informational reports, its type leading the message
    assert _vc_status(site.phs1, 'minimum')['state'] == 'complete'


@pytest.mark.parametrize('encoding', ['legacy', 'rfc-compliant'])
def test_strict_full_topology_upgrades_linecards_backup_then_primary_and_resumes_on_the_new_primary(site, simulate, encoding):
    host = 'strict-legacy' if encoding == 'legacy' else 'strict-rfc'
    vc = simulate(_spec(site, host, encoding))
    assert _finished(vc) == 'phc_complete'
    assert [m.version for m in vc.members] == [NEW] * 4
    installs = [(e['member'], e['event']) for e in vc.events(('install_end', 'reboot_start', 'phc_state_synced', 'phc_start'))]
    # Linecards one by one in member-ID order, rebooted together; then the backup; then the primary after the state sync.
    assert installs == [(0, 'phc_start'), (2, 'install_end'), (3, 'install_end'), (2, 'reboot_start'),
                        (3, 'reboot_start'), (1, 'install_end'), (1, 'reboot_start'), (0, 'install_end'), (1, 'phc_state_synced'),
                        (0, 'reboot_start'), (1, 'phc_start')]
    assert vc.events('phc_start')[1]['resumed'] is True
    # The old backup is primary; a new backup was elected while the old primary rebooted; the old primary came back
    # as linecard and then took the backup role.
    assert vc.master_id == 1 and vc.backup_id == 0
    interim = [e for e in vc.events('role_change', new='Backup') if e['member'] not in (0, 1)]
    assert interim, 'a new backup is elected while the old primary reboots'
    assert [e['new'] for e in vc.events('role_change', member=0)][-3:] == [None, 'Linecard', 'Backup']
    temporary = vc.events('phc_temporary_config')
    assert [e['action'] for e in temporary] == ['commit', 'remove'] and temporary[1]['member'] == 1
    assert vc.committed_config().find('virtual-chassis') is None   # role-keeping configuration gone
    assert vc.committed_config().findtext('system/host-name') == host
    assert [e['exit_status'] for e in vc.events('phc_script')] == [0, 0]
    if encoding == 'legacy':
        kinds = _types(vc)
        assert kinds == (['vc-member-image-installed'] * 2 + ['vc-member-reboot-initiated'] * 2 + ['vc-member-upgrade-success'] * 2
                         + ['vc-member-image-installed', 'vc-member-upgrade-success', 'vc-member-image-installed',
                            'vc-member-upgrade-success', 'configuration-applied', 'bootstrap-complete'])
        messages = [m for unused, m in _notified(vc)]
        assert messages[0] == 'Member 2 %s Linecard: Successfully installed downloaded image. Initiating image installation on next member.' % serial(host, 2)
        assert messages[1].endswith('Successfully installed downloaded image. Initiating member reboot.')
        assert messages[6] == 'Member 1 %s Backup: Successfully installed downloaded image. Initiating member reboot.' % serial(host, 1)
        assert messages[8].startswith('Member 0 %s Master: ' % serial(host, 0))
        assert messages[9].startswith('Member 0 %s ' % serial(host, 0)) and messages[9].endswith('Member detected and successfully upgraded.')
    status = _vc_status(site.phs1, host)
    assert status['state'] == 'complete' and status['provisioning_mode'] == 'strict'
    assert set(status['members']) == {serial(host, i) for i in range(4)}
    assert all(member['state'] != 'pending' for member in status['members'].values())
    # Both primaries reported: the first before its reboot, the second after it resumed.
    assert {e['serial'] for e in status['history'] if e['type'] != 'record-fetched'} == {serial(host, 0), serial(host, 1)}


def test_full_topology_default_mode_provisions_without_a_member_that_never_returns(site, simulate):
    vc = simulate(_spec(site, 'full-default', 'legacy', faults=[{'type': 'member_never_returns', 'member': 3}]))
    assert _finished(vc) == 'phc_complete'
    lost = _member_reports(vc, 'vc-member-detection-failed')
    assert list(lost) == [serial('full-default', 3)] and lost[serial('full-default', 3)][0].endswith('Did not come up post image upgrade')
    assert _types(vc)[-1] == 'bootstrap-complete'
    assert [m.version for m in vc.members][:3] == [NEW] * 3
    status = _vc_status(site.phs1, 'full-default')
    assert status['state'] == 'complete'
    assert status['members'][serial('full-default', 3)]['stage'] == 'vc-member-detection-failed'


def test_full_topology_default_mode_proceeds_with_the_members_found_when_they_do_not_match_the_list(site, simulate):
    # The record lists members 0-3; member 3 is not cabled in (the VC has three members), member 2 reports another serial.
    vc = simulate(_spec(site, 'full-mismatch', 'rfc-compliant', member_ids=[0, 1, 2],
                        faults=[{'type': 'unexpected_serial', 'member': 2, 'serial': 'STRANGER2'}]))
    assert _finished(vc) == 'phc_complete'
    topology, = vc.events('phc_topology')
    assert topology['missing'] == [serial('full-mismatch', 2), serial('full-mismatch', 3)] and topology['extra'] == ['STRANGER2']
    assert [m.version for m in vc.members] == [NEW] * 3           # every member found is provisioned, the stranger too
    assert _types(vc)[-1] == 'bootstrap-complete'
    assert _vc_status(site.phs1, 'full-mismatch')['state'] == 'complete'


def test_strict_mode_with_a_member_that_never_returns_fails_on_every_server(site, simulate, tmp_path):
    waiter = _phs_status_waiter(tmp_path, site.phs1, 'strict-lost')
    vc = simulate(_spec(site, 'strict-lost', 'legacy', faults=[{'type': 'member_never_returns', 'member': 2}]))
    assert _finished(vc) == 'phc_gave_up'
    result = waiter.result()
    assert result['status'] == 'failed' and 'vc-bootstrap-failed' in result['result']['msg']
    failed = vc.events('phc_notify', type='vc-bootstrap-failed')
    assert [e['server'] for e in failed] == [site.phs1.url_base, site.phs2.url_base]
    assert failed[0]['message'] == 'VC member bootstrap failure detected with Strict provisioning set.'
    assert failed[1]['message'] == 'VC with detection failed members and Strict provisioning set.'   # still missing at the start
    assert _phc_steps(vc, ('phc_member_missing', 'phc_server_failed', 'phc_temporary_config'))[:4] == [
        'phc_temporary_config', 'phc_member_missing', 'phc_member_missing', 'phc_temporary_config']
    for server in (site.phs1, site.phs2):
        assert _vc_status(server, 'strict-lost')['state'] == 'failed'
    assert vc.committed_config().find('virtual-chassis') is None


def test_strict_failure_moves_to_the_second_phone_home_server_and_succeeds_there(site, simulate):
    # Member 2 boots late after the zeroize (it already runs the target version, so it is never rebooted again): half a
    # detection window (1 s real) after the first server's window ends, less the time it takes to fetch the redirect and
    # the record, and at least half a window before the second server's ends.
    vc = simulate(_spec(site, 'failover', 'legacy', initial_config='generated', versions={2: NEW},
                        faults=[{'type': 'member_returns_late', 'member': 2, 'seconds': 1.5 * DETECTION_TIMEOUT}]))
    with Device(host=vc.host, port=vc.port, user=USER, passwd=PASSWORD, hostkey_verify=True, ssh_config=vc.ssh_config_file,
                gather_facts=False) as device:
        device.rpc.request_system_zeroize()                      # over real NETCONF
    assert _finished(vc) == 'phc_complete'
    assert [e['server'] for e in vc.events('phc_server_failed')] == [site.phs1.url_base]
    assert vc.events('phc_notify', type='vc-bootstrap-failed')[0]['message'] == 'VC with detection failed members and Strict provisioning set.'
    assert _types(vc, site.phs2)[-1] == 'bootstrap-complete'
    skipped, = _member_reports(vc, 'vc-member-upgrade-success')[serial('failover', 2)]
    assert skipped.startswith('Member 2 %s ' % serial('failover', 2)) and skipped.endswith(': No upgrade required.')
    assert _vc_status(site.phs1, 'failover')['state'] == 'failed'
    assert _vc_status(site.phs2, 'failover')['state'] == 'complete'


def test_six_member_vc_whose_primary_is_member_3_provisions_itself(site, simulate, tmp_path):
    # Member 3 was primary before the zeroize; the factory-default VC elects it again (previous primary wins the tie).
    vc = simulate(_spec(site, 'six', 'rfc-compliant', initial_config='generated', priorities={3: 255}))
    assert vc.master_id == 3
    waiter = _phs_status_waiter(tmp_path, site.phs1, 'six')
    waiter.polled()
    with Device(host=vc.host, port=vc.port, user=USER, passwd=PASSWORD, hostkey_verify=True, ssh_config=vc.ssh_config_file,
                gather_facts=False) as device:
        device.rpc.request_system_zeroize()
    assert _finished(vc) == 'phc_complete'
    result = waiter.result()
    assert result['status'] == 'ok', result
    assert result['result']['state'] == 'complete' and result['result']['polls'] >= 2     # it waited for the device
    assert result['result']['history'][-1]['type'] == 'bootstrap-complete'
    assert vc.events('phc_start')[0]['member'] == 3
    assert [m.version for m in vc.members] == [NEW] * 6
    order = [e['member'] for e in vc.events('install_end')]
    assert order == [1, 2, 4, 5, 0, 3]       # linecards by member ID, then the backup (member 0), then the primary (member 3)
    assert vc.events('phc_start')[-1]['resumed'] is True
    assert _vc_status(site.phs1, 'six')['state'] == 'complete'


# -- failures ---------------------------------------------------------------------------------------

def test_an_image_whose_checksums_do_not_match_is_downloaded_again_then_reported(site, simulate):
    vc = simulate(_spec(site, 'bad-image', 'legacy', image_attempts=2))
    assert _finished(vc) == 'phc_gave_up'
    verify = vc.events('phc_image_verify', server=None)
    assert [(e['attempt'], e['ok'], e['mismatched']) for e in verify] == [(1, False, ['md5', 'sha1']), (2, False, ['md5', 'sha1'])] * 2
    assert _types(vc) == ['bootstrap-failed', 'bootstrap-failed']          # once per phone-home server
    assert 'checksum mismatch' in vc.events('phc_notify')[0]['message']
    assert vc.member(0).version == OLD and not vc.events('install_start')
    assert site.phs1.status('/status/devices/%s' % serial('bad-image', 0))['state'] == 'failed'


@pytest.mark.parametrize('encoding', ['legacy', 'rfc-compliant'])
def test_a_failing_pre_configuration_script_is_reported_and_nothing_is_committed(site, simulate, encoding):
    vc = simulate(_spec(site, 'pre-fails', encoding))
    assert _finished(vc) == 'phc_gave_up'
    scripts = vc.events('phc_script')
    assert [(e['stage'], e['exit_status']) for e in scripts] == [('pre', 3), ('pre', 3)]
    assert 'cannot reach the NMS' in scripts[0]['output']
    expected = 'bootstrap-failed' if encoding == 'legacy' else 'pre-script-error'
    assert _types(vc, site.phs1)[-1] == expected and _types(vc, site.phs2)[-1] == expected
    assert not vc.events('phc_config')
    assert vc.committed_config().findtext('system/host-name') is None
    assert _vc_status(site.phs2, 'pre-fails')['state'] == 'failed'


def test_a_configuration_that_does_not_commit_is_reported(site, simulate):
    vc = simulate(_spec(site, 'bad-config', 'legacy'))
    assert _finished(vc) == 'phc_gave_up'
    failed = vc.events('phc_notify', type='configuration-failed')
    assert len(failed) == 2 and 'Invalid hostname' in failed[0]['message']
    assert not vc.events('phc_notify', type='bootstrap-complete')
    assert vc.committed_config().findtext('system/host-name') is None
    assert [m.version for m in vc.members] == [NEW, NEW]
    assert _vc_status(site.phs1, 'bad-config')['state'] == 'failed'


def test_a_bootstrap_server_is_trusted_only_through_the_redirect_answers_trust_anchor(site, simulate):
    vc = simulate(_spec(site, 'wrong-anchor', 'rfc-compliant'))
    assert _finished(vc) == 'phc_gave_up'
    refused, = vc.events('phc_record', ok=False)
    assert refused['server'] == site.phs3.url_base and 'certificate verify failed' in refused['error'], refused
    assert not vc.events('phc_notify')
    # The TLS handshake failed: the server never saw a request for the record.
    assert site.phs3.status('/status/devices/%s' % serial('wrong-anchor', 0))['state'] == 'pending'


@pytest.mark.parametrize('phone_home, message', [
    ({'redirect_url': 'http://127.0.0.1:1'}, "vcs[0].phone_home.redirect_url: expected the redirect server's https:// URL"),
    ({'redirect_url': 'https://127.0.0.1:1', 'encoding': 'xml'}, 'vcs[0].phone_home.encoding: expected one of legacy, rfc-compliant'),
    ({'redirect_url': 'https://127.0.0.1:1', 'retry_interval': 0}, 'vcs[0].phone_home.retry_interval: must be a positive number'),
    ({'redirect_url': 'https://127.0.0.1:1', 'attempts': 0}, 'vcs[0].phone_home.attempts: must be at least 1'),
    ({'redirect_url': 'https://127.0.0.1:1', 'retries': 3}, 'vcs[0].phone_home: unknown key(s) retries'),
])
def test_the_phone_home_spec_is_validated_with_the_key_path(phone_home, message):
    with pytest.raises(SpecError) as raised:
        parse_spec({'vcs': [{'name': 'vc', 'members': [{'id': 0}], 'phone_home': phone_home}]})
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize('redirect', ['not claimed', 'unreachable'])
def test_the_redirect_server_is_asked_again_with_a_bounded_back_off(site, simulate, redirect):
    spec = _spec(site, 'standalone', 'legacy', retry_interval=10, retry_max_interval=40)
    vc_spec = spec['vcs'][0]
    vc_spec['name'], vc_spec['members'][0]['serial'] = 'unclaimed', 'UNCLAIMED0'
    with reserve_port() as refusing:            # a port nobody listens on, for as long as the client asks
        if redirect == 'unreachable':
            vc_spec['phone_home']['redirect_url'] = 'https://127.0.0.1:%d' % refusing.getsockname()[1]
        vc = simulate(spec)
        vc.wait_until(lambda v: len(v.events('phc_retry')) >= 5, timeout=WAIT)
        assert [e['delay'] for e in vc.events('phc_retry')][:5] == [10, 20, 40, 40, 40]
        errors = [e['error'] for e in vc.events('phc_redirect')][:5]
        assert all(('404 Not Found (serial number not claimed)' if redirect == 'not claimed' else 'Connection refused') in e for e in errors), errors
        assert not vc.events(('phc_record', 'phc_notify', 'phc_gave_up'))   # it keeps asking; nothing else happens
