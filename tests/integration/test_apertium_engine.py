"""Real rule-based translations through the system's Apertium (apertium-eng-spa, apertium-eng-cat)."""

import shutil
import threading

import pytest

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.engines.apertium import ApertiumEngine, apertium_pairs, clean_markers
from slm_desktop.engines.base import TranslationEngine
from slm_desktop.errors import ModelError
from slm_desktop.translation import SentenceCache, plan_route, translate_text

pytestmark = pytest.mark.skipif(
    shutil.which("apertium") is None, reason="needs apertium-eng-spa + apertium-eng-cat (scripts/setup.sh --test)"
)


@pytest.fixture(scope="module")
def engine():
    found = ApertiumEngine()
    yield found
    found.close()


def _one(engine, text, source, target):
    return next(t.text for t in engine.translate([text], source=source, target=target))


def test_is_a_translation_engine_with_debian_pairs(engine):
    assert isinstance(engine, TranslationEngine)
    found = {(p.source, p.target) for p in engine.pairs()}
    assert {("en", "es"), ("en", "ca"), ("es", "en"), ("ca", "en")} <= found
    assert all(p.engine == "apertium" for p in apertium_pairs())


def test_english_to_spanish(engine):
    out = _one(engine, "Hello world, how are you today?", "en", "es")
    assert "Hola" in out and "hoy" in out


def test_english_to_catalan(engine):
    out = _one(engine, "Hello world, how are you today?", "en", "ca")
    assert "Hola" in out and "avui" in out


def test_unknown_word_markers_are_cleaned(engine):
    out = _one(engine, "I like blorfs.", "en", "es")
    assert "blorfs" in out and "*" not in out and "#" not in out and "@" not in out
    assert clean_markers("Me gusta *blorfs y #estar @foo, a*b") == "Me gusta blorfs y estar foo, a*b"


def test_batch_keeps_order(engine):
    sentences = ["The cat sleeps.", "Good morning.", "The house is big.", "Thank you."]
    results = list(engine.translate(sentences, source="en", target="es"))
    assert [r.index for r in results] == [0, 1, 2, 3]
    assert [r.source for r in results] == sentences
    assert "gato" in results[0].text and "casa" in results[2].text and "Gracias" in results[3].text


def test_newlines_inside_a_sentence_do_not_break_the_batch(engine):
    results = list(engine.translate(["Good\n\nmorning.", "Thank you."], source="en", target="es"))
    assert len(results) == 2 and "Gracias" in results[1].text


def test_missing_pair_is_a_model_error(engine):
    with pytest.raises(ModelError, match="en→de"):
        list(engine.translate(["Hello"], source="en", target="de"))


def test_cancel_kills_a_running_process(engine):
    token = CancelToken()
    text = ["This is a long sentence about the house and the river. " * 20] * 300
    threading.Timer(0.1, token.cancel).start()
    with pytest.raises(Cancelled):
        list(engine.translate(text, source="en", target="es", cancel=token))


def test_missing_command_is_one_clear_line():
    with pytest.raises(ModelError) as info:
        ApertiumEngine(command="apertium-not-installed-here")
    assert "Apertium is not installed" in str(info.value) and "\n" not in str(info.value)


def test_pivot_catalan_to_spanish_through_english(engine):
    route = plan_route(engine.pairs(), "ca", "es")
    assert route.pivot
    result = translate_text("Bon dia. El gat dorm.", route=route, engine_for=lambda p: engine, cache=SentenceCache())
    assert result.pivot and result.sentences == 2
    assert "gato" in result.text.lower()


def test_control_characters_and_surrogates_do_not_crash(engine):
    route = plan_route(engine.pairs(), "en", "es")
    text = "Hello\x00 world\x07.\ud800 The cat\x1b sleeps."
    result = translate_text(text, route=route, engine_for=lambda p: engine, cache=SentenceCache())
    assert "Hola" in result.text and "gato" in result.text
