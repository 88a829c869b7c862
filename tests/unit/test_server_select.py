"""The server fallback policy with fake engines (plumbing only; the real server is in tests/integration)."""

from __future__ import annotations

import pytest

from slm_desktop.cancel import Cancelled
from slm_desktop.config import ServerSettings
from slm_desktop.engines.base import Completion, Transcript, WordChoice
from slm_desktop.engines.openai_server import ServerError, base_url, host_of, is_local_network, needs_confirmation
from slm_desktop.server_select import (
    Backoff,
    FallbackCompletionEngine,
    FallbackTranslationEngine,
    HybridSpeechEngine,
    ServerSwitch,
    server_pairs,
)

ON = ServerSettings(enabled=True, url="http://127.0.0.1:9", completion=True, translation=True, speech=True)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeLocal:
    name = "local.gguf"

    def __init__(self):
        self.calls: list[str] = []

    def complete(self, before, *, after="", max_tokens=12, stop=(), cancel=None, on_token=None):
        self.calls.append(before)
        if on_token:
            on_token(" local")
        return Completion(" local", 1, 1.0, self.name)

    def next_words(self, before, *, count=3, cancel=None):
        return [WordChoice("localword", 0.5)]

    def close(self):
        pass


class FakeServer:
    name = "server:127.0.0.1:9"

    def __init__(self, behaviour):
        self.behaviour = behaviour

    def complete(self, before, *, after="", max_tokens=12, stop=(), cancel=None, on_token=None):
        return self.behaviour(before, on_token)

    def next_words(self, before, *, count=3, cancel=None):
        return []  # no log-probabilities

    def close(self):
        pass


def _switch(clock, messages):
    switch = ServerSwitch(notify=messages.append, clock=clock)
    switch.set(ON)
    return switch


def test_backoff_doubles_up_to_its_limit_and_resets():
    clock = Clock()
    backoff = Backoff(5, 20, clock)
    assert backoff.ready()
    assert [backoff.failed() for _ in range(4)] == [5, 10, 20, 20]
    assert not backoff.ready()
    clock.now += 20
    assert backoff.ready()
    assert backoff.succeeded() is True and backoff.succeeded() is False


def test_a_failing_server_is_one_line_then_local_then_retried_after_the_backoff():
    clock, messages = Clock(), []
    state = {"fail": True, "built": 0}

    def behaviour(before, on_token):
        if state["fail"]:
            raise ServerError("server 127.0.0.1:9 cannot be reached (connection refused)", "down")
        on_token(" remote")
        return Completion(" remote", 1, 1.0, "server:127.0.0.1:9")

    def build(_config):
        state["built"] += 1
        return FakeServer(behaviour)

    local = FakeLocal()
    engine = FallbackCompletionEngine(lambda: local, _switch(clock, messages), server_factory=build)
    assert engine.complete("Hello").model == "local.gguf"
    assert messages == [
        "server 127.0.0.1:9 cannot be reached (connection refused); completion uses the local engine, "
        "server retried in 5 s"
    ]
    assert engine.complete("Hello again").model == "local.gguf"  # within the backoff: not even tried
    assert state["built"] == 1 and len(messages) == 1
    state["fail"] = False
    clock.now += 5
    assert engine.complete("Hello").model == "server:127.0.0.1:9"
    assert messages[-1] == "server 127.0.0.1:9 answers again; completion uses it"


def test_a_stream_dropped_midway_keeps_the_shown_text_and_the_local_model_continues_it():
    clock, messages = Clock(), []

    def behaviour(before, on_token):
        on_token(" Tuesday")
        raise ServerError("server 127.0.0.1:9 dropped the connection on /v1/completions", "dropped")

    local = FakeLocal()
    engine = FallbackCompletionEngine(
        lambda: local, _switch(clock, messages), server_factory=lambda c: FakeServer(behaviour)
    )
    shown: list[str] = []
    result = engine.complete("moved to next", on_token=shown.append)
    assert result.text == " Tuesday local"
    assert "".join(shown) == result.text
    assert local.calls == ["moved to next Tuesday"]
    assert len(messages) == 1


def test_cancel_is_not_a_server_failure():
    clock, messages = Clock(), []

    def behaviour(before, on_token):
        raise Cancelled()

    engine = FallbackCompletionEngine(
        FakeLocal, _switch(clock, messages), server_factory=lambda c: FakeServer(behaviour)
    )
    with pytest.raises(Cancelled):
        engine.complete("Hello")
    assert messages == []


