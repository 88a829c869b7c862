"""Advisory file locks: two installs of one model (in one process or two) never run at once.

The OS drops the lock when the process dies, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from slm_desktop.errors import UserError


class Busy(UserError):
    """Another install or removal of the same model is running."""


def _try_lock(fd: int, blocking: bool) -> bool:
    if sys.platform == "win32":
        import msvcrt

        mode = msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK
        try:
            msvcrt.locking(fd, mode, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def try_lock(fd: int) -> bool:
    """Lock an open file exclusively without waiting; closing it (or the process dying) releases the lock."""
    return _try_lock(fd, False)


@contextlib.contextmanager
def file_lock(path: Path, *, what: str, blocking: bool = False) -> Iterator[None]:
    """Hold `path` exclusively; raise Busy at once if someone else holds it (unless blocking)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd, blocking):
            raise Busy(f"{what} is already in progress (another window or command); try again when it finishes")
        yield
    finally:
        os.close(fd)  # closing releases the lock
