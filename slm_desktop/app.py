"""QApplication bootstrap. All wiring happens here, nothing at import time."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from slm_desktop.paths import APP_NAME, AppPaths, resources_dir

log = logging.getLogger(__name__)


def build_services(paths: AppPaths):
    from slm_desktop.config import load_settings
    from slm_desktop.store.recommend import measure_hardware
    from slm_desktop.ui.services import AppServices
    from slm_desktop.worker import Worker

    loaded = load_settings(paths.settings_file)
    services = AppServices(paths, loaded.settings, Worker(), measure_hardware())
    services.startup_messages = [services.power.reason, *loaded.problems]
    services.apply_power()
    return services


def create_window(paths: AppPaths):
    """The window with its services; tests call this directly with a QApplication running."""
    from slm_desktop.ui.main_window import MainWindow

    return MainWindow(build_services(paths))


def _application(argv: Sequence[str], *, scheme: str = ""):
    """scheme: "" follows the system; "dark"/"light" force one (screenshots, SLM_DESKTOP_THEME)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from slm_desktop.ui.theme import ThemeFollower

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("slm-desktop")
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName(APP_NAME)
    app.setStyle("Fusion")
    forced = {"dark": Qt.ColorScheme.Dark, "light": Qt.ColorScheme.Light}.get(scheme)
    app._theme = ThemeFollower(app, forced)
    style = resources_dir() / "styles" / "app.qss"
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    icon = resources_dir() / "icons" / "slm-desktop.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def _watch_startup(app, window, mode: str):
    """print: announce the first painted frame on stdout; quit: announce it, then exit (startup timing)."""
    from slm_desktop.startup_probe import StartupProbe

    return StartupProbe(app, window, quit_after=mode == "quit")


def main(argv: Sequence[str] | None = None, *, paths: AppPaths | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    paths = paths or AppPaths.from_environment(dict(os.environ))
    probe_mode = os.environ.get("SLM_DESKTOP_STARTUP_PROBE", "")  # print | quit; read here only
    crash_log = _crash_log(paths)
    app = _application([], scheme=os.environ.get("SLM_DESKTOP_THEME", ""))
    first_run = not paths.settings_file.exists() and probe_mode != "quit"  # quit: start-up timing only
    window = create_window(paths)
    if probe_mode in ("print", "quit"):
        _watch_startup(app, window, probe_mode)
    window.show()
    window.offer_recovery()
    window.start_background()
    if first_run:
        window.first_run()
    if argv:
        open_argument(window, Path(argv[0]))
    code = app.exec()
    window.services.worker.shutdown()
    if crash_log is not None:
        from slm_desktop.isolation import close_crash_log

        close_crash_log(crash_log)
    return code


def open_argument(window, path: Path) -> bool:
    """`slm-desktop FILE`, the desktop entry's "Open With": a refusal is one line, the window stays. Text just
    restored from the recovery prompt is unsaved: the user saves, drops or keeps it before FILE replaces it.
    A recording is transcribed into the document instead (nothing is replaced, so nothing to ask)."""
    from slm_desktop.transcription import is_audio_name

    if is_audio_name(path) and path.is_file():
        return window.transcribe_path(path)
    if not window.maybe_keep_changes():
        return False
    return window.open_path(path, refused=_say_refused)


def _say_refused(message: str) -> None:
    print(f"slm-desktop: {message}", file=sys.stderr, flush=True)


def _crash_log(paths: AppPaths):
    """Native crashes leave a stack trace in the data dir (the text itself is in the recovery file)."""
    from slm_desktop.isolation import enable_crash_log

    try:
        return enable_crash_log(paths.data_dir)
    except OSError as exc:
        log.warning("no crash log: %s", exc.strerror or exc)
        return None


if __name__ == "__main__":
    sys.exit(main())
