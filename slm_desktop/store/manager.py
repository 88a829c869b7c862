"""Install, import, list, verify and remove models of every kind, and remember per-kind defaults.

Installs and imports write into ``AppPaths.install_dir``. Nothing becomes visible under its final
name until it is complete and verified: files are renamed from a hidden ``.NAME.part``, folders
from a hidden staging folder. A small manifest (``.installed.toml``) remembers what each install
is (kind, languages, sha256), and ``defaults.toml`` in the config dir the chosen model per kind.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from slm_desktop.atomic import atomic_write_bytes
from slm_desktop.cancel import CancelToken
from slm_desktop.errors import ModelError, UserError
from slm_desktop.paths import AppPaths, shipped_models_dirs
from slm_desktop.store import download as dl
from slm_desktop.store import parts
from slm_desktop.store.catalog import Catalog, CatalogEntry, load_catalog, pin_hash
from slm_desktop.store.extract import archive_kind, safe_extract
from slm_desktop.store.locks import file_lock
from slm_desktop.store.validate import ModelInfo, check_gguf, inspect

log = logging.getLogger(__name__)

MANIFEST = ".installed.toml"
DEFAULTS = "defaults.toml"
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar", ".argosmodel")
UNPACK_FACTOR = 3  # free space for an archive: itself plus its unpacked contents, with slack


class PinNotConfirmed(UserError):
    """An unverified download's hash was shown and the user did not say yes: nothing installed."""

    def __init__(self, message: str, *, sha256: str):
        super().__init__(message)
        self.sha256 = sha256


@dataclass(frozen=True)
class InstalledModel:
    name: str  # the file or folder name on disk
    path: Path
    kind: str
    format: str
    engine: str
    languages: tuple[str, ...]
    size: int
    catalog_id: str = ""
    sha256: str = ""
    removable: bool = True  # False for models shipped with the app
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["path"] = str(self.path)
        return data


@dataclass(frozen=True)
class VerifyResult:
    name: str
    ok: bool
    detail: str


ConfirmFn = Callable[[CatalogEntry], bool]
# (entry, sha256 of the download, the URL it came from) -> True only on the user's explicit yes
PinFn = Callable[[CatalogEntry, str, str], bool]


def disk_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _atomic_toml(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, tomli_w.dumps(data).encode("utf-8"))


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.warning("models: %s unreadable (%s); ignoring it", path, exc.__class__.__name__)
        return {}


def _remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _is_loaded(path: Path, loaded: Iterable[Path]) -> bool:
    target = path.resolve()
    return any(target == p.resolve() or target in p.resolve().parents for p in loaded)


