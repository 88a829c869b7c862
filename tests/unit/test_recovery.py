"""Recovery snapshots: one file per session, kept until restored and saved, or discarded."""

from __future__ import annotations

import json

from slm_desktop.recovery import LEGACY_NAME, RecoveryStore


def test_each_session_writes_its_own_timestamped_file(tmp_path):
    crashed = RecoveryStore(tmp_path, started=1_700_000_000, pid=41)
    crashed.write("first session", None)
    crashed.close()  # the process died: the OS drops its lock
    later = RecoveryStore(tmp_path, started=1_700_000_100, pid=42)
    later.write("second session", None)
    assert crashed.file != later.file
    assert crashed.file.name.startswith("unsaved-2023") and "-41-" in crashed.file.name
    assert [s.text for s in later.pending()] == ["first session"]
    assert crashed.read().text == "first session"


def test_a_clean_exit_of_one_session_keeps_the_others(tmp_path):
    crashed = RecoveryStore(tmp_path)
    crashed.write("left by a crash", None)
    crashed.close()
    current = RecoveryStore(tmp_path)
    current.write("this session", None)
    current.discard()  # saved, or the window closed after the user chose
    assert [s.text for s in RecoveryStore(tmp_path).pending()] == ["left by a crash"]


def test_pending_lists_every_other_session_newest_first(tmp_path):
    for i, when in enumerate([100.0, 300.0, 200.0]):
        store = RecoveryStore(tmp_path, started=when, pid=i)
        store.write(f"text {i}", None)
        data = json.loads(store.file.read_text())
        store.file.write_text(json.dumps({**data, "saved_at": when}))
        store.close()
    assert [s.text for s in RecoveryStore(tmp_path).pending()] == ["text 1", "text 2", "text 0"]


def test_restoring_adopts_the_snapshot_until_this_session_saves(tmp_path):
    RecoveryStore(tmp_path).write("crashed text", None)
    session = RecoveryStore(tmp_path)
    (snapshot,) = session.pending()
    session.adopt(snapshot)
    assert session.file == snapshot.file
    session.write("crashed text, edited", None)
    assert sorted(p.name for p in tmp_path.iterdir()) == [snapshot.file.name, snapshot.file.with_suffix(".lock").name]
    session.discard()
    assert not list(tmp_path.iterdir())


def test_dropping_one_snapshot_keeps_the_rest(tmp_path):
    RecoveryStore(tmp_path).write("keep me", None)
    RecoveryStore(tmp_path).write("drop me", None)
    session = RecoveryStore(tmp_path)
    session.drop(next(s for s in session.pending() if s.text == "drop me"))
    assert [s.text for s in session.pending()] == ["keep me"]


def test_the_single_recovery_file_of_earlier_versions_is_offered_too(tmp_path):
    (tmp_path / LEGACY_NAME).write_text(json.dumps({"text": "old version", "path": None, "saved_at": 1.0}))
    assert [s.text for s in RecoveryStore(tmp_path).pending()] == ["old version"]


def test_unreadable_snapshots_are_skipped_and_kept(tmp_path):
    broken = tmp_path / "unsaved-20260101-000000-1-abcdef.json"
    broken.write_bytes(b"\xff not json")
    assert RecoveryStore(tmp_path).pending() == []
    assert broken.exists()


def test_a_live_session_in_another_window_is_not_offered_until_it_ends(tmp_path):
    """Two windows at once: the running one holds its snapshot's lock, so the other does not list it."""
    running = RecoveryStore(tmp_path)
    running.write("still being typed", None)
    second = RecoveryStore(tmp_path)
    assert second.pending() == []
    running.close()  # it crashed: now its text is offered
    assert [s.text for s in second.pending()] == ["still being typed"]
