"""The translation panel with the real Apertium engine running in the real worker."""

import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from qt_support import WorkerEvents

from slm_desktop.engines.apertium import apertium_pairs
from slm_desktop.translation import Catalog
from slm_desktop.ui.translate_panel import TranslationPanel
from slm_desktop.worker import Worker

pytestmark = pytest.mark.skipif(
    shutil.which("apertium") is None, reason="needs apertium-eng-spa + apertium-eng-cat (scripts/setup.sh --test)"
)


@pytest.fixture
def worker():
    w = Worker()
    yield w
    w.shutdown()


@pytest.fixture
def panel(qtbot, worker, tmp_path):
    catalog = Catalog(tuple(apertium_pairs()), tmp_path / "unpacked")
    widget = TranslationPanel(worker, catalog, source="en", target="es", debounce_ms=50)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def _wait_for(qtbot, panel, word, timeout=10_000):
    qtbot.waitUntil(lambda: word in panel.translation(), timeout=timeout)


def test_typing_translates_live(qtbot, panel):
    qtbot.keyClicks(panel.source_edit, "Hello world, how are you today?")
    _wait_for(qtbot, panel, "Hola")
    assert "hoy" in panel.translation()


def test_sentences_stream_and_status_bar_figures(qtbot, panel):
    seen = []
    panel.progressChanged.connect(lambda done, total: seen.append((done, total)))
    with qtbot.waitSignal(panel.statsChanged, timeout=10_000) as stats:
        panel.translate_text("The cat sleeps. The dog runs. Good morning.")
    assert "words/s" in stats.args[0] and "apertium" in stats.args[0]
    assert seen[0] == (1, 3) and seen[-1] == (3, 3)
    assert "gato" in panel.translation() and "perro" in panel.translation()


def test_swap_moves_translation_to_source(qtbot, panel):
    panel.translate_text("Good morning.")
    _wait_for(qtbot, panel, "Buenos")
    panel.swap_button.click()
    assert (panel.source_language, panel.target_language) == ("es", "en")
    assert "Buenos" in panel.source_edit.toPlainText()
    _wait_for(qtbot, panel, "Good")


def test_insert_and_copy(qtbot, panel):
    panel.translate_text("Thank you.")
    _wait_for(qtbot, panel, "Gracias")
    with qtbot.waitSignal(panel.insertRequested, timeout=2000) as inserted:
        panel.insert_button.click()
    assert "Gracias" in inserted.args[0]
    panel.copy_button.click()
    from PySide6.QtGui import QGuiApplication

    assert "Gracias" in QGuiApplication.clipboard().text()


def test_translate_selection_into_another_target(qtbot, panel):
    panel.translate_text("Hello world, how are you today?", target="ca")
    assert panel.target_language == "ca"
    _wait_for(qtbot, panel, "avui")


def test_missing_pair_offers_install(qtbot, panel):
    panel.translate_text("Hello world.", target="de")
    assert "No model for en→de installed" in panel.status_label.text()
    assert panel.install_button.isVisibleTo(panel)
    with qtbot.waitSignal(panel.installRequested, timeout=2000) as wanted:
        panel.install_button.click()
    assert wanted.args == ["en", "de"]


def test_pivot_is_announced(qtbot, panel):
    source = panel.source_combo.findData("ca")
    panel.source_combo.setCurrentIndex(source)
    panel.translate_text("Bon dia. El gat dorm.")
    _wait_for(qtbot, panel, "gato")
    assert "via English" in panel.status_label.text()


def test_auto_detect_source(qtbot, panel):
    panel.source_combo.setCurrentIndex(panel.source_combo.findData("auto"))
    panel.translate_text("The cat is on the table and it is happy.")
    _wait_for(qtbot, panel, "gato")
    assert "Detected English" in panel.status_label.text()


def test_empty_text_is_a_no_op(qtbot, panel, worker):
    panel.translate_text("")
    assert panel.translation() == "" and not worker.busy("translation")


def test_long_text_shows_progress_and_stops(qtbot, panel):
    text = "".join(f"The river number {i} is very long and the house is small. " for i in range(2000))
    assert len(text) > 100_000
    panel.translate_text(text)
    qtbot.waitUntil(lambda: panel.progress_bar.isVisibleTo(panel) and panel.stop_button.isVisibleTo(panel))
    qtbot.waitUntil(lambda: "río" in panel.translation(), timeout=10_000)
    panel.stop_button.click()
    qtbot.waitUntil(lambda: panel.status_label.text() == "Translation stopped", timeout=10_000)
    assert len(panel.translation()) < len(text)


def test_control_characters_are_survived(qtbot, panel):
    panel.translate_text("Hello\x00 world.\ud800 Thank\x1b you.")
    _wait_for(qtbot, panel, "Gracias")


