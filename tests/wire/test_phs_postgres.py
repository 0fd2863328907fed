"""Several phone-home servers, one truth: two servers on loopback share a real PostgreSQL (started here as an
unprivileged user), a device fails over when its server is killed, nothing acknowledged is ever lost to a
SIGKILL (SQLite and PostgreSQL), and a database outage is answered 503 until it is over."""

from __future__ import annotations

import asyncio
import base64
import http.client
import signal
import ssl
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
import pytest

from playbook import run_playbook
from postgres import PASSWORD, Postgres
from test_phs_server import LEGACY, Server, _notification, _write_records

DEVICES = 40
CONFIGURATION = '<configuration><system><autoinstallation delete="delete"/></system></configuration>'


@pytest.fixture(scope='module')
def postgres():
    database = Postgres()
    yield database
    database.remove()


def _pg_server(workdir, postgres):
    return Server(workdir, database=['--postgres', postgres.dsn, '--postgres-password-file', str(postgres.password_file)])


def _many_devices():
    """The fixture fleet plus DEVICES standalone switches FO0000... (one host each)."""
    return {'fo-%02d' % i: {'ztp_members': [{'serial_number': 'FO%04d' % i}], 'ztp_configuration': {'content': CONFIGURATION}}
            for i in range(DEVICES)}


def _post(server, serial, kind, message=''):
    return server.request('POST', (LEGACY % serial) + '/notification', _notification(kind, message), user=serial)[0]


def test_two_servers_share_one_database_and_answer_alike(tmp_path, postgres):
    first = _pg_server(tmp_path, postgres)
    second = _pg_server(tmp_path, postgres)  # same records directory, same certificate
    _write_records(first.records)
    first.start()
    second.start()
    try:
        since = time.time()
        assert _post(first, 'VCF0002', 'vc-member-image-installed', 'Member 1 VCF0002: installed') == 201
        assert _post(second, 'VCF0001', 'vc-member-upgrade-success') == 201
        assert _post(first, 'VCF0001', 'bootstrap-complete') == 201
        for path in ('/status/vcs/vc-full-strict', '/status/devices/VCF0002', '/status'):
            assert first.status(path) == second.status(path), path
        vc = second.status('/status/vcs/vc-full-strict?since=%f' % since)
        assert [e['type'] for e in vc['history']] == ['vc-member-image-installed', 'vc-member-upgrade-success', 'bootstrap-complete']
        assert vc['state'] == 'complete'
        assert postgres.psql('SELECT version FROM phs_schema') == '1\n'  # migrated once, by whichever server came first

        # junos.ztp.phs_status reads the second server what the first one heard.
        run = run_playbook(tmp_path, [{'name': 'Status', 'junos.ztp.phs_status': {
            'url': 'https://127.0.0.1:%d' % second.port, 'ca_path': str(second.cert), 'vc': 'vc-full-strict', 'since': str(since)}}],
            {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}})
        result = run.task('Status')
        assert result['status'] == 'ok', run.output[-3000:]
        assert result['result']['state'] == 'complete' and len(result['result']['history']) == 3
    finally:
        first.stop()
        second.stop()
    for server in (first, second):
        assert PASSWORD not in server.log.read_text()


def test_postgres_store_group_commits_in_arrival_order(postgres):
    """Notifications arriving together share transactions; queued served records go with them, first, as they came."""
    from junos_ztp_phs.store import Event, PostgresStore  # pylint: disable=import-outside-toplevel

    class CountingStore(PostgresStore):
        transactions = 0

        async def _write(self, events):
            await super()._write(events)
            CountingStore.transactions += 1

    serials = ['GC%04d' % i for i in range(10)]

    def event(serial, kind):
        return Event(serial=serial, host='gc', type=kind, message='', source='legacy', received=time.time())

    async def scenario():
        store = CountingStore(postgres.dsn, password=PASSWORD)
        for serial in serials:
            store.add_soon(event(serial, 'record-fetched'))
        await asyncio.gather(*(store.add(event(serial, kind)) for kind in ('vc-member-image-installed', 'bootstrap-complete')
                               for serial in serials))
        stored = await store.events(serials)
        await store.close()
        return stored
    stored = asyncio.run(scenario())
    assert len(stored) == 30 and CountingStore.transactions < 20  # fewer commits than notifications
    for serial in serials:
        assert [e.type for e in stored if e.serial == serial] == ['record-fetched', 'vc-member-image-installed', 'bootstrap-complete']


def _device_run(servers, serial, interrupted, after_first_report=None):
    """A phone-home client's attempt: fetch the record, report three stages; on a dead server start over at the next one.

    after_first_report, when given, is called once the first stage is stored (the test holds some devices there)."""
    for server in servers:
        reported = 0
        try:
            code, _headers, _body = server.request('GET', LEGACY % serial, user=serial)
            assert code == 200
            for kind in ('vc-member-image-installed', 'vc-member-upgrade-success', 'bootstrap-complete'):
                time.sleep(0.02)  # the device works between two reports
                assert _post(server, serial, kind) == 201
                reported += 1
                if reported == 1 and after_first_report is not None:
                    after_first_report()
                    after_first_report = None
            return server
        except (OSError, http.client.HTTPException):
            if reported:
                interrupted.append(serial)
    raise AssertionError('%s found no phone-home server' % serial)


