"""The voice bar and its push-to-talk controller (Qt side; no inference library imported here).

The controller turns press()/release() (F9 or the hold-to-talk button) into one job on the
worker's "speech" lane: the lane holds the microphone (open only around use, for the pre-roll)
and the loaded engine, and streams partial text and levels back as signals on the GUI thread.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from slm_desktop.audio.capture import CaptureConfig, Microphone
from slm_desktop.audio.ptt import AudioSource, PushToTalkSession, SessionResult
from slm_desktop.commands.dictation import SCRATCH, UNDO, plan_dictation
from slm_desktop.errors import AudioError
from slm_desktop.languages import language_name
from slm_desktop.ui.plain_text import plain, span, text_between
from slm_desktop.worker import JobContext, Worker

log = logging.getLogger(__name__)

DICTATION, COMMAND = "dictation", "command"
LANE = "speech"
MIC_OPEN, MIC_CLOSE = "microphone-open", "microphone-close"
MIC_KEY_PREFIX = "microphone:"  # lane engine keys of input streams (not models: the status bar skips them)
MIC_IDLE_CLOSE_MS = 10_000  # the stream closes this long after the last utterance
BEFORE_CURSOR_CHARS = 4_096  # more than dictation's rules and Whisper's prompt (200 characters) look at


@dataclass
class _Pending:
    """One utterance from press to final text (recording, then decoding)."""

    session: PushToTalkSession
    mode: str


class PushToTalkController(QObject):
    """press()/release() → one job per utterance on the "speech" lane.

    It cannot get stuck: the window calls release() when it loses focus (the key's release then goes
    to another window), a session ends itself after ``max_seconds`` with a ``notice``, and a press
    while the previous utterance still decodes starts the next one (queued behind it on the lane; the
    microphone keeps buffering meanwhile). Only a press while one is being recorded is ignored
    (auto-repeat, or the key and the button together).

    The microphone is opened by the first press or by ``openMicrophone()`` (the window calls it when
    it gains focus, so the next press has its pre-roll), and closed ``idle_close_ms`` after the last
    utterance or at once by ``closeMicrophone()`` (focus lost): the desktop's "microphone in use"
    indicator is off while nobody talks.
    """

    partial = Signal(str)
    final = Signal(object)  # engines.base.Transcript
    dictated = Signal(str)  # final text in dictation mode: insert at the cursor
    commanded = Signal(object)  # the Transcript in command mode: to the intent pipeline (its n-best too)
    level = Signal(float)  # 0..1 RMS of the latest audio
    error = Signal(str)
    notice = Signal(str)  # one line for the user that is not an error (the length limit was reached)
    figures = Signal(dict)  # rtf, audio_seconds, decode_seconds, release_to_final_ms, first_partial_ms
    recordingStarted = Signal()
    recordingStopped = Signal()
    microphoneChanged = Signal(bool)  # the input stream was opened (True) or closed (False)

    def __init__(
        self,
        worker: Worker,
        engine_factory: Callable[[], Any],
        capture: CaptureConfig | None = None,
        *,
        engine_key: str = "speech",
        source_factory: Callable[[CaptureConfig], AudioSource] = Microphone,
        max_seconds: float = 0.0,
        idle_close_ms: int = MIC_IDLE_CLOSE_MS,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._worker = worker
        self._engine_factory = engine_factory
        self.engine_key = engine_key
        self._capture = capture or CaptureConfig()
        self.source_factory = source_factory  # tests and the bench put a WavSource here
        self.max_seconds = max_seconds  # 0: no limit
        self.context_provider: Callable[[str], str] = lambda mode: ""  # the engine's prompt, read at press
        self._mode = DICTATION
        self._grammar: tuple[str, ...] = ()
        self._pending: dict[int, _Pending] = {}
        self._recording: int = 0  # job id of the utterance being recorded; 0: none
        self._mic_open = False  # set in the lane, read on the GUI thread
        self._mic_error = ""
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(idle_close_ms)
        self._idle.timeout.connect(self._on_idle)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def active(self) -> bool:
        """An utterance is being recorded or decoded."""
        return bool(self._pending)

    @property
    def recording(self) -> bool:
        return self._recording != 0

    @property
    def microphone_open(self) -> bool:
        return self._mic_open

    @property
    def idle_close_ms(self) -> int:
        return self._idle.interval()

    @idle_close_ms.setter
    def idle_close_ms(self, ms: int) -> None:
        self._idle.setInterval(ms)

    @Slot(str)
    def setMode(self, mode: str) -> None:
        if mode not in (DICTATION, COMMAND):
            raise ValueError(f"unknown voice mode {mode!r}")
        self._mode = mode

    def setCommandGrammar(self, phrases: Sequence[str]) -> None:
        """Phrases the command mode may restrict recognition to; empty: free recognition."""
        self._grammar = tuple(phrases)

    def setEngine(self, engine_factory: Callable[[], Any], engine_key: str) -> None:
        """A changed engine, model or language applies from the next press (the lane caches by key)."""
        self._engine_factory = engine_factory
        self.engine_key = engine_key

    @property
    def _mic_key(self) -> str:
        return f"{MIC_KEY_PREFIX}{self._capture.device}"

    @Slot()
    def prepare(self) -> None:
        """Load the engine ahead of the first press (the microphone opens with openMicrophone or a press)."""
        self._worker.submit("speech-prepare", self._prepare_job, lane=LANE)

    def _prepare_job(self, ctx: JobContext) -> None:
        ctx.engine(self.engine_key, self._engine_factory)

    # ------------------------------------------------------------ the microphone

    @Slot()
    def openMicrophone(self) -> None:
        """Open the input stream now, so the next press has its pre-roll; it closes again when idle.
        After a failure it is left to the next press to try again (no message at every focus change)."""
        if not self._mic_error:
            self._worker.submit(MIC_OPEN, self._open_job, lane=LANE)

    @Slot()
    def closeMicrophone(self) -> None:
        """Close the input stream once the utterances in flight are done (queued behind them on the lane)."""
        self._idle.stop()
        self._worker.submit(MIC_CLOSE, self._close_job, lane=LANE)

    def _open_job(self, ctx: JobContext) -> None:
        self._source(ctx)

    def _close_job(self, ctx: JobContext) -> None:
        ctx.drop_engine(self._mic_key)
        if self._mic_open:
            self._mic_open = False
            ctx.progress(("microphone", False))

    def _source(self, ctx: JobContext) -> AudioSource:
        """The open input stream (a lane engine, so only the speech lane's thread touches it)."""
        try:
            source = ctx.engine(self._mic_key, lambda: self.source_factory(self._capture))
        except AudioError:
            self._mic_open = False
            raise
        if not self._mic_open:
            self._mic_open = True
            ctx.progress(("microphone", True))
        return source

    def _idle_restart(self) -> None:
        self._idle.start()

    @Slot()
    def _on_idle(self) -> None:
        if self.active:
            self._idle.start()  # still talking or decoding: look again later
        else:
            self.closeMicrophone()

    # ------------------------------------------------------------ utterances

    @Slot()
    def press(self) -> None:
        if self._recording:
            return  # auto-repeat of a held key, or the key and the button together
        session = PushToTalkSession(max_seconds=self.max_seconds, rate=self._capture.target_rate)
        mode = self._mode
        grammar = self._grammar if mode == COMMAND and self._grammar else None
        context = self.context_provider(mode)
        self._idle.stop()
        job = self._worker.submit("push-to-talk", lambda ctx: self._run(ctx, session, grammar, context), lane=LANE)
        self._pending[job.id] = _Pending(session, mode)
        self._recording = job.id
        self.recordingStarted.emit()

    def _run(self, ctx: JobContext, session: PushToTalkSession, grammar, context: str) -> SessionResult:
        try:
            source = self._source(ctx)
            engine = ctx.engine(self.engine_key, self._engine_factory)
            return session.run(
                source,
                engine.start(grammar=grammar, context=context),
                on_partial=lambda text: ctx.progress(("partial", text)),
                on_level=lambda value: ctx.progress(("level", value)),
                on_limit=lambda seconds: ctx.progress(("limit", seconds)),
                cancel=ctx.token,
            )
        except AudioError:
            ctx.drop_engine(self._mic_key)  # reopened on the next press
            self._mic_open = False
            raise

    @Slot()
    def release(self) -> None:
        """End the utterance being recorded (key or button released, window lost focus); its decode goes on."""
        pending = self._pending.get(self._recording)
        if pending is not None:
            pending.session.release()
            self._stop_recording()

    def _stop_recording(self) -> None:
        self._recording = 0
        self.recordingStopped.emit()

    @Slot(int, str, object)
    def _on_progress(self, job_id: int, kind: str, value: object) -> None:
        if not isinstance(value, tuple):
            return
        what, payload = value
        if what == "microphone" and kind in (MIC_OPEN, MIC_CLOSE, "push-to-talk"):
            if payload and not self.active:
                self._idle_restart()  # opened ahead of a press: the idle time counts from now
            self.microphoneChanged.emit(payload)
        if job_id not in self._pending:
            return
        if what == "partial":
            self.partial.emit(payload)
        elif what == "level":
            self.level.emit(payload)
        elif what == "limit":
            if self._recording == job_id:
                self._stop_recording()
            self.notice.emit(self.tr("Stopped at the %d s limit (Settings → Speech)") % round(payload))

    @Slot(int, str, object)
    def _on_finished(self, job_id: int, kind: str, result: object) -> None:
        pending = self._pending.pop(job_id, None)
        if pending is None or not isinstance(result, SessionResult):
            return
        self._mic_error = ""
        if self._recording == job_id:  # the source ran dry before a release
            self._stop_recording()
        if not self._pending:
            self._idle_restart()
        transcript = result.transcript
        self.final.emit(transcript)
        if pending.mode == DICTATION:
            self.dictated.emit(transcript.text)
        else:
            self.commanded.emit(transcript)
        self.figures.emit(
            {
                "rtf": transcript.rtf,
                "audio_seconds": transcript.audio_seconds,
                "decode_seconds": transcript.decode_seconds,
                "release_to_final_ms": result.release_to_final_ms,
                "first_partial_ms": result.first_partial_ms,
                "language": transcript.language,
            }
        )

    @Slot(int, str, str)
    def _on_failed(self, job_id: int, kind: str, message: str) -> None:
        if kind == MIC_OPEN:
            self._mic_error = message
            self.error.emit(message)
        elif kind == "speech-prepare":
            self.error.emit(message)
        elif job_id in self._pending:
            self._end(job_id)
            self.error.emit(message)

    @Slot(int, str)
    def _on_cancelled(self, job_id: int, kind: str) -> None:
        if job_id in self._pending:
            self._end(job_id)

    def _end(self, job_id: int) -> None:
        pending = self._pending.pop(job_id)
        pending.session.release()
        if self._recording == job_id:
            self._stop_recording()


def language_label(code: str) -> str:
    """'es' -> 'Spanish (es)' for the voice bar; an unknown code stays as it is."""
    name = language_name(code)
    return f"{name} ({code})" if name != code else code


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
        self.languageLabel = QLabel()  # the language of the last utterance, as the recogniser heard it
        self.languageLabel.setObjectName("speechLanguage")
        self.languageLabel.setAccessibleName("Language heard")
        self._notice = ""
        self._layout()
        self._connect()

    def _layout(self) -> None:
        row = QHBoxLayout()
        row.addWidget(self.talkButton)
        row.addWidget(self.meter)
        row.addWidget(self.modeBox)
        row.addWidget(self.languageLabel)
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
        c.notice.connect(self._on_notice)
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
        if transcript.language:
            self.languageLabel.setText(language_label(transcript.language))
            self.languageLabel.setToolTip(self.tr("Language of the last utterance: %s") % transcript.language)

    @Slot(float)
    def _on_level(self, level: float) -> None:
        self.meter.setValue(meter_percent(level))

    @Slot(str)
    def _on_error(self, message: str) -> None:
        self.statusLabel.setText(message)
        self.meter.setValue(0)

    @Slot(str)
    def _on_notice(self, message: str) -> None:
        self._notice = message
        self.statusLabel.setText(message)

    @Slot(dict)
    def _on_figures(self, figures: dict) -> None:
        if self.controller.recording:
            return  # the next utterance is being heard: keep saying so
        text = self.tr("%.1f s audio, RTF %.2f, %.0f ms after release") % (
            figures["audio_seconds"],
            figures["rtf"],
            figures["release_to_final_ms"],
        )
        self.statusLabel.setText(f"{self._notice} · {text}" if self._notice else text)
        self._notice = ""

    @Slot()
    def _on_recording_started(self) -> None:
        self.talkButton.setDown(True)
        self._notice = ""
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


@dataclass
class _Dictated:
    cursor: QTextCursor  # selects the inserted text; Qt keeps it in place as the document changes
    text: str
    replaced: str  # what the insertion took the place of (a selection, a mark Whisper wrote)


class DictationWriter(QObject):
    """Applies dictated utterances to the editor (commands/dictation.py decides what each one does):
    text with spoken punctuation as one undo step; "scratch that" removes the last dictated utterance
    still in place (again: the one before it); "undo that" is Edit → Undo; words said after either are
    dictated once it is done. Returns one line for the status bar."""

    def __init__(self, editor, parent: QObject | None = None):
        super().__init__(parent)
        self.editor = editor
        self._history: list[_Dictated] = []

    def before_cursor(self) -> str:
        """The end of the text before the cursor: what punctuation and the recogniser's prompt look at."""
        position = self.editor.textCursor().selectionStart()
        return text_between(self.editor.document(), position - BEFORE_CURSOR_CHARS, position)

    def apply(self, heard: str) -> str:
        self.editor.clear_ghost()
        step = plan_dictation(self.before_cursor(), heard)
        if step.action not in (UNDO, SCRATCH):
            if step.text or step.remove_before:
                self._insert(step.text, step.remove_before)
            return ""
        if step.action == UNDO:
            self.editor.undo()
            said = self.tr("Undone")
        else:
            said = self._scratch()
        if step.rest:  # "Scratch that. Meet at one.": the words after the command, once it is done
            self.apply(step.rest)
        return said

    def _insert(self, text: str, remove_before: int) -> None:
        selected = self.editor.textCursor()
        cursor = self._span(selected.selectionStart() - remove_before, selected.selectionEnd())
        replaced, start = plain(cursor.selectedText()), cursor.selectionStart()
        self.editor.setTextCursor(cursor)
        self.editor.insert_as_one_step(text)  # replaces the selection, in one edit block
        # from where the insertion began: Qt counts UTF-16 units, so len(text) is short by one per emoji
        record = self._span(start, self.editor.textCursor().position())
        record.setKeepPositionOnInsert(True)  # typing right after it is not part of it
        self._history.append(_Dictated(record, text, replaced))

    def _scratch(self) -> str:
        while self._history:
            last = self._history.pop()
            if last.text and plain(last.cursor.selectedText()) == last.text:
                self.editor.clear_ghost()
                # a new cursor: the record keeps its position on insert, and an editor cursor copied from it
                # did too, so the next utterance came out selected and the one after replaced it (text lost)
                self.editor.setTextCursor(self._span(last.cursor.selectionStart(), last.cursor.selectionEnd()))
                self.editor.insert_as_one_step(last.replaced)
                return self.tr("Scratched: %s") % last.text.strip()
        return self.tr("Nothing dictated to scratch")

    def _span(self, start: int, end: int) -> QTextCursor:
        return span(self.editor.document(), start, end)
