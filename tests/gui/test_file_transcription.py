"""File → Transcribe Audio File and dropped files, in the real window through Whisper tiny.en (the model
set-up installs into models/) on librivox recordings."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QFileDialog
from qt_support import WorkerEvents, dispose
from speech_support import LIBRIVOX, librivox_references

from slm_desktop import app as app_module
from slm_desktop.bench.file import read_aloud
from slm_desktop.transcription import clock
from slm_desktop.ui.file_transcription import TRANSCRIBE_KIND, TRANSCRIBE_LANE

MODELS = Path(__file__).resolve().parents[2] / "models"
CLIP = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0930.wav"  # "he might even have been made amiable himself"
PASSAGE = ("0870", "0880", "0890")  # "… Dashwood …", "he was not an ill disposed young man", "unless … selfish …"
TIMEOUT_MS = 180_000


@pytest.fixture
def window(qtbot, app_paths):
    if not (MODELS / "whisper-tiny-en" / "model.bin").is_file():
        pytest.fail("whisper-tiny-en is missing: scripts/setup.sh installs it into models/")
    librivox_references()
    app_paths.config_dir.mkdir(parents=True, exist_ok=True)
    app_paths.settings_file.write_text(
        '[completion]\nenabled = false\n[speech]\nengine = "whisper"\nwhisper_model = "whisper-tiny-en"\n',
        encoding="utf-8",
    )
    win = app_module.create_window(app_paths)
    win.show()
    qtbot.waitExposed(win)
    yield win
    dispose(win)


def _passage_read_twice(path: Path) -> Path:
    """About 31 s: over one 28 s window, so progress has a step between 0 and 1."""
    return read_aloud([LIBRIVOX / f"sense_and_sensibility_01_austen_64kb-{n}.wav" for n in PASSAGE], path, times=2)


def _transcribe(qtbot, window, path: Path, events: WorkerEvents) -> list:
    figures_shown = []  # at each progress report (queued after the job's start): the live figures make room
    window.services.worker.progress.connect(lambda *_: figures_shown.append(window.status.figures_label.isVisible()))
    with events.waiting("finished", kind=TRANSCRIBE_KIND, timeout=TIMEOUT_MS) as got:
        assert window.transcribe_path(path)
        assert window.file_transcriber.progress.isVisible()
    assert figures_shown and not any(figures_shown)
    qtbot.waitUntil(lambda: window.status.figures_label.isVisible())
    return got.args


def test_a_recording_is_written_at_the_cursor_with_progress_and_undone_in_one_step(qtbot, window, tmp_path):
    recording = _passage_read_twice(tmp_path / "memo.wav")
    window.editor.setPlainText("Notes from the reading:\n\nEnd of notes.")
    cursor = window.editor.textCursor()
    cursor.setPosition(len("Notes from the reading:\n\n"))
    window.editor.setTextCursor(cursor)
    events = WorkerEvents(qtbot, window.services.worker)
    _transcribe(qtbot, window, recording, events)
    text = window.editor.toPlainText()
    assert text.startswith("Notes from the reading:\n\nAnd Mr. John Dashwood") and text.endswith("End of notes.")
    assert text.lower().count("young man") == 2 and text.lower().count("selfish") == 2
    fractions = [args[2] for args in events.args("progress", kind=TRANSCRIBE_KIND)]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any(0.0 < f < 1.0 for f in fractions) and fractions == sorted(fractions), fractions
    assert not window.file_transcriber.progress.isVisible()
    assert "Transcribed memo.wav" in window.statusBar().currentMessage()
    assert ("engineClosed", (TRANSCRIBE_LANE, f"file:{window._speech_choice().key}")) in events.seen
    window.editor.undo()
    assert window.editor.toPlainText() == "Notes from the reading:\n\nEnd of notes."


def test_text_typed_above_while_it_runs_does_not_move_where_the_transcript_lands(qtbot, window):
    window.editor.setPlainText("Heard:")
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    events = WorkerEvents(qtbot, window.services.worker)
    with events.waiting("finished", kind=TRANSCRIBE_KIND, timeout=TIMEOUT_MS):
        assert window.transcribe_path(CLIP)
        window.editor.moveCursor(QTextCursor.MoveOperation.Start)
        window.editor.insertPlainText("Monday. ")  # typed while the file is transcribed
    text = window.editor.toPlainText()
    assert text.startswith("Monday. Heard: ")
    assert "amiable himself" in text.lower(), text
    assert window.editor.textCursor().position() == len("Monday. ")  # the user's cursor stayed where it was


def test_cancel_stops_it_and_leaves_the_text_alone(qtbot, window, tmp_path):
    recording = read_aloud([CLIP], tmp_path / "long.wav", times=60)  # 3 min 17 s
    window.editor.setPlainText("keep me")
    events = WorkerEvents(qtbot, window.services.worker)
    assert window.transcribe_path(recording)
    qtbot.waitUntil(lambda: bool(events.args("progress", kind=TRANSCRIBE_KIND)), timeout=TIMEOUT_MS)
    with events.waiting("cancelled", kind=TRANSCRIBE_KIND, timeout=TIMEOUT_MS):
        qtbot.mouseClick(window.file_transcriber.progress.cancel_button, Qt.MouseButton.LeftButton)
    assert window.editor.toPlainText() == "keep me"
    assert not events.args("finished", kind=TRANSCRIBE_KIND)
    assert "cancelled" in window.statusBar().currentMessage()
    assert not window.file_transcriber.busy()


def test_a_file_that_is_not_audio_is_one_line_and_nothing_is_inserted(qtbot, window, tmp_path):
    fake = tmp_path / "fake.mp3"
    fake.write_bytes(b"ID3\x03\x00garbage" * 20)
    window.editor.setPlainText("keep me")
    events = WorkerEvents(qtbot, window.services.worker)
    with events.waiting("failed", kind=TRANSCRIBE_KIND, timeout=TIMEOUT_MS):
        assert window.transcribe_path(fake)
    message = window.statusBar().currentMessage()
    assert message.startswith("fake.mp3: not a readable audio file"), message
    assert "\n" not in message and window.editor.toPlainText() == "keep me"


def test_a_second_file_while_one_runs_is_refused_with_a_message(qtbot, window):
    events = WorkerEvents(qtbot, window.services.worker)
    with events.waiting("finished", kind=TRANSCRIBE_KIND, timeout=TIMEOUT_MS):
        assert window.transcribe_path(CLIP)
        assert not window.transcribe_path(CLIP)
        assert "Still transcribing" in window.statusBar().currentMessage()
    assert window.editor.toPlainText().lower().count("amiable") == 1


def test_silence_says_no_speech_and_inserts_nothing(qtbot, window, tmp_path):
    quiet = tmp_path / "quiet.wav"
    with wave.open(str(quiet), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000)
        out.writeframes(bytes(16000 * 2 * 5))
    events = WorkerEvents(qtbot, window.services.worker)
    with events.waiting("finished", kind=TRANSCRIBE_KIND, timeout=TIMEOUT_MS):
        assert window.transcribe_path(quiet)
    assert window.editor.toPlainText() == ""
    assert window.statusBar().currentMessage() == "No speech heard in quiet.wav (0:05 of audio)"


def _drop(window, mime: QMimeData) -> None:
    """What a file manager's drag does: enter (Qt delivers a drop only where the enter was accepted), drop."""
    viewport, buttons, keys = window.editor.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(viewport, QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, buttons, keys))


