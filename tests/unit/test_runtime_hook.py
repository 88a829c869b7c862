"""The bundle's runtime hook: ctypes.util.find_library falls back to the bundled PortAudio on Linux."""

import ctypes.util
import importlib.util
from pathlib import Path

import pytest

from slm_desktop.paths import repo_root

HOOK = repo_root() / "packaging" / "rthooks" / "pyi_rth_find_bundled_library.py"


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ctypes.util, "find_library", ctypes.util.find_library)  # restored after the test
    spec = importlib.util.spec_from_file_location("pyi_rth_find_bundled_library", HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not frozen here: defines install() and patches nothing
    return module


def test_not_frozen_nothing_is_patched(hook):
    assert ctypes.util.find_library.__module__ == "ctypes.util"


def test_bundled_library_is_found_when_the_system_has_none(hook, monkeypatch, tmp_path: Path):
    (tmp_path / "libportaudio.so.2").write_bytes(b"\x7fELF")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    hook.install(str(tmp_path))
    assert ctypes.util.find_library("portaudio") == str(tmp_path / "libportaudio.so.2")
    assert ctypes.util.find_library("notthere") is None


def test_the_system_library_wins_when_there_is_one(hook, monkeypatch, tmp_path: Path):
    (tmp_path / "libportaudio.so.2").write_bytes(b"\x7fELF")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: f"lib{name}.so.2")
    hook.install(str(tmp_path))
    assert ctypes.util.find_library("portaudio") == "libportaudio.so.2"
