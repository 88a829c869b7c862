"""Push-to-talk in the real main window that cannot get stuck, and a microphone that is closed while idle.

F9 goes through the window's application-wide key filter; audio comes from a librivox WAV standing in
for the microphone (real PocketSphinx) or, where the timing of a decode matters, from a fake engine
whose finish() waits for the test. Focus loss is real: another top-level window is activated.
"""

from __future__ import annotations

import subprocess
import threading

import pytest
import speech_support
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget
from qt_support import dispose
from speech_support import librivox_references

from slm_desktop import app as app_module
from slm_desktop.audio.capture import Chunk
from slm_desktop.audio.ptt import WavSource
from slm_desktop.engines.base import Transcript


def clip(suffix: str = "0930.wav"):
    return next(w for w in librivox_references() if w.name.endswith(suffix))


class Recorder:
    """Counts the controller's signals."""

    def __init__(self, controller):
        self.started, self.stopped, self.dictated, self.notices, self.finals = 0, 0, [], [], []
        controller.recordingStarted.connect(self._started)
        controller.recordingStopped.connect(self._stopped)
        controller.dictated.connect(self.dictated.append)
        controller.notice.connect(self.notices.append)
        controller.final.connect(self.finals.append)

    def _started(self):
        self.started += 1

    def _stopped(self):
        self.stopped += 1


class SilentSource:
    """A microphone that delivers 20 ms of silence per read; counts opens and closes through its factory."""

    def __init__(self, log: list[str]):
        self._log = log
        log.append("open")

    def preroll(self, pressed_at=None) -> Chunk:
        return Chunk(b"", 0.0)

    def read(self, timeout: float = 0.05) -> Chunk | None:
        threading.Event().wait(0.02)
        return Chunk(bytes(640), 0.0)

    def close(self) -> None:
        self._log.append("close")


class GatedEngine:
    """finish() blocks until the test opens the gate: a long decode, on demand."""

    name, model, sample_rate = "gated", "fake", 16000

    def __init__(self):
        self.gate = threading.Event()
        self.finishing = threading.Event()
        self.contexts: list[str] = []

    def start(self, *, grammar=None, context=""):
        self.contexts.append(context)
        return _GatedUtterance(self)

    def close(self):
        self.gate.set()


class _GatedUtterance:
    def __init__(self, engine: GatedEngine):
        self._engine = engine
        self._bytes = 0

    def accept(self, pcm: bytes, *, preview: bool = True) -> str:
        self._bytes += len(pcm)
        return ""

    def finish(self) -> Transcript:
        self._engine.finishing.set()
        self._engine.gate.wait(30)
        self._engine.finishing.clear()
        return Transcript(f"utterance {len(self._engine.contexts)}", audio_seconds=self._bytes / 32000, language="en")


def press_f9(qtbot, window, *, autorepeat: bool = False) -> None:
    if autorepeat:
        event = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_F9, Qt.KeyboardModifier.NoModifier, "", True)
        QApplication.sendEvent(window.editor, event)
    else:
        qtbot.keyPress(window.editor, Qt.Key.Key_F9)


def activate_another_window(qtbot) -> QWidget:
    other = QWidget()
    other.setWindowTitle("another application")
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is other.windowHandle(), timeout=5000)
    return other


def focus_main(qtbot, window) -> None:
    window.activateWindow()
    window.editor.setFocus()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is window.windowHandle(), timeout=5000)


def test_focus_loss_while_holding_f9_ends_the_utterance_and_types_it(qtbot, window):
    window.speech.source_factory = lambda capture: WavSource(clip(), realtime=True)
    focus_main(qtbot, window)
    seen = Recorder(window.speech)
    press_f9(qtbot, window)
    qtbot.waitUntil(lambda: bool(window.voice_bar.partialLabel.text()), timeout=60_000)  # audio is flowing
    assert window.speech.recording

    activate_another_window(qtbot)  # Alt+Tab with F9 still down: its release goes to the other window
    assert not window.speech.recording and seen.stopped == 1
    qtbot.waitUntil(lambda: bool(seen.dictated), timeout=60_000)
    assert window.editor.toPlainText().lower().startswith("he"), window.editor.toPlainText()
    assert not window.speech.active


