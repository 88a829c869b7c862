"""Safe extraction: malicious archives are refused by name, nothing lands outside, nothing half-done stays."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import doctored_zip

from slm_desktop.errors import ModelError
from slm_desktop.store.extract import UnsafeArchive, safe_extract


def _zip(path: Path, files: dict[str, bytes], symlinks: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def _tar(path: Path, members: list[tuple[str, str, bytes | str]]) -> Path:
    """members: (name, type, data-or-linkname) with type in file/dir/symlink/hardlink/chr/fifo."""
    types = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}
    types |= {"chr": tarfile.CHRTYPE, "fifo": tarfile.FIFOTYPE}
    with tarfile.open(path, "w:gz") as tf:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
            else:
                info.type = types[kind]
                if kind in ("symlink", "hardlink"):
                    info.linkname = payload
                tf.addfile(info)
    return path


def _assert_nothing_left(tmp_path: Path, target: Path, archive: Path) -> None:
    assert not target.exists()
    leftovers = {p.name for p in tmp_path.rglob("*")} - {archive.name}
    assert leftovers <= {"out"} or not any(".extract-" in n or "evil" in n for n in leftovers), leftovers
    assert not (tmp_path / "evil").exists() and not (tmp_path.parent / "evil").exists()
    assert not list(tmp_path.rglob(".extract-*"))


def test_zip_and_tar_extract_with_internal_links(tmp_path):
    z = _zip(tmp_path / "m.zip", {"model/a.bin": b"a" * 10, "model/sub/b.txt": b"b"})
    assert (safe_extract(z, tmp_path / "z") / "model" / "sub" / "b.txt").read_bytes() == b"b"
    t = _tar(
        tmp_path / "m.tar.gz",
        [
            ("m", "dir", b""),
            ("m/a.bin", "file", b"abc"),
            ("m/link", "symlink", "a.bin"),
            ("m/hard", "hardlink", "m/a.bin"),
        ],
    )
    out = safe_extract(t, tmp_path / "t")
    assert (out / "m" / "link").read_bytes() == b"abc" and (out / "m" / "hard").read_bytes() == b"abc"


@pytest.mark.parametrize(
    ("builder", "entry", "reason"),
    [
        (lambda p: _zip(p / "a.zip", {"../evil": b"x"}), "../evil", "'..'"),
        (lambda p: _zip(p / "a.zip", {"ok/../../evil": b"x"}), "ok/../../evil", "'..'"),
        (lambda p: _zip(p / "a.zip", {"/tmp/evil": b"x"}), "/tmp/evil", "absolute"),
        (lambda p: _zip(p / "a.zip", {"C:\\evil": b"x"}), "C:\\evil", "absolute"),
        (lambda p: _zip(p / "a.zip", {"ok.txt": b"1"}, {"link": "../../evil"}), "link", "outside"),
        (lambda p: _zip(p / "a.zip", {}, {"link": "/etc/passwd"}), "link", "absolute"),
        (lambda p: _tar(p / "a.tgz", [("link", "symlink", "../evil"), ("link/x", "file", b"x")]), "link", "outside"),
        (lambda p: _tar(p / "a.tgz", [("d/link", "symlink", "../../evil")]), "d/link", "outside"),
        (lambda p: _tar(p / "a.tgz", [("hard", "hardlink", "../evil")]), "hard", "outside"),
        (lambda p: _tar(p / "a.tgz", [("hard", "hardlink", "/etc/passwd")]), "hard", "absolute"),
        (lambda p: _tar(p / "a.tgz", [("dev", "chr", b"")]), "dev", "device"),
        (lambda p: _tar(p / "a.tgz", [("pipe", "fifo", b"")]), "pipe", "device"),
        (lambda p: _tar(p / "a.tgz", [("../evil", "file", b"x")]), "../evil", "'..'"),
    ],
)
def test_malicious_entries_are_refused_by_name(tmp_path, builder, entry, reason):
    archive = builder(tmp_path)
    target = tmp_path / "out" / "model"
    with pytest.raises(UnsafeArchive) as info:
        safe_extract(archive, target)
    assert f"'{entry}'" in str(info.value) and reason in str(info.value)
    _assert_nothing_left(tmp_path, target, archive)


def test_symlink_then_write_through_it_is_refused_before_writing(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = _tar(
        tmp_path / "a.tgz", [("ok.txt", "file", b"1"), ("l", "symlink", "../outside"), ("l/evil", "file", b"x")]
    )
    with pytest.raises(UnsafeArchive):
        safe_extract(archive, tmp_path / "out" / "m")
    assert list(outside.iterdir()) == []


def test_zip_bomb_by_size_is_refused_before_and_while_writing(tmp_path):
    bomb = _zip(tmp_path / "bomb.zip", {"big.bin": b"\0" * (5 << 20)})
    assert bomb.stat().st_size < 64 << 10  # it really is a bomb: tiny archive, big content
    with pytest.raises(UnsafeArchive, match=r"'big\.bin'"):
        safe_extract(bomb, tmp_path / "out", max_bytes=1 << 20)
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".extract-*"))


def test_too_many_files_is_refused(tmp_path):
    archive = _zip(tmp_path / "many.zip", {f"f{i}": b"" for i in range(50)})
    with pytest.raises(UnsafeArchive, match=r"past 10 entries: too many entries"):
        safe_extract(archive, tmp_path / "out", max_files=10)


def test_not_an_archive_and_damaged_archive(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not an archive at all")
    with pytest.raises(ModelError, match="not a zip or tar"):
        safe_extract(junk, tmp_path / "out")
    good = _zip(tmp_path / "g.zip", {"a": b"x" * 5000})
    damaged = tmp_path / "d.zip"
    data = bytearray(good.read_bytes())
    data[40:60] = b"\xff" * 20  # corrupt the compressed stream; the directory at the end is intact
    damaged.write_bytes(bytes(data))
    with pytest.raises(ModelError):
        safe_extract(damaged, tmp_path / "out2")
    assert not (tmp_path / "out2").exists() and not list(tmp_path.glob(".extract-*"))


def test_existing_target_is_never_overwritten(tmp_path):
    (tmp_path / "out").mkdir()
    archive = _zip(tmp_path / "a.zip", {"a": b"x"})
    with pytest.raises(ModelError, match="already exists"):
        safe_extract(archive, tmp_path / "out")


_names = st.lists(st.sampled_from(["a", "b", "..", ".", "/", "c.txt", "d"]), min_size=1, max_size=4).map("/".join)
_member = st.tuples(_names, st.sampled_from(["file", "dir", "symlink", "hardlink"]), _names)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.lists(_member, min_size=1, max_size=6))
def test_fuzz_tar_never_writes_outside(tmp_path_factory, members):
    root = tmp_path_factory.mktemp("fuzz")
    sandbox = root / "sandbox"
    sandbox.mkdir()
    archive = _tar(root / "f.tgz", [(n, k, b"data" if k == "file" else link) for n, k, link in members])
    before = set(root.rglob("*"))
    target = sandbox / "out"
    try:
        safe_extract(archive, target, max_bytes=1 << 16, max_files=50)
    except ModelError:
        assert not target.exists()
    else:
        inside = os.path.realpath(target)
        for path in target.rglob("*"):
            resolved = os.path.realpath(path)  # never raises on a loop, unlike Path.resolve()
            assert resolved == inside or resolved.startswith(inside + os.sep)
    after = set(root.rglob("*"))
    assert {p for p in after - before if target not in p.parents and p != target} == set()


def _tar_bytes(mode: str, payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tf:
        info = tarfile.TarInfo("model/weights.bin")
        info.size = len(payload)
        tf.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def test_a_tar_gz_whose_checksum_is_wrong_is_refused(tmp_path):
    """The data inflates cleanly, only gzip's CRC at the very end says it is not what was packed."""
    data = bytearray(_tar_bytes("w:gz", os.urandom(50_000)))
    data[-8:-4] = bytes(b ^ 0xFF for b in data[-8:-4])  # the CRC-32 of the trailer
    archive = tmp_path / "crc.tar.gz"
    archive.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"damaged or unreadable archive.*CRC"):
        safe_extract(archive, tmp_path / "out")
    _assert_nothing_left(tmp_path, tmp_path / "out", archive)


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz"])
@pytest.mark.parametrize("damage", ["flipped", "truncated"])
def test_a_damaged_compressed_tar_is_one_clear_error(tmp_path, mode, damage):
    data = bytearray(_tar_bytes(mode, os.urandom(200_000)))
    middle = len(data) // 2
    if damage == "flipped":
        data[middle : middle + 64] = bytes(b ^ 0x5A for b in data[middle : middle + 64])
    else:
        del data[middle:]
    archive = tmp_path / f"bad.{mode[2:]}"
    archive.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="damaged or unreadable archive") as caught:
        safe_extract(archive, tmp_path / "out")
    assert "\n" not in str(caught.value)
    _assert_nothing_left(tmp_path, tmp_path / "out", archive)


