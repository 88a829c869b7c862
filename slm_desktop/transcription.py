"""Audio files to text, for the command line and the window alike (no Qt; engines arrive loaded).

A recording of a meeting or a voice memo is long: Whisper streams it in windows (bounded memory), the
caller hears how far it got, and a cancel token is honoured between 0.2 s chunks, so Cancel on a
one-hour file stops within one window's decode instead of at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from slm_desktop.cancel import CancelToken
from slm_desktop.engines.base import Transcript, Word, streams_recordings
from slm_desktop.engines.textops import ends_sentence

PARAGRAPH_PAUSE_S = 2.0  # a silence this long after a sentence ends starts a new paragraph

# what File -> Transcribe and a drop onto the editor treat as audio (FFmpeg reads the audio track of videos)
AUDIO_SUFFIXES = frozenset(
    {
        *(".wav", ".wave", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wma", ".amr"),
        *(".aiff", ".aif", ".au", ".webm", ".mp4", ".mkv", ".mov"),
    }
)


def is_audio_name(path: Path) -> bool:
    return Path(path).suffix.lower() in AUDIO_SUFFIXES


def clock(seconds: float, *, hours: bool = False) -> str:
    """ "2:05", or "1:02:05" past an hour (always h:mm:ss with `hours`, for a progress line that must not jump)."""
    minutes, rest = divmod(int(seconds), 60)
    if hours or minutes >= 60:
        return f"{minutes // 60:d}:{minutes % 60:02d}:{rest:02d}"
    return f"{minutes}:{rest:02d}"


def _cancellable(chunks: Iterable[bytes], cancel: CancelToken | None) -> Iterator[bytes]:
    for pcm in chunks:
        if cancel is not None:
            cancel.raise_if_cancelled()
        yield pcm


def transcribe_file(
    engine,
    path: Path,
    *,
    grammar: Sequence[str] | None = None,
    on_audio: Callable[[float], None] | None = None,
    cancel: CancelToken | None = None,
) -> Transcript:
    """Whisper streams the file in windows; the other engines take it as one long utterance, and so
    does Whisper given a command vocabulary (a spoken command is short; the vocabulary is its prompt)."""
    from slm_desktop.audio.decode import iter_audio16k

    chunks = _cancellable(iter_audio16k(path, rate=engine.sample_rate), cancel)
    if streams_recordings(engine) and not grammar:
        return engine.transcribe_chunks(chunks, on_audio=on_audio)
    utterance = engine.start(grammar=grammar)
    done = 0
    for pcm in chunks:
        utterance.accept(pcm)
        done += len(pcm) // 2
        if on_audio is not None:
            on_audio(done / engine.sample_rate)
    return utterance.finish()


def as_paragraphs(transcript: Transcript, *, pause_s: float = PARAGRAPH_PAUSE_S) -> str:
    """The transcript as text to read: a new paragraph where the speaker finished a sentence and paused.
    Without word timings (some engines give none) it stays one paragraph."""
    words: Sequence[Word] = transcript.words
    if not words:
        return transcript.text.strip()
    paragraphs: list[list[str]] = [[]]
    for before, word in zip((None, *words), words, strict=False):
        pause = before is not None and word.start - before.end >= pause_s
        if pause and ends_sentence(before.word):
            paragraphs.append([])
        paragraphs[-1].append(word.word.strip())
    return "\n\n".join(" ".join(w for w in p if w) for p in paragraphs if p)
