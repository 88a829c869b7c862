"""First-load probe: a native crash while loading a model costs a child process, not the app."""

from __future__ import annotations

from pathlib import Path

import fault_support
import pytest

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.errors import ModelError, UserError
from slm_desktop.isolation import ProbeCache, load_gguf, probe_first_load, run_probe

DEFAULT_GGUF = Path(__file__).resolve().parents[2] / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 64)
    return path


@pytest.mark.parametrize(
    ("loader", "signal_name"),
    [
        (fault_support.aborting_loader, "SIGABRT"),
        (fault_support.segfaulting_loader, "SIGSEGV"),
        (
            fault_support.illegal_instruction_loader,
            "SIGILL: the library needs CPU instructions this processor lacks; use a build for older CPUs",
        ),
    ],
)
def test_a_crashing_load_becomes_one_model_error(model, loader, signal_name):
    with pytest.raises(ModelError) as caught:
        run_probe(loader, model)
    message = str(caught.value)
    assert "\n" not in message
    assert f"model.gguf crashed the inference library while loading ({signal_name})" in message


def test_a_python_error_in_the_load_is_reported_in_one_line(model):
    with pytest.raises(ModelError, match=r"model\.gguf could not be loaded: Failed to load model"):
        run_probe(fault_support.raising_loader, model)


def test_a_good_load_is_probed_once_then_remembered(model, tmp_path):
    cache = tmp_path / "data" / "probed.json"
    assert probe_first_load(fault_support.fine_loader, model, cache_file=cache) is True
    assert ProbeCache(cache).known_good(model)
    assert probe_first_load(fault_support.aborting_loader, model, cache_file=cache) is False  # not run again


def test_a_changed_file_is_probed_again(model, tmp_path):
    cache = tmp_path / "probed.json"
    probe_first_load(fault_support.fine_loader, model, cache_file=cache)
    model.write_bytes(b"GGUF" + b"\1" * 100)
    with pytest.raises(ModelError, match="crashed"):
        probe_first_load(fault_support.aborting_loader, model, cache_file=cache)
    assert not ProbeCache(cache).known_good(model)


def test_a_hanging_load_times_out(model):
    with pytest.raises(ModelError, match="over 1 s"):
        run_probe(fault_support.hanging_loader, model, timeout=1)


def test_a_probe_is_cancellable(model):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_probe(fault_support.hanging_loader, model, token=token)


def test_the_real_default_gguf_loads_in_the_probe(tmp_path):
    """Through the real llama.cpp: the shipped model passes."""
    cache = tmp_path / "probed.json"
    assert probe_first_load(load_gguf, DEFAULT_GGUF, cache_file=cache) is True
    assert ProbeCache(cache).known_good(DEFAULT_GGUF)


def test_a_damaged_gguf_is_refused_by_the_real_llama_cpp_in_the_probe(tmp_path):
    """Header intact (passes the quick check), tensor data cut off: llama.cpp fails in the child."""
    damaged = tmp_path / "damaged.gguf"
    with open(DEFAULT_GGUF, "rb") as source, open(damaged, "wb") as target:
        target.write(source.read(DEFAULT_GGUF.stat().st_size // 2))
    with pytest.raises(ModelError, match=r"damaged\.gguf"):
        run_probe(load_gguf, damaged)


# ---------------------------------------------------------------- the ONNX and CTranslate2 first loads


def test_the_intent_models_first_load_is_probed_and_a_crash_is_contained(app_paths, tmp_path, monkeypatch):
    """make_engine probes the ONNX file before onnxruntime opens it here: a loader that aborts costs the
    child process and becomes one ModelError; the real onnxruntime then loads it and it is remembered."""
    from slm_desktop import isolation
    from slm_desktop.commands.intents import locate_model, make_engine

    cache = tmp_path / "probed.json"
    monkeypatch.setattr(isolation, "load_onnx", fault_support.aborting_loader)
    with pytest.raises(ModelError, match=r"model.onnx crashed the inference library while loading \(SIGABRT\)"):
        make_engine(app_paths, threads=1, probe_cache=cache)
    assert not ProbeCache(cache).known_good(locate_model(app_paths) / "model.onnx")
    monkeypatch.undo()
    engine = make_engine(app_paths, threads=1, probe_cache=cache)
    try:
        assert engine.classify("save the document").intent == "save_document"
    finally:
        engine.close()
    assert ProbeCache(cache).known_good(locate_model(app_paths) / "model.onnx")


def test_a_ctranslate2_models_first_load_is_probed_and_a_crash_is_contained(tmp_path, monkeypatch):
    """Catalog.open checks the folder's layout (is_ct2_folder), then probes the first load with
    CTranslate2 in a child: an aborting load is one ModelError; the real load is then remembered."""
    from slm_desktop import isolation
    from slm_desktop.bench.tiny_marian import build_ct2_model
    from slm_desktop.engines.base import LanguagePair
    from slm_desktop.translation import Catalog

    folder = build_ct2_model(tmp_path / "models" / "opus-mt-en-de")
    cache = tmp_path / "probed.json"
    catalog = Catalog((LanguagePair("en", "de", "ct2", str(folder)),), tmp_path / "unpacked", 1, probe_cache=cache)
    monkeypatch.setattr(isolation, "load_ct2", fault_support.aborting_loader)
    with pytest.raises(ModelError, match=r"opus-mt-en-de crashed the inference library while loading \(SIGABRT\)"):
        catalog.open(catalog.pairs[0])
    monkeypatch.undo()
    engine = catalog.open(catalog.pairs[0])
    try:
        assert next(engine.translate(["hello"], source="en", target="de")).index == 0
    finally:
        engine.close()
    assert ProbeCache(cache).known_good(folder)
    (folder / "model.bin").unlink()
    with pytest.raises(UserError, match="not a CTranslate2 model"):
        catalog.open(catalog.pairs[0])
