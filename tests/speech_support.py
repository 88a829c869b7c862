"""Shared helpers for speech tests: WER references, synthesized speech, a PulseAudio virtual microphone."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
PULSE_PACKAGES = {"pulseaudio": "pulseaudio", "paplay": "pulseaudio-utils", "pactl": "pulseaudio-utils"}
ALSA_PULSE_PLUGIN = "/usr/share/alsa/alsa.conf.d/pulse.conf"


def need_program(program: str, package: str) -> None:
    if shutil.which(program) is None:
        pytest.skip(f"{program} not installed (Debian package {package}; scripts/setup.sh --test installs it)")


def librivox_references() -> dict[Path, str]:
    transcription = LIBRIVOX / "transcription"
    if not transcription.exists():
        pytest.skip("Debian package pocketsphinx-testdata not installed (scripts/setup.sh --test installs it)")
    refs = {}
    for line in transcription.read_text().splitlines():
        text, _, file_id = line.rpartition("(")
        words = text.replace("<s>", "").replace("</s>", "").split()
        refs[LIBRIVOX / f"{file_id.strip(') ')}.wav"] = " ".join(words)
    return refs


def synthesize(text: str, out: Path, *, voice: str = "en-us", speed: int = 140, rate: int = 16000) -> Path:
    """espeak-ng speech, resampled with sox to a 16-bit mono WAV at `rate`."""
    need_program("espeak-ng", "espeak-ng")
    need_program("sox", "sox")
    from slm_desktop.bench.speech_extra import render_speech

    return render_speech(text, out, voice=voice, speed=speed, rate=rate)


DEFAULT_PA = """\
load-module module-native-protocol-unix auth-anonymous=1 socket={socket}
load-module module-null-sink sink_name=vmic sink_properties=device.description=VirtualMic
set-default-sink vmic
set-default-source vmic.monitor
"""


class VirtualMic:
    """A user PulseAudio daemon whose null sink's monitor is the default source: paplay -> "microphone"."""

    def __init__(self) -> None:
        for program, package in PULSE_PACKAGES.items():
            need_program(program, package)
        if not Path(ALSA_PULSE_PLUGIN).exists():
            pytest.skip("ALSA pulse plugin missing (Debian package libasound2-plugins)")
        self.dir = Path(tempfile.mkdtemp(prefix="slm-pa-"))  # short: unix socket paths max ~108 bytes
        self.socket = self.dir / "native"
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(self.dir), "HOME": str(self.dir)}
        self.env["PULSE_SERVER"] = f"unix:{self.socket}"
        self.process: subprocess.Popen | None = None

    def start(self) -> VirtualMic:
        config = self.dir / "default.pa"
        config.write_text(DEFAULT_PA.format(socket=self.socket))
        cmd = ["pulseaudio", "-n", "-F", str(config), "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no"]
        with open(self.dir / "pulse.log", "wb") as log:
            self.process = subprocess.Popen(cmd, env=self.env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 15
        while subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.dir / "pulse.log").read_text(errors="replace")[-400:]
                raise RuntimeError(f"PulseAudio did not start: {log}")
            time.sleep(0.1)
        return self

    def play(self, wav: Path) -> subprocess.Popen:
        return subprocess.Popen(["paplay", "--device=vmic", str(wav)], env=self.env)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)


def wer(reference: str, hypothesis: str) -> float:
    from slm_desktop.bench.wer import word_error_rate

    return word_error_rate(reference, hypothesis)


@pytest.fixture
def virtual_mic(monkeypatch):
    """A VirtualMic as the default input for the test; import it into a test module to use it."""
    from slm_desktop.audio.capture import refresh_devices

    mic = VirtualMic()
    monkeypatch.setenv("PULSE_SERVER", mic.env["PULSE_SERVER"])
    mic.start()
    refresh_devices()  # PortAudio lists devices once; let it see the new server
    yield mic
    mic.stop()
    monkeypatch.undo()
    refresh_devices()
