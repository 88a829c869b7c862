"""Safe extraction of model archives (.zip, .tar.gz, .argosmodel).

Everything goes into a hidden sibling folder first and is renamed to the target only when the
whole archive passed: absolute paths, ``..`` components, links leading outside, device files
and archives whose unpacked size or file count is absurd are refused, and the error names the
offending entry. Sizes are counted while writing, so a lying header cannot get past the limit.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from slm_desktop.errors import ModelError

log = logging.getLogger(__name__)

MAX_BYTES = 8 << 30
MAX_FILES = 20_000
CHUNK = 1 << 20


class UnsafeArchive(ModelError):
    """The archive tries to write outside its folder, holds device files, or is a bomb."""


@dataclass(frozen=True)
class _Entry:
    name: str
    kind: str  # file | dir | symlink | hardlink
    size: int
    link: str = ""
    ref: object = field(default=None, compare=False, repr=False)  # the ZipInfo / TarInfo itself


def archive_kind(path: Path) -> str:
    """'zip' or 'tar' by content, not by name; ModelError for anything else."""
    if zipfile.is_zipfile(path):
        return "zip"
    try:
        if tarfile.is_tarfile(path):
            return "tar"
    except OSError:
        pass
    raise ModelError(f"{path.name}: not a zip or tar archive")


def _clean_name(archive: Path, raw: str) -> PurePosixPath:
    """Reject absolute paths, drive letters and '..'; returns the relative path."""
    name = raw.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(f"{archive.name}: entry '{raw}' has an absolute path")
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchive(f"{archive.name}: entry '{raw}' contains '..'")
    return PurePosixPath(*parts)


def _zip_entries(archive: Path, zf: zipfile.ZipFile) -> Iterator[_Entry]:
    for info in zf.infolist():
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            yield _Entry(info.filename, "symlink", 0, zf.read(info).decode("utf-8", "replace"), info)
        elif info.is_dir():
            yield _Entry(info.filename, "dir", 0, ref=info)
        elif stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # many zip writers leave the type bits empty
            raise UnsafeArchive(f"{archive.name}: entry '{info.filename}' is a device or special file")
        else:
            yield _Entry(info.filename, "file", info.file_size, ref=info)


def _tar_entries(archive: Path, tf: tarfile.TarFile) -> Iterator[_Entry]:
    for info in tf.getmembers():
        if info.isdir():
            yield _Entry(info.name, "dir", 0)
        elif info.isreg():
            yield _Entry(info.name, "file", info.size, ref=info)
        elif info.issym():
            yield _Entry(info.name, "symlink", 0, info.linkname)
        elif info.islnk():
            yield _Entry(info.name, "hardlink", 0, info.linkname)
        else:
            raise UnsafeArchive(f"{archive.name}: entry '{info.name}' is a device or special file")


def _check_link(archive: Path, entry: _Entry, rel: PurePosixPath) -> PurePosixPath:
    """A link's target, relative to the extraction root; refused if it leads outside."""
    link = entry.link.replace("\\", "/")
    if not link or link.startswith("/") or (len(link) > 1 and link[1] == ":"):
        raise UnsafeArchive(f"{archive.name}: link '{entry.name}' points to an absolute path")
    base = rel.parent if entry.kind == "symlink" else PurePosixPath()
    depth = 0
    resolved: list[str] = list(base.parts)
    for part in PurePosixPath(link).parts:
        if part == "..":
            if not resolved:
                depth -= 1
                break
            resolved.pop()
        elif part not in ("", "."):
            resolved.append(part)
    if depth < 0 or not resolved or PurePosixPath(*resolved) == rel:
        raise UnsafeArchive(f"{archive.name}: link '{entry.name}' points outside the archive ({entry.link})")
    return PurePosixPath(*resolved)


