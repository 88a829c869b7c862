"""The personal model's life in the app: loaded, taught and saved in a worker lane, forgotten on request.

The app teaches it only the documents the user opens or saves in the editor (and the chips they accept,
through the SuggestionController), never other files, and keeps it in the user data dir
(`personal/words.json.gz`). Reading, learning and writing run in the "personal" lane so a large
document never stalls the window; the model itself is thread-safe.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from slm_desktop.paths import AppPaths
from slm_desktop.personal import PersonalModel, forget_files, stored_size
from slm_desktop.worker import JobContext, Worker

log = logging.getLogger(__name__)

LANE = "personal"
STORE_NAME = "personal/words.json.gz"


def store_path(paths: AppPaths) -> Path:
    return paths.data_dir / STORE_NAME


class PersonalWords(QObject):
    changed = Signal()  # learned, saved or forgotten: the size shown in Settings may differ

    def __init__(self, paths: AppPaths, worker: Worker, parent: QObject | None = None):
        super().__init__(parent)
        self.path = store_path(paths)
        self.model = PersonalModel()
        self._worker = worker
        self._jobs: set[int] = set()
        worker.finished.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        self._submit("personal-load", self._load)

    def learn(self, text: str) -> None:
        """Learn a document the user opened or saved, then store the model."""
        if text.strip():
            self._submit("personal-learn", lambda ctx: self._learn(text))

    def forget(self) -> None:
        """Empty the model now and delete its file (queued after any learning already under way)."""
        self.model.forget()
        self._submit("personal-forget", self._delete)

    def size_bytes(self) -> int:
        return stored_size(self.path)

    def describe(self) -> str:
        size = self.size_bytes()
        return f"{self.model.words:,} words learned, {size / 1024:.1f} kB on disk" if size else "nothing learned yet"

    def _submit(self, kind: str, run) -> None:
        self._jobs.add(self._worker.submit(kind, run, lane=LANE).id)

    def _load(self, _ctx: JobContext) -> None:
        self.model.replace_with(PersonalModel.load(self.path))

    def _learn(self, text: str) -> None:
        if self.model.learn(text):
            self.model.save(self.path)

    def _delete(self, _ctx: JobContext) -> None:
        self.model.forget()
        forget_files(self.path)

    @Slot(int, str, object)
    def _on_done(self, job_id: int, _kind: str, _result: object) -> None:
        if job_id in self._jobs:
            self._jobs.discard(job_id)
            self.changed.emit()

    @Slot(int, str, str)
    def _on_failed(self, job_id: int, kind: str, message: str) -> None:
        if job_id in self._jobs:
            self._jobs.discard(job_id)
            log.warning("%s: %s", kind, message)
