"""Recovery snapshots: each window session's unsaved text in its own timestamped file.

A session writes only its own file (`unsaved-<start time>-<pid>-<random>.json`), so a snapshot left by a crashed
session survives the next session's autosaves and clean exit. A snapshot goes away only when the
user restores it and then saves or discards that text, or discards the snapshot itself; "Keep for later"
leaves it for the next start, however many sessions that takes. Files are written atomically.

A session holds an advisory lock on `<snapshot>.lock` while it owns its snapshot, so a second window
running at the same time does not offer (or adopt) a live session's text; the OS drops the lock when a
session crashes, which is exactly when its snapshot should be offered.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.atomic import PRIVATE_MODE, atomic_write_bytes
from slm_desktop.store.locks import try_lock

PREFIX = "unsaved-"
LEGACY_NAME = "current.json"  # the single recovery file of earlier versions: offered like the others


@dataclass(frozen=True)
class Snapshot:
    text: str
    path: str | None
    saved_at: float
    file: Path | None = None  # where the snapshot lives, so it can be restored into a session or discarded


def _session_name(started: float, pid: int) -> str:
    """Start time for people, pid and a random tail so two windows of one process never share a file."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(started))
    return f"{PREFIX}{stamp}-{pid}-{secrets.token_hex(3)}.json"


def _lock_path(file: Path) -> Path:
    return file.with_suffix(".lock")


def _hold(file: Path):
    """The open, locked lock file of a snapshot, or None when another live session holds it."""
    fd = os.open(_lock_path(file), os.O_RDWR | os.O_CREAT, PRIVATE_MODE)
    handle = os.fdopen(fd, "r+b")  # closed (and the lock released) with the store, even by the GC
    if try_lock(handle.fileno()):
        return handle
    handle.close()
    return None


def _held_elsewhere(file: Path) -> bool:
    if not _lock_path(file).exists():
        return False
    try:
        handle = _hold(file)
    except OSError:
        return False
    if handle is None:
        return True
    handle.close()
    return False


def read_snapshot(file: Path) -> Snapshot | None:
    """None when the file is missing or unreadable (an unreadable one is kept, never deleted)."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        return Snapshot(str(data["text"]), data.get("path"), float(data["saved_at"]), file)
    except (OSError, ValueError, KeyError, TypeError):
        return None


class RecoveryStore:
    """This session's snapshot file, and the snapshots other sessions left behind."""

    def __init__(self, folder: Path, *, started: float | None = None, pid: int | None = None):
        self.folder = folder
        name = _session_name(time.time() if started is None else started, os.getpid() if pid is None else pid)
        self.file = folder / name
        self._lock = None

    def write(self, text: str, path: Path | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._lock is None:
            self._lock = _hold(self.file)
        payload = {"text": text, "path": str(path) if path else None, "saved_at": time.time()}
        # ASCII escapes: a path from a non-UTF-8 file name (lone surrogates) must not stop the autosave
        atomic_write_bytes(self.file, json.dumps(payload).encode("ascii"), new_file_mode=PRIVATE_MODE)

    def read(self) -> Snapshot | None:
        """This session's own snapshot."""
        return read_snapshot(self.file)

    def discard(self) -> None:
        """This session's text was saved, or the user chose to drop it."""
        self.file.unlink(missing_ok=True)
        if self._lock is not None:
            _lock_path(self.file).unlink(missing_ok=True)
        self.close()

    def close(self) -> None:
        """Let go of this session's snapshot without deleting it (what a crash does)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def pending(self) -> list[Snapshot]:
        """Every other session's readable snapshot, newest first."""
        try:
            files = [p for p in self.folder.iterdir() if p.name.startswith(PREFIX) or p.name == LEGACY_NAME]
        except OSError:
            return []
        others = (f for f in files if f.suffix == ".json" and f != self.file and not _held_elsewhere(f))
        found = (read_snapshot(f) for f in others)
        return sorted((s for s in found if s is not None), key=lambda s: s.saved_at, reverse=True)

    def adopt(self, snapshot: Snapshot) -> None:
        """Restore: the snapshot becomes this session's file, so it lives until this text is saved or dropped."""
        if snapshot.file is not None and snapshot.file != self.file:
            self.discard()
            self.file = snapshot.file
            self._lock = _hold(self.file)

    def drop(self, snapshot: Snapshot) -> None:
        """The user discarded that snapshot explicitly."""
        if snapshot.file is not None:
            snapshot.file.unlink(missing_ok=True)
            _lock_path(snapshot.file).unlink(missing_ok=True)
