"""The worker's mailbox: results, errors, cancellation and latest-wins, with fake jobs."""

import threading
import time

import pytest
from PySide6.QtCore import QObject, Qt, Slot
from qt_support import WorkerEvents

from slm_desktop.cancel import Cancelled
from slm_desktop.errors import UserError
from slm_desktop.probe import StallProbe
from slm_desktop.worker import Worker, WorkerConfig


@pytest.fixture
def worker(qtbot):
    w = Worker()
    yield w
    w.shutdown()


def test_result_arrives_on_gui_thread(qtbot, worker):
    seen = {}

    def job(ctx):
        seen["thread"] = threading.current_thread().name
        return 6 * 7

    with WorkerEvents(qtbot, worker).waiting("finished", timeout=5000) as blocker:
        worker.submit("sum", job)
    assert blocker.args[1:] == ["sum", 42]
    assert seen["thread"].startswith("slm-lane-")


def test_user_error_becomes_failed_signal_and_lane_survives(qtbot, worker):
    def bad(ctx):
        raise UserError("model not found: x.gguf")

    with WorkerEvents(qtbot, worker).waiting("failed", timeout=5000) as blocker:
        worker.submit("load", bad)
    assert blocker.args[2] == "model not found: x.gguf"
    with WorkerEvents(qtbot, worker).waiting("finished", timeout=5000) as blocker:
        worker.submit("load", lambda ctx: "still alive")
    assert blocker.args[2] == "still alive"


def test_unexpected_exception_is_reported_not_raised(qtbot, worker):
    with WorkerEvents(qtbot, worker).waiting("failed", timeout=5000) as blocker:
        worker.submit("x", lambda ctx: 1 / 0)
    assert "division by zero" in blocker.args[2]


def _wait_for_cancel(ctx):
    ctx.progress("running")
    while True:
        ctx.token.raise_if_cancelled()
        time.sleep(0.001)


def test_latest_wins_cancels_running_and_drops_queued(qtbot, worker):
    events = WorkerEvents(qtbot, worker)
    with events.waiting("progress", timeout=5000):
        first = worker.submit("suggest", _wait_for_cancel, latest_wins=True)
    second = worker.submit("suggest", lambda ctx: "second", latest_wins=True)
    third = worker.submit("suggest", lambda ctx: "third", latest_wins=True)
    qtbot.waitUntil(lambda: [args[2] for args in events.args("finished")] == ["third"], timeout=5000)
    cancelled = [args[0] for args in events.args("cancelled")]
    assert first.id in cancelled and second.id in cancelled
    assert third.id not in cancelled


def test_other_kinds_are_not_superseded(qtbot, worker):
    events = WorkerEvents(qtbot, worker)
    worker.submit("translate", lambda ctx: "t", lane="shared", latest_wins=True)
    worker.submit("suggest", lambda ctx: "s", lane="shared", latest_wins=True)
    qtbot.waitUntil(lambda: sorted(args[2] for args in events.args("finished")) == ["s", "t"], timeout=5000)


def test_cancel_a_single_job(qtbot, worker):
    with WorkerEvents(qtbot, worker).waiting("progress", timeout=5000):
        job = worker.submit("long", _wait_for_cancel)
    with WorkerEvents(qtbot, worker).waiting("cancelled", timeout=5000) as blocker:
        worker.cancel(job)
    assert blocker.args[0] == job.id


def test_engines_load_lazily_once_per_lane(qtbot, worker):
    loads = []

    def factory():
        loads.append(1)
        return object()

    def job(ctx):
        return id(ctx.engine("fake", factory))

    events = WorkerEvents(qtbot, worker)
    assert loads == []
    worker.submit("a", job, lane="engines")
    worker.submit("b", job, lane="engines")
    qtbot.waitUntil(lambda: len(events.args("finished")) == 2, timeout=5000)
    results = [args[2] for args in events.args("finished")]
    assert loads == [1] and results[0] == results[1]


def test_cancelled_exception_type_is_not_an_error(qtbot, worker):
    def job(ctx):
        raise Cancelled()

    with WorkerEvents(qtbot, worker).waiting("cancelled", timeout=5000):
        worker.submit("c", job)


def _busy_python(ctx):
    """Holds the GIL in pure-Python chunks for 2 s, as a worst case for the GUI thread."""
    end = time.perf_counter() + 2.0
    total = 0
    while time.perf_counter() < end:
        ctx.token.raise_if_cancelled()
        for i in range(10_000):
            total += i * i
    return total


