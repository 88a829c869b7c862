"""Memory guard: a model that needs more RAM than is free is refused with one line, before loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from slm_desktop import memory
from slm_desktop.errors import ModelError


def test_available_mb_reads_memavailable(tmp_path: Path):
    info = tmp_path / "meminfo"
    info.write_text("MemTotal:       8000000 kB\nMemFree:  100 kB\nMemAvailable:   2048000 kB\n")
    assert memory.available_mb(info) == 2000


def test_available_mb_is_none_when_unknown(tmp_path: Path):
    assert memory.available_mb(tmp_path / "missing") is None
    (tmp_path / "odd").write_text("MemAvailable: lots\n")
    assert memory.available_mb(tmp_path / "odd") is None


def test_the_real_machine_reports_free_memory():
    assert memory.available_mb() > 0


def _model(tmp_path: Path, mb: int) -> Path:
    path = tmp_path / "model.gguf"
    with open(path, "wb") as handle:
        handle.truncate(mb * 2**20)  # sparse: size on disk without the bytes
    return path


def test_estimate_uses_size_plus_overhead_or_the_larger_catalog_figure(tmp_path: Path):
    model = _model(tmp_path, 100)
    from_size = memory.estimate_mb(model)
    assert from_size == int(100 * memory.SIZE_FACTOR) + memory.RUNTIME_OVERHEAD_MB
    assert memory.estimate_mb(model, ram_mb=900) == 900
    assert memory.estimate_mb(model, ram_mb=10) == from_size


def test_folder_models_count_every_file(tmp_path: Path):
    folder = tmp_path / "vosk-model-x"
    (folder / "am").mkdir(parents=True)
    (folder / "am" / "final.mdl").write_bytes(b"x" * 2**20)
    (folder / "conf.txt").write_bytes(b"x" * 2**20)
    assert memory.estimate_mb(folder) == int(2 * memory.SIZE_FACTOR) + memory.RUNTIME_OVERHEAD_MB


def test_a_model_that_does_not_fit_is_refused_with_one_line(tmp_path: Path):
    model = _model(tmp_path, 500)
    with pytest.raises(ModelError) as caught:
        memory.ensure_fits(model, free_mb=300)
    message = str(caught.value)
    assert "\n" not in message
    assert "model.gguf needs about 598 MB" in message and "300 MB is free" in message


def test_a_model_that_fits_passes(tmp_path: Path):
    memory.ensure_fits(_model(tmp_path, 50), free_mb=4000)
    memory.ensure_fits(_model(tmp_path, 50), free_mb=None)  # the real machine: 50 MB fits


def test_the_catalog_figure_can_refuse_a_small_file(tmp_path: Path):
    with pytest.raises(ModelError):
        memory.ensure_fits(_model(tmp_path, 10), ram_mb=2000, free_mb=1500)


def test_an_unreadable_model_is_a_model_error(tmp_path: Path):
    with pytest.raises(ModelError, match="cannot read model"):
        memory.ensure_fits(tmp_path / "gone.gguf", free_mb=4000)


def test_catalog_ram_for_a_shipped_entry(app_paths):
    from slm_desktop.store.catalog import load_catalog

    entry = load_catalog(app_paths).entries[0]
    assert memory.catalog_ram_mb(app_paths, entry.filename) == entry.ram_mb
    assert memory.catalog_ram_mb(app_paths, "no-such-model.gguf") == 0


def test_speech_and_intent_factories_refuse_before_loading(app_paths, monkeypatch, tmp_path):
    """The wiring: the real factories call the guard; with no memory free nothing is loaded."""
    from slm_desktop.commands.intents import make_engine
    from slm_desktop.engines.speech_select import SpeechChoice

    monkeypatch.setattr(memory, "available_mb", lambda meminfo=memory.MEMINFO: 10)
    with pytest.raises(ModelError, match="MB is free"):
        make_engine(app_paths)
    folder = tmp_path / "vosk-model-small-en"
    folder.mkdir()
    (folder / "final.mdl").write_bytes(b"x" * 1024)
    with pytest.raises(ModelError, match="MB is free"):
        SpeechChoice("vosk", folder).create()
