"""The main window: the user's document in the middle, translation on the right, voice below."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from slm_desktop import __version__
from slm_desktop.commands.intents import command_vocabulary
from slm_desktop.config import RANGES, storable
from slm_desktop.document import (
    Document,
)
from slm_desktop.errors import UserError
from slm_desktop.recovery import RecoveryStore
from slm_desktop.ui.documents import DocumentsMixin
from slm_desktop.ui.find_bar import FindBar
from slm_desktop.ui.services import AppServices
from slm_desktop.ui.text_stats import TextStats
from slm_desktop.ui.voice import DictationWriter, PushToTalkController, PushToTalkKey

log = logging.getLogger(__name__)

MIN_FONT, MAX_FONT = (int(n) for n in RANGES[("ui", "font_size")])


class WindowPushToTalkKey(PushToTalkKey):
    """Installed application-wide so F9 works whatever has focus, but only inside this window."""

    def eventFilter(self, watched, event) -> bool:
        if isinstance(watched, QWidget) and watched.window() is self.parent():
            return super().eventFilter(watched, event)
        return False


class MainWindow(DocumentsMixin, QMainWindow):
    def __init__(self, services: AppServices):
        super().__init__()
        self.services = services
        self.document = Document("")
        self.recovery = RecoveryStore(services.paths.recovery_dir)
        self._background_started = False
        self._actions: dict[str, QAction] = {}
        self.setWindowTitle("Untitled[*] — slm-desktop")
        self.setAccessibleName("slm-desktop main window")
        self.setObjectName("MainWindow")
        self._build_editor()
        self._build_server()
        self._build_translation_dock()
        self._build_voice_dock()
        self._build_status_bar()
        self._build_file_input()
        self._build_suggestions()
        self._build_menus()
        self._build_live()  # live translate (feat-live)
        self._build_autosave()
        self._connect_worker()
        self._apply_settings()
        for message in services.startup_messages:
            self.show_message(message)

    # ------------------------------------------------------------------ layout

    def _build_editor(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        self.chips_row = QHBoxLayout()
        layout.addLayout(self.chips_row)
        self.editor = self.create_editor(central)
        self.text_stats = TextStats(self.editor, central)
        self.chips_row.addWidget(self.text_stats)
        self.editor.setObjectName("editor")
        self.editor.setAccessibleName("Document editor")
        self.editor.setPlaceholderText("Start writing. Suggestions appear in grey: Tab accepts, Esc dismisses.")
        self.editor.document().modificationChanged.connect(self._on_modified)
        self.editor.textChanged.connect(self._schedule_autosave)
        layout.addWidget(self.editor)
        self.find_bar = FindBar(self.editor, central)
        layout.addWidget(self.find_bar)
        self.setCentralWidget(central)

    def create_editor(self, parent: QWidget) -> QPlainTextEdit:
        from slm_desktop.ui.suggest import GhostEditor, WordChips

        editor = GhostEditor(parent)
        self.chips = WordChips(parent)
        self.chips.setAccessibleName("Next-word suggestions")
        self.chips_row.addWidget(self.chips)
        self.chips_row.addStretch(1)
        return editor

    def _build_suggestions(self) -> None:
        from slm_desktop.completion import choose, resolve_model
        from slm_desktop.threads import ThreadPolicy
        from slm_desktop.ui.personal_words import PersonalWords
        from slm_desktop.ui.suggest import SuggestionController

        self.personal_words = PersonalWords(self.services.paths, self.services.worker, parent=self)
        settings = dataclasses.replace(
            self.services.settings.completion, threads=self.services.power.completion_threads
        )
        # the power profile's count is the most llama.cpp may use; the policy takes what the machine leaves idle
        threads = ThreadPolicy(configured=self.services.settings.completion.threads, max_threads=settings.threads)
        try:
            model = resolve_model(self.services.paths, settings.model)
        except UserError as exc:
            self.suggestions = self.completion_choice = None
            self.show_message(f"Suggestions off: {exc}")
            return
        local = choose(model, settings, probe_cache=self._probe_cache(), ram_mb=self._catalog_ram(model))
        self.completion_choice = dataclasses.replace(local, factory=self.server_mode.completion_factory(local.factory))
        self.suggestions = SuggestionController(
            self.editor,
            self.chips,
            self.services.worker,
            settings,
            self.completion_choice.factory,
            engine_key=self.completion_choice.key,
            personal=self.personal_words.model,
            thread_policy=threads,
            parent=self,
        )
        self.suggestions.statusChanged.connect(self._on_suggestion_status)
        self.suggestions.errorOccurred.connect(self.show_message)

    def _probe_cache(self) -> Path:
        from slm_desktop.isolation import PROBE_CACHE_NAME

        return self.services.paths.data_dir / PROBE_CACHE_NAME

    def _catalog_ram(self, model: Path) -> int:
        from slm_desktop.memory import catalog_ram_mb

        return catalog_ram_mb(self.services.paths, model.name)

    def _learn_words(self) -> None:
        """The personal model learns only documents opened or saved here (Settings: Learn my words)."""
        if self.services.settings.completion.learn_my_words:
            self.personal_words.learn(self.editor.toPlainText())

    @Slot(str)
    def _on_suggestion_status(self, text: str) -> None:
        self.show_figure("completion", text)

    @Slot(bool)
    def toggle_suggestions(self, enabled: bool) -> None:
        self.services.update_settings("completion", "enabled", enabled)
        if self.suggestions is not None:
            self.suggestions.set_settings(self.services.settings.completion)
        self.show_message("Suggestions on" if enabled else "Suggestions off")

    def _build_translation_dock(self) -> None:
        self.translation_dock = QDockWidget("Translation", self)
        self.translation_dock.setObjectName("translationDock")
        self.translation_dock.setAccessibleName("Translation panel")
        self.translation_dock.setWidget(self.create_translation_panel())
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.translation_dock)

    def create_translation_panel(self) -> QWidget:
        from slm_desktop.translation import discover
        from slm_desktop.ui.translate_panel import TranslationPanel

        t, power = self.services.settings.translation, self.services.power
        catalog = discover(self.services.paths, threads=power.translation_threads, beam_size=power.beam_size)
        catalog = self.server_mode.catalog(catalog)
        engine = t.engine if t.engine in ("ct2", "apertium", "llm") else "auto"
        self.translation_panel = TranslationPanel(
            self.services.worker, catalog, source=t.source, target=t.target, engine=engine, live=t.live
        )
        self.translation_panel.insertRequested.connect(self._insert_translation)
        self.translation_panel.installRequested.connect(self._install_translation_model)
        self.translation_panel.statsChanged.connect(self._on_translation_stats)
        return self.translation_panel

    @Slot(str)
    def _insert_translation(self, text: str) -> None:
        self.editor.insert_as_one_step(text)
        self.editor.setFocus()

    @Slot(str, str)
    def _install_translation_model(self, source: str, target: str) -> None:
        self.show_message(f"Install a {source}→{target} model from Tools → Models")
        self.open_models()

    @Slot(str)
    def _on_translation_stats(self, text: str) -> None:
        self.show_figure("translation", text)

    @Slot()
    def translate_selection(self) -> None:
        from slm_desktop.ui.actions import selection_or_document

        self.translate_text(selection_or_document(self), None)

    def _build_voice_dock(self) -> None:
        self.voice_dock = QDockWidget("Voice", self)
        self.voice_dock.setObjectName("voiceDock")
        self.voice_dock.setAccessibleName("Voice bar")
        self.voice_dock.setWidget(self.create_voice_bar())
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.voice_dock)

    def create_voice_bar(self) -> QWidget:
        from slm_desktop.audio.capture import CaptureConfig
        from slm_desktop.ui.commands import CommandBar, CommandController
        from slm_desktop.ui.voice import VoiceBar

        bar = QWidget()
        column = QVBoxLayout(bar)
        column.setContentsMargins(0, 0, 0, 0)
        device = self.services.settings.speech.input_device or None
        self.speech = PushToTalkController(
            self.services.worker,
            self._create_speech_engine,
            CaptureConfig(device=device),
            engine_key=self._speech_key(),
            max_seconds=self.services.settings.speech.max_utterance_seconds,
            parent=self,
        )
        self.speech.setMode(self.services.settings.speech.mode)
        self.speech.notice.connect(self.show_message)
        self.speech.setCommandGrammar(command_vocabulary())
        self.dictation = DictationWriter(self.editor, self)
        self.speech.context_provider = self._speech_context
        self.speech.dictated.connect(self._on_dictated)
        self.speech.figures.connect(self._on_speech_figures)
        self.voice_bar = VoiceBar(self.speech)
        self.voice_bar.modeBox.setCurrentIndex(self.voice_bar.modeBox.findData(self.speech.mode))
        self.commands = CommandController(
            self.services.worker,
            self._create_intent_engine,
            parent=self,
            confirm_timeout_ms=max(1, self.services.settings.ui.confirm_seconds) * 1000,
        )
        self.commands.needs_confirmation = self._needs_confirmation
        self.commands.understood.connect(self._on_command)
        self.speech.commanded.connect(self.commands.submit_heard)
        self.command_bar = CommandBar(self.commands)
        column.addWidget(self.voice_bar)
        column.addWidget(self.command_bar)
        self._name_unnamed(bar, "Voice bar")
        self.ptt_key = WindowPushToTalkKey(self.speech, self._ptt_key(), self)
        QApplication.instance().installEventFilter(self.ptt_key)
        QApplication.instance().focusWindowChanged.connect(self._on_focus_window)
        return bar

    def _owns_window(self, window) -> bool:
        """This window or one of its floating docks (the hold-to-talk button may live in one)."""
        if window is None:
            return False
        return any(w.windowHandle() is window for w in (self, *self.findChildren(QDockWidget)))

    @Slot(object)
    def _on_focus_window(self, window) -> None:
        """Focus gone elsewhere (Alt+Tab, a dialog, another app): the push-to-talk key's release will not
        reach this window, so the utterance ends now, and the microphone closes. Focus back: it opens,
        so the next press has its pre-roll."""
        if self._owns_window(window):
            if self._background_started:  # not before start-up is done (nor in tests that never start it)
                self.speech.openMicrophone()
            return
        self.ptt_key.controller.release()  # dictation, or live translation while F9 is held
        if self._background_started or self.speech.microphone_open or self.speech.active:
            self.speech.closeMicrophone()

    @Slot(Qt.ApplicationState)
    def _on_app_state(self, state: Qt.ApplicationState) -> None:
        if state != Qt.ApplicationState.ApplicationActive:
            self.autosave_now()
            self._on_focus_window(None)  # the app was deactivated: same as losing focus

    def _ptt_key(self) -> Qt.Key:
        sequence = QKeySequence(self.services.settings.speech.push_to_talk_key)
        if sequence.isEmpty():
            return Qt.Key.Key_F9
        return sequence[0].key()

    def _speech_choice(self):
        from slm_desktop.engines.speech_select import choose_speech_engine

        return choose_speech_engine(self.services.settings.speech, self.services.paths)

    def _speech_key(self) -> str:
        """Also says, once per choice, why speech fell back (no Whisper model: how to install it)."""
        try:
            choice = self._speech_choice()
        except UserError:
            return "speech:unavailable"
        if choice.message:
            self.show_message(choice.message, 15000)
        return choice.key

    def _build_file_input(self) -> None:
        """Recordings to text (File → Transcribe Audio File, or dropped on the editor) and text files dropped."""
        from slm_desktop.ui.file_drops import FileDrops
        from slm_desktop.ui.file_transcription import FileTranscriber, TranscriptionProgress

        progress = TranscriptionProgress(self)
        self.statusBar().insertPermanentWidget(0, progress)
        self.file_transcriber = FileTranscriber(
            self.services.worker, self.editor, self._file_speech_engine, progress, parent=self
        )
        self.file_transcriber.message.connect(self.show_message)
        self.file_drops = FileDrops(self)
        self.editor.viewport().installEventFilter(self.file_drops)
        self.file_drops.dropped.connect(self._on_files_dropped)

    def _file_speech_engine(self):
        """The engine the settings choose, set up for a file: every word timed (paragraphs at pauses), no
        partial decodes nobody watches, no second opinion (that is for short commands)."""
        choice = dataclasses.replace(self._speech_choice(), partials=False, word_times=True, second_opinion=None)
        return choice.key, choice.create

    def _choose_recording(self, title: str) -> Path | None:
        """The file dialog opens where the last recording was chosen (else where documents are)."""
        from slm_desktop.ui.file_transcription import AUDIO_FILTER

        ui = self.services.settings.ui
        start = ui.last_audio_directory or ui.last_directory or str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, title, start, AUDIO_FILTER)
        if not name:
            return None
        folder = str(Path(name).parent)
        if storable(folder):
            self.services.update_settings("ui", "last_audio_directory", folder)
        return Path(name)

    @Slot()
    def transcribe_audio_file(self) -> None:
        recording = self._choose_recording("Transcribe Audio File")
        if recording is not None:
            self.transcribe_path(recording)

    @Slot()
    def transcribe_to_subtitles(self) -> None:
        """A recording to an SRT or WebVTT file beside it (for a video player or an editor of subtitles)."""
        from slm_desktop.ui.file_transcription import SUBTITLE_FILTERS, subtitle_path

        recording = self._choose_recording("Transcribe to Subtitles")
        if recording is None:
            return
        target, chosen = QFileDialog.getSaveFileName(
            self, "Save Subtitles", str(recording.with_suffix(".srt")), ";;".join(SUBTITLE_FILTERS)
        )
        if target:
            self.transcribe_path(recording, subtitles=subtitle_path(target, chosen))

    def transcribe_path(self, path: Path, *, subtitles: Path | None = None) -> bool:
        try:
            return self.file_transcriber.transcribe(path, subtitles=subtitles)
        except UserError as exc:  # no speech engine can be chosen
            self.show_message(str(exc))
            return False

    @Slot(list)
    def _on_files_dropped(self, paths: list[Path]) -> None:
        from slm_desktop.transcription import is_audio_name

        recordings = [p for p in paths if is_audio_name(p)]
        if recordings:
            self.transcribe_path(recordings[0])
            if len(paths) > 1:
                self.show_message(f"One file at a time: transcribing {recordings[0].name}")
        elif self.maybe_keep_changes():
            self.open_path(paths[0])

    def _create_speech_engine(self):
        """Runs inside the speech lane; a missing model becomes the lane's one-line error."""
        return self.server_mode.speech_engine(self._speech_choice().create())

    def _create_intent_engine(self):
        from slm_desktop.commands.intents import make_engine

        return make_engine(self.services.paths, probe_cache=self._probe_cache())

    @staticmethod
    def _name_unnamed(root: QWidget, prefix: str) -> None:
        for child in root.findChildren(QWidget):
            if not child.accessibleName():
                label = child.property("text") or child.objectName() or child.metaObject().className()
                child.setAccessibleName(f"{prefix}: {label}")

    def _build_status_bar(self) -> None:
        from slm_desktop.ui.status_bar import StatusBar

        self.status = StatusBar(self, self.services.worker, on_busy=lambda held: self.hold_suggestions("busy", held))

    # ------------------------------------------------------------------ menus

    def _action(self, menu, name: str, text: str, slot, shortcut=None, checkable=False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)
        self._actions[name] = action
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "new", "&New", self.new_document, QKeySequence.StandardKey.New)
        self._action(file, "open", "&Open…", self.open_document, QKeySequence.StandardKey.Open)
        self._build_recent_files(file)
        self._action(file, "transcribe_file", "&Transcribe Audio File…", self.transcribe_audio_file, "Ctrl+Shift+O")
        self._action(file, "transcribe_subtitles", "Transcribe to Su&btitles…", self.transcribe_to_subtitles)
        self._action(file, "save", "&Save", self.save_document, QKeySequence.StandardKey.Save)
        self._action(file, "save_as", "Save &As…", self.save_document_as, "Ctrl+Shift+S")
        file.addSeparator()
        self._action(file, "quit", "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        self._action(edit, "undo", "&Undo", self.editor.undo, QKeySequence.StandardKey.Undo)
        self._action(edit, "redo", "&Redo", self.editor.redo, QKeySequence.StandardKey.Redo)
        edit.addSeparator()
        self._action(edit, "cut", "Cu&t", self.editor.cut, QKeySequence.StandardKey.Cut)
        self._action(edit, "copy", "&Copy", self.editor.copy, QKeySequence.StandardKey.Copy)
        self._action(edit, "paste", "&Paste", self.editor.paste, QKeySequence.StandardKey.Paste)
        self._action(edit, "select_all", "Select &All", self.editor.selectAll, QKeySequence.StandardKey.SelectAll)
        edit.addSeparator()
        self._action(edit, "find", "&Find…", self.find_bar.open_find, QKeySequence.StandardKey.Find)
        self._action(edit, "find_next", "Find &Next", self.find_bar.find_next, QKeySequence.StandardKey.FindNext)
        self._action(
            edit, "find_previous", "Find Pre&vious", self.find_bar.find_previous, QKeySequence.StandardKey.FindPrevious
        )
        self._action(edit, "replace", "R&eplace…", self.find_bar.open_replace, "Ctrl+H")
        edit.addSeparator()
        self._action(edit, "insert_date", "Insert &Date", self.insert_date, "Ctrl+Shift+D")
        self._action(edit, "insert_time", "Insert T&ime", self.insert_time, "Ctrl+Shift+T")
        view = bar.addMenu("&View")
        self._action(view, "zoom_in", "Zoom &In", self.zoom_in, QKeySequence.StandardKey.ZoomIn)
        self._action(view, "zoom_out", "Zoom &Out", self.zoom_out, QKeySequence.StandardKey.ZoomOut)
        self._action(view, "zoom_reset", "&Reset Zoom", self.zoom_reset, "Ctrl+0")
        view.addSeparator()
        toggle_translation = self.translation_dock.toggleViewAction()
        toggle_translation.setShortcut(QKeySequence("F4"))
        view.addAction(toggle_translation)
        toggle_voice = self.voice_dock.toggleViewAction()
        toggle_voice.setShortcut(QKeySequence("Ctrl+Shift+V"))
        view.addAction(toggle_voice)
        self.tools_menu = bar.addMenu("&Tools")
        self._action(self.tools_menu, "command", "&Command…", self.focus_command_box, "Ctrl+K")
        suggestions = self._action(
            self.tools_menu, "suggestions", "Su&ggestions", self.toggle_suggestions, "Ctrl+Shift+Space", True
        )
        suggestions.setChecked(self.services.settings.completion.enabled)
        self._action(self.tools_menu, "translate_selection", "&Translate Selection", self.translate_selection, "Ctrl+T")
        self._action(self.tools_menu, "voice_dictation", "Voice: &Dictation Mode", self.dictation_mode, "Ctrl+Shift+1")
        self._action(self.tools_menu, "voice_command", "Voice: Comma&nd Mode", self.command_mode, "Ctrl+Shift+2")
        self._action(self.tools_menu, "models", "&Models…", self.open_models, "Ctrl+Shift+M")
        self.tools_menu.addSeparator()
        self._action(
            self.tools_menu, "settings", "&Settings…", self.open_settings, QKeySequence.StandardKey.Preferences
        )
        if QKeySequence(QKeySequence.StandardKey.Preferences).isEmpty():
            self._actions["settings"].setShortcut(QKeySequence("Ctrl+,"))
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "shortcuts", "&Keyboard Shortcuts", self.show_shortcuts, "F1")
        self._action(help_menu, "about", "&About slm-desktop", self.show_about)

    def action(self, name: str) -> QAction:
        return self._actions[name]

    # ------------------------------------------------------------------ status

    def _connect_worker(self) -> None:
        self.services.worker.failed.connect(self._on_job_failed)
        self._suggestions_paused = False
        self._suggestion_holds: set[str] = set()

    def hold_suggestions(self, reason: str, held: bool) -> None:
        """Low-power mode: no ghost text while speech, translation or live translation has the CPU.
        Each reason holds separately; the user's setting is untouched."""
        if held and self.services.power.pause_suggestions_while_busy:
            self._suggestion_holds.add(reason)
        else:
            self._suggestion_holds.discard(reason)
        paused = bool(self._suggestion_holds)
        if self.suggestions is None or paused == self._suggestions_paused:
            return
        self._suggestions_paused = paused
        settings = self.services.settings.completion
        self.suggestions.set_settings(dataclasses.replace(settings, enabled=settings.enabled and not paused))
        if not paused and settings.enabled and self.editor.hasFocus():
            self.suggestions.request_now()  # what the pause held back, for where the cursor is now

    @Slot(int, str, str)
    def _on_job_failed(self, _job_id: int, _kind: str, message: str) -> None:
        self.show_message(message)

    def show_figure(self, key: str, text: str) -> None:
        self.status.show_figure(key, text)

    def show_message(self, message: str, timeout_ms: int = 8000) -> None:
        log.info("status: %s", message)
        self.statusBar().showMessage(message, timeout_ms)

    # ------------------------------------------------------------------ settings

    def _apply_settings(self) -> None:
        ui = self.services.settings.ui
        self._set_font_size(ui.font_size)
        if ui.geometry:
            self.restoreGeometry(QByteArray.fromHex(ui.geometry.encode()))
        else:
            self.resize(1100, 720)
        if ui.window_state:
            self.restoreState(QByteArray.fromHex(ui.window_state.encode()))
        self.translation_dock.setVisible(ui.show_translation)
        self.voice_dock.setVisible(ui.show_voice_bar)

    def _remember_layout(self) -> None:
        s = self.services
        s.update_settings("ui", "geometry", bytes(self.saveGeometry().toHex()).decode())
        s.update_settings("ui", "window_state", bytes(self.saveState().toHex()).decode())
        s.update_settings("ui", "show_translation", self.translation_dock.isVisible())
        s.update_settings("ui", "show_voice_bar", self.voice_dock.isVisible())
        s.update_settings("translation", "source", self.translation_panel.source_language)
        if self.translation_panel.target_language:
            s.update_settings("translation", "target", self.translation_panel.target_language)

    @Slot()
    def open_settings(self) -> None:
        from slm_desktop.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.services.settings, self, worker=self.services.worker, personal=self.personal_words)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if dialog.exec():
            self.services.settings = dialog.result_settings()
            problem = self.services.save()
            self._set_font_size(self.services.settings.ui.font_size)
            self.show_message(problem or "Settings saved")
            self.settings_changed()

    def settings_changed(self) -> None:
        """Apply what can change while running; the microphone device applies on the next start."""
        settings = self.services.settings
        self.services.apply_power()
        if self.suggestions is not None:
            self.suggestions.set_settings(settings.completion)
        self._actions["suggestions"].setChecked(settings.completion.enabled)
        self.ptt_key.key = self._ptt_key()
        self.set_voice_mode(settings.speech.mode)
        if settings.server != self.server_mode.switch.settings:
            self.server_mode.apply(settings.server)
            self._on_models_changed()  # the server's translation pairs come or go
        self.speech.max_seconds = settings.speech.max_utterance_seconds
        self.speech.setEngine(self._create_speech_engine, self._speech_key())  # engine, model, language
        self.live_mode.controller.engine_key = "live:" + self._speech_key()

    # ------------------------------------------------------------------ zoom, insert

    def _set_font_size(self, size: int) -> None:
        size = max(MIN_FONT, min(MAX_FONT, size))
        font = QFont(self.editor.font())
        font.setPointSize(size)
        self.editor.setFont(font)
        self.services.update_settings("ui", "font_size", size)

    @Slot()
    def zoom_in(self) -> None:
        self._set_font_size(self.editor.font().pointSize() + 1)

    @Slot()
    def zoom_out(self) -> None:
        self._set_font_size(self.editor.font().pointSize() - 1)

    @Slot()
    def zoom_reset(self) -> None:
        self._set_font_size(12)

    @Slot()
    def insert_date(self) -> None:
        from PySide6.QtCore import QDate, QLocale

        self.editor.insertPlainText(QLocale().toString(QDate.currentDate(), QLocale.FormatType.ShortFormat))

    @Slot()
    def insert_time(self) -> None:
        from PySide6.QtCore import QLocale, QTime

        self.editor.insertPlainText(QLocale().toString(QTime.currentTime(), QLocale.FormatType.ShortFormat))

    # ------------------------------------------------------------------ documents

    # ------------------------------------------------------------------ recovery

    # ------------------------------------------------------------------ help

    @Slot()
    def show_shortcuts(self) -> None:
        lines = [
            f"{a.text().replace('&', '')}: {a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)}"
            for a in self._all_actions()
            if not a.shortcut().isEmpty()
        ]
        QMessageBox.information(self, "Keyboard shortcuts", "\n".join(lines + self.extra_shortcut_help()))

    def extra_shortcut_help(self) -> list[str]:
        return [
            "Accept suggestion: Tab",
            "Accept next word: Ctrl+Right",
            "Dismiss suggestion: Esc",
            "Word chips: Alt+1 / Alt+2 / Alt+3",
            "Push to talk: hold F9",
            "In the find bar: Enter next, Shift+Enter previous, Esc back to the text",
            "Transcribe a recording: drop it on the editor",
        ]

    def _all_actions(self) -> list[QAction]:
        return [a for menu in self.menuBar().findChildren(type(self.tools_menu)) for a in menu.actions()]

    @Slot()
    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About slm-desktop",
            f"slm-desktop {__version__}\nAn offline assistant run by small local models.\nNothing leaves this machine.",
        )

    # ------------------------------------------------------------------ voice and commands

    def start_background(self) -> None:
        """After the window shows: warm the speech engine; the microphone opens while the window has focus."""
        self._background_started = True
        self.speech.prepare()
        if self._owns_window(QApplication.focusWindow()):
            self.speech.openMicrophone()

    @Slot(str)
    def _on_dictated(self, text: str) -> None:
        """Spoken punctuation and "scratch that" act (ui/voice.DictationWriter); each utterance: one undo step."""
        if text:
            message = self.dictation.apply(text)
            if message:
                self.show_message(message)

    def _speech_context(self, mode: str) -> str:
        """The recogniser's prompt at each press: Settings' own words and, when dictating, the text before
        the cursor (commands/dictation.speech_context)."""
        from slm_desktop.commands.dictation import speech_context

        words = self.services.settings.speech.custom_words
        return speech_context(self.dictation.before_cursor(), words, mode=mode)

    @Slot(dict)
    def _on_speech_figures(self, figures: dict) -> None:
        self.show_figure("speech", f"speech RTF {figures['rtf']:.2f}")

    def _needs_confirmation(self, command) -> bool:
        if command.intent == "new_document":
            return self.editor.document().isModified() or bool(self.editor.toPlainText())
        return command.destructive

    @Slot(object)
    def _on_command(self, command) -> None:
        from slm_desktop.ui.actions import perform

        perform(self, command)
        self.show_message(f"Done: {command.summary()}")

    @Slot()
    def focus_command_box(self) -> None:
        self.voice_dock.show()
        self.command_bar.input.setFocus()
        self.command_bar.input.selectAll()

    def set_voice_mode(self, mode: str) -> None:
        self.voice_bar.modeBox.setCurrentIndex(self.voice_bar.modeBox.findData(mode))
        self.speech.setMode(mode)
        self.services.update_settings("speech", "mode", mode)
        self.show_message(f"Voice: {mode} mode")

    @Slot()
    def dictation_mode(self) -> None:
        self.set_voice_mode("dictation")

    @Slot()
    def command_mode(self) -> None:
        self.set_voice_mode("command")

    def stop_dictation(self) -> None:
        self.speech.release()
        self.set_voice_mode("command")

    def cancel_activity(self) -> None:
        """Stop recording and any running generation; the user's text stays as it is."""
        self.speech.release()
        self.cancel_generation()
        self.show_message("Cancelled")

    def cancel_generation(self) -> None:
        self.editor.clear_ghost()
        self.translation_panel.stop()

    def accept_suggestion(self) -> None:
        if self.editor.ghost():
            self.editor.accept_ghost()
        else:
            self.show_message("No suggestion to accept")

    def forget_document_path(self) -> None:
        self.document = Document("")
        self._on_modified(self.editor.document().isModified())

    def translate_text(self, text: str, target: str | None) -> None:
        self.translation_dock.show()
        self.translation_panel.translate_text(text, target)
        if target:
            self.services.update_settings("translation", "target", target)

    def set_translation_target(self, target: str) -> None:
        self.translation_panel.set_target(target)
        self.services.update_settings("translation", "target", target)
        self.show_message(f"Translation target: {target}")

    def show_help_text(self, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "What you can say", text, QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.setAccessibleName("Voice command help")
        box.show()
        self._help_box = box

    def _models_dialog(self):
        from slm_desktop.store.manager import ModelManager
        from slm_desktop.ui.models_dialog import ModelsDialog

        dialog = ModelsDialog(
            ModelManager(self.services.paths),
            self.services.worker,
            loaded=self.loaded_model_paths,
            completion=lambda: self.completion_choice,  # measuring reuses the suggestion engine
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.modelsChanged.connect(self._on_models_changed)
        return dialog

    @Slot()
    def open_models(self) -> None:
        self._models_dialog().exec()

    def loaded_model_paths(self) -> set[Path]:
        """Model files and folders some lane has loaded: the Models dialog will not remove or replace them."""
        parts = {part for key in self.status.engine_keys for part in key.split(":")}
        return {Path(part) for part in parts if part.startswith("/") and Path(part).exists()}

    def first_run(self) -> None:
        """First start: measure this machine for a few seconds and recommend models; nothing is downloaded.
        The settings file is written now, so the welcome shows once even if this session is killed."""
        self.services.save()
        dialog = self._models_dialog()
        dialog.show()
        dialog.measure()
        self.show_message("Welcome! Measuring this machine to recommend models (nothing is downloaded)")

    @Slot()
    def _on_models_changed(self) -> None:
        """A new or removed model shows up at once: translation pairs are discovered again."""
        from slm_desktop.translation import discover

        power = self.services.power
        catalog = discover(self.services.paths, threads=power.translation_threads, beam_size=power.beam_size)
        self.translation_panel.set_catalog(self.server_mode.catalog(catalog))

    # ------------------------------------------------------------------ a server the user runs (docs/server.md)

    def _build_server(self) -> None:
        """Off unless enabled in Settings; all of it in slm_desktop/ui/server_mode.py."""
        from slm_desktop.ui.server_mode import ServerMode

        self.server_mode = ServerMode(self, self.show_message)
        self.server_mode.apply(self.services.settings.server)

    # ------------------------------------------------------------------ live translate (feat-live)

    def _build_live(self) -> None:
        """Tools → Live Translate and the live bar in the voice dock; all of it in slm_desktop/ui/live.py."""
        from slm_desktop.ui.live import LiveMode

        self.live_mode = LiveMode(self)
        self.live_mode.action = self._action(
            self.tools_menu, "live_translate", "&Live Translate", self.live_mode.set_on, "Ctrl+Shift+L", True
        )

    # ------------------------------------------------------------------ closing

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_keep_changes():
            event.ignore()
            return
        self.recovery.discard()
        self._remember_layout()
        self.services.save()
        QApplication.instance().removeEventFilter(self.ptt_key)
        QApplication.instance().focusWindowChanged.disconnect(self._on_focus_window)
        self.live_mode.close()  # the live lane's job and the subtitle window go with the window
        event.accept()
