"""The on-device measurement through the real llama.cpp engine and the real default model."""

from __future__ import annotations

from pathlib import Path

from slm_desktop.store.catalog import load_catalog
from slm_desktop.store.recommend import measure_hardware, measure_tokens_per_second, recommend

DEFAULT_GGUF = Path(__file__).resolve().parents[2] / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_measure_this_machine_and_recommend(app_paths):
    hw = measure_hardware()
    assert hw.cores >= 1 and hw.ram_total_mb > 0 and hw.machine
    sample = measure_tokens_per_second(DEFAULT_GGUF, seconds=1.0)
    assert sample.tokens_per_s > 0 and sample.model_bytes == 98362432
    recs = recommend(load_catalog(app_paths), hw, sample)
    completion = [r for r in recs if r.kind == "completion"]
    assert all(r.est_tokens_per_s and "tok/s here" in r.reason for r in completion if r.verdict != "too big")


def test_measuring_through_the_loaded_completion_engine():
    """The app's first-run path: the suggestion engine that is already loaded measures the speed."""
    from slm_desktop.engines.llama import LlamaCompletionEngine, LlamaConfig
    from slm_desktop.store.recommend import measure_engine_speed

    engine = LlamaCompletionEngine(LlamaConfig(DEFAULT_GGUF, n_threads=2))
    try:
        sample = measure_engine_speed(engine, DEFAULT_GGUF, seconds=0.5)
    finally:
        engine.close()
    assert sample.tokens_per_s > 0 and sample.model_bytes == 98362432 and sample.threads == 2
