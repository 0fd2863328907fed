"""Scaled time: one knob (time_scale = real seconds per simulated second) drives every delay.

SimClock converts between simulated and real time; Scheduler runs callbacks after a
simulated delay on one worker thread, so timed behaviour (members leaving, rejoining,
confirmed-commit rollbacks) needs no thread per timer and stops cleanly.
"""

import contextlib
import heapq
import itertools
import logging
import threading
import time

logger = logging.getLogger(__name__)


class SimClock:
    def __init__(self, time_scale):
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = float(time_scale)
        self._wall0 = time.time()
        self._mono0 = time.monotonic()

    def sim_now(self):
        """Simulated epoch seconds: starts at the real wall clock and runs 1/time_scale times faster."""
        return self._wall0 + (time.monotonic() - self._mono0) / self.time_scale

    def real_seconds(self, sim_seconds):
        return max(0.0, sim_seconds) * self.time_scale

    def sleep(self, sim_seconds, cancel=None):
        """Sleep for simulated seconds; return False early if the ``cancel`` event gets set."""
        real = self.real_seconds(sim_seconds)
        if cancel is None:
            time.sleep(real)
            return True
        return not cancel.wait(real)


class Timer:
    """Handle for a scheduled callback."""

    def __init__(self):
        self.cancelled = False

    def cancel(self):
        self.cancelled = True


class Scheduler:
    """Runs callbacks after simulated delays, in due-time order, on a single thread."""

    def __init__(self, clock):
        self.clock = clock
        self._queue = []
        self._sequence = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._holds = 0
        self._thread = threading.Thread(target=self._run, name="vcsim-scheduler", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def hold(self):
        """Run no callback until release(): a test looks at a passing state (a member out, a pending rollback) for as
        long as it needs. Time still passes; what falls due meanwhile runs, in due order, once released."""
        with self._cond:
            self._holds += 1

    def release(self):
        with self._cond:
            self._holds -= 1
            self._cond.notify_all()

    @contextlib.contextmanager
    def held(self):
        self.hold()
        try:
            yield
        finally:
            self.release()

    def call_later(self, sim_delay, func, *args):
        timer = Timer()
        due = time.monotonic() + self.clock.real_seconds(sim_delay)
        with self._cond:
            # The sequence number keeps callbacks with the same due time in call order.
            heapq.heappush(self._queue, (due, next(self._sequence), timer, func, args))
            self._cond.notify_all()
        return timer

    def _run(self):
        while True:
            with self._cond:
                while not self._stopping and (self._holds or not self._queue or self._queue[0][0] > time.monotonic()):
                    timeout = self._queue[0][0] - time.monotonic() if self._queue and not self._holds else None
                    self._cond.wait(timeout)
                if self._stopping:
                    return
                timer, func, args = heapq.heappop(self._queue)[2:]
            if timer.cancelled:
                continue
            try:
                func(*args)
            except Exception:
                # One failing callback must not stop the simulated clock for everything else.
                logger.exception("scheduled callback %r failed", func)
