"""The phone-home server over TLS on loopback: a PHC-protocol client, RFC 8572, status API, phs_status, restarts, reloads."""

from __future__ import annotations

import base64
import concurrent.futures
import functools
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ansible_collections.junos.ztp.plugins.module_utils._phs_records import render_records
from ansible_collections.junos.ztp.plugins.module_utils._versioned_dir import write_version
from loopback import reserve_port
from playbook import REPO, run_playbook
from vcsim.ztp import enter_netns

SERVER_SOURCE = REPO / 'roles' / 'phone_home_server' / 'files'
sys.path.insert(0, str(SERVER_SOURCE))
sys.path.insert(0, str(REPO / 'tests' / 'unit'))

from junos_ztp_phs.tls import write_self_signed  # noqa: E402  pylint: disable=wrong-import-position
from phs_fixtures import fleet  # noqa: E402  pylint: disable=wrong-import-position

LEGACY = '/restconf/data/juniper-zerotouch-bootstrap-server:devices/device=%s'
RFC8572 = '/restconf/operations/ietf-sztp-bootstrap-server:%s'


def _notification(kind, message=''):
    return ('<notification xmlns="http://juniper.net/zerotouch-bootstrap-server"><notification-type>%s</notification-type>'
            '<message>%s</message></notification>' % (kind, message)).encode()


class Server:
    """The server in a subprocess, as the role's service runs it."""

    def __init__(self, workdir, extra=(), database=None):
        self.workdir = Path(workdir)
        self.database = database or ['--db', str(self.workdir / 'notifications.db')]
        self.records = self.workdir / 'records'
        self.cert, self.key = self.workdir / 'cert.pem', self.workdir / 'key.pem'
        if not self.cert.exists():
            write_self_signed(str(self.cert), str(self.key), ['127.0.0.1'])
        self.extra = list(extra)
        self.process = None
        # Held for the server's life, so that no other process takes the port before it starts or between restarts.
        self._reservation = reserve_port()
        self.port = self._reservation.getsockname()[1]
        self.context = ssl.create_default_context(cafile=str(self.cert))  # verifies the server against the test CA
        self.log = self.workdir / ('server-%d.log' % self.port)

    def start_process(self):
        command = [sys.executable, '-m', 'junos_ztp_phs', '--records', str(self.records), *self.database,
                   '--cert', str(self.cert), '--key', str(self.key), '--listen', '127.0.0.1:%d' % self.port,
                   '--reload-interval', '0.2'] + self.extra
        env = dict(os.environ, PYTHONPATH=str(SERVER_SOURCE))
        with open(self.log, 'ab') as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)

    def start(self):
        self.start_process()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                self.request('GET', '/status')
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError('server did not start:\n' + self.log.read_text())

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)

    def request(self, method, path, body=None, user=None, password='', headers=None):
        connection = http.client.HTTPSConnection('127.0.0.1', self.port, context=self.context, timeout=10)
        headers = dict(headers or {})
        if user is not None:
            headers['Authorization'] = 'Basic ' + base64.b64encode(('%s:%s' % (user, password)).encode()).decode()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def status(self, path):
        code, _headers, body = self.request('GET', path)
        assert code == 200, body
        return json.loads(body)


def _write_records(directory, overrides=None):
    models, inputs = fleet(overrides)
    files = render_records(models, inputs)
    write_version(str(directory), files)
    return files


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('phs')
    server = Server(workdir)
    server.files = _write_records(server.records)
    server.start()
    yield server
    server.stop()


