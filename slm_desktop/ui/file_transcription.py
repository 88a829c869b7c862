"""File → Transcribe Audio File (or an audio file dropped on the editor): a recording becomes text at the cursor.
File → Transcribe to Subtitles: the same run writes an SRT or WebVTT file beside the recording instead.

It runs on a lane of its own with its own copy of the speech engine, dropped when the file is done: push-to-
talk records inside its lane's job, so an hour of audio on the "speech" lane would leave the user's next
utterance unheard until it ended. The text goes where the cursor was when the file was chosen (a QTextCursor
follows later edits), as one undo step; the user's own cursor is not moved.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton, QWidget

from slm_desktop.engines.base import Word
from slm_desktop.errors import UserError
from slm_desktop.transcription import AUDIO_SUFFIXES, clock
from slm_desktop.worker import Job, JobContext, Worker

log = logging.getLogger(__name__)

TRANSCRIBE_LANE = "transcribe-file"
TRANSCRIBE_KIND = "transcribe-file"
UNKNOWN_LENGTH = -1.0  # progress when the container does not say how long it is
NAME_WIDTH_PX = 220
AUDIO_FILTER = f"Audio and video ({' '.join(f'*{s}' for s in sorted(AUDIO_SUFFIXES))});;All files (*)"
SUBTITLE_FILTERS = {"SubRip subtitles (*.srt)": ".srt", "WebVTT subtitles (*.vtt)": ".vtt"}


@dataclass(frozen=True)
class FileTranscript:
    path: Path
    text: str  # paragraphs at the speaker's pauses
    audio_seconds: float
    seconds: float  # wall-clock, load included
    language: str
    subtitles: Path | None = None  # the SRT/WebVTT file written instead of text for the editor
    cues: int = 0


def subtitle_path(name: str, chosen_filter: str) -> Path:
    """The file the save dialog chose, with the suffix of its filter when the user typed none."""
    path = Path(name)
    if path.suffix.lower() in SUBTITLE_FILTERS.values():
        return path
    return path.with_name(path.name + SUBTITLE_FILTERS.get(chosen_filter, ".srt"))


def write_subtitles(words: tuple[Word, ...], target: Path) -> int:
    """SRT, or WebVTT for a .vtt name, written whole or not at all (a cut file would lose the cues after the
    cut without a word of warning); returns the number of cues."""
    from slm_desktop.atomic import atomic_write_bytes
    from slm_desktop.subtitles import cues, srt_text, vtt_text

    if not words:
        raise UserError("no subtitles: the speech engine gave no word times for this recording")
    found = cues(words)
    text = (vtt_text if target.suffix.lower() == ".vtt" else srt_text)(found)
    try:
        atomic_write_bytes(target, text.encode("utf-8"))
    except OSError as exc:
        raise UserError(f"could not save the subtitles to {target}: {exc.strerror or exc}") from None
    return len(found)


def transcription_job(
    path: Path, engine_key: str, factory: Callable[[], Any], *, subtitles: Path | None = None
) -> Callable[[JobContext], Any]:
    def job(ctx: JobContext) -> FileTranscript:
        from slm_desktop.audio.decode import probe
        from slm_desktop.transcription import as_paragraphs, transcribe_file

        started = time.perf_counter()
        length = probe(path).seconds  # a bad file fails here, in one line, before the model loads
        ctx.progress(0.0 if length else UNKNOWN_LENGTH)
        engine = ctx.engine(engine_key, factory)
        try:
            transcript = transcribe_file(
                engine,
                path,
                on_audio=lambda done: ctx.progress(min(done / length, 1.0) if length else UNKNOWN_LENGTH),
                cancel=ctx.token,
            )
        finally:
            ctx.drop_engine(engine_key)  # its memory is held only while a file is transcribed
        text = as_paragraphs(transcript)
        written = write_subtitles(transcript.words, subtitles) if subtitles is not None and text else 0
        return FileTranscript(
            path,
            text,
            transcript.audio_seconds,
            time.perf_counter() - started,
            transcript.language,
            subtitles if written else None,
            written,
        )

    return job


def joined_to(cursor: QTextCursor, text: str) -> str:
    """A space before the transcript when it lands right after a word."""
    before = cursor.document().characterAt(cursor.position() - 1) if cursor.position() > 0 else ""
    return text if not before or before.isspace() else " " + text  # isspace() covers Qt's U+2029


class TranscriptionProgress(QWidget):
    """The status bar's "Transcribing interview.mp3  [#####   ] 42 %  Cancel" while a file runs."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 100)
        self.bar.setMaximumWidth(160)
        self.bar.setAccessibleName("Transcription progress")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAccessibleName("Cancel the transcription")
        for widget in (self.label, self.bar, self.cancel_button):
            row.addWidget(widget)
        self.hide()

    def show_file(self, name: str) -> None:
        """A long file name is cut in the middle (the bar shares its width with messages); whole in the tooltip."""
        shown = self.label.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, NAME_WIDTH_PX)
        self.label.setText(f"Transcribing {shown}")
        self.label.setToolTip(name)
        self.bar.setRange(0, 100)
        self.bar.setValue(0)
        self.show()

    def set_fraction(self, fraction: float) -> None:
        if fraction < 0:
            self.bar.setRange(0, 0)  # Qt's busy indicator
        else:
            self.bar.setRange(0, 100)
            self.bar.setValue(round(fraction * 100))


