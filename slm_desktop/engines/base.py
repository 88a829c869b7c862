"""One small protocol per capability; engines implement them, the UI sees only these."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from slm_desktop.cancel import CancelToken

# ---------------------------------------------------------------- completion


@dataclass(frozen=True)
class Completion:
    text: str
    tokens: int
    ms: float
    model: str
    prompt_tokens: int = 0
    reused_tokens: int = 0


@dataclass(frozen=True)
class WordChoice:
    word: str
    probability: float


@runtime_checkable
class CompletionEngine(Protocol):
    name: str

    def complete(
        self,
        before: str,
        *,
        after: str = "",
        max_tokens: int = 12,
        stop: Sequence[str] = (),
        cancel: CancelToken | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion: ...

    def next_words(self, before: str, *, count: int = 3, cancel: CancelToken | None = None) -> list[WordChoice]: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- speech


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class Transcript:
    text: str
    words: tuple[Word, ...] = ()
    engine: str = ""
    model: str = ""
    audio_seconds: float = 0.0
    decode_seconds: float = 0.0
    language: str = ""  # ISO 639-1 code the recogniser used or detected; "" when it does not say
    # the recogniser's n-best for a spoken command: (text, average log-probability per token), best
    # first; empty when it gave one reading (commands/intents.parse_heard weighs them against each other)
    hypotheses: tuple[tuple[str, float], ...] = ()

    @property
    def rtf(self) -> float:
        return self.decode_seconds / self.audio_seconds if self.audio_seconds else 0.0


class PartialText(str):
    """A partial result: the whole text (it *is* a str, so old callers see no change), split into
    the words that will not change any more (`committed`) and the tentative rest (`tentative`),
    which the UI shows greyed. Engines that cannot tell return a plain str: all of it tentative."""

    committed: str
    tentative: str

    def __new__(cls, committed: str = "", tentative: str = "") -> PartialText:
        text = super().__new__(cls, " ".join(t for t in (committed, tentative) if t))
        text.committed, text.tentative = committed, tentative
        return text

    def __getnewargs__(self) -> tuple[str, str]:  # pickles through ProcessSpeechEngine's pipe
        return (self.committed, self.tentative)


def split_partial(text: str) -> tuple[str, str]:
    """(committed, tentative) of any partial result; a plain str is all tentative."""
    if isinstance(text, PartialText):
        return text.committed, text.tentative
    return "", text


class Utterance(Protocol):
    def accept(self, pcm: bytes, *, preview: bool = True) -> str:
        """Feed 16 kHz mono int16 PCM; returns the current partial text (a str, or a PartialText
        that also says which leading words are committed). preview=False: the audio after the key
        was released, where nobody will see a partial, so an engine that re-decodes to preview
        (Whisper) only buffers it."""
        ...

    def finish(self) -> Transcript: ...


@runtime_checkable
class SpeechEngine(Protocol):
    name: str
    sample_rate: int

    def start(self, *, grammar: Sequence[str] | None = None, context: str = "") -> Utterance:
        """grammar: a word list for engines that take one; context: text before the cursor and the
        user's own words, for engines that condition on a prompt (Whisper). Others ignore both."""
        ...

    def close(self) -> None: ...


def streams_recordings(engine: SpeechEngine) -> bool:
    """Whether the engine takes a long recording as a stream of chunks (`transcribe_chunks`: Whisper's
    windows) rather than as one utterance. A child-process proxy says so for the engine it runs."""
    declared = getattr(engine, "streams_recordings", None)
    if isinstance(declared, bool):
        return declared
    return callable(getattr(engine, "transcribe_chunks", None))


# ---------------------------------------------------------------- intent


@dataclass(frozen=True)
class IntentResult:
    intent: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...] = ()
    slots: dict[str, str] = field(default_factory=dict)
    ms: float = 0.0


@runtime_checkable
class IntentEngine(Protocol):
    labels: Sequence[str]
    threshold: float  # a best label below this confidence is answered as out_of_scope

    def classify(self, text: str) -> IntentResult: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- translation


@dataclass(frozen=True)
class LanguagePair:
    source: str
    target: str
    engine: str
    model: str = ""


@dataclass(frozen=True)
class Translation:
    index: int
    source: str
    text: str
    ms: float


@runtime_checkable
class TranslationEngine(Protocol):
    name: str

    def pairs(self) -> list[LanguagePair]: ...

    def translate(
        self,
        sentences: Sequence[str],
        *,
        source: str,
        target: str,
        cancel: CancelToken | None = None,
    ) -> Iterator[Translation]: ...

    def close(self) -> None: ...
