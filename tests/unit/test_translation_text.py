"""Translation logic without engines: splitting, clean-up, detection, cache, routing, batching.

A fake engine stands in for plumbing only (call counts, cancellation); real translations are
tested through Apertium and CTranslate2 in tests/integration.
"""

import threading

import pytest

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.engines.base import LanguagePair, Translation
from slm_desktop.translation import (
    MAX_SENTENCE_CHARS,
    NoModel,
    Route,
    SentenceCache,
    batch_sizes,
    join_segments,
    plan_route,
    sanitize,
    split_sentences,
    translate_text,
)


class UpperEngine:
    """Fake engine: upper-cases; records every batch it was asked for."""

    name = "fake"

    def __init__(self, on_batch=None):
        self.batches: list[list[str]] = []
        self.on_batch = on_batch

    def pairs(self):
        return [LanguagePair("en", "xx", "fake")]

    def translate(self, sentences, *, source, target, cancel=None):
        self.batches.append(list(sentences))
        if self.on_batch:
            self.on_batch(len(self.batches))
        for i, s in enumerate(sentences):
            if cancel is not None:
                cancel.raise_if_cancelled()
            yield Translation(i, s, f"{target}:{s.upper()}", 0.0)

    def close(self):
        pass


ROUTE = Route((LanguagePair("en", "xx", "fake", "m"),))


def test_split_keeps_layout_and_abbreviations():
    text = 'Hello Mr. Smith. How are you?\n\nI am fine!  Thanks… "Quoted." End'
    segments = split_sentences(text)
    expected = ["Hello Mr. Smith.", "How are you?", "I am fine!", "Thanks…", '"Quoted."', "End"]
    assert [s.text for s in segments] == expected
    assert join_segments(segments, [s.text for s in segments]) == text


def test_split_cuts_sentences_without_punctuation():
    segments = split_sentences("word " * 500)
    assert len(segments) > 1
    assert all(len(s.text) <= MAX_SENTENCE_CHARS for s in segments)


def test_sanitize_control_chars_and_lone_surrogates():
    dirty = "a\x00b\x07c\r\nd\ud800e\U0001f600\tf"
    clean = sanitize(dirty)
    assert "\x00" not in clean and "\x07" not in clean and "\r" not in clean
    assert "\ufffd" in clean and "\U0001f600" in clean and "\t" in clean
    clean.encode("utf-8")  # no unencodable surrogate left


def test_cache_is_lru_and_keyed_by_pair():
    cache = SentenceCache(capacity=2)
    a, b = LanguagePair("en", "es", "x"), LanguagePair("en", "ca", "x")
    cache.put(a, "one", "uno")
    cache.put(b, "one", "un")
    assert cache.get(a, "one") == "uno" and cache.get(b, "one") == "un"
    cache.put(a, "two", "dos")
    assert cache.get(a, "one") is None  # least recently used (a was read before b) went first
    assert len(cache) == 2


PAIRS = [
    LanguagePair("en", "es", "apertium", "eng-spa"),
    LanguagePair("es", "en", "apertium", "spa-eng"),
    LanguagePair("en", "es", "ct2", "/m/opus-mt-en-es"),
    LanguagePair("ca", "en", "apertium", "cat-eng"),
]


def test_route_prefers_ct2_then_pivots_through_english():
    assert plan_route(PAIRS, "en", "es").steps[0].engine == "ct2"
    assert plan_route(PAIRS, "en", "es", engine="apertium").steps[0].engine == "apertium"
    pivot = plan_route(PAIRS, "ca", "es")
    assert pivot.pivot and [s.model for s in pivot.steps] == ["cat-eng", "/m/opus-mt-en-es"]
    assert "via en" in pivot.describe()


def test_route_missing_pair_names_it():
    with pytest.raises(NoModel) as info:
        plan_route(PAIRS, "en", "de")
    assert (info.value.source, info.value.target) == ("en", "de")
    assert "en→de" in str(info.value)


