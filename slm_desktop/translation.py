"""Translation logic with no Qt and no inference library: text clean-up, sentence splitting,
language detection, the sentence cache, routing (direct or pivot through English) and the
batched, streamed, cancellable translation of a whole text.

Engines are reached only through the TranslationEngine protocol and a catalog of installed
pairs; the catalog imports the engine modules lazily, so the UI can import this module freely.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.cancel import CancelToken
from slm_desktop.engines.base import LanguagePair, Translation, TranslationEngine
from slm_desktop.errors import UserError
from slm_desktop.languages import Detection, detect_language
from slm_desktop.paths import ct2_install_hint

log = logging.getLogger(__name__)

PIVOT = "en"


# ---------------------------------------------------------------- clean-up and splitting

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2028\u2029\ufeff]")


def sanitize(text: str) -> str:
    """Engines choke on NULs and lone surrogates (pasted from broken UTF-16); keep \\n and \\t."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(" ", text)


_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no", "fig", "sra"}
_BOUNDARY = re.compile(r"([.!?…。！？]+[\"'”’»)\]]*)(\s+)|(\n\s*)")
MAX_SENTENCE_CHARS = 400  # a "sentence" without punctuation is cut so no single batch item is huge


@dataclass(frozen=True)
class Segment:
    """A sentence and the whitespace that followed it, so the translation keeps the layout."""

    text: str
    gap: str


def _cut_long(text: str, gap: str) -> list[Segment]:
    if len(text) <= MAX_SENTENCE_CHARS:
        return [Segment(text, gap)]
    pieces, rest = [], text
    while len(rest) > MAX_SENTENCE_CHARS:
        cut = rest.rfind(" ", 0, MAX_SENTENCE_CHARS)
        cut = cut if cut > 0 else MAX_SENTENCE_CHARS
        pieces.append(Segment(rest[:cut], " "))
        rest = rest[cut:].lstrip()
    pieces.append(Segment(rest, gap))
    return pieces


def _is_abbreviation(sentence: str) -> bool:
    last = sentence.rsplit(None, 1)[-1].rstrip(".").lower() if sentence.strip() else ""
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def split_sentences(text: str) -> list[Segment]:
    """Sentences end at . ! ? … (plus closing quotes) before whitespace, or at a line break."""
    segments: list[Segment] = []
    start, pending = 0, ""
    for match in _BOUNDARY.finditer(text):
        end = match.end(1) if match.group(1) else match.start(3)
        sentence = pending + text[start:end]
        gap = match.group(2) or match.group(3)
        if match.group(1) and match.group(1) == "." and _is_abbreviation(sentence) and "\n" not in gap:
            pending, start = sentence + gap, match.end()
            continue
        pending, start = "", match.end()
        segments += _segments_for(sentence, gap)
    segments += _segments_for(pending + text[start:], "")
    return segments


def _segments_for(sentence: str, gap: str) -> list[Segment]:
    stripped = sentence.strip()
    if not stripped:
        return [Segment("", sentence + gap)] if sentence + gap else []
    lead = sentence[: len(sentence) - len(sentence.lstrip())]
    found = _cut_long(stripped, gap)
    return [Segment("", lead), *found] if lead else found


def join_segments(segments: Sequence[Segment], texts: Sequence[str]) -> str:
    return "".join(text + segment.gap for segment, text in zip(segments, texts, strict=True))


# ---------------------------------------------------------------- language detection: slm_desktop.languages

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# ---------------------------------------------------------------- cache


