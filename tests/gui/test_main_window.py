"""The real window: documents, shortcuts, zoom, settings recovery, accessible names."""

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QWidget
from qt_support import dispose

from slm_desktop import app as app_module


def test_typing_marks_dirty_and_save_as_writes(qtbot, window, tmp_path, monkeypatch):
    qtbot.keyClicks(window.editor, "hello world")
    assert window.isWindowModified()
    target = tmp_path / "note.txt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    qtbot.keyClick(window.editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert target.read_text() == "hello world"
    assert not window.isWindowModified()


def test_open_keeps_crlf_on_save(qtbot, window, tmp_path):
    path = tmp_path / "dos.txt"
    path.write_bytes(b"a\r\nb\r\n")
    assert window.open_path(path)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(window.editor, "c")
    assert window.save_document()
    assert path.read_bytes() == b"a\r\nb\r\nc"


def test_binary_file_is_refused_with_message(window, tmp_path, monkeypatch):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00\x01\x02binary")
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    window.editor.setPlainText("keep me")
    assert not window.open_path(path)
    assert window.editor.toPlainText() == "keep me"
    assert "binary" in warnings[0]


def test_unwritable_path_keeps_document_dirty(qtbot, window, tmp_path, monkeypatch):
    qtbot.keyClicks(window.editor, "precious")
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: None)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "no" / "x.txt"), ""))
    assert not window.save_document_as()
    assert window.editor.toPlainText() == "precious" and window.isWindowModified()


def test_close_with_unsaved_changes_can_be_cancelled(qtbot, window, monkeypatch):
    qtbot.keyClicks(window.editor, "draft")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert window.isVisible() and window.editor.toPlainText() == "draft"