def test_gil_heavy_job_leaves_gui_responsive(qtbot, worker):
    """The job's own share of the stall: the worst gap with the job running, less the worst gap
    of an idle event loop measured just before (other processes on a shared 2-core machine cause
    that part). A job run on the GUI thread, or one that never yields the GIL, stalls ~2000 ms."""
    probe = StallProbe()
    probe.start()
    qtbot.wait(1000)
    baseline = probe.stop()
    probe.start()
    with WorkerEvents(qtbot, worker).waiting("finished", timeout=10_000):
        worker.submit("busy", _busy_python)
    worst = probe.stop()
    # the heartbeat ran through the job (it takes the GIL turn about every other 5 ms beat on a busy
    # 2-core machine: 99 beats in 2 s were seen); the stall bound below is the real check
    assert probe.beats > 20
    assert worst - baseline < 50, f"worst GUI stall {worst:.1f} ms (idle baseline {baseline:.1f} ms)"


# ---------------------------------------------------------------- races found in review (issue 15)


class IdleProbe(QObject):
    """Asks the worker, at the moment `idle` is emitted (a direct connection: on the lane's thread),
    whether that lane is still busy."""

    def __init__(self, worker):
        super().__init__()
        self.worker = worker
        self.busy_when_idle: list[bool] = []
        worker.idle.connect(self.on_idle, Qt.ConnectionType.DirectConnection)

    @Slot(str)
    def on_idle(self, lane: str) -> None:
        self.busy_when_idle.append(self.worker.busy(lane))


def _blocker(release: threading.Event):
    """A job that holds its lane until the test releases it (or the worker cancels it)."""

    def job(ctx):
        ctx.progress("holding")
        while not release.is_set():
            if ctx.token.wait(0.005):
                raise Cancelled()
        return "released"

    return job


def test_idle_is_emitted_only_once_the_lane_has_nothing_running(qtbot, worker):
    probe = IdleProbe(worker)
    with WorkerEvents(qtbot, worker).waiting("finished", timeout=5000):
        worker.submit("one", lambda ctx: 1, lane="idle-lane")
    qtbot.waitUntil(lambda: bool(probe.busy_when_idle), timeout=5000)
    assert probe.busy_when_idle == [False]


def test_a_job_cancelled_before_it_starts_emits_cancelled_never_runs_and_the_lane_goes_idle(qtbot, worker):
    events, release, ran = WorkerEvents(qtbot, worker), threading.Event(), []
    with events.waiting("progress", timeout=5000):
        first = worker.submit("hold", _blocker(release), lane="pre")
    second = worker.submit("later", lambda ctx: ran.append("second"), lane="pre")
    third = worker.submit("later", lambda ctx: ran.append("third"), lane="pre")
    second.token.cancel()  # its token, shared with whoever made the job, not Worker.cancel
    worker.cancel(third)
    release.set()
    qtbot.waitUntil(lambda: events.args("idle") == [["pre"]], timeout=5000)
    assert ran == []
    assert sorted(args[0] for args in events.args("cancelled")) == [second.id, third.id]
    assert [args[0] for args in events.args("started")] == [first.id]
    assert [args[0] for args in events.args("finished")] == [first.id]


def test_submit_after_shutdown_is_refused_with_one_line_and_starts_no_lane(qtbot, worker):
    worker.shutdown()
    events, ran = WorkerEvents(qtbot, worker), []
    job = worker.submit("late", lambda ctx: ran.append(1), lane="late-lane")
    assert events.args("failed") == [[job.id, "late", "late not run: the app is shutting down"]]
    assert job.token.cancelled
    assert not any(t.name == "slm-lane-late-lane" for t in threading.enumerate())
    assert worker.closed and not worker.busy("late-lane") and ran == []


def test_shutdown_cancels_queued_jobs_with_a_signal_each(qtbot, worker):
    events, release = WorkerEvents(qtbot, worker), threading.Event()
    with events.waiting("progress", timeout=5000):
        running = worker.submit("hold", _blocker(release), lane="stopping")
    queued = [worker.submit("queued", lambda ctx: "never", lane="stopping") for _ in range(3)]
    assert worker.shutdown(timeout=10) == []
    qtbot.waitUntil(lambda: len(events.args("cancelled")) == 4, timeout=5000)
    assert sorted(args[0] for args in events.args("cancelled")) == [running.id, *(j.id for j in queued)]
    assert events.args("finished") == []


