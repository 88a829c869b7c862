"""Any common audio file -> 16 kHz mono int16 chunks, streamed so a long file is never held whole.

PCM and float WAV go through the project's own reader (no FFmpeg needed, every odd WAV variant); MP3,
FLAC, OGG/Opus/Vorbis, M4A/AAC, WAVs of other codecs (A-law, mu-law, MS ADPCM) and the rest through PyAV
(FFmpeg's decoders; it comes with faster-whisper). A file neither can read is one line naming it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.errors import UserError

TARGET_RATE = 16000


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    seconds: float  # 0.0 when the container does not say
    format: str


def _is_wav(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(12)
    return head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE"


def _reader_for(path: Path) -> tuple[bool, UserError | None]:
    """(True, None) for a WAV the project's reader takes (PCM or float). (False, its message) for a WAV of
    another codec (A-law, ADPCM...): FFmpeg decodes it, and the message is said if FFmpeg cannot either.
    (False, None) for every other file."""
    if not _is_wav(path):
        return False, None
    from slm_desktop.audio.wav import UnsupportedEncoding, read_info

    try:
        read_info(path)
    except UnsupportedEncoding as exc:
        return False, exc
    return True, None


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise UserError(f"{path.name}: the file is empty")


def probe(path: Path) -> AudioInfo:
    """What the file is and how long, before any engine loads (a bad file fails here, in one line)."""
    path = Path(path)
    _check_readable(path)
    own, foreign = _reader_for(path)
    if own:
        from slm_desktop.audio.wav import read_info

        return AudioInfo(path, read_info(path).seconds, "wav")
    try:
        container = _open(path)
    except UserError:
        if foreign is None:
            raise
        raise foreign from None
    try:
        stream = _audio_stream(container, path)
        seconds = float(container.duration) / 1_000_000 if container.duration else 0.0
        if not seconds and stream.duration and stream.time_base:
            seconds = float(stream.duration * stream.time_base)
        return AudioInfo(path, seconds, container.format.name)
    finally:
        container.close()


def _open(path: Path):
    import av

    try:
        return av.open(str(path), "r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"{path.name}: not a readable audio file ({_reason(exc)})") from None


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
    return " ".join(str(text).split())[:120]


def _audio_stream(container, path: Path):
    if not container.streams.audio:
        raise UserError(f"{path.name}: has no audio stream")
    return container.streams.audio[0]


def iter_audio16k(path: Path, *, chunk_seconds: float = 0.2, rate: int = TARGET_RATE) -> Iterator[bytes]:
    """16 kHz mono int16 little-endian chunks of about chunk_seconds each, from any readable file."""
    path = Path(path)
    _check_readable(path)
    own, foreign = _reader_for(path)
    if own:
        from slm_desktop.audio.wav import iter_pcm16k

        yield from iter_pcm16k(path, chunk_seconds=chunk_seconds, rate=rate)
        return
    started = False
    try:
        for chunk in _iter_av(path, chunk_seconds, rate):
            started = True
            yield chunk
    except UserError:
        if foreign is None or started:
            raise
        raise foreign from None


def _iter_av(path: Path, chunk_seconds: float, rate: int) -> Iterator[bytes]:
    import av

    container = _open(path)
    try:
        stream = _audio_stream(container, path)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        want = int(rate * chunk_seconds) * 2
        pending = bytearray()
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    pending += bytes(out.planes[0])[: out.samples * 2]
                while len(pending) >= want:
                    yield bytes(pending[:want])
                    del pending[:want]
            for out in resampler.resample(None):
                pending += bytes(out.planes[0])[: out.samples * 2]
        except av.error.FFmpegError as exc:
            raise UserError(f"{path.name}: audio data is damaged ({_reason(exc)})") from None
        if pending:
            yield bytes(pending)
    finally:
        container.close()
