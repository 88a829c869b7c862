"""The WAV reader on odd formats, and a bounded fuzz: any bytes give audio or one-line UserError."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slm_desktop.audio.resample import Resampler
from slm_desktop.audio.wav import IEEE_FLOAT, PCM, iter_pcm16k, read_info, read_pcm16k
from slm_desktop.errors import UserError


def write_wav(path: Path, samples: np.ndarray, rate: int, *, encoding: int = PCM, extensible: bool = False) -> Path:
    """samples: (frames, channels) already in the target dtype."""
    channels = samples.shape[1]
    bits = samples.dtype.itemsize * 8
    tag = 0xFFFE if extensible else encoding
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * channels * bits // 8, channels * bits // 8, bits)
    if extensible:
        fmt += struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", encoding) + b"\x00" * 14
    data = samples.astype(samples.dtype.newbyteorder("<")).tobytes()
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"LIST" + struct.pack("<I", 4) + b"INFO"
    body += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def tone(seconds: float, rate: int, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return 0.5 * np.sin(2 * np.pi * hz * t)


def dominant_hz(pcm: bytes, rate: int = 16000) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(x))
    return float(np.argmax(spectrum) * rate / len(x))


def test_stereo_float_44k_becomes_16k_mono_int16(tmp_path):
    wave = tone(1.0, 44100).astype(np.float32)
    path = write_wav(tmp_path / "f.wav", np.stack([wave, wave], axis=1), 44100, encoding=IEEE_FLOAT)
    info = read_info(path)
    assert (info.channels, info.sample_rate, info.bits, info.encoding) == (2, 44100, 32, IEEE_FLOAT)
    pcm = read_pcm16k(path)
    assert abs(len(pcm) / 2 - 16000) < 30
    assert dominant_hz(pcm) == pytest.approx(440, abs=3)
    peak = np.abs(np.frombuffer(pcm, dtype="<i2")).max()
    assert 0.45 * 32767 < peak < 0.55 * 32767


def test_8khz_unsigned_8bit_is_upsampled(tmp_path):
    wave = ((tone(0.5, 8000, 300) * 127) + 128).astype(np.uint8)[:, None]
    pcm = read_pcm16k(write_wav(tmp_path / "u8.wav", wave, 8000))
    assert abs(len(pcm) / 2 - 8000) < 10
    assert dominant_hz(pcm) == pytest.approx(300, abs=3)


def test_24bit_extensible_and_an_unknown_chunk_before_data(tmp_path):
    ints = (tone(0.25, 16000) * (2**23 - 1)).astype(np.int32)
    raw = np.stack([(ints >> s) & 0xFF for s in (0, 8, 16)], axis=1).astype(np.uint8)
    path = tmp_path / "s24.wav"
    data = raw.tobytes()
    fmt = struct.pack("<HHIIHH", 0xFFFE, 1, 16000, 48000, 3, 24) + struct.pack("<HHI", 22, 24, 0)
    fmt += struct.pack("<H", PCM) + b"\x00" * 14
    body = b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    out = np.frombuffer(read_pcm16k(path), dtype="<i2")
    assert np.allclose(out, tone(0.25, 16000) * 32768, atol=2)


def test_streaming_writer_sizes_read_to_the_end_of_the_file(tmp_path):
    samples = (tone(0.3, 16000) * 20000).astype(np.int16)[:, None]
    path = write_wav(tmp_path / "s.wav", samples, 16000)
    raw = bytearray(path.read_bytes())
    raw[raw.index(b"data") + 4 : raw.index(b"data") + 8] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(raw))
    assert read_pcm16k(path) == samples.tobytes()


def test_chunks_are_bounded_so_long_files_stream(tmp_path):
    samples = (tone(3.0, 48000) * 20000).astype(np.int16)[:, None]
    path = write_wav(tmp_path / "long.wav", samples, 48000)
    sizes = [len(c) for c in iter_pcm16k(path, chunk_seconds=0.1)]
    assert len(sizes) >= 29 and max(sizes) <= 2 * 1600 + 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"hello, this is text\n" * 10, "not a WAV file"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x55\x00\x01\x00\x80\x3e\x00\x00", "broken WAV header"),
        (b"RIFF\x00\x00\x00\x00WAVEdata\x00\x00\x00\x00", "no fmt chunk"),
    ],
)
def test_bad_files_are_one_line_user_errors(tmp_path, content, message):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message) as caught:
        read_pcm16k(path)
    assert "\n" not in str(caught.value) and "bad.wav" in str(caught.value)


def test_a_header_with_no_samples_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no audio samples"):
        read_pcm16k(write_wav(tmp_path / "e.wav", np.zeros((0, 1), np.int16), 16000))


def test_resampler_chunking_does_not_change_the_output():
    x = np.random.default_rng(0).uniform(-0.5, 0.5, 44100).astype(np.float32)
    whole = Resampler(44100, 16000).process(x)
    chunked = Resampler(44100, 16000)
    pieces = np.concatenate([chunked.process(x[i : i + 777]) for i in range(0, len(x), 777)])
    assert len(pieces) == len(whole)
    assert np.allclose(pieces, whole, atol=1e-5)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefix=st.sampled_from([b"", b"RIFF\x00\x00\x00\x00WAVE", b"RIFF\xff\xff\xff\xffWAVEfmt "]),
    body=st.binary(max_size=400),
)
def test_fuzz_any_bytes_give_samples_or_a_user_error(tmp_path, prefix, body):
    path = tmp_path / "fuzz.wav"
    path.write_bytes(prefix + body)
    try:
        pcm = read_pcm16k(path)
    except UserError as exc:
        assert "\n" not in str(exc)
    else:
        assert len(pcm) % 2 == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rate=st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000]),
    channels=st.integers(1, 3),
    dtype=st.sampled_from(["u1", "<i2", "<i4", "<f4", "<f8"]),
    frames=st.integers(1, 3000),
)
def test_fuzz_valid_formats_give_the_expected_length(tmp_path, rate, channels, dtype, frames):
    encoding = IEEE_FLOAT if dtype[-2] == "f" else PCM
    samples = np.zeros((frames, channels), dtype=dtype)
    path = write_wav(tmp_path / "v.wav", samples, rate, encoding=encoding, extensible=channels > 2)
    out = read_pcm16k(path)
    assert abs(len(out) / 2 - frames * 16000 / rate) <= 32
