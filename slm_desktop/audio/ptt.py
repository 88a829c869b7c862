"""Push-to-talk without Qt: pre-roll + live chunks from an audio source into an Utterance.

``PushToTalkSession.run`` is what the worker lane executes between key press and release;
``release()`` may be called from any thread. A session also ends itself after ``max_seconds`` of
audio, so a key whose release never arrives (the window lost focus, a stuck key) cannot record
without end. Timing figures (first partial, release to final) are measured here so the bench and
the UI report the same thing.
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
    hit_limit: bool = False  # ended by max_seconds, not by a release


class PushToTalkSession:
    """Created at key press (any thread), run in a worker lane, released from any thread.

    ``max_seconds`` (0: no limit) counts audio fed, pre-roll included; ``rate`` is the PCM's."""

    def __init__(self, *, max_seconds: float = 0.0, rate: int = 16000) -> None:
        self.pressed_at = time.monotonic()
        self.max_seconds = max_seconds
        self._max_bytes = int(max_seconds * rate) * 2
        self._fed_bytes = 0
        self.hit_limit = False
        self._released = threading.Event()
        self._released_at = 0.0
        self._source: AudioSource | None = None
        self._started_at = 0.0
        self._first_partial_ms = -1.0
        self._last_partial = ""

    def release(self) -> None:
        """End the recording now. A source that can be woken (the microphone, a WAV) stops waiting for its
        next block, so the final decode starts at once with what was captured up to the release: waiting
        for the block after it cost 10 ms on average (up to a block, 20 ms) at every release."""
        self._released_at = time.perf_counter()
        self._released.set()
        wake = getattr(self._source, "wake", None)
        if wake is not None:
            wake()

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
        on_limit: Callable[[float], None] = lambda seconds: None,
        cancel: CancelToken | None = None,
    ) -> SessionResult:
        """Feed audio until release() or max_seconds, then return the final transcript; runs in a worker
        lane. on_limit(max_seconds) is called when the limit, not a release, ended the recording."""
        cancel = cancel or CancelToken()
        self._started_at = time.perf_counter()
        self._source = source  # release() wakes it; set before the loop first looks at the release

        def feed(chunk: Chunk | None, *, preview: bool = True) -> None:
            if chunk is None:
                return
            on_level(chunk.level)
            pcm = self._within_limit(chunk.pcm)
            if pcm:
                self._note_partial(utterance.accept(pcm, preview=preview), on_partial)
            cancel.raise_if_cancelled()
            if self.hit_limit and not self._released.is_set():
                self.release()
                on_limit(self.max_seconds)

        feed(source.preroll(self.pressed_at))
        while not self._released.is_set():
            cancel.raise_if_cancelled()
            chunk = source.read(0.05)
            # a chunk read across the release only joins the final decode: a preview decode
            # started now would make the release wait for it
            feed(chunk, preview=not self._released.is_set())
        feed(source.read(0.0), preview=False)  # what was captured up to the release
        transcript = utterance.finish()
        return SessionResult(
            transcript=transcript,
            release_to_final_ms=(time.perf_counter() - self._released_at) * 1000,
            first_partial_ms=self._first_partial_ms,
            audio_seconds=transcript.audio_seconds,
            hit_limit=self.hit_limit,
        )

    def _within_limit(self, pcm: bytes) -> bytes:
        """The part of pcm that fits under max_seconds; reaching the limit sets hit_limit."""
        if not self._max_bytes:
            return pcm
        room = self._max_bytes - self._fed_bytes
        if len(pcm) >= room:
            self.hit_limit = True
            pcm = pcm[: max(0, room)]
        self._fed_bytes += len(pcm)
        return pcm


class WavSource:
    """An audio file (WAV, or anything PyAV reads) standing in for the microphone (bench, tests, `live
    --file`); optionally paced in real time. Short recordings only: the file is decoded whole."""

    def __init__(
        self, path, *, block_ms: int = 20, realtime: bool = False, rate: int = 16000, quiet_after_s: float = 0.0
    ):
        """quiet_after_s: digital silence after the file, as when a speaker pauses before the release."""
        from slm_desktop.audio.decode import iter_audio16k
        from slm_desktop.audio.resample import block_levels

        pcm = b"".join(iter_audio16k(path, rate=rate)) + bytes(2 * int(quiet_after_s * rate))
        step = rate * block_ms // 1000 * 2
        self._blocks = [pcm[i : i + step] for i in range(0, len(pcm), step)]
        self._levels = block_levels(pcm, step // 2).tolist()
        self._block_seconds = block_ms / 1000
        self._realtime = realtime
        self._next = 0
        self._t0 = time.perf_counter()
        self._woken = threading.Event()

    @property
    def exhausted(self) -> bool:
        return self._next >= len(self._blocks)

    def wake(self) -> None:
        """The key was released: a read waiting for the next block returns now, and no read waits again."""
        self._woken.set()

    def preroll(self, pressed_at: float | None = None) -> Chunk:
        self._t0 = time.perf_counter()
        return Chunk(b"", 0.0)

    def read(self, timeout: float = 0.05) -> Chunk | None:
        if self.exhausted:
            if self._realtime:  # a silent microphone: nothing more arrives, but a block's time passes
                self._woken.wait(min(timeout, self._block_seconds))
            return None
        due = len(self._blocks)
        if self._realtime:
            due = min(due, int((time.perf_counter() - self._t0) / self._block_seconds))
            if due <= self._next:
                self._woken.wait(min(timeout, self._block_seconds))
                return None
        else:
            due = self._next + 1
        blocks, levels = self._blocks[self._next : due], self._levels[self._next : due]
        self._next = due
        return Chunk(b"".join(blocks), max(levels))
