"""Fault isolation: a model's first load runs in a throwaway process before the app trusts it.

Python cannot survive a segfault or an abort() inside llama.cpp, Kaldi or CTranslate2: the whole
process dies, and with it any text not yet written down. Validation (store/validate.py) checks a
file's structure but cannot prove the native loader will not crash on it. So the first time a
given model file is loaded, `probe_first_load` loads it in a `spawn`ed child process; a crash
there costs the child only, and becomes a one-line ModelError in the app. A load that succeeded
is remembered (path, size, mtime) so later starts load directly, with no extra cost.

What is left unprotected -- a crash during inference on a model that loaded fine -- is covered
by the frequent autosave to the recovery file (see docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import logging
import multiprocessing
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slm_desktop.atomic import PRIVATE_MODE, atomic_write_bytes
from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.errors import ModelError

log = logging.getLogger(__name__)

CRASH_LOG_NAME = "crash.log"
PROBE_TIMEOUT_S = 180.0
PROBE_CACHE_NAME = "probed-models.json"
POLL_S = 0.05

Loader = Callable[[Path], Any]


def enable_crash_log(data_dir: Path):
    """On SIGSEGV/SIGABRT/SIGBUS/SIGFPE/SIGILL, append every thread's Python stack to <data dir>/crash.log.

    It cannot save the document (nothing in Python runs safely after a native crash; the autosave
    already did); it tells the user and the developers which engine call died. Returns the open file.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(data_dir / CRASH_LOG_NAME, "a", encoding="utf-8")  # noqa: SIM115 - open for the process's life
    handle.write(f"--- slm-desktop started {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    handle.flush()
    faulthandler.enable(file=handle, all_threads=True)
    return handle


def close_crash_log(handle) -> None:
    """Stop writing crash traces before the file closes (its descriptor number could be reused)."""
    faulthandler.disable()
    handle.close()


def _probe_child(loader: Loader, model: str, conn) -> None:
    """Runs in the child: load, close, report. A native crash ends here, not in the app."""
    try:
        engine = loader(Path(model))
        close = getattr(engine, "close", None)
        if callable(close):
            close()
    except BaseException as exc:  # report any failure as text; the parent turns it into one line
        _send_quietly(conn, str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__)
    else:
        _send_quietly(conn, "")
    finally:
        conn.close()


def _send_quietly(conn, message: str) -> None:
    """The app may have quit meanwhile (the window closed or killed mid-probe): then there is nobody to tell, and a
    child's traceback on the terminal would only alarm."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        conn.send(message)


def _report(receive) -> str | None:
    """The child's one-line report; None when it died before sending one."""
    try:
        return receive.recv() if receive.poll() else None
    except (EOFError, OSError):
        return None
    finally:
        receive.close()


def _signal_name(exitcode: int) -> str:
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        return f"signal {-exitcode}"
    if name == "SIGILL":  # a library built for a newer CPU (e.g. AVX2 or AVX-512) than this one
        return "SIGILL: the library needs CPU instructions this processor lacks; use a build for older CPUs"
    return name


def _stamp(model: Path) -> list[int]:
    stat = model.stat()
    return [stat.st_size, stat.st_mtime_ns]


class ProbeCache:
    """Models whose first load already succeeded in a probe, keyed by resolved path + size + mtime."""

    def __init__(self, file: Path | None):
        self.file = file

    def _read(self) -> dict[str, list[int]]:
        if self.file is None:
            return {}
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def known_good(self, model: Path) -> bool:
        return self._read().get(str(model.resolve())) == _stamp(model)

    def remember(self, model: Path) -> None:
        if self.file is None:
            return
        data = self._read()
        data[str(model.resolve())] = _stamp(model)
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.file, json.dumps(data).encode("utf-8"), new_file_mode=PRIVATE_MODE)
        except OSError as exc:  # only costs a repeated probe next time
            log.warning("could not record probed model: %s", exc.strerror or exc)


def run_probe(loader: Loader, model: Path, *, timeout: float = PROBE_TIMEOUT_S, token: CancelToken | None = None):
    """Load `model` with `loader` in a spawned child; raise ModelError if it fails or crashes.

    `loader` must be a module-level function (the child imports it by name).
    """
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_probe_child, args=(loader, str(model), send), name="slm-model-probe", daemon=True)
    child.start()
    send.close()
    deadline = time.monotonic() + timeout
    try:
        while child.is_alive():
            if token is not None and token.cancelled:
                raise Cancelled()
            if time.monotonic() > deadline:
                raise ModelError(f"{model.name}: loading took over {timeout:.0f} s in the test load; not loaded")
            child.join(POLL_S)
    finally:
        if child.is_alive():
            child.kill()
            child.join()
    message = _report(receive)
    if child.exitcode is not None and child.exitcode < 0:
        raise ModelError(
            f"{model.name} crashed the inference library while loading ({_signal_name(child.exitcode)}); "
            "it was not loaded and your text is safe"
        )
    if message:
        raise ModelError(f"{model.name} could not be loaded: {message}")
    if message is None or child.exitcode != 0:
        raise ModelError(f"{model.name}: the test load ended unexpectedly (exit code {child.exitcode})")


def probe_first_load(
    loader: Loader, model: Path, *, cache_file: Path | None, token: CancelToken | None = None, timeout=PROBE_TIMEOUT_S
) -> bool:
    """Probe a model not yet known to load; True when a probe ran. Call from inside a worker lane."""
    cache = ProbeCache(cache_file)
    if cache.known_good(model):
        return False
    log.info("first load of %s: probing it in a separate process", model.name)
    run_probe(loader, model, timeout=timeout, token=token)
    cache.remember(model)
    return True


def load_gguf(model: Path):
    """The llama.cpp load a completion engine does, for the probe (tiny context: only the load matters)."""
    from slm_desktop.engines.llama_open import open_llama

    return open_llama(model, n_ctx=64, n_threads=1)


def load_vosk(model: Path):
    import vosk

    vosk.SetLogLevel(-1)
    return vosk.Model(str(model))


def load_onnx(model: Path):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


def load_ct2(model: Path):
    """The CTranslate2 load a translation engine does: the model folder (bare, Argos, or under one top folder)."""
    import ctranslate2

    from slm_desktop.engines.ct2 import resolve_layout

    return ctranslate2.Translator(str(resolve_layout(model).model_dir), device="cpu", intra_threads=1)


def _open_nothing(model: Path) -> None:
    """The self-test's loader: proves a probe process starts and reports back."""
    if not model.exists():
        raise FileNotFoundError(model)


def self_check(paths) -> str:
    """Recovery folder writable, free memory known, and a probe process round trip."""
    from slm_desktop.memory import available_mb
    from slm_desktop.recovery import RecoveryStore

    store = RecoveryStore(paths.recovery_dir / "selftest")
    store.write("self-test", None)
    if store.read() is None or store.read().text != "self-test":
        raise RuntimeError(f"recovery file in {store.folder} did not read back")
    store.discard()
    store.folder.rmdir()
    started = time.perf_counter()
    run_probe(_open_nothing, paths.recovery_dir, timeout=60)
    free = available_mb()
    memory = f"{free} MB free" if free is not None else "free memory unknown (no /proc/meminfo)"
    return f"recovery writable; {memory}; probe process {1000 * (time.perf_counter() - started):.0f} ms"
