"""Qt helpers for the GUI benchmarks. The worker emits from its lane threads, so its signals go to bound
slots of objects living in the GUI thread (queued there), never to lambdas."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QObject, QTimer, Slot


class JobWaiter(QObject):
    """Runs an event loop until a job of one kind finishes or fails, or the timeout passes."""

    def __init__(self, worker, kind: str, *, timeout_ms: int = 60_000):
        super().__init__()
        self.kind = kind
        self.timeout_ms = timeout_ms
        self.loop = QEventLoop()
        worker.finished.connect(self.on_finished)
        worker.failed.connect(self.on_failed)

    @Slot(int, str, object)
    def on_finished(self, _job_id: int, kind: str, _result: object) -> None:
        self._done(kind)

    @Slot(int, str, str)
    def on_failed(self, _job_id: int, kind: str, _message: str) -> None:
        self._done(kind)

    def _done(self, kind: str) -> None:
        if kind == self.kind:
            self.loop.quit()

    def run(self, start: Callable[[], object]) -> None:
        QTimer.singleShot(self.timeout_ms, self.loop.quit)
        start()
        self.loop.exec()


class KindCounter(QObject):
    """How many jobs of each kind the worker started."""

    def __init__(self, worker):
        super().__init__()
        self.counts: dict[str, int] = {}
        worker.started.connect(self.on_started)

    @Slot(int, str)
    def on_started(self, _job_id: int, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1


class StopWaiter(QObject):
    """Runs an event loop until a running-state signal reports False, or the timeout passes."""

    def __init__(self, running_changed, *, timeout_ms: int):
        super().__init__()
        self.timeout_ms = timeout_ms
        self.loop = QEventLoop()
        running_changed.connect(self.on_running_changed)

    @Slot(bool)
    def on_running_changed(self, running: bool) -> None:
        if not running:
            self.loop.quit()

    def exec(self) -> None:
        QTimer.singleShot(self.timeout_ms, self.loop.quit)
        self.loop.exec()
