"""Where a frozen (PyInstaller one-folder) bundle finds resources and models."""

import sys
from pathlib import Path

import pytest

from slm_desktop.paths import AppPaths, repo_root, resources_dir, shipped_models_dirs


@pytest.fixture
def frozen_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """dist/slm-desktop/slm-desktop with its contents in dist/slm-desktop/_internal (PyInstaller >= 6)."""
    bundle = tmp_path / "slm-desktop"
    internal = bundle / "_internal"
    (internal / "models" / "intent-minilm-int8").mkdir(parents=True)
    (internal / "resources").mkdir()
    (bundle / "models" / "my-model.gguf").parent.mkdir()
    (bundle / "models" / "my-model.gguf").write_bytes(b"GGUF")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle / "slm-desktop"))
    monkeypatch.setattr(sys, "_MEIPASS", str(internal), raising=False)
    return bundle


def test_frozen_paths_point_into_the_bundle(frozen_bundle: Path):
    assert repo_root() == frozen_bundle.resolve()
    assert resources_dir() == frozen_bundle / "_internal" / "resources"
    bundle = frozen_bundle.resolve()
    assert shipped_models_dirs() == [bundle / "models", bundle / "_internal" / "models"]


def test_frozen_search_path_finds_dropped_and_shipped_models(frozen_bundle: Path, tmp_path: Path):
    paths = AppPaths(config_dir=tmp_path / "config", data_dir=tmp_path / "data")
    assert paths.find_model("my-model.gguf") == frozen_bundle.resolve() / "models" / "my-model.gguf"
    shipped = frozen_bundle.resolve() / "_internal" / "models" / "intent-minilm-int8"
    assert paths.find_model("intent-minilm-int8") == shipped


def test_source_checkout_has_one_shipped_models_dir():
    assert shipped_models_dirs() == [repo_root() / "models"]
