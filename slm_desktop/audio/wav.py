"""Read any common WAV file as 16 kHz mono int16, in chunks (a 1-hour file is never loaded whole).

Python's ``wave`` module (3.11) rejects float and WAVE_FORMAT_EXTENSIBLE files, so this parses
the RIFF chunks itself: PCM 8-bit (unsigned), 16/24/32-bit signed, IEEE float 32/64, any channel
count and sample rate. Anything else is a UserError with one line.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from slm_desktop.audio.resample import Resampler, to_int16_bytes
from slm_desktop.errors import UserError

PCM, IEEE_FLOAT, EXTENSIBLE = 0x0001, 0x0003, 0xFFFE
TARGET_RATE = 16000


@dataclass(frozen=True)
class WavInfo:
    path: Path
    encoding: int  # PCM or IEEE_FLOAT
    channels: int
    sample_rate: int
    bits: int
    data_offset: int
    data_bytes: int  # clipped to the file's real size

    @property
    def frame_bytes(self) -> int:
        return self.channels * self.bits // 8

    @property
    def frames(self) -> int:
        return self.data_bytes // self.frame_bytes

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


class UnsupportedEncoding(UserError):
    """A WAV of another codec (A-law, mu-law, ADPCM, GSM): not this reader's, but FFmpeg's (audio.decode)."""


def _fail(path: Path, why: str) -> UserError:
    return UserError(f"{path.name}: {why}")


def _parse_fmt(path: Path, body: bytes) -> tuple[int, int, int, int]:
    if len(body) < 16:
        raise _fail(path, "broken WAV header (short fmt chunk)")
    encoding, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
    if encoding == EXTENSIBLE and len(body) >= 26:
        encoding = struct.unpack("<H", body[24:26])[0]
    if encoding not in (PCM, IEEE_FLOAT):
        raise UnsupportedEncoding(f"{path.name}: unsupported WAV encoding 0x{encoding:04x} (use PCM or float WAV)")
    valid = {PCM: (8, 16, 24, 32), IEEE_FLOAT: (32, 64)}[encoding]
    if bits not in valid or channels < 1 or rate < 1:
        raise _fail(path, f"unsupported WAV format: {bits}-bit, {channels} channels, {rate} Hz")
    return encoding, channels, rate, bits


def read_info(path: Path) -> WavInfo:
    """Walk the RIFF chunks up to 'data'; never reads the samples."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise _fail(path, "the file is empty")
    with open(path, "rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] not in (b"RIFF", b"RF64") or header[8:12] != b"WAVE":
            raise _fail(path, "not a WAV file (no RIFF/WAVE header)")
        fmt = None
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                raise _fail(path, "no audio data in the WAV file")
            kind, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if kind == b"data":
                break
            body = handle.read(length + (length & 1))
            if kind == b"fmt ":
                fmt = _parse_fmt(path, body)
        if fmt is None:
            raise _fail(path, "broken WAV header (no fmt chunk before the data)")
        offset = handle.tell()
    encoding, channels, rate, bits = fmt
    data_bytes = min(length, size - offset)  # streaming writers leave 0 or 0xFFFFFFFF here
    if length in (0, 0xFFFFFFFF):
        data_bytes = size - offset
    info = WavInfo(path, encoding, channels, rate, bits, offset, data_bytes)
    if info.frames == 0:
        raise _fail(path, "the WAV file has no audio samples")
    return info


def _decode(raw: bytes, info: WavInfo) -> np.ndarray:
    """Bytes of whole frames -> float32 mono in -1..1."""
    if info.encoding == IEEE_FLOAT:
        data = np.frombuffer(raw, dtype="<f4" if info.bits == 32 else "<f8").astype(np.float32)
        data = np.nan_to_num(data, nan=0.0, posinf=1.0, neginf=-1.0)
    elif info.bits == 8:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif info.bits == 24:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8
        data = ints.astype(np.float32) / 8388608.0
    else:
        dtype, scale = ("<i2", 32768.0) if info.bits == 16 else ("<i4", 2147483648.0)
        data = np.frombuffer(raw, dtype=dtype).astype(np.float32) / scale
    return data.reshape(-1, info.channels).mean(axis=1, dtype=np.float32)


def _raw_chunks(handle: BinaryIO, info: WavInfo, frames_per_chunk: int) -> Iterator[bytes]:
    left = info.frames * info.frame_bytes
    while left > 0:
        raw = handle.read(min(left, frames_per_chunk * info.frame_bytes))
        whole = len(raw) - len(raw) % info.frame_bytes
        if whole <= 0:
            return
        left -= len(raw)
        yield raw[:whole]


def iter_pcm16k(path: Path, *, chunk_seconds: float = 0.2, rate: int = TARGET_RATE) -> Iterator[bytes]:
    """16 kHz (or `rate`) mono int16 little-endian chunks of about chunk_seconds each."""
    info = read_info(path)
    resampler = Resampler(info.sample_rate, rate)
    frames_per_chunk = max(1, int(info.sample_rate * chunk_seconds))
    with open(info.path, "rb") as handle:
        handle.seek(info.data_offset)
        for raw in _raw_chunks(handle, info, frames_per_chunk):
            out = resampler.process(_decode(raw, info))
            if len(out):
                yield to_int16_bytes(out)


def read_pcm16k(path: Path, *, rate: int = TARGET_RATE) -> bytes:
    """The whole file at once: only for short clips (tests, self-test)."""
    return b"".join(iter_pcm16k(path, rate=rate))
