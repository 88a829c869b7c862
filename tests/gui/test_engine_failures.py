"""A failing or crashing engine never takes the window down: one line in the status bar, the text intact."""

from __future__ import annotations

from pathlib import Path

import fault_support
import pytest
from qt_support import WorkerEvents

from slm_desktop import memory
from slm_desktop.errors import ModelError
from slm_desktop.isolation import run_probe


class _BrokenEngineFactory:
    def __init__(self, error: Exception):
        self.error = error
        self.calls = 0

    def __call__(self):
        self.calls += 1
        raise self.error


def _status(window) -> str:
    return window.statusBar().currentMessage()


def _run_engine_job(qtbot, window, factory) -> None:
    worker = window.services.worker
    with WorkerEvents(qtbot, worker).waiting("failed", timeout=10000):
        worker.submit("completion", lambda ctx: ctx.engine("completion:fake", factory).complete("x"))


def test_an_engine_that_fails_to_load_shows_one_line_and_is_retried(qtbot, window):
    qtbot.keyClicks(window.editor, "my precious words")
    factory = _BrokenEngineFactory(ModelError("fake.gguf: GGUF header is damaged or truncated (ValueError)"))
    _run_engine_job(qtbot, window, factory)
    assert _status(window) == "fake.gguf: GGUF header is damaged or truncated (ValueError)"
    _run_engine_job(qtbot, window, factory)
    assert factory.calls == 2  # a failed load is not cached: fixing the file fixes the app
    assert window.editor.toPlainText() == "my precious words"


def test_an_unexpected_engine_exception_is_one_line_not_a_crash(qtbot, window):
    _run_engine_job(qtbot, window, _BrokenEngineFactory(RuntimeError("llama_decode returned -3\ndetails")))
    assert _status(window).startswith("completion failed: llama_decode returned -3")
    assert window.isVisible()


def test_out_of_memory_in_a_job_is_one_line(qtbot, window):
    _run_engine_job(qtbot, window, _BrokenEngineFactory(MemoryError()))
    assert _status(window) == "completion: out of memory"


def test_a_model_crashing_natively_in_the_probe_leaves_the_window_working(qtbot, window, tmp_path: Path):
    """The risky first load runs in a child process: its abort() becomes a status line, the lane lives on."""
    model = tmp_path / "new-model.gguf"
    model.write_bytes(b"GGUF")
    qtbot.keyClicks(window.editor, "still here")
    worker = window.services.worker
    with WorkerEvents(qtbot, worker).waiting("failed", timeout=30000) as failed:
        worker.submit("completion", lambda ctx: run_probe(fault_support.aborting_loader, model))
    assert "new-model.gguf crashed the inference library while loading (SIGABRT)" in failed.args[2]
    assert "crashed the inference library" in _status(window)
    with WorkerEvents(qtbot, worker).waiting("finished", kind="lane-check", timeout=60000) as finished:
        worker.submit("lane-check", lambda ctx: "the lane still runs jobs", lane="completion")
    assert finished.args[2] == "the lane still runs jobs"
    assert window.editor.toPlainText() == "still here"


def test_low_memory_refuses_the_intent_model_with_a_status_line(qtbot, window, monkeypatch):
    monkeypatch.setattr(memory, "available_mb", lambda meminfo=memory.MEMINFO: 50)
    with WorkerEvents(qtbot, window.services.worker).waiting("failed", timeout=10000):
        window.commands.submit("make the text bigger")
    assert "MB of memory but only 50 MB is free" in _status(window)


@pytest.mark.parametrize("state", ["ApplicationInactive", "ApplicationHidden"])
def test_autosave_on_focus_loss(qtbot, window, state):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    qtbot.keyClicks(window.editor, "typed then switched away")
    assert window.recovery.read() is None
    QApplication.instance().applicationStateChanged.emit(getattr(Qt.ApplicationState, state))
    assert window.recovery.read().text == "typed then switched away"


def test_non_stop_typing_is_autosaved_by_the_deadline(qtbot, window):
    """The idle timer restarts on every key; the deadline timer still fires while typing goes on."""
    window.services.update_settings("ui", "autosave_seconds", 1)
    typed = []
    for i in range(400):
        qtbot.keyClicks(window.editor, f"w{i} ")
        typed.append(f"w{i} ")
        qtbot.wait(10)  # an event loop turn per word, like a fast typist (~100 words/s)
        snapshot = window.recovery.read()
        if snapshot is not None:
            break
    assert snapshot is not None, "four seconds of non-stop typing were never autosaved"
    assert "".join(typed).startswith(snapshot.text)
