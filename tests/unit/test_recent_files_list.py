"""The Open Recent list: newest first, no duplicates, bounded; kept in settings.toml and read back safely."""

from pathlib import Path

from slm_desktop.config import Settings, load_settings, save_settings, settings_from_dict
from slm_desktop.ui.recent_files import MAX_RECENT, entry_text, forget, remember


def test_the_file_opened_last_comes_first_and_appears_once():
    recent = remember((), Path("/a/one.txt"))
    recent = remember(recent, Path("/b/two.txt"))
    recent = remember(recent, Path("/a/one.txt"))
    assert recent == ("/a/one.txt", "/b/two.txt")


def test_the_list_keeps_only_the_newest_files():
    recent: tuple[str, ...] = ()
    for n in range(MAX_RECENT + 5):
        recent = remember(recent, Path(f"/docs/{n}.txt"))
    assert len(recent) == MAX_RECENT and recent[0] == f"/docs/{MAX_RECENT + 4}.txt"


def test_a_relative_path_is_remembered_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert remember((), Path("note.txt")) == (str(tmp_path / "note.txt"),)


def test_forget_drops_only_that_file():
    assert forget(("/a", "/b", "/c"), Path("/b")) == ("/a", "/c")


def test_menu_text_shows_the_name_then_the_folder_with_home_as_tilde_and_literal_ampersands():
    assert entry_text(0, Path.home() / "Documents" / "Q&A.txt") == "&1  Q&&A.txt — ~/Documents"
    assert entry_text(9, Path("/srv/notes.md")) == "10  notes.md — /srv"


def test_recent_files_survive_a_save_and_load(tmp_path):
    settings = Settings().with_value("ui", "recent_files", ("/x/a.txt", "/y/b.md"))
    save_settings(settings, tmp_path / "settings.toml")
    loaded = load_settings(tmp_path / "settings.toml")
    assert loaded.settings.ui.recent_files == ("/x/a.txt", "/y/b.md") and not loaded.problems


def test_a_hand_edited_list_of_the_wrong_type_falls_back_to_empty_with_one_line():
    loaded = settings_from_dict({"ui": {"recent_files": ["/ok.txt", 5]}})
    assert loaded.settings.ui.recent_files == ()
    assert loaded.problems == ("settings: ui.recent_files has the wrong type; using the default",)


def test_an_older_world_readable_settings_file_is_tightened_once_it_lists_documents(tmp_path):
    path = tmp_path / "settings.toml"
    save_settings(Settings(), path)
    path.chmod(0o644)
    save_settings(Settings(), path)
    assert path.stat().st_mode & 0o777 == 0o644  # nothing private in it: left as the user set it
    save_settings(Settings().with_value("ui", "recent_files", ("/home/me/diary.txt",)), path)
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_file_name_that_is_not_utf8_is_left_out_instead_of_breaking_the_settings_file(tmp_path):
    odd = Path(b"/tmp/caf\xe9.txt".decode("utf-8", "surrogateescape"))
    assert remember(("/a.txt",), odd) == ("/a.txt",)
    save_settings(Settings().with_value("ui", "recent_files", remember((), odd)), tmp_path / "settings.toml")
