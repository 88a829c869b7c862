"""The voice bar and its push-to-talk controller (Qt side; no inference library imported here).

The controller turns press()/release() (F9 or the hold-to-talk button) into one job on the
worker's "speech" lane: the lane keeps the microphone open (pre-roll) and the engine loaded,
and streams partial text and levels back as signals on the GUI thread.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from slm_desktop.audio.capture import CaptureConfig, Microphone
from slm_desktop.audio.ptt import AudioSource, PushToTalkSession, SessionResult
from slm_desktop.errors import AudioError
from slm_desktop.worker import JobContext, Worker

log = logging.getLogger(__name__)

DICTATION, COMMAND = "dictation", "command"
LANE = "speech"


class PushToTalkController(QObject):
    partial = Signal(str)
    final = Signal(object)  # engines.base.Transcript
    dictated = Signal(str)  # final text in dictation mode: insert at the cursor
    commanded = Signal(str)  # final text in command mode: to the intent pipeline
    level = Signal(float)  # 0..1 RMS of the latest audio
    error = Signal(str)
    figures = Signal(dict)  # rtf, audio_seconds, decode_seconds, release_to_final_ms, first_partial_ms
    recordingStarted = Signal()
    recordingStopped = Signal()

    def __init__(
        self,
        worker: Worker,
        engine_factory: Callable[[], Any],
        capture: CaptureConfig | None = None,
        *,
        engine_key: str = "speech",
        source_factory: Callable[[CaptureConfig], AudioSource] = Microphone,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._worker = worker
        self._engine_factory = engine_factory
        self._engine_key = engine_key
        self._capture = capture or CaptureConfig()
        self._source_factory = source_factory
        self._mode = DICTATION
        self._grammar: tuple[str, ...] = ()
        self._session: PushToTalkSession | None = None
        self._job_id = 0
        self._job_mode = DICTATION
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def active(self) -> bool:
        return self._session is not None

    @Slot(str)
    def setMode(self, mode: str) -> None:
        if mode not in (DICTATION, COMMAND):
            raise ValueError(f"unknown voice mode {mode!r}")
        self._mode = mode

    def setCommandGrammar(self, phrases: Sequence[str]) -> None:
        """Phrases the command mode may restrict recognition to; empty: free recognition."""
        self._grammar = tuple(phrases)

    @property
    def _mic_key(self) -> str:
        return f"microphone:{self._capture.device}"

    @Slot()
    def prepare(self) -> None:
        """Open the microphone and load the engine ahead of the first press (pre-roll needs an open stream)."""
        self._worker.submit("speech-prepare", self._prepare_job, lane=LANE)

    def _prepare_job(self, ctx: JobContext) -> None:
        ctx.engine(self._mic_key, self._open_source)
        ctx.engine(self._engine_key, self._engine_factory)

    def _open_source(self) -> AudioSource:
        return self._source_factory(self._capture)

    @Slot()
    def press(self) -> None:
        if self._session is not None:
            return  # auto-repeat of a held key
        session = PushToTalkSession()
        self._session = session
        self._job_mode = self._mode
        grammar = self._grammar if self._mode == COMMAND and self._grammar else None
        job = self._worker.submit("push-to-talk", lambda ctx: self._run(ctx, session, grammar), lane=LANE)
        self._job_id = job.id
        self.recordingStarted.emit()

    def _run(self, ctx: JobContext, session: PushToTalkSession, grammar) -> SessionResult:
        try:
            source = ctx.engine(self._mic_key, self._open_source)
            engine = ctx.engine(self._engine_key, self._engine_factory)
            return session.run(
                source,
                engine.start(grammar=grammar),
                on_partial=lambda text: ctx.progress(("partial", text)),
                on_level=lambda value: ctx.progress(("level", value)),
                cancel=ctx.token,
            )
        except AudioError:
            ctx.drop_engine(self._mic_key)  # reopened on the next press
            raise

    @Slot()
    def release(self) -> None:
        if self._session is not None:
            self._session.release()
            self.recordingStopped.emit()

    @Slot(int, str, object)
    def _on_progress(self, job_id: int, kind: str, value: object) -> None:
        if job_id != self._job_id or not isinstance(value, tuple):
            return
        what, payload = value
        if what == "partial":
            self.partial.emit(payload)
        elif what == "level":
            self.level.emit(payload)

    @Slot(int, str, object)
    def _on_finished(self, job_id: int, kind: str, result: object) -> None:
        if job_id != self._job_id or not isinstance(result, SessionResult):
            return
        self._session = None
        transcript = result.transcript
        self.final.emit(transcript)
        (self.dictated if self._job_mode == DICTATION else self.commanded).emit(transcript.text)
        self.figures.emit(
            {
                "rtf": transcript.rtf,
                "audio_seconds": transcript.audio_seconds,
                "decode_seconds": transcript.decode_seconds,
                "release_to_final_ms": result.release_to_final_ms,
                "first_partial_ms": result.first_partial_ms,
            }
        )

    @Slot(int, str, str)
    def _on_failed(self, job_id: int, kind: str, message: str) -> None:
        if kind == "speech-prepare" or job_id == self._job_id:
            self._end_with_error(message)

    @Slot(int, str)
    def _on_cancelled(self, job_id: int, kind: str) -> None:
        if job_id == self._job_id:
            self._session = None
            self.recordingStopped.emit()

    def _end_with_error(self, message: str) -> None:
        if self._session is not None:
            self._session.release()
            self._session = None
            self.recordingStopped.emit()
        self.error.emit(message)


def meter_percent(level: float) -> int:
    """RMS 0..1 to a 0..100 meter on a -60..0 dBFS scale (speech sits around 60-80)."""
    if level <= 0:
        return 0
    db = 20 * math.log10(level)
    return max(0, min(100, round((db + 60) / 60 * 100)))


class VoiceBar(QWidget):
    """Hold-to-talk button, level meter, live partial text, final text and the mode selector."""

    def __init__(self, controller: PushToTalkController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.talkButton = QPushButton(self.tr("Hold to talk (F9)"))
        self.talkButton.setObjectName("holdToTalk")
        self.meter = QProgressBar()
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.meter.setMaximumWidth(120)
        self.modeBox = QComboBox()
        self.modeBox.addItem(self.tr("Dictation"), DICTATION)
        self.modeBox.addItem(self.tr("Command"), COMMAND)
        self.partialLabel = QLabel()
        self.partialLabel.setStyleSheet("color: gray; font-style: italic;")
        self.finalLabel = QLabel()
        self.finalLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusLabel = QLabel()
        self.statusLabel.setStyleSheet("color: gray;")
        self._layout()
        self._connect()

    def _layout(self) -> None:
        row = QHBoxLayout()
        row.addWidget(self.talkButton)
        row.addWidget(self.meter)
        row.addWidget(self.modeBox)
        row.addWidget(self.statusLabel, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 2, 4, 2)
        column.addLayout(row)
        column.addWidget(self.partialLabel)
        column.addWidget(self.finalLabel)

    def _connect(self) -> None:
        c = self.controller
        self.talkButton.pressed.connect(c.press)
        self.talkButton.released.connect(c.release)
        self.modeBox.currentIndexChanged.connect(self._on_mode_index)
        c.partial.connect(self.partialLabel.setText)
        c.final.connect(self._on_final)
        c.level.connect(self._on_level)
        c.error.connect(self._on_error)
        c.figures.connect(self._on_figures)
        c.recordingStarted.connect(self._on_recording_started)
        c.recordingStopped.connect(self._on_recording_stopped)

    @Slot(int)
    def _on_mode_index(self, index: int) -> None:
        self.controller.setMode(self.modeBox.itemData(index))

    @Slot(object)
    def _on_final(self, transcript) -> None:
        self.partialLabel.clear()
        self.finalLabel.setText(transcript.text)

    @Slot(float)
    def _on_level(self, level: float) -> None:
        self.meter.setValue(meter_percent(level))

    @Slot(str)
    def _on_error(self, message: str) -> None:
        self.statusLabel.setText(message)
        self.meter.setValue(0)

    @Slot(dict)
    def _on_figures(self, figures: dict) -> None:
        self.statusLabel.setText(
            self.tr("%.1f s audio, RTF %.2f, %.0f ms after release")
            % (figures["audio_seconds"], figures["rtf"], figures["release_to_final_ms"])
        )

    @Slot()
    def _on_recording_started(self) -> None:
        self.talkButton.setDown(True)
        self.statusLabel.setText(self.tr("listening…"))

    @Slot()
    def _on_recording_stopped(self) -> None:
        self.talkButton.setDown(False)
        self.meter.setValue(0)


class PushToTalkKey(QObject):
    """Event filter: holding `key` on the watched widget presses the controller; auto-repeat ignored."""

    def __init__(self, controller: PushToTalkController, key: Qt.Key = Qt.Key.Key_F9, parent: QObject | None = None):
        super().__init__(parent)
        self.controller = controller
        self.key = key

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) or event.key() != self.key:
            return False
        if not event.isAutoRepeat():
            self.controller.press() if kind == QEvent.Type.KeyPress else self.controller.release()
        return True
