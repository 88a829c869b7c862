"""Live translate (Qt side): the controller that runs the live pipeline as one job on a worker lane,
the view that writes it into the translation panel, the subtitle window and the live bar.

The job runs on its own "live" lane, whose thread runs at a lower CPU priority (nice 10, inherited
by the Apertium processes it starts): on 2 cores the GUI thread must win, or each phrase's decode
and translation stalls the window. The lane opens its own input stream (PulseAudio/PipeWire mix
two streams of one device; a raw ALSA device that cannot is reported as a one-line AudioError).
No inference library is imported here; engines come through slm_desktop.live and factories.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QPoint, Qt, Signal, Slot
from PySide6.QtGui import QFont, QMouseEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSizeGrip, QVBoxLayout, QWidget

from slm_desktop.audio.capture import CaptureConfig, Microphone
from slm_desktop.audio.ptt import AudioSource
from slm_desktop.errors import UserError
from slm_desktop.languages import UNKNOWN
from slm_desktop.live import (
    FINAL,
    PARTIAL,
    TRANSLATED,
    AutoPhraseTranslator,
    LiveEvent,
    LivePipeline,
    plan_translator,
)
from slm_desktop.translation import Catalog, NoModel
from slm_desktop.worker import JobContext, Worker

log = logging.getLogger(__name__)

LANE = "live"
NICE = 10
JOB_KIND = "live-translate"
CONTINUOUS, HOLD = "continuous", "hold"
AUTO, AUTO_FALLBACK = "auto", "en"  # a source language "auto": a recogniser that says nothing is taken as English


UNSPECIFIED = ("", "auto", UNKNOWN)
UNKNOWN_SOURCE = (
    "Live translate: the spoken language is unknown; pick the source language in the translation panel"
    " (or the speech language in Settings)"
)


class LiveTranslateController(QObject):
    """start()/stop() (toggle) or press()/release() (push-to-talk); phrases stream back as signals."""

    partial = Signal(str)  # unstable text of the phrase being heard ("" withdraws it)
    phrase = Signal(int, str)  # a finished phrase's text
    translated = Signal(int, str)  # its translation
    latency = Signal(float)  # ms from the end of the phrase to its translation shown
    runningChanged = Signal(bool)
    error = Signal(str)

    def __init__(
        self,
        worker: Worker,
        speech_factory: Callable[[], Any],
        catalog: Catalog,
        capture: CaptureConfig | None = None,
        *,
        engine_key: str = "live-speech",
        source_factory: Callable[[CaptureConfig], AudioSource] = Microphone,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._worker = worker
        self.speech_factory = speech_factory  # tests put a fake recogniser here
        self.catalog = catalog
        self._capture = capture or CaptureConfig()
        self.engine_key = engine_key
        self.source_factory = source_factory  # tests and the bench put a WavSource here
        self.source_key = f"microphone:{self._capture.device}"
        self._held = False
        self._job_id = 0
        self._stop: threading.Event | None = None
        self.languages = ("en", "es")
        self.detects_language = False  # the recogniser reports each phrase's language (Whisper): "auto" works
        self.latencies: list[float] = []
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)

    @property
    def running(self) -> bool:
        return self._stop is not None

    def set_languages(self, source: str, target: str) -> None:
        self.languages = (source, target)

    @Slot()
    def start(self) -> None:
        if self._stop is not None:
            return
        if self.languages[0] in UNSPECIFIED and not self.detects_language:  # "Detect language" + speech "auto"
            self.error.emit(UNKNOWN_SOURCE)
            return
        try:  # a missing pair is reported before anything listens
            self._translator(self.languages, lambda pair: None)
        except UserError as exc:  # NoModel: one line for the status bar
            self.error.emit(str(exc))
            return
        self._stop = threading.Event()
        job = self._worker.submit(JOB_KIND, partial(self._run, stop=self._stop, languages=self.languages), lane=LANE)
        self._job_id = job.id
        self.runningChanged.emit(True)

    @Slot()
    def stop(self) -> None:
        """Stop listening; the phrase being heard is still finished and translated."""
        if self._stop is not None:
            self._stop.set()

    @Slot()
    def press(self) -> None:
        """Push-to-talk in live mode; a press while the toggle already listens changes nothing."""
        if self._stop is None:
            self._held = True
            self.start()

    @Slot()
    def release(self) -> None:
        if self._held:
            self._held = False
            self.stop()

    @Slot()
    def prepare(self) -> None:
        """Load the speech and translation engines ahead of the first phrase (a one-off GIL-bound load)."""
        self._worker.submit("live-prepare", partial(self._prepare_job, languages=self.languages), lane=LANE)

    def _prepare_job(self, ctx: JobContext, *, languages: tuple[str, str]) -> None:
        _lower_priority()
        ctx.engine(self.engine_key, self.speech_factory)
        source, target = languages
        try:  # with an auto source: the engines from English (others load with the first phrase heard)
            steps = plan_translator(self.catalog, AUTO_FALLBACK if source == AUTO else source, target).route.steps
        except UserError:
            steps = ()
        for pair in steps:
            ctx.engine(self.catalog.engine_key(pair), partial(self.catalog.open, pair))

    def _translator(self, languages: tuple[str, str], engine_for):
        """A fixed source: its route (NoModel when none is installed). "auto": each phrase from the language
        the recogniser heard (Whisper), so Spanish speech goes through spa→eng into English."""
        source, target = languages
        if source in UNSPECIFIED:
            source = AUTO
        if source == AUTO:
            if not any(pair.target == target for pair in self.catalog.pairs):
                raise NoModel(source, target)
            return AutoPhraseTranslator(self.catalog, target, engine_for=engine_for, fallback=AUTO_FALLBACK)
        return plan_translator(self.catalog, source, target, engine_for=engine_for)

    # ------------------------------------------------------------ in the lane

    def _run(self, ctx: JobContext, *, stop: threading.Event, languages: tuple[str, str]) -> int:
        _lower_priority()
        audio = ctx.engine(self.source_key, partial(self.source_factory, self._capture))
        speech = ctx.engine(self.engine_key, self.speech_factory)

        def engine_for(pair):
            return ctx.engine(self.catalog.engine_key(pair), partial(self.catalog.open, pair))

        translator = self._translator(languages, engine_for)
        pipeline = LivePipeline(speech, translator, on_event=ctx.progress, cancel=ctx.token)
        try:
            return pipeline.run(audio, until=stop.is_set)
        finally:
            ctx.drop_engine(self.source_key)  # the microphone is closed while live translate is off

    # ------------------------------------------------------------ on the GUI thread

    @Slot(int, str, object)
    def _on_progress(self, job_id: int, kind: str, value: object) -> None:
        if job_id != self._job_id or not isinstance(value, LiveEvent):
            return
        if value.kind == PARTIAL:
            self.partial.emit(value.text)
        elif value.kind == FINAL and not value.text:
            self.partial.emit("")  # nothing recognised after all: withdraw the partial
        elif value.kind == FINAL:
            self.phrase.emit(value.phrase, value.text)
        elif value.kind == TRANSLATED:
            self.translated.emit(value.phrase, value.text)  # direct connections: on screen when emit returns
            shown = (time.perf_counter() - value.cut_at) * 1000
            self.latencies.append(shown)
            self.latency.emit(shown)

    @Slot(int, str, object)
    def _on_done(self, job_id: int, kind: str, result: object) -> None:
        if job_id == self._job_id:
            self._ended()

    @Slot(int, str, str)
    def _on_failed(self, job_id: int, kind: str, message: str) -> None:
        if job_id == self._job_id:
            self._ended()
            self.error.emit(message)

    @Slot(int, str)
    def _on_cancelled(self, job_id: int, kind: str) -> None:
        if job_id == self._job_id:
            self._ended()

    def _ended(self) -> None:
        self._job_id = 0
        self._held = False
        self._stop = None
        self.runningChanged.emit(False)


def _lower_priority() -> None:
    """Nice the calling thread (Linux: per thread, inherited by the processes it starts)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
    except (AttributeError, OSError):  # not Linux, or not permitted: run at normal priority
        log.debug("could not lower the live lane's priority", exc_info=True)


