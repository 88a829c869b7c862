"""The translation panel: live, sentence-by-sentence translation in the background worker.

Typing restarts a short debounce; then one "translate" job (latest wins) runs on the
"translation" lane. Sentences stream back through the worker's progress signal and are
appended to the target box as they finish; unchanged sentences come from the cache at once.
The panel knows engines only through slm_desktop.translation (no inference library here).
"""

from __future__ import annotations

import logging
import time
from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from slm_desktop.languages import (
    UNKNOWN,
    Detection,
    describe_unknown,
    detector_ready,
    language_name,
    load_detector,
)
from slm_desktop.translation import (
    PIVOT,
    Catalog,
    NoModel,
    Route,
    SentenceCache,
    SentenceDone,
    TextTranslation,
    count_words,
    detect_language,
    join_segments,
    plan_route,
    sanitize,
    split_sentences,
)
from slm_desktop.worker import Job, JobContext, Worker

log = logging.getLogger(__name__)

AUTO = "auto"
JOB_KIND = "translate"
DETECTOR_KIND = "language-detector"  # loads py3langid's model on the lane, so the GUI thread never waits for it
LANE = "translation"
PROGRESS_BAR_FROM = 20  # sentences; shorter texts finish before a bar would mean anything
LONG_TEXT = 20_000  # characters: showing it and splitting it go in separate event-loop turns


def _select_quietly(combo: QComboBox, code: str) -> None:
    """Select a language (adding it if absent) without firing a translation per combo change."""
    index = combo.findData(code)
    if index < 0:
        combo.addItem(language_name(code), code)
        index = combo.count() - 1
    combo.blockSignals(True)
    combo.setCurrentIndex(index)
    combo.blockSignals(False)


class _TranslateJob:
    """Runs on the translation lane: engines are loaded once per lane through ctx.engine."""

    def __init__(self, text: str, route: Route, catalog: Catalog, cache: SentenceCache):
        self.text, self.route, self.catalog, self.cache = text, route, catalog, cache

    def __call__(self, ctx: JobContext) -> TextTranslation:
        from slm_desktop.translation import translate_text

        def engine_for(pair):
            return ctx.engine(self.catalog.engine_key(pair), partial(self.catalog.open, pair))

        return translate_text(
            self.text,
            route=self.route,
            engine_for=engine_for,
            cache=self.cache,
            cancel=ctx.token,
            on_sentence=ctx.progress,
        )


