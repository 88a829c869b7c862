"""The Models dialog: installed models, the catalog, installs with progress, imports, recommendations.

Every slow step (download, import, verify, measuring the machine) runs as a job on the worker's
"store" lane (measuring runs on the "completion" lane, with the suggestion engine already loaded there, so the
model is never in memory twice); this widget only reacts to the worker's signals, so the window never freezes.
It never imports an inference library: the store's recommend module does, inside the job.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from slm_desktop.completion import CompletionChoice, choose
from slm_desktop.errors import UserError
from slm_desktop.paths import ct2_install_hint
from slm_desktop.store.catalog import CatalogEntry
from slm_desktop.store.download import Progress
from slm_desktop.store.manager import InstalledModel, ModelManager
from slm_desktop.translation import CT2_FORMATS, ct2_runtime_missing
from slm_desktop.worker import Job, JobContext, Worker

log = logging.getLogger(__name__)

LANE = "store"
COMPLETION_LANE = "completion"


def _languages(codes: tuple[str, ...]) -> str:
    return ", ".join(codes) if len(codes) <= 6 else f"{', '.join(codes[:3])}, … ({len(codes)} languages)"


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _button(text: str, accessible: str, slot) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(accessible)
    button.clicked.connect(slot)
    return button


def _table(headers: list[str], accessible: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(accessible)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.verticalHeader().setVisible(False)
    return table


def _fill_row(table: QTableWidget, row: int, values: list[str], key: str) -> None:
    for column, value in enumerate(values):
        item = QTableWidgetItem(value)
        item.setData(Qt.ItemDataRole.UserRole, key)
        table.setItem(row, column, item)


class _PinQuestion(QObject):
    """Asks the GUI thread, from the store lane, whether to pin a computed hash; the lane waits.

    The signal is connected with BlockingQueuedConnection, so `ask` (called on the lane) returns
    the answer of the dialog's `ask_pin`, which runs on the GUI thread.
    """

    question = Signal(object, str, str)

    def __init__(self, dialog: ModelsDialog):
        super().__init__(dialog)
        self.answer = False
        self.question.connect(self._ask, Qt.ConnectionType.BlockingQueuedConnection)

    @Slot(object, str, str)
    def _ask(self, entry: CatalogEntry, sha: str, source: str) -> None:
        self.answer = bool(self.parent().ask_pin(entry, sha, source))

    def ask(self, entry: CatalogEntry, sha: str, source: str) -> bool:
        self.answer = False
        self.question.emit(entry, sha, source)
        return self.answer


def _pin_asker(question: _PinQuestion):
    """What the store-lane job calls: holds the question weakly, so the job never keeps it alive."""
    ref = weakref.ref(question)

    def ask(entry: CatalogEntry, sha: str, source: str) -> bool:
        target = ref()
        return target.ask(entry, sha, source) if target is not None else False

    return ask


class ModelsDialog(QDialog):
    """Standalone: give it a ModelManager and the app's Worker; it emits modelsChanged after changes."""

    modelsChanged = Signal()
    defaultChanged = Signal(str, str)  # kind, installed name

    def __init__(
        self,
        manager: ModelManager,
        worker: Worker,
        *,
        loaded: Callable[[], set[Path]] = set,
        languages: tuple[str, ...] = ("en",),
        completion: Callable[[], CompletionChoice | None] = lambda: None,
        parent: QWidget | None = None,
    ):
        """`completion`: the window's suggestion model and its lane key, for measuring; else the default model."""
        super().__init__(parent)
        self.manager, self.worker, self.completion = manager, worker, completion
        self.loaded, self.languages = loaded, languages
        self.job: Job | None = None
        self.pin_question = _PinQuestion(self)
        self.setWindowTitle("Models")
        self.setAccessibleName("Models dialog")
        self.resize(820, 520)
        self._build()
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        self.refresh()

    # ------------------------------------------------------------ layout

    def _build(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Model tabs")
        self.tabs.addTab(self._installed_tab(), "Installed")
        self.tabs.addTab(self._catalog_tab(), "Get models")
        self.tabs.addTab(self._recommend_tab(), "Recommended")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Download progress")
        self.progress.setRange(0, 1000)
        self.status = QLabel("")
        self.status.setAccessibleName("Status")
        self.status.setWordWrap(True)
        self.cancel_button = _button("Cancel", "Cancel the running task", self._cancel)
        self.cancel_button.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.status)
        self.progress.hide()

    def _installed_tab(self) -> QWidget:
        self.installed_table = _table(["Model", "Kind", "Languages", "Engine", "Size", "Default"], "Installed models")
        self.remove_button = _button("Remove", "Remove the selected model", self._remove)
        self.default_button = _button("Set as default", "Use the selected model by default", self._set_default)
        self.verify_button = _button("Verify", "Verify installed models", self._verify)
        self.import_file_button = _button("Import file…", "Import a model file", self._import_file)
        self.import_folder_button = _button("Import folder…", "Import a model folder", self._import_folder)
        buttons = QHBoxLayout()
        for b in (self.remove_button, self.default_button, self.verify_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.import_file_button)
        buttons.addWidget(self.import_folder_button)
        return self._page(self.installed_table, buttons)

    def _catalog_tab(self) -> QWidget:
        self.catalog_table = _table(["Model", "Kind", "Languages", "Size", "RAM", "Hash", "Status"], "Catalog")
        self.install_button = _button("Install", "Install the selected catalog model", self._install)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.install_button)
        return self._page(self.catalog_table, buttons)

    def _recommend_tab(self) -> QWidget:
        self.recommend_view = QTextBrowser()
        self.recommend_view.setAccessibleName("Recommendations")
        self.recommend_view.setPlaceholderText("Measure this machine to see which models suit it (a few seconds).")
        self.measure_button = _button("Measure this machine", "Measure this machine and recommend", self.measure)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.measure_button)
        return self._page(self.recommend_view, buttons)

    @staticmethod
    def _page(main: QWidget, buttons: QHBoxLayout) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(main, 1)
        layout.addLayout(buttons)
        return page

    # ------------------------------------------------------------ contents

    @Slot()
    def refresh(self) -> None:
        installed = self.manager.list_installed()
        defaults = self.manager.defaults()
        self.installed_table.setRowCount(len(installed))
        for row, m in enumerate(installed):
            is_default = defaults.get(m.kind) == m.name
            values = [m.name, m.kind, _languages(m.languages), m.engine, _mb(m.size), "yes" if is_default else ""]
            _fill_row(self.installed_table, row, values, m.name)
        have = {m.catalog_id for m in installed} | {m.name for m in installed}
        entries = self.manager.catalog.entries
        ct2_missing = bool(ct2_runtime_missing())
        self.catalog_table.setRowCount(len(entries))
        for row, e in enumerate(entries):
            needs_ct2 = ct2_missing and e.format in CT2_FORMATS
            notes = ["installed"] if e.id in have or e.filename in have else []
            if needs_ct2:  # CTranslate2 models install fine; they run once the runtime is there
                notes.append("needs CTranslate2")
            state = ", ".join(notes)
            values = [e.name, e.kind, ", ".join(e.languages), _mb(e.size), f"{e.ram_mb} MB", self._hash(e), state]
            _fill_row(self.catalog_table, row, values, e.id)
            if needs_ct2:
                self.catalog_table.item(row, len(values) - 1).setToolTip(ct2_install_hint())
        self._set_busy(self.job is not None)

    @staticmethod
    def _hash(entry: CatalogEntry) -> str:
        return "verified" if entry.verified else "unverified"

    @staticmethod
    def _selected(table: QTableWidget) -> str:
        items = table.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else ""

    def select_catalog(self, model_id: str) -> None:
        for row in range(self.catalog_table.rowCount()):
            if self.catalog_table.item(row, 0).data(Qt.ItemDataRole.UserRole) == model_id:
                self.catalog_table.selectRow(row)

    def select_installed(self, name: str) -> None:
        for row in range(self.installed_table.rowCount()):
            if self.installed_table.item(row, 0).data(Qt.ItemDataRole.UserRole) == name:
                self.installed_table.selectRow(row)

    def _set_busy(self, busy: bool) -> None:
        for b in (self.install_button, self.remove_button, self.verify_button, self.measure_button):
            b.setEnabled(not busy)
        self.import_file_button.setEnabled(not busy)
        self.import_folder_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)

    def _submit(self, kind: str, run: Callable[[JobContext], object], message: str, *, lane: str = LANE) -> None:
        self.status.setText(message)
        self.progress.setRange(0, 0)  # busy until the first byte count arrives
        self.job = self.worker.submit(kind, run, lane=lane)
        self._set_busy(True)

    # ------------------------------------------------------------ actions

    def ask_trust(self, entry: CatalogEntry) -> bool:
        """Asked before downloading an entry whose sha256 the catalog cannot vouch for."""
        answer = QMessageBox.question(
            self,
            "Unverified model",
            f"The catalog has no verified checksum for {entry.name}.\n\nDownload it anyway and remember "
            "the checksum of this download, so later installs are checked against it?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def ask_pin(self, entry: CatalogEntry, sha: str, source: str) -> bool:
        """Asked after the download, before anything is installed: the hash and where it came from."""
        answer = QMessageBox.question(
            self,
            "Confirm the checksum",
            f"{entry.name} was downloaded from\n{source}\n\nIts SHA-256 checksum is\n{sha}\n\n"
            "Compare it with the one the publisher gives. Install it and remember this checksum?",
            defaultButton=QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    @Slot()
    def _install(self) -> None:
        model_id = self._selected(self.catalog_table)
        if not model_id or self.job is not None:
            return
        entry = self.manager.catalog.get(model_id)
        trust = entry.verified or self.ask_trust(entry)
        if not trust:
            self.status.setText(f"{entry.name}: not installed (checksum not confirmed)")
            return
        manager, loaded, pin = self.manager, set(self.loaded()), _pin_asker(self.pin_question)

        def job(ctx: JobContext) -> InstalledModel:
            return manager.install(
                model_id,
                loaded=loaded,
                token=ctx.token,
                on_progress=ctx.progress,
                trust_unverified=True,
                confirm_pin=pin,
            )

        self._submit("model-install", job, f"Installing {entry.name}…")

    def import_path(self, path: Path) -> None:
        if self.job is not None:
            return
        manager, loaded = self.manager, set(self.loaded())
        self._submit(
            "model-import",
            lambda ctx: manager.import_path(path, loaded=loaded, token=ctx.token),
            f"Importing {path.name}…",
        )

    @Slot()
    def _import_file(self) -> None:
        filters = "Models (*.gguf *.argosmodel *.zip *.tar.gz *.tgz);;All files (*)"
        name, _ = QFileDialog.getOpenFileName(self, "Import a model file", "", filters)
        if name:
            self.import_path(Path(name))

    @Slot()
    def _import_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Import a model folder (Vosk or CTranslate2)")
        if name:
            self.import_path(Path(name))

    @Slot()
    def _remove(self) -> None:
        name = self._selected(self.installed_table)
        if not name:
            return
        try:
            model = self.manager.remove(name, loaded=self.loaded())
        except (UserError, OSError) as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"Removed {model.name}")
        self.refresh()
        self.modelsChanged.emit()

    @Slot()
    def _set_default(self) -> None:
        name = self._selected(self.installed_table)
        if not name:
            return
        try:
            model = self.manager.find_installed(name)
            self.manager.set_default(model.kind, model.name)
        except (UserError, OSError) as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"{model.name} is now the default {model.kind} model")
        self.refresh()
        self.defaultChanged.emit(model.kind, model.name)

    @Slot()
    def _verify(self) -> None:
        if self.job is None:
            manager = self.manager
            self._submit("model-verify", lambda ctx: manager.verify(), "Verifying installed models…")

    @Slot()
    def measure(self) -> None:
        """First run or on demand: a few seconds of measuring, then reasons per model (no download)."""
        self.tabs.setCurrentIndex(2)
        if self.job is None:
            manager, languages = self.manager, self.languages
            choice = self.completion() or _default_completion(manager)
            job = partial(_measure_and_recommend, manager=manager, languages=languages, choice=choice)
            self._submit("model-recommend", job, "Measuring…", lane=COMPLETION_LANE)

    @Slot()
    def _cancel(self) -> None:
        if self.job is not None:
            self.worker.cancel(self.job)
            self.status.setText("Cancelling…")

    # ------------------------------------------------------------ worker signals

    def _mine(self, job_id: int) -> bool:
        return self.job is not None and self.job.id == job_id

    @Slot(int, str, object)
    def _on_progress(self, job_id: int, _kind: str, value: object) -> None:
        if not self._mine(job_id) or not isinstance(value, Progress):
            return
        if value.total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(value.fraction * 1000))
        eta = f", {value.eta_s:.0f} s left" if value.eta_s is not None else ""
        total = f" of {_mb(value.total)}" if value.total else ""
        self.status.setText(f"{_mb(value.done)}{total} at {value.speed / 1e6:.2f} MB/s{eta}")

    @Slot(int, str, object)
    def _on_finished(self, job_id: int, kind: str, result: object) -> None:
        if not self._mine(job_id):
            return
        self.job = None
        if kind in ("model-install", "model-import"):
            needs_ct2 = result.format in CT2_FORMATS and ct2_runtime_missing()
            hint = f"; to use it, {ct2_install_hint()}" if needs_ct2 else ""
            self.status.setText(f"Installed {result.name} ({result.kind}, {_mb(result.size)}){hint}")
            self.modelsChanged.emit()
        elif kind == "model-verify":
            bad = [r for r in result if not r.ok]
            self.status.setText("; ".join(f"{r.name}: {r.detail}" for r in bad) or f"All {len(result)} models verified")
        elif kind == "model-recommend":
            self.recommend_view.setPlainText(result)
            self.status.setText("Measured; nothing is downloaded until you choose Install")
        self.refresh()

    @Slot(int, str, str)
    def _on_failed(self, job_id: int, _kind: str, message: str) -> None:
        if self._mine(job_id):
            self.job = None
            self.status.setText(message)
            self.refresh()

    @Slot(int, str)
    def _on_cancelled(self, job_id: int, _kind: str) -> None:
        if self._mine(job_id):
            self.job = None
            self.status.setText("Cancelled; a later install resumes where this one stopped")
            self.refresh()


