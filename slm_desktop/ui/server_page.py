"""Settings → "Use a server": URL, API key, which capabilities use it, timeouts, and a Test button.

Nothing is sent while the page is only filled in: the Test button asks the server for its models (on a
worker lane, so a slow server never blocks the window) and the capabilities use it once "Use a server"
is on and the dialog is accepted. An http:// address off the local network asks once before it is used.
"""

from __future__ import annotations

import dataclasses
import logging

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from slm_desktop.config import RANGES, ServerSettings
from slm_desktop.engines.openai_server import ServerClient, needs_confirmation
from slm_desktop.server_key import keyring_name, load_key, store_key, where_stored
from slm_desktop.server_select import server_config
from slm_desktop.worker import JobContext, Worker

log = logging.getLogger(__name__)

TEST_KIND = "server-test"
CAPABILITY_LABELS = {
    "completion": "Suggestions (ghost text and word chips)",
    "translation": "Translation (the server's chat model)",
    "speech": "Speech: final text (partial text stays local)",
}


def _test_job(config):
    def job(_ctx: JobContext) -> tuple[list[str], float]:
        client = ServerClient(config)
        try:
            return client.round_trip()
        finally:
            client.close()

    return job


class ServerPage(QWidget):
    def __init__(self, settings: ServerSettings, worker: Worker | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._settings, self._worker = settings, worker
        self._backend = keyring_name()
        self._test_job = None
        form = QFormLayout(self)
        self.enabled = QCheckBox("Use a server for the capabilities ticked below")
        self.enabled.setChecked(settings.enabled)
        self.enabled.setAccessibleName("Server: use a server")
        form.addRow(self.enabled)
        self.url = self._line(settings.url, "Server: URL", "http://192.168.1.20:8080 (llama-server, Ollama, vLLM)")
        form.addRow("URL", self.url)
        self.key = self._line(load_key(dataclasses.replace(settings, enabled=True), self._backend), "Server: API key")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("optional")
        form.addRow("API key", self.key)
        self.key_where = QLabel(where_stored(self._backend))
        self.key_where.setAccessibleName("Server: where the API key is stored")
        self.key_where.setWordWrap(True)
        form.addRow("", self.key_where)
        self.uses = {}
        for name, label in CAPABILITY_LABELS.items():
            box = QCheckBox(label)
            box.setChecked(getattr(settings, name))
            box.setAccessibleName(f"Server: use for {name}")
            self.uses[name] = box
            form.addRow("" if name != "completion" else "Use it for", box)
        self.model = self._line(settings.model, "Server: model", "empty: the server's first model")
        form.addRow("Model", self.model)
        self.speech_model = self._line(settings.speech_model, "Server: speech model")
        form.addRow("Speech model", self.speech_model)
        self.languages = self._line(settings.languages, "Server: translation languages")
        form.addRow("Translation languages", self.languages)
        self.connect_timeout = self._seconds(settings.connect_timeout_s, "Server: connect timeout", "connect_timeout_s")
        form.addRow("Connect timeout", self.connect_timeout)
        self.first_token_timeout = self._seconds(
            settings.first_token_timeout_s, "Server: first token timeout", "first_token_timeout_s"
        )
        form.addRow("First token timeout", self.first_token_timeout)
        row = QHBoxLayout()
        self.test_button = QPushButton("Test")
        self.test_button.setAccessibleName("Server: test the connection")
        self.test_button.clicked.connect(self.test)
        self.test_result = QLabel("Not tested. Test asks the server for its models; nothing else is sent.")
        self.test_result.setAccessibleName("Server: test result")
        self.test_result.setWordWrap(True)
        row.addWidget(self.test_button)
        row.addWidget(self.test_result, 1)
        form.addRow(row)
        if worker is not None:
            worker.finished.connect(self._on_finished)
            worker.failed.connect(self._on_failed)

    @staticmethod
    def _line(value: str, name: str, placeholder: str = "") -> QLineEdit:
        line = QLineEdit(value)
        line.setAccessibleName(name)
        line.setPlaceholderText(placeholder)
        return line

    @staticmethod
    def _seconds(value: float, name: str, key: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(*RANGES[("server", key)])
        spin.setDecimals(1)
        spin.setSuffix(" s")
        spin.setValue(value)
        spin.setAccessibleName(name)
        return spin

    # ------------------------------------------------------------ results

    def edited(self) -> ServerSettings:
        """The page's values (the key not included: see result())."""
        return dataclasses.replace(
            self._settings,
            enabled=self.enabled.isChecked(),
            url=self.url.text().strip(),
            model=self.model.text().strip(),
            speech_model=self.speech_model.text().strip() or "whisper-1",
            languages=self.languages.text().strip(),
            connect_timeout_s=self.connect_timeout.value(),
            first_token_timeout_s=self.first_token_timeout.value(),
            **{name: box.isChecked() for name, box in self.uses.items()},
        )

    def result(self) -> ServerSettings:
        """The settings to save; the key goes to the keyring now (or stays in the settings, 0600)."""
        return store_key(self.edited(), self.key.text().strip(), self._backend)

    def confirm(self) -> bool:
        """http:// off the local network: ask once (the answer is remembered for that URL)."""
        settings = self.edited()
        if not settings.enabled or not needs_confirmation(settings.url) or settings.confirmed_http == settings.url:
            return True
        answer = QMessageBox.question(
            self,
            "Unencrypted connection",
            f"{settings.url} is not on your local network and uses http://, so your text would cross the "
            "network unencrypted. Use it anyway?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self._settings = dataclasses.replace(self._settings, confirmed_http=settings.url)
        return True

    # ------------------------------------------------------------ Test

    @Slot()
    def test(self) -> None:
        settings = self.edited()
        if not settings.url:
            self.test_result.setText("Enter the server's URL first.")
            return
        if self._worker is None:
            self.test_result.setText("Testing needs the running app.")
            return
        self.test_button.setEnabled(False)
        self.test_result.setText(f"Asking {settings.url} for its models…")
        config = server_config(settings, self.key.text().strip())
        self._test_job = self._worker.submit(TEST_KIND, _test_job(config), lane="server", latest_wins=True)

    def _mine(self, job_id: int, kind: str) -> bool:
        return kind == TEST_KIND and self._test_job is not None and job_id == self._test_job.id

    @Slot(int, str, object)
    def _on_finished(self, job_id: int, kind: str, result: object) -> None:
        if not self._mine(job_id, kind):
            return
        models, ms = result
        shown = ", ".join(m.rsplit("/", 1)[-1] for m in models[:5]) or "none listed"
        more = f" (+{len(models) - 5} more)" if len(models) > 5 else ""
        self.test_result.setText(f"OK: round trip {ms:.0f} ms · models: {shown}{more}")
        self.test_button.setEnabled(True)

    @Slot(int, str, str)
    def _on_failed(self, job_id: int, kind: str, message: str) -> None:
        if self._mine(job_id, kind):
            self.test_result.setText(f"Failed: {message}")
            self.test_button.setEnabled(True)