class ModelManager:
    """All model bookkeeping; methods are blocking and meant for a worker lane or the CLI."""

    def __init__(self, paths: AppPaths, catalog: Catalog | None = None):
        self.paths = paths
        self.catalog = catalog or load_catalog(paths)

    # ------------------------------------------------------------ locations

    @property
    def install_dir(self) -> Path:
        return self.paths.install_dir

    def _lock_path(self, name: str) -> Path:
        """One lock per installed file/folder name, shared by install, import and remove."""
        return self.install_dir / ".locks" / f"{name}.lock"

    def _sweep(self, name: str) -> None:
        """Remove staging left by a killed install of `name` (called under that name's lock).

        The `.part` download is kept on purpose: the next install resumes it.
        """
        if not self.install_dir.is_dir():
            return
        for pattern in (f".unpack-{name}-*", f".import-{name}-*", f".trash-{name}"):
            for stale in self.install_dir.glob(pattern):
                log.info("models: removing leftover %s", stale.name)
                _remove_path(stale)

    # ------------------------------------------------------------ manifest and defaults

    def _manifest(self) -> dict[str, Any]:
        data = _read_toml(self.install_dir / MANIFEST)
        return {k: v for k, v in data.items() if isinstance(v, dict)}

    def _record(self, name: str, info: ModelInfo, *, catalog_id: str = "", sha256: str = "") -> None:
        with file_lock(self._lock_path("manifest"), what="updating the model list", blocking=True):
            data = self._manifest()
            data[name] = {
                "catalog_id": catalog_id,
                "kind": info.kind,
                "format": info.format,
                "engine": info.engine,
                "languages": list(info.languages),
                "sha256": sha256,
            }
            _atomic_toml(self.install_dir / MANIFEST, data)

    def _forget(self, name: str) -> None:
        with file_lock(self._lock_path("manifest"), what="updating the model list", blocking=True):
            data = self._manifest()
            if data.pop(name, None) is not None:
                _atomic_toml(self.install_dir / MANIFEST, data)

    def defaults(self) -> dict[str, str]:
        data = _read_toml(self.paths.config_dir / DEFAULTS)
        return {k: v for k, v in data.items() if isinstance(v, str)}

    def set_default(self, kind: str, name: str) -> None:
        """Remember the model (installed file/folder name) to use for `kind`."""
        model = self.find_installed(name)
        if model.kind != kind:
            raise UserError(f"models: {name} is a {model.kind} model, not {kind}")
        data = self.defaults()
        data[kind] = model.name
        _atomic_toml(self.paths.config_dir / DEFAULTS, data)

    def default_path(self, kind: str) -> Path | None:
        """The chosen model for `kind` if still installed, else the catalog default if installed."""
        installed = {m.name: m for m in self.list_installed() if m.kind == kind}
        chosen = self.defaults().get(kind)
        if chosen in installed:
            return installed[chosen].path
        entry = self.catalog.default_for(kind)
        if entry is not None and entry.filename in installed:
            return installed[entry.filename].path
        return None

    # ------------------------------------------------------------ listing

    def _describe(self, path: Path, meta: dict[str, Any], removable: bool) -> InstalledModel | None:
        if meta:
            info = ModelInfo(
                meta.get("kind", "?"),
                meta.get("format", "?"),
                meta.get("engine", "?"),
                tuple(meta.get("languages", ())),
            )
        else:
            try:
                info = inspect(path, quick=True)
            except ModelError:
                return None
        entry = self._entry_for_name(path.name)
        return InstalledModel(
            name=path.name,
            path=path,
            kind=info.kind,
            format=info.format,
            engine=info.engine,
            languages=info.languages or (entry.languages if entry else ()),
            size=disk_size(path),
            catalog_id=meta.get("catalog_id", "") or (entry.id if entry else ""),
            sha256=meta.get("sha256", ""),
            removable=removable,
            detail=info.detail,
        )

    def _entry_for_name(self, name: str) -> CatalogEntry | None:
        return next((e for e in self.catalog.entries if e.filename == name), None)

    def list_installed(self) -> list[InstalledModel]:
        """Every recognisable model on the search path; earlier folders hide later same names."""
        found: dict[str, InstalledModel] = {}
        shipped = {d.resolve() for d in shipped_models_dirs()}
        for folder in self.paths.model_search_path():
            manifest = _read_toml(folder / MANIFEST)
            removable = folder.resolve() not in shipped
            for path in sorted(folder.iterdir()):
                if path.name.startswith(".") or path.name in found or path.name.endswith(".md"):
                    continue
                meta = manifest.get(path.name, {})
                model = self._describe(path, meta if isinstance(meta, dict) else {}, removable)
                if model is not None:
                    found[path.name] = model
        return list(found.values())

    def find_installed(self, name_or_id: str) -> InstalledModel:
        for model in self.list_installed():
            if name_or_id in (model.name, model.catalog_id):
                return model
        raise UserError(f"models: '{name_or_id}' is not installed (see `slm-desktop models list`)")

    # ------------------------------------------------------------ install from the catalog

    def install(
        self,
        model_id: str,
        *,
        loaded: Iterable[Path] = (),
        token: CancelToken | None = None,
        on_progress: dl.ProgressFn | None = None,
        trust_unverified: bool = False,
        confirm: ConfirmFn | None = None,
        confirm_pin: PinFn | None = None,
    ) -> InstalledModel:
        """Download, verify, unpack and validate one catalog model; all or nothing.

        An entry without a verified sha256 needs consent twice: to download (`trust_unverified`
        or `confirm`), then, shown the computed hash and its source, to pin it (`confirm_pin`).
        Without that second yes nothing is installed and nothing is pinned.
        """
        entry = self.catalog.get(model_id)
        if not entry.verified and not trust_unverified and not (confirm and confirm(entry)):
            raise UserError(
                f"models: {entry.id} has no verified sha256 in the catalog; rerun with --trust-unverified "
                "to download it: its sha256 and source are shown, and nothing is pinned without your yes"
            )
        dest = self.install_dir / entry.filename
        with file_lock(self._lock_path(entry.filename), what=f"installing {entry.filename}"):
            if _is_loaded(dest, loaded):
                raise UserError(f"models: {entry.filename} is in use; close what uses it before reinstalling")
            self._sweep(dest.name)
            if dest.exists():
                return self._already_installed(entry, dest)
            needed = entry.size * (UNPACK_FACTOR if entry.archive or entry.sources else 1)
            dl.check_free_space(self.install_dir, needed)
            if entry.sources:
                info, sha = self._install_sources(entry, dest, token, on_progress)
            else:
                source = [entry.urls[0]]

                def progress(update: dl.Progress) -> None:
                    source[0] = update.url  # the mirror that is serving the bytes
                    if on_progress is not None:
                        on_progress(update)

                part, sha = dl.download(
                    entry.urls, dest, sha256=entry.sha256, size_hint=entry.size, token=token, on_progress=progress
                )
                if not entry.verified:
                    _ask_pin(entry, part, sha, source[0], confirm_pin)
                info = self._place(entry, part, dest, token)
            if not entry.verified:
                pin_hash(self.paths, entry.id, sha)
                log.info("models: pinned sha256 %s for %s on the user's confirmation", sha, entry.id)
            self._record(dest.name, info, catalog_id=entry.id, sha256=sha)
        return self.find_installed(dest.name)

    def _install_sources(
        self, entry: CatalogEntry, dest: Path, token: CancelToken | None, on_progress: dl.ProgressFn | None
    ) -> tuple[ModelInfo, str]:
        """Fetch and join a multi-part entry, then move the verified file or folder into place.

        The work folder (downloads) survives a failed or cancelled install so the next one resumes;
        it is removed once the model is in place, or when the verified bytes are not a model.
        """
        work = parts.work_dir(self.install_dir, dest.name)
        fetcher = parts.HttpParts(
            work / "downloads", size_hint=entry.size, token=token, on_progress=on_progress, timeout=dl.TIMEOUT_S
        )
        assembled = parts.assemble_any(entry.sources, work, lambda _index: fetcher, token, name=dest.name)
        fetcher.finish()
        source = entry.sources[assembled.source_index]
        try:
            if source.single_file and source.files[0].name == dest.name:
                path = assembled.folder / dest.name
                info = check_gguf(path, full=True) if entry.format == "gguf" else inspect(path)
                path.replace(dest)
                return info, source.files[0].sha256
            info = inspect(assembled.folder)
            assembled.folder.rename(dest)
            return info, ""
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _already_installed(self, entry: CatalogEntry, dest: Path) -> InstalledModel:
        if dest.is_file() and entry.verified and dl.sha256_of(dest) != entry.sha256:
            raise ModelError(f"models: {dest} exists but does not match the catalog; remove it first")
        return self.find_installed(dest.name)

    def _place(self, entry: CatalogEntry, part: Path, dest: Path, token: CancelToken | None) -> ModelInfo:
        """Move a verified download into place: a file by rename, an archive by safe extraction."""
        try:
            if not entry.archive:
                info = check_gguf(part, full=True) if entry.format == "gguf" else inspect(part)
                part.replace(dest)
                return info
            return self._unpack_to(part, dest, token, top_folder=entry.top_folder)
        finally:
            part.unlink(missing_ok=True)

    def _unpack_to(self, archive: Path, dest: Path, token: CancelToken | None, *, top_folder: str = "") -> ModelInfo:
        staging = Path(tempfile.mkdtemp(prefix=f".unpack-{dest.name}-", dir=self.install_dir))
        try:
            unpacked = safe_extract(archive, staging / "x")
            if token is not None:
                token.raise_if_cancelled()
            root = _model_root(unpacked, top_folder)
            info = inspect(root)
            root.rename(dest)
            return info
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # ------------------------------------------------------------ import from a local path

    def import_path(
        self, source: Path, *, loaded: Iterable[Path] = (), token: CancelToken | None = None
    ) -> InstalledModel:
        """Copy (or unpack) a local model into the install folder after checking what it is."""
        source = source.expanduser()
        if not source.exists():
            raise UserError(f"models: {source} does not exist")
        if not (source.is_dir() or source.is_file()):  # opening a pipe would wait for a writer
            raise UserError(f"models: {source} is not a regular file or folder (a device, pipe or socket)")
        name = _import_name(source)
        dest = self.install_dir / name
        with file_lock(self._lock_path(name), what=f"importing {name}"):
            if _is_loaded(dest, loaded):
                raise UserError(f"models: {name} is in use; close what uses it before replacing it")
            self._sweep(name)
            if dest.exists():
                raise UserError(f"models: {name} is already installed; remove it first")
            self.install_dir.mkdir(parents=True, exist_ok=True)
            dl.check_free_space(self.install_dir, disk_size(source) * (UNPACK_FACTOR if source.is_file() else 1))
            info, sha = self._import_into(source, dest, token)
            self._record(name, info, sha256=sha)
        return self.find_installed(name)

    def _import_into(self, source: Path, dest: Path, token: CancelToken | None) -> tuple[ModelInfo, str]:
        if source.is_dir():
            info = inspect(source)
            _check_folder_links(source)
            staging = Path(tempfile.mkdtemp(prefix=f".import-{dest.name}-", dir=self.install_dir))
            try:
                copied = Path(shutil.copytree(source, staging / "x", symlinks=True))
                copied.rename(dest)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            return info, ""
        if _is_archive(source):
            return self._unpack_to(source, dest, token), ""
        check_gguf(source)  # a renamed non-GGUF fails here, before any copying
        part = dl.part_path(dest)
        try:
            shutil.copyfile(source, part)
            info = check_gguf(part, full=True)  # the full check runs on the bytes that will be installed
            sha = dl.sha256_of(part)
            part.replace(dest)
        finally:
            part.unlink(missing_ok=True)
        return info, sha

    # ------------------------------------------------------------ remove and verify

    def remove(self, name_or_id: str, *, loaded: Iterable[Path] = ()) -> InstalledModel:
        model = self.find_installed(name_or_id)
        if not model.removable:
            raise UserError(f"models: {model.name} ships with the app and cannot be removed")
        if _is_loaded(model.path, loaded):
            raise UserError(f"models: {model.name} is in use; close what uses it before removing it")
        with file_lock(self._lock_path(model.name), what=f"changing {model.name}"):
            trash = model.path.with_name(f".trash-{model.name}")
            _remove_path(trash)
            model.path.rename(trash)  # disappears at once; the slow delete comes after
            _remove_path(trash)
            self._forget(model.name)
            for kind, chosen in self.defaults().items():
                if chosen == model.name:
                    data = self.defaults()
                    data.pop(kind)
                    _atomic_toml(self.paths.config_dir / DEFAULTS, data)
        return model

    def verify(self, name_or_id: str | None = None) -> list[VerifyResult]:
        models = [self.find_installed(name_or_id)] if name_or_id else self.list_installed()
        return [self._verify_one(m) for m in models]

    def _verify_one(self, model: InstalledModel) -> VerifyResult:
        """A known sha256 proves the bytes (then only the header is read); otherwise a full check."""
        entry = self.catalog.by_id.get(model.catalog_id) or self._entry_for_name(model.name)
        if entry is not None and entry.sources and model.path.is_dir():
            return self._verify_files(model, entry)
        expected = self._expected_sha(model)
        hashed = model.path.is_file() and bool(expected)
        try:
            info = inspect(model.path, quick=hashed)
        except ModelError as exc:
            return VerifyResult(model.name, False, str(exc))
        if hashed:
            actual = dl.sha256_of(model.path)
            if actual != expected:
                return VerifyResult(model.name, False, f"sha256 mismatch: {actual[:12]}… ≠ {expected[:12]}…")
            return VerifyResult(model.name, True, f"sha256 ok; {info.detail}")
        return VerifyResult(model.name, True, f"structure ok; {info.detail}")

    def _verify_files(self, model: InstalledModel, entry: CatalogEntry) -> VerifyResult:
        """A multi-file install: every file against the mirror it came from, then the structure."""
        source = parts.matching_source(entry.sources, model.path)
        if source is None:
            return VerifyResult(model.name, False, "files do not match any source in the catalog")
        for spec in source.files:
            actual = dl.sha256_of(model.path / spec.name)
            if actual != spec.sha256:
                detail = f"{spec.name}: sha256 mismatch: {actual[:12]}… ≠ {spec.sha256[:12]}…"
                return VerifyResult(model.name, False, detail)
        try:
            info = inspect(model.path, quick=True)
        except ModelError as exc:
            return VerifyResult(model.name, False, str(exc))
        return VerifyResult(model.name, True, f"sha256 ok ({len(source.files)} files); {info.detail}")

    def _expected_sha(self, model: InstalledModel) -> str:
        entry = self.catalog.by_id.get(model.catalog_id) or self._entry_for_name(model.name)
        if entry is not None and entry.verified and not entry.archive:
            return entry.sha256
        return model.sha256


