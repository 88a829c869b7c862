"""Responsiveness probe: the longest GUI event-loop stall while jobs run."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Slot


class StallProbe(QObject):
    """A 5 ms heartbeat on the GUI thread; the worst gap beyond it is the stall."""

    def __init__(self, interval_ms: int = 5, parent: QObject | None = None):
        super().__init__(parent)
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

    def stop(self) -> float:
        self._timer.stop()
        return self.worst_ms

    @Slot()
    def _beat(self) -> None:
        now = time.perf_counter()
        gap_ms = (now - self._last - self._interval) * 1000
        self.worst_ms = max(self.worst_ms, gap_ms)
        self._last = now
        self.beats += 1
