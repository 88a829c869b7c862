"""Recovery file: the open document's text, written atomically so a crash never loses it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.document import atomic_write_bytes

RECOVERY_NAME = "current.json"


@dataclass(frozen=True)
class Snapshot:
    text: str
    path: str | None
    saved_at: float


class RecoveryStore:
    def __init__(self, folder: Path):
        self.folder = folder

    @property
    def file(self) -> Path:
        return self.folder / RECOVERY_NAME

    def write(self, text: str, path: Path | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        payload = {"text": text, "path": str(path) if path else None, "saved_at": time.time()}
        # ASCII escapes: a path from a non-UTF-8 file name (lone surrogates) must not stop the autosave
        atomic_write_bytes(self.file, json.dumps(payload).encode("ascii"))

    def read(self) -> Snapshot | None:
        """None when there is nothing to recover or the file is unreadable (it is kept)."""
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
            return Snapshot(str(data["text"]), data.get("path"), float(data["saved_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def discard(self) -> None:
        self.file.unlink(missing_ok=True)
