"""Spoken punctuation and editing while dictating, and the prompt the recogniser gets (no Qt).

Dictated text is recognised words, but some words are instructions: "comma", "full stop", "new line",
"scratch that". They act instead of being typed (VoiceInk users complain they are typed literally).
Whisper adds its own punctuation and casing around them ("Hello, comma, world.", "New line."), so a
command absorbs the punctuation Whisper put around it, and a spoken mark replaces the mark written
just before it. Everything else Whisper wrote stays as it wrote it.

``plan_dictation(before, heard)`` says what one utterance does at the cursor: insert text (replacing a
few characters before the cursor, when a spoken mark replaces Whisper's), remove the last dictated
utterance (scratch), or undo. The editor applies it as one undo step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from slm_desktop.engines.textops import SENTENCE_END

INSERT, SCRATCH, UNDO = "insert", "scratch", "undo"

EDIT_COMMANDS = {"scratch that": SCRATCH, "delete that": SCRATCH, "strike that": SCRATCH, "undo that": UNDO}

_MARKS = {  # normalised command words -> what is written
    "new paragraph": "\n\n",
    "new line": "\n",
    "full stop": ".",
    "period": ".",
    "question mark": "?",
    "exclamation mark": "!",
    "exclamation point": "!",
    "comma": ",",
    "colon": ":",
    "semicolon": ";",
}
_SPELLINGS = {
    "newline": "new line",
    "newparagraph": "new paragraph",
    "fullstop": "full stop",
    "semi colon": "semicolon",
}
BREAKS = ("\n", "\n\n")
_MARK_CHARS = ".,;:!?…"
_PUNCT = rf"[{_MARK_CHARS}]"
_WORD = r"[\w'’-]"
_COMMAND = re.compile(
    rf"(?P<pre>{_PUNCT}*)(?P<gap>\s*)(?<!{_WORD})"
    r"(?P<cmd>new[\s-]*paragraph|new[\s-]*line|full[\s-]*stop|question[\s-]+mark|exclamation[\s-]+(?:mark|point)"
    r"|semi[\s-]*colon|colon|comma|period)"
    rf"(?!{_WORD})(?P<post>{_PUNCT}*)",
    re.IGNORECASE,
)
_EDIT = re.compile(
    rf"(?<!{_WORD})(?P<cmd>scratch|delete|strike|undo)\s+that(?!{_WORD})(?P<post>{_PUNCT}*)", re.IGNORECASE
)
_TRAILING_MARKS = re.compile(rf"(?:{_PUNCT}|[ \t])*\Z")
_TRAILING_SPACE = re.compile(r"[ \t]*\Z")
_PRONOUN_I = re.compile(r"\bi\b(?=$|[\s'’.,;:!?])")
_CLOSERS = tuple(".,;:!?…)]}”")  # no space before these (quotes may open or close: spaced)
CONTEXT_CHARS = 200  # of the text before the cursor; faster-whisper keeps the prompt's last ~223 tokens
WORDS_CHARS = 300


@dataclass(frozen=True)
class DictationStep:
    action: str  # INSERT | SCRATCH | UNDO
    text: str = ""  # INSERT: what goes at the cursor
    remove_before: int = 0  # INSERT: characters before the cursor that the text replaces
    rest: str = ""  # SCRATCH / UNDO: words heard after the command, dictated once it is done


@dataclass(frozen=True)
class _Mark:
    text: str  # one of _MARKS' values


def _normalise(phrase: str) -> str:
    words = re.sub(r"[^\w\s'’-]", " ", phrase.lower()).replace("-", " ").split()
    return " ".join(words)


def _command_key(spoken: str) -> str:
    key = _normalise(spoken)
    return _SPELLINGS.get(key, key)


_DETERMINER = re.compile(
    r"(?<![\w'’-])(?:a|an|the|my|your|its|our|their|every)\s+\Z",  # never a clause's last word, unlike "that"
    re.IGNORECASE,
)


def _is_command(match: re.Match, said: str, rest: str) -> bool:
    """Every spoken mark acts, except after a determiner, where it is a noun ("a new line of products",
    "the question mark is missing", "add a colon"), and "period", a common word ("in that period"): it
    acts only where a sentence ends (the end of the utterance, before another command, or where Whisper
    put a stop after it)."""
    if not match["pre"] and _DETERMINER.search(said + match["gap"]):
        return False
    if _command_key(match["cmd"]) != "period":
        return True
    if not rest.strip() or any(ch in match["post"] for ch in SENTENCE_END):
        return True
    following = _COMMAND.match(rest)
    return following is not None and not following["pre"] and _command_key(following["cmd"]) != "period"


def parse(heard: str) -> list[str | _Mark]:
    """Text runs and spoken marks, in order."""
    pieces: list[str | _Mark] = []
    at = 0
    for match in _COMMAND.finditer(heard):
        if not _is_command(match, heard[: match.start()], heard[match.end() :]):
            continue
        mark = _MARKS[_command_key(match["cmd"])]
        text = heard[at : match.start()]
        if mark in BREAKS:
            text += match["pre"]  # "Thanks. New line." keeps Whisper's full stop before the break
        pieces.append(text)
        pieces.append(_Mark(mark))
        at = match.end()
    pieces.append(heard[at:])
    return [p for p in pieces if not isinstance(p, str) or p.strip()]


def _spoken_edits(heard: str) -> tuple[str | None, str]:
    """Editing commands said as sentences of their own inside a longer utterance, as people speak:
    "Meet at noon. Scratch that. Meet at one." drops the sentence before the command; one that opens the
    utterance ("Scratch that. Meet at one.") acts on what was dictated before, then the rest is dictated.
    A command counts only between sentence boundaries (Whisper's punctuation, or the utterance's ends),
    so "Please delete that file." and "I had to scratch that." are typed. Returns (opening action, text)."""
    text, start = heard, 0
    while found := _EDIT.search(text, start):
        said, after = text[: found.start()].rstrip(), text[found.end() :]
        if (said and said[-1] not in _MARK_CHARS) or (after.strip() and not found["post"]):
            start = found.end()
            continue
        if not said:  # the rest may hold more commands: it is planned again once this one is done
            return EDIT_COMMANDS[_normalise(found["cmd"] + " that")], after.strip()
        ends = [i for i, ch in enumerate(said[:-1]) if ch in SENTENCE_END]
        kept = said[: ends[-1] + 1] if ends else ""
        text, start = kept + after, len(kept)
    return None, text


def plan_dictation(before: str, heard: str) -> DictationStep:
    """What one dictated utterance does, given the text before the cursor."""
    heard = heard.strip()
    edit = EDIT_COMMANDS.get(_normalise(heard))
    if edit is not None:
        return DictationStep(edit)
    opening, heard = _spoken_edits(heard)
    if opening is not None:
        return DictationStep(opening, rest=heard.strip())
    writer = _Writer(before)
    for piece in parse(heard):
        if isinstance(piece, _Mark):
            writer.mark(piece.text)
        else:
            writer.words(piece.strip())
    return DictationStep(INSERT, writer.out, writer.removed)


class _Writer:
    """Builds the insertion; may take back characters before the cursor (a mark replacing a mark)."""

    def __init__(self, before: str):
        self._before = before
        self.out = ""
        self.removed = 0

    @property
    def _context(self) -> str:
        return self._before[: len(self._before) - self.removed] + self.out

    def _drop_tail(self, pattern: re.Pattern) -> None:
        count = len(pattern.search(self._context).group(0))
        from_out = min(count, len(self.out))
        self.out = self.out[: len(self.out) - from_out]
        self.removed += count - from_out

    def mark(self, mark: str) -> None:
        if mark in BREAKS:
            self._drop_tail(_TRAILING_SPACE)
        else:
            self._drop_tail(_TRAILING_MARKS)  # "Hello, comma" -> "Hello,"; "there." + "question mark" -> "there?"
        self.out += mark

    def words(self, text: str) -> None:
        """Whisper's casing stays (a capital after a spoken comma may be a name); a sentence's first word
        gets a capital, and English "i" is "I" (PocketSphinx writes lower case)."""
        context = self._context
        head = context.rstrip()
        if not head or head.endswith(SENTENCE_END) or context.endswith("\n"):
            text = text[0].upper() + text[1:]
        if context and not context[-1].isspace() and not text.startswith(_CLOSERS):
            self.out += " "
        self.out += _PRONOUN_I.sub("I", text)


def speech_context(before: str, custom_words: str, *, mode: str = "dictation") -> str:
    """The recogniser's prompt: the user's own words (names, jargon) from Settings, then, when dictating,
    the end of the text before the cursor, so names and casing carry over. The text comes last because
    Whisper keeps the end of a long prompt; it is cut at a word boundary."""
    words = ", ".join(w.strip() for w in custom_words.split(",") if w.strip())[:WORDS_CHARS]
    tail = ""
    if mode == "dictation":
        tail = before[-CONTEXT_CHARS:]
        if len(before) > CONTEXT_CHARS and " " in tail:
            tail = tail.split(" ", 1)[1]
        tail = " ".join(tail.split())
    parts = [f"{words}." if words and tail else words, tail]
    return " ".join(p for p in parts if p)
