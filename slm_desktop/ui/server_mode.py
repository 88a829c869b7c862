"""The main window's side of "Use a server": the switch every capability reads, the "server: HOST" label in
the status bar, and the one-line notices the lanes send when the server fails or answers again.

The engines and the fallback policy are in slm_desktop/server_select.py (no Qt); this only wires them in.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QLabel, QMainWindow

from slm_desktop.config import ServerSettings
from slm_desktop.engines.openai_server import host_of
from slm_desktop.server_key import load_key
from slm_desktop.server_select import (
    FallbackCompletionEngine,
    FallbackTranslationEngine,
    HybridSpeechEngine,
    ServerSwitch,
    local_translator,
    server_pairs,
    uses_server,
)

log = logging.getLogger(__name__)


class ServerMode(QObject):
    noticed = Signal(str)  # emitted on worker lanes; delivered (queued) to the GUI thread

    def __init__(self, window: QMainWindow, show_message: Callable[[str], None]):
        super().__init__(window)
        self._show_message = show_message
        self.switch = ServerSwitch(notify=self.noticed.emit)
        self.label = QLabel("")
        self.label.setAccessibleName("Server in use")
        self.label.setVisible(False)
        window.statusBar().addPermanentWidget(self.label)
        self.noticed.connect(self._on_notice)

    def apply(self, settings: ServerSettings) -> None:
        """New settings: the lanes pick them up at their next request; nothing is sent now."""
        self.switch.set(settings, load_key(settings))
        active = self.switch.active()
        self.label.setVisible(bool(active))
        if active:
            self.label.setText(f"server: {host_of(settings.url)}")
            self.label.setToolTip("Sent to the server: " + ", ".join(active))

    @Slot(str)
    def _on_notice(self, message: str) -> None:
        self._show_message(message)

    # ------------------------------------------------------------ what the capabilities get

    def completion_factory(self, local_factory: Callable[[], object]) -> Callable[[], object]:
        switch = self.switch

        def build():
            return FallbackCompletionEngine(local_factory, switch)

        return build

    def speech_engine(self, local) -> HybridSpeechEngine:
        """Runs in the speech lane: the local engine, with final text from the server while it is enabled."""
        return HybridSpeechEngine(local, self.switch)

    def catalog(self, catalog):
        """The translation catalog, with the server's pairs first while translation uses the server."""
        settings = self.switch.settings
        local = dataclasses.replace(catalog, pairs=tuple(p for p in catalog.pairs if p.engine != "server"))
        if not uses_server(settings, "translation"):
            return dataclasses.replace(local, server=None)
        fallback = local_translator(local, local.open)
        switch = self.switch

        def open_server(_pair):
            return FallbackTranslationEngine(switch, fallback)

        return dataclasses.replace(local, pairs=(*server_pairs(settings), *local.pairs), server=open_server)
