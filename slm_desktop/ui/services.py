"""What the window needs from the app: paths, settings, the worker. Built in app.main()."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from slm_desktop.config import Settings, save_settings
from slm_desktop.paths import AppPaths
from slm_desktop.power import PowerProfile, decide_power
from slm_desktop.store.recommend import Hardware
from slm_desktop.worker import Worker

log = logging.getLogger(__name__)


@dataclass
class AppServices:
    paths: AppPaths
    settings: Settings
    worker: Worker
    hardware: Hardware
    startup_messages: list[str] = field(default_factory=list)

    @property
    def power(self) -> PowerProfile:
        """Derived, so a changed low-power setting applies at once (decide_power is pure and cheap)."""
        return decide_power(self.settings, self.hardware)

    def apply_power(self) -> None:
        """The worker follows the power profile: in low-power mode idle lanes give their engines' memory back."""
        self.worker.configure(replace(self.worker.config, idle_unload_s=self.power.idle_unload_s))

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
