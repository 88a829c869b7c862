"""Reading and writing the user's document without ever corrupting it.

Encoding and line endings are kept as found; saving is atomic (slm_desktop/atomic.py), so a full
disk or a kill mid-write leaves the old file intact, and a symlink keeps pointing at the saved file;
a file changed on disk by another program since it was opened is detected before it is overwritten.
"""

from __future__ import annotations

import codecs
import functools
import stat
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.atomic import atomic_write_bytes
from slm_desktop.errors import UserError

BINARY_SNIFF_BYTES = 8192
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024


class NotText(UserError):
    """The file is binary; opening it in a text editor would corrupt it on save."""


class UnknownEncoding(UserError):
    """The file is text but not UTF-8; the UI may offer to open it as Windows-1252 (lossless here)."""


@dataclass(frozen=True)
class DiskStamp:
    mtime_ns: int
    size: int

    @classmethod
    def of(cls, path: Path) -> DiskStamp | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        return cls(stat.st_mtime_ns, stat.st_size)


@dataclass(frozen=True)
class Document:
    text: str
    path: Path | None = None
    encoding: str = "utf-8"
    newline: str = "\n"
    stamp: DiskStamp | None = None


def _detect_newline(text: str) -> str:
    crlf = text.count("\r\n")
    lone_lf = text.count("\n") - crlf
    lone_cr = text.count("\r") - crlf
    if crlf and crlf >= lone_lf:
        return "\r\n"
    if lone_cr > lone_lf:
        return "\r"
    return "\n"


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# encoding name -> (byte-order mark written back on save, codec for the body)
BOM_ENCODINGS = {
    "utf-8-sig": (codecs.BOM_UTF8, "utf-8"),
    "utf-16-le": (codecs.BOM_UTF16_LE, "utf-16-le"),
    "utf-16-be": (codecs.BOM_UTF16_BE, "utf-16-be"),
}


def _decode_with_bom(raw: bytes) -> tuple[str, str] | None:
    """A byte-order mark names the encoding; a damaged body falls through to the plain checks."""
    for encoding, (bom, codec) in BOM_ENCODINGS.items():
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(codec), encoding
            except UnicodeDecodeError:
                return None
    return None


WINDOWS_1252 = "windows-1252"  # the fallback the UI offers for text that is not UTF-8
CP1252_UNDEFINED = "\x81\x8d\x8f\x90\x9d"  # the bytes Windows-1252 gives no character, as decoded here


@functools.cache
def _cp1252_tables() -> tuple[str, object]:
    """Python's cp1252 codec refuses 0x81, 0x8D, 0x8F, 0x90 and 0x9D; Windows and the WHATWG encoding
    standard (what browsers use) map them to the C1 controls U+0081... Doing the same keeps every byte,
    so a file opened as Windows-1252 saves back byte for byte, and the UI can say how many there were."""
    chars = []
    for byte in range(256):
        try:
            chars.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(byte))
    table = "".join(chars)
    return table, codecs.charmap_build(table)


def _decode_as(raw: bytes, encoding: str) -> str:
    if encoding == WINDOWS_1252:
        return codecs.charmap_decode(raw, "strict", _cp1252_tables()[0])[0]
    return raw.decode(encoding)


def _encode(text: str, encoding: str) -> bytes:
    """The inverse of _decode: the same byte-order mark (and byte order) as the file had."""
    if encoding in BOM_ENCODINGS:
        bom, codec = BOM_ENCODINGS[encoding]
        return bom + text.encode(codec)
    if encoding == WINDOWS_1252:
        return codecs.charmap_encode(text, "strict", _cp1252_tables()[1])[0]
    return text.encode(encoding)


def cp1252_undefined_count(doc: Document) -> int:
    """How many bytes of a Windows-1252 document have no character there (kept as invisible controls)."""
    if doc.encoding != WINDOWS_1252:
        return 0
    return sum(doc.text.count(char) for char in CP1252_UNDEFINED)


def _decode(raw: bytes, fallback: str | None) -> tuple[str, str]:
    with_bom = _decode_with_bom(raw)
    if with_bom is not None:
        return with_bom
    if b"\x00" in raw[:BINARY_SNIFF_BYTES]:
        raise NotText("this looks like a binary file, not text; it was not opened")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if fallback is None:
            raise UnknownEncoding(f"not UTF-8 text (byte {exc.start})") from None
        return _decode_as(raw, fallback), fallback


def read_file_bytes(path: Path, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """A regular file's bytes, at most `limit`. A device or a pipe says its size is 0, so a size check alone
    lets them through: /dev/zero would be read without end, and opening a pipe blocks until someone writes."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise UserError(f"{path} is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{path} is not a regular file (a device, pipe or socket); not opened")
        if info.st_size > limit:
            raise UserError(f"{path.name} is larger than {limit // 2**20} MB; not opened")
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > limit:  # it grew since
        raise UserError(f"{path.name} is larger than {limit // 2**20} MB; not opened")
    return raw


def read_document(path: Path, *, fallback_encoding: str | None = None) -> Document:
    """Raise NotText or UnknownEncoding instead of guessing silently."""
    raw = read_file_bytes(path)
    try:
        text, encoding = _decode(raw, fallback_encoding)
    except UserError as exc:
        raise type(exc)(f"{path.name}: {exc}") from None
    return Document(_normalise(text), path, encoding, _detect_newline(text), DiskStamp.of(path))


def changed_on_disk(doc: Document) -> bool:
    return doc.path is not None and doc.stamp is not None and DiskStamp.of(doc.path) != doc.stamp


def write_document(doc: Document, text: str, path: Path | None = None) -> Document:
    """Save in the document's own encoding and line endings; returns the updated Document."""
    target = path or doc.path
    if target is None:
        raise UserError("no file name given")
    encoded_text = _normalise(text).replace("\n", doc.newline)
    try:
        data = _encode(encoded_text, doc.encoding)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise UserError(f"'{bad}' cannot be saved in {doc.encoding}; use Save As with UTF-8") from None
    try:
        atomic_write_bytes(target, data)
    except OSError as exc:
        raise UserError(f"could not save {target}: {exc.strerror or exc}") from None
    return Document(_normalise(text), target, doc.encoding, doc.newline, DiskStamp.of(target))