def _default_completion(manager: ModelManager) -> CompletionChoice | None:
    from slm_desktop.config import CompletionSettings
    from slm_desktop.isolation import PROBE_CACHE_NAME

    model = manager.default_path("completion")
    if model is None:
        return None
    return choose(model, CompletionSettings(), probe_cache=manager.paths.data_dir / PROBE_CACHE_NAME)


def _measure_and_recommend(
    ctx: JobContext, *, manager: ModelManager, languages: tuple[str, ...], choice: CompletionChoice | None
) -> str:
    """Runs on the completion lane: a few seconds of generation with the engine the suggestions use (loaded
    now if it was not yet, through the memory check and the first-load probe, and kept for them)."""
    from slm_desktop.store import recommend as rec

    hw = rec.measure_hardware()
    sample = None
    if choice is not None:
        engine = ctx.engine(choice.key, choice.factory)
        engine = engine.local_engine() if hasattr(engine, "local_engine") else engine  # not a server's speed
        sample = rec.measure_engine_speed(engine, choice.model, seconds=2.0, cancel=ctx.token)
    if sample is not None:
        rec.save_sample(manager.paths.data_dir, sample)
    lines = [
        f"This machine: {hw.machine}, {hw.cores} cores, {hw.ram_available_mb} MB RAM free, "
        f"CPU features: {', '.join(hw.flags) or 'none found'}"
    ]
    if sample is not None:
        lines.append(f"Measured {sample.model}: {sample.tokens_per_s:.1f} tokens/s")
    recs = rec.recommend(manager.catalog, hw, sample, languages=languages)
    lines += recommendation_lines(recs, manager.list_installed(), manager.catalog)
    return "\n".join(lines)


