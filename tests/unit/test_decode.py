"""audio.decode: WAVs of codecs the project's reader does not take go to FFmpeg (PyAV) instead of failing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_wav_reader import dominant_hz, tone, write_wav

from slm_desktop.audio.decode import iter_audio16k, probe
from slm_desktop.errors import UserError


def _sox(source: Path, target: Path, *options: str) -> Path:
    subprocess.run(["sox", str(source), *options, str(target)], check=True, capture_output=True)
    return target


@pytest.fixture
def tone_wav(tmp_path) -> Path:
    samples = (tone(1.0, 16000, 440.0) * 32767).astype(np.int16).reshape(-1, 1)
    return write_wav(tmp_path / "tone.wav", samples, 16000)


@pytest.mark.parametrize(
    "options", [("-e", "a-law"), ("-e", "u-law"), ("-e", "ms-adpcm")], ids=["a-law", "mu-law", "ms-adpcm"]
)
def test_a_wav_of_another_codec_is_decoded_by_ffmpeg(tmp_path, tone_wav, options):
    coded = _sox(tone_wav, tmp_path / "coded.wav", *options)
    pcm = b"".join(iter_audio16k(coded))
    assert abs(len(pcm) / 2 / 16000 - 1.0) < 0.05
    assert abs(dominant_hz(pcm) - 440.0) < 5
    assert probe(coded).seconds == pytest.approx(1.0, abs=0.05)


def test_a_wav_of_a_codec_nobody_knows_keeps_the_readers_message(tmp_path, tone_wav):
    data = bytearray(tone_wav.read_bytes())
    at = data.find(b"fmt ") + 8
    data[at : at + 2] = (0x9999).to_bytes(2, "little")
    odd = tmp_path / "odd.wav"
    odd.write_bytes(bytes(data))
    with pytest.raises(UserError, match=r"odd.wav: unsupported WAV encoding 0x9999") as caught:
        b"".join(iter_audio16k(odd))
    assert "\n" not in str(caught.value)
