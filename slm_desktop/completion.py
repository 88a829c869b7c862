"""Glue between settings and the completion engine: which GGUF file, and a factory for the worker lane.

Importing this module imports no inference library; the factory imports llama_cpp when it runs,
inside the worker lane, so the GUI starts without paying for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.config import CompletionSettings
from slm_desktop.engines.base import CompletionEngine
from slm_desktop.errors import ModelError
from slm_desktop.paths import AppPaths
from slm_desktop.store.defaults import SMOLLM2

DEFAULT_MODEL = SMOLLM2.filename


def installed_models(paths: AppPaths) -> list[Path]:
    """Every GGUF file on the model search path (for the model picker)."""
    return paths.find_models("*.gguf")


def resolve_model(paths: AppPaths, name: str = "") -> Path:
    """A path or file name from settings/CLI, else the default model, else the first GGUF installed."""
    if name:
        given = Path(name).expanduser()
        found = given if given.is_absolute() or given.exists() else paths.find_model(name)
        if found is None:
            raise ModelError(f"completion model not found: {name}")
        return found
    found = paths.find_model(DEFAULT_MODEL) or next(iter(installed_models(paths)), None)
    if found is None:
        raise ModelError(f"no completion model installed (expected {DEFAULT_MODEL}; run scripts/setup.sh)")
    return found


def engine_key(model: Path) -> str:
    """Worker lane cache key: a different model file is a different engine."""
    return f"completion:{model}"


def engine_factory(
    model: Path, settings: CompletionSettings, *, probe_cache: Path | None = None, ram_mb: int = 0
) -> Callable[[], CompletionEngine]:
    """A zero-argument builder for JobContext.engine(); it runs in the worker lane.

    Before llama.cpp touches the file in this process: refuse it if it cannot fit in free memory,
    and (with probe_cache) load it once in a throwaway process, so a file that crashes llama.cpp
    costs a message instead of the user's session."""

    def build() -> CompletionEngine:
        from slm_desktop.engines.llama import LlamaCompletionEngine, LlamaConfig
        from slm_desktop.memory import ensure_fits

        ensure_fits(model, ram_mb=ram_mb)
        if probe_cache is not None:
            from slm_desktop.isolation import load_gguf, probe_first_load

            probe_first_load(load_gguf, model, cache_file=probe_cache)
        config = LlamaConfig(model, n_threads=settings.threads, n_ctx=settings.context_tokens)
        return LlamaCompletionEngine(config)

    return build


@dataclass(frozen=True)
class CompletionChoice:
    """A completion model and how the completion lane loads it. Every job that uses the same key shares
    one loaded engine (suggestions and the first-run measurement alike), so the model is in memory once."""

    model: Path
    key: str
    factory: Callable[[], CompletionEngine]


def choose(
    model: Path, settings: CompletionSettings, *, probe_cache: Path | None = None, ram_mb: int = 0
) -> CompletionChoice:
    return CompletionChoice(
        model, engine_key(model), engine_factory(model, settings, probe_cache=probe_cache, ram_mb=ram_mb)
    )
