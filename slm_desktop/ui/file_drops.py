"""Files dropped on the editor: a text file opens, a recording is transcribed.

QPlainTextEdit's own drop handling pastes a file manager's drop as the text "file:///home/…"; for local
files this filter takes the drop instead. Dragged text (from the editor itself or another program) is left
to the editor.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, Signal


def local_files(mime: QMimeData) -> list[Path]:
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


class FileDrops(QObject):
    """Install on the editor's viewport (where QPlainTextEdit receives drops)."""

    dropped = Signal(list)  # [Path]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return False
        files = local_files(event.mimeData())
        if not files:
            return False
        event.acceptProposedAction()
        if kind == QEvent.Type.Drop:
            self.dropped.emit(files)
        return True
