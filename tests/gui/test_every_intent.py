"""Every intent, said the way a user would, goes through the shipped int8 model and does its job
in the real window (dialogs are answered by monkeypatching, so nothing blocks)."""

from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox, QPushButton


def say(qtbot, window, text):
    window.action("command").trigger()
    qtbot.keyClicks(window.command_bar.input, text)
    qtbot.keyClick(window.command_bar.input, Qt.Key.Key_Return)


@pytest.fixture
def typed(window):
    window.editor.setPlainText("alpha beta")
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    return window


def _undo_then_redo(qtbot, window, undo: str, redo: str) -> None:
    window.editor.insertPlainText(" gamma")
    say(qtbot, window, undo)
    qtbot.waitUntil(lambda: window.editor.toPlainText() == "alpha beta", timeout=10_000)
    say(qtbot, window, redo)
    qtbot.waitUntil(lambda: window.editor.toPlainText() == "alpha beta gamma", timeout=10_000)


def test_undo_and_redo(qtbot, typed):
    _undo_then_redo(qtbot, typed, "undo that", "redo")


def test_a_keyboard_shortcut_said_as_a_command_does_its_key_s_job(qtbot, typed):
    _undo_then_redo(qtbot, typed, "control z", "Ctrl+Shift+Z")
    say(qtbot, typed, "press control a")
    qtbot.waitUntil(lambda: typed.editor.textCursor().selectedText() == "alpha beta gamma", timeout=10_000)


def test_copy_and_paste(qtbot, typed):
    typed.editor.selectAll()
    say(qtbot, typed, "copy this")
    qtbot.waitUntil(lambda: QApplication.clipboard().text() == "alpha beta", timeout=10_000)
    typed.editor.moveCursor(typed.editor.textCursor().MoveOperation.End)
    say(qtbot, typed, "paste it")
    qtbot.waitUntil(lambda: typed.editor.toPlainText() == "alpha betaalpha beta", timeout=10_000)


def test_zoom_out_and_insert_time(qtbot, typed):
    size = typed.editor.font().pointSize()
    say(qtbot, typed, "make the text smaller")
    qtbot.waitUntil(lambda: typed.editor.font().pointSize() == size - 1, timeout=10_000)
    say(qtbot, typed, "insert the current time")
    qtbot.waitUntil(lambda: typed.editor.toPlainText() != "alpha beta", timeout=10_000)
    assert datetime.now().strftime("%M")[0] in typed.editor.toPlainText()[10:]


def test_save_and_open(qtbot, typed, tmp_path, monkeypatch):
    target = tmp_path / "spoken.txt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    say(qtbot, typed, "save my work")
    qtbot.waitUntil(lambda: target.exists() and target.read_text() == "alpha beta", timeout=10_000)
    other = tmp_path / "other.txt"
    other.write_text("from disk")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(other), ""))
    say(qtbot, typed, "open a file")
    qtbot.waitUntil(lambda: typed.editor.toPlainText() == "from disk", timeout=10_000)


def test_new_document_confirmed_is_undoable(qtbot, typed):
    say(qtbot, typed, "start a new document")
    qtbot.waitUntil(lambda: typed.commands.pending is not None, timeout=10_000)
    say(qtbot, typed, "yes")
    qtbot.waitUntil(lambda: typed.editor.toPlainText() == "", timeout=10_000)
    assert typed.document.path is None
    typed.editor.undo()
    assert typed.editor.toPlainText() == "alpha beta"


def test_help_settings_and_cancel(qtbot, typed, monkeypatch):
    say(qtbot, typed, "what can I say")
    qtbot.waitUntil(lambda: getattr(typed, "_help_box", None) is not None, timeout=10_000)
    assert "Translate" in typed._help_box.text()
    assert "control z" in typed._help_box.text()
    opened = []
    monkeypatch.setattr(QDialog, "exec", lambda self: opened.append(type(self).__name__) or 0)
    say(qtbot, typed, "open the settings")
    qtbot.waitUntil(lambda: opened == ["SettingsDialog"], timeout=10_000)
    say(qtbot, typed, "never mind")
    qtbot.waitUntil(lambda: typed.command_bar.feedback.text().startswith("Cancel"), timeout=10_000)
    assert not typed.speech.active


def test_stop_dictation_switches_to_command_mode(qtbot, typed):
    typed.set_voice_mode("dictation")
    say(qtbot, typed, "stop dictation")
    qtbot.waitUntil(lambda: typed.speech.mode == "command", timeout=10_000)


def test_accept_suggestion_by_command(qtbot, typed):
    typed.editor.set_ghost(" gamma")
    say(qtbot, typed, "accept the suggestion")
    qtbot.waitUntil(lambda: typed.editor.toPlainText() == "alpha beta gamma", timeout=10_000)


def test_low_confidence_alternative_button_performs_it(qtbot, typed, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    say(qtbot, typed, "play some jazz music")
    qtbot.waitUntil(lambda: "didn't catch" in typed.command_bar.feedback.text(), timeout=10_000)
    buttons = [b for b in typed.command_bar.findChildren(QPushButton) if b.accessibleName().startswith("Alternative:")]
    assert buttons, "no alternative was offered"
    performed = []
    typed.commands.understood.connect(lambda command: performed.append(command.intent))  # same thread, synchronous
    chosen = buttons[0]
    intent = chosen.property("intent")
    chosen.click()
    assert performed == [intent], f"clicking {chosen.text()!r} did not perform {intent}"
    assert typed.statusBar().currentMessage().startswith("Done: ")
