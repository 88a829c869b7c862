"""Hostile archives against store/extract.py, in our own words.

Ported (as cases, not code) from CPython's Lib/test/test_tarfile.py ``TestExtractionFilters``
including the 2025 filter bypasses (CVE-2025-4138, -4330, -4517), from test_zipfile's "hacker
arcname" cases, plus bombs and a Hypothesis search for any member sequence that leaves something
outside the root or a path inside that resolves outside. Our policy is stricter than the data
filter's: where it strips or sanitises a name we refuse the archive, naming the member.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import tarfile
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slm_desktop.errors import ModelError
from slm_desktop.store import extract
from slm_desktop.store.extract import UnsafeArchive, safe_extract

# ---------------------------------------------------------------- building archives


def _tar(path: Path, members: list[dict], mode: str = "w:gz") -> Path:
    """members: dicts with name and one of data / symlink / hardlink / type, optional mode bits."""
    with tarfile.open(path, mode) as tf:
        for m in members:
            info = tarfile.TarInfo(m["name"])
            if "mode" in m:
                info.mode = m["mode"]
            if "symlink" in m:
                info.type, info.linkname = tarfile.SYMTYPE, m["symlink"]
            elif "hardlink" in m:
                info.type, info.linkname = tarfile.LNKTYPE, m["hardlink"]
            elif "type" in m:
                info.type = m["type"]
            if info.isreg():
                data = m.get("data", b"")
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return path


class Box:
    """An outer folder with a sentinel file; extraction goes to outer/dest. Checks the invariant."""

    def __init__(self, tmp_path: Path):
        self.outer = tmp_path / "outer"
        self.outer.mkdir()
        self.dest = self.outer / "dest"
        self.flag = self.outer / "flag"
        self.flag.write_text("sentinel")
        self.before = self._snapshot()

    def _snapshot(self) -> dict[Path, tuple]:
        return {p: (p.is_symlink(), p.lstat().st_mode, p.lstat().st_mtime_ns) for p in self.outer.rglob("*")}

    def extract(self, archive: Path, **limits) -> Path:
        return safe_extract(archive, self.dest, **limits)

    def refused(self, archive: Path, *needles: str, **limits) -> str:
        with pytest.raises(UnsafeArchive) as info:
            self.extract(archive, **limits)
        message = str(info.value)
        assert "\n" not in message
        for needle in needles:
            assert needle in message, message
        self.assert_clean()
        assert not self.dest.exists()
        return message

    def assert_clean(self) -> None:
        """Nothing new or changed outside dest; the sentinel intact; nothing inside leads outside."""
        after = self._snapshot()
        outside = {p: v for p, v in after.items() if self.dest not in p.parents and p != self.dest}
        assert outside == self.before, set(outside.items()) ^ set(self.before.items())
        assert self.flag.read_text() == "sentinel" and stat.S_IMODE(self.flag.stat().st_mode) != 0o777
        if self.dest.exists():
            inside = os.path.realpath(self.dest)
            for path in self.dest.rglob("*"):
                real = os.path.realpath(path)
                assert real == inside or real.startswith(inside + os.sep), (path, real)


@pytest.fixture
def box(tmp_path):
    return Box(tmp_path)


# ---------------------------------------------------------------- CPython TestExtractionFilters cases


def test_benign_file(box, tmp_path):
    out = box.extract(_tar(tmp_path / "a.tgz", [{"name": "benign.txt", "data": b"ok"}]))
    assert (out / "benign.txt").read_bytes() == b"ok"
    box.assert_clean()


def test_absolute_member_is_refused_not_stripped(box, tmp_path):
    archive = _tar(tmp_path / "a.tgz", [{"name": str(box.outer / "escaped.evil"), "data": b"x"}])
    box.refused(archive, "escaped.evil", "absolute")


def test_parent_symlink_current_then_parent(box, tmp_path):
    # current -> . ; parent -> current/.. (really ./..) ; parent/evil
    members = [{"name": "current", "symlink": "."}, {"name": "parent", "symlink": "current/.."}]
    box.refused(_tar(tmp_path / "a.tgz", [*members, {"name": "parent/evil", "data": b"x"}]), "'current'")
    # without the loop link, the escape itself is named
    box.refused(_tar(tmp_path / "b.tgz", [{"name": "parent", "symlink": "./.."}]), "'parent'", "outside")


def test_parent_symlink2_link_inside_a_link(box, tmp_path):
    # current -> . ; current/parent -> .. (written through current) ; parent/evil
    members = [
        {"name": "d", "type": tarfile.DIRTYPE},
        {"name": "current", "symlink": "d"},
        {"name": "current/parent", "symlink": ".."},
        {"name": "parent/evil", "data": b"x"},
    ]
    box.refused(_tar(tmp_path / "a.tgz", members), "'current/parent'", "through the link 'current'")


def test_absolute_symlink_and_hardlink(box, tmp_path):
    box.refused(
        _tar(
            tmp_path / "a.tgz", [{"name": "parent", "symlink": str(box.outer)}, {"name": "parent/evil", "data": b"x"}]
        ),
        "'parent'",
        "absolute",
    )
    box.refused(_tar(tmp_path / "b.tgz", [{"name": "parent", "hardlink": str(box.flag)}]), "'parent'", "absolute")


def test_sly_relative_names(box, tmp_path):
    box.refused(_tar(tmp_path / "a.tgz", [{"name": "../moo", "symlink": "..//tmp/moo"}]), "'../moo'", "'..'")
    members = [{"name": "tmp/", "type": tarfile.DIRTYPE}, {"name": "tmp/../../moo", "symlink": "tmp/../..//tmp/moo"}]
    box.refused(_tar(tmp_path / "b.tgz", members), "'tmp/../../moo'", "'..'")


def test_deep_symlink_and_hardlink_inside(box, tmp_path):
    members = [
        {"name": "targetdir/target", "data": b"abc"},
        {"name": "linkdir/hardlink", "hardlink": "targetdir/target"},  # relative to the archive
        {"name": "linkdir/symlink", "symlink": "../targetdir/target"},  # relative to the link's folder
    ]
    out = box.extract(_tar(tmp_path / "a.tgz", members))
    assert (out / "linkdir/hardlink").read_bytes() == b"abc" and not (out / "linkdir/hardlink").is_symlink()
    assert os.readlink(out / "linkdir/symlink") == "../targetdir/target"
    assert (out / "linkdir/symlink").read_bytes() == b"abc"
    assert (out / "linkdir/hardlink").stat().st_ino != (out / "targetdir/target").stat().st_ino
    box.assert_clean()


def test_chains_of_links_created_before_their_targets(box, tmp_path):
    members = [
        {"name": "linkdir/symlink", "symlink": "hardlink"},
        {"name": "symlink2", "symlink": "linkdir/hardlink2"},
        {"name": "targetdir/target", "data": b"abc"},
        {"name": "linkdir/hardlink", "hardlink": "targetdir/target"},
        {"name": "linkdir/hardlink2", "hardlink": "linkdir/symlink"},  # a hard link to a symlink to a file
    ]
    out = box.extract(_tar(tmp_path / "a.tgz", members))
    for name in ("targetdir/target", "linkdir/hardlink", "linkdir/hardlink2", "linkdir/symlink", "symlink2"):
        assert (out / name).read_bytes() == b"abc", name
    assert os.readlink(out / "symlink2") == "linkdir/hardlink2"
    box.assert_clean()


def test_modes_are_cleaned_like_the_data_filter(box, tmp_path):
    modes = {"all_bits": 0o7777, "perm_bits": 0o777, "exec_group_other": 0o677, "read_group_only": 0o040, "no_bits": 0}
    members = [{"name": n, "data": b"x", "mode": m} for n, m in modes.items()]
    out = box.extract(_tar(tmp_path / "a.tgz", members))
    got = {n: stat.filemode(stat.S_IMODE((out / n).stat().st_mode))[1:] for n in modes}
    assert got == {
        "all_bits": "rwxr-xr-x",
        "perm_bits": "rwxr-xr-x",
        "exec_group_other": "rw-r--r--",
        "read_group_only": "rw-r-----",
        "no_bits": "rw-------",
    }


@pytest.mark.parametrize("kind", [tarfile.FIFOTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE])
def test_special_files_are_refused(box, tmp_path, kind):
    box.refused(_tar(tmp_path / "a.tgz", [{"name": "foo", "type": kind}]), "'foo'")


def test_realpath_limit_attack_cve_2025_4517(box, tmp_path):
    """Links whose expansion passes PATH_MAX, where os.path.realpath stops resolving."""
    steps = "abcdefghijklmnop"
    component = "d" * ((4096 - len(str(box.dest)) - 1) // (len(steps) + 1))
    members, path = [], ""
    for step in steps:
        members.append({"name": os.path.join(path, component), "type": tarfile.DIRTYPE})
        members.append({"name": os.path.join(path, step), "symlink": component})
        path = os.path.join(path, component)
    link = os.path.join(*steps, "l" * 254)
    members += [
        {"name": link, "symlink": os.path.join(*[".."] * len(steps))},
        {"name": "escape", "symlink": os.path.join(link, "..")},
        {"name": "flaglink", "hardlink": os.path.join("escape", "flag")},
        {"name": "flaglink", "data": b"overwrite"},
        {"name": "escape/newfile", "data": b"new"},
    ]
    box.refused(_tar(tmp_path / "a.tar", members, "w"), "nothing was installed")
    assert not (box.outer / "newfile").exists()


def test_hardlink_then_overwrite_is_refused(box, tmp_path):
    members = [{"name": "a", "data": b"1"}, {"name": "h", "hardlink": "a"}, {"name": "h", "data": b"2"}]
    box.refused(_tar(tmp_path / "a.tgz", members), "'h'", "appears twice")


def test_hardlink_to_a_symlink_pointing_outside_gh_157190(box, tmp_path):
    members = [{"name": "s", "symlink": "../flag"}, {"name": "h", "hardlink": "s"}]
    box.refused(_tar(tmp_path / "a.tgz", members), "'s'", "outside")


def test_chmod_through_a_link_cve_2025_4330(box, tmp_path):
    # a link to a folder outside, then a directory member of the same name that would chmod it
    members = [{"name": "x", "symlink": "../.."}, {"name": "x", "type": tarfile.DIRTYPE, "mode": 0o777}]
    box.refused(_tar(tmp_path / "a.tgz", members), "'x'")
    members = [
        {"name": "in", "type": tarfile.DIRTYPE},
        {"name": "x", "symlink": "in"},
        {"name": "x/", "type": tarfile.DIRTYPE},
    ]
    box.refused(_tar(tmp_path / "b.tgz", members), "'x'", "appears twice")


def test_hardlink_fallback_cve_2025_4138(box, tmp_path):
    # tarfile extracts a hard link whose target is missing from the archive's own copy; we refuse
    members = [{"name": "escape", "symlink": "."}, {"name": "h", "hardlink": "missing"}]
    box.refused(_tar(tmp_path / "a.tgz", members[1:]), "'h'", "without an earlier file")
    box.refused(_tar(tmp_path / "b.tgz", [{"name": "h", "hardlink": "later"}, {"name": "later", "data": b"x"}]), "'h'")


def test_link_made_harmful_by_a_later_link_is_caught(box, tmp_path):
    # 'a -> d/..' is inside while 'd' is missing; once 'd -> e/..' exists... stays inside; but d -> '.'
    # would make a loop, and d -> 'sub/../..' escapes: the final check re-resolves every link
    members = [{"name": "a", "symlink": "d/../x"}, {"name": "d", "symlink": "sub/../.."}]
    box.refused(_tar(tmp_path / "a.tgz", members), "'d'", "outside")
    members = [{"name": "sub/q", "data": b"1"}, {"name": "a", "symlink": "d/../.."}, {"name": "d", "symlink": "sub"}]
    box.refused(_tar(tmp_path / "b.tgz", members), "'a'", "outside")


def test_self_loop_is_refused(box, tmp_path):
    box.refused(_tar(tmp_path / "a.tgz", [{"name": "l", "symlink": "l/x"}]), "'l'")
    box.refused(
        _tar(tmp_path / "b.tgz", [{"name": "p", "symlink": "q"}, {"name": "q", "symlink": "p"}]), "'q'", "itself"
    )


# ---------------------------------------------------------------- zip "hacker arcnames"


@pytest.mark.parametrize(
    "name",
    [
        "../foo/bar",
        "foo/../../bar",
        "./../foo/bar",
        "/foo/bar",
        "/foo/../bar",
        "//foo/bar",
        "\\foo\\bar",
        "..\\foo\\bar",
        "foo\\..\\..\\bar",
        "C:\\foo\\bar",
        "C:/foo/bar",
        "C:foo/bar",
        "\\\\conky\\mountpoint\\foo\\bar",
        "//conky/mountpoint/foo/bar",
        "//?/C:/foo/bar",
        "../../foo../../ba..r",
    ],
)
def test_zip_hacker_arcnames_are_refused(box, tmp_path, name):
    archive = tmp_path / "h.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.txt", b"fine")
        info = zipfile.ZipInfo("x")
        info.filename = name  # set after creation: the raw name goes into the archive
        zf.writestr(info, b"evil")
    box.refused(archive, "nothing was installed")


@pytest.mark.parametrize("name", ["foo../ba..r", "foo/./bar", ".../x", "foo/bar/"])
def test_zip_odd_but_harmless_names_extract_inside(box, tmp_path, name):
    archive = tmp_path / "h.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(name, b"" if name.endswith("/") else b"ok")
    out = box.extract(archive)
    assert (out / name.rstrip("/")).exists()
    box.assert_clean()


def test_zip_member_with_an_empty_name_is_refused_in_one_line(box, tmp_path):
    stream, size, crc = _zeros_deflate(1, chunk=1024)
    box.refused(_raw_zip(tmp_path / "e.zip", "", stream, size, crc), "''", "empty name")


def test_zip_symlink_escape_and_write_through(box, tmp_path):
    archive = tmp_path / "l.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("d/keep", b"k")
        info = zipfile.ZipInfo("side")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "d")
        zf.writestr("side/evil", b"x")
    box.refused(archive, "'side/evil'", "through the link 'side'")


# ---------------------------------------------------------------- bombs


def _zeros_deflate(n_chunks: int, chunk: int = 16 << 20) -> tuple[bytes, int, int]:
    """A raw deflate stream of n_chunks*chunk zero bytes, built without compressing them all.

    After a full flush a deflate block does not refer back, so every 16 MiB of zeros compresses to
    the same bytes: compress one, repeat it. Returns (stream, uncompressed size, crc32).
    """
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(bytes(chunk)) + comp.flush(zlib.Z_FULL_FLUSH)
    stream = block * n_chunks + b"\x03\x00"  # an empty final block
    crc = 0
    zeros = bytes(chunk)
    for _ in range(n_chunks):
        crc = zlib.crc32(zeros, crc)
    return stream, n_chunks * chunk, crc


def _raw_zip(path: Path, name: str, stream: bytes, size: int, crc: int) -> Path:
    """One deflated member with exactly the sizes given (no zip64 needed below 4 GiB)."""
    fname = name.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(stream), size, len(fname), 0)
    central = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(stream), size, len(fname), 0, 0, 0, 0, 0o644 << 16, 0
    )
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(fname), len(local) + len(fname) + len(stream), 0
    )
    path.write_bytes(local + fname + stream + central + fname + end)
    return path


def test_two_gib_zip_of_zeros_is_refused_as_a_bomb_before_writing(box, tmp_path, monkeypatch):
    stream, size, crc = _zeros_deflate(128)  # 2 GiB
    archive = _raw_zip(tmp_path / "bomb.zip", "model/big.bin", stream, size, crc)
    assert archive.stat().st_size < 4 << 20 and size == 2 << 30
    with zipfile.ZipFile(archive) as zf:  # a valid zip: the standard library would inflate all of it
        assert zf.getinfo("model/big.bin").file_size == 2 << 30
        with zf.open("model/big.bin") as src:
            assert src.read(1 << 20) == bytes(1 << 20)
    copies = []
    real_copy = extract._copy
    monkeypatch.setattr(extract, "_copy", lambda *a: copies.append(a) or real_copy(*a))
    message = box.refused(archive, "'model/big.bin'", "bomb")
    assert "2147 MB" in message and copies == []  # refused before any file was written


def test_tar_gz_bomb_is_refused_on_the_ratio(box, tmp_path):
    archive = _tar(tmp_path / "b.tgz", [{"name": "zeros.bin", "data": bytes(64 << 20)}])
    assert archive.stat().st_size < 1 << 20
    box.refused(archive, "'zeros.bin'", "bomb")


def test_a_real_model_ratio_passes(box, tmp_path):
    # like a Vosk graph (5.6:1, the worst member of a real model): text-like but varied data
    data = b"".join(f"{i} {i * 7 % 1000} {i % 13}\n".encode() for i in range(300_000))
    archive = tmp_path / "m.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("graph/HCLr.fst", data)
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("graph/HCLr.fst")
    assert 3 < info.file_size / info.compress_size < extract.MAX_RATIO and info.file_size > extract.RATIO_FLOOR
    out = box.extract(archive)
    assert (out / "graph/HCLr.fst").read_bytes() == data


def test_stream_longer_than_declared_is_cut_off_while_writing(tmp_path):
    class Endless(io.RawIOBase):
        def readable(self):
            return True

        def read(self, n=-1):
            return bytes(n if n and n > 0 else 1 << 20)

    plan = extract._Plan(tmp_path / "a.zip")
    entry = extract._Entry("big.bin", "file", 3 << 20)
    dest = tmp_path / "big.bin"
    with pytest.raises(UnsafeArchive, match=r"'big\.bin' unpacks past its declared size .*bomb"):
        extract._copy(plan, entry, Endless(), dest)
    assert dest.stat().st_size <= 3 << 20


def test_zip_whose_header_lies_about_the_size_is_cut_off(box, tmp_path, monkeypatch):
    stream, _, crc = _zeros_deflate(1, chunk=4 << 20)  # really 4 MiB of zeros
    archive = _raw_zip(tmp_path / "lie.zip", "x.bin", stream, 1 << 18, crc)  # says 256 KiB (ratio under 20)
    written = []
    real_copy = extract._copy

    def copy(plan, entry, src, dest):
        try:
            real_copy(plan, entry, src, dest)
        finally:
            written.append(dest.stat().st_size if dest.exists() else 0)

    monkeypatch.setattr(extract, "_copy", copy)
    with pytest.raises(ModelError) as info:
        box.extract(archive)
    assert "'x.bin'" in str(info.value) or "x.bin" in str(info.value)
    assert written and max(written) <= 1 << 18  # never more than the header declared
    box.assert_clean()
    assert not box.dest.exists()


def test_not_enough_free_disk_is_refused_before_writing(box, tmp_path, monkeypatch):
    archive = tmp_path / "m.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("model/a.bin", os.urandom(1 << 20))
    real = extract.shutil.disk_usage
    monkeypatch.setattr(extract.shutil, "disk_usage", lambda p: real(p)._replace(free=8 << 20))
    box.refused(archive, "too large", "free")


# ---------------------------------------------------------------- the invariant, searched for

# member names mostly plain (so plans get deep), sometimes hostile; link targets climb freely
_plain = st.lists(st.sampled_from(["a", "b", "up", "c"]), min_size=1, max_size=5).map("/".join)
_hostile = st.lists(st.sampled_from(["a", "up", "..", "", "C:", "x\\..", "l" * 200]), min_size=1, max_size=5).map(
    "/".join
)
_names = st.one_of(_plain, _plain, _plain, _hostile)
_targets = st.lists(st.sampled_from(["a", "b", "up", "c", "..", ".", "x\\.."]), min_size=1, max_size=7).map("/".join)
_member = st.one_of(
    st.builds(lambda n: {"name": n, "data": b"data"}, _names),
    st.builds(lambda n: {"name": n, "type": tarfile.DIRTYPE}, _names),
    st.builds(lambda n, t: {"name": n, "symlink": t}, _names, _targets),
    st.builds(lambda n, t: {"name": n, "symlink": t}, _names, _targets),
    st.builds(lambda n, t: {"name": n, "hardlink": t}, _names, _plain),
    st.builds(lambda n, t: {"name": n, "symlink": "/" + t}, _names, _plain).filter(lambda m: len(m["name"]) % 5 == 0),
)


def _check_invariant(tmp_path_factory, archive_builder, members) -> None:
    box = Box(tmp_path_factory.mktemp("fuzz"))
    archive = archive_builder(box.outer.parent / "f.arc", members)
    box.before = box._snapshot()
    try:
        box.extract(archive, max_bytes=1 << 16, max_files=50)
    except ModelError as exc:
        assert "\n" not in str(exc) and not box.dest.exists()
    box.assert_clean()
    assert not list(box.outer.glob(".extract-*"))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.lists(_member, min_size=1, max_size=8))
def test_fuzz_tar_nothing_outside_and_nothing_inside_leads_out(tmp_path_factory, members):
    _check_invariant(tmp_path_factory, lambda p, m: _tar(p, m, "w"), members)


def _zip_of(path: Path, members: list[dict]) -> Path:
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as zf:
        warnings.simplefilter("ignore")  # duplicate names are part of the search
        for m in members:
            if "hardlink" in m or not m["name"]:
                continue  # zip has no hard links; zipfile cannot write an empty name (tested apart)
            info = zipfile.ZipInfo("placeholder")
            info.filename = m["name"] + ("/" if m.get("type") == tarfile.DIRTYPE else "")
            if "symlink" in m:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, m["symlink"])
            else:
                zf.writestr(info, m.get("data", b""))
    return path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.lists(_member, min_size=1, max_size=8))
def test_fuzz_zip_nothing_outside_and_nothing_inside_leads_out(tmp_path_factory, members):
    _check_invariant(tmp_path_factory, _zip_of, members)
