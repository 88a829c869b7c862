"""Background CPU load for benchmarks: child processes that each keep one core busy, bounded in time.

Each child spins in pure Python (`while True: pass`, as `python -c 'while 1: pass'` would) until the
bench stops it, and stops by itself after `seconds` in any case, so a crashed or killed bench leaves
nothing running. Children are forked (POSIX), which also works inside the frozen app, where
sys.executable is the app and not a Python interpreter.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


@contextmanager
def busy_cores(count: int, *, seconds: float = 600.0) -> Iterator[list[int]]:
    """Start `count` spinning children (each at most `seconds`); stop and reap them on exit."""
    pids: list[int] = []
    try:
        for _ in range(max(0, count)):
            pid = os.fork()
            if pid == 0:  # the child: spin, then leave without running the parent's cleanup
                try:
                    _spin(seconds)
                finally:
                    os._exit(0)
            pids.append(pid)
        yield pids
    finally:
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in pids:
            with suppress(ChildProcessError):
                os.waitpid(pid, 0)
