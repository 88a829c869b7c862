"""The benchmarks' background load: children that really spin, and that are gone afterwards."""

import os
import time

from slm_desktop.bench.load import busy_cores


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0]


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_children_spin_and_are_reaped():
    with busy_cores(2, seconds=30) as pids:
        assert len(pids) == 2
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and min(_cpu_seconds(p) for p in pids) < 0.05:
            os.sched_yield()
        assert min(_cpu_seconds(p) for p in pids) >= 0.05  # each has used CPU
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}")


def test_children_stop_by_themselves_after_their_time():
    with busy_cores(1, seconds=0.2) as pids:
        pid = pids[0]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _state(pid) != "Z":
            os.sched_yield()
        assert _state(pid) == "Z"  # exited on its own, waiting to be reaped
