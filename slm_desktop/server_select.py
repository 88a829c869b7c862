"""Whether a capability uses the user's server, and falling back to the local engine when it fails.

Engines over a server (engines/server_*.py) only talk HTTP and raise ServerError; this module holds the
policy, as completion.py, speech_select.py and translation.py do for the local engines:
- nothing is built, so nothing is sent, until the server is enabled for that capability;
- a ServerError (down, slow, 401/404/500, dropped mid-stream) is one line through `notify`, and the same
  request is answered by the local engine; the server is tried again after a backoff (5 s, doubling, at most
  2 minutes) and a line says when it answers again;
- a ghost text the server had started is kept and the local model continues it, so no text is lost.
Importing it imports no Qt and no inference library; the wrappers run inside worker lanes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from slm_desktop.cancel import CancelToken
from slm_desktop.config import ServerSettings
from slm_desktop.engines.base import (
    Completion,
    CompletionEngine,
    LanguagePair,
    SpeechEngine,
    Transcript,
    Translation,
    TranslationEngine,
    Utterance,
    WordChoice,
)
from slm_desktop.engines.openai_server import ServerConfig, ServerError, host_of
from slm_desktop.errors import UserError

log = logging.getLogger(__name__)

CAPABILITIES = ("completion", "translation", "speech")
Notify = Callable[[str], None]


def server_config(settings: ServerSettings, api_key: str = "", *, model: str | None = None) -> ServerConfig:
    return ServerConfig(
        url=settings.url,
        api_key=api_key,
        model=settings.model if model is None else model,
        connect_timeout_s=settings.connect_timeout_s,
        first_token_timeout_s=settings.first_token_timeout_s,
    )


def uses_server(settings: ServerSettings, capability: str) -> bool:
    return settings.enabled and bool(settings.url.strip()) and bool(getattr(settings, capability, False))


def languages(settings: ServerSettings) -> list[str]:
    return [code.strip().lower() for code in settings.languages.split(",") if code.strip()]


@dataclass
class Backoff:
    """When to try a failing server again: first_s after the first failure, doubling up to max_s."""

    first_s: float = 5.0
    max_s: float = 120.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    retry_at: float = 0.0

    def ready(self) -> bool:
        return self.clock() >= self.retry_at

    def failed(self) -> float:
        """Record a failure; returns the seconds until the next try."""
        self.failures += 1
        delay = min(self.max_s, self.first_s * 2 ** (self.failures - 1))
        self.retry_at = self.clock() + delay
        return delay

    def succeeded(self) -> bool:
        """Record a success; True when the server had been failing (worth a line)."""
        was_failing = self.failures > 0
        self.failures, self.retry_at = 0, 0.0
        return was_failing


@dataclass
class ServerSwitch:
    """The current server settings for every capability, set on the GUI thread and read in the lanes
    (one reference swap, so readers see the old or the new settings whole)."""

    notify: Notify = log.info
    backoff_first_s: float = 5.0
    backoff_max_s: float = 120.0
    clock: Callable[[], float] = time.monotonic
    _settings: ServerSettings = field(default_factory=ServerSettings)
    _api_key: str = ""
    _backoffs: dict[str, Backoff] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, settings: ServerSettings, api_key: str = "") -> None:
        with self._lock:
            changed = (settings.url, api_key) != (self._settings.url, self._api_key)
            self._settings, self._api_key = settings, api_key
            if changed:
                self._backoffs.clear()

    @property
    def settings(self) -> ServerSettings:
        return self._settings

    def config(self, capability: str) -> ServerConfig | None:
        settings, key = self._settings, self._api_key
        if not uses_server(settings, capability):
            return None
        model = settings.speech_model if capability == "speech" else None
        return server_config(settings, key, model=model)

    def active(self) -> list[str]:
        return [c for c in CAPABILITIES if uses_server(self._settings, c)]

    def backoff(self, capability: str) -> Backoff:
        with self._lock:
            found = self._backoffs.get(capability)
            if found is None:
                found = Backoff(self.backoff_first_s, self.backoff_max_s, self.clock)
                self._backoffs[capability] = found
            return found

    def failed(self, capability: str, exc: ServerError) -> None:
        delay = self.backoff(capability).failed()
        self.notify(f"{exc}; {capability} uses the local engine, server retried in {delay:.0f} s")

    def succeeded(self, capability: str, host: str) -> None:
        if self.backoff(capability).succeeded():
            self.notify(f"server {host} answers again; {capability} uses it")


class _ServerSlot:
    """The server engine of one capability, rebuilt when the settings change or after it failed."""

    def __init__(self, switch: ServerSwitch, capability: str, build: Callable[[ServerConfig], object]):
        self._switch, self._capability, self._build = switch, capability, build
        self._config: ServerConfig | None = None
        self.engine = None

    def get(self):
        """The server engine to try now, or None (off, or backing off after a failure)."""
        config = self._switch.config(self._capability)
        if config != self._config:
            self.drop()
            self._config = config
        if config is None or not self._switch.backoff(self._capability).ready():
            return None
        if self.engine is None:
            self.engine = self._build(config)  # may raise ServerError: the server is asked for its models
        return self.engine

    def failed(self, exc: ServerError) -> None:
        self.drop()
        self._switch.failed(self._capability, exc)

    def succeeded(self) -> None:
        if self._config is not None:
            self._switch.succeeded(self._capability, host_of(self._config.url))

    def drop(self) -> None:
        engine, self.engine = self.engine, None
        if engine is not None:
            engine.close()


# ---------------------------------------------------------------- completion


def _server_completion(config: ServerConfig) -> CompletionEngine:
    from slm_desktop.engines.server_completion import ServerCompletionEngine

    return ServerCompletionEngine(config)


class FallbackCompletionEngine:
    """CompletionEngine: the server while it answers, else the local model (loaded on first need)."""

    def __init__(
        self,
        local_factory: Callable[[], CompletionEngine],
        switch: ServerSwitch,
        *,
        server_factory: Callable[[ServerConfig], CompletionEngine] = _server_completion,
    ):
        self._local_factory = local_factory
        self._local: CompletionEngine | None = None
        self._threads: int | None = None
        self._slot = _ServerSlot(switch, "completion", server_factory)
        self.name = "completion"
        if switch.config("completion") is None:
            self._local_engine()  # no server: load the local model now, as the plain engine would

    def _local_engine(self) -> CompletionEngine:
        if self._local is None:
            self._local = self._local_factory()
            if self._threads is not None:
                self.set_threads(self._threads)
        return self._local

    def set_threads(self, count: int) -> None:
        """The thread policy (slm_desktop/threads.py) reaches the local model through the wrapper; a server
        has no threads to set."""
        self._threads = count
        setter = getattr(self._local, "set_threads", None)
        if setter is not None:
            setter(count)

    def local_engine(self) -> CompletionEngine:
        """The local model, loaded now if needed: the first-run measurement times this machine, not a server."""
        return self._local_engine()

    def _server(self):
        try:
            return self._slot.get()
        except ServerError as exc:
            self._slot.failed(exc)
            return None

    def complete(
        self,
        before: str,
        *,
        after: str = "",
        max_tokens: int = 12,
        stop: Sequence[str] = (),
        cancel: CancelToken | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        started = time.perf_counter()
        shown: list[str] = []
        server = self._server()
        if server is not None:

            def record(piece: str) -> None:
                shown.append(piece)
                if on_token is not None:
                    on_token(piece)

            try:
                result = server.complete(
                    before, after=after, max_tokens=max_tokens, stop=stop, cancel=cancel, on_token=record
                )
                self._slot.succeeded()
                self.name = server.name
                return result
            except ServerError as exc:
                self._slot.failed(exc)
        return self._continue_locally(before, after, "".join(shown), max_tokens, stop, cancel, on_token, started)

    def _continue_locally(self, before, after, partial, max_tokens, stop, cancel, on_token, started) -> Completion:
        """The local model answers; a ghost the server had begun is kept and continued, never replaced."""
        local = self._local_engine()
        self.name = local.name
        used = len(partial.split())
        rest = local.complete(
            before + partial,
            after=after,
            max_tokens=max(1, max_tokens - used),
            stop=stop,
            cancel=cancel,
            on_token=on_token,
        )
        ms = (time.perf_counter() - started) * 1000
        return Completion(partial + rest.text, used + rest.tokens, ms, local.name, rest.prompt_tokens)

    def next_words(self, before: str, *, count: int = 3, cancel: CancelToken | None = None) -> list[WordChoice]:
        """The server's top log-probabilities where it gives them, else the local model's."""
        server = self._server()
        if server is not None:
            try:
                words = server.next_words(before, count=count, cancel=cancel)
                if words:
                    return words
            except ServerError as exc:
                self._slot.failed(exc)
        return self._local_engine().next_words(before, count=count, cancel=cancel)

    def close(self) -> None:
        self._slot.drop()
        if self._local is not None:
            self._local.close()
            self._local = None


# ---------------------------------------------------------------- translation


def server_pairs(settings: ServerSettings) -> list[LanguagePair]:
    """The pairs offered through the server's chat model (without asking it: nothing is sent to list them)."""
    from itertools import permutations

    from slm_desktop.languages import LANGUAGE_NAMES

    codes = [c for c in languages(settings) if c in LANGUAGE_NAMES]
    label = host_of(settings.url) + (f"/{settings.model}" if settings.model else "")
    return [LanguagePair(s, t, "server", label) for s, t in permutations(codes, 2)]


