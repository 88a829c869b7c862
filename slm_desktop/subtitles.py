"""Word timings -> subtitle cues -> SRT or WebVTT text (pure; `slm-desktop transcribe --srt/--vtt`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slm_desktop.engines.base import Word
from slm_desktop.engines.textops import ends_sentence

MAX_CUE_S = 6.0
LINE_CHARS = 42  # the usual subtitle line
MAX_CUE_CHARS = 2 * LINE_CHARS
GAP_S = 1.0  # a pause this long starts a new cue


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def cues(words: Sequence[Word]) -> list[Cue]:
    """Cues end at sentence ends, long pauses, or when they would get too long to read."""
    out: list[Cue] = []
    current: list[Word] = []
    for word in words:
        if current:
            text = " ".join(w.word for w in (*current, word))
            too_long = word.end - current[0].start > MAX_CUE_S or len(text) > MAX_CUE_CHARS
            if too_long or word.start - current[-1].end > GAP_S or ends_sentence(current[-1].word):
                out.append(_cue(current))
                current = []
        current.append(word)
    if current:
        out.append(_cue(current))
    return out


def _cue(words: list[Word]) -> Cue:
    return Cue(words[0].start, max(words[-1].end, words[0].start + 0.2), _two_lines(" ".join(w.word for w in words)))


def _two_lines(text: str) -> str:
    """A cue longer than one line is broken at the space nearest its middle, as subtitle editors balance
    them; a player would otherwise wrap it wherever the screen ends, or run it off the edge."""
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if len(text) <= LINE_CHARS or not spaces:
        return text
    cut = min(spaces, key=lambda i: abs(len(text) - 2 * i))
    return text[:cut] + "\n" + text[cut + 1 :]


def _stamp(seconds: float, sep: str) -> str:
    ms = round(max(seconds, 0.0) * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{ms:03d}"


def to_srt(words: Sequence[Word]) -> str:
    return srt_text(cues(words))


def to_vtt(words: Sequence[Word]) -> str:
    return vtt_text(cues(words))


def srt_text(found: Sequence[Cue]) -> str:
    blocks = [f"{n}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{c.text}\n" for n, c in enumerate(found, start=1)]
    return "\n".join(blocks)


def vtt_text(found: Sequence[Cue]) -> str:
    blocks = [f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{c.text}\n" for c in found]
    return "WEBVTT\n\n" + "\n".join(blocks)
