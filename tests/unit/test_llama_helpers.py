"""The completion engine's pure helpers: trimming, stop strings, context bounds (no model needed)."""

from pathlib import Path

import pytest

from slm_desktop.completion import engine_key, resolve_model
from slm_desktop.engines import llama, textops
from slm_desktop.errors import ModelError
from slm_desktop.paths import AppPaths


def test_cut_at_newline_and_stop_strings():
    assert textops.cut_at_stop("going home\nNext", ()) == ("going home", True)
    assert textops.cut_at_stop("going home", ("ho",)) == ("going ", True)
    assert textops.cut_at_stop("going home", ("",)) == ("going home", False)


def test_drop_partial_word_keeps_whole_words():
    assert textops.drop_partial_word(" to the supermar") == " to the"
    assert textops.drop_partial_word("supercalifragil") == "supercalifragil"


def test_recent_keeps_the_tail_and_moves_its_edge_rarely():
    text = "word " * 1000
    assert llama._recent("short text", 100) == "short text"
    cut = llama._recent(text, 600)
    assert text.endswith(cut) and len(cut) <= 600 and cut.startswith("word")
    assert llama._recent(text + "a", 600) == cut + "a"  # one more keystroke: same left edge


def test_fit_drops_old_tokens_in_blocks():
    tokens = list(range(100))
    assert llama.LlamaCompletionEngine._fit(tokens, 200) == tokens
    fitted = llama.LlamaCompletionEngine._fit(tokens, 90)
    assert fitted == tokens[32:]
    assert llama.LlamaCompletionEngine._fit([*tokens, 100], 90) == [*tokens, 100][32:]


def test_spell_consumes_healed_text():
    assert llama._spell(" week", " we") == ("ek", "")
    assert llama._spell(" extra", " extraordin") == ("", "ordin")


def test_default_threads_is_sensible():
    assert 1 <= llama.default_threads() <= 4


def test_check_gguf_rejects_what_llama_cpp_would_choke_on(tmp_path):
    """The engine loads through the store's one GGUF check (not a copy of its own)."""
    from slm_desktop.store import validate

    assert llama.check_gguf is validate.check_gguf
    with pytest.raises(ModelError, match="not found"):
        validate.check_gguf(tmp_path / "missing.gguf")
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    with pytest.raises(ModelError, match="not a GGUF"):
        validate.check_gguf(empty)
    future = tmp_path / "future.gguf"
    future.write_bytes(b"GGUF" + (99).to_bytes(4, "little"))
    with pytest.raises(ModelError, match="unsupported GGUF version 99"):
        validate.check_gguf(future)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + bytes(4))
    with pytest.raises(ModelError, match="damaged or truncated"):
        validate.check_gguf(cut)
    hollow = tmp_path / "hollow.gguf"
    hollow.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + bytes(16))
    with pytest.raises(ModelError, match="no tensors"):
        validate.check_gguf(hollow)


def test_resolve_model_prefers_the_default_then_any_gguf(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    paths = AppPaths(config_dir=tmp_path / "c", data_dir=tmp_path / "d", models_env=models)
    (models / "other.gguf").write_bytes(b"GGUF")
    assert resolve_model(paths, "other.gguf") == models / "other.gguf"
    assert resolve_model(paths).name == "SmolLM2-135M-Instruct.Q4_1.gguf"  # the repository's models/
    with pytest.raises(ModelError, match=r"not found: nope\.gguf"):
        resolve_model(paths, "nope.gguf")
    assert engine_key(Path("/m/a.gguf")) != engine_key(Path("/m/b.gguf"))


def test_available_memory_is_known_on_linux():
    available = llama._available_memory()
    assert available is None or available > 0
