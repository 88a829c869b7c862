"""Shared by the bundle and .deb tests: a private Xvfb, the window-shown marker, a screenshot's colours."""

from __future__ import annotations

import random
import select
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

from slm_desktop.diagnostics import SELF_TESTS
from slm_desktop.paths import repo_root, resources_dir
from slm_desktop.startup_probe import MARKER

DEFAULT_GGUF = repo_root() / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
SHIPPED_SPEECH = "whisper-tiny-en"  # packaging/slm-desktop.spec
# One real job per engine, each of which must pass for a new user with no network.
ENGINE_CHECKS = ("completion", "intent", "translation", "speech-pocketsphinx")
WHISPER_CHECK = "speech-whisper"


def catalog_ids() -> set[str]:
    catalog = tomllib.loads((resources_dir() / "catalog.toml").read_text(encoding="utf-8"))
    return {entry["id"] for entry in catalog.get("model", [])}


def engine_checks() -> tuple[str, ...]:
    """The self-test's per-engine jobs: Whisper's too, once the self-test has it."""
    return ENGINE_CHECKS + ((WHISPER_CHECK,) if WHISPER_CHECK in dict(SELF_TESTS) else ())


def start_xvfb() -> tuple[subprocess.Popen, str]:
    """Xvfb on a random high display number (other test runs may share /tmp/.X11-unix), once its socket is up."""
    for number in random.sample(range(100, 1000), 5):
        socket = Path(f"/tmp/.X11-unix/X{number}")
        if socket.exists():
            continue
        server = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"], stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while server.poll() is None and not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if server.poll() is None and socket.exists():
            return server, f":{number}"
        server.kill()
        server.wait()
    pytest.fail("Xvfb did not start on any of 5 display numbers")


def wait_for_marker(app: subprocess.Popen, seconds: float) -> str:
    """The app's window-shown line on its stdout, or everything it printed before the deadline."""
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([app.stdout], [], [], 0.5)
        if ready:
            line = app.stdout.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith(MARKER):
                return line
    return "".join(seen)


def distinct_colours(png: Path) -> int:
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert not image.isNull()
    step = 8
    return len({image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)})


def screenshot(display: str, out: Path) -> Path:
    subprocess.run(["import", "-display", display, "-window", "root", str(out)], check=True, timeout=60)
    return out


def window_names(display: str) -> list[str]:
    """The titles of the X windows on the display (xwininfo from x11-utils)."""
    tree = subprocess.run(
        ["xwininfo", "-display", display, "-root", "-tree"], capture_output=True, text=True, timeout=30
    ).stdout
    return [line.split('"')[1] for line in tree.splitlines() if line.count('"') >= 2]
