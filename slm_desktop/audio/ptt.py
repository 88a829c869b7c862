"""Push-to-talk without Qt: pre-roll + live chunks from an audio source into an Utterance.

``PushToTalkSession.run`` is what the worker lane executes between key press and release;
``release()`` may be called from any thread. Timing figures (first partial, release to final)
are measured here so the bench and the UI report the same thing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from slm_desktop.audio.capture import Chunk
from slm_desktop.cancel import CancelToken
from slm_desktop.engines.base import Transcript, Utterance


class AudioSource(Protocol):
    def preroll(self, pressed_at: float | None = None) -> Chunk: ...

    def read(self, timeout: float = 0.05) -> Chunk | None: ...


@dataclass(frozen=True)
class SessionResult:
    transcript: Transcript
    release_to_final_ms: float  # key release -> final text ready
    first_partial_ms: float  # first non-empty partial, from the first audio fed; -1 if none
    audio_seconds: float


class PushToTalkSession:
    """Created at key press (any thread), run in a worker lane, released from any thread."""

    def __init__(self) -> None:
        self.pressed_at = time.monotonic()
        self._released = threading.Event()
        self._released_at = 0.0
        self._started_at = 0.0
        self._first_partial_ms = -1.0
        self._last_partial = ""

    def release(self) -> None:
        self._released_at = time.perf_counter()
        self._released.set()

    def _note_partial(self, partial: str, on_partial: Callable[[str], None]) -> None:
        if partial and self._first_partial_ms < 0:
            self._first_partial_ms = (time.perf_counter() - self._started_at) * 1000
        if partial != self._last_partial:
            self._last_partial = partial
            on_partial(partial)

    @property
    def released(self) -> bool:
        return self._released.is_set()

    def run(
        self,
        source: AudioSource,
        utterance: Utterance,
        *,
        on_partial: Callable[[str], None] = lambda text: None,
        on_level: Callable[[float], None] = lambda level: None,
        cancel: CancelToken | None = None,
    ) -> SessionResult:
        """Feed audio until release(), then return the final transcript; runs in a worker lane."""
        cancel = cancel or CancelToken()
        self._started_at = time.perf_counter()

        def feed(chunk: Chunk | None) -> None:
            if chunk is None:
                return
            on_level(chunk.level)
            if chunk.pcm:
                self._note_partial(utterance.accept(chunk.pcm), on_partial)
            cancel.raise_if_cancelled()

        feed(source.preroll(self.pressed_at))
        while not self._released.is_set():
            cancel.raise_if_cancelled()
            feed(source.read(0.05))
        feed(source.read(0.0))  # what was captured up to the release
        transcript = utterance.finish()
        return SessionResult(
            transcript=transcript,
            release_to_final_ms=(time.perf_counter() - self._released_at) * 1000,
            first_partial_ms=self._first_partial_ms,
            audio_seconds=transcript.audio_seconds,
        )


class WavSource:
    """A WAV file standing in for the microphone (bench, tests); optionally paced in real time."""

    def __init__(self, path, *, block_ms: int = 20, realtime: bool = False, rate: int = 16000):
        from slm_desktop.audio.resample import int16_to_float, rms_level
        from slm_desktop.audio.wav import read_pcm16k

        pcm = read_pcm16k(path, rate=rate)
        step = rate * block_ms // 1000 * 2
        self._blocks = [pcm[i : i + step] for i in range(0, len(pcm), step)]
        self._levels = [rms_level(int16_to_float(b)) for b in self._blocks]
        self._block_seconds = block_ms / 1000
        self._realtime = realtime
        self._next = 0
        self._t0 = time.perf_counter()

    @property
    def exhausted(self) -> bool:
        return self._next >= len(self._blocks)

    def preroll(self, pressed_at: float | None = None) -> Chunk:
        self._t0 = time.perf_counter()
        return Chunk(b"", 0.0)

    def read(self, timeout: float = 0.05) -> Chunk | None:
        if self.exhausted:
            if self._realtime:
                time.sleep(timeout)  # a silent microphone: nothing more arrives
            return None
        due = len(self._blocks)
        if self._realtime:
            due = min(due, int((time.perf_counter() - self._t0) / self._block_seconds))
            if due <= self._next:
                time.sleep(min(timeout, self._block_seconds))
                return None
        else:
            due = self._next + 1
        blocks, levels = self._blocks[self._next : due], self._levels[self._next : due]
        self._next = due
        return Chunk(b"".join(blocks), max(levels))