def test_shutdown_signals_every_lane_first_and_waits_once_for_all(qtbot, worker, monkeypatch):
    """Two lanes whose jobs ignore cancellation: the joins share one deadline instead of one each."""
    from slm_desktop.worker import Lane

    release, events = threading.Event(), WorkerEvents(qtbot, worker)

    def stubborn(ctx):
        ctx.progress("started")
        release.wait(30)
        return "late"

    jobs = [worker.submit("stubborn", stubborn, lane=name) for name in ("lane-a", "lane-b")]
    qtbot.waitUntil(lambda: len(events.args("progress")) == 2, timeout=5000)
    joins: list[tuple[float, list[bool]]] = []
    real_join = Lane.join

    def recording_join(self, timeout=None):
        joins.append((timeout, [j.token.cancelled for j in jobs]))
        real_join(self, timeout)

    monkeypatch.setattr(Lane, "join", recording_join)
    try:
        stuck = worker.shutdown(timeout=0.3)
    finally:
        release.set()
    assert len(joins) == 2 and all(cancelled == [True, True] for _timeout, cancelled in joins)
    assert sum(timeout for timeout, _ in joins) <= 0.3 + 1e-6
    assert sorted(stuck) == ["lane-a", "lane-b"]


# ---------------------------------------------------------------- engines: least recently used, idle unload


class FakeEngine:
    def __init__(self, key: str, closed: list[str]):
        self.key, self._closed = key, closed

    def close(self) -> None:
        self._closed.append(self.key)


def _use(*keys, closed):
    def job(ctx):
        for key in keys:
            ctx.engine(key, lambda key=key: FakeEngine(key, closed))
        return list(closed)

    return job


def test_lane_keeps_its_least_recently_used_engines_and_closes_the_oldest(qtbot):
    worker, closed = Worker(config=WorkerConfig(max_engines=2)), []
    events = WorkerEvents(qtbot, worker)
    try:
        for keys in (("a",), ("b",), ("a",), ("c",)):  # a was used again after b: b is the oldest
            worker.submit("use", _use(*keys, closed=closed), lane="lru")
        qtbot.waitUntil(lambda: len(events.args("finished")) == 4, timeout=5000)
        assert closed == ["b"]
        assert worker.engines("lru") == ["a", "c"]
        assert events.args("engineClosed") == [["lru", "b"]]
    finally:
        worker.shutdown()
    assert sorted(closed) == ["a", "b", "c"]  # shutdown closes the rest


def test_engines_the_running_job_uses_stay_open_until_it_ends(qtbot):
    worker, closed = Worker(config=WorkerConfig(max_engines=2)), []
    try:
        with WorkerEvents(qtbot, worker).waiting("finished", timeout=5000) as got:
            worker.submit("pivot", _use("a", "b", "c", closed=closed), lane="busy")
        assert got.args[2] == []  # nothing closed while the job held all three
        qtbot.waitUntil(lambda: closed == ["a"], timeout=5000)
        assert worker.engines("busy") == ["b", "c"]
    finally:
        worker.shutdown()


def test_per_lane_limits_come_from_the_config():
    config = WorkerConfig(max_engines=2, lane_max_engines=(("live", 4), ("intent", 1)))
    assert (config.engines_for("live"), config.engines_for("intent"), config.engines_for("translation")) == (4, 1, 2)


def test_an_idle_lane_closes_its_engines_in_low_power_mode(qtbot):
    worker, closed = Worker(), []
    events = WorkerEvents(qtbot, worker)
    try:
        with events.waiting("finished", timeout=5000):
            worker.submit("use", _use("model", closed=closed), lane="lp")
        assert closed == []  # not in normal mode
        worker.configure(WorkerConfig(idle_unload_s=0.05))  # low power switched on while running
        qtbot.waitUntil(lambda: closed == ["model"], timeout=5000)
        assert worker.engines("lp") == [] and events.args("engineClosed") == [["lp", "model"]]
        with events.waiting("finished", timeout=5000) as got:  # the next job loads it again
            worker.submit("use", _use("model", closed=closed), lane="lp")
        assert got.args[2] == ["model"] and worker.engines("lp") == ["model"]
    finally:
        worker.shutdown()
