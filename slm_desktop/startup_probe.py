"""Startup marker for packaging/measure_startup.py and the packaging test.

When asked (app.main() reads SLM_DESKTOP_STARTUP_PROBE), print one line once the main window
has been exposed and painted, and optionally quit, so a script can time "launch -> window shown"
for the frozen bundle and for `python -m slm_desktop` the same way. The line ends with the window
title, so a launcher test can see which file the window opened.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QEvent, QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication, QWidget

MARKER = "slm-desktop: window shown"


class StartupProbe(QObject):
    """Watches the window's first Expose event, then reports after the paint that follows it."""

    def __init__(self, app: QApplication, window: QWidget, *, quit_after: bool):
        super().__init__(window)
        self._app = app
        self._quit_after = quit_after
        self._window = window
        self._reported = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._reported:
            self._reported = True
            QTimer.singleShot(0, self._report)  # after this paint has been flushed
        return False

    @Slot()
    def _report(self) -> None:
        print(f"{MARKER}: {self._window.windowTitle()}", flush=True)
        sys.stdout.flush()
        if self._quit_after:
            self._app.quit()
