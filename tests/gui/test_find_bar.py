"""Find and replace in the real window, driven by the keys a user presses (Ctrl+F, Enter, F3, Ctrl+H, Esc)."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from slm_desktop.ui import find_bar as find_bar_module

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
TEXT = "The cat sat. A Cat came back.\nConcatenate the cat's toys, cat."


def _selected(window) -> tuple[int, int]:
    cursor = window.editor.textCursor()
    return cursor.selectionStart(), cursor.selectionEnd()


def _open_find(qtbot, window, pattern: str):
    window.editor.setPlainText(TEXT)
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_F, CTRL)
    bar = window.find_bar
    assert bar.isVisible() and bar.find_edit.hasFocus()
    qtbot.keyClicks(bar.find_edit, pattern)
    return bar


def test_ctrl_f_finds_as_you_type_and_enter_and_f3_step_through_the_matches_with_wrap(qtbot, window):
    bar = _open_find(qtbot, window, "cat")
    starts = [i for i in range(len(TEXT)) if TEXT[i : i + 3].lower() == "cat"]
    assert len(starts) == 5
    assert _selected(window) == (starts[0], starts[0] + 3) and bar.count_label.text() == "1 of 5"
    qtbot.keyClick(bar.find_edit, Qt.Key.Key_Return)
    assert _selected(window) == (starts[1], starts[1] + 3) and bar.count_label.text() == "2 of 5"
    for _ in range(3):
        qtbot.keyClick(bar.find_edit, Qt.Key.Key_F3)
    assert _selected(window)[0] == starts[4] and bar.count_label.text() == "5 of 5"
    qtbot.keyClick(bar.find_edit, Qt.Key.Key_F3)
    assert _selected(window)[0] == starts[0] and bar.count_label.text() == "1 of 5, wrapped"
    qtbot.keyClick(bar.find_edit, Qt.Key.Key_F3, SHIFT)
    assert _selected(window)[0] == starts[4] and bar.count_label.text() == "5 of 5, wrapped"
    qtbot.keyClick(bar.find_edit, Qt.Key.Key_Return, SHIFT)
    assert _selected(window)[0] == starts[3] and bar.count_label.text() == "4 of 5"
    assert len(window.editor.extraSelections()) == 5


def test_match_case_and_whole_words_narrow_the_matches(qtbot, window):
    bar = _open_find(qtbot, window, "cat")
    bar.case_box.setChecked(True)
    assert bar.count_label.text().endswith("of 4")  # "Cat" is left out
    bar.words_box.setChecked(True)
    assert bar.count_label.text().endswith("of 3")  # and "Concatenate"; "cat's" is a whole word
    assert [TEXT[a:b] for a, b in bar.matches()] == ["cat", "cat", "cat"]


def test_esc_closes_the_bar_clears_the_highlights_and_gives_the_editor_the_keyboard(qtbot, window):
    bar = _open_find(qtbot, window, "back")
    assert window.editor.extraSelections()
    qtbot.keyClick(bar.find_edit, Qt.Key.Key_Escape)
    assert not bar.isVisible() and window.editor.hasFocus()
    assert window.editor.extraSelections() == []
    assert window.editor.textCursor().selectedText() == "back"  # the match stays selected, as in other editors


def test_the_selection_is_what_ctrl_f_looks_for(qtbot, window):
    window.editor.setPlainText(TEXT)
    cursor = window.editor.textCursor()
    cursor.setPosition(TEXT.index("came"))
    cursor.setPosition(TEXT.index("came") + 4, QTextCursor.MoveMode.KeepAnchor)
    window.editor.setTextCursor(cursor)
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_F, CTRL)
    assert window.find_bar.pattern() == "came" and window.find_bar.count_label.text() == "1 of 1"


def test_no_match_says_so_and_replace_all_changes_nothing(qtbot, window):
    window.editor.setPlainText(TEXT)
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_H, CTRL)
    bar = window.find_bar
    assert bar.replacing()
    qtbot.keyClicks(bar.find_edit, "dog")
    assert bar.count_label.text() == "no matches"
    assert not bar.next_button.isEnabled() and not bar.replace_all_button.isEnabled()
    assert bar.replace_all() == 0 and window.editor.toPlainText() == TEXT


def test_replace_takes_the_current_match_and_moves_to_the_next(qtbot, window):
    window.editor.setPlainText(TEXT)
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_H, CTRL)
    bar = window.find_bar
    qtbot.keyClicks(bar.find_edit, "cat")
    bar.words_box.setChecked(True)
    qtbot.keyClicks(bar.replace_edit, "dog")
    qtbot.keyClick(bar.replace_edit, Qt.Key.Key_Return)
    assert window.editor.toPlainText().startswith("The dog sat. A Cat came back.")
    assert window.editor.textCursor().selectedText() == "Cat"  # the next whole-word match, selected


def test_replace_all_is_one_undo_step_and_never_searches_its_own_replacement(qtbot, window):
    bar = _open_find(qtbot, window, "cat")
    bar.open_replace()
    bar.replace_edit.setText("cats and cat")  # contains the pattern: a naive loop would never end
    assert bar.replace_all() == 5
    assert bar.count_label.text() == "replaced 5"
    assert window.editor.toPlainText() == TEXT.replace("cat", "cats and cat").replace("Cat", "cats and cat")
    window.editor.undo()
    assert window.editor.toPlainText() == TEXT  # one Ctrl+Z brings every occurrence back
    window.editor.redo()
    assert window.editor.toPlainText().count("cats and cat") == 5


def test_the_count_follows_edits_made_while_the_bar_is_open(qtbot, window):
    bar = _open_find(qtbot, window, "cat")
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    window.editor.insertPlainText(" One more cat.")
    qtbot.waitUntil(lambda: len(bar.matches()) == 6 and len(window.editor.extraSelections()) == 6)
    assert bar.count_label.text() == "6 matches"


def test_a_huge_number_of_matches_is_counted_up_to_a_limit(qtbot, window, monkeypatch):
    monkeypatch.setattr(find_bar_module, "MAX_COUNTED", 50)
    window.editor.setPlainText("a " * 500)
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(window.find_bar.find_edit, "a")
    assert window.find_bar.count_label.text() == "1 of 50+"


def test_f3_with_the_bar_closed_opens_it(qtbot, window):
    window.editor.setPlainText(TEXT)
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_F3)
    assert window.find_bar.isVisible() and window.find_bar.find_edit.hasFocus()