def test_the_maximum_utterance_length_ends_it_with_a_message(qtbot, window):
    window.services.update_settings("speech", "max_utterance_seconds", 1)
    window.settings_changed()
    window.speech.source_factory = lambda capture: WavSource(clip())  # 3.2 s, delivered as fast as read
    seen = Recorder(window.speech)
    press_f9(qtbot, window)
    qtbot.waitUntil(lambda: bool(seen.dictated), timeout=60_000)  # F9 is still held

    assert seen.notices == ["Stopped at the 1 s limit (Settings → Speech)"]
    assert "1 s limit" in window.statusBar().currentMessage()
    assert window.voice_bar.statusLabel.text().startswith("Stopped at the 1 s limit")
    assert not window.speech.recording and seen.stopped == 1
    assert seen.finals[0].audio_seconds == pytest.approx(1.0, abs=0.02)
    assert window.editor.toPlainText()  # what was said up to the limit is typed, not dropped
    press_f9(qtbot, window, autorepeat=True)  # the key, still held, repeats: nothing starts
    qtbot.keyRelease(window.editor, Qt.Key.Key_F9)
    assert seen.started == 1 and not window.speech.active


def test_a_press_while_the_last_utterance_decodes_starts_the_next(qtbot, window):
    engine = GatedEngine()
    window.speech.setEngine(lambda: engine, "speech:gated")
    window.speech.source_factory = lambda capture: SilentSource([])
    seen = Recorder(window.speech)
    press_f9(qtbot, window)
    qtbot.keyRelease(window.editor, Qt.Key.Key_F9)
    assert engine.finishing.wait(20)  # the first utterance is decoding

    press_f9(qtbot, window)
    assert window.speech.recording and seen.started == 2  # not dropped as if it were auto-repeat
    press_f9(qtbot, window, autorepeat=True)  # auto-repeat of the held key is still ignored
    assert seen.started == 2
    engine.gate.set()
    qtbot.waitUntil(lambda: len(seen.dictated) == 1, timeout=10_000)
    assert window.speech.recording  # the second one is still being heard
    qtbot.keyRelease(window.editor, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: len(seen.dictated) == 2, timeout=10_000)
    assert seen.dictated == ["utterance 1", "utterance 2"]
    assert len(engine.contexts) == 2 and not window.speech.active


def test_the_microphone_is_closed_while_idle_and_while_unfocused(qtbot, window):
    opened: list[str] = []
    window.speech.source_factory = lambda capture: SilentSource(opened)
    window.speech.setEngine(GatedEngine, "speech:gated")
    window.speech.idle_close_ms = 300
    focus_main(qtbot, window)
    window.start_background()  # as the app does after showing the window
    qtbot.waitUntil(lambda: opened == ["open"], timeout=10_000)  # focused: open, for the pre-roll
    qtbot.waitUntil(lambda: opened == ["open", "close"], timeout=10_000)  # nobody talked: closed again
    assert not window.speech.microphone_open

    activate_another_window(qtbot)
    focus_main(qtbot, window)
    qtbot.waitUntil(lambda: opened[-1] == "open" and window.speech.microphone_open, timeout=10_000)
    activate_another_window(qtbot)  # focus lost: closed at once, not after the idle time
    window.speech.idle_close_ms = 60_000
    qtbot.waitUntil(lambda: opened[-1] == "close" and not window.speech.microphone_open, timeout=5_000)


virtual_mic = speech_support.virtual_mic  # the PulseAudio virtual-microphone fixture