def test_phc_client_fetches_its_record_and_its_notifications_show_in_the_status_api(server):
    code, headers, body = server.request('GET', LEGACY % 'VCF0002', user='VCF0002')
    assert code == 200 and headers['Content-Type'].startswith('application/yang.data+xml')
    assert body == server.files['devices/VCF0002.xml']
    for kind, message in (('vc-member-image-installed', 'Member 1 VCF0002 Linecard: Successfully installed downloaded image.'),
                          ('vc-member-upgrade-success', 'Successfully upgraded.'), ('bootstrap-complete', '')):
        code, _headers, _body = server.request('POST', (LEGACY % 'VCF0001') + '/notification', _notification(kind, message),
                                               user='VCF0001', headers={'Content-Type': 'application/yang.data+xml'})
        assert code == 201
    device = server.status('/status/devices/VCF0001')
    assert device['state'] == 'complete' and device['host'] == 'vc-full-strict'
    assert [e['type'] for e in device['history']] == ['vc-member-image-installed', 'vc-member-upgrade-success', 'bootstrap-complete']
    vc = server.status('/status/vcs/vc-full-strict')
    assert vc['state'] == 'complete' and vc['provisioning_mode'] == 'strict'
    assert vc['members']['VCF0002']['stage'] == 'vc-member-image-installed'  # named in the primary's message
    assert [e['type'] for e in vc['history']][0] == 'record-fetched'
    assert server.status('/status')['hosts']['vc-full-strict']['state'] == 'complete'


def _delayed_acks():
    """Linux's count of delayed TCP acknowledgements in the calling thread's network namespace."""
    names, values = Path('/proc/thread-self/net/netstat').read_text().splitlines()[:2]
    return int(dict(zip(names.split(), values.split()))['DelayedACKs'])


def _fetches_with_nagle(tmp_path, count):
    """Delayed acknowledgements while a TLS 1.3 client that keeps Nagle's algorithm on fetches `count` records."""
    run = functools.partial(subprocess.run, check=True)
    namespace = 'jzq' + os.urandom(3).hex()
    run(['ip', 'netns', 'add', namespace])
    try:
        enter_netns(namespace)  # this thread only: the server started below and its counters are the namespace's alone
        run(['ip', 'link', 'set', 'lo', 'up'])
        server = Server(tmp_path)
        _write_records(server.records)
        server.start()
        try:
            auth = base64.b64encode(b'VCF0002:').decode()
            request = ('GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\nConnection: close\r\n\r\n'
                       % (LEGACY % 'VCF0002', auth)).encode()
            before = _delayed_acks()
            for _fetch in range(count):
                # No TCP_NODELAY (unlike http.client): the request, written after the client's Finished, waits for its ACK.
                with socket.create_connection(('127.0.0.1', server.port)) as raw, \
                        server.context.wrap_socket(raw, server_hostname='127.0.0.1') as tls:
                    assert tls.version() == 'TLSv1.3'
                    tls.sendall(request)
                    answer = b''.join(iter(functools.partial(tls.recv, 65536), b''))
                    assert answer.startswith(b'HTTP/1.1 200 ')
            return _delayed_acks() - before
        finally:
            server.stop()
    finally:
        subprocess.run(['ip', 'netns', 'del', namespace], check=False)


def test_the_end_of_a_client_handshake_is_acknowledged_at_once(tmp_path):
    """A client that writes its request right after its TLS Finished (Nagle on) is not held ~40 ms by a delayed ACK."""
    if os.geteuid() != 0:
        pytest.skip('network namespaces need root')
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # a thread of its own, which leaves the test's namespace
        delayed = pool.submit(_fetches_with_nagle, tmp_path, 20).result()
    assert delayed == 0  # 20 without TCP_QUICKACK (one per fetch), counted by the kernel rather than timed


def test_rfc8572_client_gets_onboarding_information_and_reports_progress(server):
    code, headers, body = server.request('POST', RFC8572 % 'get-bootstrapping-data', b'{"ietf-sztp-bootstrap-server:input": {"hw-model": "ex4300"}}',
                                         user='SA0001', headers={'Content-Type': 'application/yang-data+json'})
    assert code == 200 and headers['Content-Type'].startswith('application/yang-data+json')
    output = json.loads(body)['ietf-sztp-bootstrap-server:output']
    cms = base64.b64decode(output['conveyed-information'])
    parsed = subprocess.run(['openssl', 'asn1parse', '-inform', 'DER'], input=cms, capture_output=True, check=True).stdout.decode()
    assert '1.2.840.113549.1.9.16.1.43' in parsed or 'sztpConveyedInfoJSON' in parsed
    assert cms.endswith(server.files['devices/SA0001.json'])  # the OCTET STRING is the record
    code, _headers, _body = server.request('POST', RFC8572 % 'report-progress',
                                           b'{"ietf-sztp-bootstrap-server:input": {"progress-type": "boot-image-initiated"}}', user='SA0001')
    assert code == 204
    assert server.status('/status/devices/SA0001')['stage'] == 'boot-image-initiated'