class FileTranscriber(QObject):
    """One file at a time; `engine()` gives the (key, factory) of the speech engine the settings choose now."""

    message = Signal(str)
    done = Signal(object)  # FileTranscript, after its text is in the editor

    def __init__(
        self,
        worker: Worker,
        editor: QPlainTextEdit,
        engine: Callable[[], tuple[str, Callable[[], Any]]],
        progress: TranscriptionProgress,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.worker, self.editor, self._engine, self.progress = worker, editor, engine, progress
        self._job: Job | None = None
        self._path: Path | None = None
        self._anchor: QTextCursor | None = None
        progress.cancel_button.clicked.connect(self.cancel)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)

    def busy(self) -> bool:
        return self._job is not None

    def transcribe(self, path: Path, *, subtitles: Path | None = None) -> bool:
        """Text at the cursor, or with `subtitles` an SRT/WebVTT file there and the editor left alone."""
        if self._job is not None:
            self.message.emit(f"Still transcribing {self._path.name}; cancel it first (the Cancel button below)")
            return False
        key, factory = self._engine()
        self._path = Path(path)
        self._anchor = QTextCursor(self.editor.document())
        self._anchor.setPosition(self.editor.textCursor().selectionEnd())
        self._job = self.worker.submit(
            TRANSCRIBE_KIND,
            transcription_job(self._path, "file:" + key, factory, subtitles=subtitles),
            lane=TRANSCRIBE_LANE,
        )
        self.progress.show_file(self._path.name)
        return True

    @Slot()
    def cancel(self) -> None:
        if self._job is not None:
            self.worker.cancel(self._job)

    def _mine(self, job_id: int) -> bool:
        return self._job is not None and job_id == self._job.id

    def _end(self) -> None:
        self._job = None
        self.progress.hide()

    @Slot(int, str, object)
    def _on_progress(self, job_id: int, _kind: str, value: Any) -> None:
        if self._mine(job_id) and isinstance(value, float):
            self.progress.set_fraction(value)

    @Slot(int, str, object)
    def _on_finished(self, job_id: int, _kind: str, result: Any) -> None:
        if not self._mine(job_id):
            return
        self._end()
        if not result.text:
            self.message.emit(f"No speech heard in {result.path.name} ({clock(result.audio_seconds)} of audio)")
            return
        if result.subtitles is not None:
            self.message.emit(
                f"Saved {result.cues} subtitles for {result.path.name} ({clock(result.audio_seconds)} of audio) "
                f"to {result.subtitles.name}"
            )
            self.done.emit(result)
            return
        cursor = self._anchor
        cursor.beginEditBlock()
        cursor.insertText(joined_to(cursor, result.text))
        cursor.endEditBlock()
        words = len(result.text.split())
        self.message.emit(
            f"Transcribed {result.path.name}: {words} words from {clock(result.audio_seconds)} of audio in "
            f"{clock(result.seconds)} (Ctrl+Z takes it out)"
        )
        self.done.emit(result)

    @Slot(int, str, str)
    def _on_failed(self, job_id: int, _kind: str, _message: str) -> None:
        """The window shows every job's failure line ("memo.mp3: not a readable audio file …")."""
        if self._mine(job_id):
            self._end()

    @Slot(int, str)
    def _on_cancelled(self, job_id: int, _kind: str) -> None:
        if self._mine(job_id):
            self._end()
            self.message.emit(f"Transcription of {self._path.name} cancelled")