def _server_translation(config: ServerConfig, codes: Sequence[str]) -> TranslationEngine:
    from slm_desktop.engines.server_translate import ServerTranslationEngine

    return ServerTranslationEngine(config, languages=codes)


LocalTranslate = Callable[[list[str], str, str, CancelToken | None], list[str]]


class FallbackTranslationEngine:
    """TranslationEngine for the "server" pairs: the server's chat model, else the local route for the pair."""

    name = "server"

    def __init__(
        self,
        switch: ServerSwitch,
        local: LocalTranslate,
        *,
        server_factory: Callable[[ServerConfig, Sequence[str]], TranslationEngine] = _server_translation,
    ):
        self._switch = switch
        self._local = local
        self._slot = _ServerSlot(switch, "translation", lambda c: server_factory(c, languages(switch.settings)))

    def pairs(self) -> list[LanguagePair]:
        return server_pairs(self._switch.settings)

    def translate(
        self, sentences: Sequence[str], *, source: str, target: str, cancel: CancelToken | None = None
    ) -> Iterator[Translation]:
        done = 0
        try:
            server = self._slot.get()
            if server is not None:
                for item in server.translate(sentences, source=source, target=target, cancel=cancel):
                    done += 1
                    yield item
                self._slot.succeeded()
                return
        except ServerError as exc:
            self._slot.failed(exc)
        rest = list(sentences[done:])
        if not rest:
            return
        started = time.perf_counter()
        texts = self._local(rest, source, target, cancel)
        ms = (time.perf_counter() - started) * 1000 / len(rest)
        for offset, (sentence, text) in enumerate(zip(rest, texts, strict=True)):
            yield Translation(done + offset, sentence, text, ms)

    def close(self) -> None:
        self._slot.drop()


