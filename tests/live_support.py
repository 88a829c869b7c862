"""Test audio for live translation: librivox clips joined with pauses (built with numpy/wave)."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from speech_support import librivox_references

from slm_desktop.audio.wav import read_pcm16k

RATE = 16000


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
    rng = np.random.default_rng(seed)
    parts, spans, position = [], [], 0

    def pause() -> np.ndarray:
        return rng.normal(0, noise, int(pause_s * RATE)).astype("<i2")

    for path, _ in refs:
        clip = np.frombuffer(read_pcm16k(path), dtype="<i2")
        parts += [pause(), clip]
        start = position + int(pause_s * RATE)
        spans.append((start / RATE, (start + len(clip)) / RATE))
        position = start + len(clip)
    parts.append(pause())
    return Joined(np.concatenate(parts).tobytes(), spans, [r for _, r in refs])


def write_wav(pcm: bytes, path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm)
    return path
