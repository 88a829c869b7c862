"""Disposing of a main window on the GUI thread; waiting on a Worker's cross-thread signals; F9 held
while a recording plays into a window (speak_into_window).

Qt objects must be destroyed on the thread that owns them. A closed window left to Python's
cyclic garbage collector can be collected on a worker lane thread (collection runs wherever an
allocation triggers it), which kills its timers from the wrong thread and crashes Qt later. So
each window is deleted explicitly, on the GUI thread.
"""

import gc
from contextlib import contextmanager
from types import SimpleNamespace

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Slot

LANE_SIGNALS = ("engineLoaded", "engineClosed", "idle")  # no job kind in their arguments


def dispose(window) -> None:
    window.editor.document().setModified(False)  # no unsaved-changes prompt in teardown
    window.close()
    window.services.worker.shutdown()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


class WorkerEvents(QObject):
    """Records a Worker's signals through bound slots of a QObject on the GUI thread, for tests to wait on.

    The worker emits on its lane threads. qtbot.waitSignal connects a plain Python callable, which PySide
    reaches through a shared receiver: an emission still queued when the blocker disconnects and is freed
    then runs freed memory (the soak test segfaulted once dozens of suggestion results were in flight).
    Queued emissions to a QObject's slots are dropped with the object instead, and waitUntil polls the record.
    """

    def __init__(self, qtbot, worker, *, kinds: set[str] | None = None):
        """`kinds`: record job signals of these job kinds only (failures always), so a long test does not
        keep every result alive."""
        super().__init__()
        self.qtbot = qtbot
        self.kinds = kinds
        self.seen: list[tuple[str, tuple]] = []
        worker.started.connect(self.on_started)
        worker.progress.connect(self.on_progress)
        worker.finished.connect(self.on_finished)
        worker.failed.connect(self.on_failed)
        worker.cancelled.connect(self.on_cancelled)
        worker.engineLoaded.connect(self.on_engine_loaded)
        worker.engineClosed.connect(self.on_engine_closed)
        worker.idle.connect(self.on_idle)

    @Slot(int, str)
    def on_started(self, job_id: int, kind: str) -> None:
        self._record("started", (job_id, kind))

    @Slot(int, str, object)
    def on_progress(self, job_id: int, kind: str, value: object) -> None:
        self._record("progress", (job_id, kind, value))

    @Slot(int, str, object)
    def on_finished(self, job_id: int, kind: str, result: object) -> None:
        self._record("finished", (job_id, kind, result))

    @Slot(int, str, str)
    def on_failed(self, job_id: int, kind: str, message: str) -> None:
        self.seen.append(("failed", (job_id, kind, message)))

    @Slot(int, str)
    def on_cancelled(self, job_id: int, kind: str) -> None:
        self._record("cancelled", (job_id, kind))

    @Slot(str, str)
    def on_engine_loaded(self, lane: str, key: str) -> None:
        self.seen.append(("engineLoaded", (lane, key)))

    @Slot(str, str)
    def on_engine_closed(self, lane: str, key: str) -> None:
        self.seen.append(("engineClosed", (lane, key)))

    @Slot(str)
    def on_idle(self, lane: str) -> None:
        self.seen.append(("idle", (lane,)))

    def _record(self, signal: str, args: tuple) -> None:
        if self.kinds is None or args[1] in self.kinds:
            self.seen.append((signal, args))

    def args(self, signal: str, *, kind: str | None = None, since: int = 0) -> list[list]:
        """Every recorded emission of `signal` (for job signals: of jobs of `kind`), oldest first."""
        return [
            list(args)
            for name, args in self.seen[since:]
            if name == signal and (kind is None or name in LANE_SIGNALS or args[1] == kind)
        ]

    @contextmanager
    def waiting(self, signal: str, *, kind: str | None = None, timeout: int = 5000):
        """`with events.waiting("finished", kind="intent") as got: ...` waits, after the block, for the first
        such emission since the block began; `got.args` holds it, as qtbot.waitSignal's blocker would."""
        mark = len(self.seen)
        got = SimpleNamespace(args=None)
        yield got

        def arrived() -> bool:
            found = self.args(signal, kind=kind, since=mark)
            got.args = found[0] if found else None
            return bool(found)

        self.qtbot.waitUntil(arrived, timeout=timeout)


def speak_into_window(qtbot, window, wav, *, timeout_ms: int = 60_000) -> str:
    """F9 held while the WAV plays into the window's speech path; returns what the recogniser heard."""
    from PySide6.QtCore import Qt

    from slm_desktop.audio.ptt import WavSource

    source = WavSource(wav)
    window.speech.source_factory = lambda capture: source
    heard: list[str] = []
    window.speech.dictated.connect(heard.append)
    qtbot.keyPress(window.editor, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: source.exhausted, timeout=timeout_ms)
    qtbot.keyRelease(window.editor, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: bool(heard), timeout=timeout_ms)
    window.speech.dictated.disconnect(heard.append)
    window.speech.closeMicrophone()  # the next press opens the next file
    return heard[0]
