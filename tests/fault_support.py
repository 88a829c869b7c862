"""Loaders for probe tests; module-level so a spawned child can import them by name."""

from __future__ import annotations

import os
from pathlib import Path


def aborting_loader(_model: Path):
    os.abort()


def illegal_instruction_loader(_model: Path):
    """What a library built for a newer CPU does on an older one."""
    import signal

    os.kill(os.getpid(), signal.SIGILL)


def segfaulting_loader(_model: Path):
    import ctypes

    ctypes.string_at(0)  # reads address 0: SIGSEGV


def raising_loader(model: Path):
    raise ValueError(f"Failed to load model from file: {model}")


class _Closable:
    def close(self) -> None:
        pass


def fine_loader(model: Path):
    assert model.exists()
    return _Closable()


def hanging_loader(_model: Path):
    import time

    time.sleep(600)
