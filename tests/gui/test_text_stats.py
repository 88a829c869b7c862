"""The word count and cursor position above the editor, in the real window."""

from PySide6.QtGui import QTextCursor

from slm_desktop.ui.text_stats import count_words


def test_words_joined_by_apostrophes_and_hyphens_count_once():
    assert count_words("I don't read e-mail on Sundays, it’s 2026.") == 8
    assert count_words("") == 0 and count_words("  \n\t— … !") == 0
    assert count_words("Grüße aus Köln") == 3


def test_the_count_follows_typing_once_it_pauses(qtbot, window):
    qtbot.keyClicks(window.editor, "Thank you for the notes")
    qtbot.waitUntil(lambda: window.text_stats.text().startswith("5 words"))
    assert window.text_stats.text() == "5 words  ·  Ln 1, Col 24"


def test_one_word_is_singular_and_the_position_counts_lines(qtbot, window):
    window.editor.setPlainText("Hello\nagain and again")
    window.text_stats.recount()
    cursor = window.editor.textCursor()
    cursor.setPosition(len("Hello\nagain"))
    window.editor.setTextCursor(cursor)
    assert window.text_stats.text() == "4 words  ·  Ln 2, Col 6"
    window.editor.setPlainText("Hello")
    window.text_stats.recount()
    assert window.text_stats.text().startswith("1 word  ·")


def test_a_selection_is_counted_against_the_whole(qtbot, window):
    window.editor.setPlainText("one two three\nfour five")
    window.text_stats.recount()
    cursor = window.editor.textCursor()
    cursor.setPosition(4)
    cursor.setPosition(18, QTextCursor.MoveMode.KeepAnchor)  # "two three\nfour"
    window.editor.setTextCursor(cursor)
    assert window.text_stats.text().startswith("3 of 5 words")
    assert window.text_stats.toolTip() == "23 characters, 14 selected"


def test_a_long_document_is_counted_in_steps_between_events_and_edits_restart_the_count(qtbot, window):
    paragraph = "The garden needs water and the fence needs paint.\n"  # 9 words
    window.editor.setPlainText(paragraph * 6000)  # 306,000 characters: several steps
    window.text_stats.recount()
    assert window.text_stats.counting()  # only the first step ran
    qtbot.waitUntil(lambda: not window.text_stats.counting())
    assert window.text_stats.text().startswith("54,000 words")
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    window.editor.insertPlainText("Two more")
    qtbot.waitUntil(lambda: window.text_stats.text().startswith("54,002 words"))


def test_a_selection_too_long_to_count_on_every_change_gives_its_size_instead(qtbot, window):
    window.editor.setPlainText("word " * 20_000)  # 100,000 characters
    window.text_stats.recount()
    qtbot.waitUntil(lambda: not window.text_stats.counting())
    window.editor.selectAll()
    assert window.text_stats.text().startswith("100,000 characters selected of 20,000 words")
