"""The personal model: the user's own words, learned on this machine from the documents they open or save
in the app and the suggestions they accept.

A word 4-gram model with interpolated absolute discounting (Ney et al. 1994), small enough to learn from
a document in milliseconds and to mix with the LLM's next-word probabilities for the chips. It knows the
names, sign-offs and phrases a 135M-parameter model cannot ("Best wishes,\\nNadia"). Text is counted line by
line, and a line already learned (same sha256) is not counted again, so saving a document ten times does
not count it ten times. Stored as gzip'd JSON in the user data dir (never pickle); nothing leaves the
machine. Thread-safe: the GUI learns while the worker lane reads.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
import threading
import zlib
from collections.abc import Iterable
from pathlib import Path

from slm_desktop.atomic import PRIVATE_MODE, atomic_write_bytes, move_aside

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_TOKEN = re.compile(r"[\w'’-]*\w|[.,!?;:]")
_START = "<s>"
_NEWLINE = "\n"
_DISCOUNT = 0.75
_CONTEXT = 3  # tokens of context: a 4-gram model ("wishes , \n" -> "Nadia")
_MAX_LINE_CHARS = 2000  # a longer "line" is a pasted blob, learned in pieces


def tokens(text: str) -> list[str]:
    """Words (as written) and the punctuation that shapes what comes next."""
    return _TOKEN.findall(text)


def _is_word(token: str) -> bool:
    return token[:1].isalnum() or token[:1] == "_"


def context_of(before: str) -> tuple[str, ...]:
    """The last three tokens before the cursor (lower case; a line break is a token, the document start is
    <s>). A half-typed word at the cursor is not part of the context."""
    recent = re.sub(r"\w+\Z", "", before[-300:])
    return tuple(_history(recent.split("\n"))[-_CONTEXT:])


def _history(lines: Iterable[str]) -> list[str]:
    out = [_START] * _CONTEXT
    for i, line in enumerate(lines):
        if i and out[-1] != _NEWLINE:
            out.append(_NEWLINE)
        out += [t.lower() for t in tokens(line)]
    return out


class PersonalModel:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: dict[str, dict[str, int]] = {}  # context ("", "v", "u v") -> next word -> count
        self._totals: dict[str, tuple[int, int]] = {}  # context -> (sum of counts, distinct words)
        self._seen: set[str] = set()  # sha256 (16 hex digits) of each line learned

    # ------------------------------------------------------------ learning

    def learn(self, text: str) -> int:
        """Count every line not learned before (in the context of the lines above it); returns the number
        of words counted."""
        counted = 0
        history = [_START] * _CONTEXT
        with self._lock:
            for line in _lines(text):
                found = tokens(line)
                digest = hashlib.sha256(line.encode("utf-8")).hexdigest()[:16]
                if digest not in self._seen:
                    self._seen.add(digest)
                    counted += self._count(found, history[-_CONTEXT:])
                history += [t.lower() for t in found]
                if history[-1] != _NEWLINE:
                    history.append(_NEWLINE)
        return counted

    def learn_accepted(self, before: str, word: str) -> None:
        """An accepted chip: one more count of `word` after its context (the line itself is learned on save)."""
        if word:
            with self._lock:
                self._add(context_of(before), word)

    def _count(self, found: list[str], start: list[str]) -> int:
        history = list(start)
        counted = 0
        for token in found:
            if _is_word(token):
                self._add(tuple(history[-_CONTEXT:]), token)
                counted += 1
            history.append(token.lower())
        return counted

    def _add(self, context: tuple[str, ...], word: str) -> None:
        for key in _keys(context):
            followers = self._next.setdefault(key, {})
            new = word not in followers
            followers[word] = followers.get(word, 0) + 1
            total, distinct = self._totals.get(key, (0, 0))
            self._totals[key] = (total + 1, distinct + new)

    # ------------------------------------------------------------ probabilities

    @property
    def words(self) -> int:
        return self._totals.get("", (0, 0))[0]

    def conditional(
        self, before: str, *, prefix: str = "", also: Iterable[str] = (), limit: int = 5
    ) -> dict[str, float]:
        """P(w | the tokens before the cursor, w starts with `prefix`) for the `limit` likeliest such
        words the user has written, and for each word of `also`. Without a prefix only the words seen after
        this context are candidates (the rest share the small unigram remainder)."""
        context = context_of(before)
        with self._lock:
            if prefix:
                pool = [w for w in self._next.get("", {}) if w.startswith(prefix)]
            else:
                pool = list({w: 0 for key in _keys(context)[1:] for w in self._next.get(key, {})})
            scored = {w: self._p(context, w) for w in pool}
            mass = sum(scored.values()) if prefix else 1.0
            best = sorted((w for w in scored if w != prefix), key=scored.__getitem__, reverse=True)[:limit]
            wanted = {w: scored[w] for w in best}
            for word in also:
                wanted[word] = scored[word] if word in scored else (self._p(context, word) if not prefix else 0.0)
        return {w: p / mass for w, p in wanted.items()} if mass > 0 else {}

    def evidence(self, before: str) -> int:
        """How often the user's text had the longest context that the model knows for this place
        (0: not even the last token was seen), so a mixture can trust it more where it knows more."""
        context = context_of(before)
        with self._lock:
            for key in reversed(_keys(context)[1:]):
                total = self._totals.get(key, (0, 0))[0]
                if total:
                    return total * (key.count(" ") + 1)
        return 0

    def _p(self, context: tuple[str, ...], word: str) -> float:
        probability = 0.0
        for key in _keys(context):
            probability = self._level(key, word, probability)
        return probability

    def _level(self, key: str, word: str, lower: float) -> float:
        total, distinct = self._totals.get(key, (0, 0))
        if not total:
            return lower
        count = self._next[key].get(word, 0)
        return max(count - _DISCOUNT, 0.0) / total + _DISCOUNT * distinct / total * lower if key else count / total

    # ------------------------------------------------------------ storage

    def replace_with(self, other: PersonalModel) -> None:
        """Take over another model's counts (one loaded from disk in a worker lane)."""
        with other._lock:
            state = (dict(other._next), dict(other._totals), set(other._seen))
        with self._lock:
            self._next, self._totals, self._seen = state

    def forget(self) -> None:
        with self._lock:
            self._next.clear()
            self._totals.clear()
            self._seen.clear()

    def save(self, path: Path) -> None:
        """Atomic, and readable by the user only: the model is made of the user's own sentences."""
        with self._lock:
            data = {"version": FORMAT_VERSION, "next": self._next, "seen": sorted(self._seen)}
            payload = gzip.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"), mtime=0)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        written = atomic_write_bytes(path, payload, new_file_mode=PRIVATE_MODE)
        os.chmod(written, PRIVATE_MODE)  # a file saved by an earlier version was 0644

    @classmethod
    def load(cls, path: Path) -> PersonalModel:
        """An empty model when the file is missing; an unreadable one is logged and moved aside
        (`words.json.gz.corrupt-<time>`), so the next save starts afresh without overwriting it."""
        try:
            return cls._read(path) if path.is_file() else cls()
        except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError, AttributeError) as exc:
            try:
                where = f"moved to {move_aside(path).name}"
            except OSError:
                where = "left in place"
            log.warning("personal model %s not loaded (%s: %s); %s", path.name, exc.__class__.__name__, exc, where)
            return cls()

    @classmethod
    def _read(cls, path: Path) -> PersonalModel:
        model = cls()
        data = json.loads(gzip.decompress(path.read_bytes()))
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"version {data.get('version')}")
        for key, followers in data["next"].items():
            model._next[key] = {str(w): int(c) for w, c in followers.items()}
            model._totals[key] = (sum(model._next[key].values()), len(model._next[key]))
        model._seen = {str(s) for s in data["seen"]}
        return model


def _keys(context: tuple[str, ...]) -> list[str]:
    """The context keys from the unigram ("") up to the longest context."""
    return [" ".join(context[len(context) - n :]) if n else "" for n in range(len(context) + 1)]


def _lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        while line:
            out.append(line[:_MAX_LINE_CHARS])
            line = line[_MAX_LINE_CHARS:]
    return out


def forget_files(path: Path) -> None:
    """Delete the store and any unreadable copy of it moved aside: "forget everything" means all of it."""
    path.unlink(missing_ok=True)
    for kept in path.parent.glob(f"{path.name}.corrupt-*"):
        kept.unlink(missing_ok=True)


def stored_size(path: Path) -> int:
    """Bytes on disk (0 when nothing is stored)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0
