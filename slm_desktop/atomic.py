"""Replace a file's content so that a crash, a kill or a full disk leaves the old or the new file, never half.

One helper for every file the app writes (documents, the recovery snapshots, settings, the model manifest
and defaults, pinned hashes): a temporary file in the same folder, fsync, rename over the target, fsync
the folder. It writes what a symlink points at and keeps the link (editors do; replacing the link with
a plain file would silently fork the user's file), keeps an existing file's permission bits, and gives a
new file the mode the user's umask allows, as editors do, unless the caller asks for a private file.
"""

from __future__ import annotations

import glob
import os
import tempfile
import time
from pathlib import Path

STALE_TEMP_S = 600  # no save takes this long; an older temp file is what a killed save left behind
PRIVATE_MODE = 0o600  # recovery snapshots hold unsaved text: only the user may read them


def temp_prefix(path: Path) -> str:
    """The hidden temp files of a save of `path` are named `.NAME.<random>.tmp` beside it."""
    return f".{path.name}."


def current_umask() -> int:
    """The process umask without changing it: /proc on Linux; elsewhere set and restore (a brief race)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_target(path: Path) -> Path:
    """Where the bytes go: the file a symlink (or a chain of them, or a linked folder) points at."""
    return Path(os.path.realpath(path))


def _mode_for(target: Path, new_file_mode: int | None) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        return new_file_mode if new_file_mode is not None else 0o666 & ~current_umask()


def remove_stale_temp_files(path: Path) -> list[Path]:
    """A save killed mid-write (power cut, SIGKILL) leaves its hidden temp file beside the intact original;
    the next save of the same file removes such leftovers. Fresh ones may be another save in progress."""
    removed = []
    now = time.time()
    for leftover in path.parent.glob(f"{glob.escape(temp_prefix(path))}*.tmp"):
        try:
            if now - leftover.stat().st_mtime > STALE_TEMP_S:
                leftover.unlink()
                removed.append(leftover)
        except OSError:  # gone already, or not ours to remove
            continue
    return removed


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (a power cut after replace() could otherwise undo it)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def atomic_write_bytes(path: Path, data: bytes, *, new_file_mode: int | None = None) -> Path:
    """Write `data` as the new content of `path` (through symlinks); returns the file actually written.

    new_file_mode: the mode for a file that does not exist yet (default: 0o666 less the umask).
    """
    target = write_target(path)
    folder = target.parent
    mode = _mode_for(target, new_file_mode)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target), suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    remove_stale_temp_files(target)
    _fsync_folder(folder)
    return target


def move_aside(path: Path) -> Path:
    """Rename an unreadable file to `NAME.corrupt-<time>` beside it, so the next save cannot overwrite what
    might still be recovered by hand (settings, the personal model); returns the new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    path.replace(target)
    return target
