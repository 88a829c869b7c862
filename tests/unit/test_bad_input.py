"""Bad input everywhere: random bytes, files that lie about their type, non-UTF-8 file names.

Each reader either returns a value or raises a UserError subclass with one line; nothing else.
(The WAV reader, catalog, settings-shape, slot parser and archive-path fuzzers live next to their
modules' tests; these add raw-bytes fuzz for the document, recovery, settings and archive readers.)
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slm_desktop.audio.wav import read_info
from slm_desktop.cli import build_parser
from slm_desktop.config import Settings, load_settings
from slm_desktop.document import WINDOWS_1252, Document, NotText, UnknownEncoding, read_document, write_document
from slm_desktop.errors import ModelError, UserError
from slm_desktop.recovery import RecoveryStore
from slm_desktop.store.extract import safe_extract
from slm_desktop.store.validate import inspect

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
some_bytes = st.one_of(
    st.binary(max_size=2048),
    st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"GGUF", b"RIFF", b"PK\x03\x04"]).flatmap(
        lambda head: st.binary(max_size=512).map(lambda tail: head + tail)
    ),
)


def _one_line(exc: BaseException) -> None:
    assert str(exc) and "\n" not in str(exc), repr(exc)


@FUZZ
@given(raw=some_bytes)
def test_fuzz_document_reader_gives_a_document_or_a_user_error(tmp_path, raw):
    path = tmp_path / "doc.txt"
    path.write_bytes(raw)
    try:
        doc = read_document(path)
    except UserError as exc:
        _one_line(exc)
        return
    assert isinstance(doc, Document) and "\r" not in doc.text


@FUZZ
@given(raw=some_bytes, fallback=st.sampled_from(["latin-1", WINDOWS_1252]))
def test_fuzz_with_consent_every_non_binary_file_opens_and_saves_back_byte_exact(tmp_path, raw, fallback):
    """Windows-1252 is what the UI offers (its five undefined bytes kept as U+0081...); Latin-1 for the API."""
    path = tmp_path / "doc.txt"
    path.write_bytes(raw)
    try:
        doc = read_document(path, fallback_encoding=fallback)
    except NotText:
        return
    write_document(doc, doc.text)
    if doc.newline == "\n" and b"\r" not in raw:  # mixed line endings are normalised to the dominant one
        assert path.read_bytes() == raw


@FUZZ
@given(raw=some_bytes)
def test_fuzz_recovery_file_gives_a_snapshot_or_none(tmp_path, raw):
    store = RecoveryStore(tmp_path)
    tmp_path.mkdir(exist_ok=True)
    store.file.write_bytes(raw)
    snapshot = store.read()
    assert snapshot is None or isinstance(snapshot.text, str)
    assert store.file.exists()  # an unreadable recovery file is kept, never deleted


@FUZZ
@given(raw=some_bytes)
def test_fuzz_settings_file_bytes_give_settings(tmp_path, raw):
    path = tmp_path / "config" / "settings.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(raw)
    result = load_settings(path)
    assert isinstance(result.settings, Settings)
    assert all("\n" not in problem for problem in result.problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=some_bytes, name=st.sampled_from(["m.zip", "m.tar.gz", "m.tgz", "m.tar.bz2", "m.tar.xz", "m.argosmodel"]))
def test_fuzz_archive_bytes_extract_or_model_error(tmp_path_factory, raw, name):
    root = tmp_path_factory.mktemp("arch")
    archive = root / name
    archive.write_bytes(raw)
    target = root / "out"
    try:
        safe_extract(archive, target, max_bytes=1 << 16, max_files=50)
    except ModelError as exc:
        _one_line(exc)
        assert not target.exists()


_ARG_WORDS = st.sampled_from(
    ["models", "list", "install", "verify", "intent", "transcribe", "bench", "doctor", "selftest", "--json",
     "--debug", "--engine", "vosk", "-x", "--", "=", "nope", "\udcff", "1e9", "-1", "ä", ""]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(argv=st.lists(_ARG_WORDS, max_size=6))
def test_fuzz_cli_arguments_parse_or_exit_2_with_one_line(argv):
    if not argv or argv[0] not in {"models", "intent", "transcribe", "listen", "bench", "doctor", "self-test"}:
        argv = ["models", *argv]  # never the default command: that opens the window
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(argv)
    except SystemExit as exit_:
        err = stderr.getvalue()
        assert exit_.code in (0, 2)
        if exit_.code == 2:
            assert err.count("\n") == 1, err


# ---------------------------------------------------------------- files that lie about their type


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("notes.txt", PNG, NotText),
        ("notes.txt", "héllo".encode("utf-16-le"), NotText),  # no BOM: NUL bytes, so not opened as 8-bit text
        ("notes.txt", "café crème".encode("cp1252"), UnknownEncoding),
        ("notes.txt", b"PK\x03\x04" + b"\x00" * 26, NotText),
    ],
)
def test_documents_that_lie_are_refused_in_one_line(tmp_path, name, content, error):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error) as caught:
        read_document(path)
    _one_line(caught.value)
    assert name in str(caught.value)


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a.txt", "x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [PNG, b"ID3\x03\x00" + b"\xff\xfb" * 100, _zip_bytes(), b"RIFF\x10\x00\x00\x00AVI LIST", b"RIFF" + b"\xff" * 40],
)
def test_audio_that_lies_is_refused_in_one_line(tmp_path, content):
    path = tmp_path / "speech.wav"
    path.write_bytes(content)
    with pytest.raises(UserError) as caught:
        read_info(path)
    _one_line(caught.value)


def test_a_wav_that_claims_more_data_than_it_has_reads_what_is_there(tmp_path):
    from slm_desktop.audio.wav import read_pcm16k

    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 10**9) + b"\x01\x00" * 800
    path = tmp_path / "short.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 10**9) + body)
    assert len(read_pcm16k(path)) == 1600


@pytest.mark.parametrize(
    ("name", "content"),
    [("model.gguf", PNG), ("model.gguf", b"GGUF" + b"\xff" * 60), ("model.gguf", b""), ("model.onnx", b"GGUF")],
)
def test_models_that_lie_are_refused_in_one_line(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ModelError) as caught:
        inspect(path)
    _one_line(caught.value)


def test_a_folder_named_like_a_model_file(tmp_path):
    (tmp_path / "model.gguf").mkdir()
    with pytest.raises(ModelError, match="not a Vosk, Whisper, CTranslate2 or ONNX model folder"):
        inspect(tmp_path / "model.gguf")


# ---------------------------------------------------------------- non-UTF-8 names


@pytest.fixture
def latin1_named(tmp_path) -> Path:
    """A file whose name is not valid UTF-8 (b'caf\\xe9'): Python sees it with a lone surrogate."""
    folder = tmp_path / os.fsdecode(b"dossier-\xff")
    folder.mkdir()
    path = folder / os.fsdecode(b"caf\xe9 notes.txt")
    path.write_bytes(b"line one\r\nline two\r\n")
    return path


def test_non_utf8_file_names_open_and_save_byte_exact(latin1_named):
    doc = read_document(latin1_named)
    assert doc.newline == "\r\n"
    write_document(doc, doc.text + "line three\n")
    assert latin1_named.read_bytes() == b"line one\r\nline two\r\nline three\r\n"
    assert os.fsencode(latin1_named).endswith(b"caf\xe9 notes.txt")


def test_recovery_of_a_document_with_a_non_utf8_name(latin1_named, tmp_path):
    store = RecoveryStore(tmp_path / "recovery")
    store.write("unsaved", latin1_named)
    snapshot = store.read()
    assert snapshot.text == "unsaved" and Path(snapshot.path) == latin1_named
