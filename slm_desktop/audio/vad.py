"""Voice activity detection: an energy detector that cuts continuous speech into utterances.

Pure streaming logic (no audio device, no Qt): feed 16 kHz int16 PCM in chunks of any size and
get utterance start/end events with their sample positions. The noise floor adapts (falls fast,
rises slowly), so a fan or a room hum does not count as speech; a start needs ``min_speech_ms``
of voiced frames (a click is not a phrase) and an end needs ``min_silence_ms`` of unvoiced ones
(a comma's pause does not cut a sentence).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

START, END = "start", "end"


@dataclass(frozen=True)
class VadConfig:
    sample_rate: int = 16000
    frame_ms: int = 20
    margin_db: float = 12.0  # a frame is voiced this far above the noise floor...
    min_level_db: float = -50.0  # ...and above this absolute level (dBFS), whatever the floor
    min_speech_ms: int = 120  # voiced frames in a row before an utterance starts
    min_silence_ms: int = 600  # unvoiced frames in a row before it ends (the hangover)
    pad_ms: int = 200  # audio kept before the first voiced frame (soft onsets)
    floor_rise_db_per_s: float = 3.0  # the floor creeps up this fast in steady noise
    max_utterance_s: float = 20.0  # a run-on phrase is cut here so its translation is not held back


@dataclass(frozen=True)
class VadEvent:
    kind: str  # START or END
    sample: int  # where the utterance starts/ends in the stream (samples since the detector was created)
    at: int = 0  # where the stream was when the detector decided (sample + the min speech/silence wait)


def frame_db(frame: np.ndarray) -> float:
    """RMS of int16 samples in dBFS; digital silence is -120."""
    if frame.size == 0:
        return -120.0
    rms = math.sqrt(float(np.mean(np.square(frame.astype(np.float64))))) / 32768.0
    return 20 * math.log10(rms) if rms > 1e-6 else -120.0


class FramedDetector:
    """The streaming shell both detectors share: whole frames of `_frame` samples out of chunks of any
    size, one `_step` per frame's level, events stamped with where the stream was."""

    _frame: int
    _pending: bytes
    _position: int
    in_speech: bool

    @property
    def position(self) -> int:
        return self._position

    def accept(self, pcm: bytes) -> list[VadEvent]:
        """Feed PCM; returns the events of the whole frames it completed."""
        data = self._pending + pcm
        whole = len(data) // (2 * self._frame) * 2 * self._frame
        self._pending = data[whole:]
        if not whole:
            return []
        events: list[VadEvent] = []
        for level in self._levels(np.frombuffer(data[:whole], dtype="<i2").reshape(-1, self._frame)):
            event = self._step(level)
            self._position += self._frame
            if event is not None:
                events.append(replace(event, at=self._position))
        return events

    def flush(self) -> list[VadEvent]:
        """End of stream (or push-to-talk release): close an open utterance here."""
        if not self.in_speech:
            return []
        self._close()
        return [VadEvent(END, self._position, self._position)]

    def _levels(self, frames: np.ndarray) -> Iterable[float]:
        raise NotImplementedError

    def _step(self, level: float) -> VadEvent | None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError


class EnergyVad(FramedDetector):
    """Streaming detector; not thread-safe (one feeder)."""

    def __init__(self, config: VadConfig | None = None):
        self.config = c = config or VadConfig()
        self._frame = c.sample_rate * c.frame_ms // 1000
        self._need_voiced = max(1, c.min_speech_ms // c.frame_ms)
        self._need_silent = max(1, c.min_silence_ms // c.frame_ms)
        self._rise = c.floor_rise_db_per_s * c.frame_ms / 1000
        self._max_frames = int(c.max_utterance_s * 1000 / c.frame_ms)
        self._pending = b""  # bytes short of a whole frame
        self._position = 0  # samples consumed into whole frames
        self.floor_db: float | None = None  # set by the first frame, then tracked
        self.in_speech = False
        self._run = 0  # voiced (outside) or unvoiced (inside) frames in a row
        self._run_start = 0
        self._speech_frames = 0

    def threshold_db(self) -> float:
        floor = self.floor_db if self.floor_db is not None else -120.0
        return max(floor + self.config.margin_db, self.config.min_level_db)

    def _levels(self, frames: np.ndarray) -> Iterable[float]:
        return (frame_db(frame) for frame in frames)

    def _close(self) -> None:
        self._enter_silence()

    def _step(self, db: float) -> VadEvent | None:
        self._track_floor(db)
        voiced = db > self.threshold_db()
        if self.in_speech:
            return self._step_inside(voiced)
        return self._step_outside(voiced)

    def _track_floor(self, db: float) -> None:
        """Falls at once to the quietest frame (the gaps between words are enough), rises slowly,
        so a fan switched on mid-stream becomes background within seconds, not a phrase forever."""
        if self.floor_db is None or db < self.floor_db:
            self.floor_db = max(db, -100.0)
        else:
            self.floor_db = min(db, self.floor_db + self._rise)

    def _step_outside(self, voiced: bool) -> VadEvent | None:
        if not voiced:
            self._run = 0
            return None
        if self._run == 0:
            self._run_start = self._position
        self._run += 1
        if self._run < self._need_voiced:
            return None
        self.in_speech, self._run, self._speech_frames = True, 0, self._need_voiced
        pad = self.config.sample_rate * self.config.pad_ms // 1000
        return VadEvent(START, max(0, self._run_start - pad))

    def _step_inside(self, voiced: bool) -> VadEvent | None:
        self._speech_frames += 1
        if voiced:
            self._run = 0
        else:
            if self._run == 0:
                self._run_start = self._position
            self._run += 1
        if self._run >= self._need_silent:
            end = self._run_start
            self._enter_silence()
            return VadEvent(END, end)
        if self._speech_frames >= self._max_frames:
            self._enter_silence()
            return VadEvent(END, self._position + self._frame)
        return None

    def _enter_silence(self) -> None:
        self.in_speech, self._run, self._speech_frames = False, 0, 0
