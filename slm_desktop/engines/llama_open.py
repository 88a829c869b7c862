"""Every llama-cpp-python model this app opens is opened here, without touching the process's stdout/stderr.

With verbose=False, llama-cpp-python wraps model and context creation in `suppress_stdout_stderr`, which
dup2()s /dev/null over file descriptors 1 and 2 and swaps sys.stdout/sys.stderr for the whole process
while the model loads. In the app a model loads on a worker lane while the GUI thread keeps running, so
whatever any other thread wrote in that window (a log line, a crash report, a test driver's progress
line) vanished; two loads on two lanes at once could even leave /dev/null in place for good, since each
restores what it saw on entry. llama.cpp's own messages already go through the log callback that
llama-cpp-python installs and that verbose=False filters to errors, so the redirect hides nothing that
matters (a load of the default GGUF writes no byte to stderr without it).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

_patch_lock = threading.Lock()


class _KeepStreams:
    """Stands in for llama_cpp's suppress_stdout_stderr: same signature, leaves the streams alone."""

    def __init__(self, disable: bool = True):
        self.disable = disable

    def __enter__(self) -> _KeepStreams:
        return self

    def __exit__(self, *_exc) -> None:
        return None


def keep_process_streams() -> None:
    """Point llama_cpp's modules at _KeepStreams (idempotent; called before each load, never at import)."""
    import llama_cpp.llama
    import llama_cpp.llama_chat_format
    from llama_cpp import _internals

    with _patch_lock:
        for module in (llama_cpp.llama, _internals, llama_cpp.llama_chat_format):
            module.suppress_stdout_stderr = _KeepStreams


def open_llama(model: Path, **options: Any):
    """llama_cpp.Llama(model, verbose=False, **options) with the process's streams left in place."""
    import llama_cpp

    keep_process_streams()
    return llama_cpp.Llama(model_path=str(model), verbose=False, **options)