def test_new_document_asks_then_discards(qtbot, window, monkeypatch):
    qtbot.keyClicks(window.editor, "draft")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    qtbot.keyClick(window.editor, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.toPlainText() == ""


def test_zoom_shortcuts_change_font_and_are_remembered(qtbot, window):
    before = window.editor.font().pointSize()
    window.action("zoom_in").trigger()
    window.action("zoom_in").trigger()
    assert window.editor.font().pointSize() == before + 2
    assert window.services.settings.ui.font_size == before + 2
    window.action("zoom_out").trigger()
    assert window.editor.font().pointSize() == before + 1


def test_every_widget_has_an_accessible_name(window):
    interactive = [
        w
        for w in window.findChildren(QWidget)
        if w.focusPolicy() != Qt.FocusPolicy.NoFocus and w.isVisible() and w.metaObject().className() != "QWidget"
    ]
    unnamed = [w.metaObject().className() for w in interactive if not w.accessibleName()]
    assert interactive and not unnamed


def test_autosave_writes_recovery_file_and_restore_brings_text_back(qtbot, window, app_paths):
    qtbot.keyClicks(window.editor, "unsaved words")
    window.autosave_now()
    snapshot = window.recovery.read()
    assert snapshot.text == "unsaved words"
    window.editor.document().setModified(False)
    window.editor.setPlainText("")
    window.restore_snapshot(snapshot)
    assert window.editor.toPlainText() == "unsaved words" and window.isWindowModified()


def test_corrupt_settings_shown_and_defaults_used(qtbot, app_paths):
    app_paths.config_dir.mkdir(parents=True)
    app_paths.settings_file.write_text("this is = = not toml")
    win = app_module.create_window(app_paths)
    assert "could not be read" in win.statusBar().currentMessage()
    assert list(Path(app_paths.config_dir).glob("settings.toml.corrupt-*"))
    dispose(win)


def test_settings_persist_on_close(qtbot, window, app_paths):
    window.action("zoom_in").trigger()
    size = window.editor.font().pointSize()
    assert window.close()
    assert f"font_size = {size}" in app_paths.settings_file.read_text()


def test_dark_scheme_gives_a_dark_palette_and_light_restores(qapp):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPalette

    from slm_desktop.ui.theme import ThemeFollower

    before = qapp.palette()
    try:
        ThemeFollower(qapp, Qt.ColorScheme.Dark)
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 60
        ThemeFollower(qapp, Qt.ColorScheme.Light)
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 180
    finally:
        qapp.setPalette(before)


def test_settings_dialog_round_trip_applies_at_once(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QKeySequenceEdit

    from slm_desktop.ui.settings_dialog import SettingsDialog

    def accept_with_changes(dialog):
        dialog._editors[("completion", "enabled")].setChecked(False)
        dialog._editors[("speech", "push_to_talk_key")].setKeySequence("F8")
        dialog._editors[("speech", "mode")].setCurrentText("command")
        assert isinstance(dialog._editors[("speech", "input_device")], QComboBox)
        assert isinstance(dialog._editors[("completion", "enabled")], QCheckBox)
        assert isinstance(dialog._editors[("speech", "push_to_talk_key")], QKeySequenceEdit)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", accept_with_changes)
    window.action("settings").trigger()
    assert window.services.settings.completion.enabled is False
    assert not window.action("suggestions").isChecked()
    assert window.ptt_key.key == Qt.Key.Key_F8
    assert window.speech.mode == "command"
    assert 'push_to_talk_key = "F8"' in window.services.paths.settings_file.read_text()


def test_first_run_welcomes_once_and_measures_this_machine(qtbot, window, app_paths):
    assert not app_paths.settings_file.exists()
    window.first_run()
    assert app_paths.settings_file.exists()  # a killed first session does not show the welcome again
    from slm_desktop.ui.models_dialog import ModelsDialog

    [dialog] = window.findChildren(ModelsDialog)
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Measured"), timeout=60_000)
    dialog.close()


def test_loaded_models_are_short_in_the_status_bar_and_whole_in_the_tooltip(window):
    window.status._on_engine_loaded("completion", "/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    window.status._on_engine_loaded("translation", "apertium")
    window.status._on_engine_loaded("intent", "/models/intent-minilm-int8-with-a-very-long-folder-name")
    assert (
        window.status.models_label.text()
        == "models: SmolLM2-135M-Instruct.Q4_1 · intent-minilm-int8-with-a-v… · apertium"
    )
    assert "completion: SmolLM2-135M-Instruct.Q4_1.gguf" in window.status.models_label.toolTip()


def test_every_model_a_lane_holds_is_shown_and_the_word_list_is_not_a_model(window):
    status = window.status
    status._on_engine_loaded("completion", "/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    status._on_engine_loaded("completion", "lexicon")  # the word list loads after the model, on its lane
    status._on_engine_loaded("translation", "/models/ct2-en-es")  # a pivot: two steps on one lane
    status._on_engine_loaded("translation", "/models/ct2-es-ca")
    assert status.models_label.text() == "models: SmolLM2-135M-Instruct.Q4_1 · ct2-en-es · ct2-es-ca"
    status._on_engine_closed("translation", "/models/ct2-en-es")
    status._on_engine_closed("completion", "lexicon")
    assert status.models_label.text() == "models: SmolLM2-135M-Instruct.Q4_1 · ct2-es-ca"
    status._on_engine_closed("completion", "/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    status._on_engine_closed("translation", "/models/ct2-es-ca")
    assert status.models_label.text() == "models: none loaded"


def test_dictation_capitalises_sentence_starts_and_is_one_undo_step(qtbot, window):
    window.editor.setPlainText("Dear team,")
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    window._on_dictated("i would like to share the notes")
    window.editor.insertPlainText(".")
    window._on_dictated("they are attached")
    assert window.editor.toPlainText() == "Dear team, I would like to share the notes. They are attached"
    window.editor.undo()
    assert window.editor.toPlainText() == "Dear team, I would like to share the notes."


def _answer_recovery_prompt(answer) -> list[list[str]]:
    """Call `answer(prompt)` once the modal recovery prompt is up; returns what it listed each time."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from slm_desktop.ui.recovery_prompt import RecoveryPrompt

    listed: list[list[str]] = []

    def poll():
        prompt = QApplication.activeModalWidget()
        if not isinstance(prompt, RecoveryPrompt):
            QTimer.singleShot(10, poll)
            return
        listed.append([prompt.list.item(i).text() for i in range(prompt.list.count())])
        answer(prompt)

    QTimer.singleShot(0, poll)
    return listed


def test_recovery_prompt_lists_every_session_and_discards_only_the_chosen_one(qtbot, app_paths):
    from slm_desktop.recovery import RecoveryStore

    RecoveryStore(app_paths.recovery_dir).write("older text", None)
    RecoveryStore(app_paths.recovery_dir).write("newer text", app_paths.data_dir / "letter.txt")
    win = app_module.create_window(app_paths)

    def discard_older_restore_newer(prompt):
        prompt.list.setCurrentRow(1)
        assert prompt.preview.toPlainText() == "older text"
        prompt.discard_button.click()
        assert prompt.list.count() == 1
        prompt.restore_button.click()

    listed = _answer_recovery_prompt(discard_older_restore_newer)
    win.offer_recovery()
    assert len(listed[0]) == 2 and "letter.txt" in listed[0][0] and "Untitled" in listed[0][1]
    assert win.editor.toPlainText() == "newer text" and win.isWindowModified()
    assert win.recovery.read().text == "newer text"  # kept (now this session's) until saved
    assert list(app_paths.recovery_dir.glob("*.json")) == [win.recovery.file]  # the older one is gone
    dispose(win)


def test_keep_for_later_survives_this_sessions_autosaves_and_clean_close(qtbot, app_paths, monkeypatch):
    from slm_desktop.recovery import RecoveryStore

    RecoveryStore(app_paths.recovery_dir).write("from the crash", None)
    win = app_module.create_window(app_paths)
    win.show()
    _answer_recovery_prompt(
        lambda prompt: next(b for b in prompt.findChildren(QPushButton) if b.text() == "Keep for later").click()
    )
    win.offer_recovery()
    assert win.editor.toPlainText() == ""
    qtbot.keyClicks(win.editor, "new session")
    win.autosave_now()
    assert win.recovery.read().text == "new session"
    assert [s.text for s in RecoveryStore(app_paths.recovery_dir).pending()] == ["from the crash"]  # (own: live)
    assert len(list(app_paths.recovery_dir.glob("*.json"))) == 2
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    assert win.close()
    assert [s.text for s in RecoveryStore(app_paths.recovery_dir).pending()] == ["from the crash"]
    dispose(win)


def test_a_windows_1252_file_opens_as_windows_1252_after_consent(qtbot, window, tmp_path, monkeypatch):
    path = tmp_path / "old.txt"
    path.write_bytes(b"\x93quoted\x94 \x80 5\x81\n")
    questions = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a, **k: questions.append(a[2]) or QMessageBox.StandardButton.Yes
    )
    assert window.open_path(path)
    assert "Windows-1252" in questions[0]
    assert window.editor.toPlainText() == "\u201cquoted\u201d \u20ac 5\x81\n"
    assert "1 bytes with no Windows-1252 character" in window.statusBar().currentMessage()
    assert window.save_document()
    assert path.read_bytes() == b"\x93quoted\x94 \x80 5\x81\n"


def test_a_file_from_the_command_line_never_silently_replaces_restored_text(qtbot, window, app_paths, monkeypatch):
    """After a crash the user restores a snapshot and the app was started with a FILE: FILE waits for the
    user's answer about the restored text (Cancel keeps it and its recovery file), it never replaces it."""
    from slm_desktop.recovery import RecoveryStore

    RecoveryStore(app_paths.recovery_dir).write("restored after the crash", None)
    (snapshot,) = window.recovery.pending()
    window.restore_snapshot(snapshot)
    other = app_paths.data_dir / "other.txt"
    other.write_text("the file from Open With", encoding="utf-8")
    answers = iter([QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: next(answers))
    assert not app_module.open_argument(window, other)
    assert window.editor.toPlainText() == "restored after the crash"
    assert snapshot.file.exists()
    assert app_module.open_argument(window, other)  # the user chose Discard this time
    assert window.editor.toPlainText() == "the file from Open With"


def _mnemonic(text: str) -> str:
    """The letter after a single '&' ('' when the entry has none; '&&' is a literal ampersand)."""
    cleaned = text.replace("&&", "")
    at = cleaned.find("&")
    return cleaned[at + 1].lower() if 0 <= at < len(cleaned) - 1 else ""


def _clashes(menu) -> list[str]:
    seen: dict[str, str] = {}
    clashes = []
    for action in menu.actions():
        letter = _mnemonic(action.text())
        if letter and letter in seen:
            clashes.append(f"{menu.title()}: {seen[letter]!r} and {action.text()!r}")
        seen.setdefault(letter, action.text())
        if action.menu() is not None:
            clashes += _clashes(action.menu())
    return clashes


def test_no_two_entries_of_a_menu_share_an_alt_key(window):
    menus = [action.menu() for action in window.menuBar().actions()]
    assert len(menus) >= 5
    assert _mnemonic("Cu&t") == "t" and _mnemonic("Tom && Jerry") == ""
    assert [clash for menu in menus for clash in _clashes(menu)] == []
    bar_letters = [_mnemonic(action.text()) for action in window.menuBar().actions()]
    assert len(set(bar_letters)) == len(bar_letters)
