"""Run the real GUI in a subprocess under tests/gui_driver.py, read its progress lines, kill it."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from slm_desktop.paths import repo_root

DRIVER = Path(__file__).resolve().parent.parent / "gui_driver.py"
START_TIMEOUT_S = 60


class GuiProcess:
    def __init__(self, mode: str, env: dict[str, str], *args: str, prefix: tuple[str, ...] = ()):
        """`prefix`: a command to run the GUI under (strace); then the whole process group is killed."""
        self.env = {**env, "SLM_TEST_DRIVE": mode, "PYTHONUNBUFFERED": "1"}
        self.env.pop("SLM_DESKTOP_MODELS", None)
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo_root()), env.get("PYTHONPATH", "")]))
        self.group = bool(prefix)
        self.process = subprocess.Popen(
            [*prefix, sys.executable, str(DRIVER), "gui", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=self.group,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        try:
            for line in self.process.stdout:
                self.lines.put(line.rstrip("\n"))
        except ValueError:  # close() closed the pipe while this thread was reading it
            pass
        self.lines.put("<eof>")

    def wait_for(self, predicate, timeout: float = START_TIMEOUT_S) -> str:
        """The first line (also already seen ones are skipped) matching predicate; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(0.01, left))
            except queue.Empty:
                line = None
            if line == "<eof>" or (line is None and time.monotonic() >= deadline):
                raise AssertionError(f"GUI never printed the expected line; last: {self.seen[-3:]} {self.stderr()}")
            if line is None:
                continue
            self.seen.append(line)
            if predicate(line):
                return line

    def kill(self) -> None:
        if self.group:  # a killed strace would leave the traced app running
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def wait(self, timeout: float = START_TIMEOUT_S) -> int:
        return self.process.wait(timeout)

    def stderr(self) -> str:
        if self.process.poll() is None:
            return ""
        return self.process.stderr.read()[-2000:]

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill()
        self.process.stdout.close()
        self.process.stderr.close()


def restore_text(env: dict[str, str], row: int = 0) -> dict:
    """Start the GUI again, click Restore on `row` of the recovery prompt; the editor's text, its modified
    flag and the texts the prompt listed."""
    gui = GuiProcess("restore", {**env, "SLM_TEST_RESTORE_ROW": str(row)})
    try:
        line = gui.wait_for(lambda s: s.startswith("{"))
        assert gui.wait() == 0, gui.stderr()
        return json.loads(line)
    finally:
        gui.close()
