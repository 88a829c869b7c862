"""Fixtures for subprocess GUI runs: isolated dirs and a 1-second autosave."""

import pytest


@pytest.fixture
def gui_env(isolated_env, tmp_path) -> dict[str, str]:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.toml").write_text("[ui]\nautosave_seconds = 1\n", encoding="utf-8")
    return isolated_env