class PanelWriter(QObject):
    """Writes live text into the translation panel: the source box gets finished phrases in the normal
    style and the phrase being heard in grey italics (replaced as it changes); the target box gets
    one line per translated phrase. Writes bypass the panel's own translate-as-you-type."""

    def __init__(self, panel, parent: QObject | None = None):
        super().__init__(parent)
        self.panel = panel
        self._partial_from = -1  # where the grey partial starts in the source box; -1: none shown
        self.partial_format = QTextCharFormat()
        self.partial_format.setForeground(Qt.GlobalColor.gray)
        self.partial_format.setFontItalic(True)

    def connect_to(self, controller: LiveTranslateController) -> None:
        controller.partial.connect(self.show_partial)
        controller.phrase.connect(self.add_phrase)
        controller.translated.connect(self.add_translation)

    def _end_cursor(self) -> QTextCursor:
        cursor = QTextCursor(self.panel.source_edit.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        return cursor

    def _remove_partial(self) -> QTextCursor:
        cursor = self._end_cursor()
        if self._partial_from >= 0:
            cursor.setPosition(self._partial_from, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            self._partial_from = -1
        return cursor

    def _write(self, text: str, style: QTextCharFormat) -> None:
        edit = self.panel.source_edit
        edit.blockSignals(True)  # no translate-as-you-type of live text: phrases are translated once
        try:
            cursor = self._remove_partial()
            if text:
                start = cursor.position()
                cursor.insertText(text, style)
                if style is self.partial_format:
                    self._partial_from = start
            edit.ensureCursorVisible()
        finally:
            edit.blockSignals(False)

    @Slot(str)
    def show_partial(self, text: str) -> None:
        self._write(text, self.partial_format)

    @Slot(int, str)
    def add_phrase(self, index: int, text: str) -> None:
        self._write(text + "\n", QTextCharFormat())

    @Slot(int, str)
    def add_translation(self, index: int, text: str) -> None:
        self.panel.target_edit.appendPlainText(text)

    def partial_text(self) -> str:
        if self._partial_from < 0:
            return ""
        return self.panel.source_edit.toPlainText()[self._partial_from :]

    @Slot()
    def clear(self) -> None:
        self._partial_from = -1
        self.panel.source_edit.blockSignals(True)
        self.panel.source_edit.clear()
        self.panel.source_edit.blockSignals(False)
        self.panel.target_edit.clear()


class SubtitleWindow(QWidget):
    """Frameless, always on top, resizable: the last two translated lines in a large font, light on
    dark, readable across a room. Drag anywhere to move; the corner grip resizes."""

    def __init__(self, parent: QWidget | None = None, *, point_size: int = 32):
        flags = Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
        super().__init__(parent, flags)
        self.setObjectName("subtitleWindow")
        self.setAccessibleName("Live subtitles")
        self.setStyleSheet("#subtitleWindow { background: #111; } QLabel { color: #fff; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        font = QFont(self.font())
        font.setPointSize(point_size)
        font.setBold(True)
        self._labels = [self._line(font, f"Subtitle line {i + 1}") for i in range(2)]
        grip_row = QHBoxLayout()
        grip_row.addStretch(1)
        grip_row.addWidget(QSizeGrip(self))
        layout = QVBoxLayout(self)
        for label in self._labels:
            layout.addWidget(label)
        layout.addLayout(grip_row)
        self._drag_from: QPoint | None = None
        self.resize(900, 2 * point_size * 3)

    def _line(self, font: QFont, name: str) -> QLabel:
        label = QLabel(wordWrap=True, accessibleName=name)
        label.setFont(font)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return label

    @Slot(int, str)
    def add_translation(self, index: int, text: str) -> None:
        self.add_line(text)

    def add_line(self, text: str) -> None:
        self._labels[0].setText(self._labels[1].text())
        self._labels[1].setText(text)

    def lines(self) -> list[str]:
        return [label.text() for label in self._labels if label.text()]

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._drag_from = event.globalPosition().toPoint() - self.frameGeometry().topLeft()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None:
            self.move(event.globalPosition().toPoint() - self._drag_from)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag_from = None


class LiveBar(QWidget):
    """In the voice dock: the Live translate toggle, continuous/hold choice, subtitles toggle."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.liveButton = QPushButton("Live translate", checkable=True, objectName="liveTranslate")
        self.liveButton.setAccessibleName("Live translate")
        self.modeBox = QComboBox(accessibleName="Live translate mode")
        self.modeBox.addItem("Continuous (cut at pauses)", CONTINUOUS)
        self.modeBox.addItem("While F9 is held", HOLD)
        self.subtitlesButton = QPushButton("Subtitles", checkable=True, objectName="liveSubtitles")
        self.subtitlesButton.setAccessibleName("Show subtitle window")
        self.statusLabel = QLabel(accessibleName="Live translate status")
        self.statusLabel.setStyleSheet("color: gray;")
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 0)
        for widget in (self.liveButton, self.modeBox, self.subtitlesButton):
            row.addWidget(widget)
        row.addWidget(self.statusLabel, 1)

    @property
    def mode(self) -> str:
        return self.modeBox.currentData()


class LiveMode(QObject):
    """Live translate wired into the main window: the controller, the panel writer, the subtitle window
    and the live bar (added to the voice dock). ``set_on`` is the one toggle slot (menu and button)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        services = window.services
        self.controller = LiveTranslateController(
            services.worker,
            self._create_speech_engine,
            window.translation_panel.catalog,
            CaptureConfig(device=services.settings.speech.input_device or None),
            engine_key="live:" + window._speech_key(),
            parent=self,
        )
        self.writer = PanelWriter(window.translation_panel, self)
        self.writer.connect_to(self.controller)
        self.subtitles = SubtitleWindow(window)
        self.controller.translated.connect(self.subtitles.add_translation)
        self.bar = LiveBar()
        window.voice_dock.widget().layout().addWidget(self.bar)
        self.bar.liveButton.toggled.connect(self.set_on)
        self.bar.subtitlesButton.toggled.connect(self.subtitles.setVisible)
        self.controller.runningChanged.connect(self._on_running)
        self.controller.error.connect(window.show_message)
        self.controller.latency.connect(self._on_latency)
        self.action = None  # the window's Tools → Live Translate action, set by the window

    def _create_speech_engine(self):
        """Runs in the live lane."""
        from slm_desktop.engines.speech_select import choose_speech_engine
        from slm_desktop.live import live_speech_engine

        services = self.window.services
        return live_speech_engine(choose_speech_engine(services.settings.speech, services.paths))

    def speech_detects_language(self) -> bool:
        """Whisper says which language each phrase was in; PocketSphinx and Vosk models do not."""
        try:
            return self.window._speech_choice().engine == "whisper"
        except UserError:
            return False

    def _show_checked(self, on: bool) -> None:
        for toggle in (self.action, self.bar.liveButton):
            if toggle is not None:
                toggle.blockSignals(True)
                toggle.setChecked(on)
                toggle.blockSignals(False)

    @Slot(bool)
    def set_on(self, on: bool) -> None:
        """Continuous: listen now, cut at pauses. Hold: F9 drives live translation instead of dictation."""
        window = self.window
        self._show_checked(on)
        panel = window.translation_panel
        # "Detect language": the speech settings' language; "auto" there too: each phrase's route follows the
        # language the recogniser heard (Whisper), so Spanish speech goes through spa→eng into English
        source = panel.source_language if panel.source_language != "auto" else window.services.settings.speech.language
        self.controller.catalog = panel.catalog  # models installed since start-up count
        self.controller.detects_language = self.speech_detects_language()
        self.controller.set_languages(source, panel.target_language)
        window.ptt_key.controller = self.controller if on else window.speech
        if on:
            window.translation_dock.show()
            self.writer.clear()
            window.hold_suggestions("live", True)
            self.controller.start() if self.bar.mode == CONTINUOUS else self.controller.prepare()
        else:
            self.controller.stop()
            window.hold_suggestions("live", False)
        window.show_message("Live translate on" if on else "Live translate off")

    def close(self) -> None:
        """With the main window: stop listening and close the subtitles (a top-level window of their own)."""
        if self.controller.running:
            self.set_on(False)
        self.subtitles.close()

    @Slot(bool)
    def _on_running(self, running: bool) -> None:
        self.bar.statusLabel.setText("listening…" if running else "")
        if not running and self.bar.mode == CONTINUOUS and self.action is not None and self.action.isChecked():
            self.set_on(False)  # the stream ended (file, error): the toggle says so

    @Slot(float)
    def _on_latency(self, ms: float) -> None:
        self.window.show_figure("live", f"live {ms:.0f} ms")