def test_unknown_serial_bad_credentials_and_malformed_notifications(server):
    assert server.request('GET', LEGACY % 'NOSUCH', user='NOSUCH')[0] == 404
    assert server.request('POST', RFC8572 % 'get-bootstrapping-data', user='NOSUCH')[0] == 404
    code, headers, _body = server.request('GET', LEGACY % 'SA0001')
    assert code == 401 and headers['WWW-Authenticate'].startswith('Basic')
    assert server.request('GET', LEGACY % 'SA0001', user='SA0002')[0] == 401  # another device's name
    assert server.request('GET', LEGACY % 'SA0001', user='SA0001', password='guess')[0] == 401
    before = server.status('/status/devices/SA0002')['history']
    for body in (b'<notification><notification-type>made-up</notification-type></notification>', b'<notification>',
                 b'<notification><message>no type</message></notification>', b'{"not": "xml"}'):
        assert server.request('POST', (LEGACY % 'SA0002') + '/notification', body, user='SA0002')[0] == 400
    for body in (b'{"ietf-sztp-bootstrap-server:input": {"progress-type": "vc-bootstrap-failed"}}', b'[]', b'not json'):
        assert server.request('POST', RFC8572 % 'report-progress', body, user='SA0002')[0] == 400
    assert server.status('/status/devices/SA0002')['history'] == before == []


def test_notifications_survive_a_restart(tmp_path):
    server = Server(tmp_path)
    _write_records(server.records)
    server.start()
    try:
        assert server.request('POST', (LEGACY % 'VCM0001') + '/notification', _notification('configuration-applied'), user='VCM0001')[0] == 201
    finally:
        server.stop()
    server.start()
    try:
        assert server.status('/status/devices/VCM0001')['last_event']['type'] == 'configuration-applied'
    finally:
        server.stop()


@pytest.mark.parametrize('workers', ['1', '2'])
def test_an_address_in_use_is_a_clear_error_and_a_failed_exit(tmp_path, workers):
    server = Server(tmp_path, extra=['--workers', workers])
    _write_records(server.records)
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        server.port = taken.getsockname()[1]
        server.start_process()
        assert server.process.wait(timeout=60) == 1
    log = server.log.read_text()
    assert 'ERROR cannot listen on 127.0.0.1:%d (' % server.port in log and 'already in use' in log.lower(), log
    assert 'Traceback' not in log, log


def test_a_certificate_that_cannot_be_used_is_a_clear_error_and_a_failed_exit(tmp_path):
    server = Server(tmp_path)
    _write_records(server.records)
    server.key.write_text('not a key\n')
    server.start_process()
    assert server.process.wait(timeout=60) == 1
    log = server.log.read_text()
    assert 'ERROR cannot use the certificate %s and key %s (' % (server.cert, server.key) in log, log
    assert 'Traceback' not in log, log


def test_records_reload_without_a_restart(tmp_path):
    server = Server(tmp_path)
    _write_records(server.records)
    server.start()
    try:
        assert server.request('GET', LEGACY % 'NEW0001', user='NEW0001')[0] == 404
        configuration = '<configuration><system><autoinstallation delete="delete"/></system></configuration>'
        _write_records(server.records, {'new-switch': {'ztp_members': [{'serial_number': 'NEW0001'}], 'ztp_configuration': {'content': configuration}}})
        deadline = time.monotonic() + 60
        while server.request('GET', LEGACY % 'NEW0001', user='NEW0001')[0] != 200:
            assert time.monotonic() < deadline, 'records were not reloaded'
            time.sleep(0.1)
        assert server.request('GET', LEGACY % 'SA0001', user='SA0001')[0] == 200
    finally:
        server.stop()


