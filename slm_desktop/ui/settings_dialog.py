"""Settings dialog, generated from the Settings dataclasses so every setting is reachable."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from slm_desktop.config import RANGES, Settings

HIDDEN = {
    ("ui", "geometry"),
    ("ui", "window_state"),
    ("ui", "last_directory"),
    ("ui", "last_audio_directory"),
    ("ui", "recent_files"),
}
CHOICES = {
    ("speech", "engine"): ["auto", "whisper", "pocketsphinx", "vosk"],
    ("speech", "mode"): ["dictation", "command"],
    ("translation", "engine"): ["auto", "ct2", "apertium"],
    ("ui", "low_power"): ["auto", "on", "off"],
}
PLACEHOLDERS = {
    ("speech", "whisper_model"): "the default Whisper model installed (e.g. whisper-base)",
    ("speech", "custom_words"): "names and jargon, comma-separated: Siobhan, kubectl, Zürich",
    ("speech", "vosk_model"): "the first vosk-model-* for the language",
}
LABELS = {"command_second_opinion": "Double-check unsure commands with Whisper tiny.en"}
TAB_TITLES = {"completion": "Suggestions", "speech": "Speech", "translation": "Translation", "ui": "Interface"}


def _label(name: str) -> str:
    return LABELS.get(name) or name.replace("_", " ").capitalize()


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None, *, worker=None, personal=None):
        """personal: the app's PersonalWords (ui/personal_words.py), for its size and "Forget everything"."""
        super().__init__(parent)
        self._personal = personal
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings dialog")
        self._settings = settings
        self._editors: dict[tuple[str, str], QWidget] = {}
        tabs = QTabWidget(self)
        tabs.setAccessibleName("Settings sections")
        for section in dataclasses.fields(settings):
            if section.name == "server":  # its own page: slm_desktop/ui/server_page.py
                continue
            tabs.addTab(self._section_page(section.name, getattr(settings, section.name)), TAB_TITLES[section.name])
        from slm_desktop.ui.server_page import ServerPage

        self.server_page = ServerPage(settings.server, worker)
        tabs.addTab(self.server_page, "Use a server")
        self.tabs = tabs
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)

    def _section_page(self, section: str, values) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        for f in dataclasses.fields(values):
            key = (section, f.name)
            if key in HIDDEN:
                continue
            editor = self._editor_for(key, getattr(values, f.name))
            editor.setAccessibleName(f"{TAB_TITLES[section]}: {_label(f.name)}")
            self._editors[key] = editor
            form.addRow(_label(f.name), editor)
        if section == "completion" and self._personal is not None:
            form.addRow("Personal model", self._personal_row())
        return page

    def _personal_row(self) -> QWidget:
        """What the personal model holds, and a button that deletes it (text learned stays on this machine)."""
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self.personal_label = QLabel(self._personal.describe())
        self.personal_label.setAccessibleName("Personal model size")
        self.forget_button = QPushButton("Forget everything")
        self.forget_button.setAccessibleName("Forget everything the personal model learned")
        self.forget_button.clicked.connect(self._personal.forget)
        self._personal.changed.connect(self._show_personal)
        layout.addWidget(self.personal_label, 1)
        layout.addWidget(self.forget_button)
        return row

    @Slot()
    def _show_personal(self) -> None:
        self.personal_label.setText(self._personal.describe())

    def _editor_for(self, key: tuple[str, str], value) -> QWidget:
        if isinstance(value, bool):
            box = QCheckBox()
            box.setChecked(value)
            return box
        if isinstance(value, int):
            spin = QSpinBox()
            spin.setRange(*RANGES.get(key, (0, 100000)))
            spin.setValue(value)
            return spin
        if key in CHOICES:
            combo = QComboBox()
            combo.addItems(CHOICES[key])
            combo.setCurrentText(value)
            return combo
        if key == ("speech", "input_device"):
            return self._device_chooser(value)
        if key == ("speech", "language"):
            return self._language_chooser(value)
        if key == ("speech", "push_to_talk_key"):
            return QKeySequenceEdit(QKeySequence(value))
        line = QLineEdit(value)
        line.setPlaceholderText(PLACEHOLDERS.get(key, ""))
        return line

    @staticmethod
    def _language_chooser(value: str) -> QComboBox:
        """auto (the recogniser detects it, Whisper) or a fixed language; editable for any other code."""
        from slm_desktop.languages import LANGUAGE_NAMES

        combo = QComboBox()
        combo.setEditable(True)
        combo.addItems(["auto", *LANGUAGE_NAMES])
        combo.setToolTip("auto: detected from each utterance (Whisper); or an ISO 639-1 code such as en, es, de")
        combo.setCurrentText(value)
        return combo

    @staticmethod
    def _device_chooser(value: str) -> QComboBox:
        """Microphones PortAudio lists; editable, so a device that is unplugged now is kept."""
        from slm_desktop.audio.capture import input_devices
        from slm_desktop.errors import AudioError

        combo = QComboBox()
        combo.setEditable(True)
        combo.addItem("")  # the system's default input
        try:
            combo.addItems(input_devices())
        except AudioError as exc:
            combo.setToolTip(str(exc))
        combo.setCurrentText(value)
        return combo

    def accept(self) -> None:
        if self.server_page.confirm():
            super().accept()

    def result_settings(self) -> Settings:
        settings = dataclasses.replace(self._settings, server=self.server_page.result())
        for (section, name), editor in self._editors.items():
            if isinstance(editor, QCheckBox):
                value = editor.isChecked()
            elif isinstance(editor, QSpinBox):
                value = editor.value()
            elif isinstance(editor, QComboBox):
                value = editor.currentText()
            elif isinstance(editor, QKeySequenceEdit):
                value = editor.keySequence().toString() or "F9"
            else:
                value = editor.text().strip()
            settings = settings.with_value(section, name, value)
        return settings
