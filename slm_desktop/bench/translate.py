"""`slm-desktop bench translate`: words/s and per-sentence latency per engine, raw and through the app.

Every installed pair out of English is measured, plus a CTranslate2 model built here with
random weights (no OPUS-MT model can be downloaded on build machines) the size of an OPUS-MT
transformer (~74M parameters, 58k vocabulary), decoding to source length + 8 tokens because
random weights never emit </s>. It is the honest stand-in for speed; its words are nonsense.
The panel figures (first sentence on screen, worst GUI stall) go through the real
TranslationPanel and Worker.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from slm_desktop.bench import peak_rss_mb, percentile
from slm_desktop.engines.base import LanguagePair
from slm_desktop.translation import Catalog, Route, SentenceCache, count_words, split_sentences, translate_text

TEXT = (
    "The morning train was late again, so Maria walked to the office along the river. "
    "It was a cold day, but the sun came out before nine. "
    "She bought a coffee and read the news on her phone. "
    "Her first meeting started at ten and lasted almost two hours. "
    "After lunch she wrote a long letter to an old friend.\n\n"
    "In the evening the city was quiet. "
    "Children played in the small park near the station, and their parents talked on the benches. "
    "A man sold flowers at the corner of the market. "
    "The last bus left at eleven, and the streets slowly became empty. "
    "Maria closed her window and went to sleep.\n\n"
    "Next week she will travel to the mountains with her brother. "
    "They want to walk for three days and sleep in small villages. "
    "The weather should be good, although it may rain on Sunday. "
    "She has already packed warm clothes, a map and a new book. "
    "Her brother says the view from the highest peak is beautiful."
)
PARAGRAPH = TEXT.split("\n\n")[0]  # five sentences: the "first sentence on screen" case


def _sentences() -> list[str]:
    return [s.text for s in split_sentences(TEXT) if s.text]


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _measure(engine, pair: LanguagePair, repeat: int) -> dict:
    """Raw engine (one batched call; one call per sentence) next to the app's translate_text."""
    sentences, words = _sentences(), count_words(TEXT)

    def raw_batch():
        list(engine.translate(sentences, source=pair.source, target=pair.target))

    raw_batch()  # warm-up: first call allocates
    raw_ms = min(_timed(raw_batch) for _ in range(repeat))
    per_sentence = [
        _timed(lambda s=s: list(engine.translate([s], source=pair.source, target=pair.target))) for s in sentences
    ]
    route = Route((pair,))

    def app_path():
        translate_text(TEXT, route=route, engine_for=lambda _p: engine, cache=SentenceCache())

    app_ms = min(_timed(app_path) for _ in range(repeat))
    return {
        "raw_words_s": words / raw_ms * 1000,
        "sent_p50_ms": percentile(per_sentence, 50),
        "sent_p95_ms": percentile(per_sentence, 95),
        "app_words_s": words / app_ms * 1000,
        "app_vs_raw": app_ms / raw_ms,
    }


def _row(engine_name: str, model: str, variant: str, figures: dict) -> dict:
    return {"engine": engine_name, "model": model, "variant": variant, **figures}


def _installed_rows(catalog: Catalog, repeat: int) -> list[dict]:
    rows = []
    for pair in catalog.pairs:
        if pair.source != "en":
            continue
        engine = catalog.open(pair)
        try:
            label = Path(pair.model).name
            rows.append(_row(pair.engine, f"{label} en→{pair.target}", "installed", _measure(engine, pair, repeat)))
        finally:
            engine.close()
    return rows


def _synthetic_model(cache_dir: Path, name: str, spec) -> Path:
    from slm_desktop.bench.tiny_marian import build_ct2_model

    folder = cache_dir / name
    if not (folder / "model.bin").is_file():
        build_ct2_model(folder, spec=spec)
    return folder


def _ct2_variant_rows(folder: Path, label: str, repeat: int, variants) -> list[dict]:
    from slm_desktop.engines.ct2 import CT2Config, CT2Engine

    rows = []
    pair = LanguagePair("en", "xx", "ct2", str(folder))
    for variant, compute, beam in variants:
        config = CT2Config(compute_type=compute, beam_size=beam, length_ratio=1.0)
        engine = CT2Engine(folder, config, pair=("en", "xx"))
        try:
            rows.append(_row("ct2", label, variant, _measure(engine, pair, repeat)))
        finally:
            engine.close()
    return rows


VARIANTS = (("int8 beam1", "int8", 1), ("float32 beam1", "float32", 1), ("int8 beam4", "int8", 4))


def _qt_app():
    from PySide6.QtWidgets import QApplication

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return QApplication.instance() or QApplication([])


