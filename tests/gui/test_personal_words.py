"""The personal model and the word list in the real window, through the real default model."""

import dataclasses

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QTextCursor

from slm_desktop.ui.personal_words import store_path
from slm_desktop.ui.settings_dialog import SettingsDialog

TIMEOUT_MS = 60_000
# a name no model has seen, written the way this user signs off
USER_TEXT = "".join(
    f"Hi {who},\n\n{body}\n\nKind regards,\nZorbelle\n\n"
    for who, body in [
        ("Tomasz", "The order left the warehouse today."),
        ("Priya", "The invoice is attached."),
        ("Mr Okafor", "Thank you for the new catalogue."),
    ]
)
SIGN_OFF = "Thanks again for your help.\n\nKind regards,"


class _Chips(QObject):
    """The chips shown, keyed by the text they were computed for (wordsShown fires only for the current text)."""

    def __init__(self, window):
        super().__init__()
        self.window = window
        self.shown: dict[str, list[str]] = {}
        window.suggestions.wordsShown.connect(self.record)

    @Slot(list)
    def record(self, words):
        self.shown[self.window.editor.context()[0]] = list(words)


def _chips_after(qtbot, window, recorder, text, last_key):
    """Type `text`, then `last_key` (a character or Qt.Key), and return the chips for the result."""
    window.editor.setPlainText(text)
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    window.editor.setFocus()
    qtbot.keyClick(window.editor, last_key)
    before = window.editor.context()[0]
    qtbot.waitUntil(lambda: before in recorder.shown, timeout=TIMEOUT_MS)
    return recorder.shown[before]


def _learn_from_file(qtbot, window, tmp_path):
    path = tmp_path / "letters.txt"
    path.write_text(USER_TEXT, encoding="utf-8")
    store = store_path(window.services.paths)
    assert window.open_path(path)
    qtbot.waitUntil(store.is_file, timeout=TIMEOUT_MS)
    return store


def test_a_word_only_this_user_writes_appears_in_the_chips_after_opening_their_document(qtbot, window, tmp_path):
    recorder = _Chips(window)
    assert "Zorbelle" not in _chips_after(qtbot, window, recorder, SIGN_OFF, Qt.Key.Key_Return)
    _learn_from_file(qtbot, window, tmp_path)
    assert window.personal_words.model.words > 0
    assert "Zorbelle" in _chips_after(
        qtbot, window, recorder, "Dear Sam,\n\nSee you soon.\n\nKind regards,", Qt.Key.Key_Return
    )


def test_forget_everything_in_settings_empties_the_store(qtbot, window, tmp_path):
    recorder = _Chips(window)
    store = _learn_from_file(qtbot, window, tmp_path)
    dialog = SettingsDialog(window.services.settings, window, personal=window.personal_words)
    qtbot.addWidget(dialog)
    assert "words learned" in dialog.personal_label.text()
    qtbot.mouseClick(dialog.forget_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: not store.exists() and dialog.personal_label.text() == "nothing learned yet", timeout=TIMEOUT_MS
    )
    assert window.personal_words.model.words == 0
    assert "Zorbelle" not in _chips_after(qtbot, window, recorder, SIGN_OFF, Qt.Key.Key_Return)


def test_learning_can_be_turned_off(qtbot, window, tmp_path):
    settings = window.services.settings
    window.services.settings = dataclasses.replace(
        settings, completion=dataclasses.replace(settings.completion, learn_my_words=False)
    )
    path = tmp_path / "letters.txt"
    path.write_text(USER_TEXT, encoding="utf-8")
    assert window.open_path(path)
    assert window.personal_words.model.words == 0
    assert not store_path(window.services.paths).exists()


def test_a_half_typed_rare_word_is_finished_from_the_word_list(qtbot, window):
    recorder = _Chips(window)
    text = "The florist put a vase of yellow chrysanthe"
    chips = _chips_after(qtbot, window, recorder, text, "m")
    assert any(w.startswith("chrysanthemum") for w in chips), chips
    settings = window.services.settings.completion
    window.suggestions.set_settings(dataclasses.replace(settings, word_list=False))
    without = _chips_after(qtbot, window, recorder, text + "m", "u")
    assert not any(w in ("chrysanthemum", "chrysanthemums") for w in without), without