def _files(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def test_a_dropped_recording_is_transcribed_and_a_dropped_text_file_opens(qtbot, window, tmp_path):
    events = WorkerEvents(qtbot, window.services.worker)
    with events.waiting("finished", kind=TRANSCRIBE_KIND, timeout=TIMEOUT_MS):
        _drop(window, _files(CLIP))
    assert "amiable" in window.editor.toPlainText().lower()
    assert "file://" not in window.editor.toPlainText()
    window.editor.document().setModified(False)
    note = tmp_path / "note.txt"
    note.write_text("a dropped note", encoding="utf-8")
    _drop(window, _files(note))
    assert window.editor.toPlainText() == "a dropped note" and window.document.path == note


def test_dropped_text_that_is_not_a_file_is_still_the_editors(qtbot, window):
    mime = QMimeData()
    mime.setText("plain words")
    _drop(window, mime)
    assert "plain words" in window.editor.toPlainText()
    assert not window.file_transcriber.busy()


def test_open_with_on_a_recording_transcribes_it_into_the_unsaved_text_without_asking(qtbot, window, monkeypatch):
    """`slm-desktop memo.wav` (the desktop entry's Open With): the text already there is kept, so no question."""
    from PySide6.QtWidgets import QMessageBox

    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Cancel)
    qtbot.keyClicks(window.editor, "Unsaved words.")
    events = WorkerEvents(qtbot, window.services.worker)
    with events.waiting("finished", kind=TRANSCRIBE_KIND, timeout=TIMEOUT_MS):
        assert app_module.open_argument(window, CLIP)
    assert window.editor.toPlainText().startswith("Unsaved words. ") and "amiable" in window.editor.toPlainText()
    assert not asked


