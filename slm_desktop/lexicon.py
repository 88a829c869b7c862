"""A compact English word list with frequencies, for finishing half-typed words like a phone keyboard.

The LLM spells a rare word in several odd tokens ("chrys|anth|em|ums"), so its chips rarely offer one
after a few letters; a word list does. `resources/words/en.tsv.gz` holds the 60,000 most frequent English
words from wordfreq's data (CC-BY-SA 4.0; 276 kB on disk, about 8 MB in memory once loaded; built by
scripts/build_wordlist.py). Loading takes about 60 ms, so it is done once, in the worker lane.
"""

from __future__ import annotations

import bisect
import gzip
import logging
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.paths import resources_dir

log = logging.getLogger(__name__)

WORDLIST_FILE = "words/en.tsv.gz"


@dataclass(frozen=True)
class Candidate:
    word: str
    probability: float  # P(word | the typed prefix) by frequency


class Lexicon:
    """Prefix look-up over a frequency list: sorted words plus their relative frequencies."""

    def __init__(self, frequencies: dict[str, float]):
        self._words = sorted(frequencies)
        self._freq = frequencies

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        path = path or resources_dir() / WORDLIST_FILE
        frequencies: dict[str, float] = {}
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                word, _, centibels = line.rstrip("\n").partition("\t")
                if word and centibels.isdigit():
                    frequencies[word] = 10.0 ** (-int(centibels) / 100)
        log.info("word list: %d words from %s", len(frequencies), path.name)
        return cls(frequencies)

    def close(self) -> None:
        """Nothing to free (the worker lane closes what it caches)."""

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, word: str) -> bool:
        return word.lower() in self._freq

    def frequency(self, word: str) -> float:
        return self._freq.get(word.lower(), 0.0)

    def completions(self, prefix: str, *, limit: int = 8) -> list[Candidate]:
        """The likeliest words that start with `prefix` (longer than it), in the prefix's case:
        "Tue" -> "Tuesday", "TUE" -> "TUESDAY". Empty for an empty prefix."""
        if not prefix:
            return []
        key = prefix.lower()
        lo = bisect.bisect_left(self._words, key)
        hi = bisect.bisect_left(self._words, key + "\uffff")
        matches = [w for w in self._words[lo:hi] if w != key]
        if not matches:
            return []
        total = sum(self._freq[w] for w in self._words[lo:hi])
        best = sorted(matches, key=self._freq.__getitem__, reverse=True)[:limit]
        return [Candidate(_in_case_of(prefix, w), self._freq[w] / total) for w in best]

    def conditional(self, prefix: str, words: list[str]) -> dict[str, float]:
        """P(w | the word starts with `prefix`) by frequency, for words written in any case."""
        key = prefix.lower()
        lo = bisect.bisect_left(self._words, key)
        hi = bisect.bisect_left(self._words, key + "\uffff")
        total = sum(self._freq[w] for w in self._words[lo:hi])
        if not total:
            return dict.fromkeys(words, 0.0)
        return {w: self.frequency(w) / total if w.lower().startswith(key) else 0.0 for w in words}


def _in_case_of(prefix: str, word: str) -> str:
    """Write a lower-case list word the way the user began it."""
    if len(prefix) > 1 and prefix.isupper():
        return word.upper()
    if prefix[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
