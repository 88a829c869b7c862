import dataclasses

import pytest

from slm_desktop.config import Settings
from slm_desktop.power import PowerProfile, auto_low_power, decide_power
from slm_desktop.store.recommend import Hardware


def machine(cores: int, ram_gb: float) -> Hardware:
    return Hardware("x86_64", cores, int(ram_gb * 1024), int(ram_gb * 512), ())


PI4 = Hardware("aarch64", 4, 3796, 3000, ("neon",))  # MemTotal of a 4 GB Raspberry Pi 4
LAPTOP = machine(8, 16)


def with_mode(mode: str, changes: dict[tuple[str, str], object] | None = None) -> Settings:
    settings = Settings().with_value("ui", "low_power", mode)
    for (section, key), value in (changes or {}).items():
        settings = settings.with_value(section, key, value)
    return settings


@pytest.mark.parametrize(
    ("hardware", "expected"),
    [
        (PI4, True),
        (machine(2, 32), True),  # few cores
        (machine(4, 64), True),  # the boundary is inclusive
        (machine(8, 4), True),  # little memory
        (machine(8, 3.5), True),
        (machine(6, 8), False),
        (LAPTOP, False),
    ],
)
def test_auto_selects_low_power_on_small_machines(hardware, expected):
    assert auto_low_power(hardware) is expected
    assert decide_power(Settings(), hardware).low_power is expected


def test_unknown_ram_does_not_force_low_power():
    assert not auto_low_power(Hardware("x86_64", 8, 0, 0, ()))


def test_settings_override_auto_both_ways():
    assert decide_power(with_mode("on"), LAPTOP).low_power
    assert not decide_power(with_mode("off"), PI4).low_power
    assert "settings" in decide_power(with_mode("on"), LAPTOP).reason


def test_unknown_mode_falls_back_to_auto():
    assert decide_power(with_mode("turbo"), PI4).low_power
    assert not decide_power(with_mode("turbo"), LAPTOP).low_power


def test_low_power_uses_fewer_threads_beam_one_and_pauses_suggestions():
    settings = with_mode("auto", {("translation", "beam_size"): 4})
    normal = decide_power(settings, LAPTOP)
    low = decide_power(with_mode("on", {("translation", "beam_size"): 4}), LAPTOP)
    assert (normal.completion_threads, normal.translation_threads, normal.beam_size) == (4, 4, 4)
    assert not normal.pause_suggestions_while_busy
    assert (low.completion_threads, low.translation_threads, low.beam_size) == (2, 2, 1)
    assert low.pause_suggestions_while_busy


def test_threads_follow_the_core_count():
    assert decide_power(Settings(), PI4).completion_threads == 2
    assert decide_power(Settings(), machine(2, 8)).completion_threads == 1
    assert decide_power(Settings(), machine(1, 8)).completion_threads == 1
    assert decide_power(with_mode("off"), machine(2, 8)).completion_threads == 1
    assert decide_power(with_mode("off"), machine(3, 8)).completion_threads == 2


def test_configured_threads_win_over_the_derived_count():
    settings = with_mode("on", {("completion", "threads"): 3, ("translation", "threads"): 1})
    profile = decide_power(settings, LAPTOP)
    assert (profile.completion_threads, profile.translation_threads) == (3, 1)


def test_reason_names_the_machine_in_auto_mode():
    assert decide_power(Settings(), PI4).reason == "low-power mode: on (auto: 4 cores, 3.7 GB RAM)"


def test_profile_is_frozen():
    profile = decide_power(Settings(), PI4)
    assert isinstance(profile, PowerProfile)
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.low_power = False  # type: ignore[misc]


def test_low_power_unloads_idle_engines_and_the_worker_follows_the_profile(qtbot, tmp_path):
    from slm_desktop.paths import AppPaths
    from slm_desktop.ui.services import AppServices
    from slm_desktop.worker import Worker

    assert decide_power(with_mode("off"), LAPTOP).idle_unload_s is None
    services = AppServices(AppPaths(tmp_path / "c", tmp_path / "d"), with_mode("on"), Worker(), LAPTOP)
    try:
        services.apply_power()
        assert services.worker.config.idle_unload_s == decide_power(with_mode("on"), LAPTOP).idle_unload_s > 0
        services.update_settings("ui", "low_power", "off")
        services.apply_power()
        assert services.worker.config.idle_unload_s is None
    finally:
        services.worker.shutdown()
