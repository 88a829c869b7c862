"""How many llama.cpp threads a suggestion may use, chosen per request from how busy the machine is.

llama.cpp (built with OpenMP) splits every token over its threads and waits for the slowest at a spinning
barrier. When another process holds one of those cores, one thread is descheduled for a whole time slice
and the others spin: measured on the 2-core machine with two busy processes, single requests took 14-31 s
with 2 threads while 1 thread stayed steady. So the policy gives llama.cpp only the cores nobody else is
using, never fewer than one.

`choose_threads` is pure (unit-tested); `LoadSampler` reads the machine (Linux /proc; the load average
elsewhere) and is called in the worker lane before each request, never on the GUI thread.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

MAX_THREADS = 4  # beyond 4, a 135M-270M model gains nothing per token


@dataclass(frozen=True)
class Load:
    cores: int
    others: float  # cores kept busy by other processes (runnable, not counting this one)
    busy_lanes: int = 0  # other inference lanes of this app running now (speech, translation)


def choose_threads(load: Load, *, configured: int = 0, max_threads: int = MAX_THREADS) -> int:
    """Threads for the next request: the configured count when set (> 0), else the idle cores, 1 to
    max_threads. A core that is even half busy counts as busy: a spinning barrier waits for the slowest."""
    if configured > 0:
        return configured
    free = load.cores - math.ceil(max(0.0, load.others) - 0.25) - max(0, load.busy_lanes)
    return max(1, min(max_threads, load.cores, free))


class LoadSampler:
    """Other processes' demand for the CPU, smoothed over recent requests.

    Two signals: the instantaneous number of runnable threads (/proc/stat procs_running) minus this
    process's own running threads, which sees a new busy process at once; and the 1-minute load average
    minus this process's own recent CPU use, which is steadier. The larger one wins."""

    def __init__(self, *, proc: Path = Path("/proc"), smoothing: float = 0.5, cores: int = 0):
        self._proc = proc
        self._smoothing = smoothing
        self._instant: float | None = None
        self._last = (time.monotonic(), time.process_time())
        self.cores = cores or os.cpu_count() or 1

    def sample(self, *, busy_lanes: int = 0) -> Load:
        now = (time.monotonic(), time.process_time())
        wall, cpu = now[0] - self._last[0], now[1] - self._last[1]
        self._last = now
        own_share = cpu / wall if wall > 0.05 else 0.0
        instant = self._running_others()
        if instant is not None:
            previous = instant if self._instant is None else self._instant
            self._instant = previous + self._smoothing * (instant - previous)
        try:
            average = os.getloadavg()[0] - own_share
        except OSError:
            average = 0.0
        return Load(self.cores, max(self._instant or 0.0, average), busy_lanes)

    def _running_others(self) -> float | None:
        try:
            stat = (self._proc / "stat").read_text()
            running = next(int(line.split()[1]) for line in stat.splitlines() if line.startswith("procs_running"))
        except (OSError, StopIteration, ValueError, IndexError):
            return None
        own = 0
        for task in (self._proc / "self" / "task").glob("*/stat"):
            try:
                if task.read_text().rsplit(")", 1)[1].split()[0] == "R":
                    own += 1
            except (OSError, IndexError):
                continue
        return float(max(0, running - own))


class ThreadPolicy:
    """Applies `choose_threads` to an engine before each request, in the worker lane (one sampler per lane)."""

    def __init__(self, *, configured: int = 0, max_threads: int = MAX_THREADS, sampler: LoadSampler | None = None):
        self.configured = configured
        self.max_threads = max_threads
        self._sampler = sampler or LoadSampler()
        self.last = 0

    def apply(self, engine: object, *, busy_lanes: int = 0) -> int:
        """Set the engine's threads (engines without `set_threads`, e.g. a server, are left alone)."""
        load = self._sampler.sample(busy_lanes=busy_lanes)
        self.last = choose_threads(load, configured=self.configured, max_threads=self.max_threads)
        setter = getattr(engine, "set_threads", None)
        if setter is not None:
            setter(self.last)
        return self.last
