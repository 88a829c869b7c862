"""What the window needs from the app: paths, settings, the worker. Built in app.main()."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slm_desktop.config import Settings, save_settings
from slm_desktop.paths import AppPaths
from slm_desktop.power import PowerProfile
from slm_desktop.worker import Worker

log = logging.getLogger(__name__)


@dataclass
class AppServices:
    paths: AppPaths
    settings: Settings
    worker: Worker
    power: PowerProfile
    startup_messages: list[str] = field(default_factory=list)

    def update_settings(self, section: str, key: str, value) -> None:
        self.settings = self.settings.with_value(section, key, value)

    def save(self) -> str | None:
        """Persist settings; returns a one-line problem instead of raising."""
        try:
            save_settings(self.settings, self.paths.settings_file)
        except OSError as exc:
            log.warning("settings not saved: %s", exc)
            return f"settings could not be saved: {exc.strerror or exc}"
        return None
