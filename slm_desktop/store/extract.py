"""Safe extraction of model archives (.zip, .tar.gz, .argosmodel).

The whole archive is planned before one byte is written: every member's name is cleaned, its
real destination is resolved through the links the archive itself makes (in an in-memory model
of the tree, never by asking the disk), and the archive is refused, naming the member, if any
member would be written outside the root, through a link, over another member, as a device,
or if a link (symbolic or hard) resolves outside the root. Only then are folders and files
written into a fresh private staging folder, and symbolic links are created last, so no write
can ever pass through one. Bombs are refused on the declared sizes, the compression ratio and
the free disk space before writing, and a member whose stream runs past its declared size is cut
off while writing.

For tar members the standard library's ``tarfile.data_filter`` runs first (absolute names and
links, ``..`` escapes, special files, permission bits). Python 3.11.7's filter predates the 2025
fixes (CVE-2025-4138, -4330, -4517): it asks ``os.path.realpath`` about the disk one member at a
time, so it misses what later members do through earlier links; the plan below is what enforces
the rules, the filter is a second opinion and the source of the cleaned permission bits.
"""

from __future__ import annotations

import dataclasses
import lzma
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from slm_desktop.errors import ModelError

MAX_BYTES = 8 << 30
MAX_FILES = 20_000
CHUNK = 1 << 20
# Real models compress little: GGUF 1.06:1, the Vosk Korean model 3.0:1 overall (its worst
# member, graph/HCLr.fst, 5.6:1), the intent model's ONNX 1.3:1 and tokenizer.json 3.5:1.
# 20:1 leaves 3.5x headroom over the worst of those; a zip of zeros is about 1000:1.
MAX_RATIO = 20.0
RATIO_FLOOR = 1 << 20  # members (and archives) smaller than this unpack too little to matter
DISK_MARGIN = 16 << 20
MAX_NAME = 1024  # characters in a member name or link target
MAX_COMPONENT = 255  # bytes in one path component (NAME_MAX)
MAX_LINK_STEPS = 40  # symbolic links followed while resolving one path (Linux's MAXSYMLINKS)
MAX_HEADER_DATA = 1 << 20  # a tar long-name or pax header's data (names are at most MAX_NAME characters)
MAX_TRAILER = 16 << 20  # bytes read past a tar's last member so gzip/xz reach (and check) their checksums
COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")  # gzip, bzip2, xz
# what a damaged compressed stream raises besides OSError/EOFError (bzip2's errors are OSErrors)
DECOMPRESS_ERRORS = (zlib.error, lzma.LZMAError)
# what reading a zip member can raise besides BadZipFile: a cut stream, a damaged one, an encrypted
# member (RuntimeError) or an unknown compression method (NotImplementedError)
ZIP_READ_ERRORS = (zipfile.BadZipFile, EOFError, *DECOMPRESS_ERRORS, NotImplementedError, RuntimeError)
ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


class UnsafeArchive(ModelError):
    """The archive tries to write outside its folder, holds device files, or is a bomb."""


class _Escape(Exception):
    """A path resolved in the plan leaves the root or loops; the caller names the member."""


@dataclass(frozen=True)
class _Entry:
    name: str
    kind: str  # file | dir | symlink | hardlink
    size: int
    link: str = ""
    csize: int = -1  # compressed size (zip), -1 when unknown
    mode: int = 0o644
    ref: object = field(default=None, compare=False, repr=False)  # the ZipInfo / TarInfo itself


@dataclass
class _Node:
    kind: str  # dir | file | symlink
    entry: _Entry | None = None
    source: tuple[str, ...] = ()  # for a hard link: the real path of the file it copies


Parts = tuple[str, ...]


def show(name: str) -> str:
    """A member name fit for a one-line message: control characters escaped, long names cut."""
    text = name if name.isprintable() else ascii(name)[1:-1]
    return text if len(text) <= 160 else text[:157] + "..."


LONG_HEADERS = (
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
)


class _RefusedHeader(Exception):
    """A tar header that tarfile would act on before the plan sees its member."""