def _gz_tar_with_long_header(path: Path, kind: bytes, declared: int) -> Path:
    """A header whose data (a long name, a pax record) is `declared` bytes of zeros: they compress 1000:1."""
    header = tarfile.TarInfo("././@LongLink")
    header.type, header.size = kind, declared
    with gzip.open(path, "wb") as out:
        out.write(header.tobuf(format=tarfile.GNU_FORMAT))
        for _ in range(declared >> 20):
            out.write(bytes(1 << 20))
        out.write(bytes(1024))
    return path


@pytest.mark.parametrize("kind", [tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE])
def test_a_huge_long_name_or_pax_header_is_refused_before_it_is_read_into_memory(tmp_path, kind):
    archive = _gz_tar_with_long_header(tmp_path / "long.tar.gz", kind, 64 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeArchive, match="declares a 67 MB long name or pax header"):
            safe_extract(archive, tmp_path / "out")
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"{peak / 1e6:.0f} MB allocated while refusing"
    _assert_nothing_left(tmp_path, tmp_path / "out", archive)


@pytest.mark.parametrize("pax", [None, {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": "w"}])
def test_sparse_members_are_refused(tmp_path, pax):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT if pax else tarfile.GNU_FORMAT) as tf:
        info = tarfile.TarInfo("model/weights.bin")
        info.size = 512
        if pax:
            info.pax_headers = pax
        else:
            info.type = tarfile.GNUTYPE_SPARSE
        tf.addfile(info, io.BytesIO(bytes(512)))
    archive = tmp_path / "sparse.tar"
    archive.write_bytes(buffer.getvalue())
    with pytest.raises(UnsafeArchive, match="holds a sparse file"):
        safe_extract(archive, tmp_path / "out")
    _assert_nothing_left(tmp_path, tmp_path / "out", archive)


@pytest.mark.parametrize(
    ("doctoring", "message"),
    [
        ({"encrypted": True}, "is encrypted"),
        ({"method": 99}, r"uses a compression method \(99\)"),  # WinZip AES
        ({"method": 93}, r"uses a compression method \(93\)"),  # Zstandard: not in this Python's zipfile
    ],
)
def test_an_encrypted_or_unknown_method_zip_is_one_line_naming_the_member(tmp_path, doctoring, message):
    archive = tmp_path / "odd.zip"
    archive.write_bytes(doctored_zip({"model/weights.bin": b"w" * 5000}, **doctoring))
    with pytest.raises(UnsafeArchive, match=rf"entry 'model/weights.bin' {message}") as caught:
        safe_extract(archive, tmp_path / "out")
    assert "\n" not in str(caught.value)
    _assert_nothing_left(tmp_path, tmp_path / "out", archive)