def test_batches_start_small_then_fill_up():
    assert list(batch_sizes(40, 1, 16)) == [(0, 1), (1, 17), (17, 33), (33, 40)]
    assert list(batch_sizes(3, 32, 32)) == [(0, 3)]


def test_translate_text_streams_in_order_and_caches():
    engine, cache, seen = UpperEngine(), SentenceCache(), []
    text = "One. Two.\n\nThree!"
    result = translate_text(text, route=ROUTE, engine_for=lambda p: engine, cache=cache, on_sentence=seen.append)
    assert result.text == "xx:ONE. xx:TWO.\n\nxx:THREE!"
    assert [d.done for d in seen] == [1, 2, 3] and result.sentences == 3
    again = translate_text("One. Two changed.\n\nThree!", route=ROUTE, engine_for=lambda p: engine, cache=cache)
    assert again.cached == 2
    assert engine.batches[-1] == ["Two changed."]  # only the edited sentence went to the engine


def test_translate_text_empty_is_a_no_op():
    engine = UpperEngine()
    result = translate_text("  \n ", route=ROUTE, engine_for=lambda p: engine, cache=SentenceCache())
    assert result.sentences == 0 and engine.batches == []


def test_pivot_runs_both_steps():
    first, second = UpperEngine(), UpperEngine()
    route = Route((LanguagePair("ca", "en", "a", "1"), LanguagePair("en", "es", "b", "2")))
    engines = {"1": first, "2": second}
    result = translate_text("Hola.", route=route, engine_for=lambda p: engines[p.model], cache=SentenceCache())
    assert result.text == "es:EN:HOLA." and result.pivot


def test_100k_characters_are_chunked_with_progress_and_cancellable():
    text = "".join(f"This is sentence number {i} of a long text. " for i in range(2500))
    assert len(text) > 100_000
    token, seen = CancelToken(), []
    engine = UpperEngine(on_batch=lambda n: token.cancel() if n == 4 else None)  # batches: 1, 16, 16, 16
    with pytest.raises(Cancelled):
        translate_text(text, route=ROUTE, engine_for=lambda p: engine, cache=SentenceCache(), cancel=token,
                       on_sentence=seen.append)  # fmt: skip
    assert len(engine.batches) == 4 and max(len(b) for b in engine.batches) <= 16
    assert seen and seen[-1].total == 2500 and seen[-1].done < 2500


def test_100k_characters_finish_in_bounded_batches():
    text = "Short one. " * 10_000
    engine = UpperEngine()
    result = translate_text(text, route=ROUTE, engine_for=lambda p: engine, cache=SentenceCache())
    assert result.sentences == 10_000
    assert len(engine.batches) == 1  # identical sentences: the cache serves all but the first
    assert result.text.startswith("xx:SHORT ONE. xx:SHORT ONE.")


def test_cache_is_thread_safe():
    cache = SentenceCache(capacity=100)
    pair = LanguagePair("en", "es", "x")

    def hammer(n):
        for i in range(2000):
            cache.put(pair, f"{n}-{i}", "t")
            cache.get(pair, f"{n}-{i - 1}")

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 100


def test_ui_and_logic_do_not_import_inference_libraries():
    import subprocess
    import sys

    code = (
        "import sys, slm_desktop.translation, slm_desktop.ui.translate_panel, slm_desktop.subcommands.translate;"
        "print(sorted(m for m in ('ctranslate2', 'sentencepiece') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_catalog_targets_are_the_installed_targets_without_blanks(tmp_path):
    """Only languages some installed pair translates into; a pair with no target ("") is no language.
    English is not added when nothing translates into it (the panel offers it as the pivot itself)."""
    from slm_desktop.translation import Catalog

    pairs = (LanguagePair("en", "es", "apertium"), LanguagePair("es", "", "llm", "m.gguf"))
    assert Catalog(pairs, tmp_path).targets() == ["es"]
    assert Catalog((*pairs, LanguagePair("es", "en", "apertium")), tmp_path).targets() == ["en", "es"]
