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


def _wait_until_classified(qtbot, window):
    """The command box shows "…" while the intent lane works on what was typed."""
    qtbot.waitUntil(lambda: window.command_bar.feedback.text() not in ("", "…"), timeout=10_000)


def test_another_command_expires_a_pending_clear_so_a_later_ok_does_nothing(qtbot, window):
    window.editor.setPlainText("important words")
    before = window.editor.font().pointSize()
    type_command(qtbot, window, "clear all the text")
    qtbot.waitUntil(lambda: window.commands.pending is not None, timeout=10_000)
    type_command(qtbot, window, "make the text bigger")
    assert window.commands.pending is None
    assert window.command_bar.feedback.text().startswith("Not done: ")
    qtbot.waitUntil(lambda: window.editor.font().pointSize() == before + 1, timeout=10_000)
    type_command(qtbot, window, "ok")
    _wait_until_classified(qtbot, window)
    assert window.editor.toPlainText() == "important words"


def test_a_pending_clear_expires_after_the_configured_timeout(qtbot, app_paths):
    from qt_support import dispose

    from slm_desktop import app as app_module

    app_paths.config_dir.mkdir(parents=True, exist_ok=True)
    app_paths.settings_file.write_text("[ui]\nconfirm_seconds = 7\n", encoding="utf-8")
    window = app_module.create_window(app_paths)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.editor.setPlainText("important words")
    type_command(qtbot, window, "clear all the text")
    qtbot.waitUntil(lambda: window.commands.pending is not None, timeout=10_000)
    timer = window.commands.confirm_timer
    assert timer.isActive() and timer.interval() == 7000
    timer.start(1)  # drive it: the same timeout path, without waiting 7 s
    qtbot.waitUntil(lambda: window.commands.pending is None, timeout=5_000)
    assert window.command_bar.feedback.text().startswith("Not done: ")
    assert "no answer within 7 s" in window.command_bar.feedback.text()
    type_command(qtbot, window, "yes")
    _wait_until_classified(qtbot, window)
    assert window.editor.toPlainText() == "important words"
    dispose(window)


def test_a_spoken_command_in_the_window_is_weighed_over_the_recognisers_readings(qtbot, window):
    """The voice controller hands the window the whole Transcript: its best reading ("mark hall text") is
    no command, close seconds ("mark all text") are, and the window selects all. (The readings are chosen
    clear of the threshold: int8 probabilities move by a few thousandths between CPUs.)"""
    from slm_desktop.engines.base import Transcript

    window.editor.setPlainText("abc")
    readings = (("mark hall text", -0.80), ("mark all text", -0.82), ("mark all text.", -0.90))
    window.speech.commanded.emit(Transcript("mark hall text", engine="whisper", hypotheses=readings))
    qtbot.waitUntil(lambda: window.editor.textCursor().selectedText() == "abc", timeout=10_000)
    assert "Select all" in window.command_bar.feedback.text()


def test_the_best_reading_alone_of_that_command_is_not_understood(qtbot, window):
    from slm_desktop.engines.base import Transcript

    window.editor.setPlainText("abc")
    window.speech.commanded.emit(Transcript("mark hall text", engine="whisper"))
    qtbot.waitUntil(lambda: "didn't catch" in window.command_bar.feedback.text(), timeout=10_000)
    assert window.editor.textCursor().selectedText() == ""