class TranslationPanel(QWidget):
    insertRequested = Signal(str)  # the translation, for the editor's cursor
    installRequested = Signal(str, str)  # source, target: open the model manager
    statsChanged = Signal(str)  # "120 words/s · ct2" for the status bar
    progressChanged = Signal(int, int)  # sentences shown, total
    translationFinished = Signal(str)  # the whole translated text
    languageUnknown = Signal(str)  # Detect language was unsure; the reason ("too short", "mixed", "unsure", ...)

    def __init__(
        self,
        worker: Worker,
        catalog: Catalog,
        *,
        source: str = AUTO,
        target: str = "es",
        engine: str = "auto",
        live: bool = True,
        debounce_ms: int = 300,
        cache: SentenceCache | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setAccessibleName("Translation panel")
        self._worker = worker
        self._catalog = catalog
        self._engine = engine
        self._cache = cache or SentenceCache()
        self._job: Job | None = None
        self._segments: list = []
        self._outputs: list[str] = []
        self._shown = ""
        self._started = 0.0
        self._detected = ""
        self._detection: Detection | None = None
        self._route: Route | None = None
        self._missing = ("", "")
        self._build(live)
        self._debounce = QTimer(self, singleShot=True, interval=debounce_ms)
        self._debounce.timeout.connect(self._translate_now)
        self._render_timer = QTimer(self, singleShot=True, interval=30)
        self._render_timer.timeout.connect(self._on_render_timer)
        self._render_pending = False
        self._fill_languages(source, target)
        self._detector_requested = False
        if source == AUTO:
            self._ensure_detector()
        self._connect(worker)

    # ------------------------------------------------------------ building

    def _build(self, live: bool) -> None:
        self.source_combo = self._combo("Source language")
        self.target_combo = self._combo("Target language")
        self.swap_button = QToolButton(text="⇄", accessibleName="Swap languages", toolTip="Swap languages")
        self.live_check = QCheckBox("Live", checked=live, accessibleName="Translate while typing")
        self.source_edit = QPlainTextEdit(accessibleName="Text to translate", placeholderText="Type or paste text")
        self.target_edit = QPlainTextEdit(accessibleName="Translation", readOnly=True)
        self.status_label = QLabel(accessibleName="Translation status", wordWrap=True)
        self.install_button = QPushButton("Install…", accessibleName="Install a translation model", visible=False)
        self.progress_bar = QProgressBar(accessibleName="Translation progress", visible=False)
        self.stop_button = QPushButton("Stop", accessibleName="Stop translating", visible=False)
        self.copy_button = QPushButton("Copy", accessibleName="Copy translation")
        self.insert_button = QPushButton("Insert into editor", accessibleName="Insert translation into editor")
        self.translate_button = QPushButton("Translate", accessibleName="Translate now")
        top = QHBoxLayout()
        for widget in (self.source_combo, self.swap_button, self.target_combo, self.live_check):
            top.addWidget(widget)
        message = QHBoxLayout()
        for widget in (self.status_label, self.install_button, self.progress_bar, self.stop_button):
            message.addWidget(widget)
        message.setStretch(0, 1)
        buttons = QHBoxLayout()
        for widget in (self.translate_button, self.copy_button, self.insert_button):
            buttons.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.source_edit)
        layout.addWidget(self.target_edit)
        layout.addLayout(message)
        layout.addLayout(buttons)

    def _combo(self, name: str) -> QComboBox:
        combo = QComboBox(accessibleName=name, toolTip=name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return combo

    def _fill_languages(self, source: str, target: str) -> None:
        sources = self._catalog.sources()
        targets = sorted(set(self._catalog.targets()) | ({PIVOT} if sources else set()))
        self.source_combo.blockSignals(True)
        self.target_combo.blockSignals(True)
        self.source_combo.clear()
        self.target_combo.clear()
        self.source_combo.addItem("Detect language", AUTO)
        for code in sorted(set(sources) | {source} - {AUTO}):
            self.source_combo.addItem(language_name(code), code)
        for code in sorted(set(targets) | {target}):
            self.target_combo.addItem(language_name(code), code)
        self.source_combo.setCurrentIndex(max(0, self.source_combo.findData(source)))
        self.target_combo.setCurrentIndex(max(0, self.target_combo.findData(target)))
        self.source_combo.blockSignals(False)
        self.target_combo.blockSignals(False)

    def _connect(self, worker: Worker) -> None:
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        self.source_edit.textChanged.connect(self._on_text_changed)
        self.source_combo.currentIndexChanged.connect(self._on_languages_changed)
        self.target_combo.currentIndexChanged.connect(self._on_languages_changed)
        self.swap_button.clicked.connect(self.swap_languages)
        self.copy_button.clicked.connect(self.copy_translation)
        self.insert_button.clicked.connect(self._on_insert)
        self.install_button.clicked.connect(self._on_install)
        self.stop_button.clicked.connect(self.stop)
        self.translate_button.clicked.connect(self._translate_now)

    # ------------------------------------------------------------ public API

    @property
    def source_language(self) -> str:
        return self.source_combo.currentData() or AUTO

    @property
    def target_language(self) -> str:
        return self.target_combo.currentData() or ""

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def translation(self) -> str:
        return self.target_edit.toPlainText()

    def set_catalog(self, catalog: Catalog) -> None:
        """After a model install: new pairs appear, the current choice is kept."""
        self._catalog = catalog
        self._fill_languages(self.source_language, self.target_language)
        self._translate_now()

    def clear_cache(self) -> None:
        """Forget translated sentences (after a model change, and for the benchmark's cold runs)."""
        self._cache = SentenceCache()

    @Slot(str)
    def translate_text(self, text: str, target: str | None = None) -> None:
        """For "translate selection" and voice commands: show text and translate at once."""
        if target:
            _select_quietly(self.target_combo, target)
        self.source_edit.blockSignals(True)
        self.source_edit.setPlainText(text)
        self.source_edit.blockSignals(False)
        if len(text) > LONG_TEXT:  # laying out a long text already took a frame: split it on the next turn
            QTimer.singleShot(0, self._translate_now)
        else:
            self._translate_now()

    def set_target(self, target: str) -> None:
        """For "set the target language to German": retranslate what is shown into the new language."""
        _select_quietly(self.target_combo, target)
        self._translate_now()

    @Slot()
    def swap_languages(self) -> None:
        source = self.source_language if self.source_language != AUTO else self._detected
        target = self.target_language
        if not source:
            self._set_status("Pick a source language before swapping")
            return
        _select_quietly(self.target_combo, source)
        _select_quietly(self.source_combo, target)
        translated = self.translation()
        if translated.strip():
            self.translate_text(translated)
        else:
            self._translate_now()

    @Slot()
    def copy_translation(self) -> None:
        QGuiApplication.clipboard().setText(self.translation())

    @Slot()
    def stop(self) -> None:
        if self._job is not None:
            self._worker.cancel(self._job)

    # ------------------------------------------------------------ scheduling

    @Slot()
    def _on_text_changed(self) -> None:
        if self.live_check.isChecked():
            self._debounce.start()

    @Slot(int)
    def _on_languages_changed(self, _index: int) -> None:
        self._translate_now()

    def _source_for(self, text: str) -> str:
        if self.source_language != AUTO:
            return self.source_language
        self._detection = detect_language(text, self._catalog.sources(), wait=False)  # unknown: "", never the last
        if self._detection.reason == "loading":
            self._ensure_detector()
        self._detected = self._detection.language if self._detection.known else ""
        return self._detected

    def _ensure_detector(self) -> None:
        """Its model costs about 77 MB once loaded, so it loads (on the lane) only when Detect language is used."""
        if not self._detector_requested and not detector_ready():
            self._detector_requested = True
            self._worker.submit(DETECTOR_KIND, lambda _ctx: load_detector(), lane=LANE)

    @Slot()
    def _translate_now(self) -> None:
        self._debounce.stop()
        text = sanitize(self.source_edit.toPlainText())
        if self._job is not None:
            self._worker.cancel(self._job)
            self._job = None
        if not text.strip():
            self._show_idle("")
            return
        source, target = self._source_for(text), self.target_language
        if not source:
            self._show_unknown()
            return
        if source == target:
            self._show_result(text, f"Source and target are both {language_name(source)}")
            return
        try:
            self._route = plan_route(self._catalog.pairs, source, target, engine=self._engine)
        except NoModel as missing:
            self._show_missing(missing)
            return
        self._start_job(text, self._route)

    def _start_job(self, text: str, route: Route) -> None:
        self._segments = split_sentences(text)
        self._outputs = self._from_cache(route)
        self._started = time.perf_counter()
        self.install_button.hide()
        self._schedule_render()
        total = sum(1 for s in self._segments if s.text)
        self.progress_bar.setVisible(total >= PROGRESS_BAR_FROM)
        self.stop_button.setVisible(total >= PROGRESS_BAR_FROM)
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(0)
        self._set_status(self._route_note(route) + "Translating…")
        job = _TranslateJob(text, route, self._catalog, self._cache)
        self._job = self._worker.submit(JOB_KIND, job, lane=LANE, latest_wins=True)

    def _from_cache(self, route: Route) -> list[str]:
        """Sentences already translated show at once, before the job even starts."""
        return [(self._cache.get(route.cache_pair, s.text) or "") if s.text else "" for s in self._segments]

    def _route_note(self, route: Route) -> str:
        source = route.steps[0].source
        detected = f"Detected {language_name(source)}. " if self.source_language == AUTO else ""
        pivot = f"No direct {source}→{route.steps[-1].target} model: translating via English. " if route.pivot else ""
        return detected + pivot

    # ------------------------------------------------------------ results

    def _is_current(self, job_id: int, kind: str) -> bool:
        return kind == JOB_KIND and self._job is not None and job_id == self._job.id

    @Slot(int, str, object)
    def _on_progress(self, job_id: int, kind: str, value: object) -> None:
        if not self._is_current(job_id, kind) or not isinstance(value, SentenceDone):
            return
        if value.index < len(self._outputs):
            self._outputs[value.index] = value.text
        self.progress_bar.setValue(value.done)
        self._schedule_render()
        self.progressChanged.emit(value.done, value.total)

    @Slot(int, str, object)
    def _on_finished(self, job_id: int, kind: str, result: object) -> None:
        if kind == DETECTOR_KIND and self._detection is not None and self._detection.reason == "loading":
            self._translate_now()  # the text typed while the detector loaded
            return
        if not self._is_current(job_id, kind) or not isinstance(result, TextTranslation):
            return
        self._job = None
        self._render_timer.stop()
        self._show_text(result.text)
        seconds = max(1e-6, time.perf_counter() - self._started)
        rate = count_words(self.source_edit.toPlainText()) / seconds
        route = self._route
        self._set_status((self._route_note(route) if route else "") + self._wrong_language_hint())
        self.progress_bar.hide()
        self.stop_button.hide()
        self.statsChanged.emit(f"Translation: {rate:.0f} words/s · {result.engine}")
        self.translationFinished.emit(result.text)

    @Slot(int, str, str)
    def _on_failed(self, job_id: int, kind: str, message: str) -> None:
        if self._is_current(job_id, kind):
            self._job = None
            self._show_idle(message)

    @Slot(int, str)
    def _on_cancelled(self, job_id: int, kind: str) -> None:
        if self._is_current(job_id, kind):
            self._job = None
            self.progress_bar.hide()
            self.stop_button.hide()
            self._set_status("Translation stopped")

    def _wrong_language_hint(self) -> str:
        if self.source_language == AUTO:
            return ""
        found = detect_language(self.source_edit.toPlainText(), self._catalog.sources() or (), wait=False)
        if found.known and found.language != self.source_language and found.confidence >= 0.5:
            return f"The text looks like {language_name(found.language)}, not {language_name(self.source_language)}."
        return ""

    # ------------------------------------------------------------ display

    def _schedule_render(self) -> None:
        """Render now, then at most once per timer interval while sentences keep arriving."""
        if self._render_timer.isActive():
            self._render_pending = True
            return
        self._render()
        self._render_pending = False
        self._render_timer.start()

    @Slot()
    def _on_render_timer(self) -> None:
        if self._render_pending:
            self._schedule_render()

    @Slot()
    def _render(self) -> None:
        """Sentences finish in order: show everything up to the first one still missing."""
        pairs = enumerate(zip(self._segments, self._outputs, strict=True))
        pending = (i for i, (seg, out) in pairs if seg.text and not out)
        upto = next(pending, len(self._segments))
        self._show_text(join_segments(self._segments[:upto], self._outputs[:upto]))

    def _show_text(self, text: str) -> None:
        """Appends when the new text extends what is shown (cheap for 100k characters)."""
        if text == self._shown:
            return
        if self._shown and text.startswith(self._shown):
            cursor = QTextCursor(self.target_edit.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(text[len(self._shown) :])
        else:
            self.target_edit.setPlainText(text)
        self._shown = text

    def _show_result(self, text: str, note: str) -> None:
        self._show_text(text)
        self._set_status(note)
        self.install_button.hide()

    def _show_idle(self, note: str) -> None:
        self._segments, self._outputs = [], []
        self._show_text("")
        self._set_status(note)
        self.progress_bar.hide()
        self.stop_button.hide()
        self.install_button.hide()

    def _show_unknown(self) -> None:
        """Detect language found no language it is sure of: say so, show nothing rather than a guess."""
        found = self._detection or Detection(UNKNOWN, 0.0, "unsure")
        self._show_idle("Detecting the language…" if found.reason == "loading" else describe_unknown(found))
        self.languageUnknown.emit(found.reason)

    def _show_missing(self, missing: NoModel) -> None:
        note = f". {self._catalog.note}" if self._catalog.note else ""
        self._show_idle(f"No model for {missing.source}→{missing.target} installed{note}")
        self._missing = (missing.source, missing.target)
        self.install_button.show()

    def _set_status(self, text: str) -> None:
        self.status_label.setText(text)

    @Slot()
    def _on_insert(self) -> None:
        if self.translation():
            self.insertRequested.emit(self.translation())

    @Slot()
    def _on_install(self) -> None:
        source, target = self._missing
        if source and target:
            self.installRequested.emit(source, target)

    def keyPressEvent(self, event) -> None:  # Ctrl+Return translates now, even with live off
        ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and ctrl:
            self._translate_now()
            return
        super().keyPressEvent(event)