class _BoundedTarInfo(tarfile.TarInfo):
    """tarfile reads a GNU long name's or a pax header's whole declared data into memory, and a sparse
    file's map, before handing the member over: a 0.5 MB tar.gz that declares a 512 MB long name made it
    allocate 512 MB (measured). Those headers are refused here, by their declared size, before any read.
    `_proc_member` is tarfile's documented override point; sparse files are never model files."""

    def _proc_member(self, tarfile_):
        if self.type in LONG_HEADERS and self.size > MAX_HEADER_DATA:
            limit = _mb(MAX_HEADER_DATA)
            raise _RefusedHeader(f"declares a {_mb(self.size)} long name or pax header (at most {limit})")
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise _RefusedHeader("holds a sparse file")
        return super()._proc_member(tarfile_)

    def _proc_gnusparse_00(self, *args):
        raise _RefusedHeader("holds a sparse file")

    _proc_gnusparse_01 = _proc_gnusparse_10 = _proc_gnusparse_00


def _refused_header(archive: Path, exc: _RefusedHeader) -> UnsafeArchive:
    return UnsafeArchive(f"{archive.name}: a tar header {exc}; nothing was installed")


def archive_kind(path: Path) -> str:
    """'zip' or 'tar' by content, not by name; ModelError for anything else."""
    if zipfile.is_zipfile(path):
        return "zip"
    try:
        with tarfile.open(path, "r:*", tarinfo=_BoundedTarInfo):  # tarfile.is_tarfile, bounded
            return "tar"
    except _RefusedHeader as exc:
        raise _refused_header(path, exc) from None
    except (tarfile.TarError, OSError, EOFError, *DECOMPRESS_ERRORS):
        pass
    with open(path, "rb") as f:
        head = f.read(6)
    if head.startswith(COMPRESSED_MAGIC):
        raise ModelError(f"{path.name}: damaged or unreadable archive (its compressed data does not unpack)")
    raise ModelError(f"{path.name}: not a zip or tar archive")


