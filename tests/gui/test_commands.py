"""Typed commands through the shipped int8 intent model perform their action in the real window."""

from PySide6.QtCore import Qt


def type_command(qtbot, window, text):
    window.action("command").trigger()
    assert window.command_bar.input.hasFocus()
    qtbot.keyClicks(window.command_bar.input, text)
    qtbot.keyClick(window.command_bar.input, Qt.Key.Key_Return)


def test_zoom_in_by_voice_command(qtbot, window):
    before = window.editor.font().pointSize()
    type_command(qtbot, window, "make the text bigger")
    qtbot.waitUntil(lambda: window.editor.font().pointSize() == before + 1, timeout=10_000)
    assert "Zoom in" in window.command_bar.feedback.text()


def test_insert_date_at_cursor(qtbot, window):
    from PySide6.QtCore import QDate, QLocale

    type_command(qtbot, window, "insert today's date")
    expected = QLocale().toString(QDate.currentDate(), QLocale.FormatType.ShortFormat)
    qtbot.waitUntil(lambda: window.editor.toPlainText() == expected, timeout=10_000)


def test_clear_text_asks_then_is_undoable(qtbot, window):
    window.editor.setPlainText("important words")
    type_command(qtbot, window, "clear all the text")
    qtbot.waitUntil(lambda: window.commands.pending is not None, timeout=10_000)
    assert window.editor.toPlainText() == "important words"
    type_command(qtbot, window, "yes")
    qtbot.waitUntil(lambda: window.editor.toPlainText() == "", timeout=5_000)
    window.editor.undo()
    assert window.editor.toPlainText() == "important words"


def test_clear_text_declined_keeps_text(qtbot, window):
    window.editor.setPlainText("keep")
    type_command(qtbot, window, "delete everything")
    qtbot.waitUntil(lambda: window.commands.pending is not None, timeout=10_000)
    type_command(qtbot, window, "no")
    assert window.commands.pending is None and window.editor.toPlainText() == "keep"


def test_out_of_scope_says_sorry_with_alternatives(qtbot, window):
    type_command(qtbot, window, "what's the weather in Paris")
    qtbot.waitUntil(lambda: "didn't catch" in window.command_bar.feedback.text(), timeout=10_000)


def test_select_all_and_dictation_mode(qtbot, window):
    window.editor.setPlainText("abc")
    type_command(qtbot, window, "select everything")
    qtbot.waitUntil(lambda: window.editor.textCursor().selectedText() == "abc", timeout=10_000)
    window.set_voice_mode("command")
    type_command(qtbot, window, "start dictation")
    qtbot.waitUntil(lambda: window.speech.mode == "dictation", timeout=10_000)
