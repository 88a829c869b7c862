"""The simulated typist of `bench suggest` (pure; the suggestions come from a callback).

The typist copies a text character by character at the end of the document. Before each keystroke it
may look at the suggestion for the text typed so far: at the start of every word and after each of the
first `look` characters it types of a word (then it types the rest of the word without looking, as
people do). When it looks, it takes the suggestion that saves it the most keystrokes, if any saves one:
- a chip (Alt+1/2/3, one key) inserts what the app inserts (textops.chip_insertion: the rest of the word
  and a space); if the text has no space after that word, Backspace removes the space (one more key);
- the ghost: Tab (one key) when the whole ghost is what comes next, else Ctrl+Right (one key per word,
  textops.next_chunk) for as many leading words as are right.
It never accepts anything wrong (a real typist would have to undo it). Keystroke savings =
1 - keys pressed / characters in the text.
Word-start accuracy figures are taken at every word start, before any of the word is typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slm_desktop.engines.textops import chip_insertion, is_word_char, next_chunk

WORD = re.compile(r"\w(?:[\w'’-]*\w)?")
MODES = ("chips", "ghost", "both")


@dataclass(frozen=True)
class Suggestion:
    ghost: str
    chips: tuple[str, ...]


@dataclass(frozen=True)
class Action:
    keys: int
    text: str  # what it inserts
    source: str  # "chip" or "ghost"


@dataclass(frozen=True)
class Walk:
    mode: str
    chars: int
    keys: int
    chip_accepts: int
    ghost_accepts: int

    @property
    def savings(self) -> float:
        return 1 - self.keys / self.chars if self.chars else 0.0


def word_spans(text: str, start: int = 0, limit: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each word from `start`, at most `limit` words (0: all)."""
    spans = [(m.start(), m.end()) for m in WORD.finditer(text, start)]
    return spans[:limit] if limit else spans


def chip_action(before: str, rest: str, word: str) -> Action | None:
    inserted = chip_insertion(before, word)
    if rest.startswith(inserted):
        return Action(1, inserted, "chip")
    word_ends = not is_word_char(rest[len(inserted) - 1 : len(inserted)])
    if inserted.endswith(" ") and rest.startswith(inserted[:-1]) and word_ends:
        return Action(2, inserted[:-1], "chip")  # Alt+N, then Backspace over the space
    return None


def ghost_action(rest: str, ghost: str) -> Action | None:
    if ghost and rest.startswith(ghost):
        return Action(1, ghost, "ghost")
    taken, keys = "", 0
    while len(taken) < len(ghost):
        chunk = next_chunk(ghost[len(taken) :])
        if not chunk or not rest.startswith(taken + chunk):
            break
        taken, keys = taken + chunk, keys + 1
    return Action(keys, taken, "ghost") if keys else None


def best_action(mode: str, before: str, rest: str, suggestion: Suggestion) -> Action | None:
    options: list[Action | None] = []
    if mode in ("chips", "both"):
        options += [chip_action(before, rest, w) for w in suggestion.chips]
    if mode in ("ghost", "both"):
        options.append(ghost_action(rest, suggestion.ghost))
    useful = [a for a in options if a is not None and len(a.text) > a.keys]
    return max(useful, key=lambda a: (len(a.text) - a.keys, -a.keys), default=None)


def look_points(text: str, spans: Sequence[tuple[int, int]], look: int) -> set[int]:
    """Positions (characters typed so far) where the typist looks: each word start and after 1..look letters."""
    points = set()
    for start, end in spans:
        points.update(range(start, min(end, start + look + 1)))
    return points


def walk(
    mode: str,
    text: str,
    spans: Sequence[tuple[int, int]],
    suggest: Callable[[str], Suggestion],
    *,
    look: int = 3,
) -> Walk:
    """Type from the first span's start to the last span's end (the earlier text is already there)."""
    begin, end = spans[0][0], spans[-1][1]
    points = look_points(text, spans, look)
    i, keys, accepted = begin, 0, {"chip": 0, "ghost": 0}
    while i < end:
        action = best_action(mode, text[:i], text[i:], suggest(text[:i])) if i in points else None
        if action is None:
            i, keys = i + 1, keys + 1
            continue
        keys += action.keys
        i += len(action.text)
        accepted[action.source] += 1
        points.add(i)  # after an accept the typist looks again (the app has a new suggestion)
    return Walk(mode, end - begin, keys, accepted["chip"], accepted["ghost"])
