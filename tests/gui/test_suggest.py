"""Ghost text and word chips in a real editor, fed by the real default model through the worker."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from slm_desktop.config import CompletionSettings
from slm_desktop.engines.llama import LlamaCompletionEngine, LlamaConfig
from slm_desktop.engines.textops import next_chunk
from slm_desktop.ui.suggest import GhostEditor, SuggestionController, WordChips, wrap_words
from slm_desktop.worker import Worker
from tests.conftest import DEFAULT_GGUF

PREFIX = "The meeting has been moved to next week because the"
TIMEOUT_MS = 30_000


class _Collector(QObject):
    """Worker signals come from lane threads: a bound slot, not a lambda."""

    def __init__(self):
        super().__init__()
        self.ids = []

    @Slot(int, str)
    def add(self, job_id, _kind):
        self.ids.append(job_id)


class _Shared:
    """The module's one engine, handed to each test's lane; the lane must not close it."""

    def __init__(self, engine):
        self._engine = engine
        self.name = engine.name

    def complete(self, *args, **kwargs):
        return self._engine.complete(*args, **kwargs)

    def next_words(self, *args, **kwargs):
        return self._engine.next_words(*args, **kwargs)

    def close(self):
        pass


@pytest.fixture(scope="module")
def engine():
    loaded = LlamaCompletionEngine(LlamaConfig(DEFAULT_GGUF))
    yield loaded
    loaded.close()


@pytest.fixture
def ui(qtbot, engine):
    window = QWidget()
    editor, chips = GhostEditor(window), WordChips(window)
    layout = QVBoxLayout(window)
    layout.addWidget(chips)
    layout.addWidget(editor)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # Alt+1/2/3 are window shortcuts
    editor.setFocus()
    worker = Worker()
    shared = _Shared(engine)
    controller = SuggestionController(editor, chips, worker, CompletionSettings(), lambda: shared, parent=editor)
    yield editor, chips, controller
    worker.shutdown()


def _type_and_wait_for_ghost(qtbot, editor, text):
    """Type, then wait for the whole suggestion (partial ghosts stream in first)."""
    controller = editor.findChild(SuggestionController)
    with qtbot.waitSignal(controller.suggestionCompleted, timeout=TIMEOUT_MS, check_params_cb=lambda b, t: b == text):
        qtbot.keyClicks(editor, text)
    assert editor.ghost(), f"no suggestion for {text!r}"
    return editor.ghost()


def test_typing_shows_a_ghost_that_continues_the_text(qtbot, ui):
    editor, _chips, _controller = ui
    ghost = _type_and_wait_for_ghost(qtbot, editor, PREFIX)
    assert ghost.strip() and PREFIX not in ghost
    assert editor.toPlainText() == PREFIX  # painted, not inserted


def test_tab_accepts_all_and_undo_restores_in_one_step(qtbot, ui):
    editor, _chips, _controller = ui
    ghost = _type_and_wait_for_ghost(qtbot, editor, PREFIX)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == PREFIX + ghost
    assert editor.ghost() == ""
    editor.undo()
    assert editor.toPlainText() == PREFIX


def test_ctrl_right_accepts_the_next_word(qtbot, ui):
    editor, _chips, _controller = ui
    ghost = _type_and_wait_for_ghost(qtbot, editor, PREFIX)
    chunk = next_chunk(ghost)
    qtbot.keyClick(editor, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText() == PREFIX + chunk
    assert editor.ghost() == ghost[len(chunk) :]


def test_escape_dismisses(qtbot, ui):
    editor, _chips, _controller = ui
    _type_and_wait_for_ghost(qtbot, editor, PREFIX)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert editor.ghost() == "" and editor.toPlainText() == PREFIX


def test_typing_the_ghosts_next_character_keeps_the_rest(qtbot, ui):
    editor, _chips, _controller = ui
    ghost = _type_and_wait_for_ghost(qtbot, editor, PREFIX)
    qtbot.keyClicks(editor, ghost[0])
    assert editor.ghost() == ghost[1:]


def test_typing_something_else_dismisses(qtbot, ui):
    editor, _chips, _controller = ui
    ghost = _type_and_wait_for_ghost(qtbot, editor, PREFIX)
    other = "#" if ghost[0] != "#" else "%"
    qtbot.keyClicks(editor, other)
    assert editor.ghost() == ""


def test_fast_typing_never_shows_a_suggestion_for_an_older_prefix(qtbot, ui):
    editor, _chips, controller = ui
    shown = []

    def check(before, text):
        shown.append((before, editor.context()[0], text))

    controller.suggestionShown.connect(check)
    superseded = _Collector()
    controller.worker.cancelled.connect(superseded.add)
    text = "Please send me the quarterly report by Friday so w"
    assert len(text) == 50
    controller.set_settings(CompletionSettings(debounce_ms=10))  # short pauses let requests start mid-typing
    for ch in text:
        qtbot.keyClicks(editor, ch)
        qtbot.wait(20)
    qtbot.waitUntil(lambda: bool(shown) and shown[-1][0] == text, timeout=TIMEOUT_MS)
    assert all(computed_for == current for computed_for, current, _ in shown), shown
    assert superseded.ids, "typing never superseded a running or queued request"
    assert editor.ghost() == shown[-1][2]


def test_word_chips_show_three_words_and_alt_number_inserts(qtbot, ui):
    editor, chips, controller = ui
    with qtbot.waitSignal(controller.wordsShown, timeout=TIMEOUT_MS, check_params_cb=lambda w: len(w) == 3):
        qtbot.keyClicks(editor, "The meeting has been moved to next")
    second = chips.words()[1]
    qtbot.keyClick(editor, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert editor.toPlainText() == f"The meeting has been moved to next {second} "


def test_load_error_is_one_line_status(qtbot, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a model")
    editor, worker = GhostEditor(), Worker()
    qtbot.addWidget(editor)

    def factory():
        return LlamaCompletionEngine(LlamaConfig(bad))

    controller = SuggestionController(editor, None, worker, CompletionSettings(), factory, parent=editor)
    with qtbot.waitSignal(controller.errorOccurred, timeout=TIMEOUT_MS) as blocker:
        editor.insertPlainText("Hello there")
    worker.shutdown()
    message = blocker.args[0]
    assert "broken.gguf" in message and "\n" not in message
    assert editor.ghost() == ""


def test_ghost_streams_in_whole_words_before_the_suggestion_completes(qtbot, ui):
    editor, _chips, controller = ui
    streamed = []
    controller.suggestionShown.connect(lambda before, text: streamed.append(text))
    ghost = _type_and_wait_for_ghost(qtbot, editor, "Once upon a time, there was a")
    assert streamed[-1] == ghost
    assert len(streamed) >= 2, f"no partial ghost was streamed before the whole one: {streamed}"
    for partial in streamed[:-1]:
        assert ghost.startswith(partial) and not partial[-1:].isspace()


def _narrow_editor(qtbot, text: str) -> GhostEditor:
    editor = GhostEditor()
    qtbot.addWidget(editor)
    editor.resize(260, 200)
    editor.show()
    qtbot.waitExposed(editor)
    editor.setPlainText(text)
    return editor


def test_long_ghost_wraps_below_the_cursor_and_fits_the_editor(qtbot):
    editor = _narrow_editor(qtbot, "Dear team, I would like to")
    editor.moveCursor(QTextCursor.MoveOperation.End)
    ghost = " share the notes from our discussion with all of you before the meeting on Friday."
    editor.set_ghost(ghost)
    lines = editor.ghost_lines()
    assert len(lines) > 1 and " ".join(line.strip() for line in lines) == ghost.strip()
    room = editor.viewport().width()
    assert all(editor.fontMetrics().horizontalAdvance(line) <= room for line in lines[1:])


def test_ghost_before_more_text_stays_on_one_line_with_an_ellipsis(qtbot):
    editor = _narrow_editor(qtbot, "Dear team, I would like to\nBest regards")
    cursor = editor.textCursor()
    cursor.setPosition(len("Dear team, I would like to"))
    editor.setTextCursor(cursor)
    editor.set_ghost(" share the notes from our discussion with all of you before the meeting on Friday.")
    [line] = editor.ghost_lines()
    assert line.endswith("…")
    editor.accept_ghost()  # Tab still takes all of it
    assert "before the meeting on Friday.\nBest regards" in editor.toPlainText()


@given(
    st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=12), min_size=1, max_size=30),
    st.integers(0, 40),
    st.integers(5, 40),
)
def test_wrap_words_keeps_every_word_in_order_and_lines_within_width(words, first_width, width):
    text = " " + " ".join(words)
    lines = wrap_words(text, first_width, width, len)
    assert " ".join(lines).split() == words
    for number, line in enumerate(lines):
        limit = first_width if number == 0 else width
        assert len(line.rstrip()) <= limit or len(line.split()) == 1  # only a lone over-wide word overflows
