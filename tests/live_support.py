"""Test audio for live translation: librivox clips joined with pauses (built with numpy/wave)."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

from speech_support import librivox_references

from slm_desktop.bench.live import RATE, join_recordings


@dataclass(frozen=True)
class Joined:
    pcm: bytes
    spans: list[tuple[float, float]]  # where each clip lies, in seconds
    references: list[str]


def join_clips(
    count: int = 3, *, pause_s: float = 1.5, noise: float = 30.0, seed: int = 0, pick: tuple[int, ...] = ()
) -> Joined:
    """``count`` librivox clips (or those at ``pick``), each after a pause of low room noise (std ``noise``)."""
    refs = sorted(librivox_references().items())
    refs = [refs[i] for i in pick] if pick else refs[:count]
    pcm, spans = join_recordings([path for path, _ in refs], pause_s=pause_s, noise=noise, seed=seed)
    return Joined(pcm, spans, [r for _, r in refs])


def write_wav(pcm: bytes, path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm)
    return path