def recording_streams(mic) -> int:
    """Streams recording from the PulseAudio server: what the desktop's "microphone in use" indicator shows."""
    listed = subprocess.run(["pactl", "list", "short", "source-outputs"], env=mic.env, capture_output=True, text=True)
    return len(listed.stdout.splitlines())


@pytest.fixture
def pulse_window(qtbot, app_paths, virtual_mic):
    """The real window with the virtual microphone as its input device (Settings → Speech → input device)."""
    app_paths.config_dir.mkdir(parents=True, exist_ok=True)
    app_paths.settings_file.write_text('[speech]\ninput_device = "pulse"\n', encoding="utf-8")
    win = app_module.create_window(app_paths)
    win.show()
    qtbot.waitExposed(win)
    yield win
    dispose(win)


def test_no_recording_stream_while_idle_or_unfocused(qtbot, pulse_window, virtual_mic):
    window, mic = pulse_window, virtual_mic
    window.speech.idle_close_ms = 1000
    focus_main(qtbot, window)
    window.start_background()
    qtbot.waitUntil(lambda: recording_streams(mic) == 1, timeout=60_000)  # focused: open for the pre-roll
    qtbot.waitUntil(lambda: recording_streams(mic) == 0, timeout=60_000)  # idle: the stream is closed

    press_f9(qtbot, window)
    qtbot.waitUntil(lambda: recording_streams(mic) == 1, timeout=60_000)  # a press opens it
    player = mic.play(clip())
    qtbot.waitUntil(lambda: player.poll() is not None, timeout=30_000)
    with qtbot.waitSignal(window.speech.dictated, timeout=60_000):
        qtbot.keyRelease(window.editor, Qt.Key.Key_F9)
    assert window.editor.toPlainText().lower().startswith("he might"), window.editor.toPlainText()
    qtbot.waitUntil(lambda: recording_streams(mic) == 0, timeout=60_000)  # closed after the idle time

    focus_main(qtbot, window)
    activate_another_window(qtbot)
    window.speech.idle_close_ms = 600_000
    focus_main(qtbot, window)
    qtbot.waitUntil(lambda: recording_streams(mic) == 1, timeout=60_000)
    activate_another_window(qtbot)  # focus lost: closed at once
    qtbot.waitUntil(lambda: recording_streams(mic) == 0, timeout=10_000)


def test_speech_settings_are_offered_remembered_and_applied(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QComboBox, QDialog, QLineEdit, QSpinBox

    from slm_desktop.config import load_settings
    from slm_desktop.ui.settings_dialog import SettingsDialog

    def accept_with_changes(dialog):
        engine, language = dialog._editors[("speech", "engine")], dialog._editors[("speech", "language")]
        assert [engine.itemText(i) for i in range(engine.count())] == ["auto", "whisper", "pocketsphinx", "vosk"]
        assert isinstance(language, QComboBox) and language.findText("auto") == 0 and language.findText("es") > 0
        engine.setCurrentText("pocketsphinx")
        language.setCurrentText("auto")
        words = dialog._editors[("speech", "custom_words")]
        assert isinstance(words, QLineEdit) and words.placeholderText()
        words.setText("Siobhan, kubectl")
        dialog._editors[("speech", "whisper_model")].setText("whisper-tiny.en")
        length = dialog._editors[("speech", "max_utterance_seconds")]
        assert isinstance(length, QSpinBox) and length.value() == 60
        length.setValue(20)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", accept_with_changes)
    window.action("settings").trigger()
    speech = load_settings(window.services.paths.settings_file).settings.speech
    assert (speech.engine, speech.language, speech.custom_words) == ("pocketsphinx", "auto", "Siobhan, kubectl")
    assert (speech.whisper_model, speech.max_utterance_seconds) == ("whisper-tiny.en", 20)
    assert window.speech.max_seconds == 20  # applied at once
    assert window.speech.engine_key.startswith("speech:pocketsphinx")