class _Plan:
    """The tree the archive would make, built member by member; refuses before anything is written."""

    def __init__(self, archive: Path):
        self.archive = archive
        self.nodes: dict[Parts, _Node] = {(): _Node("dir")}
        self.order: list[tuple[Parts, _Node]] = []

    def refuse(self, entry_name: str, why: str) -> UnsafeArchive:
        return UnsafeArchive(f"{self.archive.name}: entry '{show(entry_name)}' {why}; nothing was installed")

    # ------------------------------------------------------------ names

    def clean(self, entry_name: str, raw: str) -> Parts:
        """Relative parts of a member name; absolute, '..', NUL, huge: refused."""
        if "\0" in raw:
            raise self.refuse(entry_name, "has a NUL byte in its name")
        if len(raw) > MAX_NAME:
            raise self.refuse(entry_name, f"has a name longer than {MAX_NAME} characters")
        name = raw.replace("\\", "/")  # a Windows separator is a separator, never part of a name
        if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
            raise self.refuse(entry_name, "has an absolute path")
        parts = tuple(p for p in name.split("/") if p not in ("", "."))
        if ".." in parts:
            raise self.refuse(entry_name, "has a '..' component")
        if any(len(os.fsencode(p)) > MAX_COMPONENT for p in parts):
            raise self.refuse(entry_name, f"has a path component longer than {MAX_COMPONENT} bytes")
        return parts

    # ------------------------------------------------------------ resolution in the planned tree

    def resolve(self, start: Parts, target: str) -> Parts:
        """Where `target` (relative to the folder `start`) really leads, following planned links.

        Same rules as the kernel: a link's target is read relative to the link's folder and
        '..' applies to the resolved path. Leaving the root at any step, or more than
        MAX_LINK_STEPS links, is refused. Missing components are taken as written.
        """
        current = list(start)
        pending = [p for p in target.replace("\\", "/").split("/")]
        steps = 0
        while pending:
            part = pending.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if not current:
                    raise _Escape("leads outside the archive's folder")
                current.pop()
                continue
            node = self.nodes.get((*current, part))
            if node is not None and node.kind == "symlink":
                steps += 1
                if steps > MAX_LINK_STEPS:
                    raise _Escape("goes through a symlink loop")
                link = node.entry.link.replace("\\", "/") if node.entry else ""
                if link.startswith("/") or (len(link) > 1 and link[1] == ":"):
                    raise _Escape("goes through a link to an absolute path")
                pending = link.split("/") + pending
                continue
            current.append(part)
        return tuple(current)

    # ------------------------------------------------------------ members

    def add(self, entry: _Entry) -> _Entry:
        """Plan one member; returns it as it will be written (a hard link carries its file's size)."""
        parts = self.clean(entry.name, entry.name)
        if not parts:  # "." or "./": the root itself, as `tar -C dir .` writes it
            if entry.kind == "dir":
                return entry
            raise self.refuse(entry.name, "has an empty name")
        self._check_parents(entry, parts)
        existing = self.nodes.get(parts)
        if existing is not None:
            if existing.kind == "dir" and entry.kind == "dir":
                return entry
            raise self.refuse(entry.name, "appears twice (a member may not replace another)")
        if entry.kind == "dir":
            node = _Node("dir", entry)
        elif entry.kind == "file":
            node = _Node("file", entry)
        elif entry.kind == "symlink":
            node = self._symlink(entry, parts)
        else:
            node = self._hardlink(entry)
        self.nodes[parts] = node
        self.order.append((parts, node))
        return node.entry or entry

    def _check_parents(self, entry: _Entry, parts: Parts) -> None:
        """Every folder on the way must be a planned (or implied) folder: never a link, never a file."""
        for depth in range(1, len(parts)):
            prefix = parts[:depth]
            node = self.nodes.get(prefix)
            if node is None:
                self.nodes[prefix] = _Node("dir")
                self.order.append((prefix, self.nodes[prefix]))
            elif node.kind == "symlink":
                raise self.refuse(entry.name, f"would be written through the link '{show('/'.join(prefix))}'")
            elif node.kind == "file":
                raise self.refuse(entry.name, f"needs '{show('/'.join(prefix))}' to be a folder but it is a file")

    def _symlink(self, entry: _Entry, parts: Parts) -> _Node:
        link = entry.link
        if not link or "\0" in link or len(link) > MAX_NAME:
            raise self.refuse(entry.name, "is a link with an empty or unreadable target")
        if link.replace("\\", "/").startswith("/") or (len(link) > 1 and link[1] == ":"):
            raise self.refuse(entry.name, f"is a link to an absolute path ({show(link)})")
        self._check_link_target(entry, parts)
        return _Node("symlink", entry)

    def _check_link_target(self, entry: _Entry, parts: Parts) -> None:
        try:
            real = self.resolve(parts[:-1], entry.link)
        except _Escape as exc:
            raise self.refuse(
                entry.name, f"is a link that points outside the archive ({show(entry.link)}: {exc})"
            ) from None
        if real == parts[: len(real)]:  # the link's own path or a folder above it: a loop
            raise self.refuse(entry.name, f"is a link to itself or a folder above it ({show(entry.link)})")

    def _hardlink(self, entry: _Entry) -> _Node:
        link = entry.link
        if not link or "\0" in link or len(link) > MAX_NAME:
            raise self.refuse(entry.name, "is a hard link with an empty or unreadable target")
        if link.replace("\\", "/").startswith("/") or (len(link) > 1 and link[1] == ":"):
            raise self.refuse(entry.name, f"is a hard link to an absolute path ({show(link)})")
        try:
            real = self.resolve((), link)  # a hard link's target is relative to the archive's root
        except _Escape as exc:
            raise self.refuse(
                entry.name, f"is a hard link that points outside the archive ({show(entry.link)}: {exc})"
            ) from None
        node = self.nodes.get(real)
        if node is None or node.kind != "file" or node.entry is None:
            raise self.refuse(entry.name, f"is a hard link without an earlier file to copy ({show(entry.link)})")
        copy = dataclasses.replace(entry, size=node.entry.size, mode=node.entry.mode)
        return _Node("file", copy, source=node.source or real)

    def finish(self) -> None:
        """Links planned early may lead elsewhere once later members exist: check them all again."""
        for parts, node in self.order:
            if node.kind == "symlink" and node.entry is not None:
                self._check_link_target(node.entry, parts)


# ---------------------------------------------------------------- reading members


def _mode(raw: int | None, default: int = 0o644) -> int:
    """Permission bits as tarfile's data filter leaves them: no set-id/sticky, no group/other write."""
    if raw is None:
        return default
    mode = raw & 0o755
    if not mode & 0o100:
        mode &= ~0o111
    return mode | 0o600


