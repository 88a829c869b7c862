"""Live translation whose source language comes from the recogniser (the panel says "Detect language" and
Settings → Speech → language is auto): each phrase goes through the route from the language it was heard in.

The recogniser here is a stand-in that says which language it heard (as Whisper does) over real speech
audio, so the detector cuts real phrases; the translation is real Apertium."""

from __future__ import annotations

import shutil

import pytest
from live_support import join_clips

from slm_desktop.audio.ptt import WavSource
from slm_desktop.bench.live import write_wav
from slm_desktop.engines.base import Transcript

needs_apertium = pytest.mark.skipif(not shutil.which("apertium"), reason="needs the Debian package apertium-eng-spa")


class Heard:
    """Each phrase 'recognised' as the next (text, language) of a script."""

    name, model, sample_rate = "script", "fake", 16000

    def __init__(self, script):
        self.script = list(script)

    def start(self, *, grammar=None, context=""):
        return self

    def accept(self, pcm: bytes, *, preview: bool = True) -> str:
        return "…"

    def finish(self) -> Transcript:
        text, language = self.script.pop(0)
        return Transcript(text, language=language)

    def close(self):
        pass


@needs_apertium
def test_spanish_heard_in_auto_mode_is_translated_into_english_through_spa_eng(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setattr(window.live_mode, "speech_detects_language", lambda: True)  # as Whisper does
    wav = write_wav(join_clips(2).pcm, tmp_path / "two.wav")
    controller = window.live_mode.controller
    controller.source_factory = lambda capture: WavSource(wav)
    controller.source_key = f"wav:{wav}"
    controller.speech_factory = lambda: Heard([("el perro come una manzana", "es"), ("the cat sleeps", "en")])
    controller.engine_key = "live:script"
    window.services.update_settings("speech", "language", "auto")
    panel = window.translation_panel
    panel.source_combo.setCurrentIndex(panel.source_combo.findData("auto"))
    panel.set_target("en")
    translated: list[str] = []
    controller.translated.connect(lambda index, text: translated.append(text))
    window.action("live_translate").trigger()
    assert controller.languages == ("auto", "en")
    qtbot.waitUntil(lambda: not controller.running, timeout=60_000)
    assert translated == ["The dog eats an apple.", "The cat sleeps."]  # es→en by Apertium; en kept as heard
    assert panel.translation().splitlines() == translated
