"""The one atomic-write helper: through symlinks, with the right mode, used by every writer of the app."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from slm_desktop.atomic import atomic_write_bytes, current_umask
from slm_desktop.config import Settings, save_settings
from slm_desktop.document import Document, read_document, write_document
from slm_desktop.paths import AppPaths
from slm_desktop.recovery import RecoveryStore
from slm_desktop.store import manager as manager_module
from slm_desktop.store.catalog import pin_hash


@pytest.fixture
def umask():
    """Set the process umask for one test and put the old one back."""
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_current_umask_reads_without_changing_it(umask):
    umask(0o027)
    assert current_umask() == 0o027
    assert current_umask() == 0o027


def test_writing_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "real" / "notes.txt"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "link.txt"
    link.symlink_to(Path("real") / "notes.txt")  # relative, as `ln -s` makes them
    chain = tmp_path / "chain.txt"
    chain.symlink_to(link)
    written = atomic_write_bytes(chain, b"new")
    assert written == real.resolve()
    assert chain.is_symlink() and link.is_symlink()
    assert os.readlink(link) == str(Path("real") / "notes.txt")
    assert real.read_bytes() == b"new"
    assert not list(tmp_path.glob(".*.tmp")) and not list(real.parent.glob(".*.tmp"))


def test_a_saved_document_opened_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.txt"
    real.write_bytes(b"one\r\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    doc = read_document(link)
    write_document(doc, "one\ntwo\n")
    assert link.is_symlink() and real.read_bytes() == b"one\r\ntwo\r\n"


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_new_file_gets_the_mode_the_umask_allows_like_editors(tmp_path, umask, mask, expected):
    umask(mask)
    target = tmp_path / "new.txt"
    write_document(Document(""), "hello", target)
    assert _mode(target) == expected


def test_an_existing_file_keeps_its_mode(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "script.sh"
    target.write_bytes(b"#!/bin/sh\n")
    target.chmod(0o750)
    write_document(read_document(target), "#!/bin/sh\necho hi\n")
    assert _mode(target) == 0o750


def test_recovery_snapshots_stay_private_whatever_the_umask(tmp_path, umask):
    umask(0o002)
    store = RecoveryStore(tmp_path / "recovery")
    store.folder.mkdir()
    store.write("unsaved secret", None)
    assert _mode(store.file) == 0o600


def _linked(tmp_path: Path, target: Path) -> Path:
    """`target` becomes a symlink to a file elsewhere (as dotfile managers do); returns that file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    elsewhere = tmp_path / "dotfiles" / target.name
    elsewhere.parent.mkdir(parents=True, exist_ok=True)
    elsewhere.write_bytes(b"")
    target.symlink_to(elsewhere)
    return elsewhere


def test_settings_manifest_defaults_and_pins_are_written_through_symlinks(tmp_path):
    """config, store/manager and store/catalog write with the shared helper: the links survive."""
    paths = AppPaths(config_dir=tmp_path / "config", data_dir=tmp_path / "data", models_env=tmp_path / "models")
    settings_file = _linked(tmp_path, paths.settings_file)
    save_settings(Settings(), paths.settings_file)
    pins = _linked(tmp_path, paths.config_dir / "pinned.toml")
    pin_hash(paths, "some-model", "ab" * 32)
    manifest = _linked(tmp_path, paths.install_dir / manager_module.MANIFEST)
    manager_module._atomic_toml(paths.install_dir / manager_module.MANIFEST, {"models": {}})
    for link, real in [
        (paths.settings_file, settings_file),
        (paths.config_dir / "pinned.toml", pins),
        (paths.install_dir / manager_module.MANIFEST, manifest),
    ]:
        assert link.is_symlink(), f"{link.name} was replaced by a plain file"
        assert real.read_bytes(), f"{real.name} behind the link was not written"
    assert "some-model" in pins.read_text()
