"""Background jobs: inference never runs on the GUI thread.

Each *lane* is one Python thread with its own mailbox and its own lazily loaded engines,
so a slow translation never delays a keystroke suggestion. Results come back as Qt signals,
which Qt queues onto the GUI thread because the Worker object lives there.

"Latest wins": submitting a job with ``latest_wins=True`` drops queued jobs of the same kind
and cancels the running one through its CancelToken (the engine stops between tokens).

Every submitted job ends in exactly one of finished / failed / cancelled, including a job that
was cancelled before it started and one still queued when its lane stopped.

Engines are the memory: a lane keeps at most a few (``WorkerConfig``), closing the least recently
used one when another loads, and in low-power mode a lane idle for a while closes all of its engines.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.errors import UserError

log = logging.getLogger(__name__)

LANE_PREFIX = "slm-lane-"


@dataclass(frozen=True)
class WorkerConfig:
    """How many engines each lane keeps loaded, and when idle lanes give their memory back.

    The live lane holds a microphone, a speech engine and up to two translation steps (a pivot) at once;
    the others need two at most (speech: microphone + engine; translation: a pivot's two steps)."""

    max_engines: int = 2
    lane_max_engines: tuple[tuple[str, int], ...] = (("live", 4),)
    idle_unload_s: float | None = None  # low-power mode: close a lane's engines after this long idle

    def engines_for(self, lane: str) -> int:
        return max(1, dict(self.lane_max_engines).get(lane, self.max_engines))


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
        """Load once per lane, on first use; a failed load is retried next time. An engine this job
        has used is never closed while the job runs, even when the lane holds more than its limit."""
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


def _ignore(*_args: Any) -> None:
    pass


@dataclass(frozen=True)
class LaneHooks:
    """The Worker's side of a lane: how to run a job, and what to tell the GUI."""

    execute: Callable[[Job, Lane], None]
    skipped: Callable[[Job], None] = _ignore  # a job cancelled before it started
    idle: Callable[[str], None] = _ignore
    engine_loaded: Callable[[str, str], None] = _ignore
    engine_closed: Callable[[str, str], None] = _ignore
    config: Callable[[], WorkerConfig] = WorkerConfig


class Lane(threading.Thread):
    def __init__(self, name: str, hooks: LaneHooks):
        super().__init__(name=f"{LANE_PREFIX}{name}", daemon=True)
        self.lane = name
        self._hooks = hooks
        self._queue: deque[Job] = deque()
        self._cv = threading.Condition()
        self._stopping = False
        self.current: Job | None = None
        self._engines: OrderedDict[str, Any] = OrderedDict()  # least recently used first
        self._in_use: set[str] = set()  # engines the running job has asked for

    # ---------------------------------------------------------------- mailbox (any thread)

    def put(self, job: Job) -> list[Job] | None:
        """Queue a job; returns the jobs it superseded (dropped from the queue), or None once stopping."""
        with self._cv:
            if self._stopping:
                return None
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

    def engine_keys(self) -> list[str]:
        """Loaded engines, least recently used first."""
        with self._cv:
            return list(self._engines)

    def wake(self) -> None:
        """The configuration changed: recompute the idle deadline."""
        with self._cv:
            self._cv.notify()

    def stop(self) -> list[Job]:
        """Cancel the running job and take the queued ones out; returns those, for their `cancelled`."""
        with self._cv:
            self._stopping = True
            if self.current is not None:
                self.current.token.cancel()
            dropped = list(self._queue)
            self._queue.clear()
            for job in dropped:
                job.token.cancel()
            self._cv.notify()
        return dropped

    # ---------------------------------------------------------------- the lane's own thread

    def run(self) -> None:
        while (job := self._next()) is not None:
            try:
                if job.token.cancelled:
                    self._hooks.skipped(job)
                else:
                    self._hooks.execute(job, self)
            finally:
                with self._cv:
                    self.current = None
                    self._in_use.clear()
                    idle = not self._queue and not self._stopping
                self._trim(self._limit())
            if idle:  # only now: `idle` means nothing is running or queued on this lane
                self._hooks.idle(self.lane)
        self._close_engines()

    def _next(self) -> Job | None:
        """The next job; None when stopping. While waiting idle in low-power mode, engines are closed."""
        while True:
            with self._cv:
                if self._stopping:
                    return None
                if self._queue:
                    self.current = self._queue.popleft()
                    return self.current
                timeout = self._hooks.config().idle_unload_s if self._engines else None
                woken = self._cv.wait(timeout)
                expired = not woken and not self._queue and not self._stopping
            if expired:
                log.info("lane %s idle for %.0f s: closing its engines", self.lane, timeout)
                self._close_engines()

    def _limit(self) -> int:
        return self._hooks.config().engines_for(self.lane)

    def engine(self, key: str, factory: Callable[[], Any]) -> Any:
        found = self._engines.get(key)
        if found is None:
            self._trim(self._limit() - 1)  # make room first: the peak stays at the limit
            found = factory()
            with self._cv:
                self._engines[key] = found
            self._hooks.engine_loaded(self.lane, key)
        with self._cv:
            self._engines.move_to_end(key)
            self._in_use.add(key)
        return found

    def _trim(self, limit: int) -> None:
        """Close least recently used engines that the running job is not using, down to `limit`."""
        while True:
            with self._cv:
                spare = [k for k in self._engines if k not in self._in_use]
                if len(self._engines) <= max(0, limit) or not spare:
                    return
                key = spare[0]
            log.info("lane %s: closing %s (least recently used)", self.lane, key)
            self._close(key)

    def drop_engine(self, key: str) -> None:
        with self._cv:
            found = key in self._engines
        if found:
            self._close(key, quiet=False)

    def _close(self, key: str, *, quiet: bool = True) -> None:
        with self._cv:
            engine = self._engines.pop(key, None)
            self._in_use.discard(key)
        if engine is None:
            return
        try:
            if hasattr(engine, "close"):
                engine.close()
        except Exception:
            if not quiet:
                raise
            log.exception("closing engine %s failed", key)  # must not stop the others from closing
        finally:
            self._hooks.engine_closed(self.lane, key)

    def _close_engines(self) -> None:
        for key in self.engine_keys():
            self._close(key)


class Worker(QObject):
    """Submit jobs from the GUI thread; receive started/progress/finished/failed/cancelled."""

    started = Signal(int, str)
    progress = Signal(int, str, object)
    finished = Signal(int, str, object)
    failed = Signal(int, str, str)
    cancelled = Signal(int, str)
    engineLoaded = Signal(str, str)  # lane, engine key
    engineClosed = Signal(str, str)  # lane, engine key: evicted, dropped, unloaded when idle, or shut down
    idle = Signal(str)  # lane with nothing running or queued any more

    def __init__(self, parent: QObject | None = None, *, config: WorkerConfig | None = None):
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._lanes: dict[str, Lane] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.config = config or WorkerConfig()
        self._hooks = LaneHooks(
            execute=self._execute,
            skipped=self._skipped,
            idle=self.idle.emit,
            engine_loaded=self.engineLoaded.emit,
            engine_closed=self.engineClosed.emit,
            config=lambda: self.config,
        )

    def configure(self, config: WorkerConfig) -> None:
        """Applies to running lanes too (low-power mode switched in the settings)."""
        self.config = config
        with self._lock:
            lanes = list(self._lanes.values())
        for lane in lanes:
            lane.wake()

    def submit(
        self,
        kind: str,
        run: Callable[[JobContext], Any],
        *,
        lane: str | None = None,
        latest_wins: bool = False,
    ) -> Job:
        """Queue a job. After shutdown() nothing runs: the job is refused with one `failed` line."""
        job = Job(next(self._ids), kind, lane or kind, run, latest_wins)
        with self._lock:
            dropped = None if self._closed else self._lane(job.lane).put(job)
        if dropped is None:
            job.token.cancel()
            log.warning("%s refused: the worker has shut down", kind)
            self.failed.emit(job.id, kind, f"{kind} not run: the app is shutting down")
            return job
        for superseded in dropped:
            self.cancelled.emit(superseded.id, superseded.kind)
        return job

    def cancel(self, job: Job) -> None:
        job.token.cancel()
        lane = self._lanes.get(job.lane)
        if lane is not None and lane.remove(job.id) is not None:
            self.cancelled.emit(job.id, job.kind)

    def busy(self, lane: str) -> bool:
        found = self._lanes.get(lane)
        return found is not None and found.pending() > 0

    def engines(self, lane: str) -> list[str]:
        """Keys of the engines a lane holds now, least recently used first."""
        found = self._lanes.get(lane)
        return found.engine_keys() if found is not None else []

    @property
    def closed(self) -> bool:
        return self._closed

    def shutdown(self, timeout: float = 60.0) -> list[str]:
        """Cancel everything, then wait for the lanes to close their engines on their own threads (native
        engines must not be freed while another lane is still loading or running one). All lanes are told
        first and waited for together, `timeout` seconds in all. Returns the lanes still running then."""
        with self._lock:
            self._closed = True
            lanes = list(self._lanes.values())
            self._lanes.clear()
        for lane in lanes:
            for job in lane.stop():
                self.cancelled.emit(job.id, job.kind)
        deadline = time.monotonic() + timeout
        for lane in lanes:
            lane.join(max(0.0, deadline - time.monotonic()))
        stuck = [lane.lane for lane in lanes if lane.is_alive()]
        if stuck:
            log.warning("lanes still busy after %.0f s, left behind: %s", timeout, ", ".join(stuck))
        return stuck

    def _lane(self, name: str) -> Lane:
        """Under self._lock."""
        lane = self._lanes.get(name)
        if lane is None:
            lane = Lane(name, self._hooks)
            self._lanes[name] = lane
            lane.start()
        return lane

    def _emit_progress(self, job: Job, value: Any) -> None:
        if not job.token.cancelled:
            self.progress.emit(job.id, job.kind, value)

    def _skipped(self, job: Job) -> None:
        self.cancelled.emit(job.id, job.kind)

    def _execute(self, job: Job, lane: Lane) -> None:
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
