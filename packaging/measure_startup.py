"""Time from launch to the main window's first painted frame: frozen bundle vs `python -m slm_desktop`.

    python packaging/measure_startup.py [--runs 7] [--bundle dist/slm-desktop/slm-desktop] [--json]

Each run is a fresh process with empty settings; the app prints a marker after the window's first paint
when SLM_DESKTOP_STARTUP_PROBE=quit, then quits. Uses $DISPLAY when set, else a private Xvfb, else Qt's
offscreen platform. --drop-caches (root) empties the page cache before each run for a true cold start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "slm-desktop: window shown"  # slm_desktop.startup_probe.MARKER (not imported: keep this script standalone)
XVFB_DISPLAY = ":417"


@contextmanager
def display_env():
    """The environment's Qt platform settings, with a private Xvfb when there is no display."""
    if os.environ.get("DISPLAY"):
        yield {"QT_QPA_PLATFORM": "xcb"}, "xcb (DISPLAY)"
        return
    if not shutil.which("Xvfb"):
        yield {"QT_QPA_PLATFORM": "offscreen"}, "offscreen"
        return
    server = subprocess.Popen(["Xvfb", XVFB_DISPLAY, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
    socket = Path(f"/tmp/.X11-unix/X{XVFB_DISPLAY[1:]}")
    deadline = time.monotonic() + 20
    while not socket.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield {"QT_QPA_PLATFORM": "xcb", "DISPLAY": XVFB_DISPLAY}, "xcb (Xvfb)"
    finally:
        server.terminate()
        server.wait(10)


def drop_caches() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def time_one(command: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning the process to the window-shown marker on its stdout."""
    with tempfile.TemporaryDirectory() as home:
        run_env = env | {"SLM_DESKTOP_CONFIG_DIR": f"{home}/config", "SLM_DESKTOP_DATA_DIR": f"{home}/data"}
        start = time.perf_counter()
        proc = subprocess.Popen(command, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in proc.stdout:
            if line.startswith(MARKER):
                elapsed = time.perf_counter() - start
                break
        else:
            raise SystemExit(f"measure_startup: {command[0]} exited ({proc.wait()}) without showing its window")
        proc.wait(60)
        return elapsed


def measure(name: str, command: list[str], env: dict[str, str], runs: int, cold: bool) -> dict:
    times = []
    for _ in range(runs):
        if cold:
            drop_caches()
        times.append(time_one(command, env))
    return {
        "launcher": name,
        "first_s": round(times[0], 3),
        "p50_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "slm-desktop" / "slm-desktop")
    parser.add_argument("--python", default=sys.executable, help="interpreter for `python -m slm_desktop`")
    parser.add_argument("--drop-caches", action="store_true", help="cold page cache before each run (root)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    base = {k: v for k, v in os.environ.items() if not k.startswith("SLM_DESKTOP_")}
    base |= {"SLM_DESKTOP_STARTUP_PROBE": "quit", "PYTHONPATH": str(ROOT)}
    launchers = {"python -m slm_desktop": [args.python, "-m", "slm_desktop"]}
    if args.bundle.exists():
        launchers = {"frozen bundle": [str(args.bundle)], **launchers}
    with display_env() as (qt_env, platform):
        rows = [measure(name, cmd, base | qt_env, args.runs, args.drop_caches) for name, cmd in launchers.items()]
    result = {"platform": platform, "cold_page_cache": args.drop_caches, "cores": os.cpu_count(), "table": rows}
    if args.json:
        print(json.dumps(result))
    else:
        cache = "cold" if args.drop_caches else "warm"
        print(f"launch -> window shown ({platform}, {os.cpu_count()} cores, page cache {cache})")
        for row in rows:
            print(
                f"  {row['launcher']:<22} p50 {row['p50_s']:.3f} s  first {row['first_s']:.3f} s  "
                f"min {row['min_s']:.3f} s  max {row['max_s']:.3f} s  ({row['runs']} runs)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