def _zip_entries(plan: _Plan, zf: zipfile.ZipFile) -> Iterator[_Entry]:
    for info in zf.infolist():
        mode = info.external_attr >> 16
        if not info.filename:  # ZipInfo.is_dir() would fail on it
            raise plan.refuse("", "has an empty name")
        if info.flag_bits & 0x1:
            raise plan.refuse(info.filename, "is encrypted (model archives never are; no password is asked)")
        if info.compress_type not in ZIP_METHODS:
            raise plan.refuse(info.filename, f"uses a compression method ({info.compress_type}) zipfile cannot unpack")
        if stat.S_ISLNK(mode):
            if info.file_size > MAX_NAME:
                raise plan.refuse(info.filename, "is a link with an oversized target")
            with zf.open(info) as src:
                target = src.read(MAX_NAME + 1).decode("utf-8", "replace")
            yield _Entry(info.filename, "symlink", 0, target, ref=info)
        elif info.is_dir():
            yield _Entry(info.filename, "dir", 0, ref=info)
        elif stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # many zip writers leave the type bits empty
            raise plan.refuse(info.filename, "is a device or special file")
        else:
            yield _Entry(
                info.filename,
                "file",
                info.file_size,
                csize=info.compress_size,
                mode=_mode((mode & 0o7777) or None),
                ref=info,
            )


def _tar_entry(plan: _Plan, info: tarfile.TarInfo) -> _Entry:
    if not (info.isdir() or info.isreg() or info.issym() or info.islnk()):
        raise plan.refuse(info.name, "is a device or special file")
    if info.isdir():
        return _Entry(info.name, "dir", 0)
    if info.isreg():
        return _Entry(info.name, "file", info.size, mode=_mode(info.mode), ref=info)
    return _Entry(info.name, "symlink" if info.issym() else "hardlink", 0, info.linkname)


def _data_filter(plan: _Plan, info: tarfile.TarInfo, root: Path) -> None:
    """The standard library's verdict, after ours (so our messages come first)."""
    try:
        tarfile.data_filter(info, str(root))
    except tarfile.FilterError as exc:
        raise plan.refuse(info.name, f"is refused by tarfile's data filter ({exc.__class__.__name__})") from None


# ---------------------------------------------------------------- size and bomb checks


class _Sizes:
    """Declared sizes, checked as members are listed, so a bomb is refused before it is unpacked."""

    def __init__(self, plan: _Plan, archive_size: int, max_bytes: int, max_files: int, max_ratio: float):
        self.plan, self.archive_size = plan, max(archive_size, 1)
        self.max_bytes, self.max_files, self.max_ratio = max_bytes, max_files, max_ratio
        self.total = self.count = 0

    def add(self, entry: _Entry) -> None:
        self.count += 1
        if self.count > self.max_files:
            raise self.plan.refuse(entry.name, f"takes the archive past {self.max_files} entries: too many entries")
        self.total += entry.size
        if self.total > self.max_bytes:
            raise self.plan.refuse(entry.name, f"takes the unpacked size over {_mb(self.max_bytes)}: too large")
        if entry.csize >= 0 and entry.size >= RATIO_FLOOR and entry.size > self.max_ratio * max(entry.csize, 1):
            ratio = entry.size / max(entry.csize, 1)
            raise self.plan.refuse(
                entry.name, f"would unpack {_mb(entry.size)} from {_kb(entry.csize)} ({ratio:.0f}:1): a zip bomb"
            )
        if self.total >= RATIO_FLOOR and self.total > self.max_ratio * self.archive_size:
            ratio = self.total / self.archive_size
            raise self.plan.refuse(
                entry.name,
                f"takes the unpacked size to {_mb(self.total)} from a {_kb(self.archive_size)} archive "
                f"({ratio:.0f}:1): an archive bomb",
            )

    def check_disk(self, folder: Path) -> None:
        free = shutil.disk_usage(folder).free
        if self.total + DISK_MARGIN > free:
            raise UnsafeArchive(
                f"{self.plan.archive.name}: too large to unpack here: needs {_mb(self.total + DISK_MARGIN)}, "
                f"{_mb(free)} free in {folder.parent}; nothing was installed"
            )


def _mb(n: int) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 10**6 else f"{n / 1e6:.2f} MB"


def _kb(n: int) -> str:
    return f"{n / 1e3:.0f} kB"


