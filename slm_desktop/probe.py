"""Responsiveness probe: the longest GUI event-loop stall while jobs run, and what ran during it.

The culprit watch found the cause of live mode's ~50 ms stalls that two sessions had not: a list
comprehension over 3,000 audio blocks holding the GIL in a worker lane (docs/live.md). A stall is either
the GUI thread's own work or another thread holding the GIL; a watch thread that wakes every few
milliseconds sees which Python frames other threads are in while the heartbeat is late.
"""

from __future__ import annotations

import sys
import threading
import time

from PySide6.QtCore import QObject, QTimer, Slot


class StallProbe(QObject):
    """A 5 ms heartbeat on the GUI thread; the worst gap beyond it is the stall."""

    def __init__(self, interval_ms: int = 5, parent: QObject | None = None, *, culprits: bool = False):
        """culprits: also name the other threads' Python frames during the worst stall (`worst_culprit`)."""
        super().__init__(parent)
        self._watch: _CulpritWatch | None = _CulpritWatch(self, interval_ms) if culprits else None
        self.worst_culprit = ""
        self._interval = interval_ms / 1000
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._beat)
        self._last = 0.0
        self.worst_ms = 0.0
        self.beats = 0

    def start(self) -> None:
        self.worst_ms = 0.0
        self.beats = 0
        self._last = time.perf_counter()
        self._timer.start()
        if self._watch is not None:
            self.worst_culprit = ""
            self._watch.begin()

    def stop(self) -> float:
        self._timer.stop()
        if self._watch is not None:
            self._watch.end()
            self.worst_culprit = self._watch.worst
        return self.worst_ms

    @Slot()
    def _beat(self) -> None:
        now = time.perf_counter()
        gap_ms = (now - self._last - self._interval) * 1000
        self.worst_ms = max(self.worst_ms, gap_ms)
        self._last = now
        self.beats += 1


_WORTH_NAMING_S = 0.010  # a heartbeat this late (beyond its interval) is a stall worth naming
# threads parked in these files are waiting, not working
_WAITING = ("threading.py", "selectors.py", "connection.py", "queue.py")


class _CulpritWatch:
    """A daemon thread that, while the heartbeat is late, snapshots the other threads' innermost frames."""

    def __init__(self, probe: StallProbe, interval_ms: int):
        self._probe, self._interval = probe, interval_ms / 1000
        self._running = threading.Event()
        self._thread: threading.Thread | None = None
        self.worst, self._worst_late = "", 0.0

    def begin(self) -> None:
        self.worst, self._worst_late = "", 0.0
        self._running.set()
        self._thread = threading.Thread(target=self._run, name="stall-watch", daemon=True)
        self._thread.start()

    def end(self) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        main = threading.main_thread().ident
        while self._running.is_set():
            time.sleep(self._interval)
            late = time.perf_counter() - self._probe._last - 2 * self._interval
            if late > max(self._worst_late, _WORTH_NAMING_S):
                self._worst_late = late
                self.worst = f"{late * 1000:.0f} ms late: " + _frames(main)


def _frames(main: int | None) -> str:
    names = {t.ident: t.name for t in threading.enumerate()}
    working = []
    for ident, frame in sys._current_frames().items():
        name = names.get(ident, str(ident))
        if ident == threading.get_ident() or frame.f_code.co_filename.endswith(_WAITING):
            continue
        where = f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno} {frame.f_code.co_name}"
        working.append(f"{'GUI' if ident == main else name} in {where}")
    return "; ".join(working) or "no Python thread working (native code or the scheduler)"
