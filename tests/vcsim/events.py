"""Per-VC event log: kept in memory for tests and appended to ``<workdir>/<vc>/events.jsonl``.

Each event is a flat dict: seq, ts (real epoch), sim_ts (simulated epoch), vc, member
(or None), event (name) and event-specific fields. docs/simulator.md lists the names.

``listeners``: callables that get each record in the thread that logged it, right after it is logged and
before that thread goes on; tests use them to act at an exact point (hold time, inject a fault) instead of
racing the simulator from another thread.
"""

import json
import threading
import time


class EventLog:
    def __init__(self, clock, vc_name, path):
        self._clock = clock
        self._vc = vc_name
        self._path = path
        self.listeners = []
        self._lock = threading.Lock()
        self._events = []

    def emit(self, event, member=None, **fields):
        with self._lock:
            record = {
                "seq": len(self._events),
                "ts": time.time(),
                "sim_ts": self._clock.sim_now(),
                "vc": self._vc,
                "member": member,
                "event": event,
            }
            record.update(fields)
            self._events.append(record)
            with open(self._path, "a") as handle:
                handle.write(json.dumps(record, sort_keys=True, default=str) + "\n")
        for listener in list(self.listeners):
            listener(record)
        return record

    def events(self, event=None, member=None, since=None, **match):
        """Events filtered by name (a string or a collection of names), member, seq >= since and field values."""
        names = {event} if isinstance(event, str) else (set(event) if event is not None else None)
        with self._lock:
            snapshot = list(self._events)
        return [
            dict(record) for record in snapshot
            if (names is None or record["event"] in names)
            and (member is None or record["member"] == member)
            and (since is None or record["seq"] >= since)
            and all(record.get(key) == value for key, value in match.items())
        ]

    def next_seq(self):
        """The seq the next event will get: pass it as ``since`` to see only what happens from now on."""
        with self._lock:
            return len(self._events)