class SentenceCache:
    """LRU of translated sentences per (engine, model, pair): editing one sentence of a paragraph
    retranslates only that sentence. Shared by the GUI thread and the translation lane."""

    def __init__(self, capacity: int = 4000):
        self._capacity = capacity
        self._items: OrderedDict[tuple[str, str, str, str, str], str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(pair: LanguagePair, sentence: str) -> tuple[str, str, str, str, str]:
        return (pair.engine, pair.model, pair.source, pair.target, sentence)

    def get(self, pair: LanguagePair, sentence: str) -> str | None:
        with self._lock:
            found = self._items.get(self._key(pair, sentence))
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(self._key(pair, sentence))
            self.hits += 1
            return found

    def put(self, pair: LanguagePair, sentence: str, text: str) -> None:
        with self._lock:
            self._items[self._key(pair, sentence)] = text
            self._items.move_to_end(self._key(pair, sentence))
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


# ---------------------------------------------------------------- routing


class NoModel(UserError):
    """No installed engine translates source -> target, directly or through English."""

    def __init__(self, source: str, target: str):
        super().__init__(f"No model for {source}→{target} installed")
        self.source = source
        self.target = target


@dataclass(frozen=True)
class Route:
    steps: tuple[LanguagePair, ...]

    @property
    def pivot(self) -> bool:
        return len(self.steps) > 1

    @property
    def cache_pair(self) -> LanguagePair:
        """The cache key of the whole route: a pivot result is cached as one step."""
        return LanguagePair(self.steps[0].source, self.steps[-1].target, "route", self.describe())

    def describe(self) -> str:
        via = f" via {self.steps[0].target}" if self.pivot else ""
        engines = "+".join(dict.fromkeys(step.engine for step in self.steps))
        return f"{self.steps[0].source}→{self.steps[-1].target}{via} ({engines})"


ENGINE_PREFERENCE = ("server", "ct2", "apertium", "llm")  # "server": only when the user enabled one


def _ranked(pairs: Sequence[LanguagePair], engine: str) -> list[LanguagePair]:
    usable = [p for p in pairs if engine in ("auto", p.engine)]
    order = {name: i for i, name in enumerate(ENGINE_PREFERENCE)}
    return sorted(usable, key=lambda p: order.get(p.engine, len(order)))


def plan_route(pairs: Sequence[LanguagePair], source: str, target: str, *, engine: str = "auto") -> Route:
    """Direct pair first (CTranslate2 preferred), else source→en→target; raises NoModel."""
    ranked = _ranked(pairs, engine)
    direct = [p for p in ranked if p.source == source and p.target == target]
    if direct:
        return Route((direct[0],))
    first = [p for p in ranked if p.source == source and p.target == PIVOT]
    second = [p for p in ranked if p.source == PIVOT and p.target == target]
    if first and second and PIVOT not in (source, target):
        return Route((first[0], second[0]))
    raise NoModel(source, target)


# ---------------------------------------------------------------- catalog of installed pairs

EngineFor = Callable[[LanguagePair], TranslationEngine]


@dataclass(frozen=True)
class Catalog:
    """Installed pairs, found without loading any model; ``open`` builds an engine for a pair."""

    pairs: tuple[LanguagePair, ...]
    unpack_dir: Path
    threads: int = 0
    beam_size: int = 1
    length_ratio: float = 2.0  # CTranslate2 decoding limit (x source tokens + 8)
    note: str = ""  # why installed models were left out (the CTranslate2 runtime is missing)
    probe_cache: Path | None = None  # where first loads that worked are remembered; None: no probe
    server: Callable[[LanguagePair], TranslationEngine] | None = None  # opens "server" pairs (server_select.py)

    def engine_key(self, pair: LanguagePair) -> str:
        return "apertium" if pair.engine == "apertium" else f"{pair.engine}:{pair.model}:{self.beam_size}"

    def open(self, pair: LanguagePair) -> TranslationEngine:
        if pair.engine == "server" and self.server is not None:
            return self.server(pair)
        if pair.engine == "apertium":
            from slm_desktop.engines.apertium import ApertiumEngine

            return ApertiumEngine()
        if pair.engine == "llm":
            from slm_desktop.engines.llm_translate import LlmTranslationEngine

            return LlmTranslationEngine(Path(pair.model), threads=self.threads)
        from slm_desktop.engines.ct2 import CT2Config, CT2Engine, prepare_model_folder, resolve_layout
        from slm_desktop.store.validate import is_ct2_folder

        folder = prepare_model_folder(Path(pair.model), self.unpack_dir)
        if not is_ct2_folder(resolve_layout(folder).model_dir):
            raise UserError(f"{Path(pair.model).name} is not a CTranslate2 model (model.bin and a vocabulary)")
        if self.probe_cache is not None:  # a model's first load runs in a throwaway process
            from slm_desktop import isolation

            isolation.probe_first_load(isolation.load_ct2, folder, cache_file=self.probe_cache)
        config = CT2Config(threads=self.threads, beam_size=self.beam_size, length_ratio=self.length_ratio)
        return CT2Engine(folder, config, pair=(pair.source, pair.target))

    def sources(self) -> list[str]:
        return sorted({p.source for p in self.pairs})

    def targets(self) -> list[str]:
        """Languages an installed pair translates into (the panel adds the pivot, English, itself)."""
        return sorted({p.target for p in self.pairs} - {""})


def discover(paths, *, threads: int = 0, beam_size: int = 1, engines: Sequence[str] = ENGINE_PREFERENCE) -> Catalog:
    """Every installed pair: CTranslate2 folders/.argosmodel files on the search path, Apertium
    modes, and GGUF chat models whose metadata declares two or more languages."""
    pairs: list[LanguagePair] = []
    note = ""
    if "ct2" in engines:
        from slm_desktop.engines.ct2 import find_ct2_models

        ct2_pairs = find_ct2_models(paths.model_search_path())
        missing = ct2_runtime_missing() if ct2_pairs else []
        if missing:
            note = f"{len(ct2_pairs)} CTranslate2 model(s) need {' and '.join(missing)}: {ct2_install_hint()}"
            log.info("%s", note)
            ct2_pairs = []
        pairs += ct2_pairs
    if "apertium" in engines:
        from slm_desktop.engines.apertium import apertium_pairs

        pairs += apertium_pairs()
    if "llm" in engines:
        from slm_desktop.engines.llm_translate import llm_pairs

        pairs += llm_pairs(paths.model_search_path())
    from slm_desktop.isolation import PROBE_CACHE_NAME

    probe_cache = paths.data_dir / PROBE_CACHE_NAME
    return Catalog(tuple(pairs), paths.data_dir / "unpacked", threads, beam_size, note=note, probe_cache=probe_cache)


CT2_RUNTIME = ("ctranslate2", "sentencepiece")
CT2_FORMATS = ("ctranslate2", "argosmodel")  # store formats that CT2Engine runs


def ct2_runtime_missing() -> list[str]:
    """Core dependencies, but a source install without them or a bundle built with `--exclude` lacks them."""
    return [name for name in CT2_RUNTIME if importlib.util.find_spec(name) is None]


# ---------------------------------------------------------------- translating a text


@dataclass(frozen=True)
class SentenceDone:
    """Streamed to the UI as each sentence (or batch) finishes."""

    index: int
    text: str
    done: int
    total: int


@dataclass(frozen=True)
class TextTranslation:
    text: str
    source: str
    target: str
    engine: str
    model: str
    sentences: int
    ms: float
    pivot: bool
    cached: int


def batch_sizes(total: int, first: int = 1, largest: int = 16) -> Iterator[tuple[int, int]]:
    """A first batch of one sentence (so something shows at once), then full batches: each
    engine call has a fixed cost (Apertium starts a process, CTranslate2 pads a batch), so the
    measured throughput is best with few, large calls after the first."""
    start, size = 0, first
    while start < total:
        yield start, min(total, start + size)
        start += size
        size = largest


def _run_step(engine: TranslationEngine, pair: LanguagePair, texts: list[str], cancel: CancelToken) -> list[str]:
    out = list(texts)
    for item in engine.translate(texts, source=pair.source, target=pair.target, cancel=cancel):
        out[item.index] = item.text
    cancel.raise_if_cancelled()
    return out


def translate_batch(
    sentences: list[str], route: Route, engine_for: EngineFor, cache: SentenceCache, cancel: CancelToken
) -> tuple[list[str], int]:
    """Translate through every step of the route; cached whole-route results are reused."""
    final = route.cache_pair
    results: list[str | None] = [cache.get(final, s) for s in sentences]
    missing = [i for i, found in enumerate(results) if found is None]
    texts = [sentences[i] for i in missing]
    for pair in route.steps:
        if texts:
            texts = _run_step(engine_for(pair), pair, texts, cancel)
    for i, text in zip(missing, texts, strict=True):
        cache.put(final, sentences[i], text)
        results[i] = text
    return [r or "" for r in results], len(sentences) - len(missing)


def translate_text(
    text: str,
    *,
    route: Route,
    engine_for: EngineFor,
    cache: SentenceCache,
    cancel: CancelToken | None = None,
    on_sentence: Callable[[SentenceDone], None] | None = None,
    first_batch: int = 1,
    largest_batch: int = 16,
) -> TextTranslation:
    """Split, translate batch by batch (streaming each sentence), and reassemble with the layout.

    The first batch is small so the first sentence shows quickly; later batches are large so a
    100,000-character text pays the engine's per-call cost only every ``largest_batch`` sentences.
    """
    cancel = cancel or CancelToken()
    started = time.perf_counter()
    segments = split_sentences(sanitize(text))
    indices = [i for i, s in enumerate(segments) if s.text]
    outputs = [s.text for s in segments]
    cached = 0
    for lo, hi in batch_sizes(len(indices), first_batch, largest_batch):
        cancel.raise_if_cancelled()
        chunk = indices[lo:hi]
        translated, hits = translate_batch([segments[i].text for i in chunk], route, engine_for, cache, cancel)
        cached += hits
        for offset, (i, out) in enumerate(zip(chunk, translated, strict=True)):
            outputs[i] = out
            if on_sentence is not None:
                on_sentence(SentenceDone(i, out, lo + offset + 1, len(indices)))
    last = route.steps[-1]
    return TextTranslation(
        text=join_segments(segments, outputs),
        source=route.steps[0].source,
        target=last.target,
        engine="+".join(dict.fromkeys(step.engine for step in route.steps)),
        model=" → ".join(step.model for step in route.steps),
        sentences=len(indices),
        ms=(time.perf_counter() - started) * 1000,
        pivot=route.pivot,
        cached=cached,
    )


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


__all__ = [
    "Catalog",
    "Detection",
    "NoModel",
    "Route",
    "Segment",
    "SentenceCache",
    "SentenceDone",
    "TextTranslation",
    "Translation",
    "detect_language",
    "discover",
    "plan_route",
    "sanitize",
    "split_sentences",
    "translate_text",
]
