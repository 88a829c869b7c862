"""Settings: defaults, round trip, wrong types, and a corrupt file moved aside (never deleted)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from slm_desktop.config import RANGES, Settings, load_settings, save_settings, settings_from_dict


def test_missing_file_gives_defaults(tmp_path):
    result = load_settings(tmp_path / "nope.toml")
    assert result.settings == Settings() and result.problems == ()


def test_round_trip(tmp_path):
    path = tmp_path / "settings.toml"
    changed = Settings().with_value("completion", "debounce_ms", 300).with_value("translation", "target", "de")
    save_settings(changed, path)
    assert load_settings(path).settings == changed


def test_wrong_types_fall_back_per_key(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[completion]\ndebounce_ms = "fast"\nenabled = false\n[ui]\nfont_size = true\n')
    result = load_settings(path)
    assert result.settings.completion.debounce_ms == 150
    assert result.settings.completion.enabled is False
    assert result.settings.ui.font_size == 12
    assert len(result.problems) == 2 and all("wrong type" in p for p in result.problems)


def test_corrupt_file_is_moved_aside_and_kept(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_bytes(b"[completion\n\xff\xfe garbage")
    result = load_settings(path)
    assert result.settings == Settings()
    assert not path.exists()
    kept = list(tmp_path.glob("settings.toml.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"[completion")
    assert "moved to" in result.problems[0]


values = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.lists(st.integers(), max_size=3))


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["completion", "speech", "translation", "ui", "x"]),
        st.one_of(values, st.dictionaries(st.text(max_size=15), values, max_size=6)),
        max_size=5,
    )
)
def test_any_parsed_toml_shape_loads_without_raising(raw):
    result = settings_from_dict(raw)
    assert isinstance(result.settings, Settings)


def test_a_settings_file_holding_a_server_key_is_readable_by_the_user_only(tmp_path):
    import stat

    from slm_desktop.config import ServerSettings, load_settings, save_settings

    path = tmp_path / "settings.toml"
    path.write_text("[ui]\nfont_size = 13\n")
    path.chmod(0o644)
    save_settings(Settings(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # no key: the file keeps its mode
    keyed = Settings(server=ServerSettings(enabled=True, url="http://127.0.0.1:8080", api_key="sk-1"))
    save_settings(keyed, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings(path).settings.server == keyed.server
    fresh = tmp_path / "new" / "settings.toml"
    save_settings(Settings(), fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


def test_numbers_outside_their_range_are_brought_inside_with_one_line_each(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(
        "[ui]\nautosave_seconds = 0\nfont_size = 500\n"
        "[server]\nconnect_timeout_s = nan\nfirst_token_timeout_s = -1.0\n"
        "[completion]\nmax_tokens = -3\ndebounce_ms = 150\n"
    )
    result = load_settings(path)
    s = result.settings
    assert (s.ui.autosave_seconds, s.ui.font_size) == (1, 48)
    assert s.server.connect_timeout_s == Settings().server.connect_timeout_s  # NaN: no number at all
    assert s.server.first_token_timeout_s == 0.2
    assert s.completion.max_tokens == 1 and s.completion.debounce_ms == 150
    assert "settings: ui.autosave_seconds = 0 is outside 1–600; using 1" in result.problems
    assert "settings: server.connect_timeout_s has the wrong type; using the default" in result.problems
    assert len(result.problems) == 5 and all("\n" not in p for p in result.problems)


def test_every_default_is_inside_its_range():
    defaults = Settings()
    for (section, key), (low, high) in RANGES.items():
        assert low <= getattr(getattr(defaults, section), key) <= high, (section, key)
