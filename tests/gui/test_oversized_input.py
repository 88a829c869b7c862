"""Oversized and odd input in the real window: a 100k-character paste, a non-UTF-8 file name."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QApplication

from slm_desktop.probe import StallProbe

PASTE_CHARS = 100_000
SANITY_STALL_MS = 10_000  # not a speed check (that is a bench); only "it did not hang"


def _big_text() -> str:
    words = (f"word{i % 997}" for i in range(PASTE_CHARS))
    text = " ".join(words)[: PASTE_CHARS - 1] + "\n"
    assert len(text) == PASTE_CHARS
    return text


def test_a_100k_character_paste_completes_intact_and_autosaves(qtbot, window):
    text = _big_text()
    QApplication.clipboard().setText(text)
    probe = StallProbe(parent=window)
    probe.start()
    window.action("paste").trigger()
    qtbot.waitUntil(lambda: probe.beats >= 5, timeout=20000)  # the event loop turns again after the paste
    worst = probe.stop()
    print(f"100k paste: worst GUI stall {worst:.0f} ms")
    assert window.editor.toPlainText() == text
    assert worst < SANITY_STALL_MS
    window.autosave_now()
    assert window.recovery.read().text == text


def test_a_non_utf8_file_name_opens_edits_saves_and_autosaves(qtbot, window, tmp_path):
    path = tmp_path / os.fsdecode(b"r\xe9sum\xe9-\xff.txt")
    path.write_bytes(b"first\n")
    assert window.open_path(path)
    assert window.windowTitle().startswith("r")  # the title shows the name (undecodable bytes replaced)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(window.editor, "second")
    window.autosave_now()
    assert window.recovery.read().path == str(path)
    assert window.save_document()
    assert path.read_bytes() == b"first\nsecond"
    assert window.recovery.read() is None
