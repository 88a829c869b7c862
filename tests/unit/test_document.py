"""Documents keep their encoding and line endings, refuse binaries, and save atomically."""

import codecs
import contextlib
import os
import threading
import time
from pathlib import Path

import pytest

from slm_desktop.atomic import STALE_TEMP_S, atomic_write_bytes
from slm_desktop.document import (
    WINDOWS_1252,
    Document,
    NotText,
    UnknownEncoding,
    changed_on_disk,
    cp1252_undefined_count,
    read_document,
    write_document,
)
from slm_desktop.errors import UserError


@pytest.mark.parametrize(
    ("raw", "encoding", "newline"),
    [
        (b"one\ntwo\n", "utf-8", "\n"),
        (b"one\r\ntwo\r\n", "utf-8", "\r\n"),
        (b"\xef\xbb\xbfcaf\xc3\xa9\r\n", "utf-8-sig", "\r\n"),
        (codecs.BOM_UTF16_LE + "h\u00e9llo\n".encode("utf-16-le"), "utf-16-le", "\n"),
        (codecs.BOM_UTF16_BE + "h\u00e9llo\r\n".encode("utf-16-be"), "utf-16-be", "\r\n"),
    ],
)
def test_round_trip_is_byte_exact(tmp_path, raw, encoding, newline):
    path = tmp_path / "doc.txt"
    path.write_bytes(raw)
    doc = read_document(path)
    assert (doc.encoding, doc.newline) == (encoding, newline)
    assert "\r" not in doc.text
    write_document(doc, doc.text)
    assert path.read_bytes() == raw


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(NotText, match="binary"):
        read_document(path)


def test_latin1_needs_consent_then_round_trips(tmp_path):
    path = tmp_path / "old.txt"
    raw = "caf\u00e9 na\u00efve\n".encode("latin-1")
    path.write_bytes(raw)
    with pytest.raises(UnknownEncoding):
        read_document(path)
    doc = read_document(path, fallback_encoding="latin-1")
    write_document(doc, doc.text)
    assert path.read_bytes() == raw


def test_windows_1252_decodes_as_windows_1252_and_saves_back_byte_exact(tmp_path):
    """The prompt says Windows-1252: 0x80-0x9F are the euro sign and smart quotes, not C1 controls."""
    path = tmp_path / "old.txt"
    raw = b"\x93Caf\xe9\x94 costs 5 \x80 \x96 na\xefve\r\n"
    path.write_bytes(raw)
    doc = read_document(path, fallback_encoding=WINDOWS_1252)
    assert doc.text == "\u201cCaf\u00e9\u201d costs 5 \u20ac \u2013 na\u00efve\n"
    assert cp1252_undefined_count(doc) == 0
    write_document(doc, doc.text + "\u201cmore\u201d \u20ac")
    assert path.read_bytes() == raw + b"\x93more\x94 \x80"


def test_the_five_bytes_windows_1252_leaves_undefined_are_kept_and_counted(tmp_path):
    """0x81 0x8D 0x8F 0x90 0x9D have no character: kept as U+0081... (as Windows and browsers do), never lost."""
    path = tmp_path / "odd.txt"
    raw = bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100)) + b"\n"
    path.write_bytes(raw)
    doc = read_document(path, fallback_encoding=WINDOWS_1252)
    assert cp1252_undefined_count(doc) == 5
    assert "\u20ac" in doc.text and "\x81" in doc.text and "\x80" not in doc.text
    write_document(doc, doc.text)
    assert path.read_bytes() == raw


def test_a_character_windows_1252_cannot_hold_is_a_clear_error(tmp_path):
    path = tmp_path / "old.txt"
    path.write_bytes(b"caf\xe9\n")
    doc = read_document(path, fallback_encoding=WINDOWS_1252)
    with pytest.raises(UserError, match="cannot be saved in windows-1252"):
        write_document(doc, "\u0080 is a C1 control that Windows-1252 has no byte for")
    assert path.read_bytes() == b"caf\xe9\n"


def test_unencodable_character_is_a_clear_error_and_file_untouched(tmp_path):
    path = tmp_path / "old.txt"
    path.write_bytes(b"abc\n")
    doc = read_document(path, fallback_encoding="latin-1")
    doc = Document(doc.text, path, "latin-1", "\n", doc.stamp)
    with pytest.raises(UserError, match="cannot be saved in latin-1"):
        write_document(doc, "emoji \U0001f600")
    assert path.read_bytes() == b"abc\n"


def test_unwritable_path_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="could not save"):
        write_document(Document("x"), "x", tmp_path / "missing-dir" / "f.txt")


def test_change_on_disk_is_detected(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("one")
    doc = read_document(path)
    assert not changed_on_disk(doc)
    path.write_text("two, longer")
    os.utime(path, ns=(doc.stamp.mtime_ns + 10**9, doc.stamp.mtime_ns + 10**9))
    assert changed_on_disk(doc)


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "a.txt"
    path.write_text("old content")
    doc = read_document(path)

    def full_disk(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(UserError, match="No space left"):
        write_document(doc, "new content")
    assert path.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_next_save_removes_what_a_killed_save_left_behind(tmp_path):
    """SIGKILL mid-save skips every cleanup; the hidden temp file beside the intact original stays until then."""
    target = tmp_path / "notes [draft].txt"  # glob metacharacters in the name must not confuse the cleanup
    target.write_text("old")
    killed = tmp_path / ".notes [draft].txt.k1ll3d.tmp"
    killed.write_bytes(b"half a fil")
    os.utime(killed, (time.time() - STALE_TEMP_S - 60,) * 2)
    in_progress = tmp_path / ".notes [draft].txt.n0w.tmp"  # another save right now: not ours to touch
    in_progress.write_bytes(b"")
    other = tmp_path / ".other.txt.k1ll3d.tmp"
    other.write_bytes(b"")
    os.utime(other, (time.time() - STALE_TEMP_S - 60,) * 2)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert not killed.exists() and in_progress.exists() and other.exists()


@pytest.mark.parametrize("kind", ["device", "pipe"])
def test_a_device_or_a_pipe_is_refused_before_it_is_opened(tmp_path, kind):
    """Both say their size is 0: /dev/zero was read without end, and opening a pipe blocked the window."""
    if kind == "pipe":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    else:
        path = Path("/dev/null")  # like /dev/zero, which the old reader read without end, minus the danger
    # a watchdog: a reader stuck opening the pipe is released after 10 s (the test then fails, not hangs)
    watchdog = threading.Timer(10.0, _release_a_reader, args=(path,))
    watchdog.start()
    try:
        with pytest.raises(UserError, match="is not a regular file") as caught:
            read_document(path)
    finally:
        watchdog.cancel()
    assert "\n" not in str(caught.value)


def _release_a_reader(path: Path) -> None:
    with contextlib.suppress(OSError):  # no reader waiting: nothing to release
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def test_a_folder_is_refused_by_name(tmp_path):
    with pytest.raises(UserError, match="is a folder, not a file"):
        read_document(tmp_path)
