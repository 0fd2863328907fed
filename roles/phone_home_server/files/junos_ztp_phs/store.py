# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durable notification storage behind one small interface.

``NotificationStore`` is all the server needs; ``SQLiteStore`` is the default.  Several servers
behind one address (the phone-home document allows more than one PHS for redundancy) need a shared
database instead: implement the four methods against it and pass the instance to ``create_app``.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import sqlite3
from concurrent.futures import ThreadPoolExecutor


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


_SCHEMA = """
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
"""
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
        connection.execute('PRAGMA synchronous=FULL')
        connection.executescript(_SCHEMA)
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
