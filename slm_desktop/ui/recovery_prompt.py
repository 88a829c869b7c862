"""The start-up prompt that offers every unsaved session's text: restore one, keep them all, or discard one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from slm_desktop.recovery import RecoveryStore, Snapshot

PREVIEW_CHARS = 5000


def describe(snapshot: Snapshot) -> str:
    """One list line: when, how much, and which file (or Untitled) the text belonged to."""
    when = datetime.fromtimestamp(snapshot.saved_at).strftime("%Y-%m-%d %H:%M:%S")
    name = Path(snapshot.path).name if snapshot.path else "Untitled"
    return f"{when} — {name} — {len(snapshot.text)} characters"


class RecoveryPrompt(QDialog):
    """Restore puts the selected text in the editor (the others stay kept); Discard deletes only the
    selected snapshot; Keep for later (or closing the prompt) keeps every snapshot for the next start."""

    def __init__(self, snapshots: list[Snapshot], store: RecoveryStore, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("RecoveryPrompt")
        self.setWindowTitle("Recover unsaved text?")
        self.snapshots = list(snapshots)
        self.store = store
        self.restored: Snapshot | None = None
        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        layout.addWidget(self.summary)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Unsaved texts")
        layout.addWidget(self.list)
        self.preview = QPlainTextEdit(self)
        self.preview.setReadOnly(True)
        self.preview.setAccessibleName("Text of the selected snapshot")
        layout.addWidget(self.preview)
        buttons = QDialogButtonBox(self)
        self.restore_button = self._button(buttons, "Restore", QDialogButtonBox.ButtonRole.AcceptRole, self.restore)
        self.discard_button = self._button(
            buttons, "Discard", QDialogButtonBox.ButtonRole.DestructiveRole, self.discard_selected
        )
        self._button(buttons, "Keep for later", QDialogButtonBox.ButtonRole.RejectRole, self.reject)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(self._show_preview)
        self._fill()

    def _button(self, box: QDialogButtonBox, text: str, role, slot) -> QPushButton:
        button = box.addButton(text, role)
        button.setAccessibleName(text)
        button.clicked.connect(slot)
        return button

    def _fill(self) -> None:
        count = len(self.snapshots)
        found = "Unsaved text was found." if count == 1 else f"Unsaved text from {count} sessions was found."
        self.summary.setText(
            f"{found} Restore puts the selected text in the editor, Discard deletes it; "
            "everything not restored or discarded is kept for the next start."
        )
        self.summary.setWordWrap(True)
        self.list.clear()
        self.list.addItems([describe(s) for s in self.snapshots])
        self.list.setCurrentRow(0)

    def selected(self) -> Snapshot:
        return self.snapshots[max(0, self.list.currentRow())]

    @Slot(int)
    def _show_preview(self, row: int) -> None:
        self.preview.setPlainText(self.snapshots[row].text[:PREVIEW_CHARS] if 0 <= row < len(self.snapshots) else "")

    @Slot()
    def restore(self) -> None:
        self.restored = self.selected()
        self.accept()

    @Slot()
    def discard_selected(self) -> None:
        snapshot = self.selected()
        self.store.drop(snapshot)
        self.snapshots.remove(snapshot)
        if self.snapshots:
            self._fill()
        else:
            self.reject()
