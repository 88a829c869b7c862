"""Low-power mode for boards (Raspberry Pi 4/5) and small laptops.

One pure decision, `decide_power(settings, hardware)`, turns the `ui.low_power` setting
(auto | on | off) and the measured machine into a frozen `PowerProfile` the app applies:
fewer inference threads so audio capture and the GUI keep a core, suggestions paused while
speech recognition or translation run (they would compete for the same cores), a translation
beam of 1, and engines closed once their lane has been idle for two minutes (memory is the
scarcer resource on a board; a reload costs well under a second).
`auto` selects low power on <= 4 cores or <= 4 GB of RAM.
"""

from __future__ import annotations

from dataclasses import dataclass

from slm_desktop.config import Settings
from slm_desktop.store.recommend import Hardware

LOW_POWER_MAX_CORES = 4
LOW_POWER_MAX_RAM_MB = 4096
MODES = ("auto", "on", "off")
IDLE_UNLOAD_SECONDS = 120.0  # low power: a lane that ran nothing for this long closes its engines


@dataclass(frozen=True)
class PowerProfile:
    low_power: bool
    reason: str  # one line for the status bar and `doctor`
    completion_threads: int
    translation_threads: int
    beam_size: int
    pause_suggestions_while_busy: bool  # no ghost text while speech recognition or translation runs
    idle_unload_s: float | None = None  # close a lane's engines after this long idle; None keeps them


def auto_low_power(hardware: Hardware) -> bool:
    """Small machines: few cores, or little memory (MemTotal of a 4 GB board is a bit under 4096 MB)."""
    small_ram = 0 < hardware.ram_total_mb <= LOW_POWER_MAX_RAM_MB
    return hardware.cores <= LOW_POWER_MAX_CORES or small_ram


def _threads(configured: int, cores: int, low_power: bool) -> int:
    """A configured count (> 0) wins; otherwise leave a core free, and use at most 2 in low power."""
    if configured > 0:
        return configured
    if low_power:
        return max(1, min(2, cores // 2))
    return max(1, min(4, cores - 1))


def _decide_mode(mode: str, hardware: Hardware) -> tuple[bool, str]:
    if mode == "on":
        return True, "low-power mode: on (settings)"
    if mode == "off":
        return False, "low-power mode: off (settings)"
    machine = f"{hardware.cores} cores, {hardware.ram_total_mb / 1024:.1f} GB RAM"
    if auto_low_power(hardware):
        return True, f"low-power mode: on (auto: {machine})"
    return False, f"low-power mode: off (auto: {machine})"


def decide_power(settings: Settings, hardware: Hardware) -> PowerProfile:
    """Pure: the same settings and machine always give the same profile. Unknown modes mean auto."""
    mode = settings.ui.low_power if settings.ui.low_power in MODES else "auto"
    low, reason = _decide_mode(mode, hardware)
    return PowerProfile(
        low_power=low,
        reason=reason,
        completion_threads=_threads(settings.completion.threads, hardware.cores, low),
        translation_threads=_threads(settings.translation.threads, hardware.cores, low),
        beam_size=1 if low else max(1, settings.translation.beam_size),
        pause_suggestions_while_busy=low,
        idle_unload_s=IDLE_UNLOAD_SECONDS if low else None,
    )
