"""Language codes (ISO 639-1), their English names, and language detection, shared by engines, logic and UI.

Detection is py3langid (a naive Bayes model over byte n-grams for 139 languages, numpy only, a 4.6 MB
wheel; its model takes about 77 MB of memory and 1-2 s to load, so the GUI loads it on a worker lane, and
only once Detect language is used). It says
"unknown" rather than guess: for text with too few letters, when no language is clearly likelier
than the next, and when the sentences of a text are confidently in different languages.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "ca": "Catalan",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ru": "Russian",
    "uk": "Ukrainian",
    "el": "Greek",
    "ar": "Arabic",
    "he": "Hebrew",
    "hi": "Hindi",
    "th": "Thai",
    "ja": "Japanese",
    "ko": "Korean",
    "zh": "Chinese",
}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


# ---------------------------------------------------------------- detection

UNKNOWN = "unknown"
MIN_PROBABILITY = 0.35  # of the best language, over all 139 (short clear phrases score 0.4-0.9)
MIN_LEAD = 1.8  # the best must be this many times likelier than the runner-up
MIN_LETTERS = 4
SENTENCE_LETTERS = 16  # sentences this long are judged one by one, to notice mixed texts
MAX_CHARS = 2000
# variants the model tells apart but a translation model does not
_SAME = {"yue": "zh", "wuu": "zh", "ary": "ar", "arz": "ar", "nn": "no", "hbo": "he", "gug": "gn"}
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")


@dataclass(frozen=True)
class Detection:
    language: str  # ISO 639-1 (or 639-3 where there is none), or UNKNOWN
    confidence: float  # probability of that language over all the model knows; 0 when unknown
    reason: str = ""  # why unknown: "too short", "unsure", "mixed", "loading"

    @property
    def known(self) -> bool:
        return self.language != UNKNOWN


_lock = threading.Lock()
_identifier = None


def detector_ready() -> bool:
    return _identifier is not None


def load_detector():
    """Load the model once per process (about a second); the GUI calls this on a worker lane."""
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _identifier


def _probabilities(text: str) -> list[tuple[str, float]]:
    merged: dict[str, float] = {}
    for code, p in load_detector().rank(text):
        code = _SAME.get(code, code)
        merged[code] = merged.get(code, 0.0) + float(p)
    return sorted(merged.items(), key=lambda item: -item[1])


def _confident(ranked: list[tuple[str, float]]) -> str | None:
    (best, p1), (_, p2) = ranked[0], ranked[1] if len(ranked) > 1 else ("", 0.0)
    return best if p1 >= MIN_PROBABILITY and p1 >= MIN_LEAD * p2 and best != "zxx" else None


def _letters(text: str) -> int:
    return sum(char.isalpha() for char in text)


def _mixed(text: str) -> bool:
    """Two sentences confidently in different languages."""
    sentences = [s for s in _SENTENCE_END.split(text) if _letters(s) >= SENTENCE_LETTERS][:8]
    found = {_confident(_probabilities(s)) for s in sentences} - {None}
    return len(found) > 1


def _among(ranked: list[tuple[str, float]], candidates: Sequence[str]) -> tuple[str, float] | None:
    """Unsure over all languages, but one of the installed source languages stands out among them."""
    pool = [(code, p) for code, p in ranked if code in candidates]
    if not pool:
        return None
    (best, p1), p2 = pool[0], pool[1][1] if len(pool) > 1 else 0.0
    return (best, p1) if p1 >= MIN_PROBABILITY / 2 and p1 >= 3 * p2 else None


def detect_language(text: str, candidates: Sequence[str] = (), *, wait: bool = True) -> Detection:
    """The language of `text`, or UNKNOWN with a reason. `candidates` (the installed source languages)
    decide only between languages the model itself cannot separate. wait=False never blocks on loading
    the model: the GUI thread gets UNKNOWN ("loading") until a worker lane has loaded it."""
    text = text[:MAX_CHARS]
    if _letters(text) < MIN_LETTERS:
        return Detection(UNKNOWN, 0.0, "too short")
    if not wait and not detector_ready():
        return Detection(UNKNOWN, 0.0, "loading")
    ranked = _probabilities(text)
    if _mixed(text):
        return Detection(UNKNOWN, 0.0, "mixed")
    best = _confident(ranked)
    if best is not None:
        return Detection(best, ranked[0][1])
    chosen = _among(ranked, candidates)
    return Detection(*chosen) if chosen else Detection(UNKNOWN, 0.0, "unsure")


def describe_unknown(detection: Detection) -> str:
    """One line for the panel and the CLI."""
    why = {
        "too short": "too little text",
        "mixed": "the text mixes languages",
        "loading": "still loading the language detector",
    }.get(detection.reason, "no language is clearly likelier")
    return f"Language unknown ({why}); pick the source language"