def test_a_long_file_name_is_cut_in_the_middle_in_the_status_bar(window):
    progress = window.file_transcriber.progress
    name = "2026-12-07 weekly planning meeting with the whole team (recording).m4a"
    progress.show_file(name)
    shown = progress.label.text().removeprefix("Transcribing ")
    assert "…" in shown and shown.startswith("2026-12-") and shown.endswith(".m4a") and len(shown) < len(name)
    assert progress.label.toolTip() == name


def _cue_times(subtitles: str) -> list[float]:
    """Each cue's start in seconds, from SRT (00:00:01,500) or WebVTT (00:00:01.500) time lines."""
    starts = []
    for line in subtitles.splitlines():
        if "-->" in line:
            hours, minutes, seconds = line.split("-->")[0].strip().replace(",", ".").split(":")
            starts.append(int(hours) * 3600 + int(minutes) * 60 + float(seconds))
    return starts


@pytest.mark.parametrize(
    ("typed", "chosen_filter", "written", "header"),
    [("memo", "SubRip subtitles (*.srt)", "memo.srt", "1\n00:00:0"), ("memo.vtt", "", "memo.vtt", "WEBVTT\n\n")],
)
def test_transcribe_to_subtitles_from_the_menu_writes_timed_cues_and_leaves_the_editor_alone(
    qtbot, window, tmp_path, monkeypatch, typed, chosen_filter, written, header
):
    recording = _passage_read_twice(tmp_path / "reading.wav")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(recording), ""))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / typed), chosen_filter))
    window.editor.setPlainText("keep me")
    events = WorkerEvents(qtbot, window.services.worker)
    with events.waiting("finished", kind=TRANSCRIBE_KIND, timeout=TIMEOUT_MS):
        window.findChild(QAction, "transcribe_subtitles").trigger()
    subtitles = (tmp_path / written).read_text(encoding="utf-8")
    assert subtitles.startswith(header), subtitles[:80]
    starts = _cue_times(subtitles)
    assert len(starts) >= 6 and starts == sorted(starts) and 25 < starts[-1] < 32, starts
    said = " ".join(subtitles.lower().split())  # a long cue is two lines
    assert said.count("young man") == 2 and said.count("selfish") == 2
    assert window.editor.toPlainText() == "keep me"
    with wave.open(str(recording)) as audio:
        length = clock(audio.getnframes() / audio.getframerate())
    message = window.statusBar().currentMessage()
    assert message == f"Saved {len(starts)} subtitles for reading.wav ({length} of audio) to {written}", message


def test_subtitles_that_cannot_be_saved_are_one_line_and_nothing_is_inserted(qtbot, window, tmp_path):
    target = tmp_path / "no-such-folder" / "clip.srt"
    window.editor.setPlainText("keep me")
    events = WorkerEvents(qtbot, window.services.worker)
    with events.waiting("failed", kind=TRANSCRIBE_KIND, timeout=TIMEOUT_MS):
        assert window.transcribe_path(CLIP, subtitles=target)
    message = window.statusBar().currentMessage()
    assert message == f"could not save the subtitles to {target}: No such file or directory", message
    assert window.editor.toPlainText() == "keep me" and not target.parent.exists()
    assert not window.file_transcriber.progress.isVisible() and not window.file_transcriber.busy()


def test_the_recording_dialog_opens_where_the_last_recording_was_chosen(qtbot, window, tmp_path, monkeypatch):
    folder = tmp_path / "Recordings"
    folder.mkdir()
    fake = folder / "memo.mp3"
    fake.write_bytes(b"ID3\x03\x00garbage" * 20)
    starts, answers = [], [str(fake), ""]

    def dialog(_parent, _title, start, _filter):
        starts.append(start)
        return answers.pop(0), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", dialog)
    documents_folder = window.services.settings.ui.last_directory
    events = WorkerEvents(qtbot, window.services.worker)
    with events.waiting("failed", kind=TRANSCRIBE_KIND, timeout=TIMEOUT_MS):
        window.findChild(QAction, "transcribe_file").trigger()
    window.findChild(QAction, "transcribe_subtitles").trigger()  # cancelled in the dialog: nothing runs
    assert starts[0] == (documents_folder or str(Path.home())) and starts[1] == str(folder)
    assert window.services.settings.ui.last_audio_directory == str(folder)
    assert window.services.settings.ui.last_directory == documents_folder
    assert not window.file_transcriber.busy()