def local_translator(catalog, open_engine: Callable[[LanguagePair], TranslationEngine]) -> LocalTranslate:
    """Translate through the best local route (direct or via English) of `catalog`; raises NoModel with a line
    that says the server failed too."""
    from slm_desktop.translation import NoModel, plan_route

    engines: dict[str, TranslationEngine] = {}

    def run(texts: list[str], source: str, target: str, cancel: CancelToken | None) -> list[str]:
        local_pairs = [p for p in catalog.pairs if p.engine != "server"]
        try:
            route = plan_route(local_pairs, source, target)
        except NoModel:
            raise UserError(f"the server failed and no local model translates {source}→{target}") from None
        for pair in route.steps:
            key = catalog.engine_key(pair)
            if key not in engines:
                engines[key] = open_engine(pair)
            out = list(texts)
            for item in engines[key].translate(texts, source=pair.source, target=pair.target, cancel=cancel):
                out[item.index] = item.text
            texts = out
        return texts

    return run


# ---------------------------------------------------------------- speech


def _server_transcriber(config: ServerConfig):
    from slm_desktop.engines.server_speech import ServerTranscriber

    return ServerTranscriber(config)


class HybridSpeechEngine:
    """SpeechEngine: partial text from the local engine while the user speaks, the final text from the
    server's /v1/audio/transcriptions when it is enabled and answers, else the local engine's final text."""

    def __init__(self, local: SpeechEngine, switch: ServerSwitch, *, transcriber_factory=_server_transcriber):
        self.local = local
        self.name = local.name
        self.model = getattr(local, "model", "")
        self.sample_rate = local.sample_rate
        self.grammar_supported = getattr(local, "grammar_supported", True)
        self.grammar_prompts = getattr(local, "grammar_prompts", False)
        self._slot = _ServerSlot(switch, "speech", transcriber_factory)
        self.uploads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slm-server-speech")

    def __getattr__(self, name: str):
        """Anything else the app asks a speech engine (its options, its model) is the local engine's."""
        return getattr(self.__dict__["local"], name)

    def start(self, *, grammar: Sequence[str] | None = None, context: str = "") -> Utterance:
        return _HybridUtterance(self, self.local.start(grammar=grammar, context=context), context, grammar)

    def close(self) -> None:
        self.uploads.shutdown(wait=True)
        self._slot.drop()
        self.local.close()


class _HybridUtterance:
    def __init__(self, engine: HybridSpeechEngine, local: Utterance, context: str, grammar):
        self._engine, self._local, self._context = engine, local, context
        self._grammar = grammar
        self._pcm = bytearray()

    def accept(self, pcm: bytes, *, preview: bool = True) -> str:
        self._pcm += pcm
        return self._local.accept(pcm, preview=preview)

    def finish(self) -> Transcript:
        """The upload runs while the local engine finishes its own utterance (which it must, to be ready for the
        next one), so the final text waits for the slower of the two, not for both one after the other."""
        slot = self._engine._slot
        transcriber = None if self._grammar else self._transcriber(slot)
        if transcriber is None:  # off, backing off, or a voice command (a closed word list stays local)
            return self._local.finish()
        upload = self._engine.uploads.submit(
            transcriber.transcribe, bytes(self._pcm), rate=self._engine.sample_rate, prompt=self._context
        )
        local_final = self._local.finish()
        try:
            remote = upload.result()
        except ServerError as exc:
            slot.failed(exc)
            return local_final
        slot.succeeded()
        return remote

    @staticmethod
    def _transcriber(slot: _ServerSlot):
        try:
            return slot.get()
        except ServerError as exc:
            slot.failed(exc)
            return None
