"""The phone-home server's pure parts: notifications, states, CMS encoding, the SQLite store and its queue."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'roles' / 'phone_home_server' / 'files'))

from junos_ztp_phs.notifications import NotificationError, parse_legacy, parse_report_progress, state_of  # noqa: E402
from junos_ztp_phs.records import certificates_only, conveyed_information  # noqa: E402
from junos_ztp_phs.store import Event, SQLiteStore, StoreUnavailable  # noqa: E402
from ansible_collections.junos.ztp.plugins.module_utils._phs_status import parse_since, status_url, wait_for_done  # noqa: E402


def _event(kind, serial='S1', received=1.0):
    return Event(serial=serial, host='h', type=kind, message='', source='legacy', received=received)


def test_legacy_notifications_accept_seed_yapt_and_rfc_types():
    body = b'<notification xmlns="http://juniper.net/zerotouch-bootstrap-server"><notification-type>vc-member-detection-failed</notification-type>' \
           b'<message>Did not come up post image upgrade</message></notification>'
    assert parse_legacy(body) == ('vc-member-detection-failed', 'Did not come up post image upgrade')
    assert parse_legacy(b'<n><notification-type>configuration-applied</notification-type></n>') == ('configuration-applied', '')
    for bad in (b'<n><notification-type>nope</notification-type></n>', b'<n/>',
                b'<n xmlns="urn:other"><notification-type>bootstrap-complete</notification-type></n>'):
        with pytest.raises(NotificationError):
            parse_legacy(bad)


def test_report_progress_accepts_only_the_rfc_enumeration():
    assert parse_report_progress(b'{"ietf-sztp-bootstrap-server:input": {"progress-type": "config-error", "message": "x"}}') == ('config-error', 'x')
    for bad in (b'{"ietf-sztp-bootstrap-server:input": {"progress-type": "bootstrap-failed"}}', b'{}', b'',
                b'{"ietf-sztp-bootstrap-server:input": {"progress-type": "informational", "message": 3}}'):
        with pytest.raises(NotificationError):
            parse_report_progress(bad)


def test_state_follows_the_newest_significant_event():
    assert state_of([]) == 'pending'
    assert state_of([_event('record-fetched'), _event('vc-member-upgrade-failed')]) == 'in-progress'  # default mode moves on
    assert state_of([_event('vc-bootstrap-failed')]) == 'failed'
    assert state_of([_event('boot-image-error')]) == 'failed'
    assert state_of([_event('bootstrap-complete'), _event('informational')]) == 'complete'
    assert state_of([_event('vc-bootstrap-failed'), _event('record-fetched')]) == 'in-progress'  # the client started over


def test_conveyed_information_and_trust_anchor_are_der_that_openssl_reads():
    document = b'{"ietf-sztp-conveyed-info:onboarding-information": {}}' * 10
    for der in (conveyed_information(document), certificates_only([b'\x30\x03\x02\x01\x01'])):
        subprocess.run(['openssl', 'asn1parse', '-inform', 'DER'], input=der, capture_output=True, check=True)
    assert conveyed_information(document).endswith(document)


def test_sqlite_store_group_commits_and_reads_back(tmp_path):
    async def scenario():
        store = SQLiteStore(str(tmp_path / 'db'))
        await asyncio.gather(*(store.add(_event('informational', 'S%d' % (i % 3), float(i))) for i in range(50)))
        await store.add(Event(serial='S9', host='h', type='vc-member-upgrade-success', message='m S1', source='legacy', received=99.0, member_serial='S1'))
        events = await store.events(['S1'], since=10)
        latest = await store.latest()
        await store.close()
        return events, latest
    events, latest = asyncio.run(scenario())
    assert [e.received for e in events][-1] == 99.0 and all(e.received >= 10 for e in events)
    assert set(latest) == {'S0', 'S1', 'S2', 'S9'}


class _CountingSQLiteStore(SQLiteStore):
    """SQLiteStore noting the size of every transaction it writes, and optionally failing the next one."""

    def __init__(self, path):
        super().__init__(path)
        self.transactions = []
        self.fail_next = None

    async def _write(self, events):
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            raise failure
        await super()._write(events)
        self.transactions.append([e.type for e in events])


def _rows(path):
    with sqlite3.connect(path) as database:  # a connection of its own: what is on disk
        return [row[0] for row in database.execute('SELECT type FROM events ORDER BY id')]


def test_served_records_are_queued_and_written_together_in_one_transaction(tmp_path):
    path = str(tmp_path / 'db')

    async def scenario():
        store = _CountingSQLiteStore(path)
        for number in range(30):
            store.add_soon(_event('record-fetched', 'S%d' % number))
        assert store.transactions == [] and _rows(path) == []  # nothing written yet, nobody waited
        deadline = time.monotonic() + 30
        while not store.transactions:  # the timer writes them, SOON_SECONDS later
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        written = list(store.transactions)
        await store.close()
        return written
    assert asyncio.run(scenario()) == [['record-fetched'] * 30]
    assert _rows(path) == ['record-fetched'] * 30


def test_a_notification_is_durable_when_add_returns_and_takes_queued_events_along_in_order(tmp_path):
    path = str(tmp_path / 'db')

    async def scenario():
        store = _CountingSQLiteStore(path)
        store.add_soon(_event('record-fetched'))
        await store.add(_event('bootstrap-complete'))
        on_disk = _rows(path)  # before anything else runs
        await store.close()
        return store.transactions, on_disk
    transactions, on_disk = asyncio.run(scenario())
    assert on_disk == ['record-fetched', 'bootstrap-complete']  # the served record first, as it happened
    assert transactions == [['record-fetched', 'bootstrap-complete']]


def test_reads_and_close_see_queued_events(tmp_path):
    path = str(tmp_path / 'db')

    async def scenario():
        store = _CountingSQLiteStore(path)
        store.add_soon(_event('record-fetched', 'S1'))
        seen = [e.type for e in await store.events(['S1'])]
        latest = await store.latest()
        store.add_soon(_event('record-fetched', 'S2'))
        await store.close()
        return seen, set(latest)
    seen, latest = asyncio.run(scenario())
    assert seen == ['record-fetched'] and latest == {'S1'}
    assert _rows(path) == ['record-fetched', 'record-fetched']  # close() wrote the one still queued


def test_a_failed_transaction_fails_its_waiters_logs_queued_events_and_the_store_goes_on(tmp_path, caplog):
    path = str(tmp_path / 'db')

    async def scenario():
        store = _CountingSQLiteStore(path)
        store.fail_next = StoreUnavailable('the notification database is unavailable')
        store.add_soon(_event('record-fetched'))
        with pytest.raises(StoreUnavailable):
            await store.add(_event('bootstrap-failed'))
        await store.add(_event('bootstrap-complete'))
        await store.close()
    asyncio.run(scenario())
    assert _rows(path) == ['bootstrap-complete']
    assert 'could not store 1 served-record event(s)' in caplog.text


def test_phs_status_url_since_and_waiting():
    assert status_url('https://phs:8443/', serial='A/B') == 'https://phs:8443/status/devices/A%2FB'
    assert status_url('https://phs:8443', vc='ams1-vc1', since=5.0) == 'https://phs:8443/status/vcs/ams1-vc1?since=5.0'
    assert parse_since('2026-01-01T00:00:00Z') == parse_since('2026-01-01T00:00:00') == 1767225600.0
    answers = iter([None, {'state': 'in-progress'}, {'state': 'complete'}])
    now = [0.0]
    status, timed_out, polls = wait_for_done(lambda: next(answers), 100, 5, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert (status['state'], timed_out, polls) == ('complete', False, 3)
    status, timed_out, polls = wait_for_done(lambda: {'state': 'in-progress'}, 12, 5, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert timed_out and polls == 4