def _check_folder_links(folder: Path) -> None:
    """A model folder's links must stay inside it (copied as links): one leading out would copy
    outside files into the models folder, and one to a folder above would recurse forever."""
    root = os.path.realpath(folder)
    for where, dirs, files in os.walk(folder):  # never follows links
        for name in dirs + files:
            path = os.path.join(where, name)
            if not os.path.islink(path):
                continue
            real, here = os.path.realpath(path), os.path.realpath(where)
            if not real.startswith(root + os.sep) or here == real or here.startswith(real + os.sep):
                rel = os.path.relpath(path, folder)
                raise ModelError(
                    f"models: {folder.name}: '{rel}' is a link that leads outside the folder or loops; not imported"
                )


def _ask_pin(entry: CatalogEntry, part: Path, sha: str, source: str, confirm_pin: PinFn | None) -> None:
    """Show the hash and its source before pinning; anything but a yes removes the download."""
    if confirm_pin is not None and confirm_pin(entry, sha, source):
        return
    part.unlink(missing_ok=True)
    raise PinNotConfirmed(
        f"models: {entry.id} not installed: its download from {source} has sha256 {sha}, which was not confirmed",
        sha256=sha,
    )


def _is_archive(path: Path) -> bool:
    if path.name.lower().endswith(ARCHIVE_SUFFIXES):
        return True
    try:
        archive_kind(path)
    except ModelError:
        return False
    return True


