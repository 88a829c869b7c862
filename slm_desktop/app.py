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
    from slm_desktop.ui.services import AppServices
    from slm_desktop.worker import Worker

    loaded = load_settings(paths.settings_file)
    return AppServices(paths, loaded.settings, Worker(), list(loaded.problems))


def create_window(paths: AppPaths):
    """The window with its services; tests call this directly with a QApplication running."""
    from slm_desktop.ui.main_window import MainWindow

    return MainWindow(build_services(paths))


def _application(argv: Sequence[str]):
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("slm-desktop")
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName(APP_NAME)
    app.setStyle("Fusion")  # Fusion follows the system's light/dark colour scheme
    icon = resources_dir() / "icons" / "slm-desktop.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def main(argv: Sequence[str] | None = None, *, paths: AppPaths | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    paths = paths or AppPaths.from_environment(dict(os.environ))
    crash_log = _crash_log(paths)
    app = _application([])
    window = create_window(paths)
    window.show()
    window.offer_recovery()
    window.start_background()
    if argv:
        window.open_path(Path(argv[0]))
    code = app.exec()
    window.services.worker.shutdown()
    if crash_log is not None:
        from slm_desktop.isolation import close_crash_log

        close_crash_log(crash_log)
    return code


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
