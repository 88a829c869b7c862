"""Light and dark palettes that follow the system's colour scheme.

Fusion adapts by itself where the platform theme reports the scheme (Windows, macOS, GNOME/KDE
with a portal); this makes the dark case explicit so every platform gets a readable palette, and
the stylesheet uses palette() colours so it follows along.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPalette

DARK = {
    QPalette.ColorRole.Window: "#202225",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#17181a",
    QPalette.ColorRole.AlternateBase: "#2a2c30",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#2a2c30",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.Highlight: "#3d8ee6",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#2a2c30",
    QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.PlaceholderText: "#8a8f98",
    QPalette.ColorRole.Mid: "#44474d",
    QPalette.ColorRole.Link: "#6cb0ff",
}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in DARK.items():
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6b6f76"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6b6f76"))
    return palette


class ThemeFollower(QObject):
    """Applies the palette now and whenever the system switches between light and dark."""

    def __init__(self, app: QGuiApplication, forced: Qt.ColorScheme | None = None):
        super().__init__(app)
        self._app = app
        self._forced = forced
        app.styleHints().colorSchemeChanged.connect(self._on_scheme_changed)
        self._on_scheme_changed(app.styleHints().colorScheme())

    @Slot(Qt.ColorScheme)
    def _on_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        scheme = self._forced or scheme
        dark = scheme == Qt.ColorScheme.Dark
        self._app.setPalette(dark_palette() if dark else self._app.style().standardPalette())