def test_off_means_the_server_is_never_built():
    built = []
    switch = ServerSwitch()
    switch.set(ServerSettings(enabled=False, url="http://127.0.0.1:9"))
    engine = FallbackCompletionEngine(FakeLocal, switch, server_factory=built.append)
    assert engine.complete("Hello").model == "local.gguf"
    assert engine.next_words("Hello") == [WordChoice("localword", 0.5)]
    assert built == []


def test_word_chips_come_from_local_when_the_server_gives_no_logprobs():
    clock, messages = Clock(), []
    engine = FallbackCompletionEngine(
        FakeLocal, _switch(clock, messages), server_factory=lambda c: FakeServer(lambda b, t: None)
    )
    assert engine.next_words("Hello") == [WordChoice("localword", 0.5)]


def test_translation_falls_back_to_the_local_route_for_the_sentences_left():
    clock, messages = Clock(), []

    class Remote:
        def translate(self, sentences, *, source, target, cancel=None):
            from slm_desktop.engines.base import Translation

            yield Translation(0, sentences[0], "uno", 1.0)
            raise ServerError("server 127.0.0.1:9 dropped the connection on /v1/chat/completions", "dropped")

        def close(self):
            pass

    def local(texts, source, target, cancel):
        return [f"local:{t}" for t in texts]

    engine = FallbackTranslationEngine(_switch(clock, messages), local, server_factory=lambda c, langs: Remote())
    out = list(engine.translate(["one", "two", "three"], source="en", target="es"))
    assert [(t.index, t.text) for t in out] == [(0, "uno"), (1, "local:two"), (2, "local:three")]
    assert len(messages) == 1 and "translation uses the local engine" in messages[0]


def test_speech_partials_stay_local_and_the_final_text_is_the_servers():
    clock, messages = Clock(), []

    class LocalUtterance:
        def accept(self, pcm, *, preview=True):
            return "partial"

        def finish(self):
            return Transcript("local final", engine="vosk")

    class LocalSpeech:
        name, model, sample_rate = "vosk", "m", 16000

        def start(self, *, grammar=None, context=""):
            return LocalUtterance()

        def close(self):
            pass

    class Transcriber:
        def transcribe(self, pcm, *, rate, prompt=""):
            assert len(pcm) == 640 and rate == 16000
            return Transcript("server final", engine="server:127.0.0.1:9")

        def close(self):
            pass

    speech = HybridSpeechEngine(LocalSpeech(), _switch(clock, messages), transcriber_factory=lambda c: Transcriber())
    utterance = speech.start()
    assert utterance.accept(b"\0" * 640) == "partial"
    assert utterance.finish().text == "server final"
    commands = speech.start(grammar=["open"])
    commands.accept(b"\0" * 640)
    assert commands.finish().text == "local final"  # a grammar (voice commands) stays local
    assert speech.model == "m" and speech.sample_rate == 16000


def test_server_pairs_are_listed_without_asking_the_server():
    pairs = server_pairs(ServerSettings(url="http://gpu:8080", languages="en, es,xx"))
    assert {(p.source, p.target) for p in pairs} == {("en", "es"), ("es", "en")}
    assert pairs[0].engine == "server" and pairs[0].model == "gpu:8080"


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://localhost:11434", True),
        ("http://192.168.1.20:8080/v1", True),
        ("http://10.0.0.5", True),
        ("http://[fe80::1]:8000", True),
        ("http://gpu-box:8080", True),
        ("http://gpu-box.local:8080", True),
        ("http://8.8.8.8:8080", False),
        ("http://models.example.com", False),
    ],
)
def test_local_network_addresses(url, local):
    assert is_local_network(url) is local
    assert needs_confirmation(url) is (not local)
    assert needs_confirmation(url.replace("http://", "https://")) is False


def test_urls_are_normalised():
    assert base_url("http://h:8080/v1/") == "http://h:8080"
    assert base_url("h:8080") == "http://h:8080"
    assert host_of("https://h:8443/v1") == "h:8443"


def test_the_thread_policy_reaches_the_local_model_through_the_wrapper():
    class Threaded(FakeLocal):
        threads = 0

        def set_threads(self, count):
            self.threads = count

    local = Threaded()
    switch = ServerSwitch()
    switch.set(ServerSettings(enabled=True, url="http://127.0.0.1:9"))  # on: the local model loads on first need
    engine = FallbackCompletionEngine(lambda: local, switch, server_factory=lambda c: None)
    engine.set_threads(2)
    assert local.threads == 0  # not loaded yet
    engine.next_words("Hello")  # the server (None here) gives nothing: the local model loads
    assert local.threads == 2
    engine.set_threads(1)
    assert local.threads == 1
