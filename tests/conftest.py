"""Shared fixtures. Qt runs offscreen; every test gets its own config/data/models folders."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from network_guard import NetworkGuard

from slm_desktop.paths import AppPaths, repo_root

REPO_MODELS = repo_root() / "models"
DEFAULT_GGUF = REPO_MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture
def app_paths(tmp_path: Path) -> AppPaths:
    """Isolated config and data dirs; the repository's models/ stays on the search path."""
    return AppPaths(config_dir=tmp_path / "config", data_dir=tmp_path / "data")


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for subprocess runs of the CLI or the GUI."""
    env = dict(os.environ)
    env["SLM_DESKTOP_CONFIG_DIR"] = str(tmp_path / "config")
    env["SLM_DESKTOP_DATA_DIR"] = str(tmp_path / "data")
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("SLM_DESKTOP_MODELS", None)
    return env


@pytest.fixture
def gui_env(isolated_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Environment for a GUI subprocess (tests/gui_driver.py), with a 1-second autosave."""
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.toml").write_text("[ui]\nautosave_seconds = 1\n", encoding="utf-8")
    return isolated_env


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch):
    """No test may connect anywhere but loopback or a unix socket (see tests/network_guard.py)."""
    guard = NetworkGuard().install(monkeypatch)
    yield guard
    assert not guard.attempts, f"test made a non-loopback connection: {guard.attempts}"


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 serving the store tests' files (see store_helpers)."""
    from store_helpers import start_server

    state = start_server()
    yield state
    state.server.shutdown()
    state.server.server_close()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server on the default GGUF, once per session, API key required
    (tests/server_support.py); torn down when the session ends, even after a failure."""
    from server_support import LlamaServer

    server = LlamaServer(DEFAULT_GGUF, log_path=tmp_path_factory.mktemp("llama-server") / "server.log")
    yield server
    server.stop()
