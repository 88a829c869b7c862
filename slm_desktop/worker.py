"""Background jobs: inference never runs on the GUI thread.

Each *lane* is one Python thread with its own mailbox and its own lazily loaded engines,
so a slow translation never delays a keystroke suggestion. Results come back as Qt signals,
which Qt queues onto the GUI thread because the Worker object lives there.

"Latest wins": submitting a job with ``latest_wins=True`` drops queued jobs of the same kind
and cancels the running one through its CancelToken (the engine stops between tokens).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.errors import UserError

log = logging.getLogger(__name__)


class JobContext:
    """What a job function sees: its token, a progress callback, and its lane's engines."""

    def __init__(self, job: Job, lane: Lane, emit_progress: Callable[[Job, Any], None]):
        self.job = job
        self.token = job.token
        self._lane = lane
        self._emit_progress = emit_progress

    def progress(self, value: Any) -> None:
        self._emit_progress(self.job, value)

    def engine(self, key: str, factory: Callable[[], Any]) -> Any:
        """Load once per lane, on first use; a failed load is retried next time."""
        return self._lane.engine(key, factory)

    def drop_engine(self, key: str) -> None:
        self._lane.drop_engine(key)


@dataclass
class Job:
    id: int
    kind: str
    lane: str
    run: Callable[[JobContext], Any]
    latest_wins: bool = False
    token: CancelToken = field(default_factory=CancelToken)


class Lane(threading.Thread):
    def __init__(self, name: str, execute: Callable[[Job, Lane], None]):
        super().__init__(name=f"slm-lane-{name}", daemon=True)
        self._execute = execute
        self._queue: deque[Job] = deque()
        self._cv = threading.Condition()
        self._stopping = False
        self.current: Job | None = None
        self._engines: dict[str, Any] = {}
        self.engine_loaded: Callable[[str], None] = lambda key: None

    def put(self, job: Job) -> list[Job]:
        """Queue a job; returns the jobs it superseded (dropped from the queue)."""
        with self._cv:
            dropped = []
            if job.latest_wins:
                dropped = [j for j in self._queue if j.kind == job.kind]
                for j in dropped:
                    self._queue.remove(j)
                running = self.current
                if running is not None and running.kind == job.kind:
                    running.token.cancel()
            self._queue.append(job)
            self._cv.notify()
        return dropped

    def remove(self, job_id: int) -> Job | None:
        with self._cv:
            for j in self._queue:
                if j.id == job_id:
                    self._queue.remove(j)
                    return j
            if self.current is not None and self.current.id == job_id:
                self.current.token.cancel()
        return None

    def pending(self) -> int:
        with self._cv:
            return len(self._queue) + (self.current is not None)

    def stop(self) -> None:
        with self._cv:
            self._stopping = True
            if self.current is not None:
                self.current.token.cancel()
            self._queue.clear()
            self._cv.notify()

    def run(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._stopping:
                    self._cv.wait()
                if self._stopping:
                    break
                self.current = self._queue.popleft()
            try:
                self._execute(self.current, self)
            finally:
                with self._cv:
                    self.current = None
        self._close_engines()

    def engine(self, key: str, factory: Callable[[], Any]) -> Any:
        if key not in self._engines:
            self._engines[key] = factory()
            self.engine_loaded(key)
        return self._engines[key]

    def drop_engine(self, key: str) -> None:
        engine = self._engines.pop(key, None)
        if engine is not None and hasattr(engine, "close"):
            engine.close()

    def _close_engines(self) -> None:
        for key in list(self._engines):
            try:
                self.drop_engine(key)
            except Exception:  # closing must never stop the others from closing
                log.exception("closing engine %s failed", key)


class Worker(QObject):
    """Submit jobs from the GUI thread; receive started/progress/finished/failed/cancelled."""

    started = Signal(int, str)
    progress = Signal(int, str, object)
    finished = Signal(int, str, object)
    failed = Signal(int, str, str)
    cancelled = Signal(int, str)
    engineLoaded = Signal(str, str)  # lane, engine key
    idle = Signal(str)  # lane whose mailbox just became empty

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._lanes: dict[str, Lane] = {}
        self._lock = threading.Lock()

    def submit(
        self,
        kind: str,
        run: Callable[[JobContext], Any],
        *,
        lane: str | None = None,
        latest_wins: bool = False,
    ) -> Job:
        job = Job(next(self._ids), kind, lane or kind, run, latest_wins)
        for dropped in self._lane(job.lane).put(job):
            self.cancelled.emit(dropped.id, dropped.kind)
        return job

    def cancel(self, job: Job) -> None:
        job.token.cancel()
        lane = self._lanes.get(job.lane)
        if lane is not None and lane.remove(job.id) is not None:
            self.cancelled.emit(job.id, job.kind)

    def busy(self, lane: str) -> bool:
        found = self._lanes.get(lane)
        return found is not None and found.pending() > 0

    def shutdown(self, timeout: float = 60.0) -> None:
        """Cancel everything and wait for each lane to close its engines on its own thread: native
        engines must not be freed while another lane is still loading or running one."""
        with self._lock:
            lanes = list(self._lanes.values())
            self._lanes.clear()
        for lane in lanes:
            lane.stop()
        for lane in lanes:
            lane.join(timeout)

    def _lane(self, name: str) -> Lane:
        with self._lock:
            lane = self._lanes.get(name)
            if lane is None:
                lane = Lane(name, self._execute)
                lane.engine_loaded = lambda key, n=name: self.engineLoaded.emit(n, key)
                self._lanes[name] = lane
                lane.start()
            return lane

    def _emit_progress(self, job: Job, value: Any) -> None:
        if not job.token.cancelled:
            self.progress.emit(job.id, job.kind, value)

    def _execute(self, job: Job, lane: Lane) -> None:
        if job.token.cancelled:
            self.cancelled.emit(job.id, job.kind)
            return
        self.started.emit(job.id, job.kind)
        try:
            result = job.run(JobContext(job, lane, self._emit_progress))
            job.token.raise_if_cancelled()
        except Cancelled:
            self.cancelled.emit(job.id, job.kind)
        except UserError as exc:
            self.failed.emit(job.id, job.kind, str(exc))
        except MemoryError:
            self.failed.emit(job.id, job.kind, f"{job.kind}: out of memory")
        except Exception as exc:
            log.exception("job %s (%s) failed", job.id, job.kind)
            self.failed.emit(job.id, job.kind, f"{job.kind} failed: {exc}")
        else:
            self.finished.emit(job.id, job.kind, result)
        if lane.pending() <= 1:
            self.idle.emit(lane.name.removeprefix("slm-lane-"))
