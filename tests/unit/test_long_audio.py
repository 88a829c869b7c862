"""A 1-hour WAV streams through the reader in bounded memory: never loaded whole."""

from __future__ import annotations

import struct
from pathlib import Path

from slm_desktop.audio.wav import iter_pcm16k

HOUR_FRAMES = 3600 * 16000
STREAM_BOUND_MB = 40  # the file is 110 MB of samples; a reader that loads it whole fails this


def _rss_mb() -> float:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def _hour_of_silence(path: Path) -> Path:
    """A valid 16 kHz mono WAV whose data is a sparse hole: an hour long, almost no disk used."""
    data_bytes = HOUR_FRAMES * 2
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    header += b"data" + struct.pack("<I", data_bytes)
    with open(path, "wb") as handle:
        handle.write(header)
        handle.truncate(len(header) + data_bytes)
    return path


def test_a_one_hour_wav_streams_in_bounded_memory(tmp_path):
    path = _hour_of_silence(tmp_path / "hour.wav")
    start = _rss_mb()
    peak = start
    total = 0
    for i, chunk in enumerate(iter_pcm16k(path, chunk_seconds=1.0)):
        total += len(chunk)
        if i % 300 == 0:
            peak = max(peak, _rss_mb())
    assert total == HOUR_FRAMES * 2
    assert peak - start < STREAM_BOUND_MB, f"RSS grew {peak - start:.0f} MB while streaming"
