"""The main window's status bar: worker activity, loaded models and live figures, fed by the worker.

A QObject of its own (a child of the window): the worker emits on lane threads, and queued emissions to
bound slots of a QObject are dropped with it, so none reaches a closed window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QLabel, QMainWindow

from slm_desktop.ui.file_transcription import TRANSCRIBE_KIND, TRANSCRIBE_LANE
from slm_desktop.ui.suggest import LEXICON_KEY
from slm_desktop.ui.voice import MIC_KEY_PREFIX
from slm_desktop.worker import Worker

log = logging.getLogger(__name__)

BUSY_KINDS = {"push-to-talk", "translate", TRANSCRIBE_KIND}  # jobs that pause suggestions in low-power mode
BUSY_LANES = ("speech", "translation", TRANSCRIBE_LANE)


def short_model_name(name: str, limit: int = 28) -> str:
    """The status bar shares its width with messages: file suffixes go and long names are cut (full in the
    tooltip)."""
    stem = name.removesuffix(".gguf").removesuffix(".onnx")
    return stem if len(stem) <= limit else stem[: limit - 1] + "…"


class StatusBar(QObject):
    """`on_busy(True/False)`: a speech or translation job started / those lanes all went idle."""

    def __init__(self, window: QMainWindow, worker: Worker, *, on_busy: Callable[[bool], None]):
        super().__init__(window)
        self.window, self.worker, self._on_busy = window, worker, on_busy
        self.loaded: dict[str, dict[str, str]] = {}  # lane -> {engine key: model name}, in load order
        self.engine_keys: set[str] = set()  # what some lane holds now
        self._figures: dict[str, str] = {}
        bar = window.statusBar()
        bar.setAccessibleName("Status bar")
        self.models_label = QLabel("models: none loaded")
        self.models_label.setAccessibleName("Loaded models")
        self.activity_label = QLabel("idle")
        self.activity_label.setAccessibleName("Worker activity")
        self.figures_label = QLabel("")
        self.figures_label.setAccessibleName("Live figures")
        bar.addPermanentWidget(self.figures_label)
        bar.addPermanentWidget(self.activity_label)
        bar.addPermanentWidget(self.models_label)
        worker.started.connect(self._on_job_started)
        worker.idle.connect(self._on_lane_idle)
        worker.engineLoaded.connect(self._on_engine_loaded)
        worker.engineClosed.connect(self._on_engine_closed)

    @Slot(int, str)
    def _on_job_started(self, _job_id: int, kind: str) -> None:
        self.activity_label.setText(f"working: {kind}")
        if kind == TRANSCRIBE_KIND:  # the file's progress and Cancel need the room, or messages are cut short
            self.figures_label.hide()
        if kind in BUSY_KINDS:
            self._on_busy(True)

    @Slot(str)
    def _on_lane_idle(self, lane: str) -> None:
        self.activity_label.setText("idle")
        if lane == TRANSCRIBE_LANE:
            self.figures_label.show()
        if lane in BUSY_LANES and not any(self.worker.busy(name) for name in BUSY_LANES):
            self._on_busy(False)

    @Slot(str, str)
    def _on_engine_loaded(self, lane: str, key: str) -> None:
        if key.startswith(MIC_KEY_PREFIX):
            return  # an input stream, not a model
        self.engine_keys.add(key)
        if key == LEXICON_KEY:
            return  # the word list beside the completion model: data, not a model
        self.loaded.setdefault(lane, {})[key] = Path(key).name or key
        self._show_loaded_models()

    @Slot(str, str)
    def _on_engine_closed(self, lane: str, key: str) -> None:
        """Closed to save memory (least recently used, idle in low-power mode) or dropped: no longer loaded."""
        self.engine_keys.discard(key)
        if self.loaded.get(lane, {}).pop(key, None) is not None:
            self._show_loaded_models()

    def _show_loaded_models(self) -> None:
        """Every model some lane holds (a lane may hold two: a pivot's steps, the live lane's chain)."""
        shown = [(lane, name) for lane, models in sorted(self.loaded.items()) for name in models.values()]
        names = " · ".join(short_model_name(name) for _, name in shown)
        self.models_label.setText(f"models: {names or 'none loaded'}")
        self.models_label.setToolTip("\n".join(f"{lane}: {name}" for lane, name in shown))

    def show_figure(self, key: str, text: str) -> None:
        """Live figures engines report (tokens/s, RTF, words/s) share one status-bar label."""
        self._figures[key] = text
        self.figures_label.setText("  ·  ".join(self._figures.values()))
