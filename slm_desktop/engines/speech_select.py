"""Which speech engine and model to use: settings + search path + this machine -> a lazy factory.

Engines themselves never read settings; this resolver does, and hands the worker a factory
(called inside the lane) so nothing heavy is imported on the GUI thread.

`auto` prefers Whisper (faster-whisper): base on a capable machine, tiny.en for English on a
modest one, PocketSphinx (which takes a command grammar) on boards too weak for Whisper, and Vosk
when the user picked a Vosk model (or no Whisper model fits the language). A missing Whisper
model is not an error in `auto`: PocketSphinx takes over and `SpeechChoice.message` says how to
install Whisper.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.config import SpeechSettings
from slm_desktop.engines.base import SpeechEngine
from slm_desktop.errors import ModelError, UserError
from slm_desktop.isolation import PROBE_CACHE_NAME, load_vosk, probe_first_load
from slm_desktop.memory import ensure_fits
from slm_desktop.paths import AppPaths
from slm_desktop.store.recommend import Hardware, SpeedSample

log = logging.getLogger(__name__)

ENGINES = ("whisper", "vosk", "pocketsphinx")
VOSK_PATTERN = "vosk-model-*"
WHISPER_BASE, WHISPER_TINY_EN = "whisper-base", "whisper-tiny-en"
INSTALL_WHISPER = "slm-desktop models install whisper-base"
SLOW_TOKENS_PER_S = 3.0  # the first-run measurement (SmolLM2-135M): below this the machine is starved
CAPABLE, MODEST, WEAK = "capable", "modest", "weak"
WHISPER_ENGINE = "slm_desktop.engines.whisper_engine:WhisperEngine"


@dataclass(frozen=True)
class SpeechChoice:
    engine: str  # whisper | vosk | pocketsphinx
    model: Path | None  # None: PocketSphinx's embedded en-us model
    probe_cache: Path | None = None  # set: a Vosk model's first load is probed in a child process first
    language: str = "en"  # Whisper: "auto" or a code
    threads: int = 2
    in_process: bool = False  # Whisper: decode in this process (CLI) rather than a child (the GUI)
    message: str = ""  # why this engine, when it is a fallback (one line for the status bar)
    partials: bool = True  # Whisper: re-decode while listening for live partial text
    word_times: bool = False  # Whisper: align every word of a final decode (the CLI's --json/--srt)
    second_opinion: Path | None = None  # Whisper: tiny.en heard too when a command's best reading is unsure

    @property
    def key(self) -> str:
        """The worker lane's engine cache key."""
        second = f":+{self.second_opinion.name}" if self.second_opinion else ""
        return f"speech:{self.engine}:{self.model or 'embedded'}:{self.language}{second}"

    def whisper_config(self):
        from slm_desktop.engines.whisper_engine import WhisperConfig

        return WhisperConfig(
            model_path=self.model,
            language=self.language,
            threads=self.threads,
            partials=self.partials,
            final_word_times=self.word_times,
            second_opinion_path=self.second_opinion,
        )

    def create(self) -> SpeechEngine:
        """Runs inside the worker lane: memory check, first-load probe, then the real load."""
        if self.model is not None:
            ensure_fits(self.model)
        if self.engine == "whisper":
            return self._create_whisper()
        if self.engine == "vosk":
            from slm_desktop.engines.vosk_engine import VoskConfig, VoskEngine

            if self.probe_cache is not None:
                probe_first_load(load_vosk, self.model, cache_file=self.probe_cache)
            return VoskEngine(VoskConfig(model_path=self.model))
        from slm_desktop.engines.sphinx_engine import SphinxConfig, SphinxEngine

        return SphinxEngine(SphinxConfig(model_dir=self.model))

    def _create_whisper(self) -> SpeechEngine:
        """In the GUI, Whisper decodes in a child process: faster-whisper's Python-side feature
        extraction and word alignment hold the GIL long enough to stall the event loop (160 ms
        measured in-process, see docs/speech.md)."""
        if self.in_process:
            from slm_desktop.engines.whisper_engine import WhisperEngine

            return WhisperEngine(self.whisper_config())
        from slm_desktop.engines.remote import ProcessSpeechEngine

        return ProcessSpeechEngine(WHISPER_ENGINE, self.whisper_config())


def machine_tier(hardware: Hardware | None, sample: SpeedSample | None = None) -> str:
    """capable (Whisper base), modest (tiny.en for English) or weak (PocketSphinx), from the CPU and
    the first-run speed measurement when there is one. Whisper's encoder is compute-bound: SIMD
    width matters more than the memory bandwidth the tokens/s sample mostly measures, so the sample
    only demotes a machine that is starved."""
    if hardware is None:
        return CAPABLE
    if sample is not None and sample.tokens_per_s < SLOW_TOKENS_PER_S:
        return WEAK
    if hardware.arm:
        if "i8mm" in hardware.flags and hardware.cores >= 4:
            return CAPABLE  # Apple M-series, recent Cortex-X/A7xx boards
        return MODEST if "dotprod" in hardware.flags and hardware.cores >= 4 else WEAK  # Pi 5 / Pi 4
    if "avx2" in hardware.flags and hardware.cores >= 2:
        return CAPABLE
    return MODEST if hardware.cores >= 2 else WEAK


