"""The word count and cursor position above the editor ("248 words · Ln 12, Col 31"), as writers expect.

Counting is deferred until typing pauses: on a 2 MB document a count takes about 0.1 s, which must not
land on every keystroke. The cursor position is cheap and follows at once.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

# a word: letters or digits, joined through an apostrophe or hyphen ("don't", "e-mail" are one word each)
WORD = re.compile(r"\w+(?:['’-]\w+)*")
COUNT_DELAY_MS = 300


def count_words(text: str) -> int:
    return sum(1 for _ in WORD.finditer(text))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


class TextStats(QLabel):
    """Follows one editor; with a selection it counts the selection too ("12 of 248 words")."""

    def __init__(self, editor: QPlainTextEdit, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        self.setObjectName("textStats")
        self.setAccessibleName("Word count and cursor position")
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # quieter than the text, in either scheme
        self._words = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COUNT_DELAY_MS)
        self._timer.timeout.connect(self.recount)
        editor.textChanged.connect(self._timer.start)
        editor.cursorPositionChanged.connect(self.refresh)
        editor.selectionChanged.connect(self.refresh)
        self.recount()

    @Slot()
    def recount(self) -> None:
        self._words = count_words(self.editor.toPlainText())
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        cursor = self.editor.textCursor()
        selected = cursor.selectedText().replace("\u2029", "\n")  # Qt's paragraph separator
        words = f"{count_words(selected):,} of {_plural(self._words, 'word')}" if selected else None
        where = f"Ln {cursor.blockNumber() + 1:,}, Col {cursor.positionInBlock() + 1:,}"
        self.setText(f"{words or _plural(self._words, 'word')}  ·  {where}")
        characters = self.editor.document().characterCount() - 1  # without the document's final separator
        self.setToolTip(_plural(characters, "character") + (f", {len(selected):,} selected" if selected else ""))
