"""SIGKILL and a native abort() in a real GUI subprocess: the text survives, saved files are never mixed."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest
from gui_process import GuiProcess, restore_text

from slm_desktop.recovery import RecoveryStore, Snapshot

WORDS = re.compile(r"^(w(\d+) )*$")


def _snapshots(env) -> list[Snapshot]:
    """What a fresh start would offer: every snapshot the GUI subprocesses left, newest first."""
    return RecoveryStore(Path(env["SLM_DESKTOP_DATA_DIR"]) / "recovery").pending()


def _snapshot_files(recovery_dir: Path) -> int:
    """Snapshot files on disk, a live session's too (pending() leaves out those a running window holds)."""
    return len(list(recovery_dir.glob("unsaved-*.json")))


def _typed_prefix(text: str) -> int:
    """How many words of the stream "w0 w1 w2 ..." the text holds; fails on anything else."""
    assert WORDS.match(text), f"recovered text is not a clean prefix of what was typed: {text[-80:]!r}"
    words = text.split()
    assert words == [f"w{i}" for i in range(len(words))]
    return len(words)


def _typed(line: str) -> int:
    return int(line.split()[1]) if line.startswith("typed ") else -1


@pytest.mark.parametrize("kill_after_words", [40, 140])
def test_sigkill_mid_typing_then_restart_restores_the_text(gui_env, kill_after_words):
    gui = GuiProcess("type", gui_env)
    try:
        recovery_dir = Path(gui_env["SLM_DESKTOP_DATA_DIR"]) / "recovery"
        gui.wait_for(lambda s: _typed(s) >= kill_after_words and _snapshot_files(recovery_dir))
        typed_before_kill = _typed(gui.wait_for(lambda s: s.startswith("typed ")))
        gui.kill()
    finally:
        gui.close()
    (snapshot,) = _snapshots(gui_env)
    saved_words = _typed_prefix(snapshot.text)
    assert 0 < saved_words <= typed_before_kill + 1
    restored = restore_text(gui_env)
    assert restored["text"] == snapshot.text
    assert restored["modified"] is True  # still unsaved: the user decides where it goes
    assert [s.text for s in _snapshots(gui_env)] == [snapshot.text], "restoring must not discard it before a save"


def _kill_after_autosave(gui: GuiProcess, recovery_dir: Path, words: int, snapshots: int) -> None:
    """Wait until `words` words are typed and `snapshots` snapshot files exist, then SIGKILL."""
    try:
        gui.wait_for(lambda s: _typed(s) >= words and _snapshot_files(recovery_dir) >= snapshots)
        gui.kill()
    finally:
        gui.close()


def test_keep_for_later_then_a_second_crash_leaves_both_texts_recoverable(gui_env):
    """crash, restart, Keep for later, type, crash: the next start lists both texts and restores each."""
    recovery_dir = Path(gui_env["SLM_DESKTOP_DATA_DIR"]) / "recovery"
    _kill_after_autosave(GuiProcess("type", gui_env), recovery_dir, 30, 1)
    (first,) = RecoveryStore(recovery_dir).pending()
    keeper = GuiProcess("keep", gui_env)
    keeper.wait_for(lambda s: s == "listed 1")
    _kill_after_autosave(keeper, recovery_dir, 30, 2)
    kept = RecoveryStore(recovery_dir).pending()
    assert len(kept) == 2, [s.file.name for s in kept]
    assert first.text in [s.text for s in kept], "Keep for later lost the first session's text"
    second = next(s for s in kept if s.text != first.text)
    assert _typed_prefix(first.text) > 0 and re.fullmatch(r"(k\d+ )+", second.text)
    restored = [restore_text(gui_env, row) for row in (0, 1)]
    assert sorted(restored[0]["listed"]) == sorted([first.text, second.text])
    assert sorted(r["text"] for r in restored) == sorted([first.text, second.text])
    assert all(r["modified"] for r in restored)


def test_native_abort_in_a_worker_job_loses_no_autosaved_text(gui_env):
    gui = GuiProcess("crash", gui_env)
    try:
        gui.wait_for(lambda s: s == "aborting")
        assert gui.wait() == -signal.SIGABRT
    finally:
        gui.close()
    crash_log = (Path(gui_env["SLM_DESKTOP_DATA_DIR"]) / "crash.log").read_text()
    assert "Fatal Python error: Aborted" in crash_log and "abort_job" in crash_log  # which call died
    (snapshot,) = _snapshots(gui_env)
    words = _typed_prefix(snapshot.text)
    assert words > 0
    assert restore_text(gui_env)["text"] == snapshot.text


def _saved_versions(tmp_path: Path) -> tuple[Path, str]:
    from gui_driver import version_text

    target = tmp_path / "notes.txt"
    original = version_text(0)
    target.write_text(original, encoding="utf-8")
    return target, original


STALLED_SAVE = 3  # saves 1 and 2 complete: the file on disk is version 2 when save 3 begins


@pytest.mark.parametrize(
    ("phase", "survivor"),
    [("fsync", STALLED_SAVE - 1), ("replace", STALLED_SAVE - 1), ("replaced", STALLED_SAVE)],
    ids=["temp-written-not-synced", "synced-not-renamed", "renamed-folder-not-synced"],
)
def test_sigkill_inside_a_save_leaves_the_old_or_the_new_file_never_a_mix(gui_env, tmp_path, phase, survivor):
    """The child's save stops at a known point inside slm_desktop.atomic (a test hook in gui_driver.py); this
    process sees the temp file on disk at that moment, then SIGKILLs, so the kill provably lands mid-save."""
    from gui_driver import version_text

    target, _original = _saved_versions(tmp_path)
    gui = GuiProcess("save", {**gui_env, "SLM_TEST_STALL": f"{phase}:{STALLED_SAVE}"}, str(target))
    try:
        line = gui.wait_for(lambda s: s.startswith("stalled "))
        temp = Path(line.split(" ", 2)[2])
        temp_at_kill = temp.read_bytes() if temp.exists() else None
        target_at_kill = target.read_bytes()
        gui.kill()
    finally:
        gui.close()
    new = version_text(STALLED_SAVE).encode("utf-8")
    if phase == "replaced":
        assert temp_at_kill is None, "the temp file is gone once renamed"
    else:
        assert temp.parent == target.parent and temp.name.startswith(".notes.txt.")
        assert temp_at_kill == new, "the kill came while the whole new version sat in the temp file"
        assert temp.exists(), "a killed save leaves its temp file (the next save cleans up old ones)"
    assert target_at_kill == target.read_bytes() == version_text(survivor).encode("utf-8")