def test_every_widget_has_an_accessible_name(panel):
    """The panel's own widgets, shown or hidden (text boxes' viewports belong to their named box)."""
    own = panel.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
    assert len(own) >= 12
    assert [type(w).__name__ for w in own if not w.accessibleName()] == []


def test_ct2_model_loads_once_in_the_translation_lane(qtbot, worker, tmp_path):
    """The tiny Marian model (built here) through the panel: the engine loads in the lane, once."""
    from slm_desktop.bench.tiny_marian import build_ct2_model
    from slm_desktop.engines.ct2 import find_ct2_models

    build_ct2_model(tmp_path / "models" / "opus-mt-en-de")
    catalog = Catalog(tuple(find_ct2_models([tmp_path / "models"])), tmp_path / "unpacked", threads=1)
    widget = TranslationPanel(worker, catalog, source="en", target="de", debounce_ms=10)
    qtbot.addWidget(widget)
    events = WorkerEvents(qtbot, worker)
    with qtbot.waitSignal(widget.translationFinished, timeout=20_000):
        widget.translate_text("The cat sleeps. The dog runs.")
    with qtbot.waitSignal(widget.translationFinished, timeout=20_000):
        widget.translate_text("The cat sleeps. A new book.")
    assert widget.translation().strip()
    assert [lane for lane, _ in events.args("engineLoaded")] == ["translation"]


def test_text_in_the_wrong_source_language_gets_a_hint(qtbot, panel):
    panel.translate_text("El gato está en la casa y es muy bonito, pero no es para mí.")
    qtbot.waitUntil(lambda: "looks like Spanish" in panel.status_label.text(), timeout=10_000)


def test_new_catalog_after_install_keeps_the_choice(qtbot, panel, tmp_path):
    """A really new en→de pair (the tiny Marian model, built and converted here) arrives as after an install:
    the chosen languages stay, the install offer goes, and the text is translated with the new pair."""
    from slm_desktop.bench.tiny_marian import build_ct2_model
    from slm_desktop.engines.ct2 import find_ct2_models

    panel.translate_text("Hello.", target="de")
    assert panel.install_button.isVisibleTo(panel)
    assert not [p for p in panel._catalog.pairs if (p.source, p.target) == ("en", "de")]
    build_ct2_model(tmp_path / "models" / "opus-mt-en-de")
    installed = tuple(find_ct2_models([tmp_path / "models"]))
    assert [(p.source, p.target) for p in installed] == [("en", "de")]
    panel.set_catalog(Catalog((*panel._catalog.pairs, *installed), tmp_path / "unpacked", threads=1))
    assert panel.target_language == "de" and panel.source_language == "en"
    assert not panel.install_button.isVisibleTo(panel)
    qtbot.waitUntil(lambda: bool(panel.translation().strip()), timeout=20_000)


def test_missing_pair_names_the_missing_ctranslate2_runtime(panel, tmp_path):
    note = "1 CTranslate2 model(s) need ctranslate2: this slm-desktop build leaves CTranslate2 out; install the full"
    panel.set_catalog(Catalog(panel._catalog.pairs, tmp_path / "unpacked", note=note))
    panel.translate_text("Hello world.", target="de")
    assert panel.status_label.text() == f"No model for en→de installed. {note}"


def test_unsure_detection_says_unknown_instead_of_reusing_the_last_language(qtbot, panel):
    unknown = []
    panel.languageUnknown.connect(unknown.append)
    panel.source_combo.setCurrentIndex(panel.source_combo.findData("auto"))
    panel.translate_text("The cat is on the table and it is happy.")
    _wait_for(qtbot, panel, "gato")
    panel.translate_text("Hola")  # too little to tell: not English because the last text was
    assert panel.status_label.text().startswith("Language unknown")
    assert panel.translation() == "" and unknown == ["unsure"]
    panel.translate_text("The meeting is at noon today. La reunión es al mediodía de hoy.")
    assert "mixes languages" in panel.status_label.text() and unknown == ["unsure", "mixed"]


def test_text_typed_while_the_detector_loads_is_translated_once_it_has(qtbot, worker, tmp_path, monkeypatch):
    import threading

    from slm_desktop import languages
    from slm_desktop.ui import translate_panel

    gate, real_load = threading.Event(), languages.load_detector
    monkeypatch.setattr(languages, "_identifier", None)  # as in a fresh process

    def slow_load():
        gate.wait(30)
        return real_load()

    monkeypatch.setattr(translate_panel, "load_detector", slow_load)
    catalog = Catalog(tuple(apertium_pairs()), tmp_path / "unpacked")
    widget = TranslationPanel(worker, catalog, source="auto", target="es", debounce_ms=50)
    qtbot.addWidget(widget)
    widget.translate_text("The cat is on the table and it is happy.")
    assert widget.status_label.text() == "Detecting the language…" and widget.translation() == ""
    gate.set()
    _wait_for(qtbot, widget, "gato")
    assert "Detected English" in widget.status_label.text()
