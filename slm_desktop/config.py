"""Settings: TOML in the platformdirs config dir, validated against typed defaults.

A corrupt file is moved aside (kept, never deleted) and defaults are used; a value of the
wrong type falls back to its default. Each problem is reported as one line.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from slm_desktop.atomic import atomic_write_bytes, move_aside

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompletionSettings:
    enabled: bool = True
    model: str = ""  # empty: the default GGUF found on the search path
    debounce_ms: int = 150
    max_tokens: int = 12
    threads: int = 0  # 0: chosen per request from the cores other processes leave idle (slm_desktop.threads)
    context_tokens: int = 512
    learn_my_words: bool = True  # the personal model (slm_desktop.personal): learn from documents opened/saved
    word_list: bool = True  # finish half-typed words from the English word list too


@dataclass(frozen=True)
class SpeechSettings:
    engine: str = "auto"  # auto | whisper | vosk | pocketsphinx
    whisper_model: str = ""  # empty: the default Whisper model found on the search path
    vosk_model: str = ""
    language: str = "en"  # auto | an ISO 639-1 code
    custom_words: str = ""  # names and jargon, comma-separated; given to Whisper as its prompt
    max_utterance_seconds: int = 60
    command_second_opinion: bool = True  # Whisper tiny.en also hears a command the main model is unsure of
    input_device: str = ""
    push_to_talk_key: str = "F9"
    mode: str = "dictation"  # dictation | command


@dataclass(frozen=True)
class TranslationSettings:
    engine: str = "auto"  # auto | ct2 | apertium | llm
    source: str = "en"
    target: str = "es"
    live: bool = True
    beam_size: int = 1
    threads: int = 0


@dataclass(frozen=True)
class UiSettings:
    font_size: int = 12
    show_translation: bool = True
    show_voice_bar: bool = True
    low_power: str = "auto"  # auto | on | off
    last_directory: str = ""
    last_audio_directory: str = ""  # recordings often live apart from documents (~/Recordings, a phone's folder)
    autosave_seconds: int = 5
    confirm_seconds: int = 15  # how long a destructive command waits for its yes/no
    geometry: str = ""  # hex of QMainWindow.saveGeometry()
    window_state: str = ""  # hex of QMainWindow.saveState()
    recent_files: tuple[str, ...] = ()  # File -> Open Recent, newest first (ui/recent_files.py)


@dataclass(frozen=True)
class ServerSettings:
    """An OpenAI-compatible server the user runs (docs/server.md); nothing is sent while `enabled` is off."""

    enabled: bool = False
    url: str = ""  # http://host:8080 (llama-server), http://host:11434 (Ollama), http://host:8000 (vLLM)
    completion: bool = True  # which capabilities use it once enabled
    translation: bool = True
    speech: bool = False  # final text from /v1/audio/transcriptions; partials stay local
    model: str = ""  # empty: the server's first model
    speech_model: str = "whisper-1"
    languages: str = "en,es,fr,de,it,pt,ca,nl"  # translation pairs offered through the server's chat model
    connect_timeout_s: float = 2.0
    first_token_timeout_s: float = 3.0
    api_key: str = ""  # only when no system keyring exists; the settings file is then readable by the user only
    confirmed_http: str = ""  # the http:// URL off the local network the user agreed to use


@dataclass(frozen=True)
class Settings:
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    translation: TranslationSettings = field(default_factory=TranslationSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    server: ServerSettings = field(default_factory=ServerSettings)

    def with_value(self, section: str, key: str, value: Any) -> Settings:
        updated = dataclasses.replace(getattr(self, section), **{key: value})
        return dataclasses.replace(self, **{section: updated})


# Numbers a setting may take; the Settings dialog offers these, and a hand-edited file outside them is
# brought back inside (an autosave of 0 s or a NaN timeout would otherwise reach a timer or a socket).
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("completion", "debounce_ms"): (0, 2000),
    ("completion", "max_tokens"): (1, 64),
    ("completion", "threads"): (0, 64),
    ("completion", "context_tokens"): (64, 8192),
    ("speech", "max_utterance_seconds"): (5, 600),
    ("translation", "beam_size"): (1, 4),
    ("translation", "threads"): (0, 64),
    ("ui", "font_size"): (6, 48),
    ("ui", "autosave_seconds"): (1, 600),
    ("ui", "confirm_seconds"): (1, 600),
    ("server", "connect_timeout_s"): (0.2, 120.0),
    ("server", "first_token_timeout_s"): (0.2, 120.0),
}


@dataclass(frozen=True)
class LoadResult:
    settings: Settings
    problems: tuple[str, ...] = ()


def _coerce(default: Any, value: Any) -> Any:
    """Accept a value only of the default's type (ints allowed where floats are)."""
    expected = type(default)
    if expected is tuple:  # TOML arrays arrive as lists; only lists of strings are kept
        ok = isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)
        return tuple(value) if ok else None
    if expected is bool:
        return value if isinstance(value, bool) else None
    if expected is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if expected is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        return float(value) if ok else None
    return value if isinstance(value, expected) else None


def _section_from(cls: type, raw: Any, name: str, problems: list[str]) -> Any:
    default = cls()
    if not isinstance(raw, dict):
        if raw is not None:
            problems.append(f"settings: [{name}] is not a table; using defaults")
        return default
    values = {}
    for f in fields(cls):
        if f.name not in raw:
            continue
        coerced = _coerce(getattr(default, f.name), raw[f.name])
        if coerced is None:
            problems.append(f"settings: {name}.{f.name} has the wrong type; using the default")
        else:
            values[f.name] = _within(name, f.name, coerced, problems)
    return dataclasses.replace(default, **values)


def _within(section: str, key: str, value: Any, problems: list[str]) -> Any:
    if (section, key) not in RANGES:
        return value
    low, high = RANGES[(section, key)]
    inside = type(value)(min(max(value, low), high))
    if inside != value:
        problems.append(f"settings: {section}.{key} = {value} is outside {low:g}–{high:g}; using {inside:g}")
    return inside


def settings_from_dict(raw: dict[str, Any]) -> LoadResult:
    problems: list[str] = []
    sections = {
        f.name: _section_from(f.default_factory, raw.get(f.name), f.name, problems)  # type: ignore[misc]
        for f in fields(Settings)
    }
    return LoadResult(Settings(**sections), tuple(problems))


def load_settings(path: Path) -> LoadResult:
    if not path.exists():
        return LoadResult(Settings())
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        try:
            kept = move_aside(path)
            where = f"moved to {kept.name}"
        except OSError:
            where = "left in place"
        message = f"settings: {path} could not be read ({exc.__class__.__name__}); {where}, using defaults"
        log.warning(message)
        return LoadResult(Settings(), (message,))
    return settings_from_dict(raw)


def storable(text: str) -> bool:
    """TOML holds Unicode only: a file name that is not UTF-8 (Python keeps its bytes as surrogates) cannot be
    written to settings.toml, and trying raised out of the save."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def save_settings(settings: Settings, path: Path) -> None:
    """Atomic: a crash mid-write leaves the old file, never half a file. A new file is readable by the user
    only (0600), and so is any file holding a server's API key (kept there when the system has no keyring)
    or the recent files list."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = tomli_w.dumps(dataclasses.asdict(settings)).encode("utf-8")
    written = atomic_write_bytes(path, data, new_file_mode=0o600)
    if settings.server.api_key or settings.ui.recent_files:  # an older file may be readable by others: not
        os.chmod(written, 0o600)  # once it holds a key or the paths of the user's documents
