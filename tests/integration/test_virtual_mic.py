"""The real capture path: paplay -> PulseAudio null sink -> monitor source -> ALSA pulse plugin ->
PortAudio -> sounddevice -> Microphone -> resampler -> PocketSphinx."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading

import pytest
import speech_support
from speech_support import librivox_references

from slm_desktop.audio.capture import CaptureConfig, Microphone
from slm_desktop.audio.ptt import PushToTalkSession
from slm_desktop.bench.wer import word_error_rate
from slm_desktop.engines.sphinx_engine import SphinxEngine
from slm_desktop.errors import AudioError

virtual_mic = speech_support.virtual_mic  # the fixture, shared with the live translation tests


def test_microphone_records_what_paplay_plays_and_pocketsphinx_transcribes_it(virtual_mic):
    wav, reference = next((w, r) for w, r in librivox_references().items() if w.name.endswith("0930.wav"))
    mic = Microphone(CaptureConfig(device="pulse"))
    engine = SphinxEngine()
    session = PushToTalkSession()
    levels: list[float] = []
    partials: list[str] = []
    results = []
    worker = threading.Thread(
        target=lambda: results.append(
            session.run(mic, engine.start(), on_partial=partials.append, on_level=levels.append)
        )
    )
    try:
        worker.start()
        assert virtual_mic.play(wav).wait(30) == 0
        session.release()
        worker.join(30)
    finally:
        session.release()
        mic.close()
        engine.close()
    assert mic.native_rate > 0
    transcript = results[0].transcript
    assert transcript.audio_seconds >= 3.0  # the whole 3.3 s clip came through
    assert max(levels) > 0.01 and partials
    # measured through this path (3 runs, same result): "he might even have been made a real boy myself",
    # WER 0.50; the same clip read from the file gives WER 0.62 ("... a real boy i'm self taught")
    assert transcript.text.startswith("he might even have been made"), transcript.text
    assert word_error_rate(reference, transcript.text) <= 0.5, transcript.text


def test_microphone_reports_a_missing_device_in_one_line(virtual_mic):
    with pytest.raises(AudioError, match="microphone 'no-such-mic' not found"):
        Microphone(CaptureConfig(device="no-such-mic"))


def test_a_vanished_server_ends_the_recording_with_an_audio_error(virtual_mic):
    mic = Microphone(CaptureConfig(device="pulse"))
    try:
        assert any(mic.read(0.1) is not None for _ in range(50)), "the stream delivers blocks"
        virtual_mic.stop()
        with pytest.raises(AudioError, match="stopped delivering audio"):
            for _ in range(200):
                mic.read(0.05)
    finally:
        mic.close()


def test_listen_cli_records_from_the_virtual_mic(virtual_mic, isolated_env):
    wav = next(w for w in librivox_references() if w.name.endswith("0930.wav"))
    env = {**isolated_env, "PULSE_SERVER": virtual_mic.env["PULSE_SERVER"]}
    cmd = [sys.executable, "-m", "slm_desktop", "listen", "--seconds", "6", "--device", "pulse", "--json"]
    listener = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "listening for 6 s" in listener.stderr.readline()  # recording has started
        assert virtual_mic.play(wav).wait(30) == 0
        out, err = listener.communicate(timeout=60)
    finally:
        listener.kill()
    assert listener.returncode == 0, err
    words = re.sub(r"[^\w\s']", "", json.loads(out)["text"]).lower().split()  # Whisper adds case and commas
    assert words[:6] == ["he", "might", "even", "have", "been", "made"], words
