"""The LLM prompt engine: offered only for multilingual GGUF models, never for the default 135M one.

No multilingual GGUF model is available on build machines, so the engine's mechanics (prompt,
streaming, cancellation) run on the default SmolLM2-135M with languages forced: this checks the
plumbing through real llama.cpp, not translation quality.
"""

import pytest
from gguf import GGUFWriter

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.engines.llm_translate import LlmTranslationEngine, gguf_languages, llm_pairs
from slm_desktop.errors import ModelError
from slm_desktop.paths import AppPaths, repo_root

DEFAULT_GGUF = repo_root() / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _metadata_only_gguf(path, languages):
    writer = GGUFWriter(str(path), "llama")
    writer.add_array("general.languages", languages)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_default_model_is_english_only_and_not_offered(tmp_path):
    assert gguf_languages(DEFAULT_GGUF) == ["en"]
    assert llm_pairs([DEFAULT_GGUF.parent]) == []


def test_multilingual_metadata_is_offered(tmp_path):
    _metadata_only_gguf(tmp_path / "multi.gguf", ["en", "es", "fr"])
    pairs = {(p.source, p.target) for p in llm_pairs([tmp_path])}
    assert ("en", "es") in pairs and ("fr", "en") in pairs and len(pairs) == 6


def test_discover_leaves_the_default_model_out(tmp_path):
    from slm_desktop.translation import discover

    catalog = discover(AppPaths(tmp_path / "c", tmp_path / "d"), engines=("llm",))
    assert catalog.pairs == ()


@pytest.fixture(scope="module")
def engine():
    loaded = LlmTranslationEngine(DEFAULT_GGUF, languages=["en", "es"], threads=1, context_tokens=256)
    yield loaded
    loaded.close()


def test_prompt_engine_runs_and_streams(engine):
    [pair, _] = engine.pairs()
    assert pair.engine == "llm"
    stream = engine.translate(["Hello.", "Thanks."], source="en", target="es")
    first = next(stream)  # each sentence comes out as soon as it is done, before the next is started
    assert (first.index, first.source) == (0, "Hello.") and "Hola" in first.text
    out = [first, *stream]
    assert [o.index for o in out] == [0, 1] and [o.source for o in out] == ["Hello.", "Thanks."]
    assert all(o.text.strip() and o.text != o.source and "\n" not in o.text for o in out), out


def test_prompt_engine_cancels(engine):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        list(engine.translate(["Hello there, my friend."], source="en", target="es", cancel=token))


def test_unknown_language_is_a_model_error(engine):
    with pytest.raises(ModelError):
        list(engine.translate(["Hello"], source="en", target="xx"))
