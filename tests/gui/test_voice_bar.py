"""VoiceBar + PushToTalkController through the real audio path and a real engine.

F9 is held on an editor, a librivox clip is played into the virtual microphone, F9 is released,
and the dictated text must land in the editor."""

from __future__ import annotations

import subprocess

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit
from qt_support import WorkerEvents
from speech_support import VirtualMic, librivox_references

from slm_desktop.audio.capture import CaptureConfig, refresh_devices
from slm_desktop.audio.ptt import WavSource
from slm_desktop.bench.wer import word_error_rate
from slm_desktop.engines.speech_select import SpeechChoice
from slm_desktop.ui.voice import COMMAND, PushToTalkController, PushToTalkKey, VoiceBar
from slm_desktop.worker import Worker


@pytest.fixture
def virtual_mic(monkeypatch):
    mic = VirtualMic()
    monkeypatch.setenv("PULSE_SERVER", mic.env["PULSE_SERVER"])
    mic.start()
    refresh_devices()
    yield mic
    mic.stop()
    monkeypatch.undo()
    refresh_devices()


@pytest.fixture
def voice(qtbot):
    worker = Worker()
    choice = SpeechChoice("pocketsphinx", None)
    controller = PushToTalkController(worker, choice.create, CaptureConfig(device="pulse"), engine_key=choice.key)
    bar = VoiceBar(controller)
    qtbot.addWidget(bar)
    yield controller, bar, worker
    worker.shutdown()


def _prepare(qtbot, controller, worker) -> None:
    """Load the engine and open the microphone, as the window does when it has focus (pre-roll)."""
    events = WorkerEvents(qtbot, worker)
    with events.waiting("finished", kind="speech-prepare", timeout=20000):
        controller.prepare()
    with events.waiting("finished", kind="microphone-open", timeout=20000):
        controller.openMicrophone()
    assert controller.microphone_open


def _play(qtbot, mic: VirtualMic, wav) -> None:
    player: subprocess.Popen = mic.play(wav)
    qtbot.waitUntil(lambda: player.poll() is not None, timeout=30000)
    assert player.returncode == 0


def test_hold_f9_speak_release_dictates_into_the_editor(qtbot, virtual_mic, voice):
    controller, bar, worker = voice
    editor = QPlainTextEdit()
    qtbot.addWidget(editor)
    key = PushToTalkKey(controller, Qt.Key.Key_F9, editor)
    editor.installEventFilter(key)
    controller.dictated.connect(editor.insertPlainText)
    partials: list[str] = []
    levels: list[float] = []
    controller.partial.connect(partials.append)
    controller.level.connect(levels.append)
    figure_log: list[dict] = []
    controller.figures.connect(figure_log.append)
    _prepare(qtbot, controller, worker)

    wav, reference = next((w, r) for w, r in librivox_references().items() if w.name.endswith("0930.wav"))
    qtbot.keyPress(editor, Qt.Key.Key_F9)
    assert controller.active and bar.statusLabel.text()
    _play(qtbot, virtual_mic, wav)
    errors: list[str] = []
    controller.error.connect(errors.append)
    qtbot.keyRelease(editor, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: bool(figure_log) or bool(errors), timeout=15000)
    assert not errors

    text = editor.toPlainText()
    assert text.startswith("he might even have been made"), text
    assert word_error_rate(reference, text) <= 0.5
    assert bar.finalLabel.text() == text
    assert partials and max(levels) > 0.01
    figures = figure_log[-1]
    assert figures["audio_seconds"] >= 3.0 and figures["release_to_final_ms"] >= 0
    assert not controller.active


def test_command_mode_button_hold_with_a_grammar(qtbot, virtual_mic, voice, tmp_path):
    from speech_support import synthesize

    controller, bar, worker = voice
    commands: list[str] = []
    controller.commanded.connect(lambda transcript: commands.append(transcript.text))
    controller.setCommandGrammar(["new note", "make the text bigger", "translate this into spanish"])
    bar.modeBox.setCurrentIndex(bar.modeBox.findData(COMMAND))
    assert controller.mode == COMMAND
    _prepare(qtbot, controller, worker)
    wav = synthesize("make the text bigger", tmp_path / "command.wav")

    qtbot.mousePress(bar.talkButton, Qt.MouseButton.LeftButton)
    _play(qtbot, virtual_mic, wav)
    with qtbot.waitSignal(controller.final, timeout=15000):
        qtbot.mouseRelease(bar.talkButton, Qt.MouseButton.LeftButton)
    assert commands == ["make the text bigger"]


def test_a_missing_microphone_is_an_error_signal_not_a_crash(qtbot):
    worker = Worker()
    choice = SpeechChoice("pocketsphinx", None)
    controller = PushToTalkController(worker, choice.create, CaptureConfig(device="no-such-mic"))
    bar = VoiceBar(controller)
    qtbot.addWidget(bar)
    try:
        with qtbot.waitSignal(controller.error, timeout=20000) as blocker:
            controller.press()
        assert "no-such-mic" in blocker.args[0]
        assert "no-such-mic" in bar.statusLabel.text()
        assert not controller.active
    finally:
        worker.shutdown()


def test_controller_with_a_wav_standing_in_for_the_microphone(qtbot):
    """Runs without PulseAudio: the controller/worker plumbing with the real PocketSphinx engine."""
    wav, reference = next((w, r) for w, r in librivox_references().items() if w.name.endswith("0880.wav"))
    source = WavSource(wav)
    worker = Worker()
    choice = SpeechChoice("pocketsphinx", None)
    controller = PushToTalkController(worker, choice.create, engine_key=choice.key, source_factory=lambda _c: source)
    bar = VoiceBar(controller)
    qtbot.addWidget(bar)
    try:
        with qtbot.waitSignal(controller.partial, timeout=20000):
            qtbot.mousePress(bar.talkButton, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: source.exhausted, timeout=20000)
        with qtbot.waitSignal(controller.dictated, timeout=20000) as blocker:
            qtbot.mouseRelease(bar.talkButton, Qt.MouseButton.LeftButton)
        assert word_error_rate(reference, blocker.args[0]) <= 0.5
        assert bar.finalLabel.text() == blocker.args[0]
    finally:
        worker.shutdown()
