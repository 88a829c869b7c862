"""The model catalog: models the app can fetch, shipped in resources/ plus the user's own entries.

Each entry is validated field by field so a broken user entry costs one clear line, never the
whole catalog. Unverified hashes are explicit (``sha256_unverified = true``) and are pinned in
the user's ``pinned.toml`` only after the user confirms a first download.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from slm_desktop.atomic import atomic_write_bytes
from slm_desktop.errors import UserError
from slm_desktop.paths import AppPaths, resources_dir

log = logging.getLogger(__name__)

KINDS = ("completion", "stt", "intent", "translation")
FORMATS = ("gguf", "vosk", "ctranslate2", "argosmodel", "onnx", "whisper")
ARCHIVES = ("", "zip", "tar.gz", "argosmodel")
USER_CATALOG = "catalog.toml"
PINNED = "pinned.toml"
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}\Z")
_SHA = re.compile(r"^[0-9a-f]{64}\Z")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}\Z")


class CatalogError(UserError):
    """A catalog entry is malformed; the message names the file, the entry and the field."""


@dataclass(frozen=True)
class FileSpec:
    """One installed file, assembled by concatenating `parts` (URLs, optionally `#member=` of a zip)."""

    name: str
    sha256: str  # of the joined file
    parts: tuple[str, ...]
    size: int = 0  # of the joined file; 0 when not given


@dataclass(frozen=True)
class Source:
    """One mirror of a multi-file model: every file it needs. Mirrors may hold different bytes."""

    files: tuple[FileSpec, ...]

    @property
    def single_file(self) -> bool:
        return len(self.files) == 1


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    kind: str
    languages: tuple[str, ...]
    engine: str
    format: str
    filename: str
    size: int
    sha256: str
    license: str
    ram_mb: int
    urls: tuple[str, ...]
    archive: str = ""
    top_folder: str = ""
    sha256_unverified: bool = False
    params_m: int = 0
    arm_optimised: bool = False
    default: bool = False
    sources: tuple[Source, ...] = ()  # multi-part / multi-file mirrors; then `urls` is empty
    source: str = "shipped"  # shipped | user

    @property
    def verified(self) -> bool:
        if self.sources:
            return True  # every file of every source carries a checked sha256
        return bool(self.sha256) and not self.sha256_unverified

    def file_sources(self) -> tuple[Source, ...]:
        """The mirrors as sources; a plain single-file entry becomes one one-part source per URL."""
        if self.sources or self.archive or not self.sha256:
            return self.sources
        return tuple(Source((FileSpec(self.filename, self.sha256, (url,), self.size),)) for url in self.urls)

    @property
    def is_folder(self) -> bool:
        """A sourced entry installs a folder unless its files are exactly one, named `filename`."""
        if not self.sources:
            return bool(self.archive)
        first = self.sources[0]
        return not (first.single_file and first.files[0].name == self.filename)


@dataclass(frozen=True)
class Catalog:
    entries: tuple[CatalogEntry, ...]
    problems: tuple[str, ...] = ()
    by_id: dict[str, CatalogEntry] = field(default_factory=dict, compare=False, repr=False)

    def get(self, model_id: str) -> CatalogEntry:
        found = self.by_id.get(model_id)
        if found is None:
            raise UserError(f"models: no catalog entry '{model_id}' (see `slm-desktop models list --catalog`)")
        return found

    def of_kind(self, kind: str) -> list[CatalogEntry]:
        return [e for e in self.entries if e.kind == kind]

    def default_for(self, kind: str) -> CatalogEntry | None:
        return next((e for e in self.entries if e.kind == kind and e.default), None)


_REQUIRED: dict[str, type] = {
    "id": str,
    "kind": str,
    "engine": str,
    "format": str,
    "filename": str,
    "size": int,
    "sha256": str,
    "license": str,
    "ram_mb": int,
    "urls": list,
}
_NOT_WITH_SOURCES = ("sha256", "urls")  # an entry has either urls + sha256 or [[model.source]]
_OPTIONAL: dict[str, type] = {
    "name": str,
    "languages": list,
    "archive": str,
    "top_folder": str,
    "sha256_unverified": bool,
    "params_m": int,
    "arm_optimised": bool,
    "default": bool,
    "source": list,
}
_FILE_KEYS = {"name": str, "sha256": str, "parts": list, "size": int}


def _typed(raw: dict[str, Any], key: str, expected: type, where: str) -> Any:
    value = raw[key]
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if not ok:
        raise CatalogError(f"{where}: '{key}' must be {expected.__name__}, got {type(value).__name__}")
    return value


def _check_choices(values: dict[str, Any], where: str) -> None:
    if not _ID.match(values["id"]):
        raise CatalogError(f"{where}: 'id' must be lowercase letters, digits, '.', '_' or '-'")
    for key, choices in (("kind", KINDS), ("format", FORMATS), ("archive", ARCHIVES)):
        if values.get(key, "") not in choices:
            raise CatalogError(f"{where}: '{key}' must be one of {', '.join(c or '(empty)' for c in choices)}")
    for key in ("filename", "top_folder"):
        name = values.get(key, "")
        if name and not _SAFE_NAME.match(name):
            raise CatalogError(f"{where}: '{key}' must be a plain file or folder name")


def _check_url(url: Any) -> bool:
    return isinstance(url, str) and url.startswith(("https://", "http://"))


def _parse_file(raw: Any, where: str) -> FileSpec:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: a file must be a table with name, sha256 and parts")
    missing = [k for k in ("name", "sha256", "parts") if k not in raw]
    unknown = sorted(set(raw) - set(_FILE_KEYS))
    if missing or unknown:
        problem = f"missing {', '.join(missing)}" if missing else f"unknown field {', '.join(unknown)}"
        raise CatalogError(f"{where}: {problem}")
    values = {k: _typed(raw, k, t, where) for k, t in _FILE_KEYS.items() if k in raw}
    if not all(_SAFE_NAME.match(part) for part in values["name"].split("/")):  # no '..', '/x', '\\'
        raise CatalogError(f"{where}: 'name' must be a plain file name or a relative path of plain names")
    if not _SHA.match(values["sha256"]):
        raise CatalogError(f"{where}: 'sha256' must be 64 lowercase hex digits")
    parts = values["parts"]
    if not parts or not all(_check_url(u) for u in parts):
        raise CatalogError(f"{where}: 'parts' must be a non-empty list of http(s) URLs")
    if values.get("size", 0) < 0:
        raise CatalogError(f"{where}: 'size' must be >= 0")
    return FileSpec(values["name"], values["sha256"], tuple(parts), values.get("size", 0))


def _parse_sources(raw: list, where: str) -> tuple[Source, ...]:
    """[[model.source]] tables, each with [[model.source.file]] tables: tried in order."""
    sources = []
    for index, table in enumerate(raw, start=1):
        at = f"{where}: source #{index}"
        if not isinstance(table, dict) or set(table) != {"file"} or not isinstance(table["file"], list):
            raise CatalogError(f"{at}: a source must hold only [[model.source.file]] tables")
        files = tuple(_parse_file(f, f"{at} file #{n}") for n, f in enumerate(table["file"], start=1))
        names = [f.name for f in files]
        if not files or len(set(names)) != len(names):
            raise CatalogError(f"{at}: needs at least one file and no file name twice")
        sources.append(Source(files))
    if not sources:
        raise CatalogError(f"{where}: 'source' must list at least one [[model.source]]")
    return tuple(sources)


def _check_hash_and_urls(values: dict[str, Any], where: str) -> None:
    if values["size"] <= 0 or values["ram_mb"] < 0:
        raise CatalogError(f"{where}: 'size' must be > 0 and 'ram_mb' >= 0")
    if not all(isinstance(lang, str) for lang in values.get("languages", [])):
        raise CatalogError(f"{where}: 'languages' must be a list of strings")
    if "source" in values:
        return
    sha = values["sha256"]
    if sha and not _SHA.match(sha):
        raise CatalogError(f"{where}: 'sha256' must be 64 lowercase hex digits")
    if not sha and not values.get("sha256_unverified", False):
        raise CatalogError(f"{where}: empty 'sha256' needs 'sha256_unverified = true'")
    urls = values["urls"]
    if not urls or not all(_check_url(u) for u in urls):
        raise CatalogError(f"{where}: 'urls' must be a non-empty list of http(s) URLs")


def _label(where: str, model_id: Any) -> str:
    """Where an entry is, for messages; an odd id is shown escaped so the message stays one line."""
    if not isinstance(model_id, str):
        return where
    return f"{where} ({model_id if _ID.match(model_id) else ascii(model_id)[:42]})"


def parse_entry(raw: Any, where: str, source: str = "shipped") -> CatalogEntry:
    """One [[model]] table -> CatalogEntry, or CatalogError naming the first bad field."""
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: an entry must be a table")
    label = _label(where, raw.get("id"))
    sourced = "source" in raw
    if sourced and any(k in raw for k in (*_NOT_WITH_SOURCES, "archive")):
        raise CatalogError(f"{label}: an entry with [[model.source]] has no 'urls', 'sha256' or 'archive'")
    missing = [k for k in _REQUIRED if k not in raw and not (sourced and k in _NOT_WITH_SOURCES)]
    if missing:
        raise CatalogError(f"{label}: missing {', '.join(missing)}")
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise CatalogError(f"{label}: unknown field {', '.join(unknown)}")
    values = {k: _typed(raw, k, t, label) for k, t in {**_REQUIRED, **_OPTIONAL}.items() if k in raw}
    _check_choices(values, label)
    _check_hash_and_urls(values, label)
    values["languages"] = tuple(values.get("languages", ()))
    values["urls"] = tuple(values.get("urls", ()))
    values.setdefault("sha256", "")
    if sourced:
        values["sources"] = _parse_sources(values.pop("source"), label)
    values.setdefault("name", values["id"])
    return CatalogEntry(**values, source=source)


def parse_catalog(text: str, where: str, source: str = "shipped") -> tuple[list[CatalogEntry], list[str]]:
    """Good entries and one problem line per bad entry; a file that is not TOML is one problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [], [f"{where}: not valid TOML ({exc})"]
    models = data.get("model", [])
    if not isinstance(models, list):
        return [], [f"{where}: 'model' must be an array of tables ([[model]])"]
    entries, problems = [], []
    for index, raw in enumerate(models, start=1):
        try:
            entries.append(parse_entry(raw, f"{where}: model #{index}", source))
        except CatalogError as exc:
            problems.append(str(exc))
    return entries, problems