def test_devices_fail_over_when_a_server_is_killed_mid_run(tmp_path, postgres):
    first = _pg_server(tmp_path, postgres)
    second = _pg_server(tmp_path, postgres)
    _write_records(first.records, _many_devices())
    first.start()
    second.start()
    since = time.time()
    finished, interrupted = [], []
    # No timing luck: devices 0-3 finish on the first server before it dies; devices 4-7 have reported one stage
    # to it and wait there until it is killed; the others run whenever the pool gets to them.
    held = list(range(4, 8))
    reached = threading.Barrier(len(held) + 1)
    killed = threading.Event()

    def hold():
        reached.wait(timeout=60)
        killed.wait(timeout=60)

    try:
        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(_device_run, [first, second], 'FO%04d' % i, interrupted, hold if i in held else None)
                       for i in range(DEVICES)]
            done_first = [future.result(timeout=60) for future in futures[:4]]
            reached.wait(timeout=60)
            first.process.send_signal(signal.SIGKILL)
            first.process.wait()
            killed.set()
            finished = done_first + [future.result(timeout=60) for future in futures[4:]]
        assert done_first == [first] * 4
        assert all(finished[i] is second for i in held)
        assert {'FO%04d' % i for i in held} <= set(interrupted)  # they lost their server between two reports
        for i in range(DEVICES):
            device = second.status('/status/devices/FO%04d?since=%f' % (i, since))
            assert device['state'] == 'complete', device
    finally:
        killed.set()
        first.process.kill()
        first.process.wait()
        second.stop()


async def _load(server, serials, acknowledged, stop_after):
    """Notifications from many devices at once, each with its own message; remember the ones answered 201."""
    context = ssl.create_default_context(cafile=str(server.cert))
    url = 'https://127.0.0.1:%d' % server.port

    async def device(serial):
        auth = 'Basic ' + base64.b64encode(('%s:' % serial).encode()).decode()
        async with aiohttp.ClientSession(url, headers={'Authorization': auth}) as session:
            for number in range(10_000):
                message = '%s load %d' % (serial, number)
                try:
                    async with session.post((LEGACY % serial) + '/notification', data=_notification('informational', message),
                                            ssl=context) as response:
                        if response.status != 201:
                            return
                except (aiohttp.ClientError, OSError):
                    return
                acknowledged.append((serial, message))
                if len(acknowledged) >= stop_after:
                    server.process.send_signal(signal.SIGKILL)
                    return

    await asyncio.wait_for(asyncio.gather(*(device(s) for s in serials)), 60)


@pytest.mark.parametrize('backend', ['sqlite', 'postgresql'])
def test_sigkill_under_load_loses_no_acknowledged_notification(tmp_path, postgres, backend):
    server = _pg_server(tmp_path, postgres) if backend == 'postgresql' else Server(tmp_path)
    _write_records(server.records, _many_devices())
    server.start()
    serials = ['FO%04d' % i for i in range(20)]
    acknowledged = []
    try:
        asyncio.run(_load(server, serials, acknowledged, stop_after=300))
        assert server.process.wait(timeout=20) == -signal.SIGKILL
        server.start()  # on the same database
        stored = set()
        for serial in serials:
            stored.update((serial, e['message']) for e in server.status('/status/devices/' + serial)['history'])
        assert len(acknowledged) >= 300
        assert set(acknowledged) <= stored
    finally:
        server.process.kill()
        server.process.wait()


def test_database_outage_is_answered_503_and_the_server_recovers(tmp_path, postgres):
    server = _pg_server(tmp_path, postgres)
    _write_records(server.records)
    server.start()
    try:
        assert _post(server, 'SA0001', 'informational', 'before the outage') == 201
        postgres.stop()
        try:
            code, headers, body = server.request('POST', (LEGACY % 'SA0001') + '/notification',
                                                 _notification('informational', 'during the outage'), user='SA0001')
            assert code == 503 and headers['Retry-After'] == '5', body
            assert server.request('GET', '/status/devices/SA0001')[0] == 503
            assert server.request('GET', LEGACY % 'SA0001', user='SA0001')[0] == 200  # records are local: devices still get them
        finally:
            postgres.start()
        deadline = time.monotonic() + 30
        while _post(server, 'SA0001', 'informational', 'after the outage') != 201:
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.2)
        messages = [e['message'] for e in server.status('/status/devices/SA0001')['history']]
        assert 'before the outage' in messages and 'after the outage' in messages and 'during the outage' not in messages
    finally:
        server.stop()
    assert PASSWORD not in server.log.read_text()


def test_workers_share_one_port_and_stop_together(tmp_path, postgres):
    server = Server(tmp_path, extra=['--workers', '2'],
                    database=['--postgres', postgres.dsn, '--postgres-password-file', str(postgres.password_file)])
    _write_records(server.records)
    server.start()
    workers = []
    children = Path('/proc/%d/task/%d/children' % (server.process.pid, server.process.pid))
    try:
        # The first worker may answer before the supervisor, descheduled on a busy machine, has forked the second.
        deadline = time.monotonic() + 30
        while len(children.read_text().split()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = [int(pid) for pid in children.read_text().split()]
        assert len(workers) == 2
        for number in range(20):  # a new connection each: the kernel spreads them over both workers
            assert _post(server, 'SA0002', 'informational', 'worker %d' % number) == 201
        assert len(server.status('/status/devices/SA0002')['history']) >= 20
    finally:
        server.stop()
    for pid in workers:
        assert not Path('/proc/%d' % pid).exists()  # reaped by the supervisor
