"""ModelsDialog with real widgets, the real worker and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from PySide6.QtCore import Qt
from qt_support import WorkerEvents
from store_helpers import catalog_toml, gguf_entry, sha256, tiny_gguf_bytes

from slm_desktop.paths import AppPaths
from slm_desktop.store.catalog import load_catalog
from slm_desktop.store.download import Progress
from slm_desktop.store.manager import ModelManager
from slm_desktop.ui.models_dialog import ModelsDialog
from slm_desktop.worker import Worker


@pytest.fixture
def worker(qtbot):
    w = Worker()
    yield w
    w.shutdown()


@pytest.fixture
def paths(tmp_path) -> AppPaths:
    return AppPaths(config_dir=tmp_path / "config", data_dir=tmp_path / "data", models_env=tmp_path / "models")


def _dialog(qtbot, paths, worker, entries, **kwargs) -> ModelsDialog:
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    (paths.config_dir / "catalog.toml").write_text(catalog_toml(entries), encoding="utf-8")
    dialog = ModelsDialog(ModelManager(paths, load_catalog(paths)), worker, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _installed_names(dialog: ModelsDialog) -> list[str]:
    table = dialog.installed_table
    return [table.item(row, 0).text() for row in range(table.rowCount())]


def test_install_from_the_catalog_shows_progress_and_lists_the_model(qtbot, server, worker, paths, tmp_path):
    data = tiny_gguf_bytes(tmp_path, elements=1 << 20)  # 4 MB: several progress updates
    dialog = _dialog(qtbot, paths, worker, [gguf_entry("tiny", data, [server.add("t.gguf", data, delay_s=0.02)])])
    events = WorkerEvents(qtbot, worker)
    dialog.tabs.setCurrentIndex(1)
    dialog.select_catalog("tiny")
    with qtbot.waitSignal(dialog.modelsChanged, timeout=20000):
        qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
        assert dialog.cancel_button.isEnabled() and not dialog.install_button.isEnabled()
    assert "tiny.gguf" in _installed_names(dialog)
    progress: list[Progress] = [args[2] for args in events.args("progress")]
    assert progress and progress[-1].done == len(data) and progress[-1].speed > 0
    assert dialog.status.text().startswith("Installed tiny.gguf")
    assert not dialog.progress.isVisible() and dialog.install_button.isEnabled()
    assert (paths.install_dir / "tiny.gguf").read_bytes() == data


def test_cancel_stops_the_download_and_installs_nothing(qtbot, server, worker, paths, tmp_path):
    data = tiny_gguf_bytes(tmp_path)
    gate = threading.Event()
    dialog = _dialog(qtbot, paths, worker, [gguf_entry("tiny", data, [server.add("t.gguf", data, gate=gate)])])
    dialog.select_catalog("tiny")
    with WorkerEvents(qtbot, worker).waiting("started", timeout=5000):
        qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    with WorkerEvents(qtbot, worker).waiting("cancelled", timeout=10000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        gate.set()
    assert "Cancelled" in dialog.status.text()
    assert not (paths.install_dir / "tiny.gguf").exists()
    assert dialog.install_button.isEnabled()


def test_unverified_entry_asks_first_and_downloads_nothing_on_no(qtbot, server, worker, paths, tmp_path):
    data = tiny_gguf_bytes(tmp_path)
    entry = gguf_entry("tiny", data, [server.add("t.gguf", data)], sha256="", sha256_unverified=True)
    dialog = _dialog(qtbot, paths, worker, [entry])
    asked = []
    dialog.ask_trust = lambda e: asked.append(e.id) or False
    dialog.select_catalog("tiny")
    qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    assert asked == ["tiny"] and "not installed" in dialog.status.text() and server.log == []


def test_unverified_download_shows_hash_and_source_and_pins_only_on_yes(qtbot, server, worker, paths, tmp_path):
    """The computed hash is shown after the download (asked from the store lane, answered on the GUI
    thread) and nothing is installed or pinned until the user says yes."""
    data = tiny_gguf_bytes(tmp_path)
    url = server.add("t.gguf", data)
    entry = gguf_entry("tiny", data, [url], sha256="", sha256_unverified=True)
    dialog = _dialog(qtbot, paths, worker, [entry])
    events = WorkerEvents(qtbot, worker)
    dialog.ask_trust = lambda e: True
    shown: list[tuple] = []
    answers = [False, True]
    dialog.ask_pin = lambda e, sha, src: shown.append((e.id, sha, src, threading.current_thread())) or answers.pop(0)
    dialog.select_catalog("tiny")
    with events.waiting("failed", kind="model-install", timeout=20000):
        qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    assert shown[0][:3] == ("tiny", sha256(data), url) and shown[0][3] is threading.main_thread()
    assert "not installed" in dialog.status.text() and sha256(data) in dialog.status.text()
    assert not (paths.config_dir / "pinned.toml").exists() and not (paths.install_dir / "tiny.gguf").exists()
    with events.waiting("finished", kind="model-install", timeout=20000):
        qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    assert len(shown) == 2 and (paths.install_dir / "tiny.gguf").read_bytes() == data
    assert load_catalog(paths).get("tiny").sha256 == sha256(data)


def test_import_remove_default_and_loaded_refusal(qtbot, worker, paths, tmp_path):
    source = tmp_path / "mine.gguf"
    source.write_bytes(tiny_gguf_bytes(tmp_path))
    loaded: set = set()
    dialog = _dialog(qtbot, paths, worker, [], loaded=lambda: set(loaded))
    with qtbot.waitSignal(dialog.modelsChanged, timeout=10000):
        dialog.import_path(source)
    assert "mine.gguf" in _installed_names(dialog)
    dialog.select_installed("mine.gguf")
    with qtbot.waitSignal(dialog.defaultChanged) as blocker:
        qtbot.mouseClick(dialog.default_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["completion", "mine.gguf"]
    loaded.add(paths.install_dir / "mine.gguf")
    dialog.select_installed("mine.gguf")
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert "in use" in dialog.status.text() and "mine.gguf" in _installed_names(dialog)
    loaded.clear()
    dialog.select_installed("mine.gguf")
    with qtbot.waitSignal(dialog.modelsChanged):
        qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert "mine.gguf" not in _installed_names(dialog)


def test_failed_import_shows_one_line(qtbot, worker, paths, tmp_path):
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"nope" * 100)
    dialog = _dialog(qtbot, paths, worker, [])
    with WorkerEvents(qtbot, worker).waiting("failed", timeout=10000):
        dialog.import_path(fake)
    assert "not a GGUF model" in dialog.status.text() and "\n" not in dialog.status.text()


def test_widgets_have_accessible_names(qtbot, worker, paths):
    dialog = _dialog(qtbot, paths, worker, [])
    widgets = [dialog.install_button, dialog.remove_button, dialog.cancel_button, dialog.progress]
    widgets += [dialog.installed_table, dialog.catalog_table, dialog.recommend_view, dialog.measure_button]
    assert all(widget.accessibleName() for widget in widgets)


def test_the_dialog_module_imports_no_inference_library():
    code = (
        "import sys, slm_desktop.ui.models_dialog\n"
        "bad = [m for m in ('llama_cpp', 'vosk', 'onnxruntime', 'ctranslate2', 'sentencepiece') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr


@pytest.mark.slow  # loads and runs llama.cpp: 6-20 s on a busy 2-core machine
def test_measure_recommends_with_the_real_default_model(qtbot, worker, app_paths):
    dialog = ModelsDialog(ModelManager(app_paths), worker, languages=("en", "es"))
    qtbot.addWidget(dialog)
    with WorkerEvents(qtbot, worker).waiting("finished", timeout=120000):
        qtbot.mouseClick(dialog.measure_button, Qt.MouseButton.LeftButton)
    text = dialog.recommend_view.toPlainText()
    assert "tokens/s" in text and "tok/s here" in text and "Vosk small Spanish" in text
    assert dialog.tabs.currentIndex() == 2


def _catalog_status(dialog: ModelsDialog) -> dict[str, str]:
    table = dialog.catalog_table
    return {table.item(row, 0).text(): table.item(row, 6).text() for row in range(table.rowCount())}


def test_translation_models_say_they_need_ctranslate2_when_it_is_missing(qtbot, worker, paths, monkeypatch):
    ct2 = gguf_entry("opus-mt-en-de", b"x", ["http://127.0.0.1:9/x"], kind="translation", format="ctranslate2")
    ct2 |= {"engine": "ctranslate2", "filename": "opus-mt-en-de.tar.gz", "languages": ["en", "de"]}
    dialog = _dialog(qtbot, paths, worker, [gguf_entry("tiny", b"GGUF", ["http://127.0.0.1:9/t"]), ct2])
    assert _catalog_status(dialog)["opus-mt-en-de"] == ""  # the test venv has CTranslate2
    monkeypatch.setitem(sys.modules, "ctranslate2", None)  # as in a bundle built with --exclude ctranslate2
    dialog.refresh()
    status = _catalog_status(dialog)
    assert status["opus-mt-en-de"] == "needs CTranslate2" and status["tiny"] == ""
    table = dialog.catalog_table
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "opus-mt-en-de")
    assert table.item(row, 6).toolTip() == "pip install ctranslate2 sentencepiece"


class _CountingEngine:
    """Stands in for the suggestion engine (plumbing only): records the thread of every call."""

    threads = 2

    def __init__(self):
        self.calls: list[str] = []

    def complete(self, before, *, after="", max_tokens=12, stop=(), cancel=None, on_token=None):
        from slm_desktop.engines.base import Completion

        self.calls.append(threading.current_thread().name)
        for piece in (" a", " b", " c"):
            on_token(piece)
        return Completion(" a b c", 3, 1.0, "fake.gguf")


def test_measuring_reuses_the_loaded_suggestion_engine_on_the_completion_lane(qtbot, worker, paths, tmp_path):
    """No second copy of the model: the measurement asks the completion lane for the engine the suggestions
    already loaded there, under the same key, instead of loading the file again on the store lane."""
    from slm_desktop.completion import CompletionChoice

    model = tmp_path / "fake.gguf"
    model.write_bytes(b"GGUF" + bytes(60))
    engine, loads = _CountingEngine(), []

    def factory():
        loads.append(1)
        return engine

    choice = CompletionChoice(model, "completion:fake", factory)
    events = WorkerEvents(qtbot, worker)
    with events.waiting("finished", timeout=5000):  # what the suggestions did first
        worker.submit("suggest", lambda ctx: ctx.engine(choice.key, choice.factory), lane="completion")
    dialog = _dialog(qtbot, paths, worker, [], completion=lambda: choice)
    with events.waiting("finished", kind="model-recommend", timeout=20000):
        qtbot.mouseClick(dialog.measure_button, Qt.MouseButton.LeftButton)
    assert loads == [1]
    assert engine.calls and set(engine.calls) == {"slm-lane-completion"}
    assert worker.engines("completion") == ["completion:fake"] and worker.engines("store") == []
    assert "Measured fake.gguf" in dialog.recommend_view.toPlainText()


def test_measuring_times_the_local_model_when_the_suggestions_use_a_server(qtbot, worker, paths, tmp_path):
    """With a server in front (FallbackCompletionEngine), the measurement asks it for the local engine:
    the figure is this machine's speed, not the server's."""
    from slm_desktop.completion import CompletionChoice

    model = tmp_path / "fake.gguf"
    model.write_bytes(b"GGUF" + bytes(60))
    local = _CountingEngine()

    class ServerFirst:
        def complete(self, *args, **kwargs):
            raise AssertionError("measured the server")

        def local_engine(self):
            return local

    choice = CompletionChoice(model, "completion:fake", ServerFirst)
    dialog = _dialog(qtbot, paths, worker, [], completion=lambda: choice)
    with WorkerEvents(qtbot, worker).waiting("finished", kind="model-recommend", timeout=20000):
        qtbot.mouseClick(dialog.measure_button, Qt.MouseButton.LeftButton)
    assert local.calls and "Measured fake.gguf" in dialog.recommend_view.toPlainText()


def test_first_run_text_says_what_is_installed_and_what_could_be_added(app_paths):
    """The shipped catalog and the repository's models (the default GGUF, the intent model), as a new user with the
    bundle or the .deb has them: installed recommendations say so, the others say how to add them."""
    from slm_desktop.store import recommend as rec
    from slm_desktop.ui.models_dialog import recommendation_lines

    manager = ModelManager(app_paths)
    hw = rec.Hardware("x86_64", 2, 24000, 20000, ("avx2",))
    gguf = manager.find_installed("SmolLM2-135M-Instruct.Q4_1.gguf").path
    sample = rec.SpeedSample(gguf.name, gguf.stat().st_size, 120.0, 2)  # fast enough for every catalog model
    recs = rec.recommend(manager.catalog, hw, sample, languages=("en", "es"))
    lines = recommendation_lines(recs, manager.list_installed(), manager.catalog)
    assert lines[0].startswith("Installed, ready offline: ")
    assert "SmolLM2-135M-Instruct.Q4_1.gguf (suggestions)" in lines[0] and "intent-minilm-int8 (commands)" in lines[0]
    added = [line for line in lines if "could be added (Get models → Install, " in line]
    assert added and all(line.startswith("[recommended] ") for line in added)
    installed = [line for line in lines if ", installed] " in line]
    assert all("could be added" not in line for line in installed)
    assert lines[-1] == "Nothing is downloaded until you choose Install."