def _merge(groups: Iterable[list[CatalogEntry]], problems: list[str]) -> dict[str, CatalogEntry]:
    """Later groups (the user's) override earlier ids; duplicates inside one group are reported."""
    merged: dict[str, CatalogEntry] = {}
    for group in groups:
        seen: set[str] = set()
        for entry in group:
            if entry.id in seen:
                problems.append(f"catalog: duplicate id '{entry.id}' ({entry.source}); the later one wins")
            seen.add(entry.id)
            merged[entry.id] = entry
    return merged


def load_pins(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.warning("models: %s unreadable (%s); pins ignored", path, exc)
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str) and _SHA.match(v)}


def _apply_pins(entries: dict[str, CatalogEntry], pins: dict[str, str]) -> None:
    for model_id, sha in pins.items():
        entry = entries.get(model_id)
        if entry is not None and not entry.verified:
            entries[model_id] = dataclasses.replace(entry, sha256=sha, sha256_unverified=False)


def load_catalog(paths: AppPaths, shipped: Path | None = None) -> Catalog:
    """Shipped catalog + the user's config-dir catalog.toml + hashes the user pinned."""
    shipped = shipped or resources_dir() / "catalog.toml"
    problems: list[str] = []
    groups = []
    for path, source in ((shipped, "shipped"), (paths.config_dir / USER_CATALOG, "user")):
        if not path.exists():
            if source == "shipped":
                problems.append(f"catalog: {path} is missing")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"catalog: {path} unreadable ({exc.__class__.__name__})")
            continue
        entries, found = parse_catalog(text, str(path), source)
        groups.append(entries)
        problems += found
    merged = _merge(groups, problems)
    _apply_pins(merged, load_pins(paths.config_dir / PINNED))
    for line in problems:
        log.warning(line)
    return Catalog(tuple(merged.values()), tuple(problems), dict(merged))


def pin_hash(paths: AppPaths, model_id: str, sha256: str) -> None:
    """Record a hash the user confirmed; atomic rewrite of pinned.toml."""
    target = paths.config_dir / PINNED
    pins = load_pins(target)
    pins[model_id] = sha256
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, tomli_w.dumps(pins).encode("utf-8"))
