"""Safe extraction of model archives (.argosmodel and other zips).

A downloaded or imported archive is untrusted: a member may try to escape the target folder
(absolute path, ``..``), be a symlink, or be a zip bomb. Everything is checked before a single
byte is written, extraction goes to a temporary sibling folder, and the result is renamed into
place so a failed or cancelled extraction never leaves half a model behind.
"""

from __future__ import annotations

import logging
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from slm_desktop.errors import ModelError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 10_000
    max_total_bytes: int = 4 << 30  # 4 GiB unpacked: larger than any model we offer
    max_ratio: int = 200  # unpacked/packed per member; text vocabularies reach ~20


class UnsafeArchive(ModelError):
    """An archive member would escape the target folder, is a link, or is absurdly large."""


def _check_member(info: zipfile.ZipInfo, limits: ArchiveLimits) -> None:
    name = info.filename
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(f"archive member '{name}' has an absolute path")
    if ".." in path.parts:
        raise UnsafeArchive(f"archive member '{name}' points outside the folder ('..')")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafeArchive(f"archive member '{name}' is a symbolic link")
    if info.compress_size and info.file_size / info.compress_size > limits.max_ratio and info.file_size > 1 << 20:
        raise UnsafeArchive(f"archive member '{name}' unpacks to an absurd size (zip bomb?)")


def check_zip(bundle: zipfile.ZipFile, limits: ArchiveLimits = ArchiveLimits()) -> list[zipfile.ZipInfo]:
    members = bundle.infolist()
    if len(members) > limits.max_members:
        raise UnsafeArchive(f"archive has {len(members)} members (more than {limits.max_members})")
    for info in members:
        _check_member(info, limits)
    total = sum(info.file_size for info in members)
    if total > limits.max_total_bytes:
        raise UnsafeArchive(f"archive unpacks to {total / 1e9:.1f} GB, more than allowed")
    return members


def _copy_member(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, budget: list[int]) -> None:
    """Counts real bytes written, so a lying size header cannot get past the limit."""
    target = dest / info.filename
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with bundle.open(info) as source, open(target, "wb") as out:
        while block := source.read(1 << 20):
            budget[0] -= len(block)
            if budget[0] < 0:
                raise UnsafeArchive("archive unpacks to more than its headers say (zip bomb?)")
            out.write(block)


def safe_extract(
    archive: Path,
    dest: Path,
    *,
    limits: ArchiveLimits = ArchiveLimits(),
    check_cancel: Callable[[], None] | None = None,
) -> Path:
    """Extract ``archive`` into a new folder ``dest`` (which must not exist yet); returns ``dest``."""
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{archive.name} is not a readable zip archive ({exc})") from exc
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        with bundle:
            members = check_zip(bundle, limits)
            budget = [limits.max_total_bytes]
            for info in members:
                if check_cancel is not None:
                    check_cancel()
                _copy_member(bundle, info, staging, budget)
        staging.replace(dest)
    except zipfile.BadZipFile as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelError(f"{archive.name} is a damaged zip archive ({exc})") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest
