"""Whisper in the real window, end to end: F9 with the PulseAudio virtual microphone (tiny.en), spoken
punctuation from espeak-ng speech, and live translation from Spanish speech (base detects the language,
Apertium spa→eng translates). The models are the ones set-up installs into models/."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import speech_support
from live_support import join_clips
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from qt_support import WorkerEvents, dispose, speak_into_window
from speech_support import librivox_references, synthesize

from slm_desktop import app as app_module
from slm_desktop.audio.ptt import WavSource
from slm_desktop.audio.wav import read_pcm16k
from slm_desktop.bench.live import write_wav
from slm_desktop.bench.wer import word_error_rate
from slm_desktop.probe import StallProbe

virtual_mic = speech_support.virtual_mic
MODELS = Path(__file__).resolve().parents[2] / "models"
FROZEN_SHARE = 0.5  # a worst stall over half of the decode time would mean the GUI waited on the decode


def whisper_window(qtbot, app_paths, model: str, **speech) -> object:
    if not (MODELS / model / "model.bin").is_file():
        pytest.fail(f"{model} is missing: scripts/setup.sh installs it into models/")
    lines = ['engine = "whisper"', f'whisper_model = "{model}"'] + [f'{k} = "{v}"' for k, v in speech.items()]
    app_paths.config_dir.mkdir(parents=True, exist_ok=True)
    speech_only = "[completion]\nenabled = false\n"  # the stall measured is the speech path's own
    app_paths.settings_file.write_text(speech_only + "[speech]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    window = app_module.create_window(app_paths)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.editor.setFocus()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is window.windowHandle(), timeout=5000)
    return window


@pytest.fixture
def tiny_mic_window(qtbot, app_paths, virtual_mic):
    window = whisper_window(qtbot, app_paths, "whisper-tiny-en", input_device="pulse")
    yield window
    dispose(window)


def start_and_wait(qtbot, window) -> None:
    """What the app does after showing the window: the engine loads (a child process) and the microphone
    opens for the pre-roll."""
    events = WorkerEvents(qtbot, window.services.worker)
    with events.waiting("finished", kind="speech-prepare", timeout=120_000):
        window.start_background()
    qtbot.waitUntil(lambda: window.speech.microphone_open, timeout=30_000)


def test_f9_in_the_window_types_whisper_text_at_the_cursor_from_the_virtual_mic(qtbot, tiny_mic_window, virtual_mic):
    window = tiny_mic_window
    window.editor.setPlainText("Before.\n\nAfter.")
    cursor = window.editor.textCursor()
    cursor.setPosition(len("Before.\n"))
    window.editor.setTextCursor(cursor)
    start_and_wait(qtbot, window)
    wav, reference = next((w, r) for w, r in librivox_references().items() if w.name.endswith("0880.wav"))

    qtbot.keyPress(window.editor, Qt.Key.Key_F9)
    player: subprocess.Popen = virtual_mic.play(wav)
    qtbot.waitUntil(lambda: player.poll() is not None, timeout=30_000)
    probe = StallProbe(parent=window)
    probe.start()
    released = time.perf_counter()
    with qtbot.waitSignal(window.speech.dictated, timeout=60_000) as got:
        qtbot.keyRelease(window.editor, Qt.Key.Key_F9)
    decode_ms = (time.perf_counter() - released) * 1000
    worst = probe.stop()
    print(f"release → text {decode_ms:.0f} ms, worst GUI stall {worst:.0f} ms")

    dictated = got.args[0]
    text = window.editor.toPlainText()
    assert text.startswith("Before.\nHe was not") and text.endswith("\nAfter."), text
    assert word_error_rate(reference, dictated) <= 0.375, dictated  # measured: 0.25 ("old -sposed")
    assert window.voice_bar.languageLabel.text() == "English (en)"
    # Not a speed check (bench speech measures the stall): decoding on the GUI thread, or holding its GIL,
    # would freeze it for the whole decode; on a loaded 2-core machine scheduling alone costs ~0.1-0.5 s.
    assert probe.beats > 20 and worst < FROZEN_SHARE * decode_ms, f"GUI stalled {worst:.0f} of {decode_ms:.0f} ms"


def test_spoken_punctuation_through_whisper_in_the_window(qtbot, app_paths, tmp_path):
    """espeak-ng → tiny.en in the window → the editor: the spoken marks act, Whisper's own stay."""
    window = whisper_window(qtbot, app_paths, "whisper-tiny-en")
    try:
        wav = synthesize("it works full stop new line it is done full stop", tmp_path / "a.wav")
        heard = speak_into_window(qtbot, window, wav).lower()
        assert heard.count("full stop") == 2 and "new line" in heard, heard  # heard as words
        text = window.editor.toPlainText()
        assert not any(words in text.lower() for words in ("full stop", "new line")), text
        first, second = text.split("\n")
        assert first == "It works." and second.endswith(".") and second[0].isupper(), text
    finally:
        dispose(window)


needs_apertium = pytest.mark.skipif(not shutil.which("apertium"), reason="needs the Debian package apertium-eng-spa")


@needs_apertium
def test_spanish_speech_is_translated_into_english_with_the_language_whisper_heard(qtbot, app_paths, tmp_path):
    window = whisper_window(qtbot, app_paths, "whisper-base", language="auto")
    try:
        spanish = read_pcm16k(synthesize("hoy hace mucho calor en la ciudad", tmp_path / "es.wav", voice="es"))
        pause = join_clips(pick=(0,), pause_s=1.0).pcm[:32000]  # one second of low room noise
        wav = write_wav(pause + spanish + pause + pause, tmp_path / "live.wav")
        controller = window.live_mode.controller
        controller.source_factory = lambda capture: WavSource(wav)
        controller.source_key = f"wav:{wav}"
        panel = window.translation_panel
        panel.source_combo.setCurrentIndex(panel.source_combo.findData("auto"))
        panel.set_target("en")
        translated: list[str] = []
        controller.translated.connect(lambda index, text: translated.append(text))
        window.action("live_translate").trigger()
        assert controller.running, window.statusBar().currentMessage()
        qtbot.waitUntil(lambda: not controller.running, timeout=180_000)
        assert len(translated) == 1 and "heat" in translated[0].lower(), translated  # "Today it does a lot of heat…"
    finally:
        dispose(window)
