"""`slm-desktop models install` of an unverified entry: the hash and its source are shown, and
nothing is installed or pinned without the user's yes (typed at a terminal, or --pin-sha256)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from store_helpers import catalog_toml, gguf_entry, sha256, tiny_gguf_bytes

PINS = "pinned.toml"


@pytest.fixture
def setup(server, isolated_env, tmp_path):
    isolated_env["SLM_DESKTOP_MODELS"] = str(tmp_path / "models")
    data = tiny_gguf_bytes(tmp_path)
    config = Path(isolated_env["SLM_DESKTOP_CONFIG_DIR"])
    config.mkdir(parents=True)
    url = server.add("t.gguf", data)
    entry = gguf_entry("tiny", data, [url], sha256="", sha256_unverified=True)
    (config / "catalog.toml").write_text(catalog_toml([entry]))
    return isolated_env, config, data, url, tmp_path / "models"


def _cli(env, *args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "slm_desktop", "models", "install", "tiny", *args],
        env=env,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _installed(models: Path) -> list[str]:
    return sorted(p.name for p in models.iterdir() if not p.name.startswith(".")) if models.exists() else []


def test_without_a_terminal_the_hash_and_source_are_shown_and_nothing_is_pinned(setup):
    env, config, data, url, models = setup
    result = _cli(env, "--trust-unverified")
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("[")]  # not the bar
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert sha256(data) in lines[0] and url in lines[0] and "--pin-sha256" in lines[0]
    assert not (config / PINS).exists() and _installed(models) == []


def test_a_wrong_pin_installs_nothing_and_the_right_one_installs_and_pins(setup):
    env, config, data, _url, models = setup
    wrong = _cli(env, "--pin-sha256", "0" * 64)
    assert wrong.returncode == 2 and "does not match" in wrong.stderr and not (config / PINS).exists()
    assert _installed(models) == []
    right = _cli(env, "--pin-sha256", sha256(data))
    assert right.returncode == 0, right.stderr
    assert sha256(data) in (config / PINS).read_text() and _installed(models) == ["tiny.gguf"]


@pytest.mark.parametrize(("typed", "pinned"), [("n\n", False), ("\n", False), ("y\n", True)])
def test_at_a_terminal_the_user_is_asked_with_the_hash_and_source(setup, typed, pinned):
    env, config, data, url, models = setup
    master, slave = pty.openpty()
    try:
        os.write(master, typed.encode())
        proc = subprocess.Popen(
            [sys.executable, "-m", "slm_desktop", "models", "install", "tiny", "--trust-unverified"],
            env=env,
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=slave,
        )
        proc.wait(timeout=120)
        screen = b""
        os.set_blocking(master, False)
        while True:
            try:
                chunk = os.read(master, 65536)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            screen += chunk
    finally:
        os.close(slave)
        os.close(master)
    text = screen.decode(errors="replace")
    assert "Pin this sha256 and install? [y/N]" in text and sha256(data) in text and url in text
    assert (proc.returncode == 0) is pinned
    assert (config / PINS).exists() is pinned
    assert _installed(models) == (["tiny.gguf"] if pinned else [])
