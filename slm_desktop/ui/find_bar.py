"""Find and replace in the editor, as a bar under it (as in Firefox, Kate and VS Code).

A bar rather than a dialog: the text stays in view and editable while searching, and Esc hands the
keyboard straight back to the editor. Replace All is one undo step, so a wrong replacement never costs
the user's text.
"""

from __future__ import annotations

import bisect

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QKeyEvent, QTextCursor, QTextDocument, QTextFormat
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QToolButton,
    QWidget,
)

MAX_COUNTED = 10_000  # matches counted for "3 of 12"; past this the label says "10000+"
MAX_HIGHLIGHTED = 2_000  # extra selections cost paint time on every scroll
RECOUNT_MS = 200  # after an edit, while the bar is open
HIGHLIGHT = QColor(255, 200, 0, 90)  # translucent amber: readable on the light and the dark theme


class FindBar(QWidget):
    """Find (Ctrl+F) and replace (Ctrl+H) in one editor; F3 / Shift+F3 step through the matches."""

    closed = Signal()

    def __init__(self, editor: QPlainTextEdit, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = editor
        self.setObjectName("findBar")
        self._build()
        self._recount = QTimer(self)
        self._recount.setSingleShot(True)
        self._recount.setInterval(RECOUNT_MS)
        self._recount.timeout.connect(self._refresh)
        editor.textChanged.connect(self._on_text_changed)
        self.hide()

    def _build(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 4, 0, 4)
        self.find_edit = self._line("Find", "Text to find")
        self.replace_edit = self._line("Replace with", "Replacement text")
        self.previous_button = self._button("&Previous", self.find_previous, "Previous match (Shift+F3)")
        self.next_button = self._button("&Next", self.find_next, "Next match (F3 or Enter)")
        self.case_box = QCheckBox("Match &case", self)
        self.words_box = QCheckBox("&Whole words", self)
        self.count_label = QLabel("", self)
        self.count_label.setObjectName("findCount")
        self.count_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("10000+ matches, wrapped"))
        close = QToolButton(self)
        close.setText("✕")
        close.setAccessibleName("Close the find bar")
        close.setToolTip("Close (Esc)")
        close.clicked.connect(self.close_bar)
        self.replace_button = self._button("&Replace", self.replace_one, "Replace this match and find the next")
        self.replace_all_button = self._button("Replace &All", self.replace_all, "Replace every match (one undo step)")
        row = [self.find_edit, self.previous_button, self.next_button, self.case_box, self.words_box]
        for column, widget in enumerate([*row, self.count_label, close]):
            grid.addWidget(widget, 0, column)
        grid.addWidget(self.replace_edit, 1, 0)
        grid.addWidget(self.replace_button, 1, 1)
        grid.addWidget(self.replace_all_button, 1, 2)
        grid.setColumnStretch(0, 1)
        self.find_edit.textChanged.connect(self._on_pattern_edited)
        self.case_box.toggled.connect(self._on_pattern_edited)
        self.words_box.toggled.connect(self._on_pattern_edited)
        self.find_edit.installEventFilter(self)
        self.replace_edit.installEventFilter(self)

    def _line(self, placeholder: str, name: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setPlaceholderText(placeholder)
        edit.setAccessibleName(name)
        edit.setClearButtonEnabled(True)
        return edit

    def _button(self, text: str, slot, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(tip)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------ opening and closing

    @Slot()
    def open_find(self) -> None:
        self._open(replacing=False)

    @Slot()
    def open_replace(self) -> None:
        self._open(replacing=True)

    def _open(self, *, replacing: bool) -> None:
        """A one-line selection becomes the text to find, as every editor does."""
        selected = self.editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.find_edit.setText(selected)
        for widget in (self.replace_edit, self.replace_button, self.replace_all_button):
            widget.setVisible(replacing)
        self.show()
        self.find_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_edit.selectAll()
        self._refresh()

    @Slot()
    def close_bar(self) -> None:
        self.hide()
        self.editor.setExtraSelections([])
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)
        self.closed.emit()

    def replacing(self) -> bool:
        return self.isVisible() and self.replace_edit.isVisible()

    # ------------------------------------------------------------ searching

    def pattern(self) -> str:
        return self.find_edit.text()

    def _flags(self, *, backward: bool = False) -> QTextDocument.FindFlag:
        flags = QTextDocument.FindFlag(0)
        if self.case_box.isChecked():
            flags |= QTextDocument.FindFlag.FindCaseSensitively
        if self.words_box.isChecked():
            flags |= QTextDocument.FindFlag.FindWholeWords
        if backward:
            flags |= QTextDocument.FindFlag.FindBackward
        return flags

    def matches(self, limit: int | None = None) -> list[tuple[int, int]]:
        """(start, end) of the first `limit` (default MAX_COUNTED) matches, in document order."""
        limit = MAX_COUNTED if limit is None else limit
        found: list[tuple[int, int]] = []
        if not self.pattern():
            return found
        document, flags, position = self.editor.document(), self._flags(), 0
        while len(found) < limit:
            cursor = document.find(self.pattern(), position, flags)
            if cursor.isNull():
                break
            found.append((cursor.selectionStart(), cursor.selectionEnd()))
            position = max(cursor.selectionEnd(), cursor.selectionStart() + 1)
        return found

    @Slot()
    def find_next(self) -> bool:
        return self._step(backward=False)

    @Slot()
    def find_previous(self) -> bool:
        return self._step(backward=True)

    def _step(self, *, backward: bool) -> bool:
        if not self.isVisible():
            self.open_find()
            return False
        current = self.editor.textCursor()
        start = current.selectionStart() if backward else current.selectionEnd()
        return self._select_from(start, backward=backward)

    def _select_from(self, position: int, *, backward: bool) -> bool:
        """Select the match after (or before) `position`, wrapping around the document's end once."""
        if not self.pattern():
            self._refresh()
            return False
        document, flags = self.editor.document(), self._flags(backward=backward)
        found = document.find(self.pattern(), position, flags)
        wrapped = found.isNull()
        if wrapped:
            found = document.find(self.pattern(), document.characterCount() - 1 if backward else 0, flags)
        if not found.isNull():
            self.editor.setTextCursor(found)
        self._refresh(wrapped=wrapped and not found.isNull())
        return not found.isNull()

    @Slot()
    def _on_pattern_edited(self) -> None:
        """Search as you type, from where the current match starts, so a longer word keeps its place."""
        self._select_from(self.editor.textCursor().selectionStart(), backward=False)

    @Slot()
    def _on_text_changed(self) -> None:
        if self.isVisible():
            self._recount.start()

    # ------------------------------------------------------------ replacing

    def _selection_is_match(self) -> bool:
        cursor = self.editor.textCursor()
        if not cursor.hasSelection() or not self.pattern():
            return False
        again = self.editor.document().find(self.pattern(), cursor.selectionStart(), self._flags())
        return again.selectionStart() == cursor.selectionStart() and again.selectionEnd() == cursor.selectionEnd()

    @Slot()
    def replace_one(self) -> None:
        """Replace the selected match (if the selection is one) and move on to the next."""
        if self._selection_is_match():
            cursor = self.editor.textCursor()
            cursor.insertText(self.replace_edit.text())
            self.editor.setTextCursor(cursor)
        self.find_next()

    @Slot()
    def replace_all(self) -> int:
        """Every match at once, as a single undo step; the text put in is never searched again."""
        if not self.pattern():
            return 0
        document, flags, text = self.editor.document(), self._flags(), self.replace_edit.text()
        edit = QTextCursor(document)
        edit.beginEditBlock()
        count, position = 0, 0
        while True:
            found = document.find(self.pattern(), position, flags)
            if found.isNull():
                break
            edit.setPosition(found.selectionStart())
            edit.setPosition(found.selectionEnd(), QTextCursor.MoveMode.KeepAnchor)
            edit.insertText(text)
            position, count = edit.position(), count + 1
        edit.endEditBlock()
        self._refresh()
        self.count_label.setText(f"replaced {count}" if count else "no matches")
        return count

    # ------------------------------------------------------------ count and highlights

    @Slot()
    def _refresh(self, wrapped: bool = False) -> None:
        found = self.matches()
        self._highlight(found[:MAX_HIGHLIGHTED])
        self.count_label.setText(self._count_text(found, wrapped))
        missing = bool(self.pattern()) and not found
        self.find_edit.setStyleSheet("QLineEdit { background: rgba(220, 60, 60, 60); }" if missing else "")
        for button in (self.previous_button, self.next_button, self.replace_button, self.replace_all_button):
            button.setEnabled(bool(found))

    def _count_text(self, found: list[tuple[int, int]], wrapped: bool) -> str:
        if not self.pattern():
            return ""
        if not found:
            return "no matches"
        total = f"{len(found)}+" if len(found) >= MAX_COUNTED else str(len(found))
        cursor = self.editor.textCursor()
        index = bisect.bisect_left(found, (cursor.selectionStart(), cursor.selectionEnd()))
        here = index < len(found) and found[index] == (cursor.selectionStart(), cursor.selectionEnd())
        text = f"{index + 1} of {total}" if here else f"{total} matches"
        return f"{text}, wrapped" if wrapped else text

    def _highlight(self, found: list[tuple[int, int]]) -> None:
        selections = []
        for start, end in found:
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(self.editor.document())
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selection.format.setBackground(HIGHLIGHT)
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, False)
            selections.append(selection)
        self.editor.setExtraSelections(selections)

    # ------------------------------------------------------------ keys inside the bar

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc from a button or a check box (the line edits pass it up to here too)."""
        if event.key() == Qt.Key.Key_Escape:
            self.close_bar()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter finds the next match (Shift+Enter the previous; in the replace field, replaces)."""
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return False
        if watched is self.replace_edit:
            self.replace_one()
        elif event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.find_previous()
        else:
            self.find_next()
        return True