def _plan(archive: Path, entries: list[_Entry], max_bytes: int, max_files: int) -> None:
    """Reject before writing anything: too many entries, or declared sizes over the limit."""
    if len(entries) > max_files:
        raise UnsafeArchive(f"{archive.name}: {len(entries)} entries is more than the limit of {max_files}")
    total = 0
    for entry in entries:
        total += entry.size
        if total > max_bytes:
            raise UnsafeArchive(f"{archive.name}: entry '{entry.name}' takes the unpacked size over {max_bytes} bytes")


class _Budget:
    def __init__(self, archive: Path, max_bytes: int):
        self.archive, self.left = archive, max_bytes

    def copy(self, name: str, src: BinaryIO, dst_path: Path) -> None:
        with open(dst_path, "xb") as dst:
            while block := src.read(CHUNK):
                self.left -= len(block)
                if self.left < 0:
                    raise UnsafeArchive(f"{self.archive.name}: entry '{name}' unpacks past the size limit")
                dst.write(block)


def _inside(root: Path, rel: PurePosixPath) -> Path:
    dest = root.joinpath(*rel.parts)
    try:
        parent = dest.parent.resolve()
    except (RuntimeError, OSError) as exc:  # a symlink loop inside the archive
        raise UnsafeArchive(f"entry '{rel}' goes through a symlink loop") from exc
    if parent != root and root not in parent.parents:
        raise UnsafeArchive(f"entry '{rel}' would be written outside the target through a link")
    return dest


def _write_entry(archive: Path, root: Path, entry: _Entry, opener, budget: _Budget) -> None:
    rel = _clean_name(archive, entry.name)
    if not rel.parts:  # "." or "./": the root itself, as `tar -C dir .` writes it
        if entry.kind == "dir":
            return
        raise UnsafeArchive(f"{archive.name}: entry '{entry.name}' has an empty name")
    if entry.kind == "dir":
        _inside(root, rel).mkdir(parents=True, exist_ok=True)
        return
    root.joinpath(*rel.parent.parts).mkdir(parents=True, exist_ok=True)
    dest = _inside(root, rel)
    if entry.kind == "file":
        with opener(entry) as src:
            budget.copy(entry.name, src, dest)
    elif entry.kind == "symlink":
        target = _check_link(archive, entry, rel)
        os.symlink(os.path.relpath(root.joinpath(*target.parts), dest.parent), dest)
    else:  # hardlink: copy the already extracted file (no shared inode with anything outside)
        source = _inside(root, _check_link(archive, entry, rel))
        if not source.is_file() or source.is_symlink():
            raise UnsafeArchive(f"{archive.name}: hard link '{entry.name}' has no extracted target")
        shutil.copyfile(source, dest)


def _extract_into(archive: Path, root: Path, max_bytes: int, max_files: int) -> None:
    budget = _Budget(archive, max_bytes)
    if archive_kind(archive) == "zip":
        with zipfile.ZipFile(archive) as zf:
            entries = list(_zip_entries(archive, zf))
            _plan(archive, entries, max_bytes, max_files)
            for entry in entries:
                _write_entry(archive, root, entry, lambda e, zf=zf: zf.open(e.ref), budget)
        return
    with tarfile.open(archive, "r:*") as tf:
        entries = list(_tar_entries(archive, tf))
        _plan(archive, entries, max_bytes, max_files)
        for entry in entries:
            _write_entry(archive, root, entry, lambda e, tf=tf: tf.extractfile(e.ref), budget)


def safe_extract(archive: Path, target: Path, *, max_bytes: int = MAX_BYTES, max_files: int = MAX_FILES) -> Path:
    """Unpack `archive` into the new folder `target` (which must not exist); all or nothing."""
    if target.exists():
        raise ModelError(f"{target} already exists; remove it first")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".extract-{target.name}-", dir=target.parent)).resolve()
    try:
        _extract_into(archive, staging, max_bytes, max_files)
        staging.rename(target)
    except UnsafeArchive as exc:
        shutil.rmtree(staging, ignore_errors=True)
        log.warning("refused archive: %s", exc)
        raise
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelError(f"{archive.name}: damaged or unreadable archive ({exc.__class__.__name__}: {exc})") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
