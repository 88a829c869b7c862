"""What a suggestion request carries from the editor: the text around the cursor, exactly as the document
holds it, and no more than an engine reads (a copy of the whole document per keystroke stalled long ones)."""

from PySide6.QtGui import QTextCursor

from slm_desktop.config import RANGES
from slm_desktop.engines import llama, server_completion
from slm_desktop.ui.suggest import CONTEXT_ALIGN, CONTEXT_BEFORE, GhostEditor


def _editor(qtbot, text: str, position: int | None = None) -> GhostEditor:
    editor = GhostEditor()
    qtbot.addWidget(editor)
    editor.setPlainText(text)
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    if position is not None:
        cursor.setPosition(position)
    editor.setTextCursor(cursor)
    return editor


def test_the_context_is_the_documents_plain_text_split_at_the_cursor(qtbot):
    text = "Dear Ana,\n\nThe\u00a0meeting moved.\u2028See you\nthere."
    editor = _editor(qtbot, text, position=len("Dear Ana,\n\nThe meeting"))
    plain = editor.toPlainText()
    assert editor.context() == (plain[: len("Dear Ana,\n\nThe meeting")], plain[len("Dear Ana,\n\nThe meeting") :])
    assert "\u00a0" not in "".join(editor.context()) and "\u2029" not in "".join(editor.context())


def test_an_emoji_before_the_cursor_does_not_move_the_split(qtbot):
    editor = _editor(qtbot, "I love 🍕 pizza tonight")
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.Start)
    cursor.movePosition(QTextCursor.MoveOperation.NextWord, n=4)  # after "pizza "
    editor.setTextCursor(cursor)
    assert editor.context() == ("I love 🍕 pizza ", "tonight")


def test_a_long_document_sends_only_its_recent_text_from_a_start_that_moves_in_steps(qtbot):
    text = "".join(f"Line {i} of a long report about the garden.\n" for i in range(6000))  # about 270k characters
    editor = _editor(qtbot, text)
    before, after = editor.context()
    assert after == "" and text.endswith(before)
    assert CONTEXT_BEFORE <= len(before) < CONTEXT_BEFORE + CONTEXT_ALIGN
    start = len(text) - len(before)
    assert start % CONTEXT_ALIGN == 0
    editor.insertPlainText("And one more")  # typing does not move the start, so the model's cached prompt holds
    assert editor.context()[0] == text[start:] + "And one more"


def test_the_context_covers_what_every_engine_reads_and_keeps_their_trimming_blocks_whole():
    most_tokens = RANGES[("completion", "context_tokens")][1]
    assert most_tokens * 6 <= CONTEXT_BEFORE  # llama's _recent(before, budget * 6)
    assert CONTEXT_BEFORE >= server_completion.CONTEXT_CHARS
    assert CONTEXT_ALIGN % llama._TRIM_CHARS_BLOCK == 0


def test_dictation_reads_the_text_before_the_cursor_the_same_way(qtbot, window):
    window.editor.setPlainText("Pizza 🍕 tonight. see you")
    cursor = window.editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.movePosition(QTextCursor.MoveOperation.Left, n=len("see you"))
    window.editor.setTextCursor(cursor)
    assert window.dictation.before_cursor() == "Pizza 🍕 tonight. "
