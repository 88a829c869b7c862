"""The desktop entry's Exec line ("Open With") opens the file in the real window, in a subprocess."""

from __future__ import annotations

import configparser
import os
import shlex
import subprocess
import sys
import tomllib

import pytest

from slm_desktop.paths import APP_NAME, repo_root, resources_dir
from slm_desktop.startup_probe import MARKER

LAUNCH_TIMEOUT_S = 60


def exec_line() -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read_string((resources_dir() / f"{APP_NAME}.desktop").read_text(encoding="utf-8"))
    return parser["Desktop Entry"]["Exec"]


def launcher_argv(file: str) -> list[str]:
    """What a desktop environment runs: the Exec line split, %f replaced by the file (the spec's field
    code for one local file). The program `slm-desktop` is the console script for slm_desktop.cli:main
    (checked against pyproject.toml), run here as `python -m slm_desktop` so this checkout's code runs."""
    scripts = tomllib.loads((repo_root() / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    program, *args = shlex.split(exec_line())
    assert scripts[program] == "slm_desktop.cli:main"
    assert "%f" in args, "the Exec line passes no file"
    return [sys.executable, "-m", "slm_desktop", *(file if a == "%f" else a for a in args)]


def launch(env: dict[str, str], file: str) -> subprocess.CompletedProcess:
    env = {
        **env,
        "QT_QPA_PLATFORM": "offscreen",
        "SLM_DESKTOP_STARTUP_PROBE": "quit",  # print the title once the window is painted, then quit
        "PYTHONPATH": os.pathsep.join(filter(None, [str(repo_root()), env.get("PYTHONPATH", "")])),
    }
    return subprocess.run(
        launcher_argv(file), env=env, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_S, check=False
    )


def _shown(result: subprocess.CompletedProcess) -> str:
    """The window title the app reported once its window was on screen."""
    lines = [line for line in result.stdout.splitlines() if line.startswith(MARKER)]
    assert lines, f"no window (exit {result.returncode}): {result.stdout[-300:]} {result.stderr[-500:]}"
    return lines[0].removeprefix(f"{MARKER}: ")


def test_open_with_runs_the_exec_line_and_the_window_opens_the_file(gui_env, tmp_path):
    notes = tmp_path / "shopping list.txt"  # a space: the launcher must keep the name whole
    notes.write_text("milk\neggs\n", encoding="utf-8")
    result = launch(gui_env, str(notes))
    assert result.returncode == 0, result.stderr
    assert _shown(result) == "shopping list.txt[*] — slm-desktop"
    assert "invalid choice" not in result.stderr


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "missing.txt", "cannot read"),
        (lambda d: (d / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") and d / "photo.txt", "binary"),
    ],
    ids=["missing", "binary"],
)
def test_a_file_that_cannot_be_opened_is_one_line_and_the_window_still_opens(gui_env, tmp_path, make, expected):
    result = launch(gui_env, str(make(tmp_path)))
    assert result.returncode == 0
    assert _shown(result) == "Untitled[*] — slm-desktop"
    said = [line for line in result.stderr.splitlines() if line.startswith("slm-desktop")]
    assert len(said) == 1 and expected in said[0], result.stderr  # (Qt's offscreen plugin warns on its own)
    assert "Traceback" not in result.stderr
