# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durable notification storage behind one small interface.

``NotificationStore`` is all the server needs.  ``SQLiteStore`` (the default) keeps one server's
notifications in a local file; ``PostgresStore`` keeps them in a PostgreSQL database that several
servers share (the phone-home document allows more than one PHS for redundancy), so a status read from
any of them sees what every one of them stored.  Both create and migrate their schema themselves.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

log = logging.getLogger('junos_ztp_phs.store')


class StoreUnavailable(Exception):
    """The database cannot be reached now: the server answers 503 and the device tries again (or another server)."""


@dataclasses.dataclass
class Event:
    """One notification (or a served record), as stored."""

    serial: str
    host: str
    type: str
    message: str
    source: str  # legacy | rfc8572 | server
    received: float  # seconds since the epoch
    member_serial: str | None = None  # a member the message names, when it is not the sender
    remote: str | None = None
    id: int | None = None

    def as_dict(self):
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None and k != 'id'}


class NotificationStore(abc.ABC):
    """Where notifications live: add() returns once the event is durable; add_soon() does not wait.

    Writes are group-committed, one writer at a time: events that arrive while a transaction runs go
    into the next one, in arrival order, so a burst of notifications costs one commit per batch, not
    one per request.  An event queued with add_soon() (a served record, which no device waits for)
    starts no transaction of its own: it goes with the next add(), or at most SOON_SECONDS later.
    Reads first wait for what was queued before them, so the status API shows what this server stored.
    """

    SOON_SECONDS = 0.2

    def __init__(self):
        self._pending = []  # (event or None, future or None): None event = a read waiting; None future = add_soon()
        self._writer = None  # the task writing batches, while it runs
        self._timer = None

    async def add(self, event):
        """Store one event durably."""
        await self._enqueue(event)

    def add_soon(self, event):
        """Queue an event that nobody waits for; a failure to store it is logged."""
        self._pending.append((event, None))
        if self._writer is None and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.SOON_SECONDS, self._write_pending)

    async def events(self, serials, since=None):
        """Events of these serial numbers (as sender or named member), oldest first, received at or after since."""
        await self._enqueue(None)
        return await self._select_events(list(serials), since or 0)

    async def latest(self):
        """{serial: newest event} for every serial that has events."""
        await self._enqueue(None)
        return {event.serial: event for event in await self._select_latest()}

    async def close(self):
        """Write what is queued and release the store."""
        await self._enqueue(None)
        await self._close()

    async def _enqueue(self, event):
        future = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        self._write_pending()
        await future

    def _write_pending(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._writer is None:
            self._writer = asyncio.ensure_future(self._write_batches())

    async def _write_batches(self):
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                events = [event for event, _future in batch if event is not None]
                try:
                    if events:
                        await self._write(events)
                except Exception as exc:  # every waiter learns its event was not stored
                    for _event, future in batch:
                        if future is not None and not future.done():  # done: its request was cancelled
                            future.set_exception(exc)
                    unwaited = sum(1 for event, future in batch if event is not None and future is None)
                    if unwaited:
                        log.error('could not store %d served-record event(s): %s', unwaited, exc)
                else:
                    for _event, future in batch:
                        if future is not None and not future.done():
                            future.set_result(None)
                if not any(future is not None for _event, future in self._pending):
                    break  # only add_soon() events left: they wait for the timer
        finally:
            self._writer = None
            if self._pending:
                self._timer = asyncio.get_running_loop().call_later(self.SOON_SECONDS, self._write_pending)

    @abc.abstractmethod
    async def _write(self, events):
        """Store these events in one transaction; return once it is durable."""

    @abc.abstractmethod
    async def _select_events(self, serials, since):
        """The events() query."""

    @abc.abstractmethod
    async def _select_latest(self):
        """The newest event of every serial."""

    @abc.abstractmethod
    async def _close(self):
        """Release the database."""


# Migrations, in order: the schema version of a database is the number of them it has run.
_SQLITE_MIGRATIONS = ("""
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    host TEXT NOT NULL,
    type TEXT NOT NULL,
    message TEXT NOT NULL,
    source TEXT NOT NULL,
    received REAL NOT NULL,
    member_serial TEXT,
    remote TEXT
);
CREATE INDEX IF NOT EXISTS events_serial ON events (serial, id);
CREATE INDEX IF NOT EXISTS events_member ON events (member_serial, id) WHERE member_serial IS NOT NULL;
""",)
_COLUMNS = ('serial', 'host', 'type', 'message', 'source', 'received', 'member_serial', 'remote')


class SQLiteStore(NotificationStore):
    """SQLite in WAL mode, used from one worker thread so the event loop never waits on the disk."""

    def __init__(self, path):
        super().__init__()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix='phs-sqlite')
        self._connection = self._executor.submit(self._open, path).result()

    @staticmethod
    def _open(path):
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute('PRAGMA journal_mode=WAL')
        # FULL, not WAL's usual NORMAL: a commit is on disk before the 201, even if the machine loses power.
        connection.execute('PRAGMA synchronous=FULL')
        version = connection.execute('PRAGMA user_version').fetchone()[0]
        for number, script in enumerate(_SQLITE_MIGRATIONS[version:], start=version + 1):
            connection.executescript('BEGIN; %s; PRAGMA user_version = %d; COMMIT;' % (script, number))
        return connection

    async def _run(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def _write(self, events):
        await self._run(self._insert, events)

    def _insert(self, events):
        with self._connection:
            self._connection.execute('BEGIN')
            self._connection.executemany('INSERT INTO events (%s) VALUES (%s)' % (', '.join(_COLUMNS), ', '.join('?' * len(_COLUMNS))),
                                         [tuple(getattr(e, c) for c in _COLUMNS) for e in events])

    def _select(self, sql, args):
        return [Event(*row[1:], id=row[0]) for row in self._connection.execute(sql, args)]

    async def _select_events(self, serials, since):
        marks = ', '.join('?' * len(serials))
        sql = ('SELECT id, %s FROM events WHERE (serial IN (%s) OR member_serial IN (%s)) AND received >= ? ORDER BY id'
               % (', '.join(_COLUMNS), marks, marks))
        return await self._run(self._select, sql, serials * 2 + [since])

    async def _select_latest(self):
        sql = 'SELECT id, %s FROM events WHERE id IN (SELECT max(id) FROM events GROUP BY serial)' % ', '.join(_COLUMNS)
        return await self._run(self._select, sql, [])

    async def _close(self):
        await self._run(self._connection.close)
        self._executor.shutdown()


_POSTGRES_MIGRATIONS = ("""
CREATE TABLE phs_events (
    id BIGSERIAL PRIMARY KEY,
    serial TEXT NOT NULL,
    host TEXT NOT NULL,
    type TEXT NOT NULL,
    message TEXT NOT NULL,
    source TEXT NOT NULL,
    received DOUBLE PRECISION NOT NULL,
    member_serial TEXT,
    remote TEXT
);
CREATE INDEX phs_events_serial ON phs_events (serial, id);
CREATE INDEX phs_events_member ON phs_events (member_serial, id) WHERE member_serial IS NOT NULL;
""",)
# Any number that is ours: servers starting together migrate one after the other.
_MIGRATION_LOCK = 0x6a7a7470


def postgres_target(dsn):
    """The DSN without anything secret, for logs: postgresql://user@host:port/database."""
    parts = urlsplit(dsn)
    return '%s://%s%s%s' % (parts.scheme, parts.username + '@' if parts.username else '',
                            parts.hostname or '', (':%d' % parts.port if parts.port else '') + parts.path)


class PostgresStore(NotificationStore):
    """PostgreSQL through asyncpg, shared by every server of a group.

    Each batch is one transaction with ``synchronous_commit=on`` (whatever the database's default), so a
    notification is on disk (and on synchronous standbys, if any) before the 201.  The pool
    connects lazily and reconnects by itself: while the database is unreachable every call raises
    StoreUnavailable, and the first call after it returns succeeds.
    """

    def __init__(self, dsn, password=None, max_connections=10, timeout=5.0):
        super().__init__()
        self._dsn = dsn
        self._password = password
        self._max_connections = max_connections
        self._timeout = timeout
        self._pool = None
        self._lock = asyncio.Lock()
        self.target = postgres_target(dsn)

    async def _ready_pool(self):
        import asyncpg  # pylint: disable=import-outside-toplevel  # the optional "postgresql" extra
        async with self._lock:
            if self._pool is None:
                pool = await asyncpg.create_pool(self._dsn, password=self._password, min_size=0, max_size=self._max_connections,
                                                 timeout=self._timeout, command_timeout=self._timeout,
                                                 server_settings={'synchronous_commit': 'on', 'application_name': 'junos-ztp-phs'})
                try:
                    await self._migrate(pool)
                except BaseException:
                    await pool.close()
                    raise
                self._pool = pool
        return self._pool

    @staticmethod
    async def _migrate(pool):
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute('SELECT pg_advisory_xact_lock($1)', _MIGRATION_LOCK)
            await connection.execute('CREATE TABLE IF NOT EXISTS phs_schema (version INTEGER NOT NULL)')
            version = await connection.fetchval('SELECT max(version) FROM phs_schema') or 0
            for number, script in enumerate(_POSTGRES_MIGRATIONS[version:], start=version + 1):
                await connection.execute(script)
                await connection.execute('INSERT INTO phs_schema (version) VALUES ($1)', number)
                log.info('PostgreSQL schema migrated to version %d', number)

    async def _call(self, method, sql, *args):
        import asyncpg  # pylint: disable=import-outside-toplevel
        try:
            pool = await self._ready_pool()
            return await getattr(pool, method)(sql, *args)
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                asyncpg.OperatorInterventionError) as exc:  # refused, dropped, shutting down, starting up
            log.warning('PostgreSQL at %s unavailable: %s', self.target, type(exc).__name__)
            raise StoreUnavailable('the notification database is unavailable') from None

    async def _write(self, events):
        # executemany is one transaction: all of the batch is stored, or none of it.
        sql = 'INSERT INTO phs_events (%s) VALUES (%s)' % (', '.join(_COLUMNS), ', '.join('$%d' % (i + 1) for i in range(len(_COLUMNS))))
        await self._call('executemany', sql, [tuple(getattr(e, c) for c in _COLUMNS) for e in events])

    async def _select(self, sql, *args):
        return [Event(*row[1:], id=row[0]) for row in await self._call('fetch', sql, *args)]

    async def _select_events(self, serials, since):
        sql = ('SELECT id, %s FROM phs_events WHERE (serial = ANY($1::text[]) OR member_serial = ANY($1::text[])) AND received >= $2 ORDER BY id'
               % ', '.join(_COLUMNS))
        return await self._select(sql, serials, float(since))

    async def _select_latest(self):
        return await self._select('SELECT DISTINCT ON (serial) id, %s FROM phs_events ORDER BY serial, id DESC' % ', '.join(_COLUMNS))

    async def _close(self):
        if self._pool is not None:
            await self._pool.close()