def _wait(signal, timeout_ms: int = 60_000) -> bool:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    signal.connect(loop.quit)
    timer = QTimer(singleShot=True, interval=timeout_ms)
    timer.timeout.connect(loop.quit)
    timer.start()
    loop.exec()
    signal.disconnect(loop.quit)
    return timer.isActive()


def _panel_figures(catalog: Catalog, target: str, repeat: int) -> dict:
    """Translate button → first sentence shown (fresh cache each time); worst stall over the long text."""
    _qt_app()
    from slm_desktop.probe import StallProbe
    from slm_desktop.ui.translate_panel import TranslationPanel
    from slm_desktop.worker import Worker

    worker = Worker()
    panel = TranslationPanel(worker, catalog, source="en", target=target, live=False)
    try:
        panel.translate_text("Warm up.")  # the engine loads in the lane here, not in the timing
        _wait(panel.translationFinished)
        firsts = []
        for _ in range(repeat):
            panel.clear_cache()
            start = time.perf_counter()
            panel.translate_text(PARAGRAPH)
            _wait(panel.progressChanged)
            firsts.append((time.perf_counter() - start) * 1000)
            _wait(panel.translationFinished)
        probe = StallProbe()
        panel.clear_cache()
        probe.start()
        panel.translate_text("\n\n".join([TEXT] * 4))
        _wait(panel.translationFinished)
        stall = probe.stop()
        # 100,000 characters: the paste itself is Qt laying out the source box (timed apart);
        # then our part: splitting on the GUI thread and 3 s of sentences streaming in.
        paste_ms = _timed(lambda: panel.source_edit.setPlainText(_long_text()))
        probe.start()
        panel.translate_button.click()
        _wait(panel.translationFinished, timeout_ms=3000)
        stall_100k = probe.stop()
        panel.stop()
    finally:
        worker.shutdown()
        panel.deleteLater()
    return {
        "first_p50_ms": percentile(firsts, 50),
        "first_p95_ms": percentile(firsts, 95),
        "stall_ms": stall,
        "stall_100k_chars_ms": stall_100k,
        "paste_100k_chars_ms": paste_ms,
    }


def _long_text() -> str:
    """About 100,000 characters of distinct sentences (so the cache cannot shortcut them)."""
    sentences = _sentences()
    parts = [f"{sentences[i % len(sentences)][:-1]} on day {i}." for i in range(1420)]
    return " ".join(parts)


def run(args) -> dict:
    from slm_desktop.bench.tiny_marian import OPUS_MT_SIZE
    from slm_desktop.translation import discover

    repeat = args.repeat or 3
    paths = args.paths
    cache_dir = paths.data_dir / "bench-models"
    catalog = discover(paths)
    rows = _installed_rows(catalog, repeat)
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "words": count_words(TEXT),
        "sentences": len(_sentences()),
    }
    apertium = [p for p in catalog.pairs if p.engine == "apertium" and (p.source, p.target) == ("en", "es")]
    if apertium:
        report |= _prefixed("panel_apertium", _panel_figures(Catalog(tuple(apertium), cache_dir), "es", repeat))
    if not _can_build_ct2_models():
        report["synthetic_ct2"] = "skipped: the OPUS-MT-size model needs CTranslate2's converters (not bundled)"
        return report | {"peak_rss_mb": peak_rss_mb(), "table": rows}
    # Trained on the benchmark's own words too, so sentences split into whole-word pieces the way a
    # real 32k OPUS-MT vocabulary splits English (a tiny vocabulary would spell words letter by letter).
    opus_spec = dataclasses.replace(OPUS_MT_SIZE, vocab_size=1000, spm_type="bpe", extra_text=tuple(_sentences()))
    opus = _synthetic_model(cache_dir, "random-opus-mt-size-v2-en-xx", opus_spec)
    rows += _ct2_variant_rows(opus, "random OPUS-MT size (74M)", repeat, VARIANTS)
    opus_pair = LanguagePair("en", "xx", "ct2", str(opus))
    with tempfile.TemporaryDirectory() as unpack:
        catalog = Catalog((opus_pair,), Path(unpack), length_ratio=1.0)  # as in the engine rows above
        report |= _prefixed("panel_ct2_opus_size", _panel_figures(catalog, "xx", repeat))
    return report | {"peak_rss_mb": peak_rss_mb(), "table": rows}


def _can_build_ct2_models() -> bool:
    """The synthetic model is converted with CTranslate2's converters: a source install has them; the packaged
    app leaves them out, as they are build-time tools."""
    try:
        return importlib.util.find_spec("ctranslate2.converters") is not None
    except ImportError:
        return False


def _prefixed(prefix: str, figures: dict) -> dict:
    return {f"{prefix}_{key}": value for key, value in figures.items()}
