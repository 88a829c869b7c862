"""File → Open Recent: the documents the user opened or saved last, newest first, kept across sessions.

The list lives in settings.toml (`ui.recent_files`, a 0600 file: paths can say a lot about a person) and is
written as soon as it changes, so a crash does not forget it. A file that has gone since is dropped from the
list when the user picks it, with the reason in the status bar.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from slm_desktop.config import storable

MAX_RECENT = 10


def remember(recent: tuple[str, ...], path: Path, limit: int = MAX_RECENT) -> tuple[str, ...]:
    """`path` first, without its older entry; absolute, so the list means the same from any folder. A name
    that is not UTF-8 cannot be kept in settings.toml: such a file is left out of the list."""
    newest = str(Path(path).expanduser().absolute())
    if not storable(newest):
        return recent
    return (newest, *(p for p in recent if p != newest))[:limit]


def forget(recent: tuple[str, ...], path: Path) -> tuple[str, ...]:
    gone = str(Path(path).expanduser().absolute())
    return tuple(p for p in recent if p != gone)


def entry_text(index: int, path: Path) -> str:
    """ "&1 notes.txt — ~/Documents": the name first (that is what people look for), a number to press."""
    folder = str(path.parent)
    home = str(Path.home())
    if folder == home or folder.startswith(home + "/"):
        folder = "~" + folder[len(home) :]
    number = f"&{index + 1}" if index < 9 else str(index + 1)
    return f"{number}  {path.name.replace('&', '&&')} — {folder.replace('&', '&&')}"


class RecentFilesMenu(QObject):
    """Builds the submenu each time it opens, from the list the owner keeps."""

    chosen = Signal(object)  # a Path
    cleared = Signal()

    def __init__(self, parent_menu: QMenu, recent, parent: QWidget | None = None):
        """`recent`: a callable giving the current tuple of paths (the settings are the one place they live)."""
        super().__init__(parent)
        self._recent = recent
        self.menu = parent_menu.addMenu("Open &Recent")
        self.menu.setObjectName("recentFilesMenu")
        self.menu.aboutToShow.connect(self.rebuild)
        self.rebuild()

    @Slot()
    def rebuild(self) -> None:
        self.menu.clear()
        paths = [Path(p) for p in self._recent()]
        for index, path in enumerate(paths):
            action = QAction(entry_text(index, path), self.menu)
            action.setToolTip(str(path))
            action.setData(str(path))
            action.triggered.connect(self._on_triggered)
            self.menu.addAction(action)
        if paths:
            self.menu.addSeparator()
        clear = self.menu.addAction("&Clear Menu")
        clear.setEnabled(bool(paths))
        clear.triggered.connect(self.cleared)
        self.menu.setEnabled(bool(paths))

    def actions(self) -> list[QAction]:
        """The file entries, newest first (not the separator or Clear Menu)."""
        return [a for a in self.menu.actions() if a.data()]

    @Slot()
    def _on_triggered(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.chosen.emit(Path(action.data()))
