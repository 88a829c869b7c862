"""Streaming resampling to 16 kHz with numpy only (no SciPy/soxr on a Raspberry Pi).

A windowed-sinc low-pass (when going down) followed by linear interpolation, with the filter
history and the fractional read position carried across chunks, so chunk boundaries are seamless.
Speech recognisers need nothing finer: their features stop at ~7 kHz.
"""

from __future__ import annotations

import numpy as np

FILTER_TAPS = 63


def lowpass_taps(cutoff: float, taps: int = FILTER_TAPS) -> np.ndarray:
    """cutoff as a fraction of the input sample rate (0..0.5)."""
    n = np.arange(taps) - (taps - 1) / 2
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    return (kernel / kernel.sum()).astype(np.float32)


class Resampler:
    """Feed float32 mono chunks at rate_in; get float32 chunks at rate_out."""

    def __init__(self, rate_in: int, rate_out: int):
        if rate_in <= 0 or rate_out <= 0:
            raise ValueError("sample rates must be positive")
        self.rate_in = rate_in
        self.rate_out = rate_out
        self._step = rate_in / rate_out
        self._fir = lowpass_taps(0.45 * rate_out / rate_in) if rate_out < rate_in else None
        self._history = np.zeros(FILTER_TAPS - 1, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self._pos = (FILTER_TAPS - 1) / 2 if self._fir is not None else 0.0  # cancels the filter's delay

    def _filter(self, x: np.ndarray) -> np.ndarray:
        if self._fir is None:
            return x
        joined = np.concatenate([self._history, x])
        self._history = joined[-(FILTER_TAPS - 1) :]
        return np.convolve(joined, self._fir, mode="valid").astype(np.float32)

    def process(self, x: np.ndarray) -> np.ndarray:
        if self.rate_in == self.rate_out:
            return x.astype(np.float32, copy=False)
        buf = np.concatenate([self._pending, self._filter(x.astype(np.float32, copy=False))])
        last = len(buf) - 1
        if last < self._pos:
            self._pending = buf
            return np.zeros(0, dtype=np.float32)
        count = int((last - self._pos) // self._step) + 1
        times = self._pos + np.arange(count) * self._step
        out = np.interp(times, np.arange(len(buf)), buf).astype(np.float32)
        next_pos = self._pos + count * self._step
        drop = min(int(next_pos), len(buf))
        self._pending = buf[drop:]
        self._pos = next_pos - drop
        return out


def to_int16_bytes(x: np.ndarray) -> bytes:
    """Float -1..1 to int16; the inverse of int16_to_float, so 16-bit input passes through unchanged."""
    return np.clip(np.rint(x * 32768.0), -32768, 32767).astype("<i2").tobytes()


def int16_to_float(pcm: bytes | np.ndarray) -> np.ndarray:
    data = np.frombuffer(pcm, dtype="<i2") if isinstance(pcm, bytes | bytearray | memoryview) else pcm
    return data.astype(np.float32) / 32768.0


def rms_level(x: np.ndarray) -> float:
    """RMS of float samples in -1..1: 0.0 silence, ~0.1 normal speech, 1.0 full scale."""
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def block_levels(pcm: bytes, block_samples: int) -> np.ndarray:
    """rms_level of every block of `block_samples` int16 samples (the last may be shorter), in one numpy pass:
    a Python loop over the 3,000 blocks of a minute held the GIL for ~40 ms, a stall in the window."""
    x = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0
    if not x.size:
        return np.zeros(0)
    sums = np.add.reduceat(np.square(x), np.arange(0, x.size, block_samples))
    counts = np.minimum(block_samples, x.size - np.arange(0, x.size, block_samples))
    return np.sqrt(sums / counts)
