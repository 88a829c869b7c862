"""Test audio for live translation: librivox clips joined with pauses (the benchmark's own helpers)."""

from __future__ import annotations

from dataclasses import dataclass

from speech_support import librivox_references

from slm_desktop.bench.live import join_recordings


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
