"""Pure text rules for suggestions, shared by the completion engine and the editor (no Qt, no llama)."""

from __future__ import annotations

import re
from collections.abc import Sequence

_WORD_TAIL = re.compile(r"\w+\Z")
_LEADING_WORD = re.compile(r"^\s*([\w'’-]*\w)")
_WORD_TAIL_WITH_SPACE = re.compile(r"[ \t]*\w*\Z")
_NEXT_CHUNK = re.compile(r"^\s*\S+")
SENTENCE_END = (".", "!", "?", "…")
_FULL_STOPS = (*SENTENCE_END, "。", "？", "！")
_CLOSERS = "\"')]»”’"
# a period that does not end a sentence before a name ("Mr. Smith"), or inside one ("e.g. this"); "etc." and
# "a.m." end sentences as often as not, so they count as ends
ABBREVIATIONS = frozenset({"mr.", "mrs.", "ms.", "dr.", "st.", "sr.", "jr.", "prof.", "vs.", "e.g.", "i.e."})


def is_word_char(ch: str) -> bool:
    return bool(ch) and (ch.isalnum() or ch == "_")


def ends_sentence(word: str) -> bool:
    """Whether a transcript's word closes its sentence ("done.", 'ready?"', "終わり。"), so that a pause after it
    may start a paragraph or a cue; a title ("Dr.") or an initial ("John F.") does not."""
    core = word.rstrip(_CLOSERS)
    if not core.endswith(_FULL_STOPS) or core.lower() in ABBREVIATIONS:
        return False
    return not (len(core) == 2 and core[0].isupper() and core[1] == ".")


def partial_word(before: str) -> str:
    """The word being typed at the cursor ('' after a space or punctuation)."""
    found = _WORD_TAIL.search(before)
    return found.group(0) if found else ""


def inside_word(before: str, after: str) -> bool:
    """The cursor sits between two letters: a suggestion there would split a word."""
    return is_word_char(before[-1:]) and is_word_char(after[:1])


def leading_word(text: str) -> str:
    """The first word of a model's output, without the space before it ('' if it starts with punctuation)."""
    found = _LEADING_WORD.match(text)
    return found.group(1) if found else ""


def chip_insertion(before: str, word: str) -> str:
    """What picking a word chip inserts at the cursor: the rest of the typed word, or a new word."""
    partial = partial_word(before)
    if partial and word.startswith(partial):
        return word[len(partial) :] + " "
    if before and not before[-1].isspace():
        return " " + word + " "
    return word + " "


def next_chunk(ghost: str) -> str:
    """The part of the ghost text that Ctrl+Right accepts: leading spaces plus one word."""
    found = _NEXT_CHUNK.match(ghost)
    return found.group(0) if found else ghost


def repeats_context(before: str, suggestion: str, min_chars: int = 12) -> bool:
    """A long suggestion already present in the paragraph being written is the model looping, not
    helping. Earlier paragraphs are fair to copy from: a phrase the writer used there ("before the end
    of the month", a sign-off) is often what comes next (on everyday-tune.txt dropping such copies
    cost 1.1 points of ghost first words and 64 of its 834 saved keystrokes)."""
    core = suggestion.strip()
    recent = before[-2000:]
    paragraph = recent[recent.rfind("\n\n") + 1 :]
    return len(core) >= min_chars and core in paragraph


def number_expected(before: str) -> bool:
    """A number is being typed at the cursor, the last word before it is one ("1, 2, 3,"), or the line
    above starts with one (a numbered list)."""
    if partial_word(before)[:1].isdigit() or _LAST_NUMBER.search(before[-64:]):
        return True
    lines = [line for line in before[-2000:].split("\n")[:-1] if line.strip()]
    return bool(lines) and lines[-1].lstrip()[:1].isdigit()


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """Trim a suggestion at a newline or a stop string; True when generation must end there."""
    cuts = [i for i in (text.find(s) for s in ("\n", *stop) if s) if i >= 0]
    return (text[: min(cuts)], True) if cuts else (text, False)


def drop_partial_word(text: str) -> str:
    """At the token limit, end on a whole word rather than half of one."""
    head = text.rstrip()
    cut = max(head.rfind(" "), head.rfind("\t"))
    return text[:cut] if cut > 0 else text


def word_tail(before: str) -> str:
    """The half-typed word with the whitespace before it (or trailing whitespace): what token healing re-spells."""
    found = _WORD_TAIL_WITH_SPACE.search(before[-64:])
    return found.group(0) if found else ""


_LAST_NUMBER = re.compile(r"\d[^\w\n]*\Z")
_PRONOUN_I = re.compile(r"\bi\b(?=$|[\s'’])")


def dictation_insertion(before: str, text: str) -> str:
    """What dictated words become at the cursor. Recognisers emit lower-case words without punctuation, so
    the first word gets a capital at the start of the text or of a sentence, English "i" ("i'm") becomes
    "I", and a space separates the words from what precedes them."""
    if not text:
        return ""
    head = before.rstrip()
    starts_sentence = not head or head.endswith(SENTENCE_END) or before.endswith("\n")
    spacer = " " if before and not before[-1].isspace() else ""
    return spacer + _as_written(text, starts_sentence=starts_sentence)


def spoken_sentence(text: str) -> str:
    """A phrase cut at a pause, written as a sentence: a capital first letter, English "I", a closing full
    stop. Subtitles read better, and rule-based translators (Apertium) handle sentences, not fragments."""
    text = text.strip()
    if not text:
        return ""
    text = _as_written(text, starts_sentence=True)
    return text if text.endswith(SENTENCE_END) else text + "."


def _as_written(words: str, *, starts_sentence: bool) -> str:
    """Recognised words with the capitals a writer would use: the sentence's first letter, English "I"."""
    if starts_sentence:
        words = words[0].upper() + words[1:]
    return _PRONOUN_I.sub("I", words)
