"""Live speech translation without Qt: audio chunks -> voice activity -> speech engine -> phrases
-> translation, for the window, the CLI and the bench alike.

The detector cuts the stream at pauses; each cut finishes the speech utterance (final text) and
translates that phrase once, in order, before the next phrase is handed on. Partial text of the
phrase being heard is reported as it changes (unstable: it may be revised, so it is never
translated). Works with any SpeechEngine and any translation route from slm_desktop.translation.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from slm_desktop.audio.ptt import AudioSource
from slm_desktop.audio.vad import START, EnergyVad, VadConfig
from slm_desktop.cancel import CancelToken
from slm_desktop.engines.base import LanguagePair, SpeechEngine, TranslationEngine, Utterance
from slm_desktop.engines.textops import spoken_sentence
from slm_desktop.translation import Catalog, Route, SentenceCache, plan_route, translate_text

log = logging.getLogger(__name__)

PARTIAL, FINAL, TRANSLATED = "partial", "final", "translated"
IDLE_KEEP_SECONDS = 1.0  # audio kept while nobody speaks, for the detector's pre-roll pad


@dataclass(frozen=True)
class LiveEvent:
    kind: str  # PARTIAL (unstable text of the phrase being heard), FINAL (its text), TRANSLATED
    phrase: int  # 0-based index of the phrase
    text: str
    source: str = ""  # TRANSLATED: the phrase's final text
    start_s: float = 0.0  # where the phrase lies in the audio stream
    end_s: float = 0.0
    cut_at: float = 0.0  # time.perf_counter() when the end of the phrase was detected
    ms: float = 0.0  # FINAL: cut -> final text; TRANSLATED: cut -> translation ready
    language: str = ""  # FINAL/TRANSLATED: the phrase's spoken language as the recogniser reported it


Translate = Callable[[str, CancelToken], str]


class PhraseTranslator:
    """One phrase through a route (direct or pivot), with engines from ``engine_for``."""

    def __init__(
        self,
        route: Route,
        engine_for: Callable[[LanguagePair], TranslationEngine],
        cache: SentenceCache | None = None,
    ):
        self.route = route
        self._engine_for = engine_for
        self._cache = cache or SentenceCache()

    def close(self) -> None:
        """Close the engines when this translator opened them (headless use)."""
        if isinstance(self._engine_for, OwnedEngines):
            self._engine_for.close()

    def __call__(self, text: str, cancel: CancelToken) -> str:
        done = translate_text(text, route=self.route, engine_for=self._engine_for, cache=self._cache, cancel=cancel)
        return " ".join(done.text.split())  # one line; Apertium leaves doubled spaces where it drops words


class OwnedEngines:
    """engine_for for headless use: one engine per catalog key, opened on first use, closed together."""

    def __init__(self, catalog: Catalog):
        self._catalog = catalog
        self._engines: dict[str, TranslationEngine] = {}

    def __call__(self, pair: LanguagePair) -> TranslationEngine:
        key = self._catalog.engine_key(pair)
        if key not in self._engines:
            self._engines[key] = self._catalog.open(pair)
        return self._engines[key]

    def close(self) -> None:
        for engine in self._engines.values():
            engine.close()
        self._engines.clear()


class AutoPhraseTranslator:
    """For a recogniser that detects the language (Whisper, `--from auto`): each phrase is
    translated from the language it was spoken in, planning (and caching) a route per language.
    A phrase already in the target language is passed through; one with no route says so."""

    takes_language = True

    def __init__(self, catalog: Catalog, target: str, *, engine: str = "auto", engine_for=None, fallback: str = "en"):
        self._catalog, self.target, self._engine, self.fallback = catalog, target, engine, fallback
        self._engine_for = engine_for or OwnedEngines(catalog)
        self._routes: dict[str, PhraseTranslator] = {}

    def close(self) -> None:
        if isinstance(self._engine_for, OwnedEngines):
            self._engine_for.close()

    def __call__(self, text: str, cancel: CancelToken, language: str = "") -> str:
        from slm_desktop.translation import NoModel

        source = (language or self.fallback).lower()
        if source == self.target:
            return text
        if source not in self._routes:
            try:
                self._routes[source] = plan_translator(
                    self._catalog, source, self.target, engine=self._engine, engine_for=self._engine_for
                )
            except NoModel as exc:
                return f"({exc})"
        return self._routes[source](text, cancel)


def plan_translator(
    catalog: Catalog, source: str, target: str, *, engine: str = "auto", engine_for=None
) -> PhraseTranslator:
    """Raises translation.NoModel (a UserError) when no installed route exists."""
    route = plan_route(catalog.pairs, source, target, engine=engine)
    return PhraseTranslator(route, engine_for or OwnedEngines(catalog))


class LivePipeline:
    """Feed audio from one thread; events arrive through ``on_event`` in that same thread."""

    def __init__(
        self,
        speech: SpeechEngine,
        translate: Translate,
        *,
        on_event: Callable[[LiveEvent], None],
        vad: VadConfig | None = None,
        cancel: CancelToken | None = None,
    ):
        self._speech = speech
        self._translate = translate
        self._on_event = on_event
        self._vad = _detector(vad or VadConfig(sample_rate=speech.sample_rate))
        self._rate = speech.sample_rate
        self.cancel = cancel or CancelToken()
        self._audio = bytearray()  # not yet handed to an utterance; starts at sample _audio_start
        self._audio_start = 0
        self._utterance: Utterance | None = None
        self._phrase_start = 0
        self._partial = ""
        self.phrases = 0

    def feed(self, pcm: bytes) -> None:
        """Any amount of audio; it is decoded in 20 ms pieces because native decoders (PocketSphinx)
        hold the GIL for a whole call: a backlog decoded in one call would freeze the GUI thread."""
        piece = self._rate * 2 // 50
        for offset in range(0, len(pcm), piece):
            self._feed_piece(pcm[offset : offset + piece])

    def _feed_piece(self, pcm: bytes) -> None:
        self.cancel.raise_if_cancelled()
        self._audio += pcm
        for event in self._vad.accept(pcm):  # the utterance hears up to the decision, whatever the chunking
            if event.kind == START:
                self._begin(event.sample)
            else:
                self._end(event.sample, event.at)
        if self._utterance is not None:
            self._hand_over(self._audio_start + len(self._audio) // 2)
        else:
            self._drop_before(self._audio_start + len(self._audio) // 2 - int(IDLE_KEEP_SECONDS * self._rate))

    def cut(self) -> None:
        """End the phrase being heard now: push-to-talk release, end of a file, stop."""
        for event in self._vad.flush():
            self._end(event.sample, event.at)

    def run(self, source: AudioSource, *, until: Callable[[], bool] = lambda: False, on_level=None) -> int:
        """Read the source until ``until()`` or its end (a file), cutting the last phrase; returns phrases."""
        source.preroll()
        while not until():
            self.cancel.raise_if_cancelled()  # also while a silent source delivers nothing
            chunk = source.read(0.05)
            if chunk is not None:
                if on_level is not None:
                    on_level(chunk.level)
                if chunk.pcm:
                    self.feed(chunk.pcm)
            elif getattr(source, "exhausted", False):
                break
        self.cut()
        return self.phrases

    # ---------------------------------------------------------------- phrases

    def _drop_before(self, sample: int) -> None:
        if sample > self._audio_start:
            del self._audio[: (sample - self._audio_start) * 2]
            self._audio_start = sample

    def _begin(self, sample: int) -> None:
        self._drop_before(sample)
        self._phrase_start = max(sample, self._audio_start)
        self._utterance = self._speech.start()
        self._partial = ""

    def _hand_over(self, upto: int) -> None:
        size = (upto - self._audio_start) * 2
        if size <= 0 or self._utterance is None:
            return
        piece, partial_text = self._rate * 2 // 50, ""
        for offset in range(0, size, piece):  # the pre-roll too goes in 20 ms calls (see feed)
            partial_text = self._utterance.accept(bytes(self._audio[offset : min(size, offset + piece)]))
        del self._audio[:size]
        self._audio_start = upto
        if partial_text and partial_text != self._partial:
            self._partial = partial_text
            self._on_event(LiveEvent(PARTIAL, self.phrases, partial_text, start_s=self._phrase_start / self._rate))

    def _end(self, sample: int, decided: int) -> None:
        if self._utterance is None:
            return
        cut_at = time.perf_counter()
        self._hand_over(decided)
        transcript = self._utterance.finish()
        text = spoken_sentence(transcript.text)
        self._utterance = None
        span = {"start_s": self._phrase_start / self._rate, "end_s": sample / self._rate, "cut_at": cut_at}
        span["language"] = transcript.language
        if not text:  # a cough, a door: nothing to translate; a shown partial is withdrawn
            if self._partial:
                self._on_event(LiveEvent(FINAL, self.phrases, "", **span))
            return
        index = self.phrases
        self.phrases += 1
        self._on_event(LiveEvent(FINAL, index, text, ms=_ms_since(cut_at), **span))
        if getattr(self._translate, "takes_language", False):
            translated = self._translate(text, self.cancel, language=transcript.language)
        else:
            translated = self._translate(text, self.cancel)
        self.cancel.raise_if_cancelled()
        self._on_event(LiveEvent(TRANSLATED, index, translated, source=text, ms=_ms_since(cut_at), **span))


def _detector(config: VadConfig):
    """Silero cuts phrases for every recogniser: on speech with noise gaps the energy detector merged
    noise into phrases (48 % of the noise kept, against Silero's 0.3 %, docs/speech.md), which sends
    Apertium half-sentences whatever engine heard them. faster-whisper, whose Silero model this is,
    is a core dependency, so it is there for PocketSphinx and Vosk too (about 5 ms per second of
    audio). The energy detector stays for sample rates Silero does not take."""
    if config.sample_rate == 16000:
        from slm_desktop.audio.silero import SileroVad

        return SileroVad(config)
    return EnergyVad(config)


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def live_sphinx_config(model_dir=None):
    from slm_desktop.engines.sphinx_engine import SphinxConfig

    return SphinxConfig(model_dir=model_dir, redecode_max_seconds=0, second_pass=False)


def live_speech_engine(choice) -> SpeechEngine:
    """The chosen engine tuned for a warm, continuous stream beside a GUI. PocketSphinx skips its batch
    re-decode (it roughly doubles end-of-phrase latency and only helps a cold first utterance) and its
    second search pass, and decodes in a child process: it holds the GIL while decoding, which would
    stall the GUI on every chunk of a continuous stream."""
    if choice.engine == "pocketsphinx":
        from slm_desktop.engines.remote import ProcessSpeechEngine

        return ProcessSpeechEngine("slm_desktop.engines.sphinx_engine:SphinxEngine", live_sphinx_config(choice.model))
    return dataclasses.replace(choice, second_opinion=None).create()  # a stream of speech, never a command


__all__ = [
    "FINAL",
    "PARTIAL",
    "TRANSLATED",
    "AutoPhraseTranslator",
    "LiveEvent",
    "LivePipeline",
    "PhraseTranslator",
    "live_speech_engine",
    "plan_translator",
]
