"""Safe extraction: hostile archives are rejected before anything is written."""

import stat
import zipfile

import pytest

from slm_desktop.errors import ModelError
from slm_desktop.store.archive import ArchiveLimits, UnsafeArchive, safe_extract


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members:  # name: a str or a ZipInfo (to set a symlink mode)
            bundle.writestr(name, data)
    return path


def test_good_archive_extracts_atomically(tmp_path):
    archive = _zip(tmp_path / "ok.argosmodel", [("pkg/metadata.json", "{}"), ("pkg/model/model.bin", b"\0" * 10)])
    dest = safe_extract(archive, tmp_path / "out" / "ok")
    assert (dest / "pkg" / "model" / "model.bin").read_bytes() == b"\0" * 10
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["ok"]  # no staging folder left


@pytest.mark.parametrize(
    "name",
    ["/etc/evil", "../evil", "pkg/../../evil", "C:/evil", "\\evil", "pkg\\..\\..\\evil"],
)
def test_escaping_paths_are_rejected(tmp_path, name):
    archive = _zip(tmp_path / "bad.zip", [("pkg/fine.txt", "x"), (name, "pwned")])
    with pytest.raises(UnsafeArchive):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil").exists()


def test_symlink_member_is_rejected(tmp_path):
    link = zipfile.ZipInfo("pkg/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _zip(tmp_path / "link.zip", [(link, "/etc/passwd")])
    with pytest.raises(UnsafeArchive, match="symbolic link"):
        safe_extract(archive, tmp_path / "out")


def test_zip_bomb_is_rejected_by_ratio(tmp_path):
    archive = _zip(tmp_path / "bomb.zip", [("pkg/zeros", b"\0" * (20 << 20))])
    with pytest.raises(UnsafeArchive, match="absurd size"):
        safe_extract(archive, tmp_path / "out")


def test_total_size_limit(tmp_path):
    archive = _zip(tmp_path / "big.zip", [(f"pkg/{i}", bytes(range(256)) * 40) for i in range(5)])
    with pytest.raises(UnsafeArchive, match="unpacks to"):
        safe_extract(archive, tmp_path / "out", limits=ArchiveLimits(max_total_bytes=40_000))


def test_too_many_members(tmp_path):
    archive = _zip(tmp_path / "many.zip", [(f"pkg/{i}", "x") for i in range(20)])
    with pytest.raises(UnsafeArchive, match="members"):
        safe_extract(archive, tmp_path / "out", limits=ArchiveLimits(max_members=10))


def test_not_a_zip_is_one_line(tmp_path):
    fake = tmp_path / "fake.argosmodel"
    fake.write_bytes(b"this is not a zip")
    with pytest.raises(ModelError) as info:
        safe_extract(fake, tmp_path / "out")
    assert "\n" not in str(info.value) and "fake.argosmodel" in str(info.value)