KIND_NAMES = {"completion": "suggestions", "stt": "speech", "intent": "commands", "translation": "translation"}


def recommendation_lines(recs, installed: list[InstalledModel], catalog) -> list[str]:
    """What works already (installed, shipped or not) and what could be added, each recommendation marked so;
    the first-run text a new user reads. Downloads happen only from the Get models tab."""
    have = {m.catalog_id for m in installed if m.catalog_id} | {m.name for m in installed}
    ready = ", ".join(f"{m.name} ({KIND_NAMES.get(m.kind, m.kind)})" for m in installed)
    lines = [f"Installed, ready offline: {ready or 'nothing yet'}"]
    for r in recs:
        if r.verdict == "fits":
            continue
        entry = catalog.by_id.get(r.catalog_id)
        if r.catalog_id in have or (entry is not None and entry.filename in have):
            lines.append(f"[{r.verdict}, installed] {r.reason}")
        elif r.verdict != "recommended":  # too slow or too big: said, never offered
            lines.append(f"[{r.verdict}] {r.reason}")
        else:
            size = f", {_mb(entry.size)}" if entry is not None else ""
            lines.append(f"[{r.verdict}] {r.reason} — could be added (Get models → Install{size})")
    lines.append("Nothing is downloaded until you choose Install.")
    return lines