# ---------------------------------------------------------------- writing


def _copy(plan: _Plan, entry: _Entry, src: BinaryIO, dest: Path) -> None:
    """Copy at most the declared size: a stream that runs past it is cut off and refused."""
    left = entry.size
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, entry.mode)
    with os.fdopen(fd, "wb") as out:
        while block := src.read(min(CHUNK, left + 1)):
            left -= len(block)
            if left < 0:
                raise plan.refuse(entry.name, f"unpacks past its declared size of {entry.size} bytes: a bomb")
            out.write(block)


def _path(root: Path, parts: Parts) -> Path:
    """A planned path; its folder must really be where the plan says (no link crept in)."""
    dest = root.joinpath(*parts)
    if os.path.realpath(dest.parent) != str(dest.parent):
        raise UnsafeArchive(f"'{show('/'.join(parts))}' is not where it was planned; nothing was installed")
    return dest


def _write(plan: _Plan, root: Path, opener) -> None:
    links: list[tuple[Parts, _Node]] = []
    for parts, node in plan.order:
        if node.kind == "dir":
            _path(root, parts).mkdir()
        elif node.kind == "symlink":
            links.append((parts, node))
        elif node.source:  # a hard link: a copy of the file already written (never a shared inode)
            with open(_path(root, node.source), "rb") as src:
                _copy(plan, node.entry, src, _path(root, parts))
        else:
            with opener(node.entry) as src:
                _copy(plan, node.entry, src, _path(root, parts))
    for parts, node in links:  # last: nothing is ever written through a link
        os.symlink(node.entry.link.replace("\\", "/"), _path(root, parts))


def _extract_into(archive: Path, root: Path, max_bytes: int, max_files: int, max_ratio: float) -> None:
    plan = _Plan(archive)
    sizes = _Sizes(plan, archive.stat().st_size, max_bytes, max_files, max_ratio)
    if archive_kind(archive) == "zip":
        with zipfile.ZipFile(archive) as zf:
            for entry in _zip_entries(plan, zf):
                sizes.add(plan.add(entry))
            plan.finish()
            sizes.check_disk(root)
            _write(plan, root, lambda e, zf=zf: zf.open(e.ref))
        return
    try:
        with tarfile.open(archive, "r:*", tarinfo=_BoundedTarInfo) as tf:
            for info in tf:  # one header at a time: a huge declared size stops the listing at once
                sizes.add(plan.add(_tar_entry(plan, info)))
                _data_filter(plan, info, root)
            plan.finish()
            sizes.check_disk(root)
            _write(plan, root, lambda e, tf=tf: tf.extractfile(e.ref))
            _read_trailer(tf)
    except _RefusedHeader as exc:
        raise _refused_header(archive, exc) from None


def _read_trailer(tf: tarfile.TarFile) -> None:
    """tarfile stops at the end-of-archive blocks, before the gzip or xz checksum that follows them, so a
    damaged stream that still inflates would pass unseen; reading on to the end makes the decompressor
    check it (a bad checksum raises). Capped: what follows a tar's end is padding, never worth a bomb's time."""
    left = MAX_TRAILER
    while left > 0 and (block := tf.fileobj.read(min(CHUNK, left))):
        left -= len(block)


def safe_extract(
    archive: Path,
    target: Path,
    *,
    max_bytes: int = MAX_BYTES,
    max_files: int = MAX_FILES,
    max_ratio: float = MAX_RATIO,
) -> Path:
    """Unpack `archive` into the new folder `target` (which must not exist); all or nothing.

    A refusal is one line naming the member (UnsafeArchive); nothing is logged besides, so the
    user sees the message once.
    """
    if target.exists():
        raise ModelError(f"{target} already exists; remove it first")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".extract-{target.name}-", dir=target.parent)).resolve()
    root = staging / "root"
    try:
        root.mkdir()
        _extract_into(archive, root, max_bytes, max_files, max_ratio)
        root.rename(target)
    except UnsafeArchive:
        raise
    except (tarfile.TarError, OSError, UnicodeDecodeError, *ZIP_READ_ERRORS) as exc:
        detail = show(f"{exc.__class__.__name__}: {exc}")
        raise ModelError(f"{archive.name}: damaged or unreadable archive ({detail})") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
