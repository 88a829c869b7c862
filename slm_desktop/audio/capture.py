"""Microphone capture: one PortAudio input stream kept open at the device's native rate.

The PortAudio callback only appends a copy of each block to a bounded deque (which doubles as
the pre-roll ring) and sets an event; resampling to 16 kHz and the level meter run in the
consumer's thread (a worker lane), never in the callback and never on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from slm_desktop.audio.resample import Resampler, int16_to_float, rms_level, to_int16_bytes
from slm_desktop.errors import AudioError

log = logging.getLogger(__name__)

PORTAUDIO_PACKAGE = "libportaudio2"
STALL_SECONDS = 2.0  # no block for this long while open: the device is gone


@dataclass(frozen=True)
class CaptureConfig:
    device: str | int | None = None  # name (substring) or index; None or "": the system default input
    sample_rate: int = 0  # 0: the device's native default rate
    target_rate: int = 16000
    block_ms: int = 20
    preroll_ms: int = 300
    buffer_seconds: float = 30.0  # how far the consumer may fall behind before blocks drop


@dataclass(frozen=True)
class Chunk:
    pcm: bytes  # target_rate mono int16
    level: float  # RMS 0..1


def load_sounddevice():
    """Import sounddevice, turning a missing PortAudio into a one-line AudioError."""
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when libportaudio is absent
        raise AudioError(f"PortAudio is missing: install the Debian package {PORTAUDIO_PACKAGE}") from exc
    except ImportError as exc:
        raise AudioError("sounddevice is not installed: pip install sounddevice") from exc
    return sounddevice


def refresh_devices() -> None:
    """Re-scan devices (PortAudio lists them once, at initialisation), e.g. after plugging a mic in."""
    sd = load_sounddevice()
    sd._terminate()
    sd._initialize()


def input_devices() -> list[str]:
    sd = load_sounddevice()
    return [d["name"] for d in sd.query_devices() if d.get("max_input_channels", 0) > 0]


def _resolve_device(sd, device: str | int | None) -> dict:
    """The input device's info; a name matches as a case-insensitive substring, like sounddevice's."""
    inputs = [d for d in sd.query_devices() if d.get("max_input_channels", 0) > 0]
    if device in ("", None):
        default = sd.default.device[0]
        chosen = [d for d in inputs if d["index"] == default] or inputs[:1]
        if not chosen:
            raise AudioError("no microphone (input device) found")
        return chosen[0]
    if isinstance(device, int):
        chosen = [d for d in inputs if d["index"] == device]
    else:
        exact = [d for d in inputs if d["name"] == device]
        chosen = exact or [d for d in inputs if device.lower() in d["name"].lower()]
    if not chosen:
        raise AudioError(f"microphone '{device}' not found; choose another input device in settings")
    return chosen[0]


class Microphone:
    """Open at construction, closed by close(); safe to read from one consumer thread."""

    def __init__(self, config: CaptureConfig | None = None):
        self.config = config or CaptureConfig()
        sd = load_sounddevice()
        info = _resolve_device(sd, self.config.device)
        self.device_name = info["name"]
        self.native_rate = int(self.config.sample_rate or info["default_samplerate"])
        block = max(1, self.native_rate * self.config.block_ms // 1000)
        self._blocks: deque[tuple[float, bytes]] = deque(
            maxlen=max(1, int(self.config.buffer_seconds * 1000 / self.config.block_ms))
        )
        self._ready = threading.Event()
        self._ended = threading.Event()
        self.overflows = 0  # blocks PortAudio flagged (input overflow): the consumer fell behind
        self._last_block = time.monotonic()
        self._resampler = Resampler(self.native_rate, self.config.target_rate)
        try:
            self._stream = sd.InputStream(
                device=info["index"],
                samplerate=self.native_rate,
                channels=1,
                dtype="int16",
                blocksize=block,
                callback=self._callback,
                finished_callback=self._ended.set,
            )
            self._stream.start()
        except sd.PortAudioError as exc:
            raise AudioError(f"could not open the microphone '{self.device_name}': {exc}") from exc
        log.info("microphone %s open at %d Hz", self.device_name, self.native_rate)

    def _callback(self, indata, frames, time_info, status) -> None:
        if status:
            self.overflows += 1
        self._last_block = time.monotonic()
        self._blocks.append((self._last_block, bytes(indata)))
        self._ready.set()

    def _convert(self, raw: list[bytes]) -> Chunk:
        samples = int16_to_float(b"".join(raw))
        out = self._resampler.process(samples)
        return Chunk(to_int16_bytes(out), rms_level(samples))

    def _take_all(self, since: float = 0.0) -> list[bytes]:
        taken = []
        while self._blocks:
            stamp, block = self._blocks.popleft()
            if stamp >= since:
                taken.append(block)
        return taken

    def preroll(self, pressed_at: float | None = None) -> Chunk:
        """Audio from preroll_ms before the key press (time.monotonic()) on; older blocks are dropped."""
        self._ready.clear()
        pressed_at = time.monotonic() if pressed_at is None else pressed_at
        return self._convert(self._take_all(since=pressed_at - self.config.preroll_ms / 1000))

    def read(self, timeout: float = 0.05) -> Chunk | None:
        """The blocks captured since the last call, or None after timeout; AudioError if the device died."""
        if not self._blocks:
            self._ready.wait(timeout)
            self._ready.clear()
        self._check_alive()
        blocks = self._take_all()
        return self._convert(blocks) if blocks else None

    def wake(self) -> None:
        """The key was released: a read waiting for the next block returns now with what has arrived."""
        self._ready.set()

    def _check_alive(self) -> None:
        stalled = time.monotonic() - self._last_block > STALL_SECONDS
        if self._ended.is_set() or not self._stream.active or stalled:
            raise AudioError(f"the microphone '{self.device_name}' stopped delivering audio (unplugged?)")

    def close(self) -> None:
        try:
            self._stream.abort()
            self._stream.close()
        except Exception:  # a vanished device may fail to close; nothing left to release
            log.debug("closing the input stream failed", exc_info=True)


def silence(seconds: float, rate: int = 16000) -> bytes:
    return np.zeros(int(seconds * rate), dtype="<i2").tobytes()