def _english(language: str) -> bool:
    return language.lower().split("-")[0] == "en"


def find_whisper_model(paths: AppPaths, name: str) -> Path | None:
    given = Path(name).expanduser()
    if given.is_dir():
        return given
    found = paths.find_model(name)
    return found if found is not None and found.is_dir() else None


def _whisper_order(tier: str, language: str) -> list[str]:
    """Which installed Whisper models to try, best first, for this machine and language."""
    if _english(language):
        return [WHISPER_BASE, WHISPER_TINY_EN] if tier == CAPABLE else [WHISPER_TINY_EN, WHISPER_BASE]
    return [WHISPER_BASE]  # tiny.en knows only English; "auto" may be any language


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


def _whisper(
    paths: AppPaths, settings: SpeechSettings, model: str | None, tier: str, *, strict: bool = False
) -> SpeechChoice | None:
    """The named model (strict: only it), else the best installed one for the tier and language."""
    named = model or settings.whisper_model
    names = [named] if named else []
    if not (strict and named):
        names += _whisper_order(tier, settings.language)
    for name in names:
        found = find_whisper_model(paths, name)
        if found is not None:
            second = second_opinion_for(paths, settings, found)
            return SpeechChoice("whisper", found, language=settings.language or "auto", second_opinion=second)
    return None


def second_opinion_for(paths: AppPaths, settings: SpeechSettings, first: Path) -> Path | None:
    """tiny.en beside a bigger Whisper model, for unsure commands (English only, as the intent model is);
    the bench pairs its models by this rule too."""
    if not settings.command_second_opinion or not (_english(settings.language) or settings.language == "auto"):
        return None
    tiny = find_whisper_model(paths, WHISPER_TINY_EN)
    return tiny if tiny is not None and tiny.resolve() != first.resolve() else None


def choose_speech_engine(
    settings: SpeechSettings,
    paths: AppPaths,
    *,
    engine: str | None = None,
    model: str | None = None,
    hardware: Hardware | None = None,
    sample: SpeedSample | None = None,
) -> SpeechChoice:
    wanted = engine or settings.engine
    if wanted not in (*ENGINES, "auto"):
        raise UserError(f"unknown speech engine '{wanted}'; choose whisper, vosk or pocketsphinx")
    if wanted == "pocketsphinx":
        return SpeechChoice("pocketsphinx", Path(model) if model else None)
    if wanted == "whisper":
        return _chosen_whisper(paths, settings, model)
    if wanted == "vosk" or (wanted == "auto" and (settings.vosk_model or _is_vosk(model))):
        return _chosen_vosk(paths, settings, model, required=True)
    if hardware is None:  # the machine as measured now (cheap: /proc) and at the last measurement
        from slm_desktop.store.recommend import load_sample, measure_hardware

        hardware, sample = measure_hardware(), sample or load_sample(paths.data_dir)
    return _auto(paths, settings, model, machine_tier(hardware, sample))


def _is_vosk(model: str | None) -> bool:
    if not model:
        return False
    from slm_desktop.store.validate import is_vosk_folder

    return Path(model).name.startswith("vosk-model") or is_vosk_folder(Path(model).expanduser())


def _chosen_whisper(paths: AppPaths, settings: SpeechSettings, model: str | None) -> SpeechChoice:
    found = _whisper(paths, settings, model, CAPABLE, strict=True)
    if found is None:
        what = f"Whisper model '{model or settings.whisper_model}' not found" if model or settings.whisper_model else ""
        raise ModelError(f"{what or 'no Whisper model installed'}: install one with `{INSTALL_WHISPER}`")
    return found


def _chosen_vosk(paths: AppPaths, settings: SpeechSettings, model: str | None, *, required: bool) -> SpeechChoice:
    vosk_model = find_vosk_model(paths, settings.language, model or settings.vosk_model)
    if vosk_model is None and (model or required):
        if model:
            raise ModelError(f"model folder not found: {model}")
        where = paths.install_dir
        raise ModelError(f"no Vosk model for '{settings.language}': put a {VOSK_PATTERN} folder in {where}")
    return SpeechChoice("vosk", vosk_model, paths.data_dir / PROBE_CACHE_NAME)


def _auto(paths: AppPaths, settings: SpeechSettings, model: str | None, tier: str) -> SpeechChoice:
    english = _english(settings.language)
    if tier != WEAK or not english:
        found = _whisper(paths, settings, model, tier)
        if found is not None:
            return found
    vosk_model = find_vosk_model(paths, settings.language)
    if vosk_model is not None:
        return SpeechChoice("vosk", vosk_model, paths.data_dir / PROBE_CACHE_NAME)
    if english or settings.language == "auto":
        message = ""
        if tier != WEAK:
            message = f"no Whisper model installed, using PocketSphinx: install Whisper with `{INSTALL_WHISPER}`"
            log.warning(message)
        return SpeechChoice("pocketsphinx", None, message=message)
    raise ModelError(
        f"no speech model for '{settings.language}': install Whisper with `{INSTALL_WHISPER}` "
        f"or a Vosk model in {paths.install_dir}"
    )