def _import_name(source: Path) -> str:
    name = source.name
    for suffix in ARCHIVE_SUFFIXES:
        if source.is_file() and name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _model_root(unpacked: Path, top_folder: str) -> Path:
    """The model inside an unpacked archive: the expected top folder, the only folder, or the root."""
    if top_folder and (unpacked / top_folder).is_dir():
        return unpacked / top_folder
    children = [p for p in unpacked.iterdir() if not p.name.startswith(".") and p.name != "__MACOSX"]
    if len(children) == 1 and children[0].is_dir():
        if top_folder:
            log.info("models: archive top folder is %s, catalog said %s", children[0].name, top_folder)
        return children[0]
    return unpacked


def self_check(paths: AppPaths) -> str:
    """Self-test: the catalog parses cleanly and the default completion model is installed and verifies."""
    manager = ModelManager(paths)
    if manager.catalog.problems:
        raise ModelError(f"catalog: {manager.catalog.problems[0]}")
    entry = manager.catalog.default_for("completion")
    if entry is None:
        raise ModelError("catalog: no default completion model")
    model = manager.find_installed(entry.id)
    result = manager.verify(model.name)[0]
    if not result.ok:
        raise ModelError(f"{model.name}: {result.detail}")
    return f"{len(manager.catalog.entries)} catalog entries; {model.name} sha256 verified"
