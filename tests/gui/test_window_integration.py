"""The capabilities together in the real window: ghost text from the real model, translation
through Apertium, and voice commands that drive both."""

import shutil

import pytest
from PySide6.QtCore import QObject, Qt, Slot
from qt_support import WorkerEvents

from slm_desktop import app as app_module


def test_typing_shows_ghost_text_and_tab_accepts(qtbot, window):
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "The meeting is scheduled for next")
    qtbot.waitUntil(lambda: bool(window.editor.ghost().strip()), timeout=30_000)
    ghost = window.editor.ghost()
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "The meeting is scheduled for next" + ghost
    window.editor.undo()
    assert window.editor.toPlainText() == "The meeting is scheduled for next"


def test_typing_clears_word_chips_so_alt_number_never_inserts_a_word_for_older_text(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # Alt+1/2/3 are window shortcuts
    window.editor.setFocus()
    qtbot.keyClicks(window.editor, "The meeting has been moved to next")
    qtbot.waitUntil(lambda: len(window.chips.words()) == 3, timeout=30_000)
    qtbot.keyClicks(window.editor, " Friday")  # the chips on screen were computed for "... next"
    assert window.chips.words() == []
    qtbot.keyClick(window.editor, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert window.editor.toPlainText() == "The meeting has been moved to next Friday"
    qtbot.waitUntil(lambda: len(window.chips.words()) == 3, timeout=30_000)  # refilled for the new text
    qtbot.keyClick(window.editor, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert window.editor.toPlainText().startswith("The meeting has been moved to next Friday ")


def test_suggestions_toggle_is_remembered(qtbot, window, app_paths):
    window.action("suggestions").trigger()
    assert window.services.settings.completion.enabled is False
    window.close()
    assert "enabled = false" in app_paths.settings_file.read_text()


@pytest.mark.skipif(not shutil.which("apertium"), reason="needs the Debian package apertium-eng-spa")
def test_translate_command_sends_selection_to_panel(qtbot, window):
    window.editor.setPlainText("Hello world, how are you today?")
    window.action("command").trigger()
    qtbot.keyClicks(window.command_bar.input, "translate this into spanish")
    qtbot.keyClick(window.command_bar.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Hola" in window.translation_panel.translation(), timeout=30_000)
    assert window.translation_panel.target_language == "es"


@pytest.mark.skipif(not shutil.which("apertium"), reason="needs the Debian package apertium-eng-cat")
def test_set_target_language_by_command(qtbot, window):
    window.translation_panel.translate_text("Good morning", "es")
    window.action("command").trigger()
    qtbot.keyClicks(window.command_bar.input, "set the target language to catalan")
    qtbot.keyClick(window.command_bar.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.translation_panel.target_language == "ca", timeout=15_000)
    qtbot.waitUntil(lambda: bool(window.translation_panel.translation().strip()), timeout=30_000)


def test_insert_translation_into_editor_is_one_undo_step(qtbot, window):
    window.editor.setPlainText("Start: ")
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    window.translation_panel.insertRequested.emit("Hola")
    assert window.editor.toPlainText() == "Start: Hola"
    window.editor.undo()
    assert window.editor.toPlainText() == "Start: "


class PauseAtJobStart(QObject):
    """Whether suggestions were paused as each kind of job started (a bound slot: the worker emits on lanes)."""

    def __init__(self, window):
        super().__init__()
        self.window = window
        self.by_kind: dict[str, bool] = {}
        window.services.worker.started.connect(self.on_started)

    @Slot(int, str)
    def on_started(self, _job_id: int, kind: str) -> None:
        self.by_kind[kind] = self.window._suggestions_paused


@pytest.mark.skipif(not shutil.which("apertium"), reason="needs the Debian package apertium-eng-spa")
def test_low_power_pauses_suggestions_while_translating(qtbot, app_paths):
    from qt_support import dispose

    app_paths.config_dir.mkdir(parents=True)
    app_paths.settings_file.write_text('[ui]\nlow_power = "on"\n')
    win = app_module.create_window(app_paths)
    try:
        assert win.services.power.low_power and "on (settings)" in win.services.power.reason
        events = WorkerEvents(qtbot, win.services.worker)
        paused = PauseAtJobStart(win)  # connected after the window's own slot: sees the state it set
        win.translation_panel.translate_text("Hello world, how are you today?", "es")
        qtbot.waitUntil(lambda: "Hola" in win.translation_panel.translation(), timeout=30_000)
        qtbot.waitUntil(lambda: not win._suggestions_paused, timeout=10_000)
        assert paused.by_kind.get("translate") is True, paused.by_kind
        assert not events.args("failed")
        assert win.services.settings.completion.enabled  # the user's setting is untouched
    finally:
        dispose(win)


def test_loaded_model_is_protected_in_the_models_dialog(qtbot, app_paths):
    """A removable copy of the default model (in the user's models folder, hiding the shipped one) is loaded
    by typing; then Remove in the real Models dialog refuses it and the file stays."""
    from qt_support import dispose

    from tests.conftest import DEFAULT_GGUF

    installed = app_paths.user_models_dir / DEFAULT_GGUF.name
    installed.parent.mkdir(parents=True)
    installed.symlink_to(DEFAULT_GGUF)
    win = app_module.create_window(app_paths)
    win.show()
    qtbot.waitExposed(win)
    win.editor.setFocus()
    qtbot.keyClicks(win.editor, "Thank you for the")
    qtbot.waitUntil(lambda: installed in win.loaded_model_paths(), timeout=30_000)
    dialog = win._models_dialog()
    try:
        dialog.show()
        table = dialog.installed_table
        rows = [r for r in range(table.rowCount()) if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == installed.name]
        assert rows, "the loaded model is not listed in the Models dialog"
        table.selectRow(rows[0])
        assert dialog.remove_button.isEnabled()
        dialog.remove_button.click()
        assert "is in use" in dialog.status.text()
        assert installed.is_symlink() and installed.exists()
    finally:
        dialog.close()
        dispose(win)