def test_redirect_mode_sends_devices_to_their_phone_home_server(tmp_path):
    server = Server(tmp_path, extra=['--redirect'])
    servers = {'server_url': 'https://127.0.0.1:8443', 'backup_server_urls': ['https://127.0.0.1:9443']}
    models, inputs = fleet({'vc-full-strict': {'ztp_phone_home': servers}})
    inputs['vc-full-strict']['trust_anchor'] = server.cert.read_text()
    write_version(str(server.records), render_records(models, inputs))
    server.start()
    try:
        code, _headers, body = server.request('GET', LEGACY % 'VCF0001', user='VCF0001')
        assert code == 200
        # Shaped like Juniper's redirector: <device><unique-id/><redirect-information/>, every server in order.
        assert body.startswith(b'<device xmlns="http://juniper.net/zerotouch-bootstrap-server"><unique-id>VCF0001</unique-id>'
                               b'<redirect-information><bootstrap-server><address>127.0.0.1</address><port>8443</port><trust-anchor>MII')
        assert b'<bootstrap-server><address>127.0.0.1</address><port>9443</port><trust-anchor>MII' in body
        code, _headers, body = server.request('POST', RFC8572 % 'get-bootstrapping-data', user='VCF0001')
        cms = base64.b64decode(json.loads(body)['ietf-sztp-bootstrap-server:output']['conveyed-information'])
        assert b'"ietf-sztp-conveyed-info:redirect-information"' in cms
    finally:
        server.stop()


def test_status_token(tmp_path):
    (tmp_path / 'token').write_text('s3cret\n')
    server = Server(tmp_path, extra=['--status-token-file', str(tmp_path / 'token')])
    _write_records(server.records)
    server.start()
    try:
        assert server.request('GET', '/status/devices/SA0001')[0] == 401
        assert server.request('GET', '/status/devices/SA0001', headers={'Authorization': 'Bearer s3cret'})[0] == 200
        assert server.request('GET', LEGACY % 'SA0001', user='SA0001')[0] == 200  # devices do not need it
    finally:
        server.stop()


def _report_after_a_poll(server, serial, kinds):
    """Post notifications once phs_status has read the status API at least once (it is waiting)."""
    polls_before = server.log.read_text().count('"path": "/status/vcs/')

    def report():
        deadline = time.monotonic() + 60
        while server.log.read_text().count('"path": "/status/vcs/') == polls_before and time.monotonic() < deadline:
            time.sleep(0.1)
        for kind in kinds:
            server.request('POST', (LEGACY % serial) + '/notification', _notification(kind), user=serial)
    thread = threading.Thread(target=report, daemon=True)
    thread.start()
    return thread


def _phs_status_task(server, **options):
    return {'name': 'Wait', 'junos.ztp.phs_status': dict({'url': 'https://127.0.0.1:%d' % server.port, 'ca_path': str(server.cert),
                                                          'wait': True, 'timeout': 60, 'poll_interval': 1}, **options)}


def test_phs_status_waits_for_a_virtual_chassis_to_complete(tmp_path):
    server = Server(tmp_path)
    _write_records(server.records)
    server.start()
    try:
        old = server.request('POST', (LEGACY % 'VCF0001') + '/notification', _notification('bootstrap-complete'), user='VCF0001')
        assert old[0] == 201  # an earlier provisioning, before "since"
        since = time.time()
        thread = _report_after_a_poll(server, 'VCF0002', ['vc-member-reboot-initiated', 'vc-member-upgrade-success', 'bootstrap-complete'])
        run = run_playbook(tmp_path, [_phs_status_task(server, vc='vc-full-strict', since=str(since))],
                           {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}})
        thread.join()
        result = run.task('Wait')
        assert result['status'] == 'ok', run.output[-3000:]
        assert result['result']['state'] == 'complete' and result['result']['polls'] >= 2
        assert [e['type'] for e in result['result']['history']] == ['vc-member-reboot-initiated', 'vc-member-upgrade-success', 'bootstrap-complete']

        thread = _report_after_a_poll(server, 'VCF0001', ['vc-bootstrap-failed'])
        run = run_playbook(tmp_path, [_phs_status_task(server, vc='vc-full-strict', since=str(time.time()))],
                           {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}})
        thread.join()
        result = run.task('Wait')
        assert result['status'] == 'failed' and 'vc-bootstrap-failed' in result['result']['msg']
    finally:
        server.stop()
