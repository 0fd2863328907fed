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
    """Where notifications live. Every method is a coroutine; add() returns once the event is durable."""

    @abc.abstractmethod
    async def add(self, event):
        """Store one event durably."""

    @abc.abstractmethod
    async def events(self, serials, since=None):
        """Events of these serial numbers (as sender or named member), oldest first, received at or after since."""

    @abc.abstractmethod
    async def latest(self):
        """{serial: newest event} for every serial that has events."""

    @abc.abstractmethod
    async def close(self):
        """Release the store."""


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
    """SQLite in WAL mode, used from one worker thread so the event loop never waits on the disk.

    Writes are group-committed: events that arrive while a commit runs go into the next transaction,
    so a burst of notifications costs one fsync per batch, not one per request.
    """

    def __init__(self, path):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix='phs-sqlite')
        self._connection = self._executor.submit(self._open, path).result()
        self._pending = []
        self._flushing = False

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

    async def add(self, event):
        future = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        if not self._flushing:
            self._flushing = True
            asyncio.ensure_future(self._flush())
        await future

    async def _flush(self):
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    await self._run(self._insert, [event for event, _future in batch])
                except Exception as exc:  # every waiter learns its event was not stored
                    for _event, future in batch:
                        future.set_exception(exc)
                else:
                    for _event, future in batch:
                        future.set_result(None)
        finally:
            self._flushing = False

    def _insert(self, events):
        with self._connection:
            self._connection.execute('BEGIN')
            self._connection.executemany('INSERT INTO events (%s) VALUES (%s)' % (', '.join(_COLUMNS), ', '.join('?' * len(_COLUMNS))),
                                         [tuple(getattr(e, c) for c in _COLUMNS) for e in events])

    def _select(self, sql, args):
        return [Event(*row[1:], id=row[0]) for row in self._connection.execute(sql, args)]

    async def events(self, serials, since=None):
        marks = ', '.join('?' * len(serials))
        sql = ('SELECT id, %s FROM events WHERE (serial IN (%s) OR member_serial IN (%s)) AND received >= ? ORDER BY id'
               % (', '.join(_COLUMNS), marks, marks))
        return await self._run(self._select, sql, list(serials) * 2 + [since or 0])

    async def latest(self):
        sql = 'SELECT id, %s FROM events WHERE id IN (SELECT max(id) FROM events GROUP BY serial)' % ', '.join(_COLUMNS)
        return {event.serial: event for event in await self._run(self._select, sql, [])}

    async def close(self):
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

    Each notification is one INSERT in its own transaction with ``synchronous_commit=on`` (whatever the
    database's default), so it is on disk (and on synchronous standbys, if any) before the 201.  The pool
    connects lazily and reconnects by itself: while the database is unreachable every call raises
    StoreUnavailable, and the first call after it returns succeeds.
    """

    def __init__(self, dsn, password=None, max_connections=10, timeout=5.0):
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

    async def add(self, event):
        await self._call('execute', 'INSERT INTO phs_events (%s) VALUES (%s)' % (', '.join(_COLUMNS), ', '.join('$%d' % (i + 1) for i in range(len(_COLUMNS)))),
                         *(getattr(event, c) for c in _COLUMNS))

    async def _select(self, sql, *args):
        return [Event(*row[1:], id=row[0]) for row in await self._call('fetch', sql, *args)]

    async def events(self, serials, since=None):
        sql = ('SELECT id, %s FROM phs_events WHERE (serial = ANY($1::text[]) OR member_serial = ANY($1::text[])) AND received >= $2 ORDER BY id'
               % ', '.join(_COLUMNS))
        return await self._select(sql, list(serials), float(since or 0))

    async def latest(self):
        sql = 'SELECT DISTINCT ON (serial) id, %s FROM phs_events ORDER BY serial, id DESC' % ', '.join(_COLUMNS)
        return {event.serial: event for event in await self._select(sql)}

    async def close(self):
        if self._pool is not None:
            await self._pool.close()
