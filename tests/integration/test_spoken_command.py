"""A spoken command end to end: espeak-ng audio -> PocketSphinx -> int8 intent model -> action."""

import json
import shutil
import subprocess
import sys
import wave

import pytest
from PySide6.QtCore import QTimer

pytestmark = pytest.mark.skipif(not shutil.which("espeak-ng"), reason="needs the Debian package espeak-ng")


def speak(tmp_path, text):
    wav = tmp_path / "command.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(wav), text], check=True)
    return wav


def test_cli_command_from_recording(tmp_path, isolated_env):
    wav = speak(tmp_path, "make the text bigger")
    result = subprocess.run(
        [sys.executable, "-m", "slm_desktop", "command", str(wav), "--engine", "pocketsphinx", "--json"],
        capture_output=True,
        text=True,
        env=isolated_env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["intent"] == "zoom_in", report["transcript"]["text"]


def test_spoken_command_acts_in_window(qtbot, tmp_path, app_paths):
    from qt_support import dispose

    from slm_desktop import app as app_module
    from slm_desktop.audio.ptt import WavSource
    from slm_desktop.engines.speech_select import SpeechChoice

    wav = speak(tmp_path, "make the text bigger")
    window = app_module.create_window(app_paths)
    window.show()
    choice = SpeechChoice("pocketsphinx", None)
    window.speech._engine_factory = choice.create
    window.speech.source_factory = lambda _config: WavSource(wav, realtime=True)
    window.set_voice_mode("command")
    before = window.editor.font().pointSize()
    heard = []
    window.speech.final.connect(lambda t: heard.append(t.text))
    window.speech.error.connect(lambda m: heard.append("error: " + m))
    window.speech.press()
    with wave.open(str(wav)) as clip:
        seconds = clip.getnframes() / clip.getframerate()
    QTimer.singleShot(int(seconds * 1000) + 500, window.speech.release)  # released after speaking, as a user does
    qtbot.waitUntil(lambda: len(heard) > 0, timeout=20_000)
    assert heard == ["make the text bigger"], heard
    qtbot.waitUntil(lambda: window.editor.font().pointSize() == before + 1, timeout=10_000)
    dispose(window)
