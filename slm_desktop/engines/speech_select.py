"""Which speech engine and model to use: settings + search path -> a lazy factory.

Engines themselves never read settings; this resolver does, and hands the worker a factory
(called inside the lane) so nothing heavy is imported on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from slm_desktop.config import SpeechSettings
from slm_desktop.engines.base import SpeechEngine
from slm_desktop.errors import ModelError, UserError
from slm_desktop.isolation import PROBE_CACHE_NAME, load_vosk, probe_first_load
from slm_desktop.memory import ensure_fits
from slm_desktop.paths import AppPaths

ENGINES = ("vosk", "pocketsphinx")
VOSK_PATTERN = "vosk-model-*"


@dataclass(frozen=True)
class SpeechChoice:
    engine: str  # vosk | pocketsphinx
    model: Path | None  # None: PocketSphinx's embedded en-us model
    probe_cache: Path | None = None  # set: a Vosk model's first load is probed in a child process first

    @property
    def key(self) -> str:
        """The worker lane's engine cache key."""
        return f"speech:{self.engine}:{self.model or 'embedded'}"

    def create(self) -> SpeechEngine:
        """Runs inside the worker lane: memory check, first-load probe, then the real load."""
        if self.model is not None:
            ensure_fits(self.model)
        if self.engine == "vosk":
            from slm_desktop.engines.vosk_engine import VoskConfig, VoskEngine

            if self.probe_cache is not None:
                probe_first_load(load_vosk, self.model, cache_file=self.probe_cache)
            return VoskEngine(VoskConfig(model_path=self.model))
        from slm_desktop.engines.sphinx_engine import SphinxConfig, SphinxEngine

        return SphinxEngine(SphinxConfig(model_dir=self.model))


def _language_matches(folder: Path, language: str) -> bool:
    parts = folder.name.lower().removeprefix("vosk-model-").replace("_", "-").split("-")
    return language.lower().split("-")[0] in parts


def find_vosk_model(paths: AppPaths, language: str, name: str = "") -> Path | None:
    """A named folder (path or name on the search path), else the first vosk-model-* for the language."""
    if name:
        given = Path(name).expanduser()
        return given if given.is_dir() else paths.find_model(name)
    matches = [p for p in paths.find_models(VOSK_PATTERN) if p.is_dir() and _language_matches(p, language)]
    return matches[0] if matches else None


def choose_speech_engine(
    settings: SpeechSettings, paths: AppPaths, *, engine: str | None = None, model: str | None = None
) -> SpeechChoice:
    wanted = engine or settings.engine
    if wanted not in (*ENGINES, "auto"):
        raise UserError(f"unknown speech engine '{wanted}'; choose vosk or pocketsphinx")
    if wanted == "pocketsphinx":
        return SpeechChoice("pocketsphinx", Path(model) if model else None)
    vosk_model = find_vosk_model(paths, settings.language, model or settings.vosk_model)
    if vosk_model is None and model:
        raise ModelError(f"model folder not found: {model}")
    if vosk_model is not None:
        return SpeechChoice("vosk", vosk_model, paths.data_dir / PROBE_CACHE_NAME)
    if wanted == "vosk":
        where = paths.install_dir
        raise ModelError(f"no Vosk model for '{settings.language}': put a {VOSK_PATTERN} folder in {where}")
    if settings.language.lower().startswith("en"):
        return SpeechChoice("pocketsphinx", None)
    raise ModelError(f"no speech model for '{settings.language}': install a Vosk model in {paths.install_dir}")
