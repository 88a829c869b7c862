"""The main window's document and recovery controller: open, save, open recent, autosave, the recovery prompt."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMessageBox,
)

from slm_desktop.config import storable
from slm_desktop.document import (
    WINDOWS_1252,
    Document,
    NotText,
    UnknownEncoding,
    changed_on_disk,
    cp1252_undefined_count,
    read_document,
    write_document,
)
from slm_desktop.errors import UserError
from slm_desktop.ui.recent_files import RecentFilesMenu, forget, remember

log = logging.getLogger(__name__)

TEXT_FILTER = "Text files (*.txt *.md *.rst *.csv *.log);;All files (*)"
AUTOSAVE_DEADLINE_FACTOR = 2  # while typing non-stop, autosave at least every 2 x the idle delay


class DocumentsMixin:
    """Documents and recovery for MainWindow: the file behind the editor, saving, autosave and restoring
    snapshots (a mixin: it shares the window's attributes)."""

    def _on_modified(self, modified: bool) -> None:
        name = self.document.path.name if self.document.path else "Untitled"
        self.setWindowTitle(f"{name}[*] — slm-desktop")
        self.setWindowModified(modified)

    def set_document(self, doc: Document) -> None:
        self.document = doc
        self.editor.setPlainText(doc.text)
        self.editor.document().setModified(False)
        self._on_modified(False)

    def maybe_keep_changes(self) -> bool:
        """True when it is fine to drop the current text (saved, discarded, or unchanged)."""
        if not self.editor.document().isModified():
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            "The document has unsaved changes. Save them first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save_document()
        return answer == QMessageBox.StandardButton.Discard

    @Slot()
    def new_document(self) -> None:
        if self.maybe_keep_changes():
            self.set_document(Document(""))
            self.recovery.discard()

    @Slot()
    def open_document(self) -> None:
        if not self.maybe_keep_changes():
            return
        start = self.services.settings.ui.last_directory or str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Open", start, TEXT_FILTER)
        if name:
            self.open_path(Path(name))

    def open_path(self, path: Path, *, refused: Callable[[str], None] | None = None) -> bool:
        """refused: where a missing, unreadable or binary file is reported instead of a message box."""
        try:
            doc = read_document(path)
        except UnknownEncoding as exc:
            question = f"{exc}.\nOpen it as Windows-1252? The file is saved back byte for byte."
            if QMessageBox.question(self, "Not UTF-8", question) != QMessageBox.StandardButton.Yes:
                return False
            doc = read_document(path, fallback_encoding=WINDOWS_1252)
        except (NotText, UserError) as exc:
            if refused is None:
                QMessageBox.warning(self, "Cannot open", str(exc))
            else:
                refused(str(exc))
            self.show_message(str(exc))
            return False
        self.set_document(doc)
        self._learn_words()
        if storable(str(path.parent)):
            self.services.update_settings("ui", "last_directory", str(path.parent))
        self._remember_recent(path)
        undefined = cp1252_undefined_count(doc)
        kept = f"; {undefined} bytes with no Windows-1252 character kept as control characters" if undefined else ""
        self.show_message(f"Opened {path.name} ({doc.encoding}, {self._newline_name(doc.newline)}{kept})")
        return True

    @staticmethod
    def _newline_name(newline: str) -> str:
        return {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}[newline]

    @Slot()
    def save_document(self) -> bool:
        if self.document.path is None:
            return self.save_document_as()
        if changed_on_disk(self.document):
            question = f"{self.document.path.name} was changed by another program since it was opened. Overwrite it?"
            if QMessageBox.question(self, "File changed on disk", question) != QMessageBox.StandardButton.Yes:
                return False
        return self._write(self.document.path)

    @Slot()
    def save_document_as(self) -> bool:
        start = str(
            self.document.path or Path(self.services.settings.ui.last_directory or Path.home()) / "Untitled.txt"
        )
        name, _ = QFileDialog.getSaveFileName(self, "Save As", start, TEXT_FILTER)
        return self._write(Path(name)) if name else False

    def _write(self, path: Path) -> bool:
        try:
            self.document = write_document(self.document, self.editor.toPlainText(), path)
        except UserError as exc:
            QMessageBox.warning(self, "Not saved", f"{exc}\nYour text is still here; try another place.")
            self.show_message(str(exc))
            return False
        self.editor.document().setModified(False)
        self._on_modified(False)
        self.recovery.discard()
        self._learn_words()
        self._remember_recent(path)
        self.show_message(f"Saved {path.name}")
        return True

    def _build_recent_files(self, file_menu) -> None:
        self.recent_files = RecentFilesMenu(file_menu, lambda: self.services.settings.ui.recent_files, self)
        self.recent_files.chosen.connect(self.open_recent)
        self.recent_files.cleared.connect(self.clear_recent)

    def _set_recent(self, recent: tuple[str, ...]) -> None:
        """Written at once: the list should survive a crash as well as the text does."""
        if recent != self.services.settings.ui.recent_files:
            self.services.update_settings("ui", "recent_files", recent)
            self.services.save()
        self.recent_files.rebuild()

    def _remember_recent(self, path: Path) -> None:
        self._set_recent(remember(self.services.settings.ui.recent_files, path))

    @Slot(object)
    def open_recent(self, path: Path) -> None:
        if not self.maybe_keep_changes():
            return
        if not path.exists():
            self._set_recent(forget(self.services.settings.ui.recent_files, path))
            self.show_message(f"{path} is gone (moved or deleted); removed from Open Recent")
            return
        self.open_path(path)

    @Slot()
    def clear_recent(self) -> None:
        self._set_recent(())

    def _build_autosave(self) -> None:
        """Idle autosave (restarted by each keystroke) plus a deadline, so non-stop typing is saved too."""
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.timeout.connect(self.autosave_now)
        self._autosave_deadline = QTimer(self)
        self._autosave_deadline.setSingleShot(True)
        self._autosave_deadline.timeout.connect(self.autosave_now)
        # _on_app_state is MainWindow's own slot: a mixin's method connected to the application (which outlives
        # the window) is not disconnected when the window is deleted
        QApplication.instance().applicationStateChanged.connect(self._on_app_state)

    @Slot()
    def _schedule_autosave(self) -> None:
        if self.editor.document().isModified():
            idle_ms = max(1, self.services.settings.ui.autosave_seconds) * 1000
            self._autosave.start(idle_ms)
            if not self._autosave_deadline.isActive():
                self._autosave_deadline.start(AUTOSAVE_DEADLINE_FACTOR * idle_ms)

    @Slot()
    def autosave_now(self) -> None:
        self._autosave.stop()
        self._autosave_deadline.stop()
        if not self.editor.document().isModified():
            return
        try:
            self.recovery.write(self.editor.toPlainText(), self.document.path)
        except OSError as exc:
            self.show_message(f"Autosave failed: {exc.strerror or exc}")

    def offer_recovery(self) -> None:
        """Every unsaved session's snapshot (crashes, "Keep for later"), newest first; kept until restored
        and saved, or discarded."""
        from slm_desktop.ui.recovery_prompt import RecoveryPrompt

        snapshots = self.recovery.pending()
        if not snapshots:
            return
        prompt = RecoveryPrompt(snapshots, self.recovery, self)
        prompt.exec()
        if prompt.restored is not None:
            self.restore_snapshot(prompt.restored)

    def restore_snapshot(self, snapshot) -> None:
        self.recovery.adopt(snapshot)
        path = Path(snapshot.path) if snapshot.path else None
        doc = Document("")
        if path is not None:
            try:
                doc = read_document(path, fallback_encoding=WINDOWS_1252)
            except UserError:
                doc = Document("", path)
        self.set_document(doc)
        self.editor.setPlainText(snapshot.text)
        self.editor.document().setModified(True)
        self.show_message("Recovered unsaved text; save it to keep it")
