"""File → Open Recent in the real window: filled by opening and saving, remembered across sessions."""

from PySide6.QtWidgets import QFileDialog, QMessageBox
from qt_support import dispose

from slm_desktop import app as app_module


def _entries(window) -> list[str]:
    return [action.toolTip() for action in window.recent_files.actions()]


def test_opened_and_saved_files_are_listed_newest_first(window, tmp_path, monkeypatch):
    first, second, saved = tmp_path / "first.txt", tmp_path / "second.txt", tmp_path / "saved.txt"
    first.write_text("one")
    second.write_text("two")
    assert not window.recent_files.menu.isEnabled()  # nothing yet
    assert window.open_path(first) and window.open_path(second)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(saved), ""))
    assert window.save_document_as()
    assert _entries(window) == [str(saved), str(second), str(first)]
    assert window.recent_files.menu.isEnabled()


def test_choosing_an_entry_opens_that_file(window, tmp_path):
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("the first file")
    second.write_text("the second file")
    assert window.open_path(first) and window.open_path(second)
    entry = next(a for a in window.recent_files.actions() if a.toolTip() == str(first))
    entry.trigger()
    assert window.editor.toPlainText() == "the first file" and window.document.path == first


def test_a_file_gone_since_is_removed_from_the_list_with_a_message(window, tmp_path):
    gone = tmp_path / "gone.txt"
    gone.write_text("soon deleted")
    assert window.open_path(gone)
    window.editor.setPlainText("")
    window.editor.document().setModified(False)
    gone.unlink()
    window.recent_files.actions()[0].trigger()
    assert _entries(window) == []
    assert "gone.txt is gone" in window.statusBar().currentMessage()


def test_choosing_an_entry_with_unsaved_text_asks_first_and_cancel_keeps_the_text(qtbot, window, tmp_path, monkeypatch):
    other = tmp_path / "other.txt"
    other.write_text("other text")
    assert window.open_path(other)
    qtbot.keyClicks(window.editor, "unsaved words ")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    window.recent_files.actions()[0].trigger()
    assert window.editor.toPlainText().startswith("unsaved words ")


def test_clear_menu_empties_the_list(window, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("x")
    assert window.open_path(note)
    clear = window.recent_files.menu.actions()[-1]
    assert clear.text() == "&Clear Menu"
    clear.trigger()
    assert _entries(window) == [] and window.services.settings.ui.recent_files == ()


def test_the_list_is_there_in_the_next_session_even_without_a_clean_exit(qtbot, window, app_paths, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("x")
    assert window.open_path(note)
    later = app_module.create_window(app_paths)  # a second start; the first window was never closed
    try:
        assert _entries(later) == [str(note)]
    finally:
        dispose(later)


def test_an_entry_that_is_now_a_pipe_is_refused_in_one_line_and_stays_listed(window, tmp_path, monkeypatch):
    import os

    note = tmp_path / "note.txt"
    note.write_text("x")
    assert window.open_path(note)
    note.unlink()
    os.mkfifo(note)  # opening a pipe would block until someone writes to it
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    window.recent_files.actions()[0].trigger()
    assert warnings == [f"{note} is not a regular file (a device, pipe or socket); not opened"]
    assert _entries(window) == [str(note)] and window.editor.toPlainText() == "x"
